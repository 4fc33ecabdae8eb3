"""nnabla.functions.embed: y = w[x0], gradient with respect to w only."""

import numpy as np

import nnfunc as nf
import nnfunc.compat.nnabla.functions as F


def test_embed_shape_and_values():
    w = np.random.default_rng(0).normal(size=(5, 2, 3)).astype(np.float32)
    x0 = np.array([[4, 0, 1], [1, 1, 3]])
    y = F.embed(x0, w)
    assert y.shape == (2, 3, 2, 3) and y.dtype == np.float32
    np.testing.assert_array_equal(y, w[x0])


def test_float_indices_are_read_as_integers():
    w = np.arange(8.0).reshape(4, 2)
    np.testing.assert_array_equal(F.embed(np.array([3.0, 1.7]), w), w[[3, 1]])


def test_gradient_with_respect_to_w_only():
    w = nf.Variable(np.zeros((4, 2)), requires_grad=True)
    x0 = nf.Variable(np.array([1, 1, 3]))
    nf.sum(F.embed(x0, w)).backward()
    np.testing.assert_array_equal(w.grad, [[0, 0], [2, 2], [0, 0], [1, 1]])
    assert x0.grad is None


def test_graph_with_unknown_batch():
    g = nf.Graph()
    x0 = g.placeholder("x0", (None, 2), np.int32)
    y = F.embed(x0, np.eye(3), name="e")
    assert y.shape == (None, 2, 3)
    np.testing.assert_array_equal(
        g.run(y, {"x0": np.array([[0, 2]], np.int32)}), [[[1, 0, 0], [0, 0, 1]]]
    )
