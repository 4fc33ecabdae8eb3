"""Per-channel normalization: numba kernels against the NumPy twin and a float64 reference."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import batch_norm as B

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

EPS = 1e-5
SHAPES = [(1, 1, 1), (2, 3, 17), (5, 4, 64), (3, 2, 1000)]


def _reference(x, scale, offset):
    x = x.astype(np.float64)
    mean = x.mean(axis=(0, 2))
    var = ((x - mean[:, None]) ** 2).mean(axis=(0, 2))
    inv = 1 / np.sqrt(var + EPS)
    xhat = (x - mean[:, None]) * inv[:, None]
    y = xhat * (1 if scale is None else scale[:, None]) + (0 if offset is None else offset[:, None])
    return y, mean, var, inv, xhat


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [False, True])
def test_forward_and_backward_agree_with_reference(dtype, shape, affine):
    rng = np.random.default_rng(shape[2])
    # A mean far from 0 relative to the spread: the two-part mean must keep x - mean exact.
    x = (rng.standard_normal(shape) * 2 + 300).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    c = shape[1]
    scale = rng.uniform(0.5, 2, c) if affine else None
    offset = rng.standard_normal(c) if affine else None
    y_ref, mean_ref, var_ref, inv_ref, xhat = _reference(x, scale, offset)
    n = shape[0] * shape[2]
    k0 = inv_ref * (1 if scale is None else scale)
    s1_ref = gy.astype(np.float64).sum(axis=(0, 2))
    s2_ref = (gy * xhat).sum(axis=(0, 2))
    gx_ref = k0[:, None] * (gy - s1_ref[:, None] / n - xhat * s2_ref[:, None] / n)
    tol = {np.float32: 1e-4, np.float64: 1e-9}[dtype]
    for fwd, bwd in (
        (B.normalize_channels_numba, B.normalize_channels_backward_numba),
        (B.normalize_channels_numpy, B.normalize_channels_backward_numpy),
    ):
        for threads in (1, 3):
            y, mean, var, inv = fwd(x, EPS, scale, offset, threads)
            assert y.dtype == dtype and y.shape == shape
            np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol, err_msg=fwd.__name__)
            np.testing.assert_allclose(mean, mean_ref, rtol=1e-7 if dtype == np.float32 else 1e-13)
            np.testing.assert_allclose(var, var_ref, rtol=tol, atol=1e-12)
            gx, s1, s2 = bwd(x, gy, mean, inv, scale, True, threads)
            assert gx.dtype == dtype and gx.shape == shape
            np.testing.assert_allclose(gx, gx_ref, rtol=tol, atol=tol, err_msg=bwd.__name__)
            np.testing.assert_allclose(s1, s1_ref, rtol=tol, atol=tol)
            np.testing.assert_allclose(s2, s2_ref, rtol=tol, atol=tol)
            gx, s1b, _ = bwd(x, gy, mean, inv, scale, False, threads)
            assert gx is None
            np.testing.assert_allclose(s1b, s1_ref, rtol=tol, atol=tol)


@needs_numba
def test_statistics_merge_over_ranges_is_float64_accurate():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((12, 3, 500)) + 1e4).astype(np.float32)
    _, mean_ref, var_ref, _, _ = _reference(x, None, None)
    for threads in (1, 5):
        _, mean, var, _ = B.normalize_channels_numba(x, EPS, threads=threads)
        np.testing.assert_allclose(mean, mean_ref, rtol=1e-14)
        np.testing.assert_allclose(var, var_ref, rtol=1e-11)
