"""The batch-norm apply-form and group-normalization kernels: numba agrees with the NumPy twin
(itself checked against float64 formulas), for both layouts, any number of threads."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import batch_norm as B

pytestmark = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

TOL = {np.float32: {"rtol": 2e-6, "atol": 2e-6}, np.float64: {"rtol": 1e-13, "atol": 1e-13}}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 3, 17), (7, 4), (0, 3, 5), (4, 0)])
def test_apply_and_gradient_twins_agree(shape, dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    c = shape[1]
    a, b, m = (rng.standard_normal(c).astype(dtype) for _ in range(3))
    sh = (-1, 1) if len(shape) == 3 else (-1,)
    y_ref = x.astype(np.float64) * a.reshape(sh) + b.reshape(sh)
    y0 = B.bn_apply_numpy(x, a, b)
    np.testing.assert_allclose(y0, y_ref, **TOL[dtype])
    axes = (0, 2) if len(shape) == 3 else (0,)
    s1_ref = gy.astype(np.float64).sum(axes)
    s2_ref = (gy.astype(np.float64) * (x - m.reshape(sh))).sum(axes)
    for threads in (1, 3):
        np.testing.assert_allclose(B.bn_apply_numba(x, a, b, threads), y0, **TOL[dtype])
        for want in (True, False):
            g0 = B.bn_apply_grad_numpy(x, gy, m, a, want)
            g1 = B.bn_apply_grad_numba(x, gy, m, a, want, threads)
            np.testing.assert_allclose(g0[1], s1_ref, rtol=1e-5, atol=1e-4)
            np.testing.assert_allclose(g0[2], s2_ref, rtol=1e-5, atol=1e-4)
            for u, v in zip(g0, g1):
                if u is None:
                    assert v is None
                else:
                    np.testing.assert_allclose(v, u, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm_twins_agree(dtype, affine):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((3, 6, 10)) * 2 + 100).astype(dtype)  # a large mean
    gy = rng.standard_normal(x.shape).astype(dtype)
    sc = rng.uniform(0.5, 1.5, 6) if affine else None
    of = rng.standard_normal(6) if affine else None
    # float64 reference of the forward pass
    xg = x.astype(np.float64).reshape(3, 3, -1)
    mu = xg.mean(2, keepdims=True)
    var = xg.var(2, keepdims=True)
    y_ref = ((xg - mu) / np.sqrt(var + 1e-3)).reshape(x.shape)
    if affine:
        y_ref = y_ref * sc[:, None] + of[:, None]
    r0 = B.group_normalize_numpy(x, 3, 1e-3, sc, of)
    tol = {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else TOL[dtype]
    np.testing.assert_allclose(r0[0], y_ref, **tol)
    for threads in (1, 2):
        r1 = B.group_normalize_numba(x, 3, 1e-3, sc, of, threads)
        for u, v in zip(r0, r1):
            np.testing.assert_allclose(v, u, **tol)
        for want in (True, False):
            g0 = B.group_normalize_backward_numpy(x, gy, 3, r0[1], r0[3], sc, want)
            g1 = B.group_normalize_backward_numba(x, gy, 3, r0[1], r0[3], sc, want, threads)
            for u, v in zip(g0, g1):
                if u is None:
                    assert v is None
                else:
                    np.testing.assert_allclose(v, u, rtol=1e-4, atol=1e-4)
