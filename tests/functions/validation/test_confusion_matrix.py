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
