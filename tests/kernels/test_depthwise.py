"""2-D depthwise numba kernels agree with the NumPy shifted products of im2col (their twin)
in the three passes, for strides, dilations, multipliers, asymmetric pads and thread counts;
and with an independent float64 loop reference for the forward."""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core.backend import numba_enabled
from nnfunc.errors import ShapeError
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


# The vectorised kernels branch on the geometry: 3x3 (taps in registers) with column stride 1,
# 2 (interleaved loads) or 3 (run-time stride); the stride-1 3x3 input gradient as a gather over
# a zero-bordered plane (multiplier 1, finite taps) or the scatter; other kernels row by row.
# Each case runs every branch it names against the twin and a float64 loop reference.
PATHS = [  # n, c, m, (h, w), kernel, stride, dilation, pads
    (2, 3, 1, (9, 11), (3, 3), (1, 1), (1, 1), ((1, 1), (1, 1))),  # gather, 3x3 sw 1
    (1, 2, 1, (13, 10), (3, 3), (1, 1), (2, 3), ((2, 0), (1, 3))),  # dilated gather
    (2, 2, 2, (8, 9), (3, 3), (1, 1), (1, 1), ((1, 1), (1, 1))),  # 3x3 sw 1, scatter (m 2)
    (1, 3, 1, (11, 13), (3, 3), (2, 2), (1, 1), ((1, 1), (1, 1))),  # 3x3 sw 2
    (1, 2, 3, (10, 15), (3, 3), (1, 3), (1, 2), ((0, 1), (2, 2))),  # 3x3 sw 3
    (2, 3, 1, (7, 12), (3, 3), (2, 1), (1, 1), ((1, 0), (1, 1))),  # sh 2, sw 1
    (1, 2, 2, (9, 9), (5, 5), (2, 2), (1, 1), ((2, 2), (2, 2))),  # generic, sw 2
    (2, 2, 1, (5, 17), (2, 4), (1, 1), (1, 1), ((0, 1), (2, 1))),  # generic, sw 1
    (1, 3, 1, (10, 14), (4, 3), (1, 3), (2, 1), ((1, 1), (0, 0))),  # generic, sw 3
    (0, 3, 2, (6, 6), (3, 3), (1, 1), (1, 1), ((1, 1), (1, 1))),  # empty batch
    (1, 2, 1, (3, 3), (3, 3), (1, 1), (1, 1), ((0, 0), (0, 0))),  # one output pixel
]


def ref_grads(x, w, gy, stride, dil, pads):
    """float64 loops: the adjoint of ``ref_forward`` in x, and its derivative in w."""
    n, c = x.shape[:2]
    m = w.shape[0] // c
    xp = np.pad(x, ((0, 0), (0, 0), *pads))
    gxp = np.zeros_like(xp)
    gw = np.zeros(w.shape)
    for s in range(n):
        for ch in range(c * m):
            src = ch // m
            for i in range(gy.shape[2]):
                for j in range(gy.shape[3]):
                    for a in range(w.shape[2]):
                        for b in range(w.shape[3]):
                            r, q = i * stride[0] + a * dil[0], j * stride[1] + b * dil[1]
                            gxp[s, src, r, q] += w[ch, 0, a, b] * gy[s, ch, i, j]
                            gw[ch, 0, a, b] += xp[s, src, r, q] * gy[s, ch, i, j]
    h, wd = x.shape[2:]
    return gxp[:, :, pads[0][0] : pads[0][0] + h, pads[1][0] : pads[1][0] + wd], gw


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", PATHS)
def test_every_kernel_branch_agrees_with_twin_and_float64_reference(case, dtype):
    n, c, m, size, k, s, d, pads = case
    rng = np.random.default_rng(2)
    x = rng.standard_normal((n, c, *size)).astype(dtype)
    w = rng.standard_normal((c * m, 1, *k)).astype(dtype)
    out = _out(size, k, s, d, pads)
    gy = rng.standard_normal((n, c * m, *out)).astype(dtype)
    # float32: the same float32-rounded operands, sums of at most a few hundred products
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    x64, w64, g64 = x.astype(float), w.astype(float), gy.astype(float)
    rgx, rgw = ref_grads(x64, w64, g64, s, d, pads)
    y = conv_dispatch.conv_forward(np, x, w, s, pads, d, c, out, dtype)
    assert y.dtype == dtype and y.shape == (n, c * m, *out)
    np.testing.assert_allclose(y, im2col.conv_forward(np, x, w, s, pads, d, c, out, dtype), **tol)
    np.testing.assert_allclose(y, ref_forward(x64, w64, s, d, pads, out), **tol)
    gx = conv_dispatch.conv_transpose_forward(np, gy, w, s, pads, d, c, size, dtype)
    want = im2col.conv_transpose_forward(np, gy, w, s, pads, d, c, size, dtype)
    np.testing.assert_allclose(gx, want, **tol)
    np.testing.assert_allclose(gx, rgx, **tol)
    gw = conv_dispatch.conv_grad_weight(np, x, gy, k, s, pads, d, c, dtype)
    want = im2col.conv_grad_weight(np, x, gy, k, s, pads, d, c, dtype)
    np.testing.assert_allclose(gw, want, **tol)
    np.testing.assert_allclose(gw, rgw, **tol)


