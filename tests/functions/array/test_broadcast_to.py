import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(
    case=[((3,), (2, 3)), ((2, 1), (2, 4)), ((), (2, 2)), ((1, 3), (4, 2, 3))],
    dtype=["float32", "float64"],
)
class TestBroadcastTo(FunctionTestCase):
    function = staticmethod(nf.broadcast_to)
    symbolic_dims = ()

    def inputs(self, rng):
        return (rng.standard_normal(self.case[0]).astype(self.dtype),)

    def kwargs(self):
        return {"shape": self.case[1]}

    def expected(self, *xs):
        (x,) = xs
        shape = self.case[1]
        xs_ = (1,) * (len(shape) - x.ndim) + x.shape
        x2 = x.reshape(xs_)
        out = np.empty(shape, x.dtype)
        for pos in np.ndindex(shape):
            out[pos] = x2[tuple(0 if d == 1 else p for p, d in zip(pos, xs_))]
        return (out,)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.broadcast_to(np.ones((2, 3)), (3, 3)),
            nf.ShapeError,
            "broadcast_to: `x` must be broadcastable to `shape`; received x.shape=(2, 3), "
            "shape=(3, 3).",
        ),
        (
            lambda: nf.broadcast_to(np.ones(3), (-1, 3)),
            nf.ArgumentError,
            "broadcast_to: `shape` must be a sequence of non-negative ints; received shape=(-1, "
            "3).",
        ),
    ],
)
def test_broadcast_to_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
