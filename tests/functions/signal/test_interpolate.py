import math

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.functions.signal import _interpolate
from nnfunc.kernels.cpu import interpolate as resample
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def src_coord(o, n_in, n_out, align_corners, half_pixel):
    """The page's coordinate table, per output pixel (scale 0 for a single output pixel)."""
    if n_out == 1:
        s = 0.0
    elif align_corners:
        s = (n_in - 1) / (n_out - 1)
    else:
        s = n_in / n_out
    if half_pixel:
        return max(0.0, (o + 0.5) * s - 0.5)
    return o * s


def taps(o, n_in, n_out, mode, align_corners, half_pixel, hp_nn):
    """[(index, weight)] of output pixel o along one axis."""
    if mode == "nearest":
        f = (
            (o + 0.5) * n_in / n_out
            if hp_nn
            else src_coord(o, n_in, n_out, align_corners, half_pixel)
        )
        # exact floor of the rational coordinate (avoid 2.9999 from float rounding)
        i = min(math.floor(f + 1e-9), n_in - 1)
        return [(i, 1.0)]
    f = src_coord(o, n_in, n_out, align_corners, half_pixel)
    i0 = min(math.floor(f), n_in - 1)
    i1 = min(i0 + 1, n_in - 1)
    w = f - i0
    return [(i0, 1.0 - w), (i1, w)]


def interpolate_ref(x, out_sizes, mode, align_corners, half_pixel, hp_nn, channel_last=False):
    """Per-pixel sum over the product of per-axis taps, in float64."""
    x64 = x.astype(np.float64)
    nd = len(out_sizes)
    if channel_last:
        x64 = np.moveaxis(x64, -1, 0)
    lead = x64.shape[: x64.ndim - nd]
    in_sizes = x64.shape[x64.ndim - nd :]
    out = np.zeros(lead + tuple(out_sizes))
    for opix in np.ndindex(*out_sizes):
        axis_taps = [
            taps(o, n, m, mode, align_corners, half_pixel, hp_nn)
            for o, n, m in zip(opix, in_sizes, out_sizes, strict=True)
        ]
        acc = 0.0
        for combo in np.ndindex(*[len(t) for t in axis_taps]):
            idx = tuple(axis_taps[a][c][0] for a, c in enumerate(combo))
            w = np.prod([axis_taps[a][c][1] for a, c in enumerate(combo)])
            acc = acc + w * x64[(...,) + idx]
        out[(...,) + opix] = acc
    if channel_last:
        out = np.moveaxis(out, 0, -1)
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float32)


COORDS = [(False, False), (True, False), (False, True)]


@parametrize_class(
    case=[
        ((2, 3, 7), (11,)),
        ((2, 3, 4, 5), (7, 3)),
        ((1, 2, 3, 4, 2), (5, 2, 3)),
        ((2, 1, 5), (1,)),
    ],
    coords=COORDS,
    mode=["linear", "nearest"],
    dtype=["float32", "float64"],
)
class TestInterpolate(FunctionTestCase):
    function = staticmethod(nf.interpolate)
    grad_atol = 1e-6

    def inputs(self, rng):
        return (rng.standard_normal(self.case[0]).astype(self.dtype),)

    def kwargs(self):
        ac, hp = self.coords
        return {
            "output_size": self.case[1],
            "mode": self.mode,
            "align_corners": ac,
            "half_pixel": hp,
        }

    def expected(self, x):
        ac, hp = self.coords
        return (interpolate_ref(x, self.case[1], self.mode, ac, hp, False),)


@parametrize_class(
    scale=[(2.0,), (0.5, 1.5)],
    hp_nn=[False, True],
    channel_last=[False, True],
    dtype=["float16", "float64"],
)
class TestInterpolateScaleNearestChannelLast(FunctionTestCase):
    function = staticmethod(nf.interpolate)

    def inputs(self, rng):
        shape = (2, 5, 6, 3) if self.channel_last else (2, 3, 5, 6)
        return (rng.standard_normal(shape).astype(self.dtype),)

    def kwargs(self):
        return {
            "scale": self.scale,
            "mode": "nearest",
            "half_pixel_for_nn": self.hp_nn,
            "channel_last": self.channel_last,
        }

    def expected(self, x):
        nd = len(self.scale)
        sp = x.shape[-1 - nd : -1] if self.channel_last else x.shape[-nd:]
        sizes = tuple(math.floor(s * n) for s, n in zip(self.scale, sp, strict=True))
        return (interpolate_ref(x, sizes, "nearest", False, False, self.hp_nn, self.channel_last),)


