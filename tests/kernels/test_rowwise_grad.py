"""Fused backward kernels of softmax, log-softmax and dropout: numba against NumPy and float64."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import dropout as D
from nnfunc.kernels.cpu import softmax as S

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

# (shape, axis, threads): the last axis (rows), axis 0 of a matrix (one (K, B) slice, K split
# over 3 threads), a middle axis (several slices), a 0-d input's whole-array case (None), and
# K below, at and above the 64 lanes of the row maximum.
CASES = [
    ((4, 3), 1, None),
    ((5, 1000), 1, 3),
    ((9, 64), 1, None),
    ((1000, 7), 0, 3),
    ((300, 70), 0, None),
    ((3, 40, 6), 1, 2),
    ((3, 40, 6), 2, None),
    ((1, 1), 0, None),
    ((2, 3), None, None),
]


def _output(rng, shape, axis, log):
    """A float32 softmax (log-softmax) output along ``axis`` with one excluded class."""
    x = rng.standard_normal(shape) * 4
    x.flat[0] = -np.inf if x.size > 1 else 0.0
    z = x - x.max(axis=axis, keepdims=True)
    ly = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    return (ly if log else np.exp(ly)).astype(np.float32)


def _ref(y, gy, axis, log):
    y, gy = y.astype(np.float64), gy.astype(np.float64)
    if log:
        return gy - np.exp(y) * gy.sum(axis=axis, keepdims=True)
    return y * (gy - (gy * y).sum(axis=axis, keepdims=True))


@needs_numba
@pytest.mark.parametrize(("shape", "axis", "threads"), CASES)
@pytest.mark.parametrize("log", [False, True])
def test_softmax_grad_kernels_agree_with_float64(shape, axis, threads, log):
    rng = np.random.default_rng(sum(shape))
    y = _output(rng, shape, axis, log)
    gy = rng.standard_normal(shape).astype(np.float32)
    ref = _ref(y, gy, axis, log)
    scale = np.abs(gy).max() * (1 + np.abs(gy).sum() if log else 1)
    outs = [S.softmax_grad_numba(y, gy, axis, log, threads), S.softmax_grad_numpy(y, gy, axis, log)]
    for gx in outs:
        assert gx.dtype == np.float32 and gx.shape == shape
        # float32 operands, float64 sums: a few ulp of the largest term.
        np.testing.assert_allclose(gx, ref, rtol=2e-6, atol=1e-6 * scale)
    if y.size > 1:  # the excluded class (y = 0, log y = -inf): gradient 0 or gy
        assert outs[0].flat[0] == (gy.flat[0] if log else 0.0)
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6, atol=1e-6 * scale)


@needs_numba
@pytest.mark.parametrize("log", [False, True])
def test_softmax_grad_threads_do_not_change_the_result(log):
    rng = np.random.default_rng(5)
    for shape, axis in (((64, 900), 1), ((900, 64), 0), ((6, 50, 40), 1)):
        y = _output(rng, shape, axis, log)
        gy = rng.standard_normal(shape).astype(np.float32)
        one = S.softmax_grad_numba(y, gy, axis, log, threads=1)
        for t in (2, 5):
            got = S.softmax_grad_numba(y, gy, axis, log, threads=t)
            if axis == 0:  # K split: partial sums added in another order
                np.testing.assert_allclose(got, one, rtol=1e-6, atol=1e-6)
            else:
                np.testing.assert_array_equal(got, one)


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0,)])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_grad_of_empty_arrays(shape, log):
    y = np.zeros(shape, np.float32)
    for axis in range(len(shape)):
        for fn in (S.softmax_grad, S.softmax_grad_numpy):
            gx = fn(y, y, axis, log)
            assert gx.shape == shape and gx.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float16, np.float64])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_grad_other_dtypes_take_the_numpy_twin(dtype, log):
    rng = np.random.default_rng(1)
    y = _output(rng, (6, 9), 1, log).astype(dtype)
    gy = rng.standard_normal(y.shape).astype(dtype)
    gx = S.softmax_grad(y, gy, 1, log)
    assert gx.dtype == dtype
    tol = {np.float16: 4e-3, np.float64: 1e-13}[dtype]
    np.testing.assert_allclose(gx, _ref(y, gy, 1, log), rtol=tol, atol=tol * 10)


@needs_numba
def test_softmax_grad_propagates_nan():
    y = np.array([[0.25, 0.75], [0.5, 0.5]], np.float32)
    gy = np.array([[np.nan, 1.0], [1.0, 2.0]], np.float32)
    for fn in (S.softmax_grad_numba, S.softmax_grad_numpy):
        for log in (False, True):
            gx = fn(np.log(y) if log else y, gy, 1, log)
            assert np.isnan(gx[0]).all() and np.isfinite(gx[1]).all()


@needs_numba
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("rate", [0.0, 0.3, 0.9])
def test_dropout_mask_is_bit_identical_to_the_float64_formula(dtype, rate):
    u = np.random.default_rng(0).random((3, 1 << 17))
    ref = np.where(u >= rate, 1.0 / (1.0 - rate), 0.0).astype(dtype)
    for fn in (D.dropout_mask, D.dropout_mask_numba, D.dropout_mask_numpy):
        if fn is D.dropout_mask_numba and dtype == np.float16:
            continue
        got = fn(u, rate, 1.0 / (1.0 - rate), dtype)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, ref)
    assert D.dropout_mask_numba(u[:0], rate, 2.0, np.float32).shape == (0, 1 << 17)


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mask_mul_kernels_agree(dtype):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((5, 70001)).astype(dtype)
    a[0, :3] = [np.inf, -np.inf, np.nan]
    m = np.where(rng.random(a.shape) < 0.5, 2.0, 0.0).astype(dtype)
    with np.errstate(invalid="ignore"):  # inf * 0 = NaN, as NumPy gives
        ref = a * m
        for got in (D.mask_mul_numba(a, m, dtype, 3), D.mask_mul(a, m, dtype)):
            np.testing.assert_array_equal(got, ref)
        # Broadcast masks and other dtypes take NumPy.
        np.testing.assert_array_equal(D.mask_mul(a, m[:1], dtype), a * m[:1])
    assert D.mask_mul_numba(a[:0], m[:0], dtype).shape == (0, 70001)
