import inspect

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import keras
from nnfunc.testing import assert_raises_both_modes


def _sig(fn):
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            continue
        out.append(p.name if p.default is inspect.Parameter.empty else f"{p.name}={p.default!r}")
    return " ".join(out)


@pytest.mark.parametrize(
    "fn, params",
    [
        (
            keras.ops.batch_normalization,
            "x mean variance axis offset=None scale=None epsilon=0.001",
        ),
        (keras.ops.moments, "x axes keepdims=False synchronized=False"),
        (keras.ops.normalize, "x axis=-1 order=2 epsilon=None"),
    ],
)
def test_signature(fn, params):
    assert _sig(fn) == params
    assert getattr(keras.ops.nn, fn.__name__) is fn


def test_batch_normalization_documented_example():
    x = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], np.float32)
    y = keras.ops.batch_normalization(x, mean=[0.4, 0.5, 0.6], variance=[0.67, 0.67, 0.67], axis=-1)
    assert y.dtype == np.float32
    expected = np.array(
        [[-3.6624e-01] * 3, [-4.6445e-09, 0.0, -1.8578e-08], [3.6624e-01] * 3], np.float32
    )
    np.testing.assert_allclose(y, expected, atol=5e-6)


def test_batch_normalization_offset_scale_and_axis():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    m, v, o, s = (
        rng.standard_normal(3),
        rng.uniform(1, 2, 3),
        rng.standard_normal(3),
        rng.uniform(1, 2, 3),
    )
    y = keras.ops.batch_normalization(x, m, v, 1, o, s)
    r = lambda a: a.reshape(1, 3, 1)  # noqa: E731
    ref = (x - r(m)) / np.sqrt(r(v) + 1e-3) * r(s) + r(o)
    np.testing.assert_allclose(y, ref, rtol=1e-12)


def test_moments_documented_example():
    x = np.array([0, 1, 2, 3, 100], np.float32)
    m, v = keras.ops.moments(x, axes=[0])
    assert m.dtype == v.dtype == np.float32
    np.testing.assert_allclose(m, 21.2, rtol=1e-7)
    # bit for bit: the page's 1553.3601 is one float32 ulp above the exact 1553.36
    assert m == np.float32(21.2) and v == np.float32(1553.3601)
    m, v = keras.ops.moments(x.reshape(1, 5), [1], keepdims=True, synchronized=True)
    assert m.shape == (1, 1)


def test_moments_float16_saturates_as_keras():
    # Keras reduces float16 in float32 and clips to the float16 range before casting back.
    x = np.array([-741.0, 353.2, 1099.0, -1807.0, 502.8, -83.4, 333.5, -130.9], np.float16)
    mean, var = keras.ops.moments(x, axes=[0])
    assert mean.dtype == var.dtype == np.float16
    assert float(mean) == float(np.float16(x.astype(np.float64).mean()))
    assert float(var) == 65504.0
    small = np.array([1.0, 2.0, 4.0], np.float16)
    _, v = keras.ops.moments(small, axes=[0])
    assert float(v) == float(np.float16(small.astype(np.float64).var()))


def test_normalize_documented_example():
    x = np.array([[1, 2, 3], [4, 5, 6]], np.float32)
    y = keras.ops.normalize(x)
    np.testing.assert_array_equal(
        y,
        np.array(
            [[0.26726124, 0.5345225, 0.8017837], [0.45584232, 0.5698029, 0.68376344]], np.float32
        ),
    )


def test_normalize_epsilon_on_norm_and_order():
    x = np.array([[1e-8, 0.0], [3.0, -4.0]])
    y = keras.ops.normalize(x, axis=-1)
    np.testing.assert_allclose(y[0], [1e-8 / 1e-7, 0.0])  # divisor max(norm, 1e-7)
    np.testing.assert_allclose(keras.ops.normalize(x, order=1)[1], [3 / 7, -4 / 7])


def test_batch_normalization_example_middle_row_is_rounding_noise():
    # the page's middle row (-4.6445e-09, 0, -1.8578e-08) is float32 noise of x == mean;
    # its magnitude is below one float32 ulp of the outer rows' values
    x = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], np.float32)
    y = keras.ops.batch_normalization(x, mean=[0.4, 0.5, 0.6], variance=[0.67] * 3, axis=-1)
    assert np.abs(y[1]).max() <= 2e-8
    np.testing.assert_allclose(y[0], -y[2], atol=1e-7)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda x, **k: keras.ops.batch_normalization(
                x, [0.0] * 3, [1.0] * 3, -1, None, None, -1.0, **k
            ),
            "batch_normalization: `epsilon` must be in [0, inf); received epsilon=-1.0.",
        ),
        (
            lambda x, **k: keras.ops.normalize(x, epsilon=-1e-7, **k),
            "normalize: `epsilon` must be in [0, inf); received epsilon=-1e-07.",
        ),
    ],
)
def test_bad_epsilon(call, message):
    assert_raises_both_modes(call, (np.ones((2, 3), np.float32),), {}, nf.ArgumentError, message)


def test_bad_axis_and_lengths():
    x = np.ones((2, 3), np.float32)
    assert_raises_both_modes(
        lambda x, **k: keras.ops.batch_normalization(x, [0.0] * 2, [1.0] * 2, -1, **k),
        (x,),
        {},
        nf.ShapeError,
        "batch_normalization: `mean` must have shape (3,) (the size of `x` along axis 1) or a "
        "shape of x's rank that broadcasts to `x`; received mean.shape=(2,), x.shape=(2, 3).",
    )
    assert_raises_both_modes(
        lambda x, **k: keras.ops.moments(x, [0, 0], **k),
        (x,),
        {},
        nf.ArgumentError,
        "moments: `axes` must not repeat an axis; received axes=[0, 0].",
    )
