"""warp_by_flow against a float64 reference (and finite differences through the harness),
vat_noise's documented forward and backward, sink."""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def warp_ref(data, flow):
    """Loop over pixels: coordinates clamped to the image, bilinear of the 4 neighbours."""
    data = data.astype(np.float64)
    n, c, h, w = data.shape
    out = np.zeros((n, c, h, w))
    for b in range(n):
        for i in range(h):
            for j in range(w):
                x = min(max(j + float(flow[b, 0, i, j]), 0.0), w - 1.0)
                y = min(max(i + float(flow[b, 1, i, j]), 0.0), h - 1.0)
                x0, y0 = int(np.floor(x)), int(np.floor(y))
                x1, y1 = min(x0 + 1, w - 1), min(y0 + 1, h - 1)
                fx, fy = x - x0, y - y0
                out[b, :, i, j] = (
                    data[b, :, y0, x0] * (1 - fx) * (1 - fy)
                    + data[b, :, y0, x1] * fx * (1 - fy)
                    + data[b, :, y1, x0] * (1 - fx) * fy
                    + data[b, :, y1, x1] * fx * fy
                )
    return out


@parametrize_class(size=[(2, 3, 5, 6), (1, 1, 4, 1)], span=[0.8, 3.0], dtype=["float32", "float64"])
class TestWarpByFlow(FunctionTestCase):
    function = staticmethod(nf.warp_by_flow)

    def inputs(self, rng):
        n, _, h, w = self.size
        data = rng.standard_normal(self.size).astype(self.dtype)
        # keep coordinates away from integers (kinks of the bilinear interpolation)
        flow = rng.uniform(-self.span, self.span, (n, 2, h, w))
        flow = np.round(flow) + np.sign(flow - np.round(flow)) * rng.uniform(0.1, 0.4, flow.shape)
        return data, flow.astype(self.dtype)

    def expected(self, data, flow):
        return (warp_ref(data, flow).astype(data.dtype),)


def test_warp_by_flow_zero_flow_is_identity_and_integer_flow_shifts():
    data = np.arange(24.0).reshape(1, 2, 3, 4)
    np.testing.assert_array_equal(nf.warp_by_flow(data, np.zeros((1, 2, 3, 4))), data)
    flow = np.zeros((1, 2, 3, 4))
    flow[:, 0] = 1  # read one pixel to the right
    y = nf.warp_by_flow(data, flow)
    np.testing.assert_array_equal(y[..., :3], data[..., 1:])
    np.testing.assert_array_equal(y[..., 3], data[..., 3])  # border repeated


def test_warp_by_flow_flow_gradient_is_zero_where_clamped():
    data = nf.Variable(np.random.default_rng(0).standard_normal((1, 1, 3, 3)), requires_grad=True)
    flow = nf.Variable(np.full((1, 2, 3, 3), -5.0), requires_grad=True)
    nf.sum(nf.warp_by_flow(data, flow)).backward()
    np.testing.assert_array_equal(flow.grad, 0)
    np.testing.assert_array_equal(data.grad[0, 0], [[9, 0, 0], [0, 0, 0], [0, 0, 0]])


def test_warp_by_flow_nan_flow_gives_nan():
    flow = np.zeros((1, 2, 2, 2))
    flow[0, 0, 0, 0] = np.nan
    y = nf.warp_by_flow(np.ones((1, 3, 2, 2)), flow)
    assert np.isnan(y[0, :, 0, 0]).all() and not np.isnan(y[0, :, 1]).any()


@pytest.mark.parametrize(
    "data, flow, exc, message",
    [
        (
            np.zeros((1, 3, 4, 4)),
            np.zeros((1, 3, 4, 4)),
            nf.ShapeError,
            "warp_by_flow: `flow` must have shape (N, 2, H, W) for data of shape (N, C, H, W); "
            "received data.shape=(1, 3, 4, 4), flow.shape=(1, 3, 4, 4).",
        ),
        (
            np.zeros((1, 3, 4, 4)),
            np.zeros((1, 2, 4, 5)),
            nf.ShapeError,
            "warp_by_flow: `flow` must have shape (N, 2, H, W) for data of shape (N, C, H, W); "
            "received data.shape=(1, 3, 4, 4), flow.shape=(1, 2, 4, 5).",
        ),
        (
            np.zeros((3, 4, 4)),
            np.zeros((1, 2, 4, 4)),
            nf.ShapeError,
            "warp_by_flow: `data` must have rank 4; received data.shape=(3, 4, 4).",
        ),
    ],
)
def test_warp_by_flow_bad_shapes(data, flow, exc, message):
    assert_raises_both_modes(nf.warp_by_flow, (data, flow), {}, exc, message)


