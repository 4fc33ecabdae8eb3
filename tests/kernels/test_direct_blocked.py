"""Blocked direct convolution (kernels/cpu/direct.py ``forward_blocked``/``grad_weight_blocked``,
numba ``_sc3_forward``/``_sc3_grad_weight``): against an independent float64 reference (sliding
windows / scatter) for odd sizes, asymmetric and negative padding, dilation, kernel widths that
are not a multiple of three, filter counts that are not a multiple of four, sample blocks that do
not divide the batch; numba kernels against their NumPy twins; thread ranges; the dispatch rule
and the dispatcher's three passes."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import conv_dispatch, direct, im2col
from nnfunc.kernels.cpu._jit import blocked_conv_kernels

from ._conv_reference import _rel, ref_forward, ref_grad_input, ref_grad_weight

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

#: max abs error / max abs reference (the patch GEMM gives ~5e-7 in float32 on such data).
F32_BOUND = 3e-6
F64_BOUND = 1e-12


# (n, c, h, w, o, kernel, lows, highs, dilation)
CASES = [
    (3, 3, 17, 16, 16, (3, 3), (1, 1), (1, 1), (1, 1)),
    (23, 1, 8, 8, 5, (3, 3), (1, 1), (1, 1), (1, 1)),  # blocks of 20 samples + 3; 5 filters
    (2, 4, 7, 9, 6, (3, 3), (0, 2), (2, 0), (1, 1)),  # asymmetric
    (2, 2, 6, 11, 3, (2, 2), (1, 0), (0, 1), (2, 1)),  # two taps a row, dilation
    (3, 1, 8, 8, 4, (5, 5), (2, 2), (2, 2), (1, 1)),  # 3 + 2 taps a row
    (1, 3, 9, 7, 2, (1, 3), (0, 1), (0, 1), (1, 2)),
    (2, 2, 9, 10, 1, (3, 3), (1, 0), (-1, 0), (1, 1)),  # one filter; last row cropped
    (2, 3, 12, 10, 7, (3, 1), (0, 0), (0, 0), (1, 1)),  # one tap a row, no padding
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


def _grad_input(gy, w, lows, size, dil, dtype, threads=None):
    """The input gradient as the dispatcher computes it on this path."""
    kernel = w.shape[2:]
    flipped = [d * (k - 1) - lo for k, d, lo in zip(kernel, dil, lows, strict=True)]
    wt = w[:, :, ::-1, ::-1].swapaxes(0, 1)
    return direct.forward_blocked(gy, wt, flipped, tuple(size), dil, dtype, threads)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_passes_match_float64_reference(case, dtype):
    x, w, gy, out = _case(case, dtype)
    *_, kernel, lows, highs, dil = case
    bound = F32_BOUND if dtype == np.float32 else F64_BOUND
    y = direct.forward_blocked(x, w, lows, out, dil, dtype)
    assert y.dtype == dtype and y.shape == (x.shape[0], w.shape[0], *out)
    ref = ref_forward(x, w, lows, highs, dil)
    assert _rel(y, ref) < bound
    b = np.linspace(-2, 3, w.shape[0]).astype(dtype)
    yb = direct.forward_blocked(x, w, lows, out, dil, dtype, bias=b)
    assert _rel(yb, ref + b.astype(np.float64).reshape(-1, 1, 1)) < bound
    gw = direct.grad_weight_blocked(x, gy, kernel, lows, dil, dtype)
    assert gw.dtype == dtype and gw.shape == w.shape
    assert _rel(gw, ref_grad_weight(x, gy, kernel, lows, highs, dil)) < bound
    if all(0 <= lo <= d * (k - 1) for lo, d, k in zip(lows, dil, kernel, strict=True)):
        gx = _grad_input(gy, w, lows, x.shape[2:], dil, dtype)
        assert gx.shape == x.shape
        assert _rel(gx, ref_grad_input(gy, w, lows, highs, dil, x.shape[2:])) < bound


@needs_numba
@pytest.mark.parametrize("case", CASES)
def test_numba_kernels_match_numpy_twins(case):
    x, w, gy, out = _case(case, np.float32, seed=1)
    *_, kernel, lows, _highs, dil = case
    ext = im2col.extent(out, kernel, (1, 1), dil)
    hp, wp = direct._plane(x.shape[2:], lows, ext, out)  # planes sharing their zeros
    assert hp * wp <= ext[0] * ext[1]
    k = blocked_conv_kernels()
    n = x.shape[0]
    nb = max(1, direct.BLOCK_CELLS // (hp * wp))
    y1 = np.full((n, w.shape[0], *out), np.nan, np.float32)
    y2 = y1.copy()
    args = (lows[0], lows[1], hp, wp, dil[0], dil[1], nb)
    for bias in (np.zeros(0, np.float32), np.linspace(-1, 1, w.shape[0], dtype=np.float32)):
        k["forward"](x, w, bias, y1, *args, 0, n)
        direct.blocked_rows(x, w, bias, y2, *args, 0, n)
        np.testing.assert_allclose(y1, y2, rtol=1e-5, atol=1e-5)
    p1 = np.full((2, *w.shape), np.nan, np.float32)
    p2 = p1.copy()
    k["grad_weight"](x, gy, p1, *args, 0, n, 1)
    direct.blocked_grad_weight_rows(x, gy, p2, *args, 0, n, 1)
    np.testing.assert_allclose(p1[1], p2[1], rtol=1e-4, atol=1e-4)
    assert np.isnan(p1[0]).all()  # only its own slot is written


@pytest.mark.parametrize("case", [CASES[0], CASES[1]])
def test_thread_ranges_give_the_whole_batch(case):
    x, w, gy, out = _case(case, np.float64, seed=2)
    *_, kernel, lows, _highs, dil = case
    one = direct.grad_weight_blocked(x, gy, kernel, lows, dil, np.float64, threads=1)
    three = direct.grad_weight_blocked(x, gy, kernel, lows, dil, np.float64, threads=3)
    np.testing.assert_allclose(three, one, rtol=1e-12, atol=1e-12)
    y1 = direct.forward_blocked(x, w, lows, out, dil, np.float64, threads=1)
    y3 = direct.forward_blocked(x, w, lows, out, dil, np.float64, threads=3)
    np.testing.assert_array_equal(y1, y3)


def test_empty_batch_and_channels():
    x = np.zeros((0, 3, 16, 16), np.float32)
    w = np.ones((4, 3, 3, 3), np.float32)
    gy = np.zeros((0, 4, 16, 16), np.float32)
    y = direct.forward_blocked(x, w, (1, 1), (16, 16), (1, 1), np.float32)
    assert y.shape == (0, 4, 16, 16)
    gw = direct.grad_weight_blocked(x, gy, (3, 3), (1, 1), (1, 1), np.float32)
    assert gw.shape == w.shape and not gw.any()
    # no input channel: zeros (no sum), not garbage
    x0 = np.ones((2, 0, 16, 16), np.float32)
    y0 = direct.forward_blocked(
        x0, np.ones((4, 0, 3, 3), np.float32), (1, 1), (16, 16), (1, 1), np.float32
    )
    assert y0.shape == (2, 4, 16, 16) and not y0.any()


def test_dispatch_rule():
    x = np.zeros((2, 3, 16, 16), np.float32)
    kw = {
        "kernel": (3, 3),
        "stride": (1, 1),
        "dilation": (1, 1),
        "groups": 1,
        "c_in": 3,
        "c_out": 16,
        "lows": (1, 1),
        "out": (16, 16),
        "dtype": np.float32,
    }
    assert direct.blocked_applies(x, **kw) == numba_enabled()
    if not numba_enabled():
        return
    wide = direct.MAX_PRODUCT // direct.MIN_BLOCK_OUT + 1
    assert direct.blocked_applies(x, **{**kw, "c_in": direct.MAX_CHANNELS, "c_out": wide})
    assert direct.blocked_applies(x, **{**kw, "c_in": 16, "c_out": 32})  # the demo's conv2
    assert not direct.blocked_applies(x, **{**kw, "c_in": 32, "c_out": 32})
    assert not direct.blocked_applies(x, **{**kw, "c_out": direct.MIN_BLOCK_OUT - 1})
    x4 = np.zeros((2, 3, 4, 4), np.float32)
    assert direct.blocked_applies(x4, **{**kw, "out": (4, 4)})  # shared 5x5 planes: 1.56
    assert not direct.blocked_applies(x4, **{**kw, "lows": (0, 0), "out": (2, 2)})  # 4
    assert not direct.blocked_applies(x, **{**kw, "lows": (-1, 1), "out": (14, 16)})
    assert not direct.blocked_applies(x, **{**kw, "stride": (2, 2)})
    assert not direct.blocked_applies(x, **{**kw, "groups": 3})
    assert not direct.blocked_applies(x, **{**kw, "dtype": np.float16})
    assert not direct.blocked_applies(x.tolist(), **kw)
    big = np.zeros((2, 3, 1024, 1024), np.float32)  # memory-bound planes
    assert not direct.blocked_applies(big, **{**kw, "out": (1024, 1024)})


def test_dispatch_rule_leaves_no_thread_idle(monkeypatch):
    """One large sample on two threads: the patch GEMM (threaded BLAS), not the blocked kernels
    (threaded over samples); small calls run on one thread anyway."""
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "2")
    kw = {"kernel": (3, 3), "stride": (1, 1), "dilation": (1, 1), "groups": 1}
    kw = {**kw, "c_in": 3, "c_out": 16, "lows": (1, 1), "dtype": np.float32}
    one = np.zeros((1, 3, 256, 256), np.float32)
    assert not direct.blocked_applies(one, **kw, out=(256, 256))
    small = np.zeros((1, 3, 32, 32), np.float32)
    assert direct.blocked_applies(small, **kw, out=(32, 32)) == numba_enabled()
    two = np.zeros((2, 3, 256, 256), np.float32)
    assert direct.blocked_applies(two, **kw, out=(256, 256)) == numba_enabled()


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dispatcher_passes_on_the_blocked_path(dtype):
    """conv_dispatch's three passes for a 3-channel 16x16 image, 5 filters (the blocked kernels
    when numba is on; float16 arrays are computed in float32 work, as elsewhere)."""
    case = (2, 3, 16, 16, 5, (3, 3), (1, 1), (1, 1), (1, 1))
    x, w, gy, out = _case(case, np.float64, seed=3)
    work = np.float32 if dtype == np.float16 else dtype
    bound = F64_BOUND if dtype == np.float64 else F32_BOUND
    pads = [(1, 1), (1, 1)]
    xd, wd, gd = (a.astype(dtype) for a in (x, w, gy))
    y = conv_dispatch.conv_forward(np, xd, wd, (1, 1), pads, (1, 1), 1, out, work)
    bias = np.arange(5, dtype=dtype)
    yb = conv_dispatch.conv_forward(np, xd, wd, (1, 1), pads, (1, 1), 1, out, work, bias)
    np.testing.assert_allclose(yb - bias.astype(work).reshape(-1, 1, 1), y, atol=1e-5)
    gx = conv_dispatch.conv_transpose_forward(np, gd, wd, (1, 1), pads, (1, 1), 1, (16, 16), work)
    gw = conv_dispatch.conv_grad_weight(np, xd, gd, (3, 3), (1, 1), pads, (1, 1), 1, work)
    assert y.dtype == gx.dtype == gw.dtype == work
    xr, wr, gr = (a.astype(np.float64) for a in (xd, wd, gd))
    assert _rel(y, ref_forward(xr, wr, (1, 1), (1, 1), (1, 1))) < bound
    assert _rel(gx, ref_grad_input(gr, wr, (1, 1), (1, 1), (1, 1), (16, 16))) < bound
    assert _rel(gw, ref_grad_weight(xr, gr, (3, 3), (1, 1), (1, 1), (1, 1))) < bound


@pytest.mark.parametrize("side", [4, 8])
def test_dispatcher_many_channels_on_small_images(monkeypatch, side):
    """16 -> 32 channels on 4x4 and 8x8 images (the demo CNN's second convolution): the blocked
    kernels take all three passes when numba is on, equal to the float64 reference."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((5, 16, side, side)).astype(np.float32)
    w = (rng.standard_normal((32, 16, 3, 3)) * 0.1).astype(np.float32)
    gy = rng.standard_normal((5, 32, side, side)).astype(np.float32)
    calls = []
    for name in ("forward_blocked", "grad_weight_blocked"):
        real = getattr(direct, name)
        monkeypatch.setattr(
            direct, name, lambda *a, real=real, **k: calls.append(1) or real(*a, **k)
        )
    pads = [(1, 1), (1, 1)]
    y = conv_dispatch.conv_forward(np, x, w, (1, 1), pads, (1, 1), 1, (side, side), np.float32)
    gx = conv_dispatch.conv_transpose_forward(
        np, gy, w, (1, 1), pads, (1, 1), 1, (side, side), np.float32
    )
    gw = conv_dispatch.conv_grad_weight(np, x, gy, (3, 3), (1, 1), pads, (1, 1), 1, np.float32)
    assert len(calls) == (3 if numba_enabled() else 0)
    xr, wr, gr = (a.astype(np.float64) for a in (x, w, gy))
    assert _rel(y, ref_forward(xr, wr, (1, 1), (1, 1), (1, 1))) < F32_BOUND
    assert _rel(gx, ref_grad_input(gr, wr, (1, 1), (1, 1), (1, 1), (side, side))) < F32_BOUND
    assert _rel(gw, ref_grad_weight(xr, gr, (3, 3), (1, 1), (1, 1), (1, 1))) < F32_BOUND


def test_no_bias_keeps_negative_zeros_and_bias_matches_the_other_paths():
    """Without a bias the outputs are written as summed (-0.0 stays -0.0); with one, the blocked
    kernels give what the patch GEMM path gives (the bias added in the work dtype)."""
    x = np.zeros((2, 3, 16, 16), np.float32)
    w = -np.ones((4, 3, 3, 3), np.float32)
    y = direct.forward_blocked(x, w, (1, 1), (16, 16), (1, 1), np.float32)
    assert not np.any(y) and np.signbit(y).all() == numba_enabled()
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 3, 16, 16)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    pads = [(1, 1), (1, 1)]
    got = conv_dispatch.conv_forward(np, x, w, (1, 1), pads, (1, 1), 1, (16, 16), np.float32, b)
    want = im2col.conv_forward(np, x, w, (1, 1), pads, (1, 1), 1, (16, 16), np.float32)
    np.testing.assert_allclose(got, want + b.reshape(-1, 1, 1), rtol=1e-5, atol=1e-5)


