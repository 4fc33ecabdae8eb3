"""Direct small-convolution kernels (kernels/cpu/direct.py): numba kernels against their NumPy
twins and against an independent float64 reference (sliding windows), for odd sizes, asymmetric
padding, dilation, 3x3 and other kernel sizes, odd filter counts, empty batches; the dispatcher
takes the path for few-channel wide images, and nnfunc.conv's gradients stay right there."""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import conv_dispatch, direct
from nnfunc.kernels.cpu._jit import small_conv_kernels

from ._conv_reference import _rel, ref_forward, ref_grad_input, ref_grad_weight

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

#: max abs error / max abs reference for float32 (the patch GEMM gives ~5e-7 on such data).
F32_BOUND = 3e-6
F64_BOUND = 1e-12


# (n, c, h, w, o, kernel, lows, highs, dilation)
CASES = [
    (3, 3, 17, 16, 16, (3, 3), (1, 1), (1, 1), (1, 1)),
    (2, 4, 7, 9, 5, (3, 3), (0, 2), (2, 0), (1, 1)),  # odd filters: the unpaired last one
    (2, 2, 6, 11, 3, (2, 2), (1, 0), (0, 1), (2, 1)),
    (3, 1, 8, 8, 4, (5, 5), (2, 2), (2, 2), (1, 1)),
    (1, 3, 9, 7, 2, (1, 3), (0, 1), (0, 1), (1, 2)),
    (2, 2, 5, 5, 1, (3, 3), (0, 0), (0, 0), (1, 1)),  # one filter, no padding
]


def _case(case, dtype, seed=0):
    n, c, h, w_, o, kernel, lows, highs, dil = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w_)).astype(dtype)
    w = rng.standard_normal((o, c, *kernel)).astype(dtype)
    out = tuple(
        s + lo + hi - d * (k - 1)
        for s, lo, hi, d, k in zip((h, w_), lows, highs, dil, kernel, strict=True)
    )
    gy = rng.standard_normal((n, o, *out)).astype(dtype)
    return x, w, gy, out


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_passes_match_float64_reference(case, dtype):
    x, w, gy, out = _case(case, dtype)
    *_, kernel, lows, highs, dil = case
    bound = F32_BOUND if dtype == np.float32 else F64_BOUND
    y = direct.forward(x, w, lows, out, dil, dtype)
    assert y.dtype == dtype and y.shape == (x.shape[0], w.shape[0], *out)
    assert _rel(y, ref_forward(x, w, lows, highs, dil)) < bound
    gx = direct.grad_input(gy, w, lows, x.shape[2:], dil, dtype)
    assert gx.shape == x.shape
    assert _rel(gx, ref_grad_input(gy, w, lows, highs, dil, x.shape[2:])) < bound
    gw = direct.grad_weight(x, gy, kernel, lows, dil, dtype)
    assert gw.shape == w.shape
    assert _rel(gw, ref_grad_weight(x, gy, kernel, lows, highs, dil)) < bound


@needs_numba
@pytest.mark.parametrize("case", CASES)
def test_numba_kernels_match_numpy_twins(case):
    x, w, gy, out = _case(case, np.float32, seed=1)
    *_, kernel, lows, _highs, dil = case
    xp = direct.im2col.pad_input(
        np, x, lows, direct.im2col.extent(out, kernel, (1, 1), dil), x.dtype
    )
    n, c, hp, wp = xp.shape
    xf = np.ascontiguousarray(xp).reshape(n, c, hp * wp)
    wf = np.ascontiguousarray(w).reshape(w.shape[0], c, -1)
    offs = direct._offsets(kernel, dil, wp)
    k = small_conv_kernels()
    y1 = np.full((n, w.shape[0], *out), np.nan, np.float32)
    y2 = y1.copy()
    k["forward"](xf, wf, offs, y1, wp, 0, n)
    direct.forward_rows(xf, wf, offs, y2, wp, 0, n)
    np.testing.assert_allclose(y1, y2, rtol=1e-5, atol=1e-5)
    p1 = np.full((2, *wf.shape), np.nan, np.float32)
    p2 = p1.copy()
    k["grad_weight"](xf, gy, offs, p1, wp, 0, n, 1)
    direct.grad_weight_rows(xf, gy, offs, p2, wp, 0, n, 1)
    np.testing.assert_allclose(p1[1], p2[1], rtol=1e-5, atol=1e-5)
    assert np.isnan(p1[0]).all()  # only its own slot is written


