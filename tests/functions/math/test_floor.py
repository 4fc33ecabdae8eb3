import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def floor_ref(x):
    x64 = x.astype(np.float64)
    return (x64 - np.mod(x64, 1.0)).astype(x.dtype)


@parametrize_class(
    shape=[(), (6,), (2, 3, 4)], dtype=["float16", "float32", "float64"], ste=[True, False]
)
class TestFloor(FunctionTestCase):
    function = staticmethod(nf.floor)
    # Inputs stay away from the jumps so that the zero-gradient variant is checkable.
    kinks = tuple(np.arange(-4.5, 4.6, 0.5))

    def inputs(self, rng):
        base = rng.integers(-4, 4, self.shape) + rng.choice([0.2, 0.3, 0.7, 0.8], self.shape)
        return (np.asarray(base).astype(self.dtype),)

    @property
    def differentiable(self):
        # The straight-through gradient is by design not the numerical derivative (0): it is
        # checked separately below.
        return not self.ste

    def kwargs(self):
        return {"ste": self.ste}

    def expected(self, x):
        return (floor_ref(x),)


class TestFloorHalves(FunctionTestCase):
    function = staticmethod(nf.floor)
    differentiable = False

    def inputs(self, rng):
        return (np.array([-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 0.49999997], np.float32),)

    def expected(self, x):
        return (floor_ref(x),)


class TestFloorInteger(FunctionTestCase):
    function = staticmethod(nf.floor)

    def inputs(self, rng):
        return (rng.integers(-5, 5, (3, 4)),)

    def expected(self, x):
        return (x.copy(),)


def test_floor_straight_through_gradient_is_one():
    x = nf.Variable(np.array([0.3, -1.7, 2.5]), requires_grad=True)
    nf.sum(nf.floor(x) * np.array([1.0, 2.0, 3.0])).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])
    y = nf.Variable(np.array([0.3, -1.7]), requires_grad=True)
    (g,) = nf.grad(nf.sum(nf.floor(y, ste=False) * 1.0), y)
    np.testing.assert_array_equal(g.data, [0.0, 0.0])


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones(2),),
            {"ste": 1},
            nf.ArgumentError,
            "floor: `ste` must be a bool; received ste=1.",
        ),
        (
            (np.array(["a"]),),
            {},
            nf.DTypeError,
            "floor: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_floor_errors(inputs, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        nf.floor(*inputs, **kwargs)
