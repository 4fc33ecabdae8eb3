import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def atan2_ref(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return np.arctan2(a, b)


@parametrize_class(
    shapes=[((), ()), ((5,), (5,)), ((2, 3, 4), (3, 1)), ((1, 4), (3, 1))],
    dtype=["float16", "float32", "float64"],
)
class TestAtan2(FunctionTestCase):
    function = staticmethod(nf.atan2)
    symbolic_dims = ()

    def inputs(self, rng):
        sa, sb = self.shapes
        a = rng.uniform(-3, 3, sa).astype(self.dtype)
        b = rng.uniform(0.5, 3, sb).astype(self.dtype)
        return (a, b)

    def expected(self, a, b):
        return (np.asarray(atan2_ref(a, b)).astype(a.dtype),)


@parametrize_class(dtype=["float32"])
class TestAtan2UnknownBatch(FunctionTestCase):
    function = staticmethod(nf.atan2)

    def inputs(self, rng):
        a = rng.uniform(-3, 3, (3, 4)).astype(self.dtype)
        b = rng.uniform(0.5, 3, (3, 4)).astype(self.dtype)
        return (a, b)

    def expected(self, a, b):
        return (np.asarray(atan2_ref(a, b)).astype(a.dtype),)


@parametrize_class(side=["left", "right"], dtype=["float32", "int32"])
class TestAtan2PythonScalar(FunctionTestCase):
    """A Python scalar operand takes the dtype of the tensor operand."""

    function = staticmethod(nf.atan2)

    def inputs(self, rng):
        lo, hi = (0.5, 3)
        return (
            (rng.uniform(lo, hi, (2, 3)) * 1).astype(self.dtype)
            + (2 if self.dtype == "int32" else 0),
        )

    def _call(self, *args, **extra):
        x = args[0]
        out = nf.atan2(x, 2, **extra) if self.side == "left" else nf.atan2(2, x, **extra)
        return (out,)

    def expected(self, x):
        other = np.float64(2)
        a, b = (
            (x.astype(np.float64), other) if self.side == "left" else (other, x.astype(np.float64))
        )
        dtype = np.float32 if (x.dtype.kind == "i" and "atan2" in ("div", "atan2")) else x.dtype
        return (np.asarray(np.arctan2(a, b)).astype(dtype),)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((2, 3), np.float32), np.ones((4,), np.float32)),
            {},
            nf.ShapeError,
            "atan2: `x0` and `x1` must have broadcastable shapes; "
            "received x0.shape=(2, 3), x1.shape=(4,).",
        ),
    ],
)
def test_atan2_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.atan2, inputs, kwargs, exc, message)