# ----------------------------------------------------------------------------- vat_noise
def vat_ref(x, eps, base_axis):
    x = x.astype(np.float64)
    axes = tuple(range(base_axis, x.ndim))
    return eps * x / np.sqrt((x * x).sum(axis=axes, keepdims=True) + 1e-8)


@pytest.mark.parametrize("base_axis", [1, 2])
def test_vat_noise_forward_normalises_per_sample_and_backward_fills_w(base_axis):
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((3, 4, 5))
    y = nf.vat_noise(x0, np.zeros_like(x0), base_axis=base_axis, eps=2.5)
    np.testing.assert_allclose(y, vat_ref(x0, 2.5, base_axis), rtol=1e-12)
    x = nf.Variable(x0, requires_grad=True)
    w = nf.Variable(np.zeros_like(x0), requires_grad=True)
    gy = rng.standard_normal(x0.shape)
    nf.sum(nf.vat_noise(x, w, base_axis, 2.5) * gy).backward()
    np.testing.assert_array_equal(x.grad, 0)
    np.testing.assert_allclose(w.grad, 2.5 * gy)
    g = nf.Graph()
    px = g.placeholder("x", (None, 4, 5), np.float64)
    pw = g.placeholder("w", (None, 4, 5), np.float64)
    o = nf.vat_noise(px, pw, base_axis, 2.5, name="v")
    gx, gw = g.grad(nf.sum(o * gy), [px, pw])
    ov, gxv, gwv = g.run([o, gx, gw], {"x": x0, "w": np.zeros_like(x0)})
    np.testing.assert_allclose(ov, y)
    np.testing.assert_array_equal(gxv, 0)
    np.testing.assert_allclose(gwv, 2.5 * gy)


def test_vat_noise_float32_and_zero_noise():
    y = nf.vat_noise(np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32))
    assert y.dtype == np.float32 and not y.any()


@pytest.mark.parametrize(
    "x, w, kwargs, exc, message",
    [
        (
            np.zeros((2, 3)),
            np.zeros((2, 4)),
            {},
            nf.ShapeError,
            "vat_noise: `x` and `w` must have the same shape; received x.shape=(2, 3), "
            "w.shape=(2, 4).",
        ),
        (
            np.zeros((2, 3)),
            np.zeros((2, 3)),
            {"base_axis": 2},
            nf.ShapeError,
            "vat_noise: `base_axis` must be in [1, 1] (x has rank 2); received base_axis=2.",
        ),
        (
            np.zeros((2, 3)),
            np.zeros((2, 3)),
            {"eps": float("nan")},
            nf.ArgumentError,
            "vat_noise: `eps` must be finite; received eps=nan.",
        ),
    ],
)
def test_vat_noise_bad_input(x, w, kwargs, exc, message):
    assert_raises_both_modes(nf.vat_noise, (x, w), kwargs, exc, message)


# ----------------------------------------------------------------------------- sink
def test_sink_runs_forward_and_sets_input_gradients_to_one():
    a = nf.Variable(np.arange(3.0), requires_grad=True)
    b = nf.Variable(np.ones((2, 2), np.float32), requires_grad=True)
    s = nf.sink(a * 2.0, nf.exp(b))
    assert s.shape == () and s.dtype == np.float32 and float(s.data) == 0.0
    s.backward()
    np.testing.assert_array_equal(a.grad, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(b.grad, np.exp(1.0) * np.ones((2, 2)), rtol=1e-6)
    assert b.grad.dtype == np.float32


def test_sink_without_one_input_grad_passes_nothing_and_graph_mode():
    a = nf.Variable(np.arange(3.0), requires_grad=True)
    nf.sink(a * 2.0, one_input_grad=False).backward()
    assert a.grad is None or not np.any(a.grad)
    g = nf.Graph()
    p = g.placeholder("p", (None, 3), np.float64)
    s = nf.sink(p * 2.0, nf.sum(p), name="s")
    (gp,) = g.grad(s, [p])
    assert g.run(s, {"p": np.ones((2, 3))}) == 0
    np.testing.assert_array_equal(g.run(gp, {"p": np.ones((2, 3))}), np.full((2, 3), 3.0))


def test_sink_bad_input():
    with pytest.raises(nf.ArgumentError, match=r"sink: `x` must hold at least one input"):
        nf.sink()
    with pytest.raises(nf.ArgumentError, match=r"sink: `one_input_grad` must be a bool"):
        nf.sink(np.zeros(2), one_input_grad=None)
    with pytest.raises(nf.DTypeError, match=r"sink: `x1` must be a real array"):
        nf.sink(np.zeros(2), None)
