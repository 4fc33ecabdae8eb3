"""Winograd F(2x2, 3x3): numba transforms agree with their NumPy twins; the three passes agree
with an independent float64 direct convolution (exactly to rounding in float64, to the stated
bound in float32); nnfunc.conv takes the path and its gradients stay right."""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import nnfunc as nf
from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import blas, conv_dispatch, direct, winograd
from nnfunc.kernels.cpu._jit import winograd_kernels

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

#: Bound checked for float32 (max abs error / max abs reference, float64 reference); the
#: patch GEMM gives ~5e-7 on the same data, Winograd F(2x2, 3x3) ~4e-7 to 1e-6.
F32_BOUND = 3e-6


def _pad(x, lo, hi):
    return np.pad(x, ((0, 0), (0, 0), (lo, hi), (lo, hi)))


def ref_conv(x, w, lo, hi):
    win = sliding_window_view(_pad(x, lo, hi), (3, 3), axis=(2, 3))
    return np.einsum("nchwkl,ockl->nohw", win, w)


def ref_grad_input(gy, w, lo, hi, size):
    n, _, ho, wo = gy.shape
    buf = np.zeros((n, w.shape[1], size[0] + lo + hi, size[1] + lo + hi))
    for ky in range(3):
        for kx in range(3):
            buf[:, :, ky : ky + ho, kx : kx + wo] += np.einsum("nohw,oc->nchw", gy, w[:, :, ky, kx])
    return buf[:, :, lo : lo + size[0], lo : lo + size[1]]


def ref_grad_weight(x, gy, lo, hi):
    win = sliding_window_view(_pad(x, lo, hi), (3, 3), axis=(2, 3))
    return np.einsum("nohw,nchwkl->ockl", gy, win)


CASES = [  # n, c, o, h, w, pad low, pad high
    (2, 16, 16, 8, 8, 1, 1),
    (3, 5, 7, 7, 9, 1, 1),  # odd output sizes: the last tiles are cut
    (1, 4, 3, 6, 5, 0, 2),
    (2, 3, 6, 5, 6, 2, 0),
    (1, 2, 2, 3, 3, 0, 0),  # a single output pixel
]


def _data(case, seed=0):
    n, c, o, h, w_, lo, hi = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w_))
    w = rng.standard_normal((o, c, 3, 3))
    out = (h + lo + hi - 2, w_ + lo + hi - 2)
    gy = rng.standard_normal((n, o, *out))
    return x, w, gy, out, lo, hi


@pytest.mark.parametrize("use_numba", [False, pytest.param(True, marks=needs_numba)])
@pytest.mark.parametrize("case", CASES)
def test_three_passes_match_the_float64_reference(case, use_numba):
    x, w, gy, out, lo, hi = _data(case)
    f64 = np.float64
    y = winograd.forward(x, w, (lo, lo), out, f64, use_numba=use_numba)
    np.testing.assert_allclose(y, ref_conv(x, w, lo, hi), rtol=1e-12, atol=1e-12)
    gx = winograd.grad_input(gy, w, (lo, lo), x.shape[2:], f64, use_numba=use_numba)
    np.testing.assert_allclose(gx, ref_grad_input(gy, w, lo, hi, x.shape[2:]), atol=1e-12)
    gw = winograd.grad_weight(x, gy, (lo, lo), f64, use_numba=use_numba)
    np.testing.assert_allclose(gw, ref_grad_weight(x, gy, lo, hi), rtol=1e-12, atol=1e-11)