def test_thread_ranges_sum_to_the_whole_batch():
    x, w, gy, out = _case(CASES[0], np.float64, seed=2)
    *_, kernel, lows, _highs, dil = CASES[0]
    one = direct.grad_weight(x, gy, kernel, lows, dil, np.float64, threads=1)
    three = direct.grad_weight(x, gy, kernel, lows, dil, np.float64, threads=3)
    np.testing.assert_allclose(three, one, rtol=1e-12, atol=1e-12)
    y1 = direct.forward(x, w, lows, out, dil, np.float64, threads=1)
    y3 = direct.forward(x, w, lows, out, dil, np.float64, threads=3)
    np.testing.assert_array_equal(y1, y3)


def test_empty_batch():
    x = np.zeros((0, 3, 16, 16), np.float32)
    w = np.ones((4, 3, 3, 3), np.float32)
    gy = np.zeros((0, 4, 16, 16), np.float32)
    assert direct.forward(x, w, (1, 1), (16, 16), (1, 1), np.float32).shape == (0, 4, 16, 16)
    assert direct.grad_input(gy, w, (1, 1), (16, 16), (1, 1), np.float32).shape == x.shape
    gw = direct.grad_weight(x, gy, (3, 3), (1, 1), (1, 1), np.float32)
    assert gw.shape == w.shape and not gw.any()


def test_dispatch_rule():
    x = np.zeros((2, 3, 16, 16), np.float32)
    kw = {
        "kernel": (3, 3),
        "stride": (1, 1),
        "groups": 1,
        "channels": 3,
        "width": 16,
        "dtype": np.float32,
    }
    assert direct.applies(x, **kw) == numba_enabled()
    assert not direct.applies(x, **{**kw, "channels": direct.MAX_CHANNELS + 1})
    assert not direct.applies(x, **{**kw, "width": direct.MIN_WIDTH - 1})
    assert not direct.applies(x, **{**kw, "stride": (2, 2)})
    assert not direct.applies(x, **{**kw, "groups": 3})
    assert not direct.applies(x, **{**kw, "dtype": np.float16})


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dispatcher_passes_on_the_direct_path(dtype):
    """conv_dispatch's input and weight gradients for a 3-channel 16-wide image (the direct
    kernels when numba is on; float16 arrays are computed in float32 work, as elsewhere)."""
    case = (2, 3, 16, 16, 5, (3, 3), (1, 1), (1, 1), (1, 1))
    x, w, gy, _out = _case(case, np.float64, seed=3)
    work = np.float32 if dtype == np.float16 else dtype
    bound = F64_BOUND if dtype == np.float64 else F32_BOUND
    pads = [(1, 1), (1, 1)]
    gx = conv_dispatch.conv_transpose_forward(
        np, gy.astype(dtype), w.astype(dtype), (1, 1), pads, (1, 1), 1, (16, 16), work
    )
    gw = conv_dispatch.conv_grad_weight(
        np, x.astype(dtype), gy.astype(dtype), (3, 3), (1, 1), pads, (1, 1), 1, work
    )
    xr, wr, gr = (a.astype(dtype).astype(np.float64) for a in (x, w, gy))
    assert _rel(gx, ref_grad_input(gr, wr, (1, 1), (1, 1), (1, 1), (16, 16))) < bound
    assert _rel(gw, ref_grad_weight(xr, gr, (3, 3), (1, 1), (1, 1), (1, 1))) < bound


def test_conv_gradients_on_the_direct_path():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 16, 17))
    w = rng.standard_normal((4, 3, 3, 3))
    gy = rng.standard_normal((2, 4, 16, 17))
    xv, wv = nf.Variable(x, requires_grad=True), nf.Variable(w, requires_grad=True)
    y = nf.conv(xv, wv, None, pad=1)
    gx, gw = nf.grad(y, [xv, wv], grad_outputs=gy)
    np.testing.assert_allclose(y.numpy(), ref_forward(x, w, (1, 1), (1, 1), (1, 1)), atol=1e-11)
    ref_gx = ref_grad_input(gy, w, (1, 1), (1, 1), (1, 1), (16, 17))
    np.testing.assert_allclose(gx.numpy(), ref_gx, atol=1e-11)
    ref_gw = ref_grad_weight(x, gy, (3, 3), (1, 1), (1, 1), (1, 1))
    np.testing.assert_allclose(gw.numpy(), ref_gw, atol=1e-11)
