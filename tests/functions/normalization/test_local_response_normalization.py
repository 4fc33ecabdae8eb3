import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def lrn_ref(x, r, bias, alpha, beta, axis=-1):
    x64 = np.moveaxis(x.astype(np.float64), axis, -1)
    c = x64.shape[-1]
    out = np.empty_like(x64)
    for d in range(c):
        lo, hi = max(0, d - r), min(c, d + r + 1)
        s = (x64[..., lo:hi] ** 2).sum(-1)
        out[..., d] = x64[..., d] / (bias + alpha * s) ** beta
    return np.moveaxis(out, -1, axis)


@parametrize_class(
    dtype=["float16", "float32", "float64"],
    case=[(5, 1.0, 1.0, 0.5, -1), (1, 2.0, 0.5, 0.75, -1), (0, 1.0, 1.0, 1.0, 1)],
)
class TestLocalResponseNormalization(FunctionTestCase):
    tolerances = {"float16": {"atol": 3e-3, "rtol": 3e-3}}  # noqa: RUF012

    @staticmethod
    def function(x, **kw):
        return nf.local_response_normalization(x, **kw)

    def kwargs(self):
        r, b, a, be, ax = self.case
        return {"depth_radius": r, "bias": b, "alpha": a, "beta": be, "axis": ax}

    def inputs(self, rng):
        return (rng.standard_normal((2, 3, 2, 7)).astype(self.dtype),)

    def expected(self, x):
        return (lrn_ref(x, *self.case).astype(x.dtype),)


def test_defaults_follow_tf():
    x = np.arange(1.0, 13.0).reshape(1, 1, 1, 12)
    np.testing.assert_allclose(
        nf.local_response_normalization(x), lrn_ref(x, 5, 1.0, 1.0, 0.5), rtol=1e-12
    )


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        (
            {"depth_radius": -1},
            nf.ArgumentError,
            "local_response_normalization: `depth_radius` must be >= 0; received depth_radius=-1.",
        ),
        (
            {"axis": 4},
            nf.ShapeError,
            "local_response_normalization: `axis` must be in [-4, 4) for an input of rank 4; "
            "received axis=4.",
        ),
        (
            {"beta": float("nan")},
            nf.ArgumentError,
            "local_response_normalization: `beta` must be finite; received beta=nan.",
        ),
    ],
)
def test_bad_input(kwargs, exc, message):
    assert_raises_both_modes(
        nf.local_response_normalization, (np.ones((1, 1, 1, 3), np.float32),), kwargs, exc, message
    )


def test_alpha_not_divided_by_window():
    # window of 3 around the middle channel: 1 + 4 + 9 = 14; alpha = 0.5 applies as is
    y = nf.local_response_normalization(np.array([1.0, 2.0, 3.0]), 1, 2.0, 0.5, 1.0)
    np.testing.assert_allclose(y[1], 2.0 / (2.0 + 0.5 * 14.0), rtol=1e-15)
