"""nnabla.functions losses and validation functions: signatures, defaults and layouts."""

import inspect

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as F


@pytest.mark.parametrize(
    "fn, names, defaults",
    [
        (F.sigmoid_cross_entropy, ["x", "target", "n_outputs", "outputs"], {}),
        (F.binary_cross_entropy, ["x", "target", "n_outputs", "outputs"], {}),
        (F.softmax_cross_entropy, ["x", "target", "axis", "n_outputs", "outputs"], {"axis": None}),
        (
            F.categorical_cross_entropy,
            ["x", "target", "axis", "n_outputs", "outputs"],
            {"axis": None},
        ),
        (F.squared_error, ["x0", "x1", "n_outputs", "outputs"], {}),
        (F.absolute_error, ["x0", "x1", "n_outputs", "outputs"], {}),
        (F.huber_loss, ["x0", "x1", "delta", "n_outputs", "outputs"], {"delta": 1.0}),
        (F.epsilon_insensitive_loss, ["x0", "x1", "epsilon", "n_outputs", "outputs"], {}),
        (F.kl_multinomial, ["p", "q", "base_axis", "n_outputs", "outputs"], {"base_axis": 1}),
        (
            F.top_n_error,
            ["x", "target", "axis", "n", "n_outputs", "outputs"],
            {"axis": None, "n": 1},
        ),
        (F.binary_error, ["x", "target", "n_outputs", "outputs"], {}),
        (F.confusion_matrix, ["x", "target", "axis", "n_outputs", "outputs"], {"axis": None}),
    ],
)
def test_signatures(fn, names, defaults):
    params = inspect.signature(fn).parameters
    positional = [n for n, p in params.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == names
    assert params["n_outputs"].default == 1 and params["outputs"].default is None
    assert params["name"].kind is inspect.Parameter.KEYWORD_ONLY
    if "epsilon" in params:
        assert params["epsilon"].default is inspect.Parameter.empty
    for k, v in defaults.items():
        assert params[k].default == v


def test_integer_target_functions_keep_the_class_axis():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    t = rng.integers(0, 5, (2, 1, 3))
    out = F.softmax_cross_entropy(x, t, axis=1)
    assert out.shape == (2, 1, 3) and out.dtype == np.float32
    np.testing.assert_allclose(
        out[:, 0], nf.sparse_softmax_cross_entropy_with_logits(x, t[:, 0], axis=1), rtol=1e-6
    )
    p = nf.softmax(x, axis=-1)
    tl = rng.integers(0, 3, (2, 5, 1))
    out = F.categorical_cross_entropy(p, tl)
    assert out.shape == (2, 5, 1)
    np.testing.assert_allclose(out, -np.log(np.take_along_axis(p, tl, -1)), rtol=1e-6)
    assert F.top_n_error(x, tl).shape == (2, 5, 1)


def test_probability_functions_clamp_like_the_kernels():
    tiny = np.finfo(np.float32).tiny
    out = F.categorical_cross_entropy(np.array([[0.0, 1.0]], np.float32), np.array([[0]]))
    np.testing.assert_allclose(out, [[-np.log(tiny)]], rtol=1e-6)
    out = F.binary_cross_entropy(np.array([1.0], np.float32), np.array([0.0], np.float32))
    np.testing.assert_allclose(out, [-np.log(tiny)], rtol=1e-6)
    # no clipping at 1e-7 (Keras) here: p = 1e-9 gives its exact log
    out = F.binary_cross_entropy(np.array([1e-9]), np.array([1.0]))
    np.testing.assert_allclose(out, [-np.log(1e-9)])


def test_huber_scaling_kl_and_validation():
    np.testing.assert_allclose(F.huber_loss(np.array([3.0]), np.array([0.0]), 2.0), [8.0])
    p = np.array([[0.25, 0.75, 0.0]])
    q = np.array([[0.5, 0.5, 0.0]])
    kl = F.kl_multinomial(p, q)
    ref = 0.25 * (np.log(0.25 + 1e-8) - np.log(0.5 + 1e-8)) + 0.75 * (
        np.log(0.75 + 1e-8) - np.log(0.5 + 1e-8)
    )
    assert kl.shape == (1, 1)
    np.testing.assert_allclose(kl, [[ref]], rtol=1e-12)
    np.testing.assert_array_equal(
        F.binary_error(np.array([0.5, 0.49]), np.array([0.0, 0.0])), [1, 0]
    )
    cm = F.confusion_matrix(
        np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([[1], [1], [0]])
    )
    np.testing.assert_array_equal(cm, [[0, 1], [1, 1]])
    assert cm.dtype == np.int32
    np.testing.assert_array_equal(
        F.top_n_error(np.array([[0.2, 0.5, 0.3], [0.2, 0.5, 0.3]]), np.array([[2], [0]]), n=2),
        [[0.0], [1.0]],
    )


def test_float_labels_are_read_as_integers_like_nnabla_kernels():
    # NNabla variables are float32 by default; its kernels read labels as int (truncation).
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    ti = np.array([[0], [2], [1], [2]])
    tf_ = (ti + np.array([[0.0], [0.5], [0.9], [0.0]])).astype(np.float32)
    p = nf.softmax(x, axis=-1)
    np.testing.assert_array_equal(F.softmax_cross_entropy(x, tf_), F.softmax_cross_entropy(x, ti))
    np.testing.assert_array_equal(
        F.categorical_cross_entropy(p, tf_), F.categorical_cross_entropy(p, ti)
    )
    np.testing.assert_array_equal(F.top_n_error(x, tf_, n=2), F.top_n_error(x, ti, n=2))
    np.testing.assert_array_equal(F.confusion_matrix(x, tf_), F.confusion_matrix(x, ti))
    v = nf.Variable(x, requires_grad=True)
    nf.sum(F.softmax_cross_entropy(v, tf_)).backward()
    np.testing.assert_allclose(v.grad, p - np.eye(3, dtype=np.float32)[ti[:, 0]], rtol=1e-6)


def test_sigmoid_cross_entropy_reads_the_target_as_an_integer():
    """NNabla 1.39 casts each target to int (0.99 -> 0); the canonical keeps soft targets."""
    x = np.array([0.5, -1.0, 2.0, 0.3])
    t = np.array([0.99, 1.0, 0.3, 1.7])
    ti = np.trunc(t)
    ref = np.maximum(x, 0) - x * ti + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(F.sigmoid_cross_entropy(x, t), ref, rtol=1e-12)
    soft = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    np.testing.assert_allclose(nf.sigmoid_cross_entropy_with_logits(x, t), soft, rtol=1e-12)
    xv = nf.Variable(x, requires_grad=True)
    F.sigmoid_cross_entropy(xv, t).backward(np.ones(4))
    np.testing.assert_allclose(xv.grad, 1 / (1 + np.exp(-x)) - ti, rtol=1e-12)
