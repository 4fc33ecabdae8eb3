import math
import re

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as F
from nnfunc.testing import assert_raises_both_modes

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


def test_clip_grad_by_value_page_example():
    """The page's example: min/max broadcast from (1, 1, 1, 1) to (16, 3, 32, 32) (the page's
    lost minus sign restored: min = -1), then a layer on top."""
    rng = np.random.default_rng(0)
    x = nf.Variable(rng.standard_normal((16, 3, 32, 32)), requires_grad=True)
    lo = np.broadcast_to(np.asarray([-1.0]).reshape((1, 1, 1, 1)), (16, 3, 32, 32))
    hi = np.broadcast_to(np.asarray([1.0]).reshape((1, 1, 1, 1)), (16, 3, 32, 32))
    c = F.clip_grad_by_value(x, min=lo, max=hi)
    np.testing.assert_array_equal(c.data, x.data)  # identity forward
    w = 3 * rng.standard_normal((16, 3, 32, 32))
    nf.sum(c * w).backward()
    np.testing.assert_array_equal(x.grad, np.clip(w, -1.0, 1.0))


def test_clip_grad_by_norm_page_example():
    """``F.clip_grad_by_norm(x, axes=(1,))``: the gradient over the feature axis gets norm
    clip_norm (None: 1.0), larger or smaller."""
    rng = np.random.default_rng(1)
    x = nf.Variable(rng.standard_normal((16, 3, 32, 32)), requires_grad=True)
    c = F.clip_grad_by_norm(x, axes=(1,))
    w = rng.standard_normal((16, 3, 32, 32)) * rng.choice([1e-3, 1e3], (16, 1, 32, 32))
    nf.sum(c * w).backward()
    np.testing.assert_allclose(np.linalg.norm(x.grad, axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(x.grad, w / np.linalg.norm(w, axis=1, keepdims=True))


def test_dropout_page_usage_and_graph_runs():
    """``h = PF.affine(x, num_hidden); if train: h = F.dropout(h, 0.5)``, with a seed: the same
    mask at every call and every run of the graph; the gradient goes through that mask."""
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((4, 6)), rng.standard_normal((6, 8))
    h = F.affine(x, w)
    y = F.dropout(h, 0.5, seed=9)
    keep = y != 0
    np.testing.assert_allclose(y[keep], 2 * h[keep])
    np.testing.assert_array_equal(y, F.dropout(h, 0.5, seed=9))
    g = nf.Graph()
    p = g.placeholder("x", (None, 6), np.float64)
    out = F.dropout(F.affine(p, w), 0.5, seed=9, name="drop")
    (gx,) = g.grad(nf.sum(out), [p])
    first, grad = g.run([out, gx], {"x": x})
    np.testing.assert_allclose(first, y, rtol=1e-15)
    np.testing.assert_array_equal(g.run(out, {"x": x}), first)
    np.testing.assert_allclose(grad, (keep / 0.5) @ w.T, rtol=1e-12)


def test_prelu_single_slope_of_any_size_one_shape():
    x = np.array([[-1.0, 2.0], [-3.0, 4.0]])
    for w in (np.array([0.5]), np.array([[0.5]])):
        np.testing.assert_allclose(F.prelu(x, w), np.where(x >= 0, x, 0.5 * x))


BAD = [
    (
        F.prelu,
        (np.ones((2, 3, 4)), np.ones(4)),
        {},
        nf.ShapeError,
        "prelu: `x1` must have size 1 or the shape (x0.shape[base_axis],); received "
        "x1.shape=(4,), x0.shape=(2, 3, 4), base_axis=1.",
    ),
    (
        F.prelu,
        (np.ones((2, 3, 4)), np.ones((3, 4))),
        {},
        nf.ShapeError,
        "prelu: `x1` must have size 1 or the shape (x0.shape[base_axis],); received "
        "x1.shape=(3, 4), x0.shape=(2, 3, 4), base_axis=1.",
    ),
    (
        F.prelu,
        (np.ones((2, 3)), np.ones(3)),
        {"base_axis": 2},
        nf.ShapeError,
        "prelu: `base_axis` must be in [-2, 2) for an input of rank 2; received base_axis=2.",
    ),
    (
        F.affine,
        (np.ones((2, 3, 4)), np.ones((5, 2))),
        {},
        nf.ShapeError,
        "linear: `weight` must have as many rows (nIn) as `x` has features (the product of its "
        "axes from base_axis on); received weight.shape=(5, 2), x.shape=(2, 3, 4), "
        "base_axis=1.",
    ),
    (
        F.affine,
        (np.ones((2, 3)), np.ones((3, 2)), np.ones(3)),
        {},
        nf.ShapeError,
        "linear: `bias` must have the shape weight.shape[1:]; received bias.shape=(3,), "
        "weight.shape=(3, 2).",
    ),
    (
        F.one_hot,
        (np.array([[1, 2]]),),
        {"shape": (3,)},
        nf.ShapeError,
        "one_hot: `x` must have a last axis of length 1 (one index per one-hot axis); "
        "received x.shape=(1, 2), num_classes=(3,).",
    ),
    (
        F.one_hot,
        (np.array([[1.0]]),),
        {"shape": (3,)},
        nf.DTypeError,
        "one_hot: `x` must have an integer dtype; received x.dtype=float64.",
    ),
    (
        F.clip_by_value,
        (np.ones(3),),
        {"min": 1.0, "max": -1.0},
        nf.ArgumentError,
        "clip_by_value: `min` must be <= `max`; received min=1.0, max=-1.0.",
    ),
    (
        F.top_k_grad,
        (np.ones((2, 3)),),
        {"k": 4},
        nf.ArgumentError,
        "top_k_grad: `k` must be <= the number of elements per sample; received k=4, "
        "x.shape=(2, 3), base_axis=1.",
    ),
]


@pytest.mark.parametrize("fn, inputs, kwargs, exc, message", BAD, ids=[b[-1][:40] for b in BAD])
def test_bad_input(fn, inputs, kwargs, exc, message):
    assert_raises_both_modes(fn, inputs, kwargs, exc, message)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: F.one_hot(np.array([[1]]), (0,)),
            nf.ArgumentError,
            "one_hot: `shape` must be a non-empty tuple of positive ints; received shape=(0,).",
        ),
        (
            lambda: F.one_hot(np.array([[1]]), ()),
            nf.ArgumentError,
            "one_hot: `shape` must be a non-empty tuple of positive ints; received shape=().",
        ),
        (
            lambda: F.one_hot(np.array([[3]]), (3,)),
            nf.ArgumentError,
            "one_hot: `x` must hold indices below num_classes=(3,) (and >= 0); received x[0]=(3,).",
        ),
        (
            lambda: F.dropout(np.ones(3), -0.5),
            nf.ArgumentError,
            "dropout: `p` must be in [0, 1); received p=-0.5.",
        ),
        (
            lambda: F.clip_by_norm(np.ones(3), -1.0),
            nf.ArgumentError,
            "clip_by_norm: `clip_norm` must be in (0, inf); received clip_norm=-1.0.",
        ),
        (
            lambda: F.clip_grad_by_norm(np.ones(3), 0.0),
            nf.ArgumentError,
            "clip_grad_by_norm: `clip_norm` must be in (0, inf); received clip_norm=0.0.",
        ),
    ],
)
def test_bad_arguments(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


def _graph_equals_eager(fn, args, kwargs):
    """Graph mode (unknown leading dimension of the first input, named node) equals eager."""
    eager = fn(*args, **kwargs)
    g = nf.Graph()
    sargs, feeds = [], {}
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray) and a.ndim > 0:
            shape = (None, *a.shape[1:]) if i == 0 else a.shape
            sargs.append(g.placeholder(f"in{i}", shape, a.dtype))
            feeds[f"in{i}"] = a
        else:
            sargs.append(a)
    out = fn(*sargs, **kwargs, name="n")
    assert g["n"] is out
    got = g.run(out, feeds)
    assert got.dtype == eager.dtype and got.shape == eager.shape
    np.testing.assert_allclose(got, eager, rtol=1e-12, atol=1e-14)


