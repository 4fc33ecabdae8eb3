"""The fused backward of softmax and log_softmax (one kernel, differentiable again).

Against an independent float64 vector-Jacobian product ``J^T gy`` built from the softmax
probabilities, on the numba paths (float32: last axis, axis 0, a middle axis) and the NumPy twin
(float16, float64, numba off), with excluded (``-inf``) classes, empty inputs, and second order.
"""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.kernels.cpu import softmax as S
from nnfunc.testing import FunctionTestCase, parametrize_class


def _p(x, axis):
    x = x.astype(np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=axis, keepdims=True)


def vjp_ref(x, gy, axis, log):
    """``J^T gy`` of softmax / log_softmax in float64, from the Jacobian's formula."""
    p = _p(x, axis)
    gy = gy.astype(np.float64)
    if log:  # d log p_i / d x_j = delta_ij - p_j
        return gy - p * gy.sum(axis=axis, keepdims=True)
    return p * (gy - (gy * p).sum(axis=axis, keepdims=True))  # p_i (delta_ij - p_j)


def _vjp(fn, x, gy, axis):
    v = nf.Variable(x, requires_grad=True)
    (g,) = nf.grad(fn(v, axis=axis), [v], grad_outputs=[gy])
    return g.data


CASES = [((64, 300), -1), ((300, 64), 0), ((5, 40, 30), 1), ((7,), 0)]
TOL = {"float16": (3e-3, 3e-3), "float32": (2e-5, 2e-6), "float64": (1e-12, 1e-13)}


@pytest.mark.parametrize(("shape", "axis"), CASES)
@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_vjp_matches_float64_reference(shape, axis, log, dtype):
    rng = np.random.default_rng(len(shape) + shape[0])
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    x.flat[1] = -np.inf  # an excluded class: probability 0
    gy = rng.standard_normal(shape).astype(dtype)
    fn = nf.log_softmax if log else nf.softmax
    g = _vjp(fn, x, gy, axis)
    assert g.dtype == np.dtype(dtype) and g.shape == shape
    ref = vjp_ref(x, gy, axis, log)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(g, ref, rtol=rtol, atol=atol * (1 + np.abs(gy).sum()))
    assert g.flat[1] == (gy.flat[1] if log else 0)


@pytest.mark.parametrize("log", [False, True])
def test_numba_and_numpy_twin_give_the_same_gradient(log, monkeypatch):
    rng = np.random.default_rng(3)
    fn = nf.log_softmax if log else nf.softmax
    cases = []
    for shape, axis in CASES:
        x = (rng.standard_normal(shape) * 3).astype(np.float32)
        cases.append((x, rng.standard_normal(shape).astype(np.float32), axis))
    fast = [_vjp(fn, x, gy, axis) for x, gy, axis in cases]
    monkeypatch.setattr(S, "numba_enabled", lambda: False)
    for (x, gy, axis), g in zip(cases, fast, strict=True):
        np.testing.assert_allclose(g, _vjp(fn, x, gy, axis), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(0, 4), (4, 0), (0,)])
@pytest.mark.parametrize("fn", [nf.softmax, nf.log_softmax])
def test_empty_inputs_have_empty_gradients(shape, fn):
    for axis in range(len(shape)):
        x = np.zeros(shape, np.float32)
        g = _vjp(fn, x, x, axis)
        assert g.shape == shape and g.dtype == np.float32


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("fn", [nf.softmax, nf.log_softmax])
def test_0d_input(fn, dtype):
    # One entry: softmax 1 (gradient 0), log_softmax 0 (gradient gy - gy = 0).
    v = nf.Variable(np.asarray(0.5, dtype), requires_grad=True)
    (g,) = nf.grad(fn(v), [v], grad_outputs=[np.asarray(2.0, dtype)])
    assert g.shape == () and g.dtype == np.dtype(dtype) and g.data == 0


@pytest.mark.parametrize("fn", [nf.softmax, nf.log_softmax])
def test_rows_of_all_minus_inf_and_plus_inf_keep_the_composite_limits(fn):
    # Rows the forward kernel refuses (their limits are defined by the NumPy path): the
    # gradient formula from y still holds (softmax: 0 on an all -inf row; log_softmax: gy).
    x = np.array([[-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0], [0.0, 1.0, 2.0]], np.float32)
    gy = np.array([[1.0, 2.0, 3.0], [1.0, -1.0, 0.5], [0.5, 0.25, -1.0]], np.float32)
    g = _vjp(fn, x, gy, -1)
    y = fn(x).astype(np.float64)
    if fn is nf.softmax:
        ref = y * (gy - (gy * y).sum(axis=1, keepdims=True))
    else:
        ref = gy - np.exp(y) * gy.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(g, ref, rtol=1e-6, atol=1e-7)
    assert np.isfinite(g).all()


def test_second_order_of_a_large_float32_softmax_matches_float64():
    # d/dx of <J^T gy, w> through the fused Function's own backward, numba path first order.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((40, 300)).astype(np.float32)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    w = rng.standard_normal(x.shape).astype(np.float32)
    out = []
    for dt in (np.float32, np.float64):
        v = nf.Variable(x.astype(dt), requires_grad=True)
        (g,) = nf.grad(nf.log_softmax(v), [v], grad_outputs=[gy.astype(dt)], create_graph=True)
        (gg,) = nf.grad(nf.sum(g * w.astype(dt)), [v])
        out.append(gg.data)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-3, atol=1e-5)


@parametrize_class(which=["softmax", "log_softmax"], dtype=["float16", "float32", "float64"])
class TestMiddleAxis(FunctionTestCase):
    """A middle axis of a 3-d input: the column kernel's path (forward, first and second order)."""

    symbolic_dims = (0,)

    def _call(self, *args, **extra):
        fn = nf.softmax if self.which == "softmax" else nf.log_softmax
        return (fn(args[0], axis=1, **extra),)

    def inputs(self, rng):
        return (rng.normal(0, 3, (2, 4, 3)).astype(self.dtype),)

    def expected(self, x):
        p = _p(x, 1)
        return ((p if self.which == "softmax" else np.log(p)).astype(x.dtype),)
