"""Row normalization: numba kernel against its NumPy twin and a float64 loop reference."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import layer_norm as L

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

EPS = 1e-5


def _reference(x, rs, ro, cs, co):
    """Row by row in float64 (two-pass variance)."""
    x = x.astype(np.float64)
    y = np.empty_like(x)
    mean, var = np.empty(len(x)), np.empty(len(x))
    for i, row in enumerate(x):
        mean[i] = row.sum() / row.size
        var[i] = ((row - mean[i]) ** 2).sum() / row.size
        y[i] = (row - mean[i]) / np.sqrt(var[i] + EPS)
        if rs is not None:
            y[i] *= rs[i]
        if cs is not None:
            y[i] *= cs
        if co is not None:
            y[i] += co
        if ro is not None:
            y[i] += ro[i]
    return y, mean, var


def _grad_reference(x, gy, rs, cs):
    x, gy = x.astype(np.float64), gy.astype(np.float64)
    k = x.shape[1]
    mean = x.mean(axis=1, keepdims=True)
    inv = 1 / np.sqrt(((x - mean) ** 2).mean(axis=1, keepdims=True) + EPS)
    xhat = (x - mean) * inv
    g = gy * (1 if rs is None else rs[:, None]) * (1 if cs is None else cs)
    gx = inv * (
        g - g.sum(axis=1, keepdims=True) / k - xhat * (g * xhat).sum(axis=1, keepdims=True) / k
    )
    rsum = np.stack([gy.sum(axis=1), (gy * xhat).sum(axis=1)])
    csum = np.stack([gy.sum(axis=0), (gy * xhat).sum(axis=0)])
    return gx, rsum, csum


def _params(rng, r, k, layout):
    rs = ro = cs = co = None
    if "rs" in layout:
        rs = rng.uniform(0.5, 2, r)
    if "ro" in layout:
        ro = rng.standard_normal(r)
    if "cs" in layout:
        cs = rng.uniform(0.5, 2, k)
    if "co" in layout:
        co = rng.standard_normal(k)
    return rs, ro, cs, co


LAYOUTS = ["", "cs,co", "rs,ro", "cs", "co,ro", "rs,co"]
# K below, at and above the SIMD widths; a large mean (catastrophic cancellation in E[x^2]).
SHAPES = [(5, 1), (3, 7), (17, 64), (4, 1000)]


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_forward_kernels_agree_with_reference(dtype, shape, layout):
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 3 + 100).astype(dtype)
    params = _params(rng, *shape, layout)
    y_ref, mean_ref, var_ref = _reference(x, *params)
    tol = {np.float32: 2e-4, np.float64: 1e-9}[dtype]
    for fn in (L.normalize_rows_numba, L.normalize_rows_numpy):
        y, mean, var, inv = fn(x, EPS, *params)
        assert y.dtype == dtype and y.shape == shape
        assert mean.dtype == var.dtype == inv.dtype == np.float64
        np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol, err_msg=fn.__name__)
        np.testing.assert_allclose(mean, mean_ref, rtol=1e-7 if dtype == np.float32 else 1e-13)
        np.testing.assert_allclose(var, var_ref, rtol=tol, atol=1e-12)
        np.testing.assert_allclose(inv, 1 / np.sqrt(var + EPS), rtol=1e-15)


@needs_numba
def test_numba_statistics_are_float64_accurate_for_float32_input():
    # The kernel accumulates in float64: exact statistics of the float32 values.
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((8, 3000)) + 1000).astype(np.float32)
    _, mean_ref, var_ref = _reference(x, None, None, None, None)
    _, mean, var, _ = L.normalize_rows_numba(x, EPS)
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-14)
    np.testing.assert_allclose(var, var_ref, rtol=1e-12)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 7), (17, 64), (4, 1000)])
@pytest.mark.parametrize("layout", ["", "cs", "rs"])
def test_backward_kernels_agree_with_reference(dtype, shape, layout):
    rng = np.random.default_rng(len(layout) + shape[1])
    x = (rng.standard_normal(shape) * 2 - 3).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    rs, _, cs, _ = _params(rng, *shape, layout)
    gx_ref, rsum_ref, csum_ref = _grad_reference(x, gy, rs, cs)
    tol = {np.float32: 2e-4, np.float64: 1e-10}[dtype]
    _, mean, _, inv = L.normalize_rows_numpy(x.astype(np.float64), EPS)
    for fn in (L.normalize_rows_backward_numba, L.normalize_rows_backward_numpy):
        gx, rsum, csum = fn(x, gy, mean, inv, rs, cs, True, True)
        assert gx.dtype == dtype and gx.shape == shape
        np.testing.assert_allclose(gx, gx_ref, rtol=tol, atol=tol, err_msg=fn.__name__)
        np.testing.assert_allclose(rsum, rsum_ref, rtol=tol, atol=tol, err_msg=fn.__name__)
        np.testing.assert_allclose(csum, csum_ref, rtol=tol, atol=tol, err_msg=fn.__name__)
        gx, rsum, csum = fn(x, gy, mean, inv, rs, cs, False, False)
        assert gx is None and csum is None
        np.testing.assert_allclose(rsum, rsum_ref, rtol=tol, atol=tol)


@needs_numba
def test_constant_rows_and_strided_input():
    x = np.ones((3, 5), np.float32)
    for fn in (L.normalize_rows_numba, L.normalize_rows_numpy):
        y, _, var, _ = fn(x, EPS, None, None, None, np.arange(5.0))
        np.testing.assert_array_equal(y, np.broadcast_to(np.arange(5.0, dtype=np.float32), (3, 5)))
        np.testing.assert_array_equal(var, 0)
    xt = np.random.default_rng(1).standard_normal((6, 4)).T  # not C-contiguous
    a = L.normalize_rows_numba(xt, EPS)[0]
    b = L.normalize_rows_numpy(xt, EPS)[0]
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
