"""tf.nn losses, classification and evaluation ops: signatures, defaults and documented rules."""

import inspect
import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import tf


@pytest.mark.parametrize(
    "fn, names, defaults",
    [
        (tf.nn.sigmoid_cross_entropy_with_logits, ["logits", "targets", "name"], {}),
        (tf.nn.softmax_cross_entropy_with_logits, ["logits", "labels", "dim", "name"], {"dim": -1}),
        (tf.nn.sparse_softmax_cross_entropy_with_logits, ["logits", "labels", "name"], {}),
        (
            tf.nn.weighted_cross_entropy_with_logits,
            ["logits", "targets", "pos_weight", "name"],
            {},
        ),
        (tf.nn.l2_loss, ["t", "name"], {}),
        (
            tf.nn.log_poisson_loss,
            ["log_input", "targets", "compute_full_loss", "name"],
            {"compute_full_loss": False},
        ),
        (tf.nn.top_k, ["input", "k", "sorted", "name"], {"k": 1, "sorted": True}),
        (tf.nn.in_top_k, ["predictions", "targets", "k", "name"], {}),
    ],
)
def test_signatures(fn, names, defaults):
    params = inspect.signature(fn).parameters
    assert list(params) == names
    assert params["name"].default is None
    for k, v in defaults.items():
        assert params[k].default == v


def test_sigmoid_formula_at_the_documented_overflow_boundaries():
    # The page's stable form max(x, 0) - x*z + log(1 + exp(-abs(x))), evaluated in float64.
    x = np.array([-1e30, -710.0, -89.0, -88.0, 0.0, 88.0, 89.0, 710.0, 1e30], np.float32)
    z = np.linspace(0, 1, x.size).astype(np.float32)
    x64, z64 = x.astype(np.float64), z.astype(np.float64)
    ref = np.maximum(x64, 0) - x64 * z64 + np.log1p(np.exp(-np.abs(x64)))
    out = tf.nn.sigmoid_cross_entropy_with_logits(x, z)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=1e-6)
    # weighted form: (1 - z) x + l (log(1 + exp(-abs(x))) + max(-x, 0)), l = 1 + (q - 1) z
    q = 2.5
    ref_w = (1 - z64) * x64 + (1 + (q - 1) * z64) * (
        np.log1p(np.exp(-np.abs(x64))) + np.maximum(-x64, 0)
    )
    out_w = tf.nn.weighted_cross_entropy_with_logits(x, z, q)
    np.testing.assert_allclose(out_w, ref_w, rtol=1e-6)


def test_softmax_dim_and_output_shape():
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(4, 3)), rng.dirichlet(np.ones(4), 3).T
    out = tf.nn.softmax_cross_entropy_with_logits(x, t, dim=0)
    np.testing.assert_allclose(out, nf.softmax_cross_entropy_with_logits(x, t, axis=0))
    assert out.shape == (3,)


def test_sparse_rank_rule_and_range():
    op = "sparse_softmax_cross_entropy_with_logits"
    msg = (
        f"{op}: `labels` must have rank 1 (the rank of `logits` minus one); "
        "received labels.shape=(2, 1), logits.shape=(2, 3)."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        tf.nn.sparse_softmax_cross_entropy_with_logits(np.zeros((2, 3)), np.zeros((2, 1), np.int32))
    with pytest.raises(ValueError, match=re.escape(f"{op}: `logits` must have rank >= 1")):
        tf.nn.sparse_softmax_cross_entropy_with_logits(np.zeros(()), np.zeros((), np.int32))
    with pytest.raises(nf.ArgumentError, match=re.escape("received labels[0, 1]=7.")):
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            np.zeros((2, 2, 3)), np.array([[0, 7], [1, 2]])
        )
    out = tf.nn.sparse_softmax_cross_entropy_with_logits(
        np.zeros((2, 2, 3)), np.ones((2, 2), np.int64)
    )
    np.testing.assert_allclose(out, np.full((2, 2), np.log(3)))


def test_mismatched_shapes_raise_value_error():
    for fn in (
        tf.nn.sigmoid_cross_entropy_with_logits,
        tf.nn.softmax_cross_entropy_with_logits,
        tf.nn.log_poisson_loss,
    ):
        with pytest.raises(ValueError, match="must have the same shape"):
            fn(np.zeros((2, 3)), np.zeros((3, 2)))


def test_top_k_and_in_top_k():
    values, indices = tf.nn.top_k(np.array([[3.0, 1.0, 3.0, 2.0]]), k=3)
    np.testing.assert_array_equal(values, [[3.0, 3.0, 2.0]])
    np.testing.assert_array_equal(indices, [[0, 2, 3]])
    assert indices.dtype == np.int32
    values, indices = tf.nn.top_k(np.array([5.0, 7.0]))
    np.testing.assert_array_equal(indices, [1])
    p = np.array([[0.1, 0.3, 0.3, 0.2], [0.4, 0.3, 0.2, 0.1]], np.float32)
    # ties at the boundary: class 2 is tied with class 1 at the top-1 place
    np.testing.assert_array_equal(tf.nn.in_top_k(p, np.array([2, 1]), 1), [True, False])
    np.testing.assert_array_equal(tf.nn.in_top_k(p, np.array([2, 1]), 2), [True, True])


def test_l2_and_poisson_values():
    np.testing.assert_allclose(tf.nn.l2_loss(np.arange(4.0)), 7.0)
    c, z = np.array([0.5, 1.5]), np.array([3.0, 0.5])
    full = tf.nn.log_poisson_loss(c, z, compute_full_loss=True)
    stirling = np.array([3 * np.log(3) - 3 + 0.5 * np.log(2 * np.pi * 3), 0.0])
    np.testing.assert_allclose(full, np.exp(c) - z * c + stirling)
