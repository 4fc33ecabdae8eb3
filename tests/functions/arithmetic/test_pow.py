import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def pow_ref(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return np.exp(b * np.log(a))


@parametrize_class(
    shapes=[((), ()), ((5,), (5,)), ((2, 3, 4), (3, 1)), ((1, 4), (3, 1))],
    dtype=["float16", "float32", "float64"],
)
class TestPow(FunctionTestCase):
    function = staticmethod(nf.pow)
    symbolic_dims = ()

    def inputs(self, rng):
        sa, sb = self.shapes
        a = rng.uniform(0.5, 2, sa).astype(self.dtype)
        b = rng.uniform(-2, 2, sb).astype(self.dtype)
        return (a, b)

    def expected(self, a, b):
        return (np.asarray(pow_ref(a, b)).astype(a.dtype),)


@parametrize_class(dtype=["float32"])
class TestPowUnknownBatch(FunctionTestCase):
    function = staticmethod(nf.pow)

    def inputs(self, rng):
        a = rng.uniform(0.5, 2, (3, 4)).astype(self.dtype)
        b = rng.uniform(-2, 2, (3, 4)).astype(self.dtype)
        return (a, b)

    def expected(self, a, b):
        return (np.asarray(pow_ref(a, b)).astype(a.dtype),)


class TestPowInteger(FunctionTestCase):
    function = staticmethod(nf.pow)

    def inputs(self, rng):
        return (rng.integers(-4, 5, (2, 3)).astype(np.int64), np.array([0, 1, 3], np.int64))

    def expected(self, a, b):
        return (np.array([[int(x) ** int(e) for x, e in zip(row, b)] for row in a]),)


@parametrize_class(exponent=[1, 2, 3, 0.5, -1])
class TestPowScalarExponent(FunctionTestCase):
    function = staticmethod(nf.pow)

    def inputs(self, rng):
        return (rng.uniform(0.5, 2, (2, 3)).astype(np.float32),)

    def _call(self, *args, **extra):
        return (nf.pow(args[0], self.exponent, **extra),)

    def expected(self, a):
        return ((np.exp(self.exponent * np.log(a.astype(np.float64)))).astype(np.float32),)


def test_pow_base_gradient_at_zero_base():
    e = nf.Variable(np.array([2.0]), requires_grad=True)
    nf.sum(nf.pow(np.array([0.0]), e)).backward()
    np.testing.assert_array_equal(e.grad, [0.0])


@parametrize_class(side=["left", "right"], dtype=["float32", "int32"])
class TestPowPythonScalar(FunctionTestCase):
    """A Python scalar operand takes the dtype of the tensor operand."""

    function = staticmethod(nf.pow)

    def inputs(self, rng):
        if self.dtype == "int32":
            return (rng.integers(1, 4, (2, 3)).astype(np.int32),)
        return (rng.uniform(0.5, 2, (2, 3)).astype(np.float32),)

    def _call(self, *args, **extra):
        x = args[0]
        out = nf.pow(x, 2, **extra) if self.side == "left" else nf.pow(2, x, **extra)
        return (out,)

    def expected(self, x):
        other = np.float64(2)
        a, b = (
            (x.astype(np.float64), other) if self.side == "left" else (other, x.astype(np.float64))
        )
        dtype = np.float32 if (x.dtype.kind == "i" and "pow" in ("div", "atan2")) else x.dtype
        return (np.asarray(np.rint(a**b) if x.dtype.kind == "i" else a**b).astype(dtype),)


def test_pow_variable_operator_routes_here():
    x = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
    y = x**2.0
    assert y.creator.op_name == "pow"
    z = 3.0**x
    assert z.creator.op_name == "pow"


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((2, 3), np.float32), np.ones((4,), np.float32)),
            {},
            nf.ShapeError,
            "pow: `x0` and `x1` must have broadcastable shapes; "
            "received x0.shape=(2, 3), x1.shape=(4,).",
        ),
    ],
)
def test_pow_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.pow, inputs, kwargs, exc, message)


def test_pow_negative_integer_exponent_of_an_integer_base_is_an_argument_error():
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape(
            "pow: `x1` must not hold negative values when both operands are integers (cast to "
            "float); received x0.dtype=int64, x1.dtype=int64."
        ),
    ):
        nf.pow(np.array([2, 3]), np.array([1, -1]))
