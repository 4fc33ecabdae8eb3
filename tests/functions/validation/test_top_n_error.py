import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def top_n_error_ref(x, t, axis, n):
    x = np.moveaxis(x, axis, -1)
    out = np.empty(x.shape[:-1])
    for i in np.ndindex(*x.shape[:-1]):
        row = x[i]
        out[i] = float(sum(1 for v in row if v >= row[t[i]]) > n)
    return out


@parametrize_class(dtype=["float32", "float64"], n=[1, 2], axis=[-1, 0], keepdims=[False, True])
class TestTopNError(FunctionTestCase):
    function = staticmethod(nf.top_n_error)
    differentiable = False
    symbolic_dims = ()

    def inputs(self, rng):
        x = rng.integers(0, 3, (5, 4)).astype(self.dtype)
        shape = (4,) if self.axis == 0 else (5,)
        return x, rng.integers(0, x.shape[self.axis], shape)

    def kwargs(self):
        return {"axis": self.axis, "n": self.n, "keepdims": self.keepdims}

    def expected(self, x, t):
        out = top_n_error_ref(x, t, self.axis, self.n)
        if self.keepdims:
            out = np.expand_dims(out, self.axis)
        return (out.astype(x.dtype),)


def test_ties_count_against_the_target():
    x = np.array([[0.5, 0.5, 0.1]])
    np.testing.assert_array_equal(nf.top_n_error(x, np.array([0])), [1.0])
    np.testing.assert_array_equal(nf.top_n_error(x, np.array([0]), n=2), [0.0])


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.top_n_error(np.zeros((2, 3)), np.array([0, 1]), n=0),
            nf.ArgumentError,
            "top_n_error: `n` must be positive; received n=0.",
        ),
        (
            lambda: nf.top_n_error(np.zeros((2, 3)), np.array([-1, 1])),
            nf.ArgumentError,
            "top_n_error: `target` must hold class indices in [0, 3); received target[0]=-1.",
        ),
    ],
)
def test_bad_inputs(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
