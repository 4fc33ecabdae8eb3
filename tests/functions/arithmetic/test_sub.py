import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def sub_ref(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return a - b


@parametrize_class(
    shapes=[((), ()), ((5,), (5,)), ((2, 3, 4), (3, 1)), ((1, 4), (3, 1))],
    dtype=["float16", "float32", "float64"],
)
class TestSub(FunctionTestCase):
    function = staticmethod(nf.sub)
    symbolic_dims = ()

    def inputs(self, rng):
        sa, sb = self.shapes
        a = rng.uniform(-3, 3, sa).astype(self.dtype)
        b = rng.uniform(-3, 3, sb).astype(self.dtype)
        return (a, b)

    def expected(self, a, b):
        return (np.asarray(sub_ref(a, b)).astype(a.dtype),)


@parametrize_class(dtype=["float32"])
class TestSubUnknownBatch(FunctionTestCase):
    function = staticmethod(nf.sub)

    def inputs(self, rng):
        a = rng.uniform(-3, 3, (3, 4)).astype(self.dtype)
        b = rng.uniform(-3, 3, (3, 4)).astype(self.dtype)
        return (a, b)

    def expected(self, a, b):
        return (np.asarray(sub_ref(a, b)).astype(a.dtype),)


class TestSubInteger(FunctionTestCase):
    function = staticmethod(nf.sub)

    def inputs(self, rng):
        return (
            rng.integers(-5, 5, (2, 3)).astype(np.int32),
            rng.integers(1, 4, (3,)).astype(np.int32),
        )

    def expected(self, a, b):
        x0 = a
        a, b = a.astype(np.float64), b.astype(np.float64)
        return ((a - b).astype(x0.dtype),)


@parametrize_class(side=["left", "right"], dtype=["float32", "int32"])
class TestSubPythonScalar(FunctionTestCase):
    """A Python scalar operand takes the dtype of the tensor operand."""

    function = staticmethod(nf.sub)

    def inputs(self, rng):
        lo, hi = (-3, 3)
        return (
            (rng.uniform(lo, hi, (2, 3)) * 1).astype(self.dtype)
            + (2 if self.dtype == "int32" else 0),
        )

    def _call(self, *args, **extra):
        x = args[0]
        out = nf.sub(x, 2, **extra) if self.side == "left" else nf.sub(2, x, **extra)
        return (out,)

    def expected(self, x):
        other = np.float64(2)
        a, b = (
            (x.astype(np.float64), other) if self.side == "left" else (other, x.astype(np.float64))
        )
        dtype = np.float32 if (x.dtype.kind == "i" and "sub" in ("div", "atan2")) else x.dtype
        return (np.asarray(a - b).astype(dtype),)


def test_sub_variable_operator_routes_here():
    x = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
    y = x - 2.0
    assert y.creator.op_name == "sub"
    z = 3.0 - x
    assert z.creator.op_name == "sub"


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((2, 3), np.float32), np.ones((4,), np.float32)),
            {},
            nf.ShapeError,
            "sub: `x0` and `x1` must have broadcastable shapes; "
            "received x0.shape=(2, 3), x1.shape=(4,).",
        ),
        (
            (np.ones(2, bool), np.zeros(2, bool)),
            {},
            nf.DTypeError,
            "sub: `x0` and `x1` must not both be bool (use logical_xor); "
            "received x0.dtype=bool, x1.dtype=bool.",
        ),
    ],
)
def test_sub_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.sub, inputs, kwargs, exc, message)
