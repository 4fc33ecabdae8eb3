import math

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import activation as K

X = np.concatenate(
    [
        np.linspace(-8, 8, 4001),
        [0.0, 1e-300, -1e-12, 2.5, -2.5, 2.5000001, 26.0, -27.5, 1e30, -1e30, np.inf, -np.inf],
    ]
)


def test_numpy_erf_twin_is_float64_accurate():
    ref = np.array([math.erf(v) for v in X])
    np.testing.assert_allclose(K.erf_numpy(X), ref, rtol=0, atol=2e-15)
    refc = np.array([math.erfc(v) for v in X])
    np.testing.assert_allclose(K.erfc_numpy(X), refc, rtol=5e-12, atol=1e-300)
    assert np.isnan(K.erf_numpy(np.array([np.nan])))[0]


@pytest.mark.skipif(not numba_enabled(), reason="numba disabled")
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_numba_kernels_agree_with_numpy_twins(dtype):
    with np.errstate(over="ignore"):
        x = X.astype(dtype)
    tol = {np.float16: 1e-3, np.float32: 1e-6, np.float64: 1e-14}[dtype]
    with np.errstate(all="ignore"):
        a, b = K.erf(x), K.erf_numpy(x)
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        a, b = K.gelu(x, "none"), K.gelu_numpy(x, "none")
    assert a.dtype == b.dtype == dtype
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_numpy_kernels_handle_0d_inputs():
    for f in (K.silu_numpy, K.softplus_numpy, K.log_sigmoid_numpy):
        y = f(np.array(1.5))
        assert isinstance(y, np.ndarray) and y.shape == ()
    y = K.gelu_numpy(np.array(1.0, np.float32), "tanh")
    assert isinstance(y, np.ndarray) and y.dtype == np.float32
