import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def minimum_ref(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return np.where(a <= b, a, b)


@parametrize_class(
    shapes=[((), ()), ((5,), (5,)), ((2, 3, 4), (3, 1)), ((1, 4), (3, 1))],
    dtype=["float16", "float32", "float64"],
)
class TestMinimum(FunctionTestCase):
    function = staticmethod(nf.minimum)
    symbolic_dims = ()

    def inputs(self, rng):
        sa, sb = self.shapes
        a = rng.uniform(-3, 3, sa).astype(self.dtype)
        b = rng.uniform(-3, 3, sb).astype(self.dtype)
        return (a, b)

    def expected(self, a, b):
        return (np.asarray(minimum_ref(a, b)).astype(a.dtype),)

    def _grad_inputs64(self):
        # Keep the operands apart: the function has a kink where they are equal.
        inputs, idx = super()._grad_inputs64()
        a, b = np.broadcast_arrays(*inputs)
        close = np.abs(a - b) < 0.05
        if close.any():
            inputs[0] = np.where(close, a + 0.2, a)[tuple(slice(0, n) for n in inputs[0].shape)]
        return inputs, idx


@parametrize_class(dtype=["float32"])
class TestMinimumUnknownBatch(FunctionTestCase):
    function = staticmethod(nf.minimum)

    def inputs(self, rng):
        a = rng.uniform(-3, 3, (3, 4)).astype(self.dtype)
        b = rng.uniform(-3, 3, (3, 4)).astype(self.dtype)
        return (a, b)

    def expected(self, a, b):
        return (np.asarray(minimum_ref(a, b)).astype(a.dtype),)

    def _grad_inputs64(self):
        # Keep the operands apart: the function has a kink where they are equal.
        inputs, idx = super()._grad_inputs64()
        a, b = np.broadcast_arrays(*inputs)
        close = np.abs(a - b) < 0.05
        if close.any():
            inputs[0] = np.where(close, a + 0.2, a)[tuple(slice(0, n) for n in inputs[0].shape)]
        return inputs, idx


class TestMinimumInteger(FunctionTestCase):
    function = staticmethod(nf.minimum)

    def inputs(self, rng):
        return (
            rng.integers(-5, 5, (2, 3)).astype(np.int32),
            rng.integers(1, 4, (3,)).astype(np.int32),
        )

    def expected(self, a, b):
        x0 = a
        a, b = a.astype(np.float64), b.astype(np.float64)
        return ((np.where(a <= b, a, b)).astype(x0.dtype),)


@parametrize_class(side=["left", "right"], dtype=["float32", "int32"])
class TestMinimumPythonScalar(FunctionTestCase):
    """A Python scalar operand takes the dtype of the tensor operand."""

    function = staticmethod(nf.minimum)

    def inputs(self, rng):
        lo, hi = (-3, 3)
        return (
            (rng.uniform(lo, hi, (2, 3)) * 1).astype(self.dtype)
            + (2 if self.dtype == "int32" else 0),
        )

    def _call(self, *args, **extra):
        x = args[0]
        out = nf.minimum(x, 2, **extra) if self.side == "left" else nf.minimum(2, x, **extra)
        return (out,)

    def expected(self, x):
        other = np.float64(2)
        a, b = (
            (x.astype(np.float64), other) if self.side == "left" else (other, x.astype(np.float64))
        )
        dtype = np.float32 if (x.dtype.kind == "i" and "minimum" in ("div", "atan2")) else x.dtype
        return (np.asarray(np.where(a <= b, a, b)).astype(dtype),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((2, 3), np.float32), np.ones((4,), np.float32)),
            {},
            nf.ShapeError,
            "minimum: `x0` and `x1` must have broadcastable shapes; "
            "received x0.shape=(2, 3), x1.shape=(4,).",
        ),
    ],
)
def test_minimum_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.minimum, inputs, kwargs, exc, message)


def test_minimum_tie_gradient_goes_to_x0():
    a = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
    b = nf.Variable(np.array([1.0, 5.0 if "minimum" == "minimum" else -5.0]), requires_grad=True)
    nf.sum(nf.minimum(a, b)).backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.0, 0.0])
