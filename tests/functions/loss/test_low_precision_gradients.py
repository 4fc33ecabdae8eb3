"""Gradients in the inputs' own dtype: float16 and float32 backward passes of every loss.

The harness checks gradients in float64; these run the first and second order in float16 and
float32 and compare with the float64 gradients (float16 gradients of the logistic losses used
to come back as float32, which the engine rejects).
"""

import numpy as np
import pytest

import nnfunc as nf

RNG = np.random.default_rng(0)
X = RNG.uniform(0.1, 0.9, (3, 4))
T = RNG.uniform(0.0, 1.0, (3, 4))
LABELS = np.array([0, 1, 3])

LOSSES = {
    "sigmoid_cross_entropy_with_logits": lambda x, t: nf.sigmoid_cross_entropy_with_logits(x, t),
    "weighted_cross_entropy_with_logits": lambda x, t: nf.weighted_cross_entropy_with_logits(
        x, t, 2.0
    ),
    "binary_cross_entropy": lambda x, t: nf.binary_cross_entropy(x, t),
    "binary_cross_entropy_logits": lambda x, t: nf.binary_cross_entropy(x, t, from_logits=True),
    "softmax_cross_entropy_with_logits": lambda x, t: nf.softmax_cross_entropy_with_logits(x, t),
    "sparse_softmax_cross_entropy_with_logits": lambda x, t: (
        nf.sparse_softmax_cross_entropy_with_logits(x, LABELS)
    ),
    "categorical_cross_entropy": lambda x, t: nf.categorical_cross_entropy(x, t, normalize=True),
    "sparse_categorical_cross_entropy": lambda x, t: nf.sparse_categorical_cross_entropy(
        x, LABELS, normalize=True
    ),
    "l2_loss": lambda x, t: nf.l2_loss(x),
    "log_poisson_loss": lambda x, t: nf.log_poisson_loss(x, 3 * t, compute_full_loss=True),
    "squared_error": nf.squared_error,
    "absolute_error": nf.absolute_error,
    "huber_loss": lambda x, t: nf.huber_loss(x, t, 0.3),
    "epsilon_insensitive_loss": lambda x, t: nf.epsilon_insensitive_loss(x, t, 0.1),
    "kl_multinomial": nf.kl_multinomial,
    "psnr": lambda x, t: nf.psnr(x, t, 1.0),
    "top_k": lambda x, t: nf.top_k(x, 2)[0],
}


def _grads(fn, dtype):
    x = nf.Variable(X.astype(dtype), requires_grad=True)
    y = nf.sum(fn(x, T.astype(dtype)))
    (g,) = nf.grad(y, [x], create_graph=True)
    (gg,) = nf.grad(nf.sum(g * g), [x])
    return y.data, g.data, gg.data


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_gradients_keep_the_input_dtype(loss, dtype):
    y, g, gg = _grads(LOSSES[loss], dtype)
    y64, g64, gg64 = _grads(LOSSES[loss], np.float64)
    assert y.dtype == dtype and g.dtype == dtype and gg.dtype == dtype
    tol = 2e-2 if dtype == np.float16 else 1e-4
    np.testing.assert_allclose(y, y64, rtol=tol, atol=tol)
    np.testing.assert_allclose(g, g64, rtol=tol, atol=tol)
    np.testing.assert_allclose(gg, gg64, rtol=5 * tol, atol=5 * tol)
