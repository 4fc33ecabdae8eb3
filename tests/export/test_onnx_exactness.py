"""ONNX export of ops whose rules are easy to get almost right: randomised cases beyond the one
registry sample (test_onnx.py), compared with Graph.run exactly (or at float tolerance).

warp_by_flow and its gradient nodes (GridSample's border/align-corners rule against nnfunc's
clamp, NaN flows, integer coordinates, size-1 axes, float64 at opset 20), nms_detection2d
(both suppression rules, tied scores, negative widths and thresholds, float16/32/64),
dilation2d's gradient nodes (tied maxima: the first offset takes the gradient; channel-last,
padding, strides, rates, NaN) and accidental_hit_mask (repeated candidates: the last position
takes the hit; mixed integer dtypes).
"""

from __future__ import annotations

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.functions as F

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _run(graph, fetches, feeds, opset=17):
    model = graph.export_onnx(None, fetches, opset=opset)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    used = {i.name for i in model.graph.input}
    return session.run(None, {k: v for k, v in feeds.items() if k in used})


def _same(got, expected, tol):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    if tol == 0:
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize(
    ("dtype", "flow_dtype", "shape", "opset"),
    [
        (np.float32, np.float32, (2, 3, 5, 6), 17),
        (np.float32, np.float64, (1, 2, 1, 5), 17),  # one row: its normalisation stays finite
        (np.float16, np.float32, (2, 1, 3, 1), 17),
        (np.float64, np.float64, (2, 2, 4, 7), 20),  # ONNX Runtime's float64 GridSample
    ],
)
def test_warp_by_flow(dtype, flow_dtype, shape, opset):
    rng = np.random.default_rng(1)
    g = nf.Graph()
    d = g.placeholder("d", (None, *shape[1:]), dtype)
    f = g.placeholder("f", (None, 2, *shape[2:]), flow_dtype)
    y = F.warp_by_flow(d, f, name="y")
    # the gradient: the tap-index node and the pixel gather/scatter nodes (op warp_by_flow)
    gy = g.placeholder("gy", shape[1:], y.dtype)
    gd, gf = g.grad(F.sum(F.mul(y, gy)), [d, f])
    dv = rng.standard_normal(shape).astype(dtype)
    fv = (rng.standard_normal((shape[0], 2, *shape[2:])) * 4).astype(flow_dtype)
    fv[-1] = np.round(fv[-1])  # integer coordinates: the cell to the right/below
    fv[0, 0, 0, 0] = np.nan  # NaN in, NaN out (not GridSample's undefined tap)
    fv[0, :, -1, -1] = 0.0  # exactly on the last row and column
    feeds = {"d": dv, "f": fv, "gy": rng.standard_normal(shape[1:]).astype(y.dtype)}
    expected = g.run([y, gd, gf], feeds)
    assert np.isnan(expected[0]).any() and not np.isnan(expected[0]).all()
    got = _run(g, [y, gd, gf], feeds, opset)
    for a, e in zip(got, expected, strict=True):
        _same(a, e, 2e-3 if np.float16 in (dtype, flow_dtype) else 1e-5)


def _detections(rng, b, n, c, ties, flip):
    x = rng.random((b, n, 5 + c))
    x[..., 2:4] = x[..., 2:4] * 0.4 + 0.05
    if ties:
        x[..., 4] = np.round(x[..., 4] * 4) / 4
        x[..., 5:] = np.round(x[..., 5:] * 2) / 2
    if flip:
        x[..., 2] *= rng.choice([-1, 1], size=(b, n))  # negative widths overlap nothing
    return x


