"""Two-tap resampling: numba kernel against its NumPy twin and a per-element loop reference."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.functions.signal._interpolate import source_plan
from nnfunc.kernels.cpu import interpolate as R

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

PLANS = [
    (7, 12, ("linear", False, True, False)),
    (9, 4, ("linear", True, False, False)),
    (5, 13, ("nearest", False, False, True)),
    (6, 1, ("linear", False, False, False)),
]


def _reference(x, i0, i1, w1):
    y = np.zeros((x.shape[0], len(i0), x.shape[2]))
    for o in range(len(i0)):
        y[:, o] = (1 - w1[o]) * x[:, i0[o]] + w1[o] * x[:, i1[o]]
    return y


def _adjoint_reference(g, i0, i1, w1, n_in):
    out = np.zeros((g.shape[0], n_in, g.shape[2]))
    for o in range(len(i0)):
        out[:, i0[o]] += (1 - w1[o]) * g[:, o]
        out[:, i1[o]] += w1[o] * g[:, o]
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_in, n_out, opts", PLANS)
@pytest.mark.parametrize("impl", ["numpy", pytest.param("numba", marks=needs_numba)])
def test_kernels_match_the_loop_reference(impl, n_in, n_out, opts, dtype):
    rng = np.random.default_rng(0)
    i0, i1, w1 = source_plan(n_in, n_out, *opts)
    x = rng.standard_normal((3, n_in, 4)).astype(dtype)
    g = rng.standard_normal((3, n_out, 4)).astype(dtype)
    fwd = getattr(R, f"resample_axis_{impl}")
    adj = getattr(R, f"resample_axis_adjoint_{impl}")
    tol = 1e-6 if dtype == np.float32 else 1e-13
    y = fwd(x, i0, i1, w1)
    assert y.dtype == dtype and y.shape == (3, n_out, 4)
    np.testing.assert_allclose(y, _reference(x.astype(float), i0, i1, w1), rtol=tol, atol=tol)
    gx = adj(g, i0, i1, w1, n_in)
    assert gx.dtype == dtype and gx.shape == (3, n_in, 4)
    want = _adjoint_reference(g.astype(float), i0, i1, w1, n_in)
    np.testing.assert_allclose(gx, want, rtol=tol, atol=tol)


@needs_numba
def test_numba_rows_split_over_threads_give_the_same_result():
    rng = np.random.default_rng(1)
    i0, i1, w1 = source_plan(20, 37, "linear", False, True, False)
    x = rng.standard_normal((64, 20, 9))
    g = rng.standard_normal((64, 37, 9))
    for threads in (1, 5):
        np.testing.assert_allclose(
            R.resample_axis_numba(x, i0, i1, w1, threads=threads),
            R.resample_axis_numpy(x, i0, i1, w1),
        )
        np.testing.assert_allclose(
            R.resample_axis_adjoint_numba(g, i0, i1, w1, 20, threads=threads),
            R.resample_axis_adjoint_numpy(g, i0, i1, w1, 20),
        )


def test_empty_rows():
    i0, i1, w1 = source_plan(4, 6, "linear", False, False, False)
    assert R.resample_axis(np.zeros((0, 4, 2)), i0, i1, w1).shape == (0, 6, 2)
    assert R.resample_axis_adjoint(np.zeros((0, 6, 2)), i0, i1, w1, 4).shape == (0, 4, 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("impl", ["numpy", pytest.param("numba", marks=needs_numba)])
def test_two_axis_kernels_match_two_single_axis_passes(impl, dtype):
    rng = np.random.default_rng(2)
    py = source_plan(5, 9, "linear", False, True, False)
    px = source_plan(7, 3, "linear", True, False, False)
    x = rng.standard_normal((4, 5, 7)).astype(dtype)
    g = rng.standard_normal((4, 9, 3)).astype(dtype)
    t = _reference(x.astype(float), *py)
    want = _reference(t.reshape(-1, 7, 1), *px).reshape(4, 9, 3)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    y = getattr(R, f"resample_2d_{impl}")(x, py, px)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, want, rtol=tol, atol=tol)
    gx = getattr(R, f"resample_2d_adjoint_{impl}")(g, py, px, 5, 7)
    # adjoint: <R x, g> == <x, R^T g>
    np.testing.assert_allclose(np.sum(want * g), np.sum(x * gx.astype(float)), rtol=10 * tol)
    assert gx.dtype == dtype and gx.shape == (4, 5, 7)
