import inspect

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import tf
from nnfunc.testing import assert_raises_both_modes


@pytest.mark.parametrize(
    "fn, params",
    [
        (tf.nn.batch_normalization, "x mean variance offset scale variance_epsilon name"),
        (tf.nn.l2_normalize, "x dim epsilon=1e-12 name"),
        (
            tf.nn.local_response_normalization,
            "input depth_radius=None bias=None alpha=None beta=None name",
        ),
        (tf.nn.moments, "x axes shift=None name keep_dims=False"),
        (tf.nn.sufficient_statistics, "x axes shift=None keep_dims=False name"),
        (tf.nn.normalize_moments, "counts mean_ss variance_ss shift name"),
    ],
)
def test_signature(fn, params):
    got = []
    for p in inspect.signature(fn).parameters.values():
        if p.name == "name" or p.default is inspect.Parameter.empty:
            got.append(p.name)
        else:
            got.append(f"{p.name}={p.default!r}")
    assert " ".join(got) == params


def test_batch_normalization_broadcasts_by_rank():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2, 3))
    m, v = tf.nn.moments(x, [0, 1], keep_dims=True)
    assert m.shape == (1, 1, 3)
    y = tf.nn.batch_normalization(x, m, v, None, None, 0.0)
    np.testing.assert_allclose(y.mean((0, 1)), 0, atol=1e-12)
    m1, v1 = tf.nn.moments(x, [0, 1])
    y1 = tf.nn.batch_normalization(x, m1, v1, np.ones(3), np.ones(3), 0.0)
    np.testing.assert_allclose(y1, y + 1, rtol=1e-12, atol=1e-12)
    # layer-style statistics of shape (N, 1, 1) broadcast too
    ml, vl = tf.nn.moments(x, [1, 2], keep_dims=True)
    yl = tf.nn.batch_normalization(x, ml, vl, None, None, 1e-3)
    ref = (x - x.mean((1, 2), keepdims=True)) / np.sqrt(x.var((1, 2), keepdims=True) + 1e-3)
    np.testing.assert_allclose(yl, ref, rtol=1e-12)


def test_l2_normalize_epsilon_on_squared_norm():
    x = np.array([[3.0, 4.0], [1e-7, 0.0]])
    y = tf.nn.l2_normalize(x, 1)
    np.testing.assert_allclose(y[0], [0.6, 0.8])
    np.testing.assert_allclose(y[1], [1e-7 / 1e-6, 0.0])  # divisor sqrt(1e-12)
    np.testing.assert_allclose(tf.nn.l2_normalize(x, [0, 1], epsilon=1.0)[1], [1e-7 / 5, 0])
    np.testing.assert_allclose(tf.nn.l2_normalize(x[1:], 1, epsilon=1.0), [[1e-7, 0]])


def test_lrn_defaults():
    x = np.arange(1.0, 9.0).reshape(1, 1, 1, 8)
    y = tf.nn.local_response_normalization(x)
    ref = np.empty(8)
    for d in range(8):
        s = (x[0, 0, 0, max(0, d - 5) : d + 6] ** 2).sum()
        ref[d] = x[0, 0, 0, d] / (1 + s) ** 0.5
    np.testing.assert_allclose(y[0, 0, 0], ref, rtol=1e-12)
    y2 = tf.nn.local_response_normalization(x, 1, 2.0, 0.5, 0.75)
    np.testing.assert_allclose(y2[0, 0, 0, 0], 1 / (2 + 0.5 * (1 + 4)) ** 0.75, rtol=1e-12)


def test_moments_shift_ignored_and_keep_dims():
    x = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    m, v = tf.nn.moments(x, [0], shift=100.0)
    np.testing.assert_allclose(m, [2, 4])
    np.testing.assert_allclose(v, [1, 4])
    assert m.dtype == np.float32
    m, _ = tf.nn.moments(x, [0], None, None, True)
    assert m.shape == (1, 2)


