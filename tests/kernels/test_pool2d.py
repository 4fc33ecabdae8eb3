"""2-D max pooling kernels: numba agrees with the NumPy twin (ties, NaN, overlaps, dilation),
and with an independent loop reference; threads do not change the result."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import pool as K
from nnfunc.kernels.cpu import pool2d

pytestmark = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

GEOMS = [  # kernel, stride, dilation
    ((2, 2), (2, 2), (1, 1)),  # tiling windows: the gather kernel
    ((2, 3), (2, 3), (1, 1)),  # tiling, with rows and columns past the last window
    ((3, 3), (1, 1), (1, 1)),  # overlapping windows: cells shared by up to 9 windows
    ((3, 2), (2, 1), (2, 1)),
]


def _out(shape, k, s, d):
    return tuple((n - d_ * (k_ - 1) - 1) // s_ + 1 for n, k_, s_, d_ in zip(shape, k, s, d))


def ref(x, gy, k, s, d, out):
    """Loop reference: maximum (NaN wins) and gradient to the first maximum in C order."""
    y = np.empty((x.shape[0], *out), x.dtype)
    gx = np.zeros_like(x)
    for p in range(x.shape[0]):
        for i in range(out[0]):
            for j in range(out[1]):
                cells = [
                    (i * s[0] + a * d[0], j * s[1] + b * d[1])
                    for a in range(k[0])
                    for b in range(k[1])
                ]
                vals = np.array([x[p, r, c] for r, c in cells])
                m = np.nan if np.isnan(vals).any() else vals.max()
                y[p, i, j] = m
                hit = [rc for rc, v in zip(cells, vals) if v == m]
                if hit:
                    gx[p, hit[0][0], hit[0][1]] += gy[p, i, j]
    return y, gx


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geom", GEOMS)
def test_numba_twin_and_reference_agree(geom, dtype):
    k, s, d = geom
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (2, 3, 9, 8)).astype(dtype)  # many ties
    x[0, 1, 2, 3] = np.nan
    out = _out(x.shape[2:], k, s, d)
    gy = rng.standard_normal((2, 3, *out)).astype(dtype)
    y_ref, gx_ref = ref(x.reshape(6, 9, 8), gy.reshape(6, *out), k, s, d, out)
    for use_numba in (True, False):
        for threads in (1, 3):
            y = pool2d.max_pool2d(x, k, s, d, out, threads=threads, use_numba=use_numba)
            np.testing.assert_array_equal(y.reshape(6, *out), y_ref)
            gx = pool2d.max_pool2d_grad(
                x, y, gy, k, s, d, out, threads=threads, use_numba=use_numba
            )
            np.testing.assert_allclose(gx.reshape(6, 9, 8), gx_ref, rtol=1e-6, atol=1e-6)


def test_applies_only_to_float_numpy_2d():
    x = np.zeros((1, 1, 4, 4), np.float32)
    assert pool2d.applies(x, (2, 2))
    assert not pool2d.applies(x, (2, 2, 2))
    assert not pool2d.applies(x.astype(np.int32), (2, 2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geom", [((2, 2), (2, 2)), ((3, 3), (1, 1)), ((3, 2), (2, 3))])
def test_window_sums_agree_with_the_numpy_twins(geom, dtype):
    k, s = geom
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 9, 10)).astype(dtype)
    out = _out(x.shape[2:], k, s, (1, 1))
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    for threads in (1, 3):
        y = pool2d.window_sum2d(x, k, s, out, threads=threads)
        np.testing.assert_allclose(y, K.window_sum(np, x, k, s, out, dtype), **tol)
        gy = rng.standard_normal(y.shape).astype(dtype)
        gx = pool2d.window_sum2d_transpose(gy, k, s, x.shape, threads=threads)
        np.testing.assert_allclose(gx, K.window_sum_transpose(np, gy, k, s, out, x.shape), **tol)
        # adjoint identity <sum(x), gy> = <x, sum^T(gy)> in float64
        lhs = np.vdot(y.astype(float), gy.astype(float))
        assert abs(lhs - np.vdot(x.astype(float), gx.astype(float))) < 1e-3 * (1 + abs(lhs))
