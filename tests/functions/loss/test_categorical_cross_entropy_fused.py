"""categorical_cross_entropy on probabilities as one fused Function: kernels, VJP, second order.

The float64 references are written here from the formula (clip to [eps, 1 - eps] in the dtype,
floor at the smallest normal number; the clip's gradient 1 inside with the bounds, 0 outside).
"""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import logistic as L

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")


def _bounds(eps, dt):
    lo = -np.inf if eps is None else float(np.asarray(eps, dt))
    hi = np.inf if eps is None else float(np.asarray(1 - eps, dt))
    return lo, hi, float(np.finfo(dt).tiny)


def _ref(p, t, gy, axis, eps, dt):
    """Loss (axis kept) and the probabilities' VJP in float64."""
    lo, hi, tiny = _bounds(eps, dt)
    p, t = p.astype(np.float64), t.astype(np.float64)
    gy = np.expand_dims(gy.astype(np.float64), axis)
    c = np.clip(p, lo, hi)
    loss = -(t * np.log(np.maximum(c, tiny))).sum(axis=axis, keepdims=True)
    live = (p >= lo) & (p <= hi) & (c >= tiny)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(live, -gy * t / c, 0)
    return loss, g


def _data(rng, shape, dtype):
    p = rng.dirichlet(np.ones(shape[-1]), shape[:-1]) if len(shape) > 1 else rng.uniform(size=shape)
    p = p.reshape(shape)
    p.flat[:4] = [0.0, 1.0, 1e-9, 1e-30][: p.size]
    t = rng.dirichlet(np.ones(shape[-1]), shape[:-1]).reshape(shape) if len(shape) > 1 else p
    return p.astype(dtype), t.astype(dtype)


@needs_numba
@pytest.mark.parametrize("eps", [1e-7, None])
def test_kernels_agree_with_float64(eps):
    rng = np.random.default_rng(0)
    p, t = _data(rng, (300, 257), np.float32)
    gy = rng.standard_normal(300).astype(np.float32)
    b = _bounds(eps, np.float32)
    loss_ref, g_ref = _ref(p, t, gy, 1, eps, np.float32)
    gyk = gy[:, None]
    for fwd, bwd, extra in (
        (L.cce_numba, L.cce_grad_numba, (3,)),
        (L.cce_numpy, L.cce_grad_numpy, ()),
    ):
        np.testing.assert_allclose(fwd(p, t, 1, *b, *extra), loss_ref, rtol=2e-6)
        g = bwd(p, t, gy if fwd is L.cce_numba else gyk, 1, *b, *extra)
        np.testing.assert_allclose(g, g_ref, rtol=2e-6, atol=0)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize(("shape", "axis"), [((64, 33), -1), ((33, 64), 0), ((4, 9, 5), 1)])
def test_loss_and_vjp_match_float64(dtype, shape, axis):
    rng = np.random.default_rng(1)
    p, t = _data(rng, shape, dtype)
    ax = axis % len(shape)
    gy = rng.standard_normal(shape[:ax] + shape[ax + 1 :]).astype(dtype)
    v = nf.Variable(p, requires_grad=True)
    y = nf.categorical_cross_entropy(v, t, axis=axis)
    (g,) = nf.grad(y, [v], grad_outputs=[gy])
    loss_ref, g_ref = _ref(p, t, gy, ax, 1e-7, np.dtype(dtype))
    assert y.dtype == g.dtype == np.dtype(dtype)
    tol = {"float16": 3e-3, "float32": 3e-6, "float64": 1e-13}[dtype]
    np.testing.assert_allclose(y.data, loss_ref.squeeze(ax).astype(dtype), rtol=tol)
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(g.data, g_ref.astype(dtype), rtol=tol)


def test_target_gradient_and_second_order():
    rng = np.random.default_rng(2)
    p = rng.uniform(0.05, 0.95, (6, 5))
    t = rng.uniform(0, 1, (6, 5))
    gy, w = rng.standard_normal(6), rng.standard_normal((6, 5))
    vp, vt = nf.Variable(p, requires_grad=True), nf.Variable(t, requires_grad=True)
    y = nf.categorical_cross_entropy(vp, vt)
    gp, gt = nf.grad(y, [vp, vt], grad_outputs=[gy], create_graph=True)
    np.testing.assert_allclose(gt.data, -gy[:, None] * np.log(p), rtol=1e-12)
    hp, ht = nf.grad(nf.sum(gp * w), [vp, vt])
    np.testing.assert_allclose(hp.data, w * gy[:, None] * t / p**2, rtol=1e-12)
    np.testing.assert_allclose(ht.data, -w * gy[:, None] / p, rtol=1e-12)


def test_numba_and_numpy_twin_agree(monkeypatch):
    rng = np.random.default_rng(3)
    p, t = _data(rng, (128, 1000), np.float32)
    gy = rng.standard_normal(128).astype(np.float32)

    def run():
        v = nf.Variable(p, requires_grad=True)
        y = nf.categorical_cross_entropy(v, t)
        return y.data, nf.grad(y, [v], grad_outputs=[gy])[0].data

    fast = run()
    monkeypatch.setattr(L, "numba_enabled", lambda: False)
    for a, b in zip(fast, run(), strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-6)


@pytest.mark.parametrize("shape", [(0, 4), (4, 0)])
def test_empty_inputs(shape):
    p = np.full(shape, 0.25, np.float32)
    v = nf.Variable(p, requires_grad=True)
    y = nf.categorical_cross_entropy(v, p)
    np.testing.assert_array_equal(y.data, np.zeros(shape[0], np.float32))
    (g,) = nf.grad(y, [v], grad_outputs=[np.ones(shape[0], np.float32)])
    assert g.shape == shape
