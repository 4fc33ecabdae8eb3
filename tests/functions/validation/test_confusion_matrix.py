import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def confusion_ref(x, t, axis):
    x = np.moveaxis(x, axis, -1)
    c = x.shape[-1]
    out = np.zeros((c, c), np.int64)
    for i in np.ndindex(*x.shape[:-1]):
        row = list(x[i])
        out[t[i], row.index(max(row))] += 1
    return out


@parametrize_class(axis=[-1, 1], kept=[False, True])
class TestConfusionMatrix(FunctionTestCase):
    function = staticmethod(nf.confusion_matrix)
    differentiable = False

    def inputs(self, rng):
        x = rng.integers(0, 3, (4, 3, 2)).astype(np.float32)  # ties: the first max wins
        shape = (4, 2) if self.axis == 1 else (4, 3)
        t = rng.integers(0, x.shape[self.axis], shape)
        if self.kept:
            t = np.expand_dims(t, self.axis)
        return x, t

    def kwargs(self):
        return {"axis": self.axis}

    def expected(self, x, t):
        if self.kept:
            t = np.squeeze(t, self.axis)
        return (confusion_ref(x, t, self.axis),)


def test_bad_label():
    msg = "confusion_matrix: `target` must hold class indices in [0, 2); received target[2]=2."
    with pytest.raises(nf.ArgumentError, match=re.escape(msg)):
        nf.confusion_matrix(np.zeros((3, 2)), np.array([0, 1, 2]))


@pytest.mark.parametrize("dtype", ["int32", np.int64])
def test_count_dtype(dtype):
    out = nf.confusion_matrix(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([0, 1, 1]))
    typed = nf.confusion_matrix(
        np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([0, 1, 1]), dtype=dtype
    )
    assert typed.dtype == np.dtype(dtype) and out.dtype == np.int64
    np.testing.assert_array_equal(typed, [[1, 0], [1, 1]])


@pytest.mark.parametrize("dtype", ["float32", None, "int8"])
def test_count_dtype_must_be_int32_or_int64(dtype):
    msg = f"confusion_matrix: `dtype` must be one of 'int32', 'int64'; received dtype={dtype!r}."
    with pytest.raises(nf.ArgumentError, match=re.escape(msg)):
        nf.confusion_matrix(np.zeros((2, 2)), np.array([0, 1]), dtype=dtype)
