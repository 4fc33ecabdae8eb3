import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(axis=[None, 0, (0, 2)], dtype=["float32", "int32"])
class TestSqueeze(FunctionTestCase):
    function = staticmethod(nf.squeeze)
    symbolic_dims = (1,)

    def inputs(self, rng):
        return ((rng.standard_normal((1, 3, 1)) * 3).astype(self.dtype),)

    def kwargs(self):
        return {"axis": self.axis}

    def expected(self, *xs):
        (x,) = xs
        shape = (3,) if self.axis in (None, (0, 2)) else (3, 1)
        return (x.copy().reshape(shape),)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.squeeze(np.ones((2, 3)), 0),
            nf.ShapeError,
            "squeeze: `axis` must name axes of size 1; received axis=0, x.shape=(2, 3).",
        ),
    ],
)
def test_squeeze_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
