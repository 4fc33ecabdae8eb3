"""The 2x2/stride-2 max pooling kernels on exactly tiled planes (the demo CNN's pooling)
against an independent float64 NumPy reference, bit for bit: the float32 gradient writes bit
patterns (``_jit._max_pool2d_grad22_pairs``), so signed zeros, infinities and NaN windows are
checked on the raw bits, on the shapes of the demo CNN and odd ones."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import pool2d
from nnfunc.kernels.cpu._jit import pool2d_tile_kernels

pytestmark = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

K = S = (2, 2)
LOWS = (0, 0)

SHAPES = [
    (128, 16, 8, 8),  # the demo CNN's two poolings
    (128, 32, 4, 4),
    (2, 3, 56, 56),  # long rows: the generic loop
    (2, 2, 6, 10),  # 5 windows a row
    (3, 2, 2, 2),  # Wo = 1
    (2, 3, 6, 2),  # Wo = 1, several rows of windows
    (1, 1, 8, 8),  # a single plane
    (0, 16, 8, 8),  # empty batch
]


def reference(x, gy):
    """float64 reference: the four cells of each window in C order; a window holding a NaN
    gives NaN and code -2 (no gradient), else the first maximum; the gradient is ``gy`` at
    that cell, +0 elsewhere."""
    n, c, h, w = x.shape
    ho, wo = h // 2, w // 2
    cells = (
        x.astype(np.float64)
        .reshape(n, c, ho, 2, wo, 2)
        .transpose(0, 1, 2, 4, 3, 5)
        .reshape(n, c, ho, wo, 4)
    )
    nan = np.isnan(cells).any(axis=-1)
    code = np.argmax(np.where(np.isnan(cells), -np.inf, cells), axis=-1)  # first maximum
    y = np.where(nan, np.nan, np.take_along_axis(cells, code[..., None], -1)[..., 0])
    code = np.where(nan, -2, code).astype(np.int8)
    g = np.zeros((n, c, ho, wo, 4), np.float64)
    np.put_along_axis(g, np.where(nan, 0, code)[..., None].astype(np.int64), gy[..., None], -1)
    g[nan] = 0.0
    gx = g.reshape(n, c, ho, wo, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(x.shape)
    return y.astype(x.dtype), code, gx.astype(x.dtype)


def _data(shape, dtype, seed=0):
    """Many ties (small integers), signed zeros, +-inf, all--inf windows and NaN windows."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, shape).astype(dtype)
    x[x == 0] *= rng.choice([-1.0, 1.0], size=int((x == 0).sum())).astype(dtype)  # -0.0
    flat = x.reshape(-1)
    if flat.size:
        for v, frac in ((np.nan, 0.03), (np.inf, 0.02), (-np.inf, 0.05)):
            flat[rng.random(flat.size) < frac] = v
        x.reshape(-1, 2, shape[-1])[0, :, :2] = -np.inf  # a window of -inf only (code 0)
    out = (*shape[:2], shape[2] // 2, shape[3] // 2)
    gy = rng.standard_normal(out).astype(dtype)
    gy.reshape(-1)[::7] = -0.0  # the bits of gy go through: -0.0 at the argmax stays -0.0
    gy.reshape(-1)[3::11] = np.inf
    return x, gy


def _bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def _check(y, idx, gx, y_ref, i_ref, gx_ref, signed_zeros=True):
    np.testing.assert_array_equal(idx, i_ref)
    ok = ~np.isnan(y_ref)
    np.testing.assert_array_equal(_bits(y)[ok], _bits(y_ref)[ok])
    assert np.isnan(y[~ok]).all()
    if signed_zeros:
        np.testing.assert_array_equal(_bits(gx), _bits(gx_ref))
    else:
        np.testing.assert_array_equal(gx, gx_ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_tiles22_against_float64_reference(shape, dtype):
    x, gy = _data(shape, dtype)
    y_ref, i_ref, gx_ref = reference(x, gy)
    out = y_ref.shape[2:]
    for threads in (1, 3):
        y, idx = pool2d.max_pool2d_arg(x, K, S, LOWS, out, threads=threads)
        assert idx.dtype == np.int8 and idx.shape == y.shape == y_ref.shape
        gx = pool2d.max_pool2d_arg_grad(idx, gy, shape[2:], K, S, LOWS, threads=threads)
        assert gx.dtype == dtype and gx.shape == x.shape
        _check(y, idx, gx, y_ref, i_ref, gx_ref)
    # the NumPy twins (their gradient sums into zeros: -0.0 from gy comes out +0.0)
    y_n, i_n = pool2d.max_pool2d_arg(x, K, S, LOWS, out, use_numba=False)
    gx_n = pool2d.max_pool2d_arg_grad(i_n, gy, shape[2:], K, S, LOWS, use_numba=False)
    _check(y_n, i_n, gx_n, y_ref, i_ref, gx_ref, signed_zeros=False)


@pytest.mark.parametrize("wo", [1, 2, 3, 4, 8, 28])
def test_grad22_pairs_kernel_on_row_ranges(wo):
    """The float32 bits kernel on row ranges: the rows it is given, as the row kernel and the
    NumPy twin write them; rows outside the range untouched."""
    rng = np.random.default_rng(wo)
    rows = 37
    idx = rng.choice(np.array([0, 1, 2, 3, -2], np.int8), size=(rows, wo))
    gy = rng.standard_normal((rows, wo)).astype(np.float32)
    gy.reshape(-1)[::5] = -0.0
    gy.reshape(-1)[1::9] = np.nan
    kern = pool2d_tile_kernels()
    fill = np.float32(7.0)
    g_b = np.full((rows, 2, 2 * wo), fill, np.float32)
    g_r = g_b.copy()
    g_t = g_b.copy()
    for q0, q1 in ((3, 20), (25, rows)):
        kern["max_grad22_pairs"](idx, gy.view(np.uint32), g_b.view(np.uint64), q0, q1)
        kern["max_grad22_rows"](idx, gy, g_r, q0, q1)
        pool2d.max_pool2d_grad22_rows_numpy(idx, gy, g_t, q0, q1)
    np.testing.assert_array_equal(_bits(g_b), _bits(g_r))
    np.testing.assert_array_equal(_bits(g_b), _bits(g_t))
    untouched = np.r_[0:3, 20:25]
    assert (g_b[untouched] == fill).all()
    assert (g_b[3:20] != fill).all() and (g_b[25:] != fill).all()


@pytest.mark.parametrize("wo", [1, 2, 3, 4])
def test_arg22_flat_kernel_matches_row_kernel_bits(wo):
    """The float32 flat forward kernel on row ranges: maxima and codes bit for bit as the row
    kernel's and the NumPy twin's, NaN payloads as the twin's (the sum of a window's cells in
    C order; the row kernel's vector loop, on rows of 4+ windows, adds them in another order:
    a window holding NaN and -NaN, or NaN and inf - inf, may get the other sign); rows outside
    the range untouched. Several blocks of scratch rows (rows * Wo > 2048 cells)."""
    rng = np.random.default_rng(10 + wo)
    rows = 2048 // (2 * wo) * 2 + 1
    x = rng.integers(-2, 3, (rows, 2, 2 * wo)).astype(np.float32)
    flat = x.reshape(-1)
    for v, frac in ((np.nan, 0.03), (-np.nan, 0.02), (np.inf, 0.02), (-np.inf, 0.05)):
        flat[rng.random(flat.size) < frac] = v
    flat[rng.random(flat.size) < 0.1] = -0.0
    kern = pool2d_tile_kernels()
    fill = np.float32(7.0)
    y_f = np.full((rows, wo), fill, np.float32)
    i_f = np.full((rows, wo), 7, np.int8)
    y_r, i_r = y_f.copy(), i_f.copy()
    y_t, i_t = y_f.copy(), i_f.copy()
    for q0, q1 in ((1, rows // 2), (rows // 2 + 2, rows)):
        kern["max22_flat"](x, y_f, i_f, q0, q1)
        kern["max22_rows"](x, y_r, i_r, q0, q1)
        with np.errstate(invalid="ignore"):
            pool2d.max_pool2d_arg22_rows_numpy(x, y_t, i_t, q0, q1)
    np.testing.assert_array_equal(_bits(y_f), _bits(y_t))
    np.testing.assert_array_equal(i_f, i_t)
    np.testing.assert_array_equal(i_f, i_r)
    ok = ~np.isnan(y_r)
    np.testing.assert_array_equal(_bits(y_f)[ok], _bits(y_r)[ok])
    assert np.isnan(y_f[~ok]).all()
    untouched = np.r_[0:1, rows // 2 : rows // 2 + 2]
    assert (y_f[untouched] == fill).all() and (i_f[untouched] == 7).all()
    assert (i_f[1 : rows // 2] != 7).all() and (i_f[rows // 2 + 2 :] != 7).all()


def test_tiles22_float32_on_arrays_not_8_byte_aligned():
    """The float32 kernels read x and gy as 8-byte words: an input 4 bytes off an 8-byte
    boundary gives the same results as an aligned copy."""
    shape = (4, 3, 8, 8)
    rng = np.random.default_rng(5)
    buf = rng.integers(-2, 3, 1 + int(np.prod(shape))).astype(np.float32)
    x = buf[1:].reshape(shape)
    gbuf = rng.standard_normal(1 + int(np.prod(shape)) // 4).astype(np.float32)
    gy = gbuf[1:].reshape(4, 3, 4, 4)
    y_ref, i_ref, gx_ref = reference(x, gy)
    y, idx = pool2d.max_pool2d_arg(x, K, S, LOWS, (4, 4))
    gx = pool2d.max_pool2d_arg_grad(idx, gy, (8, 8), K, S, LOWS)
    _check(y, idx, gx, y_ref, i_ref, gx_ref)