@pytest.mark.parametrize("case", CASES[:2])
def test_float32_accuracy_bound(case):
    x, w, gy, out, lo, hi = _data(case, seed=1)
    f32 = np.float32
    x32, w32, gy32 = x.astype(f32), w.astype(f32), gy.astype(f32)
    # the reference is computed from the float32-rounded operands, in float64
    x, w, gy = x32.astype(np.float64), w32.astype(np.float64), gy32.astype(np.float64)

    def rel(a, b):
        return np.abs(a - b).max() / np.abs(b).max()

    assert rel(winograd.forward(x32, w32, (lo, lo), out, f32), ref_conv(x, w, lo, hi)) < F32_BOUND
    gx = winograd.grad_input(gy32, w32, (lo, lo), x.shape[2:], f32)
    assert rel(gx, ref_grad_input(gy, w, lo, hi, x.shape[2:])) < F32_BOUND
    gw = winograd.grad_weight(x32, gy32, (lo, lo), f32)
    assert rel(gw, ref_grad_weight(x, gy, lo, hi)) < F32_BOUND


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_transforms_equal_the_numpy_twins(dtype):
    rng = np.random.default_rng(2)
    n, c, th, tw = 3, 5, 4, 3
    xpad = rng.standard_normal((n, c, 2 * th + 3, 2 * tw + 2)).astype(dtype)
    k = winograd_kernels()
    t = 2 * th * tw  # samples 1 and 2, channels 1..4
    v1, v2 = (np.full((16, c, t), 7.0, dtype) for _ in range(2))
    k["input"](xpad, v1, 1, 3, th, tw, 1, 4)
    winograd.input_transform_numpy(xpad, v2, 1, 3, th, tw, 1, 4)
    np.testing.assert_array_equal(v1, v2)
    m = rng.standard_normal((16, c, t)).astype(dtype)
    y1, y2 = (np.full((n, c, 2 * th - 1, 2 * tw), 7.0, dtype) for _ in range(2))
    k["output"](m, y1, 1, 3, th, tw, 0, 3)
    winograd.output_transform_numpy(m, y2, 1, 3, th, tw, 0, 3)
    np.testing.assert_array_equal(y1, y2)
    gy = rng.standard_normal((n, c, 2 * th, 2 * tw)).astype(dtype)
    g1, g2 = (np.full((16, c, t), 7.0, dtype) for _ in range(2))
    k["output_adjoint"](gy, g1, 1, 3, th, tw, 2, 5)
    winograd.output_adjoint_numpy(gy, g2, 1, 3, th, tw, 2, 5)
    np.testing.assert_array_equal(g1, g2)


def test_empty_batch():
    w = np.ones((16, 16, 3, 3), np.float32)
    x = np.ones((0, 16, 6, 6), np.float32)
    assert winograd.forward(x, w, (1, 1), (6, 6), np.float32).shape == (0, 16, 6, 6)
    assert winograd.grad_input(x, w, (1, 1), (6, 6), np.float32).shape == (0, 16, 6, 6)
    np.testing.assert_array_equal(winograd.grad_weight(x, x, (1, 1), np.float32), 0)


def test_dispatch_takes_winograd_only_where_it_applies():
    f32 = np.float32
    assert winograd.eligible((3, 3), (1, 1), (1, 1), 1, 16, 32, f32)
    assert not winograd.eligible((3, 3), (1, 1), (1, 1), 1, 16, 32, np.float64)
    assert not winograd.eligible((3, 3), (2, 2), (1, 1), 1, 16, 32, f32)
    assert not winograd.eligible((3, 3), (1, 1), (2, 2), 1, 16, 32, f32)
    assert not winograd.eligible((3, 3), (1, 1), (1, 1), 2, 16, 32, f32)
    assert not winograd.eligible((5, 5), (1, 1), (1, 1), 1, 16, 32, f32)
    assert not winograd.eligible((3, 3), (1, 1), (1, 1), 1, 3, 16, f32)  # first layer


@pytest.mark.parametrize("channel_last", [False, True])
def test_conv_float32_through_winograd_with_gradients(channel_last):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 16, 7, 10)).astype(np.float32)
    w = (rng.standard_normal((16, 16, 3, 3)) * 0.1).astype(np.float32)
    gy = rng.standard_normal((2, 16, 7, 10)).astype(np.float32)
    x64, w64, gy64 = (a.astype(np.float64) for a in (x, w, gy))
    xin = np.moveaxis(x, 1, -1) if channel_last else x
    g_in = np.moveaxis(gy, 1, -1) if channel_last else gy
    xv = nf.Variable(xin, requires_grad=True)
    wv = nf.Variable(w, requires_grad=True)
    y = nf.conv(xv, wv, pad=1, channel_last=channel_last)
    gx, gw = nf.grad(y, [xv, wv], grad_outputs=g_in)
    gx = np.asarray(gx.data)
    yd = np.asarray(y.data)
    if channel_last:
        yd, gx = np.moveaxis(yd, -1, 1), np.moveaxis(gx, -1, 1)
    scale = np.abs(ref_conv(x64, w64, 1, 1)).max()
    np.testing.assert_allclose(yd, ref_conv(x64, w64, 1, 1), atol=F32_BOUND * scale)
    ref_gx = ref_grad_input(gy64, w64, 1, 1, (7, 10))
    np.testing.assert_allclose(gx, ref_gx, atol=F32_BOUND * np.abs(ref_gx).max())
    ref_gw = ref_grad_weight(x64, gy64, 1, 1)
    np.testing.assert_allclose(gw.data, ref_gw, atol=F32_BOUND * np.abs(ref_gw).max())


