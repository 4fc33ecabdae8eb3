"""2-D pooling kernels on unpadded planes: numba agrees with the NumPy twin and with an
independent loop reference (ties, NaN, overlaps, padding), and threads do not change the
result; the gradient is a gather from the saved argmax."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import pool2d
from nnfunc.kernels.cpu._jit import pool2d_x_kernels

pytestmark = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

GEOMS = [  # kernel, stride, pads (low)
    ((2, 2), (2, 2), (0, 0)),  # tiling windows
    ((2, 3), (2, 3), (0, 0)),  # tiling, with rows and columns past the last window
    ((3, 3), (1, 1), (1, 1)),  # overlapping windows with padding: cells in up to 9 windows
    ((3, 2), (2, 1), (2, 1)),  # padding of kernel - 1: edge windows hold one row of x
]


def _out(size, k, s, p):
    """Windows that start at -p and fit in the input padded by p on both sides."""
    return tuple((n + 2 * p_ - k_) // s_ + 1 for n, k_, s_, p_ in zip(size, k, s, p))


def ref(x, gy, k, s, p, out):
    """Loop reference: maximum over the cells of x in each window (NaN wins), gradient to the
    first maximum in C order; windows sums and their adjoint."""
    P, H, W = x.shape
    y = np.empty((P, *out), x.dtype)
    gx = np.zeros_like(x)
    sums = np.zeros((P, *out))
    for q in range(P):
        for i in range(out[0]):
            for j in range(out[1]):
                cells = [
                    (i * s[0] + a - p[0], j * s[1] + b - p[1])
                    for a in range(k[0])
                    for b in range(k[1])
                ]
                cells = [(r, c) for r, c in cells if 0 <= r < H and 0 <= c < W]
                vals = np.array([x[q, r, c] for r, c in cells])
                m = np.nan if np.isnan(vals).any() else vals.max()
                y[q, i, j] = m
                sums[q, i, j] = vals.astype(np.float64).sum()
                hit = [rc for rc, v in zip(cells, vals) if v == m]
                if hit:
                    gx[q, hit[0][0], hit[0][1]] += gy[q, i, j]
    return y, gx, sums


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geom", GEOMS)
def test_max_numba_twin_and_reference_agree(geom, dtype):
    k, s, p = geom
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (2, 3, 9, 8)).astype(dtype)  # many ties
    x[0, 1, 2, 3] = np.nan
    x[1, 2] = -np.inf  # a plane of -inf: the gradient still goes to a cell of x
    out = _out(x.shape[2:], k, s, p)
    gy = rng.standard_normal((2, 3, *out)).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    y_ref, gx_ref, _ = ref(x.reshape(6, 9, 8), gy.reshape(6, *out), k, s, p, out)
    for use_numba in (True, False):
        for threads in (1, 3):
            y, idx = pool2d.max_pool2d_arg(x, k, s, p, out, threads=threads, use_numba=use_numba)
            assert idx.dtype == np.int8
            np.testing.assert_array_equal(y.reshape(6, *out), y_ref)
            gx = pool2d.max_pool2d_arg_grad(
                idx, gy, x.shape[2:], k, s, p, threads=threads, use_numba=use_numba
            )
            np.testing.assert_allclose(gx.reshape(6, 9, 8), gx_ref, rtol=1e-6, atol=1e-6)
            # take is the adjoint of the gather: <gather(gy), g> = <gy, take(g)>
            t = pool2d.max_pool2d_arg_take(g, idx, k, s, p, threads=threads, use_numba=use_numba)
            lhs = np.vdot(gx.astype(float), g.astype(float))
            assert abs(lhs - np.vdot(gy.astype(float), t.astype(float))) < 1e-6 * (1 + abs(lhs))


def test_applies_only_to_float_numpy_2d():
    x = np.zeros((1, 1, 4, 4), np.float32)
    assert pool2d.applies(x, (2, 2))
    assert not pool2d.applies(x, (2, 2, 2))
    assert not pool2d.applies(x.astype(np.int32), (2, 2))
    assert pool2d.index_dtype((11, 11)) == np.int8
    assert pool2d.index_dtype((12, 11)) == np.int32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geom", GEOMS)
def test_window_sums_agree_with_the_reference(geom, dtype):
    k, s, p = geom
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 9, 10)).astype(dtype)
    out = _out(x.shape[2:], k, s, p)
    scale = rng.uniform(0.5, 2.0, out)
    _, _, sums = ref(x.reshape(6, 9, 10), np.zeros((6, *out), dtype), k, s, p, out)
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    gy = rng.standard_normal((2, 3, *out)).astype(dtype)
    for use_numba in (True, False):
        for threads in (1, 3):
            y = pool2d.sum_pool2d(x, k, s, p, out, scale, threads=threads, use_numba=use_numba)
            np.testing.assert_allclose(y.reshape(6, *out), sums * scale, **tol)
            gx = pool2d.sum_pool2d_adjoint(
                gy, x.shape[2:], k, s, p, scale, threads=threads, use_numba=use_numba
            )
            # adjoint identity <scale * sum(x), gy> = <x, adjoint(gy)> in float64
            lhs = np.vdot(y.astype(float), gy.astype(float))
            assert abs(lhs - np.vdot(x.astype(float), gx.astype(float))) < 1e-4 * (1 + abs(lhs))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 3, 8, 6), (4, 2, 4, 4), (1, 1, 2, 2), (3, 1, 2, 8)])
def test_exactly_tiled_2x2_rows_kernels(shape, dtype):
    """2x2/2 windows tiling the planes exactly take the row-pair kernels: the same maxima,
    argmax and gradient as the loop reference, the plane kernels, their NumPy twins and any
    number of threads."""
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, shape).astype(dtype)  # many ties
    x.flat[1] = np.nan
    x.flat[-1] = -np.inf
    x.flat[x.size // 2] = np.inf
    k = s = (2, 2)
    out = (shape[2] // 2, shape[3] // 2)
    planes, rows = shape[0] * shape[1], shape[0] * shape[1] * out[0]
    gy = rng.standard_normal((*shape[:2], *out)).astype(dtype)
    y_ref, gx_ref, _ = ref(
        x.reshape(planes, *shape[2:]), gy.reshape(planes, *out), k, s, (0, 0), out
    )
    for threads in (1, 3):
        y, idx = pool2d.max_pool2d_arg(x, k, s, (0, 0), out, threads=threads)
        np.testing.assert_array_equal(y.reshape(planes, *out), y_ref)
        gx = pool2d.max_pool2d_arg_grad(idx, gy, shape[2:], k, s, (0, 0), threads=threads)
        np.testing.assert_array_equal(gx.reshape(planes, *shape[2:]), gx_ref)
    # the plane kernels (still used when rows or columns are left past the last window)
    kernels = pool2d_x_kernels()
    y_p = np.empty((planes, *out), dtype)
    i_p = np.empty((planes, *out), np.int8)
    kernels["max22"](x.reshape(planes, *shape[2:]), y_p, i_p, 0, planes)
    np.testing.assert_array_equal(y_p.reshape(y.shape), y)
    np.testing.assert_array_equal(i_p.reshape(idx.shape), idx)
    g_p = np.empty((planes, *shape[2:]), dtype)
    kernels["max_grad22"](i_p, gy.reshape(planes, *out), g_p, 0, planes)
    np.testing.assert_array_equal(g_p.reshape(gx.shape), gx)
    # the NumPy twins of the row kernels, on two row ranges
    y_t = np.full((rows, out[1]), 7, dtype)
    i_t = np.full((rows, out[1]), 7, np.int8)
    g_t = np.full((rows, 2, shape[3]), 7, dtype)
    for q0, q1 in ((0, rows // 2), (rows // 2, rows)):
        pool2d.max_pool2d_arg22_rows_numpy(x.reshape(rows, 2, -1), y_t, i_t, q0, q1)
        pool2d.max_pool2d_grad22_rows_numpy(i_t, gy.reshape(rows, -1), g_t, q0, q1)
    np.testing.assert_array_equal(y_t.reshape(y.shape), y)
    np.testing.assert_array_equal(i_t.reshape(idx.shape), idx)
    np.testing.assert_array_equal(g_t.reshape(gx.shape), gx)
