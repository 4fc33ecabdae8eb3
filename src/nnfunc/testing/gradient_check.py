"""Gradient checks: directional central differences in float64, first and second order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import nnfunc as nf

__all__ = ["check_backward", "check_double_backward", "directional_derivative"]


def _as_tuple(out: Any) -> tuple[Any, ...]:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _objective(outputs: tuple[Any, ...], weights: Sequence[Any]) -> Any:
    """``sum_i sum(outputs[i] * weights[i])`` over the floating outputs."""
    total = None
    for o, w in zip(outputs, weights, strict=True):
        if w is None:
            continue
        term = nf.sum(o * w)
        total = term if total is None else total + term
    return total


def _output_weights(
    function: Callable[..., Any], arrays: list[np.ndarray], rng: np.random.Generator
) -> list[Any]:
    """Random float64 weights for the floating outputs of ``function(*arrays)`` (None for the
    others): the objective's ``w``."""
    probe = _as_tuple(function(*arrays))
    return [
        rng.standard_normal(np.shape(o)) if np.asarray(o).dtype.kind == "f" else None for o in probe
    ]


def directional_derivative(
    fn: Callable[[list[np.ndarray]], float],
    xs: list[np.ndarray],
    directions: list[np.ndarray],
    eps: float = 1e-6,
) -> float:
    """Central difference of scalar ``fn`` along ``directions`` (a 4th-order stencil)."""

    def at(t: float) -> float:
        return float(fn([x + t * d for x, d in zip(xs, directions, strict=True)]))

    return (8 * (at(eps) - at(-eps)) - (at(2 * eps) - at(-2 * eps))) / (12 * eps)


def _unit_directions(rng: np.random.Generator, xs: list[np.ndarray]) -> list[np.ndarray]:
    ds = [rng.standard_normal(x.shape) for x in xs]
    norm = np.sqrt(sum(float((d * d).sum()) for d in ds)) or 1.0
    return [d / norm for d in ds]


def check_backward(
    function: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    grad_indexes: Sequence[int],
    rng: np.random.Generator,
    *,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-5,
) -> None:
    """Compare backprop with a numerical directional derivative (float64 inputs).

    The objective is ``sum(f(x) * w)`` for random weights ``w``; the analytic directional
    derivative ``sum(grad * d)`` along a random unit direction ``d`` must match the central
    difference.
    """
    arrays = [np.asarray(x) for x in inputs]
    weights = _output_weights(function, arrays, rng)
    if all(w is None for w in weights):
        return

    def loss(xs: list[np.ndarray]) -> float:
        args = list(arrays)
        for i, x in zip(grad_indexes, xs, strict=True):
            args[i] = x
        outs = _as_tuple(function(*args))
        return sum(
            float((np.asarray(o, np.float64) * w).sum())
            for o, w in zip(outs, weights, strict=True)
            if w is not None
        )

    variables = [nf.Variable(a, requires_grad=i in grad_indexes) for i, a in enumerate(arrays)]
    outs = _as_tuple(function(*variables))
    total = _objective(
        outs, [None if w is None else w.astype(o.dtype) for o, w in zip(outs, weights, strict=True)]
    )
    if total is None or not total.requires_grad:
        raise AssertionError("check_backward: the output does not depend on the inputs")
    grads = nf.grad(total, [variables[i] for i in grad_indexes])
    xs = [arrays[i] for i in grad_indexes]
    ds = _unit_directions(rng, xs)
    analytic = sum(float((g.data * d).sum()) for g, d in zip(grads, ds, strict=True))
    numeric = directional_derivative(loss, xs, ds, eps)
    if not np.isclose(analytic, numeric, atol=atol, rtol=rtol):
        raise AssertionError(
            f"check_backward: backprop {analytic!r} != numerical {numeric!r} "
            f"(difference {analytic - numeric:.3g})"
        )


def check_double_backward(
    function: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    grad_indexes: Sequence[int],
    rng: np.random.Generator,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> None:
    """Differentiate the first-order gradient again and compare with central differences."""
    arrays = [np.asarray(x) for x in inputs]
    weights = _output_weights(function, arrays, rng)
    if all(w is None for w in weights):
        return
    ups = [rng.standard_normal(arrays[i].shape) for i in grad_indexes]

    def first_order(xs: list[np.ndarray], create_graph: bool) -> tuple[list[Any], Any]:
        args: list[Any] = [nf.Variable(a) for a in arrays]
        for i, x in zip(grad_indexes, xs, strict=True):
            args[i] = x if isinstance(x, nf.Variable) else nf.Variable(x, requires_grad=True)
        outs = _as_tuple(function(*args))
        ws = [None if w is None else w.astype(o.dtype) for o, w in zip(outs, weights, strict=True)]
        total = _objective(outs, ws)
        gs = nf.grad(total, [args[i] for i in grad_indexes], create_graph=create_graph)
        return gs, args

    def second_objective(xs: list[np.ndarray]) -> float:
        gs, _ = first_order(xs, False)
        return sum(float((g.data * u).sum()) for g, u in zip(gs, ups, strict=True))

    xvars = [nf.Variable(arrays[i], requires_grad=True) for i in grad_indexes]
    gs, _ = first_order(xvars, True)
    total = None
    for g, u in zip(gs, ups, strict=True):
        term = nf.sum(g * u.astype(g.dtype))
        total = term if total is None else total + term
    xs = [arrays[i] for i in grad_indexes]
    ds = _unit_directions(rng, xs)
    if total.requires_grad:
        ggs = nf.grad(total, xvars)
        analytic = sum(float((g.data * d).sum()) for g, d in zip(ggs, ds, strict=True))
    else:
        analytic = 0.0
    numeric = directional_derivative(second_objective, xs, ds, eps)
    if not np.isclose(analytic, numeric, atol=atol, rtol=rtol):
        raise AssertionError(
            f"check_double_backward: backprop {analytic!r} != numerical {numeric!r} "
            f"(difference {analytic - numeric:.3g})"
        )
