"""Bilinear resampling (image_augmentation): numba kernel and NumPy twin against a float64 loop."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import resample as R

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")


def ref(x, xs, ys):
    b, c, h, w = x.shape
    out = np.zeros((b, c) + xs.shape[1:])
    for n in range(b):
        for i in range(xs.shape[1]):
            for j in range(xs.shape[2]):
                u, v = float(xs[n, i, j]), float(ys[n, i, j])
                if np.isnan(u) or np.isnan(v):
                    out[n, :, i, j] = np.nan
                    continue
                u, v = min(max(u, 0), w - 1), min(max(v, 0), h - 1)
                x0, y0 = int(u), int(v)
                x1, y1 = min(x0 + 1, w - 1), min(y0 + 1, h - 1)
                fx, fy = u - x0, v - y0
                out[n, :, i, j] = (
                    x[n, :, y0, x0] * (1 - fx) * (1 - fy)
                    + x[n, :, y0, x1] * fx * (1 - fy)
                    + x[n, :, y1, x0] * (1 - fx) * fy
                    + x[n, :, y1, x1] * fx * fy
                )
    return out


def _case(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 2, 5, 7)).astype(dtype)
    xs = rng.uniform(-2, 9, (3, 4, 6)).astype(dtype)
    ys = rng.uniform(-2, 7, (3, 4, 6)).astype(dtype)
    xs[0, 0, 0] = np.nan
    xs[1, 1, 1], ys[1, 1, 1] = 6.0, 4.0  # the last pixel exactly
    return x, xs, ys


@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-6), (np.float64, 1e-13)])
def test_numpy_twin_matches_float64_loop(dtype, tol):
    x, xs, ys = _case(dtype)
    np.testing.assert_allclose(R.bilinear_numpy(x, xs, ys), ref(x, xs, ys), atol=tol, rtol=tol)


@needs_numba
@pytest.mark.parametrize("dtype, tol", [(np.float32, 2e-6), (np.float64, 1e-13)])
@pytest.mark.parametrize("threads", [1, 3])
def test_numba_matches_float64_loop_and_twin(dtype, tol, threads):
    x, xs, ys = _case(dtype, 1)
    out = R.bilinear_numba(x, xs, ys, threads=threads)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref(x, xs, ys), atol=tol, rtol=tol)
    np.testing.assert_allclose(out, R.bilinear_numpy(x, xs, ys), atol=tol, rtol=tol)


def test_integer_coordinates_copy_pixels_exactly():
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5)).astype(np.float32)
    ys, xs = np.meshgrid(np.arange(4.0), np.arange(5.0), indexing="ij")
    xs = np.broadcast_to(xs, (2, 4, 5)).astype(np.float32)
    ys = np.broadcast_to(ys, (2, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(R.bilinear(x, xs, ys), x)
    np.testing.assert_array_equal(R.bilinear_numpy(x, xs, ys), x)
