import numpy as np

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(dtype=["float32", "float64"], keepdims=[False, True], shifted=[False, True])
class TestSufficientStatistics(FunctionTestCase):
    tolerances = {"float32": {"atol": 1e-5}}  # noqa: RUF012
    symbolic_dims = (1,)

    @staticmethod
    def function(x, *shift, **kw):
        return nf.sufficient_statistics(x, (0, 2), *shift, **kw)

    def kwargs(self):
        return {"keepdims": self.keepdims}

    def inputs(self, rng):
        x = rng.standard_normal((3, 4, 2)).astype(self.dtype)
        if not self.shifted:
            return (x,)
        return (x, rng.standard_normal((1, 4, 1)).astype(self.dtype))

    def expected(self, x, shift=None):
        d = x.astype(np.float64) - (0 if shift is None else shift.astype(np.float64))
        s1 = d.sum(axis=(0, 2), keepdims=self.keepdims)
        s2 = (d * d).sum(axis=(0, 2), keepdims=self.keepdims)
        return (np.asarray(6, x.dtype), s1.astype(x.dtype), s2.astype(x.dtype))


def test_bad_shift():
    assert_raises_both_modes(
        lambda x, s, **kw: nf.sufficient_statistics(x, 0, s, **kw),
        (np.zeros((2, 3), np.float32), np.zeros(2, np.float32)),
        {},
        nf.ShapeError,
        "sufficient_statistics: `shift` must broadcast to the reduced shape of `x` (kept "
        "dims); received shift.shape=(2,), x.shape=(2, 3), axes=(0,).",
    )


def test_bad_axes():
    x = np.zeros((2, 3), np.float32)
    assert_raises_both_modes(
        nf.sufficient_statistics,
        (x,),
        {"axis": (1, -1)},
        nf.ArgumentError,
        "sufficient_statistics: `axes` must not repeat an axis; received axes=(1, -1).",
    )
    assert_raises_both_modes(
        nf.sufficient_statistics,
        (x,),
        {"axis": -3},
        nf.ShapeError,
        "sufficient_statistics: `axes` must be in [-2, 2) for an input of rank 2; received "
        "axes=-3.",
    )