# Tiny images, where the forward puts the samples in the lanes (``_sc4_forward_bl``): batches
# that are not a multiple of the block, asymmetric padding, dilation, 5x5 on 4x4, 1-7 filters.
TINY = [
    (70, 16, 4, 4, 32, (3, 3), (1, 1), (1, 1), (1, 1)),  # the demo's conv2; blocks of 64 + 6
    (9, 32, 4, 4, 16, (3, 3), (1, 1), (1, 1), (1, 1)),
    (5, 3, 2, 2, 7, (3, 3), (1, 1), (1, 1), (1, 1)),
    (4, 2, 4, 5, 5, (3, 3), (2, 0), (0, 2), (1, 1)),  # asymmetric
    (3, 2, 4, 4, 1, (5, 5), (2, 2), (2, 2), (1, 1)),  # 3 + 2 taps a row, one filter
    (6, 3, 3, 3, 6, (2, 2), (1, 1), (1, 1), (2, 2)),  # dilation
    (7, 2, 2, 4, 4, (3, 2), (2, 1), (2, 0), (1, 2)),
    (8, 3, 2, 5, 3, (3, 1), (1, 0), (1, 0), (1, 1)),  # one tap a row
]


@pytest.mark.parametrize("case", TINY)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_lanes_forward_matches_reference_and_twin(case, dtype):
    x, w, gy, out = _case(case, dtype, seed=4)
    *_, kernel, lows, highs, dil = case
    ext = im2col.extent(out, kernel, (1, 1), dil)
    hp, wp = direct._plane(x.shape[2:], lows, ext, out)
    assert hp * wp > direct.BATCH_LANES_WASTE * out[0] * out[1]  # the case takes this path
    ref = ref_forward(x, w, lows, highs, dil)
    bound = F32_BOUND if dtype == np.float32 else F64_BOUND
    b = np.linspace(-2, 3, w.shape[0]).astype(dtype)
    for bias, want in ((None, ref), (b, ref + b.astype(np.float64).reshape(-1, 1, 1))):
        y = direct.forward_blocked(x, w, lows, out, dil, dtype, bias=bias)
        assert y.dtype == dtype and _rel(y, want) < bound
        y3 = direct.forward_blocked(x, w, lows, out, dil, dtype, threads=3, bias=bias)
        np.testing.assert_array_equal(y3, y)
    gw = direct.grad_weight_blocked(x, gy, kernel, lows, dil, dtype)
    assert gw.dtype == dtype and _rel(gw, ref_grad_weight(x, gy, kernel, lows, highs, dil)) < bound
    gw3 = direct.grad_weight_blocked(x, gy, kernel, lows, dil, dtype, threads=3)
    np.testing.assert_allclose(gw3, gw, rtol=1e-4, atol=1e-4 * float(np.abs(gw).max()))
    if not numba_enabled():
        return
    fn = direct.batch_lanes_conv_kernels()
    n = x.shape[0]
    for nb in (1, 3, 64):  # the kernels against their NumPy twins, over a sub-range of samples
        y1 = np.full((n, w.shape[0], *out), np.nan, dtype)
        y2 = y1.copy()
        args = (lows[0], lows[1], ext[0], ext[1], dil[0], dil[1], nb, 1, n)
        fn["forward"](x, w, b, y1, *args)
        direct.blocked_rows(x, w, b, y2, *args)
        assert np.isnan(y1[0]).all()  # sample 0 is outside the range
        np.testing.assert_allclose(y1[1:], y2[1:], rtol=1e-5, atol=1e-5)
        p1 = np.full((2, *w.shape), np.nan, dtype)
        p2 = p1.copy()
        fn["grad_weight"](x, gy, p1, *args, 1)
        direct.blocked_grad_weight_rows(x, gy, p2, *args, 1)
        assert np.isnan(p1[0]).all()  # only its own slot is written
        np.testing.assert_allclose(p1[1], p2[1], rtol=1e-4, atol=1e-4 * float(np.abs(p2[1]).max()))


