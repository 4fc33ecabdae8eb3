import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(axis=[0, -1, (0, 2)], dtype=["float32", "int32"])
class TestExpandDims(FunctionTestCase):
    function = staticmethod(nf.expand_dims)

    def inputs(self, rng):
        return ((rng.standard_normal((2, 3)) * 3).astype(self.dtype),)

    def kwargs(self):
        return {"axis": self.axis}

    def expected(self, *xs):
        (x,) = xs
        axes = (self.axis,) if isinstance(self.axis, int) else self.axis
        n = x.ndim + len(axes)
        axes = {a % n for a in axes}
        it = iter(x.shape)
        shape = tuple(1 if i in axes else next(it) for i in range(n))
        return (x.copy().reshape(shape),)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.expand_dims(np.ones((2, 3)), 3),
            nf.ShapeError,
            "expand_dims: `axis` must be in [-3, 3) for an output of rank 3; received axis=3.",
        ),
    ],
)
def test_expand_dims_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
