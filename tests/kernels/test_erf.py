"""erf and the exact GELU: numba kernels against their NumPy twins and libm in float64."""

import math

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import erf as E

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

SPECIAL = [0.0, -0.0, 1e-30, -1e-30, 1e-8, 0.5, -0.5, 0.49999997, 2.5, -2.5, 7.4, -7.4]
SPECIAL += [10.5, -10.5, 14.8, -14.8, 14.9, -14.9, 20.0, -20.0, 1e30, -1e30]


def _points(dtype):
    x = np.concatenate([np.linspace(-16, 16, 20001), np.geomspace(1e-6, 16, 3001), SPECIAL])
    x = np.concatenate([x, -x])
    with np.errstate(over="ignore"):
        return x.astype(dtype)


def _gelu_ref(x):
    return np.array([0.5 * v * math.erfc(-v / math.sqrt(2)) for v in x.astype(np.float64)])


def _erf_ref(x):
    return np.array([math.erf(v) for v in x.astype(np.float64)])


def _ulps(actual, ref, dtype):
    """Error in units of the last place of the correctly rounded result (normal range)."""
    with np.errstate(over="ignore"):
        r = ref.astype(dtype)
    normal = (np.abs(r) >= np.finfo(dtype).tiny) & np.isfinite(r)
    spacing = np.spacing(np.abs(r[normal])).astype(np.float64)
    return np.abs(actual[normal].astype(np.float64) - ref[normal]) / spacing, normal


@needs_numba
@pytest.mark.parametrize("name", ["gelu", "erf"])
def test_float32_kernel_is_within_one_ulp_of_libm(name):
    x = _points(np.float32)
    fn = E.gelu_erf_numba if name == "gelu" else E.erf_numba
    ref = _gelu_ref(x) if name == "gelu" else _erf_ref(x)
    y = fn(x)
    assert y.dtype == np.float32 and y.shape == x.shape
    ulps, normal = _ulps(y, ref, np.float32)
    assert ulps.max() <= 1.0, x[normal][ulps.argmax()]
    # Nearly always the correctly rounded float32 (the kernel's error is ~2e-11 relative).
    assert np.mean(y[normal] == ref[normal].astype(np.float32)) > 0.999
    # Results below the normal range (the far lower tail) round like the reference.
    sub = ~normal
    np.testing.assert_allclose(y[sub], ref[sub].astype(np.float32), rtol=0, atol=2e-45)


@needs_numba
@pytest.mark.parametrize("name", ["gelu", "erf"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_numba_kernel_agrees_with_numpy_twin(name, dtype):
    x = _points(dtype)
    fast, twin = (
        (E.gelu_erf_numba, E.gelu_erf_numpy) if name == "gelu" else (E.erf_numba, E.erf_numpy)
    )
    with np.errstate(invalid="ignore"):  # float16: gelu(-inf) = -inf * 0
        a, b = fast(x), twin(x)
    assert a.dtype == b.dtype == dtype and a.shape == b.shape == x.shape
    if dtype == np.float64:
        # libm against the twin's series / continued fraction (accurate to ~5e-12, see
        # tests/functions/activation/test_kernels.py).
        np.testing.assert_allclose(a, b, rtol=5e-12, atol=1e-300)
    else:
        # Both are within 1 ulp of the exact value, so within 2 ulp of each other.
        ulps, normal = _ulps(a, b.astype(np.float64), dtype)
        assert ulps.max() <= 2.0
        np.testing.assert_allclose(
            a[~normal], b[~normal], rtol=0, atol=2 * np.finfo(dtype).smallest_subnormal
        )


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_special_values(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype)
    with np.errstate(invalid="ignore"):
        for fast, twin in ((E.gelu_erf_numba, E.gelu_erf_numpy), (E.erf_numba, E.erf_numpy)):
            a, b = fast(x), twin(x)
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(np.signbit(a[3:]), np.signbit(b[3:]))
    np.testing.assert_array_equal(E.erf_numba(x[:3]), [np.nan, 1, -1])
    np.testing.assert_array_equal(E.gelu_erf_numba(x[1:2]), [np.inf])


@needs_numba
def test_layouts_0d_and_strided():
    x = np.linspace(-3, 3, 24, dtype=np.float32).reshape(4, 6)
    for fast, twin in ((E.gelu_erf_numba, E.gelu_erf_numpy), (E.erf_numba, E.erf_numpy)):
        y = fast(x.T)
        assert y.shape == (6, 4)
        np.testing.assert_allclose(y, twin(x.T), rtol=2e-7, atol=0)
        y0 = fast(np.array(1.5, np.float32))
        assert isinstance(y0, np.ndarray) and y0.shape == () and y0.dtype == np.float32
        np.testing.assert_allclose(y0, twin(np.array(1.5, np.float32)), rtol=2e-7)
        assert fast(np.zeros((0, 3), np.float32)).shape == (0, 3)


def test_dispatch_is_float64_accurate_with_or_without_numba():
    x = np.linspace(-3, 3, 7)
    np.testing.assert_allclose(E.gelu_erf(x), _gelu_ref(x), rtol=5e-12)
    np.testing.assert_allclose(E.erf(x), _erf_ref(x), rtol=5e-12)
