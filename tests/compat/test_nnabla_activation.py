import math

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as F

from ._signatures import our_params, python_params, rows

ROWS = [r for r in rows("nnabla") if r["name_in_seed"] != "relu"]  # relu: another part


@pytest.mark.parametrize("row", ROWS, ids=[r["name_in_seed"] for r in ROWS])
def test_signature_matches_the_page(row):
    assert our_params(getattr(F, row["name_in_seed"])) == python_params(row["signature"])


def test_one_hot_page_example():
    labels = np.array([[9], [4], [5], [1], [0]])
    y = F.one_hot(labels, shape=(10,))
    assert y.shape == (5, 10) and y.dtype == np.float32
    np.testing.assert_array_equal(y, np.eye(10)[[9, 4, 5, 1, 0]])
    labels = np.array([[1, 7], [4, 7], [8, 6], [5, 0], [2, 6]])
    y = F.one_hot(labels, shape=(10, 8))
    assert y.shape == (5, 10, 8)
    ref = np.zeros((5, 10, 8), np.float32)
    for r, (i, j) in enumerate(labels):
        ref[r, i, j] = 1
    np.testing.assert_array_equal(y, ref)
    # the rows printed on the page
    assert y[0, 1, 7] == 1 and y[1, 4, 7] == 1 and y[2, 8, 6] == 1


def test_defaults_and_values():
    x = np.array([[-2.0, 0.5], [1.0, -0.25]])
    np.testing.assert_allclose(F.leaky_relu(x), np.where(x >= 0, x, 0.1 * x))
    np.testing.assert_allclose(F.elu(x), np.where(x > 0, x, np.expm1(x)))
    np.testing.assert_allclose(
        F.selu(x), 1.05070098735548 * np.where(x > 0, x, 1.673263242354377 * np.expm1(x))
    )
    np.testing.assert_allclose(
        F.gelu(x), 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    )
    np.testing.assert_allclose(F.hard_sigmoid(x), np.clip(0.2 * x + 0.5, 0, 1))
    np.testing.assert_allclose(F.hard_tanh(x), np.clip(x, -1, 1))
    np.testing.assert_allclose(F.swish(x), x / (1 + np.exp(-x)))
    np.testing.assert_allclose(F.tanh_shrink(x), x - np.tanh(x))
    np.testing.assert_allclose(F.sinc(x), np.sin(x) / x)
    np.testing.assert_allclose(F.relu6(x), np.clip(x, 0, 6))
    np.testing.assert_allclose(F.log_sigmoid(x), -np.log1p(np.exp(-x)))
    np.testing.assert_allclose(F.softplus(x), np.log1p(np.exp(x)))
    np.testing.assert_allclose(F.softsign(x), x / (1 + np.abs(x)))
    np.testing.assert_allclose(F.sigmoid(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(F.tanh(x), np.tanh(x))
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(F.softmax(x), e / e.sum(1, keepdims=True))
    np.testing.assert_allclose(F.log_softmax(x, axis=1), np.log(e / e.sum(1, keepdims=True)))
    np.testing.assert_array_equal(F.unlink(x), x)


def test_channel_axis_defaults():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    np.testing.assert_allclose(
        F.crelu(x), np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], axis=1)
    )
    elu = lambda v: np.where(v > 0, v, np.expm1(v))  # noqa: E731
    np.testing.assert_allclose(F.celu(x), np.concatenate([elu(x), elu(-x)], axis=1))
    w = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(F.prelu(x, w), np.where(x >= 0, x, w[:, None] * x))
    np.testing.assert_allclose(F.prelu(x, np.array(0.2)), np.where(x >= 0, x, 0.2 * x))
    np.testing.assert_allclose(
        F.prelu(x, np.arange(1.0, 5.0), base_axis=2), np.where(x >= 0, x, np.arange(1, 5) * x)
    )


def test_affine_base_axis_and_multi_dim_outputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    w = rng.standard_normal((12, 2, 5))
    b = rng.standard_normal((2, 5))
    y = F.affine(x, w, b)
    assert y.shape == (2, 2, 5)
    np.testing.assert_allclose(y, np.einsum("ni,ijk->njk", x.reshape(2, 12), w) + b)
    w2 = rng.standard_normal((4, 6))
    np.testing.assert_allclose(F.affine(x, w2, base_axis=2), x @ w2)
    g = nf.Graph()
    p = g.placeholder("x", (None, 3, 4), np.float64)
    out = F.affine(p, w, b, name="fc")
    np.testing.assert_allclose(g.run(out, {"x": x}), y)


def test_clipping_and_gradient_controls():
    x = np.array([[-2.0, 0.5, 3.0]])
    np.testing.assert_array_equal(F.clip_by_value(x, -1.0, 1.0), np.clip(x, -1, 1))
    np.testing.assert_allclose(F.clip_by_norm(x, 1.0), x / np.linalg.norm(x))
    v = nf.Variable(x, requires_grad=True)
    nf.sum(F.clip_grad_by_norm(v) * np.array([[3.0, 0.0, 4.0]])).backward()
    np.testing.assert_allclose(v.grad, [[0.6, 0.0, 0.8]])
    v = nf.Variable(x, requires_grad=True)
    lo, hi = np.full_like(x, -1.0), np.full_like(x, 1.0)
    nf.sum(F.clip_grad_by_value(v, lo, hi) * np.array([[3.0, 0.2, -4.0]])).backward()
    np.testing.assert_allclose(v.grad, [[1.0, 0.2, -1.0]])
    v = nf.Variable(x, requires_grad=True)
    nf.sum(F.top_k_grad(v, 1, abs=True) * np.array([[3.0, 0.2, -4.0]])).backward()
    np.testing.assert_allclose(v.grad, [[0.0, 0.0, -4.0]])


def test_dropout_drop_probability():
    x = np.ones((100, 100))
    y = F.dropout(x, 0.3, seed=5)
    assert set(np.unique(y)) <= {0.0, 1 / 0.7}
    assert 0.25 < (y == 0).mean() < 0.35
    np.testing.assert_array_equal(y, F.dropout(x, 0.3, seed=5))
    assert not np.array_equal(F.dropout(x), F.dropout(x))  # seed=-1: fresh masks
    with pytest.raises(nf.ArgumentError, match=r"dropout: `p` must be in \[0, 1\)"):
        F.dropout(x, 1.0)
