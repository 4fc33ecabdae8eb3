import numpy as np

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(dtype=["float32", "float64"], shifted=[False, True])
class TestNormalizeMoments(FunctionTestCase):
    tolerances = {"float32": {"atol": 1e-5}}  # noqa: RUF012
    symbolic_dims = ()

    @staticmethod
    def function(c, m, v, *shift, **kw):
        return nf.normalize_moments(c, m, v, *shift, **kw)

    def inputs(self, rng):
        c = np.asarray(rng.uniform(2, 5), self.dtype)
        m = rng.standard_normal(3).astype(self.dtype)
        v = rng.uniform(3, 6, 3).astype(self.dtype)
        if not self.shifted:
            return (c, m, v)
        return (c, m, v, rng.standard_normal(3).astype(self.dtype))

    def expected(self, c, m, v, shift=None):
        c64, m64, v64 = (a.astype(np.float64) for a in (c, m, v))
        sm = m64 / c64
        mean = sm + (0 if shift is None else shift.astype(np.float64))
        return (mean.astype(self.dtype), (v64 / c64 - sm * sm).astype(self.dtype))


def test_round_trip_with_sufficient_statistics():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3)) + 7
    c, s1, s2 = nf.sufficient_statistics(x, 0, shift=7.0)
    m, v = nf.normalize_moments(c, s1, s2, 7.0)
    np.testing.assert_allclose(m, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(v, x.var(0), rtol=1e-10)


def test_bad_shapes_both_modes():
    assert_raises_both_modes(
        nf.normalize_moments,
        (np.ones(2, np.float32), np.ones(3, np.float32), np.ones(3, np.float32)),
        {},
        nf.ShapeError,
        "normalize_moments: `counts` and `mean_ss` and `variance_ss` must have broadcastable "
        "shapes; received counts.shape=(2,), mean_ss.shape=(3,), variance_ss.shape=(3,).",
    )


def test_formula_is_not_clamped():
    # TF's formula as written: a shift far from the mean may give a (slightly) negative value
    m, v = nf.normalize_moments(np.float32(2.0), np.float32(0.0), np.float32(-1.0), None)
    assert float(v) == -0.5 and float(m) == 0.0
