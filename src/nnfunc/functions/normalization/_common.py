"""Shared pieces of the normalization family: argument checks, element counts, parameter shapes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.distributed import all_reduce
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.math._sqrt import sqrt
from nnfunc.functions.reduction._sum import _CountOf as CountOf

__all__ = [
    "check_axes_kept",
    "check_decay",
    "check_eps",
    "check_param",
    "param_at_rank",
    "promote",
    "reduced_count",
    "sqrt",
    "sum_to_shape",
]


def promote(x: Any) -> tuple[Any, np.dtype, np.dtype]:
    """``x`` cast to its computation dtype, with its output and computation dtypes."""
    out = real_dtype(x.dtype)
    acc = accumulation_dtype(out)
    return (F.cast(x, acc) if np.dtype(x.dtype) != acc else x), out, acc


def check_eps(op: str, eps: Any, arg: str = "eps") -> float:
    """``eps`` must be a finite real >= 0."""
    return check.real_scalar(op, arg, eps, min_value=0.0)


def check_decay(op: str, decay: Any, arg: str = "decay") -> float:
    """A decay (momentum) rate in [0, 1]."""
    return check.real_scalar(op, arg, decay, min_value=0.0, max_value=1.0)


def _dims_match(a: Any, b: Any) -> bool:
    return a is None or b is None or a == b


def check_param(
    op: str,
    arg: str,
    spec: Any,
    x_shape: tuple[Any, ...],
    param_axes: tuple[int, ...],
    *,
    exact: bool = False,
) -> tuple[Any, ...]:
    """Validate a per-channel parameter; return its shape broadcast against ``x`` (rank of x).

    Accepted: the compact shape ``tuple(x.shape[a] for a in param_axes)``, or a shape of x's rank
    that broadcasts to ``x`` (with ``exact``: equal to x on ``param_axes`` and 1 elsewhere, for
    running statistics updated in place).

    In graph mode a dimension unknown in the parameter is taken from ``x`` where the two must be
    equal (a compact parameter, or ``exact``) or where ``x`` has 1; elsewhere it stays None: a
    parameter of x's rank may be 1 or ``x``'s size there, which only the run tells (the
    gradients then sum to the parameter given as a graph variable, never to a None shape).
    """
    shape = tuple(spec.shape)
    ndim = len(x_shape)
    compact = tuple(x_shape[a] for a in param_axes)
    if len(shape) == len(compact) and all(
        _dims_match(s, c) for s, c in zip(shape, compact, strict=True)
    ):
        full = [1] * ndim
        for a, s in zip(param_axes, shape, strict=True):
            full[a] = x_shape[a] if s is None else s
        return tuple(full)
    if len(shape) == ndim:
        ok = True
        for j, (s, d) in enumerate(zip(shape, x_shape, strict=True)):
            if exact:
                want = d if j in param_axes else 1
                ok = ok and _dims_match(s, want)
            else:
                ok = ok and (s == 1 or _dims_match(s, d))
        if ok:
            if exact:
                return tuple(
                    (d if j in param_axes else 1) if s is None else s
                    for j, (s, d) in enumerate(zip(shape, x_shape, strict=True))
                )
            return tuple(
                (1 if d == 1 else None) if s is None else s
                for s, d in zip(shape, x_shape, strict=True)
            )
    where = "axis" if len(param_axes) == 1 else "axes"
    axes_txt = param_axes[0] if len(param_axes) == 1 else tuple(param_axes)
    rest = (
        "or x's rank with those sizes and 1 elsewhere"
        if exact
        else "or a shape of x's rank that broadcasts to `x`"
    )
    raise ShapeError(
        check.message(
            op,
            arg,
            f"have shape {check.fmt(compact)} (the size of `x` along {where} {axes_txt}) {rest}",
            **{f"{arg}.shape": shape, "x.shape": tuple(x_shape)},
        )
    )


def param_at_rank(v: Any, full: tuple[Any, ...], param_axes: tuple[int, ...]) -> Any:
    """Parameter ``v`` (a tensor, compact or of x's rank) at x's rank, with shape ``full``.

    A compact parameter is reshaped when ``full`` is known; with a size unknown when the graph
    is built, axes of size 1 are inserted around ``param_axes`` instead (no size is needed, so
    never a None in a shape).
    """
    if len(v.shape) == len(full):
        return v
    if None not in full:
        return F.reshape(v, full)
    return F.expand_dims(v, tuple(j for j in range(len(full)) if j not in param_axes))


def sum_to_shape(a: Any, shape: tuple[int, ...]) -> Any:
    """Sum array ``a`` (same rank as ``shape``) over the axes where ``shape`` has 1."""
    axes = tuple(
        j for j, (s, d) in enumerate(zip(shape, a.shape, strict=True)) if s == 1 and d != 1
    )
    return a.sum(axis=axes, keepdims=True) if axes else a


def reduced_count(
    x: Any, shape: tuple[Any, ...], axes: tuple[int, ...], dtype: Any, comm: Any, group: str
) -> Any:
    """The element count over ``axes`` (summed over the replicas of ``comm``).

    A Python float when it is known now (no communicator, no unknown size), else a 0-d tensor
    computed at run time by reduction's count node.
    """
    sizes = [shape[a] for a in axes]
    if comm is None and None not in sizes:
        return float(math.prod(sizes))
    n = CountOf(axes, dtype).apply1(x)
    return n if comm is None else all_reduce(n, comm, group)


def check_axes_kept(op: str, arg: str, value: Any, ndim: int) -> tuple[int, ...]:
    """Normalise kept (channel) axes: int or non-empty sequence, in range, not repeated."""
    if isinstance(value, (list, tuple)) and len(value) == 0:
        raise ArgumentError(check.message(op, arg, "name at least one axis", **{arg: value}))
    return check.axes(op, arg, value, ndim)
