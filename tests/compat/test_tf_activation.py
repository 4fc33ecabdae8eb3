import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import tf
from nnfunc.testing import assert_raises_both_modes

from ._signatures import our_params, python_params, rows

ROWS = rows("tf-nn")


def _fn(row):
    name = row["signature"].split("(")[0]
    return tf.nn if name.startswith("tf.nn.") else tf, name.split(".")[-1]


@pytest.mark.parametrize("row", ROWS, ids=[r["name_in_seed"] for r in ROWS])
def test_signature_matches_the_page(row):
    mod, name = _fn(row)
    # TF's trailing `name=None` is a positional parameter here too; our_params leaves it out
    page = [p for p in python_params(row["signature"]) if p[0] != "name"]
    assert our_params(getattr(mod, name)) == page
    assert list(__import__("inspect").signature(getattr(mod, name)).parameters)[-1] == "name"


def test_values():
    x = np.array([[-2.0, 0.5, 7.0]], np.float32)
    np.testing.assert_array_equal(tf.nn.relu6(x), [[0, 0.5, 6]])
    np.testing.assert_array_equal(tf.nn.crelu(x), [[0, 0.5, 7, 2, 0, 0]])
    assert tf.nn.crelu(np.ones((2, 3, 4))).shape == (2, 3, 8)
    np.testing.assert_allclose(tf.nn.elu(x), [[np.expm1(-2.0), 0.5, 7.0]], rtol=1e-6)
    np.testing.assert_allclose(tf.nn.softplus(x), np.log1p(np.exp(x.astype(np.float64))), 1e-6)
    np.testing.assert_allclose(tf.nn.softsign(x), x / (1 + np.abs(x)), rtol=1e-6)
    np.testing.assert_allclose(tf.sigmoid(x), 1 / (1 + np.exp(-x.astype(np.float64))), 1e-6)
    np.testing.assert_allclose(tf.tanh(x), np.tanh(x), rtol=1e-6)
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max())
    np.testing.assert_allclose(tf.nn.softmax(x), e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(tf.nn.log_softmax(x), np.log(e / e.sum()), rtol=1e-6)
    np.testing.assert_allclose(tf.nn.softmax(x.T, dim=0), (e / e.sum()).T, rtol=1e-6)
    assert tf.nn.relu6(np.array([9], np.int32)).dtype == np.int32


def test_bias_add_formats():
    v = np.zeros((2, 3, 4, 5))
    b5, b3 = np.arange(5.0), np.arange(3.0)
    np.testing.assert_array_equal(tf.nn.bias_add(v, b5), v + b5)
    np.testing.assert_array_equal(tf.nn.bias_add(v, b5, data_format="NHWC"), v + b5)
    np.testing.assert_array_equal(tf.nn.bias_add(v, b3, data_format="NCHW"), v + b3[:, None, None])
    with pytest.raises(nf.ArgumentError):
        tf.nn.bias_add(v, b5, data_format="NWHC")


def test_dropout_keep_prob_and_noise_shape():
    x = np.ones((4, 3, 2, 5))
    y = tf.nn.dropout(x, 0.5, noise_shape=[4, 1, 1, 5], seed=3)
    assert set(np.unique(y)) <= {0.0, 2.0}
    # size-1 noise dims share one decision
    assert np.all(y == y[:, :1, :1, :])
    np.testing.assert_array_equal(y, tf.nn.dropout(x, 0.5, noise_shape=[4, 1, 1, 5], seed=3))
    np.testing.assert_array_equal(tf.nn.dropout(x, 1.0), x)


@pytest.mark.parametrize("keep", [0.0, 1.5, -0.2])
def test_dropout_keep_prob_out_of_range_is_a_value_error(keep):
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"dropout: `keep_prob` must be in (0, 1]; received keep_prob={float(keep)!r}."
        ),
    ):
        tf.nn.dropout(np.ones(3), keep)


