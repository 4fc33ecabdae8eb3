from typing import ClassVar

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def window_ref(kind, size, fft):
    n = np.arange(size)
    if kind == "hanning":
        w = np.hanning(size + 1)[:-1]
    elif kind == "hamming":
        w = np.hamming(size + 1)[:-1]
    else:
        w = np.ones(size)
    left = (fft - size) // 2
    return np.pad(w, (left, fft - size - left)) + 0 * np.pad(n, (left, fft - size - left))


def stft_ref(x, ws, hop, fft, kind, center, pad_mode):
    x64 = x.astype(np.float64)
    if center:
        mode = "reflect" if pad_mode == "reflect" else "constant"
        x64 = np.pad(x64, ((0, 0), (fft // 2, fft // 2)), mode=mode)
    w = window_ref(kind, ws, fft)
    frames = (x64.shape[1] - fft) // hop + 1
    k = np.arange(fft // 2 + 1)[:, None]
    t = np.arange(fft)[None, :]
    cos, sin = np.cos(2 * np.pi * k * t / fft), -np.sin(2 * np.pi * k * t / fft)
    yr = np.zeros((x.shape[0], fft // 2 + 1, frames))
    yi = np.zeros_like(yr)
    for f in range(frames):
        seg = x64[:, f * hop : f * hop + fft] * w
        yr[:, :, f] = seg @ cos.T
        yi[:, :, f] = seg @ sin.T
    dt = x.dtype if x.dtype.kind == "f" else np.float32
    return yr.astype(dt), yi.astype(dt)


def istft_ref(yr, yi, ws, hop, fft, kind, center):
    """NNabla's synthesis with explicit cosine/sine matrices and a constant inverse window."""
    w = window_ref(kind, ws, fft)
    inv = np.zeros(fft)
    for s in range(0, fft, hop):
        inv += np.roll(w**2, s)
    k = np.arange(fft // 2 + 1)[:, None]
    t = np.arange(fft)[None, :]
    alpha = np.where((k == 0) | ((fft % 2 == 0) & (k == fft // 2)), 1.0, 2.0) / fft
    cos = alpha * np.cos(2 * np.pi * k * t / fft) * w / inv
    sin = alpha * np.sin(2 * np.pi * k * t / fft) * w / inv
    frames = yr.shape[2]
    out = np.zeros((yr.shape[0], (frames - 1) * hop + fft))
    for f in range(frames):
        out[:, f * hop : f * hop + fft] += yr[:, :, f].astype(np.float64) @ cos
        out[:, f * hop : f * hop + fft] -= yi[:, :, f].astype(np.float64) @ sin
    if center:
        out = out[:, fft // 2 : out.shape[1] - fft // 2]
    return out.astype(yr.dtype)


@parametrize_class(
    sizes=[(8, 8, 2), (6, 9, 3), (5, 8, 4)],
    kind=["hanning", "hamming", "rectangular"],
    center=[True, False],
    pad_mode=["reflect", "constant"],
    dtype=["float32", "float64"],
)
class TestSTFT(FunctionTestCase):
    function = staticmethod(nf.stft)
    symbolic_dims = (0,)
    tolerances: ClassVar[dict] = {"float32": {"atol": 1e-5, "rtol": 1e-5}}

    def inputs(self, rng):
        return (rng.standard_normal((2, 21)).astype(self.dtype),)

    def kwargs(self):
        ws, fft, hop = self.sizes
        return {
            "window_size": ws,
            "stride": hop,
            "fft_size": fft,
            "window_type": self.kind,
            "center": self.center,
            "pad_mode": self.pad_mode,
        }

    def expected(self, x):
        ws, fft, hop = self.sizes
        return stft_ref(x, ws, hop, fft, self.kind, self.center, self.pad_mode)


@parametrize_class(
    sizes=[(8, 8, 2), (6, 8, 4), (9, 9, 3)],
    kind=["hanning", "rectangular"],
    center=[True, False],
    dtype=["float32", "float64"],
)
class TestISTFT(FunctionTestCase):
    function = staticmethod(nf.istft)
    tolerances: ClassVar[dict] = {"float32": {"atol": 2e-5, "rtol": 2e-5}}

    def inputs(self, rng):
        fft = self.sizes[1]
        shape = (2, fft // 2 + 1, 5)
        return (
            rng.standard_normal(shape).astype(self.dtype),
            rng.standard_normal(shape).astype(self.dtype),
        )

    def kwargs(self):
        ws, fft, hop = self.sizes
        return {
            "window_size": ws,
            "stride": hop,
            "fft_size": fft,
            "window_type": self.kind,
            "center": self.center,
        }

    def expected(self, yr, yi):
        ws, fft, hop = self.sizes
        return (istft_ref(yr, yi, ws, hop, fft, self.kind, self.center),)


@pytest.mark.parametrize("kind", ["hanning", "hamming", "rectangular"])
@pytest.mark.parametrize("sizes", [(64, 64, 16), (48, 64, 16), (63, 63, 21), (16, 16, 8)])
def test_istft_of_stft_reconstructs_the_interior(kind, sizes):
    ws, fft, hop = sizes
    x = np.random.default_rng(0).standard_normal((3, 640))
    yr, yi = nf.stft(x, ws, hop, fft, window_type=kind)
    z = nf.istft(yr, yi, ws, hop, fft, window_type=kind)
    n = z.shape[1]
    edge = fft - hop
    np.testing.assert_allclose(z[:, edge : n - edge], x[:, edge : n - edge], atol=1e-12)


def test_stft_gradient_is_the_adjoint_of_the_analysis():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 50))
    v = nf.Variable(x, requires_grad=True)
    yr, yi = nf.stft(v, 12, 5, 16, center=False)
    gr, gi = rng.standard_normal(yr.shape), rng.standard_normal(yi.shape)
    (gx,) = nf.grad([yr, yi], [v], grad_outputs=[gr, gi])
    lhs = np.sum(yr.data * gr) + np.sum(yi.data * gi)
    np.testing.assert_allclose(lhs, np.sum(x * gx.data), rtol=1e-12)


def test_graph_with_unknown_batch_and_length():
    x = np.random.default_rng(0).standard_normal((2, 40))
    g = nf.Graph()
    p = g.placeholder("x", (None, None), np.float64)
    yr, yi = nf.stft(p, 8, 4, 8)
    assert yr.shape == (None, 5, None)
    z = nf.istft(yr, yi, 8, 4, 8)
    (gz,) = g.grad(nf.sum(z * z), [p])
    zv, gv = g.run([z, gz], {"x": x})
    v = nf.Variable(x, requires_grad=True)
    ze = nf.istft(*nf.stft(v, 8, 4, 8), 8, 4, 8)
    (ge,) = nf.grad(nf.sum(ze * ze), [v])
    np.testing.assert_allclose(zv, ze.data, atol=1e-12)
    np.testing.assert_allclose(gv, ge.data, atol=1e-12)


@pytest.mark.oracle
@pytest.mark.parametrize(
    "center, pad_mode", [(True, "reflect"), (True, "constant"), (False, "reflect")]
)
def test_stft_matches_torch_stft(center, pad_mode):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 300))
    yr, yi = nf.stft(x, 48, 16, 64, center=center, pad_mode=pad_mode)
    t = torch.stft(
        torch.tensor(x),
        64,
        16,
        48,
        torch.hann_window(48, dtype=torch.float64),
        center=center,
        pad_mode=pad_mode,
        return_complex=True,
    ).numpy()
    np.testing.assert_allclose(yr, t.real, atol=1e-10)
    np.testing.assert_allclose(yi, t.imag, atol=1e-10)


X = np.zeros((2, 32))
Y = np.zeros((2, 5, 9))


@pytest.mark.parametrize(
    "fn, args, kwargs, exc, message",
    [
        (
            nf.stft,
            (X, 16, 4, 8),
            {},
            nf.ArgumentError,
            "stft: `window_size` must be <= fft_size; received window_size=16, fft_size=8.",
        ),
        (
            nf.stft,
            (X, 8, 0, 8),
            {},
            nf.ArgumentError,
            "stft: `stride` must be positive; received stride=0.",
        ),
        (
            nf.stft,
            (X, 8, 4, 8),
            {"window_type": "blackman"},
            nf.ArgumentError,
            "stft: `window_type` must be one of 'hanning', 'hamming', 'rectangular', None; "
            "received window_type='blackman'.",
        ),
        (
            nf.stft,
            (X, 8, 4, 8),
            {"pad_mode": "edge"},
            nf.ArgumentError,
            "stft: `pad_mode` must be one of 'reflect', 'constant'; received pad_mode='edge'.",
        ),
        (
            nf.stft,
            (np.zeros((2, 3)), 8, 4, 8),
            {},
            nf.ShapeError,
            "stft: `x` must have more than fft_size // 2 samples for reflect padding; "
            "received samples=3, fft_size=8.",
        ),
        (
            nf.stft,
            (np.zeros((2, 3)), 8, 4, 8),
            {"center": False},
            nf.ShapeError,
            "stft: `x` must have at least fft_size samples after padding; "
            "received samples=3, fft_size=8.",
        ),
        (
            nf.stft,
            (np.zeros(32), 8, 4, 8),
            {"center": False},
            nf.ShapeError,
            "stft: `x` must have rank 2; received x.shape=(32,).",
        ),
        (
            nf.istft,
            (Y, Y, 8, 3, 8),
            {},
            nf.ArgumentError,
            "istft: `stride` must divide fft_size; received stride=3, fft_size=8.",
        ),
        (
            nf.istft,
            (Y, Y, 8, 0, 8),
            {},
            nf.ArgumentError,
            "istft: `stride` must be positive; received stride=0.",
        ),
        (
            nf.istft,
            (Y, Y, 8, 4, 6),
            {},
            nf.ArgumentError,
            "istft: `window_size` must be <= fft_size; received window_size=8, fft_size=6.",
        ),
        (
            nf.istft,
            (Y, Y, 8, 5, 10),
            {},
            nf.ShapeError,
            "istft: `y_r` must have fft_size // 2 + 1 = 6 frequency bins on axis 1; "
            "received y_r.shape=(2, 5, 9).",
        ),
        (
            nf.istft,
            (Y, np.zeros((2, 5, 8)), 8, 4, 8),
            {},
            nf.ShapeError,
            "istft: `y_r` and `y_i` must have the same shape; "
            "received y_r.shape=(2, 5, 9), y_i.shape=(2, 5, 8).",
        ),
    ],
)
def test_bad_input(fn, args, kwargs, exc, message):
    assert_raises_both_modes(fn, args, kwargs, exc, message)