def test_conv_transpose_stride_one_large_low_pad_keeps_the_patch_path():
    # low pad 3 > 2: the flipped convolution would need a negative pad; the result is still right
    rng = np.random.default_rng(4)
    gy = rng.standard_normal((1, 16, 9, 9)).astype(np.float32)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    got = conv_dispatch.conv_transpose_forward(
        np, gy, w, (1, 1), ((3, 3), (3, 3)), (1, 1), 1, (13, 13), np.float32
    )
    want = ref_grad_input(gy.astype(np.float64), w.astype(np.float64), 3, 3, (13, 13))
    np.testing.assert_allclose(got, want, atol=1e-4 * np.abs(want).max())


@pytest.mark.parametrize("pad", [0, 1, 2, "same", ((0, 2), (1, 0))])
def test_conv_transpose_float32_paths_agree_with_float64(pad):
    # float32 takes Winograd (forward = input-gradient kernel, weight gradient with the roles
    # of x and gy swapped); float64 takes the patch GEMM, tested against its own references
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 16, 6, 7))
    w = rng.standard_normal((16, 17, 3, 3)) * 0.2
    xv, wv = nf.Variable(x, requires_grad=True), nf.Variable(w, requires_grad=True)
    y64 = nf.conv_transpose(xv, wv, pad=pad)
    gy = rng.standard_normal(y64.shape)
    g64 = nf.grad(y64, [xv, wv], grad_outputs=gy)
    x32, w32 = (nf.Variable(a.astype(np.float32), requires_grad=True) for a in (x, w))
    y32 = nf.conv_transpose(x32, w32, pad=pad)
    g32 = nf.grad(y32, [x32, w32], grad_outputs=gy.astype(np.float32))
    for got, want in [(y32, y64), *zip(g32, g64, strict=True)]:
        got, want = np.asarray(got.data), np.asarray(want.data)
        np.testing.assert_allclose(got, want, atol=F32_BOUND * np.abs(want).max())


@pytest.mark.parametrize("use_numba", [False, pytest.param(True, marks=needs_numba)])
def test_chunk_parallel_path_matches_the_reference(use_numba):
    # threads=3 over 4 samples: whole chunks on the kernel pool (BLAS on one thread when
    # threadpoolctl can set it, else the chunk loop with threaded transforms)
    x, w, gy, out, lo, hi = _data((4, 6, 5, 7, 8, 1, 1), seed=6)
    f64 = np.float64
    y = winograd.forward(x, w, (lo, lo), out, f64, threads=3, use_numba=use_numba)
    np.testing.assert_allclose(y, ref_conv(x, w, lo, hi), rtol=1e-12, atol=1e-12)
    gw = winograd.grad_weight(x, gy, (lo, lo), f64, threads=3, use_numba=use_numba)
    np.testing.assert_allclose(gw, ref_grad_weight(x, gy, lo, hi), rtol=1e-12, atol=1e-11)
    gx = winograd.grad_input(gy, w, (lo, lo), x.shape[2:], f64, threads=3, use_numba=use_numba)
    np.testing.assert_allclose(gx, ref_grad_input(gy, w, lo, hi, x.shape[2:]), atol=1e-12)


def test_blas_thread_count_is_restored_after_the_parallel_path():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not blas.can_limit():
        pytest.skip("no BLAS whose threads can be set")

    def blas_threads():
        info = threadpoolctl.threadpool_info()
        return [i["num_threads"] for i in info if i["user_api"] == "blas"]

    before = blas_threads()
    x, w, gy, out, lo, _ = _data((4, 6, 5, 7, 8, 1, 1), seed=7)
    winograd.forward(x, w, (lo, lo), out, np.float64, threads=3)
    winograd.grad_weight(x, gy, (lo, lo), np.float64, threads=3)
    assert blas_threads() == before


