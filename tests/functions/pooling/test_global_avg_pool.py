import numpy as np

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(
    shape=[(2, 3, 4, 5), (2, 3, 4), (1, 2, 2, 3, 2)],
    channel_last=[False, True],
    dtype=["float32", "float64"],
)
class TestGlobalAvgPool(FunctionTestCase):
    function = staticmethod(nf.global_avg_pool)

    def inputs(self, rng):
        return (rng.standard_normal(self.shape).astype(self.dtype),)

    def kwargs(self):
        return {"channel_last": self.channel_last}

    def expected(self, x):
        x64 = x.astype(np.float64)
        if self.channel_last:
            x64 = np.moveaxis(x64, -1, 1)
        y = x64.reshape(x64.shape[:2] + (-1,)).mean(-1).reshape(x64.shape[:2] + (1,) * (x.ndim - 2))
        if self.channel_last:
            y = np.moveaxis(y, 1, -1)
        return (y.astype(x.dtype),)


def test_global_avg_pool_rank_error():
    assert_raises_both_modes(
        nf.global_avg_pool,
        (np.zeros((2, 3)),),
        {},
        nf.ShapeError,
        "global_avg_pool: `x` must have rank >= 3; received x.shape=(2, 3).",
    )
