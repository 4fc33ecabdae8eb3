import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(case=[((3,), (2, 3)), ((2, 1), (2, 4))], dtype=["float32", "int32"])
class TestBroadcast(FunctionTestCase):
    function = staticmethod(nf.broadcast)
    symbolic_dims = ()

    def inputs(self, rng):
        return ((rng.standard_normal(self.case[0]) * 3).astype(self.dtype),)

    def kwargs(self):
        return {"shape": self.case[1]}

    def expected(self, *xs):
        (x,) = xs
        return (np.array(np.broadcast_to(x, self.case[1])),)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.broadcast(np.ones((2, 3)), (3, 3)),
            nf.ShapeError,
            "broadcast_to: `x` must be broadcastable to `shape`; received x.shape=(2, 3), "
            "shape=(3, 3).",
        ),
    ],
)
def test_broadcast_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