_X = np.random.default_rng(0).standard_normal((2, 3, 4))
_I = np.array([[0, 2, 1], [1, 1, 0]])

GRAPH_CASES = [
    (F.prelu, (_X, np.array([0.1, 0.2, 0.3])), {}),
    (F.prelu, (_X, np.array([0.3])), {}),
    (F.affine, (_X, np.ones((12, 2, 2)), np.ones((2, 2))), {}),
    (F.crelu, (_X,), {}),
    (F.celu, (_X,), {}),
    (F.softmax, (_X,), {}),
    (F.log_softmax, (_X,), {"axis": 1}),
    (F.one_hot, (_I[..., None], (3,)), {}),
    (F.dropout, (_X,), {"seed": 4}),
    (F.clip_by_value, (_X, -0.5, 0.5), {}),
    (F.clip_by_value, (_X, -np.ones((2, 3, 4)), np.ones((2, 3, 4))), {}),
    (F.clip_by_norm, (_X, 1.0), {"axis": 1}),
    (F.clip_grad_by_value, (_X, -np.ones((2, 3, 4)), np.ones((2, 3, 4))), {}),
    (F.clip_grad_by_norm, (_X,), {}),
    (F.top_k_grad, (_X, 2), {}),
    (F.unlink, (_X,), {}),
    (F.sinc, (_X,), {}),
]


@pytest.mark.parametrize("fn, args, kwargs", GRAPH_CASES)
def test_graph_mode_matches_eager(fn, args, kwargs):
    _graph_equals_eager(fn, args, kwargs)


def test_leaky_relu_alpha_is_named():
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape("leaky_relu: `alpha` must be a real number; received alpha=None."),
    ):
        F.leaky_relu(np.ones(2), None)
