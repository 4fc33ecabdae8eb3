"""squared_error, absolute_error, huber_loss and epsilon_insensitive_loss."""

import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def _pair(rng, shape, dtype, avoid):
    """x0, x1 whose difference stays 0.05 away from every value in ``avoid`` (and its sign)."""
    x0 = rng.uniform(-3, 3, shape)
    d = rng.uniform(-3, 3, shape)
    for a in avoid:
        for s in (a, -a):
            near = np.abs(d - s) < 0.05
            d = np.where(near, s + np.where(d >= s, 0.1, -0.1), d)
    return x0.astype(dtype), (x0 - d).astype(dtype)


@parametrize_class(dtype=["float16", "float32", "float64"], shape=[(), (3, 4)])
class TestSquaredError(FunctionTestCase):
    function = staticmethod(nf.squared_error)

    def inputs(self, rng):
        return _pair(rng, self.shape, self.dtype, ())

    def expected(self, x0, x1):
        return (((x0.astype(np.float64) - x1) ** 2).astype(x0.dtype),)


class TestSquaredErrorBroadcast(FunctionTestCase):
    function = staticmethod(nf.squared_error)
    symbolic_dims = ()

    def inputs(self, rng):
        return rng.normal(size=(3, 4)), rng.normal(size=(4,))

    def expected(self, x0, x1):
        return ((x0 - x1) ** 2,)


@parametrize_class(dtype=["float16", "float32", "float64"], shape=[(), (3, 4)])
class TestAbsoluteError(FunctionTestCase):
    function = staticmethod(nf.absolute_error)

    def inputs(self, rng):
        return _pair(rng, self.shape, self.dtype, (0.0,))

    def expected(self, x0, x1):
        return (np.abs(x0.astype(np.float64) - x1).astype(x0.dtype),)


@parametrize_class(dtype=["float32", "float64"], delta=[1.0, 0.5])
class TestHuberLoss(FunctionTestCase):
    function = staticmethod(nf.huber_loss)

    def inputs(self, rng):
        return _pair(rng, (4, 5), self.dtype, (self.delta,))

    def kwargs(self):
        return {"delta": self.delta}

    def expected(self, x0, x1):
        d = x0.astype(np.float64) - x1
        out = np.where(np.abs(d) < self.delta, d * d, self.delta * (2 * np.abs(d) - self.delta))
        return (out.astype(x0.dtype),)


@parametrize_class(dtype=["float32", "float64"], epsilon=[0.0, 0.7])
class TestEpsilonInsensitiveLoss(FunctionTestCase):
    function = staticmethod(nf.epsilon_insensitive_loss)

    def inputs(self, rng):
        return _pair(rng, (4, 5), self.dtype, (0.0, self.epsilon))

    def kwargs(self):
        return {"epsilon": self.epsilon}

    def expected(self, x0, x1):
        d = np.abs(x0.astype(np.float64) - x1)
        return (np.where(d > self.epsilon, d - self.epsilon, 0.0).astype(x0.dtype),)


def test_gradients_at_the_kinks():
    x0 = nf.Variable(np.array([0.0, 1.0, -1.0, 0.5]), requires_grad=True)
    x1 = np.zeros(4)
    nf.sum(nf.absolute_error(x0, x1)).backward()
    np.testing.assert_array_equal(x0.grad, [0.0, 1.0, -1.0, 1.0])  # sign, 0 at 0
    x0.grad = None
    nf.sum(nf.huber_loss(x0, x1)).backward()  # |d| = delta: both branches give 2 delta sign(d)
    np.testing.assert_array_equal(x0.grad, [0.0, 2.0, -2.0, 1.0])
    x0.grad = None
    nf.sum(nf.epsilon_insensitive_loss(x0, x1, 0.5)).backward()  # edge of the band: 0
    np.testing.assert_array_equal(x0.grad, [0.0, 1.0, -1.0, 0.0])


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.squared_error(np.zeros((2, 3)), np.zeros((4,))),
            nf.ShapeError,
            "squared_error: `x0` and `x1` must have broadcastable shapes; "
            "received x0.shape=(2, 3), x1.shape=(4,).",
        ),
        (
            lambda: nf.huber_loss(np.zeros(2), np.zeros(2), delta=0.0),
            nf.ArgumentError,
            "huber_loss: `delta` must be in (0, inf); received delta=0.0.",
        ),
        (
            lambda: nf.epsilon_insensitive_loss(np.zeros(2), np.zeros(2), -0.1),
            nf.ArgumentError,
            "epsilon_insensitive_loss: `epsilon` must be in [0, inf); received epsilon=-0.1.",
        ),
        (
            lambda: nf.absolute_error(np.zeros(2), np.zeros(3)),
            nf.ShapeError,
            "absolute_error: `x0` and `x1` must have broadcastable shapes; "
            "received x0.shape=(2,), x1.shape=(3,).",
        ),
    ],
)
def test_bad_inputs(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
