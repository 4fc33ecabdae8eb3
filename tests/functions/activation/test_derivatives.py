import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def _grad_of(fn, x):
    v = nf.Variable(x, requires_grad=True)
    nf.sum(fn(v)).backward()
    return v.grad


@parametrize_class(dtype=["float32", "float64"])
class TestHardTanhDerivative(FunctionTestCase):
    function = staticmethod(nf.hard_tanh_derivative)
    differentiable = False

    def inputs(self, rng):
        return (np.array([-2.0, -1.0, -0.5, 0.0, 0.99, 1.0, 3.0], self.dtype),)

    def expected(self, x):
        return (((x > -1) & (x < 1)).astype(x.dtype),)


@parametrize_class(dtype=["float32", "float64"])
class TestLeakyReLUDerivative(FunctionTestCase):
    function = staticmethod(nf.leaky_relu_derivative)
    differentiable = False

    def inputs(self, rng):
        return (np.array([-2.0, -0.1, 0.0, 0.5, 3.0], self.dtype),)

    def kwargs(self):
        return {"alpha": 0.3}

    def expected(self, x):
        return (np.where(x >= 0, 1.0, 0.3).astype(x.dtype),)


@parametrize_class(dtype=["float32", "float64"])
class TestSoftsignDerivative(FunctionTestCase):
    function = staticmethod(nf.softsign_derivative)
    kinks = (0.0,)

    def inputs(self, rng):
        return (rng.uniform(-4, 4, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return ((1 / (1 + np.abs(x.astype(np.float64))) ** 2).astype(x.dtype),)


@parametrize_class(dtype=["float32", "float64"])
class TestSigmoidDerivative(FunctionTestCase):
    function = staticmethod(nf.sigmoid_derivative)

    def inputs(self, rng):
        return (
            rng.uniform(-4, 4, (3, 4)).astype(self.dtype),
            rng.standard_normal((3, 4)).astype(self.dtype),
        )

    def expected(self, x, w):
        s = 1 / (1 + np.exp(-x.astype(np.float64)))
        return ((w * s * (1 - s)).astype(x.dtype),)


@parametrize_class(axis=[0, -1], dtype=["float32", "float64"])
class TestSoftmaxDerivative(FunctionTestCase):
    function = staticmethod(nf.softmax_derivative)

    def inputs(self, rng):
        return (
            rng.standard_normal((3, 4)).astype(self.dtype),
            rng.standard_normal((3, 4)).astype(self.dtype),
        )

    def kwargs(self):
        return {"axis": self.axis}

    def expected(self, x, w):
        x = x.astype(np.float64)
        e = np.exp(x - x.max(self.axis, keepdims=True))
        y = e / e.sum(self.axis, keepdims=True)
        # the full Jacobian product, written out per slice
        out = np.empty_like(y)
        ym = np.moveaxis(y, self.axis, -1)
        wm = np.moveaxis(w.astype(np.float64), self.axis, -1)
        om = np.moveaxis(out, self.axis, -1)
        for i in range(ym.shape[0]):
            jac = np.diag(ym[i]) - np.outer(ym[i], ym[i])
            om[i] = jac.T @ wm[i]
        return (out.astype(self.dtype),)


def test_derivatives_equal_the_gradients_of_their_functions():
    x = np.array([-2.0, -1.0, -0.3, 0.0, 0.4, 1.0, 2.5])
    np.testing.assert_array_equal(nf.hard_tanh_derivative(x), _grad_of(nf.hard_tanh, x))
    np.testing.assert_allclose(
        nf.leaky_relu_derivative(x, 0.2), _grad_of(lambda v: nf.leaky_relu(v, 0.2), x)
    )
    np.testing.assert_allclose(nf.softsign_derivative(x), _grad_of(nf.softsign, x), rtol=1e-15)
    w = np.linspace(-1, 1, x.size)
    v = nf.Variable(x, requires_grad=True)
    nf.sum(nf.sigmoid(v) * w).backward()
    np.testing.assert_allclose(nf.sigmoid_derivative(x, w), v.grad, rtol=1e-14)
    x2 = np.random.default_rng(0).standard_normal((2, 5))
    w2 = np.random.default_rng(1).standard_normal((2, 5))
    v = nf.Variable(x2, requires_grad=True)
    nf.sum(nf.softmax(v, axis=0) * w2).backward()
    np.testing.assert_allclose(nf.softmax_derivative(x2, w2, 0), v.grad, rtol=1e-12)


@pytest.mark.parametrize(
    "fn, inputs, kwargs, exc, message",
    [
        (
            nf.sigmoid_derivative,
            (np.ones((2, 3)), np.ones((3, 2))),
            {},
            nf.ShapeError,
            "sigmoid_derivative: `wrt` must have the shape of `x`; received wrt.shape=(3, 2), "
            "x.shape=(2, 3).",
        ),
        (
            nf.softmax_derivative,
            (np.ones((2, 3)), np.ones((2,))),
            {},
            nf.ShapeError,
            "softmax_derivative: `wrt` must have the shape of `x`; received wrt.shape=(2,), "
            "x.shape=(2, 3).",
        ),
    ],
)
def test_bad_input(fn, inputs, kwargs, exc, message):
    assert_raises_both_modes(fn, inputs, kwargs, exc, message)


def test_leaky_relu_derivative_alpha_checked():
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape(
            "leaky_relu_derivative: `alpha` must be a real number; received alpha='a'."
        ),
    ):
        nf.leaky_relu_derivative(np.ones(2), "a")
