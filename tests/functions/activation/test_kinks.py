"""Gradients exactly at the kinks, as each docstring states them (the harness keeps its
central-difference checks away from these points)."""

import re

import numpy as np
import pytest

import nnfunc as nf

SELU_SCALE = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772


def _grad(fn, x, w=None):
    v = nf.Variable(np.asarray(x, np.float64), requires_grad=True)
    y = fn(v)
    w = np.ones(y.shape) if w is None else np.asarray(w, np.float64)
    nf.sum(y * w).backward()
    return v.grad


@pytest.mark.parametrize(
    "fn, x, expected",
    [
        (nf.relu, [0.0], [0.0]),
        (lambda v: nf.relu(v, threshold=1.0), [1.0], [0.0]),
        (nf.relu6, [0.0, 6.0], [0.0, 0.0]),
        (lambda v: nf.relu6(v, lower=-1.0), [-1.0, 6.0, 0.0], [0.0, 0.0, 1.0]),
        (lambda v: nf.leaky_relu(v, 0.1), [0.0], [1.0]),
        (nf.elu, [0.0], [1.0]),
        (lambda v: nf.elu(v, 0.5), [0.0], [0.5]),
        (nf.selu, [0.0], [SELU_SCALE * SELU_ALPHA]),
        (nf.hard_sigmoid, [-2.5, 2.5, 0.0], [0.0, 0.0, 0.2]),
        (nf.hard_tanh, [-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]),
        (nf.hard_silu, [-3.0, 3.0, 0.0], [0.0, 1.0, 0.5]),
        (nf.softsign, [0.0], [1.0]),
        (nf.sinc, [0.0], [0.0]),
        (lambda v: nf.clip_by_value(v, -1.0, 1.0), [-1.0, 1.0], [1.0, 1.0]),
    ],
)
def test_gradient_at_kinks(fn, x, expected):
    np.testing.assert_allclose(_grad(fn, x), expected, rtol=1e-15)


def test_crelu_and_concat_elu_at_zero():
    # crelu: relu'(0) = 0 in both halves
    np.testing.assert_array_equal(_grad(nf.crelu, [[0.0]], [[2.0, 3.0]]), [[0.0]])
    # concat_elu: elu'(0) = alpha on the first half, -alpha through elu(-x) on the second
    np.testing.assert_allclose(
        _grad(lambda v: nf.concat_elu(v, 0.5), [[0.0]], [[2.0, 3.0]]), [[2 * 0.5 - 3 * 0.5]]
    )


def test_prelu_at_zero():
    x = nf.Variable(np.array([[0.0, -2.0, 3.0]]), requires_grad=True)
    a = nf.Variable(np.array(0.25), requires_grad=True)
    nf.sum(nf.prelu(x, a)).backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.25, 1.0]])  # the x >= 0 branch at 0
    assert a.grad == -2.0  # only x < 0 contributes


def test_softsign_derivative_kink_at_zero():
    # 1 / (1 + |x|)^2 has slopes -2 and +2 beside 0; the gradient at 0 is taken as 0
    np.testing.assert_array_equal(
        _grad(nf.softsign_derivative, [0.0, 1.0, -1.0]), [0.0, -0.25, 0.25]
    )


def test_second_derivatives_at_kinks():
    x = nf.Variable(np.array([0.0]), requires_grad=True)
    (g,) = nf.grad(nf.sum(nf.elu(x)), [x], create_graph=True)
    (gg,) = nf.grad(nf.sum(g), [x])
    np.testing.assert_allclose(gg.data, [1.0])  # alpha * exp(0), the negative branch
    x = nf.Variable(np.array([0.0, 3.0, -3.0]), requires_grad=True)
    (g,) = nf.grad(nf.sum(nf.hard_silu(x)), [x], create_graph=True)
    (gg,) = nf.grad(nf.sum(g), [x])
    np.testing.assert_allclose(gg.data, [1 / 3, 0.0, 0.0])


def test_relu_of_bool_and_crelu_of_unsigned():
    np.testing.assert_array_equal(nf.relu(np.array([True, False])), [True, False])
    assert nf.relu(np.array([True])).dtype == np.bool_
    y = nf.crelu(np.array([[0, 3]], np.uint8))
    assert y.dtype == np.uint8
    np.testing.assert_array_equal(y, [[0, 3, 0, 0]])  # relu(-x) = 0, never a wrapped 253
    y = nf.concat_elu(np.array([[1]], np.uint8))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [[1.0, np.expm1(-1.0)]], rtol=1e-6)


@pytest.mark.parametrize("fn", [nf.crelu, nf.concat_elu])
def test_concatenating_activations_need_an_axis(fn):
    op = fn.__name__
    message = f"{op}: `x` must have rank >= 1; received x.shape=()."
    with pytest.raises(nf.ShapeError, match=re.escape(message)):
        fn(np.array(1.0))
    g = nf.Graph()
    p = g.placeholder("x", (), np.float64)
    with pytest.raises(nf.ShapeError, match=re.escape(message.replace(":", " (node 'c'):", 1))):
        fn(p, name="c")
