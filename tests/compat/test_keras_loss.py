"""keras.ops losses: every documented example of the seed page, signatures and defaults."""

import inspect
import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import keras


def convert_to_tensor(x, dtype=None):
    """keras.ops.convert_to_tensor on Python data: floats give float32, ints int32."""
    arr = np.asarray(x)
    if dtype is not None:
        return arr.astype(dtype)
    return arr.astype(np.float32 if arr.dtype.kind == "f" else np.int32)


def test_binary_crossentropy_example():
    target = convert_to_tensor([0, 1, 1, 0])
    output = convert_to_tensor([0.1, 0.9, 0.8, 0.2])
    out = keras.ops.binary_crossentropy(target, output)
    assert out.dtype == np.float32 and out.shape == (4,)
    np.testing.assert_allclose(out, [0.10536054, 0.10536054, 0.22314355, 0.22314355], rtol=2e-7)
    # Python lists, as keras.ops accepts them
    np.testing.assert_array_equal(
        keras.ops.binary_crossentropy([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.2]), out
    )


def test_categorical_crossentropy_example():
    target = convert_to_tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    output = convert_to_tensor([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5]])
    out = keras.ops.categorical_crossentropy(target, output)
    assert out.dtype == np.float32 and out.shape == (3,)
    np.testing.assert_allclose(out, [0.10536054, 0.22314355, 0.6931472], rtol=2e-7)


def test_sparse_categorical_crossentropy_example():
    target = convert_to_tensor([0, 1, 2], dtype=np.int32)
    output = convert_to_tensor([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5]])
    out = keras.ops.sparse_categorical_crossentropy(target, output)
    assert out.dtype == np.float32 and out.shape == (3,)
    np.testing.assert_allclose(out, [0.10536056, 0.22314355, 0.6931472], rtol=2e-7)


def test_psnr_example():
    # The page draws x1, x2 from keras.random.normal (unseeded), so its exact inputs cannot be
    # rebuilt; these inputs have the noise power its printed value implies.
    mse = 10 ** (3.1697404 / 10)
    rng = np.random.default_rng(0)
    x1 = rng.standard_normal((2, 4, 4, 3)).astype(np.float32)
    d = rng.choice([-1.0, 1.0], x1.shape) * np.sqrt(mse)
    x2 = (x1 + d).astype(np.float32)
    out = keras.ops.nn.psnr(x1, x2, 1.0)
    assert out.dtype == np.float32 and out.shape == ()
    np.testing.assert_allclose(out, -3.1697404, rtol=1e-5)


def test_normalisation_and_clipping_follow_keras():
    out = keras.ops.categorical_crossentropy([[0, 1]], [[1.0, 3.0]])  # normalised to 0.25/0.75
    np.testing.assert_allclose(out, [-np.log(0.75)], rtol=1e-6)
    out = keras.ops.sparse_categorical_crossentropy([1], [[1.0, 3.0]])
    np.testing.assert_allclose(out, [-np.log(0.75)], rtol=1e-6)
    out = keras.ops.binary_crossentropy([1.0], [0.0])
    np.testing.assert_allclose(out, [-np.log(np.float32(1e-7))], rtol=1e-6)


def test_from_logits_matches_the_canonical_stable_forms():
    x = np.array([[1e30, -1e30, 0.0]], np.float32)
    np.testing.assert_array_equal(
        keras.ops.binary_crossentropy(np.ones_like(x), x, from_logits=True),
        nf.sigmoid_cross_entropy_with_logits(x, np.ones_like(x)),
    )
    t = np.array([[0.0, 0.0, 1.0]], np.float32)
    np.testing.assert_allclose(
        keras.ops.categorical_crossentropy(t, x, from_logits=True, axis=-1), [1e30], rtol=1e-6
    )
    np.testing.assert_allclose(
        keras.ops.sparse_categorical_crossentropy(np.array([2]), x, from_logits=True), [1e30]
    )


@pytest.mark.parametrize(
    "fn, params",
    [
        (
            keras.ops.binary_crossentropy,
            [("target", None), ("output", None), ("from_logits", False)],
        ),
        (
            keras.ops.categorical_crossentropy,
            [("target", None), ("output", None), ("from_logits", False), ("axis", -1)],
        ),
        (
            keras.ops.sparse_categorical_crossentropy,
            [("target", None), ("output", None), ("from_logits", False), ("axis", -1)],
        ),
        (keras.ops.psnr, [("x1", None), ("x2", None), ("max_val", None)]),
    ],
)
def test_signatures(fn, params):
    sig = inspect.signature(fn)
    positional = [p for p in sig.parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert [p.name for p in positional] == [n for n, _ in params]
    for p, (_, default) in zip(positional, params):
        if default is not None:
            assert p.default == default
    assert sig.parameters["name"].kind is inspect.Parameter.KEYWORD_ONLY
    assert getattr(keras.ops.nn, fn.__name__) is fn


def test_shape_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match=re.escape("must have the same shape")):
        keras.ops.binary_crossentropy([0, 1], [0.5, 0.5, 0.5])


def test_sparse_float_targets_are_cast_to_integers_like_keras():
    output = convert_to_tensor([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5]])
    ref = keras.ops.sparse_categorical_crossentropy(np.array([0, 1, 2], np.int32), output)
    for target in ([0.0, 1.0, 2.0], np.array([[0.0], [1.0], [2.0]], np.float32)):
        out = keras.ops.sparse_categorical_crossentropy(target, output)
        assert out.dtype == np.float32 and out.shape == (3,)
        np.testing.assert_array_equal(out, ref)