BAD = [
    (
        tf.nn.bias_add,
        (np.ones((2, 3)), np.ones((3, 1))),
        {},
        nf.ShapeError,
        "bias_add: `bias` must have rank 1; received bias.shape=(3, 1).",
    ),
    (
        tf.nn.bias_add,
        (np.ones((2, 3, 4)), np.ones(3)),
        {},
        nf.ShapeError,
        "bias_add: `bias` must have the size of the last dimension of `value`; received "
        "bias.shape=(3,), value.shape=(2, 3, 4), data_format='NHWC'.",
    ),
    (
        tf.nn.bias_add,
        (np.ones((2, 3, 4)), np.ones(4)),
        {"data_format": "NCHW"},
        nf.ShapeError,
        "bias_add: `bias` must have the size of the channel dimension 1 of `value`; received "
        "bias.shape=(4,), value.shape=(2, 3, 4), data_format='NCHW'.",
    ),
    (
        tf.nn.bias_add,
        (np.ones((2, 3)), np.ones(3)),
        {"data_format": "NWHC"},
        nf.ArgumentError,
        "bias_add: `data_format` must be one of 'NHWC', 'NCHW'; received data_format='NWHC'.",
    ),
    (
        tf.nn.bias_add,
        (np.ones((2, 3)), np.ones(3, np.float32)),
        {},
        nf.DTypeError,
        "bias_add: `value` and `bias` must have the same dtype; received value.dtype=float64, "
        "bias.dtype=float32.",
    ),
    (
        tf.nn.softmax,
        (np.array(1.0),),
        {},
        nf.ShapeError,
        "softmax: `logits` must have rank >= 1; received logits.shape=().",
    ),
    (
        tf.nn.softmax,
        (np.ones((2, 3)),),
        {"dim": 2},
        nf.ShapeError,
        "softmax: `dim` must be in [-2, 2) for an input of rank 2; received dim=2.",
    ),
    (
        tf.nn.log_softmax,
        (np.ones(3),),
        {"dim": -2},
        nf.ShapeError,
        "log_softmax: `dim` must be in [-1, 1) for an input of rank 1; received dim=-2.",
    ),
    (
        tf.nn.dropout,
        (np.ones((3, 4)), 0.5),
        {"noise_shape": [3, 2]},
        nf.ShapeError,
        "dropout: `noise_shape` must broadcast to the shape of `x` (each entry 1 or the size "
        "of x); received noise_shape=(3, 2), x.shape=(3, 4).",
    ),
    (
        tf.nn.dropout,
        (np.ones((3, 4)), 0.5),
        {"noise_shape": [1, 3, 4]},
        nf.ShapeError,
        "dropout: `noise_shape` must broadcast to the shape of `x` (each entry 1 or the size "
        "of x); received noise_shape=(1, 3, 4), x.shape=(3, 4).",
    ),
]


@pytest.mark.parametrize("fn, inputs, kwargs, exc, message", BAD, ids=[b[-1][:40] for b in BAD])
def test_bad_input(fn, inputs, kwargs, exc, message):
    assert_raises_both_modes(fn, inputs, kwargs, exc, message)


def test_dropout_noise_shape_broadcasting_as_documented():
    """Only dimensions with noise_shape[i] == shape(x)[i] decide independently; size-1 noise
    dimensions share one decision; a shorter noise_shape aligns with the last dimensions."""
    k, rows_, m, n = 6, 3, 4, 5
    x = np.arange(1.0, k * rows_ * m * n + 1).reshape(k, rows_, m, n)
    y = tf.nn.dropout(x, 0.5, noise_shape=[k, 1, 1, n], seed=11)
    keep = y != 0
    np.testing.assert_array_equal(keep, np.broadcast_to(keep[:, :1, :1, :], x.shape))
    # the k*n decisions are not all equal (independent along the batch and channel axes)
    assert 0 < keep[:, 0, 0, :].mean() < 1
    np.testing.assert_allclose(y[keep], x[keep] / 0.5)
    y = tf.nn.dropout(x, 0.5, noise_shape=[m, 1], seed=11)  # right-aligned: (1, 1, m, 1)
    keep = y != 0
    np.testing.assert_array_equal(keep, np.broadcast_to(keep[:1, :1, :, :1], x.shape))


