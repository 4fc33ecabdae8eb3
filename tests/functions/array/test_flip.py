import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(axes=[None, 0, (0, 2), -2], dtype=["float32", "int64"])
class TestFlip(FunctionTestCase):
    function = staticmethod(nf.flip)

    def inputs(self, rng):
        return ((rng.standard_normal((2, 3, 4)) * 3).astype(self.dtype),)

    def kwargs(self):
        return {"axes": self.axes}

    def expected(self, x):
        axes = (2,) if self.axes is None else tuple(np.atleast_1d(self.axes) % 3)
        out = np.empty_like(x)
        for pos in np.ndindex(x.shape):
            src = tuple(x.shape[d] - 1 - p if d in axes else p for d, p in enumerate(pos))
            out[pos] = x[src]
        return (out,)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.flip(np.ones((2, 3)), 2),
            nf.ShapeError,
            "flip: `axes` must be in [-2, 2) for an input of rank 2; received axes=2.",
        ),
        (
            lambda: nf.flip(np.ones(())),
            nf.ShapeError,
            "flip: `x` must have rank >= 1; received x.shape=().",
        ),
    ],
)
def test_flip_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
