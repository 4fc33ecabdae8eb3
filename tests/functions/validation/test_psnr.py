import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(dtype=["float32", "float64"], max_val=[1.0, 255.0])
class TestPSNR(FunctionTestCase):
    function = staticmethod(nf.psnr)

    def inputs(self, rng):
        return rng.normal(size=(2, 3, 4)).astype(self.dtype), rng.normal(size=(2, 3, 4)).astype(
            self.dtype
        )

    def kwargs(self):
        return {"max_val": self.max_val}

    def expected(self, x1, x2):
        mse = ((x1.astype(np.float64) - x2) ** 2).mean()
        return (np.asarray(20 * np.log10(self.max_val) - 10 * np.log10(mse)).astype(x1.dtype),)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.psnr(np.zeros(3), np.zeros(3), 0.0),
            nf.ArgumentError,
            "psnr: `max_val` must be in (0, inf); received max_val=0.0.",
        ),
        (
            lambda: nf.psnr(np.zeros(3), np.zeros(3), -1),
            nf.ArgumentError,
            "psnr: `max_val` must be in (0, inf); received max_val=-1.0.",
        ),
        (
            lambda: nf.psnr(np.zeros((2, 3)), np.zeros((3, 2)), 1.0),
            ValueError,
            "psnr: `x1` and `x2` must have the same shape; "
            "received x1.shape=(2, 3), x2.shape=(3, 2).",
        ),
    ],
)
def test_bad_inputs(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


def test_identical_signals_give_infinity():
    with np.errstate(divide="ignore"):
        assert nf.psnr(np.ones(4), np.ones(4), 1.0) == np.inf
