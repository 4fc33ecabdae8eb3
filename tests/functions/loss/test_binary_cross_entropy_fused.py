"""binary_cross_entropy on probabilities as one fused Function: kernels, gradient, second order.

The float64 references are written here from the formula (clip, floor at the smallest normal
number, the clip's gradient 1 inside with the bounds, 0 outside), never from nnfunc.
"""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import logistic as L

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")


def _ref(x, t, gy, eps, dt):
    x, t, gy = (np.asarray(a, np.float64) for a in (x, t, gy))
    lo = -np.inf if eps is None else float(np.asarray(eps, dt))
    hi = np.inf if eps is None else float(np.asarray(1 - eps, dt))
    tiny = float(np.finfo(dt).tiny)
    p = np.clip(x, lo, hi)
    q = 1 - p
    loss = -(t * np.log(np.maximum(p, tiny)) + (1 - t) * np.log(np.maximum(q, tiny)))
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.where(p < tiny, 0, 1 / p)
        r2 = np.where(q < tiny, 0, 1 / q)
    inside = (x >= lo) & (x <= hi)
    g = np.where(inside, gy * (-t * r1 + (1 - t) * r2), 0)
    # The two terms cancel where t is close to p: float32 rounds each term, not their sum.
    scale = np.where(inside, np.abs(gy) * (t * r1 + (1 - t) * r2), 0)
    return loss, g, scale


def _data(rng, n, dtype):
    x = rng.uniform(0, 1, n)
    x[:8] = [0.0, 1.0, 1e-9, 1 - 1e-9, 1e-7, 0.5, 1e-30, 0.999]
    return x.astype(dtype), rng.uniform(0, 1, n).astype(dtype), rng.normal(0, 1, n).astype(dtype)


@needs_numba
@pytest.mark.parametrize("eps", [1e-7, None, 0.1])
def test_kernels_agree_with_float64(eps):
    rng = np.random.default_rng(0)
    x, t, gy = _data(rng, 300_001, np.float32)
    ref_loss, ref_g, scale = _ref(x, t, gy, eps, np.float32)
    lo = -np.inf if eps is None else float(np.float32(eps))
    hi = np.inf if eps is None else float(np.float32(1 - eps))
    tiny = float(np.finfo(np.float32).tiny)
    for fwd, bwd in ((L.bce_numba, L.bce_grad_numba), (L.bce_numpy, L.bce_grad_numpy)):
        loss = fwd(x, t, lo, hi, tiny, 3) if fwd is L.bce_numba else fwd(x, t, lo, hi, tiny)
        np.testing.assert_allclose(loss, ref_loss, rtol=2e-6, atol=1e-6)
        g = bwd(x, t, gy, lo, hi, tiny)
        assert (np.abs(g - ref_g) <= 4e-7 * scale).all()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("eps", [1e-7, None])
def test_loss_and_vjp_match_float64(dtype, eps):
    rng = np.random.default_rng(1)
    x, t, gy = _data(rng, 5000, dtype)
    v = nf.Variable(x, requires_grad=True)
    y = nf.binary_cross_entropy(v, t, eps=eps)
    (g,) = nf.grad(y, [v], grad_outputs=[gy])
    ref_loss, ref_g, scale = _ref(x, t, gy, eps, np.dtype(dtype))
    assert y.dtype == g.dtype == np.dtype(dtype)
    tol = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-12}[dtype]
    with np.errstate(over="ignore"):  # float16: 1/tiny-sized terms overflow like the reference
        np.testing.assert_allclose(y.data, ref_loss.astype(dtype), rtol=tol, atol=tol)
        err = np.abs(g.data.astype(np.float64) - ref_g)
        assert (err <= tol * np.maximum(scale, np.abs(ref_g))).all()


def test_target_gradient_and_second_order():
    rng = np.random.default_rng(2)
    x = rng.uniform(0.05, 0.95, 40)
    t = rng.uniform(0, 1, 40)
    gy = rng.normal(0, 1, 40)
    w = rng.normal(0, 1, 40)
    vx, vt = nf.Variable(x, requires_grad=True), nf.Variable(t, requires_grad=True)
    y = nf.binary_cross_entropy(vx, vt)
    gx, gt = nf.grad(y, [vx, vt], grad_outputs=[gy], create_graph=True)
    np.testing.assert_allclose(gt.data, gy * (np.log(1 - x) - np.log(x)), rtol=1e-12)
    # d/dx <gx, w> = w gy (t / x^2 + (1 - t) / (1 - x)^2); d/dt <gx, w> = -w gy (1/x + 1/(1-x))
    hx, ht = nf.grad(nf.sum(gx * w), [vx, vt])
    np.testing.assert_allclose(hx.data, w * gy * (t / x**2 + (1 - t) / (1 - x) ** 2), rtol=1e-12)
    np.testing.assert_allclose(ht.data, -w * gy * (1 / x + 1 / (1 - x)), rtol=1e-12)


def test_numba_and_numpy_twin_give_the_same_loss_and_gradient(monkeypatch):
    rng = np.random.default_rng(3)
    x, t, gy = _data(rng, 1 << 18, np.float32)

    def run():
        v = nf.Variable(x, requires_grad=True)
        y = nf.binary_cross_entropy(v, t)
        return y.data, nf.grad(y, [v], grad_outputs=[gy])[0].data

    fast = run()
    monkeypatch.setattr(L, "numba_enabled", lambda: False)
    for a, b in zip(fast, run(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape", [(0,), (0, 3), ()])
def test_empty_and_0d_inputs(shape):
    x = np.full(shape, 0.25, np.float32)
    v = nf.Variable(x, requires_grad=True)
    y = nf.binary_cross_entropy(v, x)
    (g,) = nf.grad(y, [v], grad_outputs=[np.ones(shape, np.float32)])
    assert y.shape == g.shape == shape
