"""Logistic loss on logits (sigmoid_cross_entropy_with_logits) kernels: numba, NumPy, float64."""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import logistic as L

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")


def _case(n=200_003):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(n) * 8).astype(np.float32)
    z = rng.uniform(0, 1, n).astype(np.float32)
    gy = rng.standard_normal(n).astype(np.float32)
    # The limits at infinite logits, both tails of the sigmoid, 0 and NaN.
    x[:10] = [np.inf, -np.inf, np.inf, -np.inf, 30, -30, 90, -90, 0, np.nan]
    z[:10] = [1, 0, 0, 1, 1, 0, 1, 0, 0.5, 0.5]
    return x, z, gy


def _ref(x, z, gy):
    x, z, gy = (a.astype(np.float64) for a in (x, z, gy))
    c = np.where(x >= 0, 1 - z, z)
    with np.errstate(invalid="ignore", over="ignore"):
        loss = np.where(c == 0, 0, c * np.abs(x)) + np.log1p(np.exp(-np.abs(x)))
        s, sn = 1 / (1 + np.exp(-x)), 1 / (1 + np.exp(x))
    return loss, gy * ((1 - z) * s - z * sn), np.abs(gy) * ((1 - z) * s + z * sn)


@needs_numba
def test_kernels_agree_with_float64():
    x, z, gy = _case()
    loss_ref, g_ref, scale = _ref(x, z, gy)
    for fwd, bwd in (
        (L.sigmoid_xent_numba, L.sigmoid_xent_grad_numba),
        (L.sigmoid_xent_numpy, L.sigmoid_xent_grad_numpy),
    ):
        with np.errstate(invalid="ignore"):
            loss = fwd(x, z)
            g = bwd(x, z, gy)
        # Relative accuracy also where the loss is tiny (x = 30, z = 1: exp(-30)).
        np.testing.assert_allclose(loss, loss_ref, rtol=1e-6, atol=0)
        assert np.isnan(g[9]) and np.isnan(loss[9])
        ok = ~np.isnan(g_ref)
        # float32 denormals (x = +-90: sigmoid(-90) ~ 8e-40) have an absolute precision only.
        assert (np.abs(g[ok] - g_ref[ok]) <= 3e-7 * scale[ok] + 1e-44 * np.abs(gy[ok])).all()
        assert loss[0] == loss[1] == 0 and loss[2] == loss[3] == np.inf


@needs_numba
def test_threads_do_not_change_the_result():
    x, z, gy = _case()
    np.testing.assert_array_equal(
        L.sigmoid_xent_numba(x, z, threads=1), L.sigmoid_xent_numba(x, z, threads=3)
    )
    np.testing.assert_array_equal(
        L.sigmoid_xent_grad_numba(x, z, gy, threads=1),
        L.sigmoid_xent_grad_numba(x, z, gy, threads=3),
    )


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_function_loss_and_vjp_match_float64(dtype, monkeypatch):
    x, z, gy = (a[:5000].astype(dtype) for a in _case())
    loss_ref, g_ref, scale = _ref(x, z, gy)
    tol = {"float16": 2e-3, "float32": 1e-6, "float64": 1e-13}[dtype]
    results = []
    for numba_on in (True, False):
        if not numba_on:
            monkeypatch.setattr(L, "numba_enabled", lambda: False)
        v = nf.Variable(x, requires_grad=True)
        y = nf.sigmoid_cross_entropy_with_logits(v, z)
        (g,) = nf.grad(y, [v], grad_outputs=[gy])
        assert y.dtype == g.dtype == np.dtype(dtype)
        fin = np.isfinite(loss_ref)
        np.testing.assert_allclose(
            y.data[fin], loss_ref[fin], rtol=tol, atol=tol if dtype == "float16" else 0
        )
        ok = ~np.isnan(g_ref)
        err = np.abs(g.data[ok].astype(np.float64) - g_ref[ok])
        tiny = {"float16": 6e-8, "float32": 1e-44, "float64": 0}[dtype]  # denormal steps
        assert (err <= tol * scale[ok] + tiny * np.abs(gy[ok].astype(np.float64))).all()
        results.append(g.data)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-7)