@pytest.mark.parametrize("per_class", [True, False])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_nms_detection2d(per_class, dtype):
    rng = np.random.default_rng(2)
    suppressed = 0
    for trial in range(12):
        b, n, c = rng.integers(1, 4), rng.integers(1, 30), rng.integers(1, 4)
        x = _detections(rng, b, n, c, ties=trial % 3 == 0, flip=trial % 4 == 1)
        thresh, nms = [(0.5, 0.45), (0.2, 0.3), (-0.1, 0.1), (0.0, 0.0)][trial % 4]
        if thresh < 0:
            x[..., 4:] -= 0.3  # negative scores stay candidates
        x = x.astype(dtype)
        g = nf.Graph()
        p = g.placeholder("x", (None, n, 5 + c), dtype)
        y = F.nms_detection2d(p, thresh=thresh, nms=nms, nms_per_class=per_class, name="y")
        expected = g.run(y, {"x": x})
        loose = F.nms_detection2d(x, thresh=thresh, nms=2.0, nms_per_class=per_class)
        suppressed += int((np.asarray(loose) != expected).sum())
        (got,) = _run(g, y, {"x": x})
        _same(got, expected, 0)
    assert suppressed > 0  # the cases do suppress


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dilation2d_gradients(dtype):
    rng = np.random.default_rng(3)
    for trial in range(8):
        channel_last = trial % 2 == 1
        pad = ["same", "valid", (1, 2), 0][trial % 4]
        stride, rate = tuple(rng.integers(1, 3, 2)), tuple(rng.integers(1, 3, 2))
        kh, kw = (int(v) for v in rng.integers(1, 4, 2))
        h, w, c = int(rng.integers(4, 9)), int(rng.integers(4, 9)), int(rng.integers(1, 4))
        xs = (2, h, w, c) if channel_last else (2, c, h, w)
        xv, fv = rng.standard_normal(xs) * 3, rng.standard_normal((c, kh, kw)) * 3
        if trial % 2 == 0:
            xv, fv = np.floor(xv), np.floor(fv)  # tied maxima
        if trial == 3:
            xv.flat[5] = np.nan  # a NaN window routes nothing
        xv, fv = xv.astype(dtype), fv.astype(dtype)
        g = nf.Graph()
        x = g.placeholder("x", (None, *xs[1:]), dtype)
        f = g.placeholder("f", (c, kh, kw), dtype)
        y = F.dilation2d(x, f, stride=stride, rate=rate, pad=pad, channel_last=channel_last)
        wv = (rng.standard_normal(y.shape[1:]) * 3).astype(dtype)
        wt = g.placeholder("w", y.shape[1:], dtype)
        gx, gf = g.grad(F.sum(F.mul(y, wt)), [x, f])
        # the adjoint (dilation2d_grad_grad): d/dw of <gx, u> + <gf, v>
        u = g.placeholder("u", xs[1:], dtype)
        v = g.placeholder("v", (c, kh, kw), dtype)
        (gw,) = g.grad(F.add(F.sum(F.mul(gx, u)), F.sum(F.mul(gf, v))), [wt])
        fetches = [y, gx, gf, gw]
        feeds = {"x": xv, "f": fv, "w": wv}
        feeds.update(u=rng.standard_normal(xs[1:]).astype(dtype))
        feeds.update(v=rng.standard_normal((c, kh, kw)).astype(dtype))
        ops = {v.creator.op_name for v in g._order if v.creator is not None}
        assert {"dilation2d_grad", "dilation2d_grad_grad"} <= ops, ops
        expected = g.run(fetches, feeds)
        got = _run(g, fetches, feeds)
        for a, e in zip(got, expected, strict=True):
            _same(a, e, 1e-3 if dtype == np.float16 else 1e-5)


def test_accidental_hit_mask():
    hit_mask = F.sampling._sampled._HitMask
    rng = np.random.default_rng(5)
    hits = 0
    for trial in range(24):
        dtype = np.dtype([np.float32, np.float16, np.float64][trial % 3])
        ldt, sdt = [(np.int64, np.int32), (np.int32, np.int64), (np.uint8, np.int64)][trial % 3]
        b, t, s = rng.integers(1, 5), rng.integers(1, 4), rng.integers(1, 9)
        lv = rng.integers(0, 6, (b, t)).astype(ldt)
        sv = rng.integers(0, 6, s).astype(sdt)
        g = nf.Graph()
        labels = g.placeholder("l", (None, t), ldt)
        sampled = g.placeholder("s", (s,), sdt)
        y = hit_mask(dtype).apply1(labels, sampled, name="y")
        expected = g.run(y, {"l": lv, "s": sv})
        hits += int((expected != 0).sum())
        (got,) = _run(g, y, {"l": lv, "s": sv})
        _same(got, expected, 0)
    assert hits > 0
