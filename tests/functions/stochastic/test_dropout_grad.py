"""Dropout's fused backward (``gy * mask`` in one pass) and its mask kernel, against NumPy."""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.kernels.cpu import dropout as D


def _mask_ref(seed, shape, rate, dtype):
    # The documented draw: float64 uniforms from the seed's generator, kept where u >= rate.
    u = nf.random.generator(seed).random(shape)
    return np.where(u >= rate, 1.0 / (1.0 - rate), 0.0).astype(dtype)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("shape", [(3, 1 << 17), (5, 7), (0, 4)])
def test_forward_and_vjp_use_the_documented_mask(dtype, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    m = _mask_ref(11, shape, 0.3, dtype)
    v = nf.Variable(x, requires_grad=True)
    y = nf.dropout(v, 0.3, seed=11)
    np.testing.assert_array_equal(y.data, x * m)
    (g,) = nf.grad(y, [v], grad_outputs=[gy])
    assert g.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(g.data, gy * m)


def test_noise_shape_mask_broadcasts_in_the_gradient():
    x = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    gy = np.ones_like(x)
    v = nf.Variable(x, requires_grad=True)
    (g,) = nf.grad(nf.dropout(v, 0.5, noise_shape=(4, 1), seed=3), [v], grad_outputs=[gy])
    np.testing.assert_array_equal(g.data, np.broadcast_to(_mask_ref(3, (4, 1), 0.5, "f4"), x.shape))


def test_double_backward_differentiates_the_output_gradient():
    # g = gy * mask is linear in gy: d<g, c>/d gy = c * mask, and nothing flows to x.
    rng = np.random.default_rng(2)
    x = rng.standard_normal((50, 60))
    c = rng.standard_normal(x.shape)
    v = nf.Variable(x, requires_grad=True)
    gy = nf.Variable(rng.standard_normal(x.shape), requires_grad=True)
    (g,) = nf.grad(nf.dropout(v, 0.4, seed=5), [v], grad_outputs=[gy], create_graph=True)
    (ggy,) = nf.grad(nf.sum(g * c), [gy])
    np.testing.assert_array_equal(ggy.data, c * _mask_ref(5, x.shape, 0.4, "f8"))


def test_numba_and_numpy_twin_give_the_same_dropout(monkeypatch):
    x = np.random.default_rng(3).standard_normal((4, 1 << 17)).astype(np.float32)
    fast = nf.dropout(x, 0.25, seed=9)
    monkeypatch.setattr(D, "numba_enabled", lambda: False)
    np.testing.assert_array_equal(nf.dropout(x, 0.25, seed=9), fast)
