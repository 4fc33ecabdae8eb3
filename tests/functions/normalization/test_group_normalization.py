from typing import ClassVar

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def gn_ref(x, g, s, o, eps):
    b, c = x.shape[:2]
    xg = x.astype(np.float64).reshape((b, g, c // g, *x.shape[2:]))
    red = tuple(range(2, xg.ndim))
    mu = xg.mean(axis=red, keepdims=True)
    var = ((xg - mu) ** 2).mean(axis=red, keepdims=True)
    y = ((xg - mu) / np.sqrt(var + eps)).reshape(x.shape)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if s is not None:
        y = y * s.astype(np.float64).reshape(shape) + o.astype(np.float64).reshape(shape)
    return y, mu, var


@parametrize_class(dtype=["float16", "float32", "float64"], groups=[1, 2, 4])
class TestGroupNormalization(FunctionTestCase):
    tolerances: ClassVar = {"float16": {"atol": 5e-3, "rtol": 5e-3}, "float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, scale, offset, **kw):
        return nf.group_normalization(x, kw.pop("num_groups"), scale, offset, **kw)

    def kwargs(self):
        return {"num_groups": self.groups, "eps": 1e-3}

    def inputs(self, rng):
        x = rng.standard_normal((2, 4, 3)).astype(self.dtype)
        return (
            x,
            rng.uniform(0.5, 1.5, 4).astype(self.dtype),
            rng.standard_normal(4).astype(self.dtype),
        )

    def expected(self, x, s, o):
        return (gn_ref(x, self.groups, s, o, 1e-3)[0].astype(x.dtype),)


@parametrize_class(dtype=["float64"])
class TestGroupNormalizationOutputStat(FunctionTestCase):
    @staticmethod
    def function(x, **kw):
        return nf.group_normalization(x, 2, **kw)

    def kwargs(self):
        return {"output_stat": True, "eps": 1e-2}

    def inputs(self, rng):
        return (rng.standard_normal((3, 4, 2, 2)),)

    def expected(self, x):
        return gn_ref(x, 2, None, None, 1e-2)


def test_channel_last():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6))
    y = nf.group_normalization(x, 3, channel_axis=-1, eps=0.0)
    ref = gn_ref(np.moveaxis(x, -1, 1), 3, None, None, 0.0)[0]
    np.testing.assert_allclose(y, np.moveaxis(ref, 1, -1), rtol=1e-10)


X = np.zeros((2, 6, 3), np.float32)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (X, 4),
            {},
            nf.ArgumentError,
            "group_normalization: `num_groups` must divide the number of channels; "
            "received num_groups=4, channels=6.",
        ),
        (
            (X, 0),
            {},
            nf.ArgumentError,
            "group_normalization: `num_groups` must be positive; received num_groups=0.",
        ),
        (
            (X, 2, np.ones(3, np.float32)),
            {},
            nf.ShapeError,
            "group_normalization: `scale` must have shape (6,) (the size of `x` along axis 1) "
            "or a shape of x's rank that broadcasts to `x`; received scale.shape=(3,), "
            "x.shape=(2, 6, 3).",
        ),
    ],
)
def test_bad_input(inputs, kwargs, exc, message):
    def call(x, g, *rest, **kw):
        return nf.group_normalization(x, g, *rest, **kw)

    assert_raises_both_modes(call, inputs, kwargs, exc, message)


@pytest.mark.oracle
def test_torch_oracle():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, g, b = rng.standard_normal((2, 6, 5)), rng.standard_normal(6), rng.standard_normal(6)
    ref = torch.nn.functional.group_norm(torch.tensor(x), 3, torch.tensor(g), torch.tensor(b))
    np.testing.assert_allclose(nf.group_normalization(x, 3, g, b), ref.numpy(), rtol=1e-9)


@parametrize_class(dtype=["float16", "float32", "float64"], affine=[True, False])
class TestGroupNormalizationImages(FunctionTestCase):
    """(N, C, H, W) with per-channel parameters: the group kernels of kernels/cpu/batch_norm.py
    (forward and the fused gradient)."""

    tolerances: ClassVar = {"float16": {"atol": 5e-3, "rtol": 5e-3}, "float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, scale=None, offset=None, **kw):
        return nf.group_normalization(x, 3, scale, offset, **kw)

    def kwargs(self):
        return {"eps": 1e-3}

    def inputs(self, rng):
        x = (rng.standard_normal((2, 6, 3, 4)) * 2 + 5).astype(self.dtype)
        if not self.affine:
            return (x,)
        return (
            x,
            rng.uniform(0.5, 1.5, (1, 6, 1, 1)).astype(self.dtype),
            rng.standard_normal(6).astype(self.dtype),
        )

    def expected(self, x, s=None, o=None):
        return (gn_ref(x, 3, None if s is None else s.reshape(-1), o, 1e-3)[0].astype(x.dtype),)


def test_group_normalization_empty_batch_forward_and_backward():
    x = nf.Variable(np.zeros((0, 4, 3, 3), np.float32), requires_grad=True)
    s = nf.Variable(np.ones(4, np.float32), requires_grad=True)
    y = nf.group_normalization(x, 2, s, np.zeros(4, np.float32))
    assert y.shape == (0, 4, 3, 3)
    gx, gs = nf.grad(y, [x, s], grad_outputs=[np.ones((0, 4, 3, 3), np.float32)])
    assert gx.shape == (0, 4, 3, 3)
    np.testing.assert_array_equal(gs.data, np.zeros(4, np.float32))