@needs_numba
def test_batch_lanes_path_is_taken_and_keeps_negative_zeros(monkeypatch):
    calls = []
    real = direct.batch_lanes_conv_kernels

    def spy():
        calls.append(1)
        return real()

    monkeypatch.setattr(direct, "batch_lanes_conv_kernels", spy)
    x = np.zeros((3, 16, 4, 4), np.float32)
    w = -np.ones((32, 16, 3, 3), np.float32)
    y = direct.forward_blocked(x, w, (1, 1), (4, 4), (1, 1), np.float32)
    assert calls and not np.any(y) and np.signbit(y).all()
    direct.grad_weight_blocked(
        x, np.ones((3, 32, 4, 4), np.float32), (3, 3), (1, 1), (1, 1), np.float32
    )
    assert len(calls) == 2
    calls.clear()
    x8 = np.zeros((3, 16, 8, 8), np.float32)  # shared planes waste 1.27: the _sc3 kernel
    direct.forward_blocked(x8, w, (1, 1), (8, 8), (1, 1), np.float32)
    one = np.zeros((1, 16, 4, 4), np.float32)  # one sample: nothing to put in the lanes
    direct.forward_blocked(one, w, (1, 1), (4, 4), (1, 1), np.float32)
    assert not calls


def test_mid_size_passes_take_one_equal_range_per_thread(monkeypatch):
    """Between SPLIT_WORK and SERIAL_WORK a pass is cut into exactly one sample range per thread
    (no load-balancing ranges), inline below, load-balanced above or with ``threads`` given."""
    monkeypatch.setattr(direct, "num_threads", lambda: 2)
    assert direct._ranges(128, direct.SPLIT_WORK // 256, None) is None
    assert direct._ranges(128, direct.SPLIT_WORK // 128, None) == [(0, 64), (64, 128)]
    assert direct._ranges(1, direct.SPLIT_WORK, None) is None  # one sample: inline
    assert direct._ranges(3, direct.SPLIT_WORK, None) == [(0, 1), (1, 3)]
    assert direct._ranges(128, direct.SPLIT_WORK, 1) is None
    assert len(direct._ranges(128, direct.SPLIT_WORK, 3)) == 3  # threads given: as before
    monkeypatch.setattr(direct, "num_threads", lambda: 1)
    assert direct._ranges(128, direct.SPLIT_WORK // 128, None) is None


@needs_numba
@pytest.mark.parametrize("side", [4, 8])
def test_split_passes_match_the_inline_ones(monkeypatch, side):
    """The demo CNN's passes split over two ranges (both kernels: batch lanes at 4x4, shared
    planes at 8x8) give the inline results."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 16, side, side)).astype(np.float32)
    w = rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((7, 8, side, side)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    args = ((1, 1), (side, side), (1, 1), np.float32)
    y1 = direct.forward_blocked(x, w, *args, threads=1, bias=b)
    g1 = direct.grad_weight_blocked(x, gy, (3, 3), (1, 1), (1, 1), np.float32, threads=1)
    monkeypatch.setattr(direct, "num_threads", lambda: 2)
    monkeypatch.setattr(direct, "SPLIT_WORK", 1)
    calls = []
    real = direct.run
    monkeypatch.setattr(direct, "run", lambda fn, ranges: calls.append(ranges) or real(fn, ranges))
    np.testing.assert_array_equal(direct.forward_blocked(x, w, *args, bias=b), y1)
    g2 = direct.grad_weight_blocked(x, gy, (3, 3), (1, 1), (1, 1), np.float32)
    np.testing.assert_allclose(g2, g1, rtol=1e-5, atol=1e-4)
    assert calls == [[(0, 3), (3, 7)]] * 2
