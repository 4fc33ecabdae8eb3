import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(axes=[None, (1, 0, 2), (2, 0, 1), (-1, 0, 1)], dtype=["float32", "int64"])
class TestTranspose(FunctionTestCase):
    function = staticmethod(nf.transpose)

    def inputs(self, rng):
        return ((rng.standard_normal((2, 3, 4)) * 3).astype(self.dtype),)

    def kwargs(self):
        return {"axes": self.axes}

    def expected(self, *xs):
        (x,) = xs
        axes = (2, 1, 0) if self.axes is None else tuple(a % 3 for a in self.axes)
        out = np.empty(tuple(x.shape[a] for a in axes), x.dtype)
        for pos in np.ndindex(out.shape):
            src = [0, 0, 0]
            for i, a in enumerate(axes):
                src[a] = pos[i]
            out[pos] = x[tuple(src)]
        return (out,)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.transpose(np.ones((2, 3)), (0, 0)),
            nf.ArgumentError,
            "transpose: `axes` must be a permutation of the 2 axes; received axes=(0, 0), "
            "x.shape=(2, 3).",
        ),
        (
            lambda: nf.transpose(np.ones((2, 3)), (0, 1, 2)),
            nf.ArgumentError,
            "transpose: `axes` must be a permutation of the 2 axes",
        ),
    ],
)
def test_transpose_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