def test_dropout_seed_gives_the_same_mask_in_graph_runs_and_gradient_uses_it():
    x = np.arange(1.0, 61.0).reshape(6, 10)
    eager = tf.nn.dropout(x, 0.4, seed=5)
    g = nf.Graph()
    p = g.placeholder("x", (None, 10), np.float64)
    y = tf.nn.dropout(p, 0.4, seed=5, name="drop")
    (gx,) = g.grad(nf.sum(y), [p])
    first, grad = g.run([y, gx], {"x": x})
    np.testing.assert_array_equal(first, eager)
    np.testing.assert_array_equal(g.run(y, {"x": x}), eager)
    np.testing.assert_array_equal(grad, (eager != 0) / 0.4)
    v = nf.Variable(x, requires_grad=True)
    nf.sum(tf.nn.dropout(v, 0.4, seed=5)).backward()
    np.testing.assert_array_equal(v.grad, (eager != 0) / 0.4)


def test_dropout_keep_prob_as_a_0d_array():
    np.testing.assert_array_equal(
        tf.nn.dropout(np.ones(8), np.array(0.5), seed=2), tf.nn.dropout(np.ones(8), 0.5, seed=2)
    )


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
    (tf.nn.relu, (_X,), {}),
    (tf.nn.relu6, (_X,), {}),
    (tf.nn.crelu, (_X,), {}),
    (tf.nn.elu, (_X,), {}),
    (tf.nn.softplus, (_X,), {}),
    (tf.nn.softsign, (_X,), {}),
    (tf.nn.softmax, (_X,), {"dim": 1}),
    (tf.nn.log_softmax, (_X,), {}),
    (tf.nn.bias_add, (_X, np.arange(3.0)), {"data_format": "NCHW"}),
    (tf.nn.bias_add, (_X, np.arange(4.0)), {}),
    (tf.nn.dropout, (_X, 0.5), {"noise_shape": [2, 1, 4], "seed": 1}),
    (tf.sigmoid, (_X,), {}),
    (tf.tanh, (_X,), {}),
]


@pytest.mark.parametrize("fn, args, kwargs", GRAPH_CASES)
def test_graph_mode_matches_eager(fn, args, kwargs):
    _graph_equals_eager(fn, args, kwargs)


def test_dropout_keep_prob_placeholder_idiom():
    """TF 1's ``keep_prob = tf.placeholder(tf.float32)``, fed 0.5 in training, 1.0 at test."""
    x = np.arange(1.0, 31.0, dtype=np.float32).reshape(3, 10)
    g = nf.Graph()
    p = g.placeholder("x", (None, 10))
    keep_prob = g.placeholder("keep_prob", ())
    y = tf.nn.dropout(p, keep_prob, seed=4, name="drop")
    np.testing.assert_array_equal(g.run(y, {"x": x, "keep_prob": np.float32(1.0)}), x)
    np.testing.assert_array_equal(
        g.run(y, {"x": x, "keep_prob": np.float32(0.5)}), tf.nn.dropout(x, 0.5, seed=4)
    )
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape("dropout (node 'drop'): `rate` must be in [0, 1); received rate=1.0."),
    ):
        g.run(y, {"x": x, "keep_prob": np.float32(0.0)})
    assert_raises_both_modes(
        tf.nn.dropout,
        (np.ones(3), np.array([0.5, 0.5])),
        {},
        nf.ShapeError,
        "dropout: `keep_prob` must be a scalar tensor (0-d); received keep_prob.shape=(2,).",
    )


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_empty_class_axis_is_an_argument_error(fn):
    """TF raises InvalidArgumentError for logits without classes; an empty batch is fine."""
    assert_raises_both_modes(
        getattr(tf.nn, fn),
        (np.zeros((2, 0), np.float32),),
        {},
        nf.ArgumentError,
        f"{fn}: `logits` must have at least one class along `dim` -1; "
        "received logits.shape=(2, 0).",
    )
    assert_raises_both_modes(
        getattr(tf.nn, fn),
        (np.zeros((0, 2), np.float32),),
        {"dim": 0},
        nf.ArgumentError,
        f"{fn}: `logits` must have at least one class along `dim` 0",
    )
    assert getattr(tf.nn, fn)(np.zeros((0, 3), np.float32)).shape == (0, 3)
