import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(shape=[(6,), (2, -1), (3, 1, 2)], dtype=["float32", "float64", "int32"])
class TestReshape(FunctionTestCase):
    function = staticmethod(nf.reshape)
    symbolic_dims = ()

    def inputs(self, rng):
        return ((rng.standard_normal((2, 3)) * 3).astype(self.dtype),)

    def kwargs(self):
        return {"shape": self.shape}

    def expected(self, *xs):
        (x,) = xs
        flat = [v for row in x.tolist() for v in row]
        known = int(np.prod([d for d in self.shape if d != -1]))
        target = tuple(len(flat) // known if d == -1 else d for d in self.shape)
        return (np.array(flat, x.dtype).reshape(target),)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.reshape(np.ones(6), (4, 2)),
            nf.ShapeError,
            "reshape: `shape` must fit the input's size; received shape=(4, 2), x.shape=(6,).",
        ),
        (
            lambda: nf.reshape(np.ones(6), (-1, -1)),
            nf.ArgumentError,
            "reshape: `shape` must contain at most one -1; received shape=(-1, -1).",
        ),
        (
            lambda: nf.reshape(np.ones(6), (-2, 3)),
            nf.ArgumentError,
            "reshape: `shape` must be a sequence of ints >= -1; received shape=(-2, 3).",
        ),
    ],
)
def test_reshape_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
