"""The convolution's combined gradient node (``ConvGrad``, op ``conv_grad``): one node for the
gradients a backward pass asks for, its passes at the same time where that is faster.

References: the float64 gradients of the direct definition (``conv_ref_grads``), the separate
gradient nodes (bit for bit on one thread), and central differences for the double backward
through every subset of outputs.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core.backend import numba_enabled
from nnfunc.functions.convolution import _conv
from nnfunc.kernels.cpu import _threads, conv_dispatch, direct
from nnfunc.testing.gradient_check import check_double_backward


def conv_ref_grads(x, w, gy, stride, pads):
    """float64 gradients of ``sum(gy * conv(x, W) + b)`` (2-D, one group, no dilation) from
    the definition ``y[n,o,i,j] = sum_c,a,b W[o,c,a,b] x_pad[n,c,i s + a,j s + b] + b[o]``."""
    x, w, gy = (np.asarray(a, np.float64) for a in (x, w, gy))
    (lh, hh), (lw, hw) = pads
    xp = np.pad(x, [(0, 0), (0, 0), (lh, hh), (lw, hw)])
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w)
    ho, wo = gy.shape[2:]
    for i, j, a, b in itertools.product(range(ho), range(wo), *map(range, w.shape[2:])):
        r, c = i * stride + a, j * stride + b
        gw[:, :, a, b] += gy[:, :, i, j].T @ xp[:, :, r, c]
        gxp[:, :, r, c] += gy[:, :, i, j] @ w[:, :, a, b]
    gx = gxp[:, :, lh : lh + x.shape[2], lw : lw + x.shape[3]]
    return gx, gw, gy.sum(axis=(0, 2, 3))


CASES = [
    # (x shape, w shape, stride, pad): the demo CNN's second layer (the concurrent passes), a
    # first layer with few channels, a strided one (the patch GEMM), a larger blocked one
    ((128, 16, 4, 4), (32, 16, 3, 3), 1, 1),
    ((8, 3, 16, 16), (16, 3, 3, 3), 1, 1),
    ((2, 4, 9, 7), (5, 4, 3, 2), 2, 1),
    ((3, 6, 12, 10), (8, 6, 3, 3), 1, 1),
]


@pytest.mark.parametrize("xs, ws, stride, pad", CASES)
@pytest.mark.parametrize("threads", ["1", "2"])
def test_conv_grad_node_matches_reference_and_separate_nodes(
    monkeypatch, xs, ws, stride, pad, threads
):
    monkeypatch.setenv("NNFUNC_NUM_THREADS", threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    b = rng.standard_normal(ws[0]).astype(np.float32)
    xv, wv, bv = (nf.Variable(a, requires_grad=True) for a in (x, w, b))
    y = nf.conv(xv, wv, bv, stride=stride, pad=pad)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    gx, gw, gb = nf.grad(y, [xv, wv, bv], grad_outputs=gy, create_graph=True)  # (to see the node)
    assert gx.creator is gw.creator is gb.creator
    assert gx.creator.op_name == "conv_grad"
    want = conv_ref_grads(x, w, gy, stride, y.creator.pads)
    for got, ref in zip((gx, gw, gb), want, strict=True):
        assert got.dtype == np.float32 and got.shape == ref.shape
        scale = np.abs(ref).max()
        np.testing.assert_allclose(got.data, ref, rtol=0, atol=2e-6 * scale)
    # the separate nodes of the one-output case give the same arrays (the concurrent weight
    # gradient is the one-thread sum: compare it with the one-thread node)
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "1")
    c = y.creator
    args = (c.stride, c._pad, c.dilation, c.groups, c.channel_last)
    sep_x = _conv.ConvGradX(*args).apply1(gy, w, x)
    sep_w = _conv.ConvGradW(c.kernel, *args).apply1(x, gy, None)
    np.testing.assert_array_equal(gx.data, sep_x)
    np.testing.assert_array_equal(gw.data, sep_w)
    np.testing.assert_array_equal(gb.data, gy.sum(axis=0).sum(axis=(1, 2)))


def test_concurrent_passes_are_chosen_by_size(monkeypatch):
    """Both passes on the blocked kernels between MIN_WORK and SERIAL_WORK multiply-adds: one
    job each on two threads; otherwise one after the other."""
    calls = []
    real_run = conv_dispatch.run

    def spy(fn, ranges):
        calls.append(list(ranges))
        return real_run(fn, ranges)

    monkeypatch.setattr(conv_dispatch, "run", spy)
    monkeypatch.setattr(conv_dispatch, "num_threads", lambda: 2)
    rng = np.random.default_rng(1)

    def grads(xs, ws):
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        gy = rng.standard_normal((xs[0], ws[0], *xs[2:])).astype(np.float32)
        calls.clear()
        f32 = np.dtype(np.float32)
        return conv_dispatch.conv_grads(
            np, x, w, gy, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, xs[2:], (f32, f32), (True, True)
        )

    work = 128 * 16 * 32 * 9 * 16
    assert _threads.MIN_WORK <= work < direct.SERIAL_WORK
    grads((128, 16, 4, 4), (32, 16, 3, 3))
    # (the blocked kernels are numba's: with the NumPy twins, one pass after the other)
    assert calls == ([[(0, 1), (1, 2)]] if numba_enabled() else [])
    grads((1, 2, 4, 4), (3, 2, 3, 3))  # 864 multiply-adds: one after the other
    assert calls == []
    # one of the two passes only: never concurrent
    x = rng.standard_normal((128, 16, 4, 4)).astype(np.float32)
    w = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    gy = rng.standard_normal((128, 32, 4, 4)).astype(np.float32)
    calls.clear()
    f32 = np.dtype(np.float32)
    gx, gw = conv_dispatch.conv_grads(
        np, x, w, gy, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, (4, 4), (f32, f32), (True, False)
    )
    assert gw is None and gx.shape == x.shape and [(0, 1), (1, 2)] not in calls


@pytest.mark.parametrize("targets", [(0, 1), (0, 2), (1, 2), (0, 1, 2)])
@pytest.mark.parametrize("channel_last", [False, True])
def test_conv_grad_node_double_backward(targets, channel_last):
    rng = np.random.default_rng(2)
    xs = (2, 5, 6, 3) if channel_last else (2, 3, 5, 6)
    x = rng.standard_normal(xs)
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)

    def f(x, w, b):
        return nf.conv(x, w, b, pad=(1, 0), stride=(1, 2), channel_last=channel_last)

    xv, wv, bv = (nf.Variable(a, requires_grad=i in targets) for i, a in enumerate((x, w, b)))
    y = f(xv, wv, bv)
    gs = nf.grad(nf.sum(y * y), [(xv, wv, bv)[i] for i in targets], create_graph=True)
    assert {g.creator.op_name for g in gs} == {"conv_grad"}
    check_double_backward(f, [x, w, b], targets, rng)


def test_conv_grad_node_in_a_graph_runs_to_the_eager_values():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 6, 6)).astype(np.float32)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    g = nf.Graph()
    px = g.placeholder("x", (None, 3, 6, 6), np.float32)
    pw = g.placeholder("w", (8, 3, 3, 3), np.float32)
    pb = g.placeholder("b", (8,), np.float32)
    with g:
        y = nf.conv(px, pw, pb, pad=1)
        gx, gw, gb = g.grad(nf.sum(nf.mul(y, y)), [px, pw, pb])
    assert gx.creator.op_name == "conv_grad"
    got = g.run([gx, gw, gb], {"x": x, "w": w, "b": b})
    xv, wv, bv = (nf.Variable(a, requires_grad=True) for a in (x, w, b))
    yv = nf.conv(xv, wv, bv, pad=1)
    eager = nf.grad(nf.sum(yv * yv), [xv, wv, bv])
    for a, e in zip(got, eager, strict=True):
        np.testing.assert_array_equal(a, e.data)