@parametrize_class(dtype=["int32"])
class TestInterpolateIntegerInput(FunctionTestCase):
    function = staticmethod(nf.interpolate)

    def inputs(self, rng):
        return (rng.integers(-5, 5, (2, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"scale": (1.5,), "half_pixel": True}

    def expected(self, x):
        return (interpolate_ref(x, (6,), "linear", False, True, False),)


@pytest.mark.parametrize("mode", ["linear", "nearest"])
def test_kernel_gemm_and_numpy_paths_agree(monkeypatch, mode):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 10))
    gy = np.random.default_rng(1).standard_normal((2, 3, 5, 23))
    kw = {"output_size": (5, 23), "mode": mode, "half_pixel": True}
    results = []
    for use_numba, limit in ((True, 1 << 20), (False, 1 << 20), (False, 0)):
        monkeypatch.setattr(
            resample, "_use_numba", lambda a, u=use_numba: u and a.dtype.kind == "f"
        )
        monkeypatch.setattr(_interpolate, "DENSE_LIMIT", limit)
        v = nf.Variable(x, requires_grad=True)
        y = nf.interpolate(v, **kw)
        results.append((y.data, nf.grad(y, [v], grad_outputs=[gy])[0].data))
    for y, g in results[1:]:
        np.testing.assert_allclose(y, results[0][0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g, results[0][1], rtol=1e-12, atol=1e-12)


def test_gradient_is_the_adjoint_and_unknown_spatial_dims_work_in_a_graph():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5))
    gy = rng.standard_normal((2, 3, 8, 10))
    v = nf.Variable(x, requires_grad=True)
    y = nf.interpolate(v, scale=(2, 2), half_pixel=True)
    (gx,) = nf.grad(y, [v], grad_outputs=[gy])
    # <A x, gy> == <x, A^T gy>
    np.testing.assert_allclose(np.sum(y.data * gy), np.sum(x * gx.data), rtol=1e-12)
    g = nf.Graph()
    p = g.placeholder("x", (None, 3, None, None), np.float64)
    ys = nf.interpolate(p, scale=(2, 2), half_pixel=True)
    assert ys.shape == (None, 3, None, None)
    (gs,) = g.grad(nf.sum(ys * ys), [p])
    out, gout = g.run([ys, gs], {"x": x})
    np.testing.assert_allclose(out, y.data)
    (ge,) = nf.grad(nf.sum(nf.interpolate(v, scale=(2, 2), half_pixel=True) ** 2), [v])
    np.testing.assert_allclose(gout, ge.data, rtol=1e-12)


@pytest.mark.oracle
@pytest.mark.parametrize(
    "size, torch_mode, torch_ac, kw",
    [
        ((9, 13), "bilinear", False, {"half_pixel": True}),
        ((9, 13), "bilinear", True, {"align_corners": True}),
        ((3, 4), "bilinear", True, {"align_corners": True}),
        ((10, 12), "nearest", None, {"mode": "nearest"}),
        ((9, 13), "nearest-exact", None, {"mode": "nearest", "half_pixel_for_nn": True}),
    ],
)
def test_matches_torch_interpolate_where_conventions_coincide(size, torch_mode, torch_ac, kw):
    """PyTorch's bilinear with align_corners=False is NNabla's half_pixel when up-sampling
    (PyTorch clamps negative source coordinates to 0, as NNabla does); nearest is floor(o*s)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.interpolate(xt, size=size, mode=torch_mode, align_corners=torch_ac)
    gy = np.random.default_rng(1).standard_normal(yt.shape).astype(np.float32)
    yt.backward(torch.tensor(gy))
    v = nf.Variable(x, requires_grad=True)
    y = nf.interpolate(v, output_size=size, **kw)
    (gx,) = nf.grad(y, [v], grad_outputs=[gy])
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gx.data, xt.grad.numpy(), rtol=1e-5, atol=1e-5)


X = np.zeros((1, 2, 4, 4), np.float32)


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        (
            {},
            nf.ArgumentError,
            "interpolate: exactly one of `scale` and `output_size` must be given; "
            "received scale=None, output_size=None.",
        ),
        (
            {"scale": (2, 2), "output_size": (8, 8)},
            nf.ArgumentError,
            "interpolate: exactly one of `scale` and `output_size` must be given; "
            "received scale=(2, 2), output_size=(8, 8).",
        ),
        (
            {"output_size": (2, 2, 2, 2)},
            nf.ArgumentError,
            "interpolate: `output_size` must have 1 to 3 entries; "
            "received output_size=(2, 2, 2, 2).",
        ),
        (
            {"output_size": (0, 2)},
            nf.ArgumentError,
            "interpolate: `output_size` must hold integers in [1, 2147483648]; "
            "received output_size=(0, 2).",
        ),
        (
            {"scale": (2, -1.0)},
            nf.ArgumentError,
            "interpolate: `scale` must hold positive finite numbers; received scale=(2, -1.0).",
        ),
        (
            {"scale": (2,), "mode": "cubic"},
            nf.ArgumentError,
            "interpolate: `mode` must be one of 'linear', 'nearest'; received mode='cubic'.",
        ),
        (
            {"scale": (2,), "align_corners": True, "half_pixel": True},
            nf.ArgumentError,
            "interpolate: `align_corners` and `half_pixel` must not both be True; "
            "received align_corners=True, half_pixel=True.",
        ),
        (
            {"scale": (2, 2, 2), "channel_last": True, "x": np.zeros((2, 4, 4), np.float32)},
            nf.ShapeError,
            "interpolate: `x` must have rank >= 4; received x.shape=(2, 4, 4).",
        ),
        (
            {"scale": (0.1, 1)},
            nf.ShapeError,
            "interpolate: output size must be positive in spatial dim 0; "
            "received input=4, scale=0.1.",
        ),
        (
            {"output_size": (2**30, 2**30)},
            nf.ArgumentError,
            "interpolate: `output` must have at most 2147483648 elements; "
            "received output shape=(1, 2, 1073741824, 1073741824).",
        ),
    ],
)
def test_bad_input(kwargs, exc, message):
    kwargs = dict(kwargs)
    x = kwargs.pop("x", X)
    if exc is nf.ShapeError:  # raised by setup: the same message names the node in a graph
        assert_raises_both_modes(nf.interpolate, (x,), kwargs, exc, message)
    else:
        with pytest.raises(exc) as info:
            nf.interpolate(X, **kwargs)
        assert str(info.value) == message


def test_complex_input_is_a_dtype_error():
    with pytest.raises(nf.DTypeError, match="interpolate: `x` must have a real dtype"):
        nf.interpolate(np.ones((2, 3), complex), scale=(2,))