def test_empty_batch_and_zero_channels_through_the_public_function():
    # batch 0 runs the kernels on no planes, forward and backward; zero channels is a ShapeError
    x = np.zeros((0, 3, 5, 5), np.float32)
    w = np.ones((3, 1, 3, 3), np.float32)
    xv, wv = nf.Variable(x), nf.Variable(w)
    y = nf.depthwise_conv(xv, wv, pad=1)
    assert y.shape == (0, 3, 5, 5)
    gx, gw = nf.grad(y, [xv, wv], grad_outputs=np.zeros(y.shape, np.float32))
    assert np.asarray(gx).shape == x.shape
    np.testing.assert_array_equal(np.asarray(gw), np.zeros_like(w))
    with pytest.raises(ShapeError, match="at least one channel"):
        nf.depthwise_conv(np.zeros((2, 0, 5, 5), np.float32), np.zeros((0, 1, 3, 3), np.float32))


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_taps_give_the_twins_input_gradient(bad):
    # the gather would multiply the zero border by the tap (inf * 0 = NaN where the scatter
    # never touches the cell): non-finite taps take the scatter
    rng = np.random.default_rng(3)
    w = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    w[1, 0, 0, 2] = bad
    gy = rng.standard_normal((1, 2, 6, 6)).astype(np.float32)
    pads = ((1, 1), (1, 1))
    gx = conv_dispatch.conv_transpose_forward(
        np, gy, w, (1, 1), pads, (1, 1), 2, (6, 6), np.float32
    )
    want = im2col.conv_transpose_forward(np, gy, w, (1, 1), pads, (1, 1), 2, (6, 6), np.float32)
    np.testing.assert_allclose(gx, want, rtol=1e-5, atol=1e-5)
    assert np.array_equal(np.isnan(gx), np.isnan(want))


def test_gather_threads_and_planes_do_not_leak_into_each_other():
    # the gather's scratch plane is reused across planes of one range: 1 and 3 threads agree
    rng = np.random.default_rng(4)
    gy = rng.standard_normal((3, 4, 9, 7)).astype(np.float32)
    w = rng.standard_normal((4, 1, 3, 3)).astype(np.float32)
    padded = (3, 4, 11, 9)
    one = depthwise.grad_input(gy, w, (1, 1), (1, 1), padded, np.float32, threads=1)
    three = depthwise.grad_input(gy, w, (1, 1), (1, 1), padded, np.float32, threads=3)
    np.testing.assert_array_equal(one, three)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "n, c, m, size, top, left, hp, wp",
    [
        (2, 3, 1, (7, 8), 1, 1, 9, 10),  # padded in the kernel
        (1, 2, 3, (6, 5), 0, 0, 6, 5),  # no padding, a multiplier
        (2, 1, 2, (4, 4), 1, 2, 6, 7),  # uneven pads
    ],
)
def test_3x3_stride1_kernel_equals_the_general_kernel(n, c, m, size, top, left, hp, wp, dtype):
    """``forward33`` (3x3, stride 1, dilation 1) gives the general kernel's sums bit for bit,
    and the float64 reference to rounding."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((n, c, *size)).astype(dtype)
    w = rng.standard_normal((c, m, 3, 3)).astype(dtype)
    out = (hp - 2, wp - 2)
    kernels = depthwise.depthwise_kernels()
    ys = []
    for name in ("forward", "forward33"):
        y = np.full((n, c, m, *out), np.nan, dtype)
        kernels[name](x, w, y, 1, 1, 1, 1, top, left, hp, wp, 0, n * c)
        ys.append(y)
    np.testing.assert_array_equal(ys[1], ys[0])
    pads = ((top, hp - top - size[0]), (left, wp - left - size[1]))
    ref = ref_forward(x.astype(np.float64), w.reshape(c * m, 1, 3, 3), (1, 1), (1, 1), pads, out)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ys[1].reshape(n, c * m, *out), ref, rtol=tol, atol=tol)
