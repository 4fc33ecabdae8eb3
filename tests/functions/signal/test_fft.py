from typing import ClassVar

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def dft_ref(x, signal_ndim, normalized, inverse):
    """The page's sums, written out as products with explicit DFT matrices (float64)."""
    z = x[..., 0].astype(np.float64) + 1j * x[..., 1].astype(np.float64)
    sign = 1.0 if inverse else -1.0
    for ax in range(z.ndim - signal_ndim, z.ndim):
        n = z.shape[ax]
        k = np.arange(n)
        m = np.exp(sign * 2j * np.pi * np.outer(k, k) / n)
        z = np.moveaxis(np.tensordot(m, np.moveaxis(z, ax, 0), axes=(1, 0)), 0, ax)
    total = np.prod(z.shape[z.ndim - signal_ndim :])
    if normalized:
        z = z / np.sqrt(total)
    elif inverse:
        z = z / total
    return np.stack([z.real, z.imag], -1).astype(x.dtype)


@parametrize_class(
    case=[((5, 2), 1), ((3, 4, 2), 1), ((2, 4, 3, 2), 2), ((2, 3, 2, 4, 2), 3)],
    normalized=[False, True],
    inverse=[False, True],
    dtype=["float32", "float64"],
)
class TestFFT(FunctionTestCase):
    tolerances: ClassVar[dict] = {"float32": {"atol": 1e-5, "rtol": 1e-5}}

    @property
    def function(self):
        return nf.ifft if self.inverse else nf.fft

    def _call(self, *args, **extra):
        out = self.function(*args, **self.kwargs(), **extra)
        return (out,)

    def inputs(self, rng):
        return (rng.standard_normal(self.case[0]).astype(self.dtype),)

    def kwargs(self):
        return {"signal_ndim": self.case[1], "normalized": self.normalized}

    @property
    def symbolic_dims(self):
        return (0,) if len(self.case[0]) > self.case[1] + 1 else ()

    def expected(self, x):
        return (dft_ref(x, self.case[1], self.normalized, self.inverse),)


@pytest.mark.parametrize("normalized", [False, True])
@pytest.mark.parametrize("signal_ndim", [1, 2, 3])
def test_fft_then_ifft_is_the_identity(signal_ndim, normalized):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5, 2))
    y = nf.ifft(nf.fft(x, signal_ndim, normalized=normalized), signal_ndim, normalized=normalized)
    np.testing.assert_allclose(y, x, atol=1e-13)


def test_seed_example_batched_2d_round_trip():
    rng = np.random.default_rng(0)
    x_data = rng.random((2, 4, 3)) + 1j * rng.random((2, 4, 3))
    x = np.stack([np.real(x_data), np.imag(x_data)], axis=3)
    z = nf.ifft(nf.fft(x, signal_ndim=2, normalized=True), signal_ndim=2, normalized=True)
    assert np.allclose(z[..., 0] + 1j * z[..., 1], x_data)


def test_empty_batch_works_forward_and_backward():
    v = nf.Variable(np.zeros((0, 4, 2)), requires_grad=True)
    y = nf.fft(v)
    (g,) = nf.grad(nf.sum(y), [v])
    assert y.shape == (0, 4, 2) and g.shape == (0, 4, 2)


@pytest.mark.parametrize(
    "x, kwargs, exc, message",
    [
        (
            np.zeros((4, 2)),
            {"signal_ndim": 0},
            nf.ArgumentError,
            "fft: `signal_ndim` must be 1, 2 or 3; received signal_ndim=0.",
        ),
        (
            np.zeros((4, 2)),
            {"signal_ndim": 4},
            nf.ArgumentError,
            "fft: `signal_ndim` must be 1, 2 or 3; received signal_ndim=4.",
        ),
        (
            np.zeros((4, 2)),
            {"signal_ndim": 2},
            nf.ShapeError,
            "fft: `x` must have rank >= signal_ndim + 1 = 3; received x.shape=(4, 2), "
            "signal_ndim=2.",
        ),
        (
            np.zeros((4, 3)),
            {"signal_ndim": 1},
            nf.ShapeError,
            "fft: `x` must have a last axis of size 2 (real, imaginary); received x.shape=(4, 3).",
        ),
    ],
)
def test_bad_input(x, kwargs, exc, message):
    if exc is nf.ShapeError:
        assert_raises_both_modes(nf.fft, (x,), kwargs, exc, message)
    else:
        with pytest.raises(exc) as info:
            nf.fft(x, **kwargs)
        assert str(info.value) == message


def test_complex_arrays_are_rejected():
    with pytest.raises(nf.DTypeError, match="ifft: `x` must have a real dtype"):
        nf.ifft(np.ones((4, 2), complex))