def test_sufficient_statistics_and_normalize_moments():
    x = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 7.0]])
    c, s1, s2, sh = tf.nn.sufficient_statistics(x, [0])
    assert sh is None and float(c) == 3.0
    np.testing.assert_allclose(s1, [9.0, 15.0])
    np.testing.assert_allclose(s2, [35.0, 89.0])
    m, v = tf.nn.normalize_moments(c, s1, s2, None)
    np.testing.assert_allclose(m, x.mean(0))
    np.testing.assert_allclose(v, x.var(0))
    shift = np.array([3.0, 5.0])
    c, s1, s2, sh = tf.nn.sufficient_statistics(x, [0], shift, True)
    assert sh is shift and s1.shape == (1, 2)
    m, v = tf.nn.normalize_moments(c, s1, s2, shift)
    np.testing.assert_allclose(m, x.mean(0, keepdims=True))
    np.testing.assert_allclose(v, x.var(0, keepdims=True))


def test_graph_mode_names():
    g = nf.Graph()
    x = g.placeholder("x", (None, 3))
    y = tf.nn.l2_normalize(x, 1, name="l2")
    assert g["l2"] is y


def test_batch_normalization_broadcasts_scalars_and_lower_ranks():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4))
    scale = nf.Variable(np.array([[2.0], [1.0], [0.5]]), requires_grad=True)  # (3, 1)
    y = tf.nn.batch_normalization(x, 0.5, [4.0], 1.0, scale, 0.0)
    np.testing.assert_allclose(y.data, (x - 0.5) / 2.0 * scale.data + 1.0, rtol=1e-12)
    nf.sum(y).backward()
    np.testing.assert_allclose(scale.grad, ((x - 0.5) / 2.0).sum((0, 2))[:, None], rtol=1e-12)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda x, **k: tf.nn.batch_normalization(x, 0.0, 1.0, None, None, -1e-3, **k),
            nf.ArgumentError,
            "batch_normalization: `variance_epsilon` must be in [0, inf); received "
            "variance_epsilon=-0.001.",
        ),
        (
            lambda x, **k: tf.nn.batch_normalization(
                x, np.zeros(3, np.float32), 1.0, None, None, 0.0, **k
            ),
            nf.ShapeError,
            "batch_normalization: `mean` must have shape (4,) (the size of `x` along axis 3) "
            "or a shape of x's rank that broadcasts to `x`; received mean.shape=(3,), "
            "x.shape=(1, 2, 3, 4).",
        ),
        (
            lambda x, **k: tf.nn.l2_normalize(x, 4, **k),
            nf.ShapeError,
            "normalize: `dim` must be in [-4, 4) for an input of rank 4; received dim=4.",
        ),
        (
            lambda x, **k: tf.nn.l2_normalize(x, [1, -3], **k),
            nf.ArgumentError,
            "normalize: `dim` must not repeat an axis; received dim=[1, -3].",
        ),
        (
            lambda x, **k: tf.nn.l2_normalize(x, 1, -1.0, **k),
            nf.ArgumentError,
            "normalize: `epsilon` must be in [0, inf); received epsilon=-1.0.",
        ),
        (
            lambda x, **k: tf.nn.local_response_normalization(x[0], **k),
            nf.ShapeError,
            "local_response_normalization: `input` must have rank 4; received "
            "input.shape=(2, 3, 4).",
        ),
        (
            lambda x, **k: tf.nn.local_response_normalization(x, -1, **k),
            nf.ArgumentError,
            "local_response_normalization: `depth_radius` must be >= 0; received depth_radius=-1.",
        ),
        (
            lambda x, **k: tf.nn.moments(x, [0, 4], **k),
            nf.ShapeError,
            "moments: `axes` must be in [-4, 4) for an input of rank 4; received axes=4.",
        ),
        (
            lambda x, **k: tf.nn.sufficient_statistics(x, [2, 2], **k),
            nf.ArgumentError,
            "sufficient_statistics: `axes` must not repeat an axis; received axes=[2, 2].",
        ),
    ],
)
def test_bad_input(call, exc, message):
    assert_raises_both_modes(call, (np.ones((1, 2, 3, 4), np.float32),), {}, exc, message)
