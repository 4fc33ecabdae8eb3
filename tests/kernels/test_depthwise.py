"""2-D depthwise numba kernels agree with the NumPy shifted products of im2col (their twin)
in the three passes, for strides, dilations, multipliers, asymmetric pads and thread counts;
and with an independent float64 loop reference for the forward."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import conv_dispatch, depthwise, im2col

pytestmark = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

CASES = [  # n, c, m, (h, w), kernel, stride, dilation, pads
    (2, 3, 1, (7, 8), (3, 3), (1, 1), (1, 1), ((1, 1), (1, 1))),
    (1, 4, 2, (9, 7), (3, 2), (2, 1), (1, 2), ((0, 2), (1, 0))),
    (3, 2, 3, (6, 6), (1, 1), (1, 1), (1, 1), ((0, 0), (0, 0))),
]


def _out(size, k, s, d, p):
    return tuple(
        (n + lo + hi - d_ * (k_ - 1) - 1) // s_ + 1
        for n, k_, s_, d_, (lo, hi) in zip(size, k, s, d, p, strict=True)
    )


def ref_forward(x, w, stride, dil, pads, out):
    n, c = x.shape[:2]
    m = w.shape[0] // c
    xp = np.pad(x, ((0, 0), (0, 0), *pads))
    y = np.zeros((n, c * m, *out))
    for ch in range(c * m):
        src = ch // m
        for a in range(w.shape[2]):
            for b in range(w.shape[3]):
                r0, c0 = a * dil[0], b * dil[1]
                win = xp[:, src, r0 : r0 + (out[0] - 1) * stride[0] + 1 : stride[0]]
                win = win[:, :, c0 : c0 + (out[1] - 1) * stride[1] + 1 : stride[1]]
                y[:, ch] += w[ch, 0, a, b] * win
    return y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_three_passes_agree_with_the_numpy_twin(case, dtype):
    n, c, m, size, k, s, d, pads = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, *size)).astype(dtype)
    w = rng.standard_normal((c * m, 1, *k)).astype(dtype)
    out = _out(size, k, s, d, pads)
    gy = rng.standard_normal((n, c * m, *out)).astype(dtype)
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    assert depthwise.applies(x, w.shape, c, c, dtype)
    y = conv_dispatch.conv_forward(np, x, w, s, pads, d, c, out, dtype)
    np.testing.assert_allclose(y, im2col.conv_forward(np, x, w, s, pads, d, c, out, dtype), **tol)
    np.testing.assert_allclose(
        y, ref_forward(x.astype(float), w.astype(float), s, d, pads, out), **tol
    )
    gx = conv_dispatch.conv_transpose_forward(np, gy, w, s, pads, d, c, size, dtype)
    want = im2col.conv_transpose_forward(np, gy, w, s, pads, d, c, size, dtype)
    np.testing.assert_allclose(gx, want, **tol)
    gw = conv_dispatch.conv_grad_weight(np, x, gy, k, s, pads, d, c, dtype)
    want = im2col.conv_grad_weight(np, x, gy, k, s, pads, d, c, dtype)
    np.testing.assert_allclose(gw, want, **tol)


def test_threads_do_not_change_the_result():
    rng = np.random.default_rng(1)
    xpad = rng.standard_normal((2, 5, 10, 10))
    w = rng.standard_normal((10, 1, 3, 3))
    one = depthwise.forward(xpad, w, (1, 1), (1, 1), (8, 8), np.float64, threads=1)
    three = depthwise.forward(xpad, w, (1, 1), (1, 1), (8, 8), np.float64, threads=3)
    np.testing.assert_array_equal(one, three)
    gy = rng.standard_normal((2, 10, 8, 8))
    g1 = depthwise.grad_weight(xpad, gy, (3, 3), (1, 1), (1, 1), np.float64, threads=1)
    g3 = depthwise.grad_weight(xpad, gy, (3, 3), (1, 1), (1, 1), np.float64, threads=3)
    np.testing.assert_array_equal(g1, g3)
    x1 = depthwise.grad_input(gy, w, (1, 1), (1, 1), (2, 5, 10, 10), np.float64, threads=1)
    x3 = depthwise.grad_input(gy, w, (1, 1), (1, 1), (2, 5, 10, 10), np.float64, threads=3)
    np.testing.assert_array_equal(x1, x3)


def test_applies_only_to_depthwise_2d():
    x = np.zeros((1, 4, 5, 5), np.float32)
    assert not depthwise.applies(x, (8, 2, 3, 3), 2, 4, np.float32)  # grouped, 2 per group
    assert not depthwise.applies(x, (4, 1, 3), 4, 4, np.float32)  # 1-D
    assert not depthwise.applies(x, (4, 1, 3, 3), 4, 4, np.int64)
