import numpy as np

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(shape=[(), (3, 4)], dtype=["float16", "float32", "float64"])
class TestL2Loss(FunctionTestCase):
    function = staticmethod(nf.l2_loss)

    def inputs(self, rng):
        return (rng.normal(0, 2, self.shape).astype(self.dtype),)

    def expected(self, t):
        return (np.asarray((t.astype(np.float64) ** 2).sum() / 2).astype(t.dtype),)


class TestL2LossInteger(FunctionTestCase):
    function = staticmethod(nf.l2_loss)

    def inputs(self, rng):
        return (rng.integers(-5, 5, (2, 3)).astype(np.int32),)

    def expected(self, t):
        return (np.asarray((t.astype(np.float64) ** 2).sum() / 2).astype(np.float32),)


def test_float16_does_not_overflow_in_the_sum():
    t = np.full(100, 300.0, np.float16)  # each square overflows float16 alone: 9e4 > 65504
    assert nf.l2_loss(t / 10) == np.float16(100 * 900 / 2)


def test_float16_overflow_of_the_result_is_inf_without_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nf.l2_loss(np.full(2, 300.0, np.float16)) == np.inf  # 9e4 > 65504