@pytest.mark.parametrize("side, path", [(4, "patch"), (3, "patch"), (6, "winograd")])
def test_dispatch_forward_of_tiny_outputs_takes_the_patch_gemm(monkeypatch, side, path):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 16, side, side)).astype(np.float32)
    w = (rng.standard_normal((32, 16, 3, 3)) * 0.1).astype(np.float32)
    calls = []
    real = winograd.forward
    monkeypatch.setattr(winograd, "forward", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(direct, "MAX_PRODUCT", 0)  # 16 -> 32 channels: not the blocked kernels
    pads = ((1, 1), (1, 1))
    y = conv_dispatch.conv_forward(np, x, w, (1, 1), pads, (1, 1), 1, (side, side), np.float32)
    assert bool(calls) == (path == "winograd")
    ref = ref_conv(x.astype(np.float64), w.astype(np.float64), 1, 1)
    np.testing.assert_allclose(y, ref, atol=F32_BOUND * np.abs(ref).max())


@pytest.mark.parametrize("use_numba", [False, pytest.param(True, marks=needs_numba)])
def test_kept_scratch_never_shows_in_results(use_numba):
    """The transforms' planes are reused between calls: results of earlier calls, of other
    shapes, stay what they were."""
    rng = np.random.default_rng(6)
    x1, x2 = (rng.standard_normal((4, c, 6, 6)).astype(np.float32) for c in (16, 32))
    w1 = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    w2 = rng.standard_normal((16, 32, 3, 3)).astype(np.float32)
    kw = {"use_numba": use_numba}
    y1 = winograd.forward(x1, w1, (1, 1), (6, 6), np.float32, **kw)
    keep = y1.copy()
    y2 = winograd.forward(x2, w2, (1, 1), (6, 6), np.float32, **kw)
    g = winograd.grad_weight(x2, y2, (1, 1), np.float32, **kw)
    np.testing.assert_array_equal(y1, keep)
    assert not np.shares_memory(y1, y2) and not np.shares_memory(g, y2)
    for x, w, y in ((x1, w1, y1), (x2, w2, y2)):
        ref = ref_conv(x.astype(np.float64), w.astype(np.float64), 1, 1)
        np.testing.assert_allclose(y, ref, atol=F32_BOUND * np.abs(ref).max())


@pytest.mark.parametrize("side, lo", [(4, 1), (3, 0), (4, 2), (6, 1)])
def test_dispatch_input_gradient_of_tiny_images(monkeypatch, side, lo):
    """Tiny images take the flipped-filter patch GEMM for the input gradient too; it equals
    the float64 reference like the Winograd path it replaces."""
    rng = np.random.default_rng(7)
    w = (rng.standard_normal((32, 16, 3, 3)) * 0.1).astype(np.float32)
    out = side + 2 * lo - 2
    gy = rng.standard_normal((3, 32, out, out)).astype(np.float32)
    calls = []
    real = winograd.grad_input
    monkeypatch.setattr(winograd, "grad_input", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(direct, "MAX_PRODUCT", 0)  # not the blocked kernels
    pads = ((lo, lo), (lo, lo))
    gx = conv_dispatch.conv_transpose_forward(
        np, gy, w, (1, 1), pads, (1, 1), 1, (side, side), np.float32
    )
    assert bool(calls) == (side > winograd.PATCH_SIDE)
    ref = ref_grad_input(gy.astype(np.float64), w.astype(np.float64), lo, lo, (side, side))
    assert gx.shape == ref.shape
    np.testing.assert_allclose(gx, ref, atol=F32_BOUND * np.abs(ref).max())


@pytest.mark.parametrize("side", [4, 6])
def test_dispatch_weight_gradient_of_tiny_images(monkeypatch, side):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 16, side, side)).astype(np.float32)
    gy = rng.standard_normal((3, 32, side, side)).astype(np.float32)
    calls = []
    real = winograd.grad_weight
    monkeypatch.setattr(winograd, "grad_weight", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(direct, "MAX_PRODUCT", 0)  # not the blocked kernels
    pads = ((1, 1), (1, 1))
    gw = conv_dispatch.conv_grad_weight(np, x, gy, (3, 3), (1, 1), pads, (1, 1), 1, np.float32)
    assert bool(calls) == (side > winograd.PATCH_SIDE)
    ref = ref_grad_weight(x.astype(np.float64), gy.astype(np.float64), 1, 1)
    np.testing.assert_allclose(gw, ref, atol=F32_BOUND * np.abs(ref).max())
