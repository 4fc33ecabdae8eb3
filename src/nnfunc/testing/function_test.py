"""FunctionTestCase: the checks every nnfunc function gets, generated from a small class.

A test class gives ``function``, ``inputs(rng)`` (tensors, positional), ``kwargs()`` and
``expected(*inputs)`` (an independent float64 NumPy reference, returning arrays of the exact
expected dtype), and is parametrised with :func:`parametrize_class`. The base class then checks:
values, exact shapes and dtypes, arrays in and arrays out, unchanged inputs, non-contiguous
inputs, Variables equal arrays, graph mode equals eager (named node), symbolic shape inference
with an unknown batch dimension, gradients against central differences in float64, double
backward, gradient accumulation, inputs without gradients, graph gradients equal eager ones.

Seeds are fixed per test (``seed`` attribute) and shown in every failure message.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing.gradient_check import _objective, check_backward, check_double_backward

__all__ = ["TOLERANCES", "FunctionTestCase", "assert_raises_both_modes", "parametrize_class"]

TOLERANCES: dict[str, dict[str, float]] = {
    "float16": {"atol": 2e-3, "rtol": 2e-3},
    "float32": {"atol": 1e-6, "rtol": 1e-5},
    "float64": {"atol": 1e-12, "rtol": 1e-10},
}


def parametrize_class(**params: list[Any]) -> Callable[[type], type]:
    """Run every test of a class once per combination of the given attribute values."""
    keys = list(params)
    combos = [
        dict(zip(keys, values, strict=True)) for values in itertools.product(*params.values())
    ]
    ids = ["-".join(f"{k}={v}" for k, v in c.items()) for c in combos]

    def decorate(cls: type) -> type:
        @pytest.fixture(autouse=True, params=combos, ids=ids)
        def _nnfunc_params(self: Any, request: Any) -> None:
            for k, v in request.param.items():
                setattr(self, k, v)

        cls._nnfunc_params = _nnfunc_params
        cls._nnfunc_combos = combos  # read by tests/meta/test_roundtrip_classes.py
        return cls

    return decorate


def _tuple(out: Any) -> tuple[Any, ...]:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, nf.Variable) else x


def _noncontiguous(x: np.ndarray) -> np.ndarray:
    """The same values in a non-contiguous layout."""
    if x.ndim == 0 or x.size <= 1:
        return x
    big = np.zeros(x.shape[:-1] + (x.shape[-1] * 2,), dtype=x.dtype)
    view = big[..., ::2]
    view[...] = x
    return view


def assert_raises_both_modes(
    function: Callable[..., Any],
    inputs: tuple[Any, ...],
    kwargs: dict[str, Any],
    exc: type[BaseException],
    message: str,
) -> None:
    """The call raises ``exc`` with ``message`` on arrays and, node name added, in a graph."""
    with pytest.raises(exc, match=re.escape(message)):
        function(*inputs, **kwargs)
    graph = nf.Graph()
    symbolic = [
        graph.placeholder(f"in{i}", np.shape(x), np.asarray(x).dtype)
        if isinstance(x, np.ndarray)
        else x
        for i, x in enumerate(inputs)
    ]
    op, _, rest = message.partition(": ")
    node_message = f"{op} (node 'bad'): {rest}" if rest else message
    with pytest.raises(exc, match=re.escape(node_message)):
        function(*symbolic, **kwargs, name="bad")


class FunctionTestCase:
    """Base class of function tests (see the module docstring)."""

    function: ClassVar[Callable[..., Any]]
    #: points where the function is not differentiable; gradient checks keep inputs 2e-2 away
    kinks: ClassVar[tuple[float, ...]] = ()
    #: indexes of the inputs to differentiate (default: every floating input)
    grad_inputs: ClassVar[tuple[int, ...] | None] = None
    #: whether the function is differentiable at all (False: check that nothing is recorded)
    differentiable: ClassVar[bool] = True
    #: run the second-order check
    double_backward: ClassVar[bool] = True
    #: dimensions set to None in the symbolic-shape check, per input (None: the batch axis 0)
    symbolic_dims: ClassVar[tuple[int, ...] | None] = None
    #: why the function's graph node cannot be saved (None: it must round-trip through save/load)
    save_unsupported: ClassVar[str | None] = None
    seed: ClassVar[int] = 0
    tolerances: ClassVar[dict[str, dict[str, float]]] = {}
    grad_atol: ClassVar[float] = 1e-6
    grad_rtol: ClassVar[float] = 1e-5
    dtype = "float32"

    # ------------------------------------------------------------------ to be overridden
    def inputs(self, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """The tensor inputs (positional)."""
        raise NotImplementedError

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments."""
        return {}

    def expected(self, *inputs: np.ndarray) -> tuple[np.ndarray, ...]:
        """The float64 reference outputs, cast to the expected dtypes."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers
    def _rng(self, salt: int = 0) -> np.random.Generator:
        return np.random.default_rng(self.seed + salt)

    def _inputs(self) -> tuple[np.ndarray, ...]:
        return tuple(
            np.asarray(x) if not isinstance(x, np.ndarray) else x for x in self.inputs(self._rng())
        )

    def _call(self, *args: Any, **extra: Any) -> tuple[Any, ...]:
        return _tuple(type(self).function(*args, **self.kwargs(), **extra))

    def _where(self) -> str:
        params = {k: v for k, v in vars(self).items() if not k.startswith("_")}
        return f"[{type(self).__name__} seed={self.seed} params={params}]"

    def _tol(self, dtype: Any) -> dict[str, float]:
        name = np.dtype(dtype).name
        return {**TOLERANCES.get(name, {"atol": 0, "rtol": 0}), **self.tolerances.get(name, {})}

    def _assert_close(self, actual: Any, expected: Any, what: str) -> None:
        actual = np.asarray(_data(actual))
        expected = np.asarray(expected)
        assert actual.shape == expected.shape, (
            f"{self._where()} {what}: shape {actual.shape} != expected {expected.shape}"
        )
        assert actual.dtype == expected.dtype, (
            f"{self._where()} {what}: dtype {actual.dtype} != expected {expected.dtype}"
        )
        if actual.dtype.kind in "fc":
            np.testing.assert_allclose(
                actual.astype(np.float64),
                expected.astype(np.float64),
                **self._tol(actual.dtype),
                err_msg=f"{self._where()} {what}",
            )
        else:
            np.testing.assert_array_equal(actual, expected, err_msg=f"{self._where()} {what}")

    def _grad_indexes(self, inputs: tuple[np.ndarray, ...]) -> tuple[int, ...]:
        if self.grad_inputs is not None:
            return self.grad_inputs
        return tuple(i for i, x in enumerate(inputs) if x.dtype.kind == "f")

    def _grad_inputs64(self) -> tuple[list[np.ndarray], tuple[int, ...]]:
        inputs = list(self._inputs())
        idx = self._grad_indexes(tuple(inputs))
        for i in idx:
            x = inputs[i].astype(np.float64)
            for k in self.kinks:
                near = np.abs(x - k) < 2e-2
                x = np.where(near, k + np.where(x >= k, 5e-2, -5e-2), x)
            inputs[i] = x
        return inputs, idx

    # ------------------------------------------------------------------ forward checks
    def test_forward(self) -> None:
        inputs = self._inputs()
        outs = self._call(*inputs)
        expected = _tuple(self.expected(*inputs))
        assert len(outs) == len(expected), f"{self._where()} number of outputs"
        for i, (o, e) in enumerate(zip(outs, expected, strict=True)):
            assert type(o) is np.ndarray, (
                f"{self._where()} output {i} is {type(o).__name__}, not numpy.ndarray"
            )
            self._assert_close(o, e, f"output {i}")

    def test_inputs_unchanged(self) -> None:
        inputs = self._inputs()
        copies = [x.copy() for x in inputs]
        self._call(*inputs)
        for x, c in zip(inputs, copies, strict=True):
            np.testing.assert_array_equal(x, c, err_msg=f"{self._where()} an input was modified")

    def test_noncontiguous_inputs(self) -> None:
        inputs = self._inputs()
        expected = self._call(*inputs)
        outs = self._call(*(_noncontiguous(x) for x in inputs))
        for i, (o, e) in enumerate(zip(outs, expected, strict=True)):
            self._assert_close(o, e, f"output {i} (non-contiguous inputs)")

    def test_variables_match_arrays(self) -> None:
        inputs = self._inputs()
        expected = self._call(*inputs)
        outs = self._call(*(nf.Variable(x) for x in inputs))
        for i, (o, e) in enumerate(zip(outs, expected, strict=True)):
            assert isinstance(o, nf.Variable), f"{self._where()} output {i} is not a Variable"
            self._assert_close(o, e, f"output {i} (Variables)")

    def test_graph_matches_eager(self) -> None:
        inputs = self._inputs()
        expected = self._call(*inputs)
        graph = nf.Graph()
        phs = [graph.placeholder(f"in{i}", x.shape, x.dtype) for i, x in enumerate(inputs)]
        outs = self._call(*phs, name="out")
        names = ["out"] if len(outs) == 1 else [f"out:{i}" for i in range(len(outs))]
        for o, n in zip(outs, names, strict=True):
            assert graph[n] is o, f"{self._where()} node not registered under {n!r}"
        values = graph.run(list(outs), {f"in{i}": x for i, x in enumerate(inputs)})
        for i, (v, e) in enumerate(zip(values, expected, strict=True)):
            self._assert_close(v, e, f"output {i} (graph)")

    def _symbolic_placeholders(self, graph: nf.Graph, inputs: list[np.ndarray]) -> list[Any]:
        """Placeholders ``in0, in1, ...`` whose ``symbolic_dims`` (default: the batch axis)
        are unknown."""
        dims = self.symbolic_dims if self.symbolic_dims is not None else (0,)
        return [
            graph.placeholder(
                f"in{i}",
                tuple(None if (j in dims and x.ndim > 0) else d for j, d in enumerate(x.shape)),
                x.dtype,
            )
            for i, x in enumerate(inputs)
        ]

    def test_graph_save_load(self) -> None:
        """The graph saves, loads, runs to bit-identical results and saves to the same bytes."""
        inputs = self._inputs()
        graph = nf.Graph()
        phs = self._symbolic_placeholders(graph, inputs)
        outs = self._call(*phs, name="out")
        feeds = {f"in{i}": x for i, x in enumerate(inputs)}
        buf = io.BytesIO()
        if self.save_unsupported is not None:
            with pytest.raises(nf.UnsupportedError, match=r"cannot be saved|must be an instance"):
                graph.save(buf)
            return
        graph.save(buf)
        data = buf.getvalue()
        loaded = nf.load_graph(io.BytesIO(data))
        names = [o.name for o in outs]
        before = graph.run(names, feeds)
        after = loaded.run(names, feeds)
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            assert a.dtype == b.dtype and a.shape == b.shape, f"{self._where()} output {i}"
            np.testing.assert_array_equal(a, b, err_msg=f"{self._where()} output {i} (loaded)")
        again = io.BytesIO()
        loaded.save(again)
        assert again.getvalue() == data, f"{self._where()} a loaded graph saves other bytes"

    def test_symbolic_shape(self) -> None:
        inputs = self._inputs()
        expected = self._call(*inputs)
        graph = nf.Graph()
        phs = self._symbolic_placeholders(graph, inputs)
        outs = self._call(*phs)
        for i, (o, e) in enumerate(zip(outs, expected, strict=True)):
            assert o.dtype == e.dtype, f"{self._where()} symbolic dtype of output {i}"
            assert len(o.shape) == e.ndim, f"{self._where()} symbolic rank of output {i}"
            for d, s in zip(o.shape, e.shape, strict=True):
                assert d is None or d == s, (
                    f"{self._where()} symbolic shape {o.shape} vs eager {e.shape}"
                )
        values = graph.run(list(outs), {f"in{i}": x for i, x in enumerate(inputs)})
        for i, (v, e) in enumerate(zip(values, expected, strict=True)):
            self._assert_close(v, e, f"output {i} (graph with unknown dims)")

    # ------------------------------------------------------------------ gradient checks
    def test_backward(self) -> None:
        inputs, idx = self._grad_inputs64()
        if not self.differentiable or not idx:
            vs = [nf.Variable(x, requires_grad=x.dtype.kind == "f") for x in inputs]
            for o in self._call(*vs):
                if o.dtype.kind == "f" and self.differentiable:
                    continue
                assert not o.requires_grad or o.dtype.kind == "f", (
                    f"{self._where()} a non-differentiable output requires grad"
                )
            return
        check_backward(
            lambda *a: self._call(*a),
            inputs,
            idx,
            self._rng(1),
            atol=self.grad_atol,
            rtol=self.grad_rtol,
        )

    def test_double_backward(self) -> None:
        inputs, idx = self._grad_inputs64()
        if not self.differentiable or not idx or not self.double_backward:
            return
        check_double_backward(
            lambda *a: self._call(*a),
            inputs,
            idx,
            self._rng(2),
            atol=max(self.grad_atol, 1e-5),
            rtol=max(self.grad_rtol, 1e-4),
        )

    def _loss(self, variables: list[Any], weights: list[Any]) -> Any:
        return _objective(self._call(*variables), weights)

    def _weights(self, inputs: list[np.ndarray]) -> list[Any]:
        outs = self._call(*inputs)
        rng = self._rng(3)
        return [
            rng.standard_normal(o.shape).astype(o.dtype) if o.dtype.kind == "f" else None
            for o in outs
        ]

    def test_grad_accumulates(self) -> None:
        inputs, idx = self._grad_inputs64()
        if not self.differentiable or not idx:
            return
        weights = self._weights(inputs)
        vs = [nf.Variable(x, requires_grad=i in idx) for i, x in enumerate(inputs)]
        self._loss(vs, weights).backward()
        first = [vs[i].grad.copy() for i in idx]
        self._loss(vs, weights).backward()
        for i, g in zip(idx, first, strict=True):
            np.testing.assert_allclose(
                vs[i].grad, 2 * g, rtol=1e-12, atol=1e-12, err_msg=f"{self._where()} input {i}"
            )
        fresh = nf.grad(self._loss(vs, weights), [vs[i] for i in idx])
        for g, g1 in zip(fresh, first, strict=True):
            np.testing.assert_allclose(g.data, g1, rtol=1e-12, atol=1e-12)

    def test_no_grad_inputs(self) -> None:
        inputs, idx = self._grad_inputs64()
        vs = [nf.Variable(x) for x in inputs]
        for o in self._call(*vs):
            assert not o.requires_grad, f"{self._where()} output requires grad without reason"
        if not idx:
            return
        with nf.no_grad():
            outs = self._call(
                *(nf.Variable(x, requires_grad=i in idx) for i, x in enumerate(inputs))
            )
        assert all(not o.requires_grad for o in outs), f"{self._where()} recorded under no_grad"
        vs = [nf.Variable(x, requires_grad=i == idx[0]) for i, x in enumerate(inputs)]
        weights = self._weights(inputs)
        loss = self._loss(vs, weights)
        if loss is not None and loss.requires_grad:
            loss.backward()
        for i, v in enumerate(vs):
            if i != idx[0]:
                assert v.grad is None, f"{self._where()} input {i} got a gradient"

    def test_graph_grad_matches_eager_grad(self) -> None:
        inputs, idx = self._grad_inputs64()
        if not self.differentiable or not idx:
            return
        weights = self._weights(inputs)
        vs = [nf.Variable(x, requires_grad=i in idx) for i, x in enumerate(inputs)]
        eager = nf.grad(self._loss(vs, weights), [vs[i] for i in idx])
        graph = nf.Graph()
        phs = [graph.placeholder(f"in{i}", x.shape, x.dtype) for i, x in enumerate(inputs)]
        loss = self._loss(phs, weights)
        grads = graph.grad(loss, [phs[i] for i in idx])
        values = graph.run(grads, {f"in{i}": x for i, x in enumerate(inputs)})
        for v, e in zip(values, eager, strict=True):
            np.testing.assert_allclose(v, e.data, rtol=1e-10, atol=1e-12, err_msg=self._where())
