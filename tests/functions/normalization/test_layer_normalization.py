import re
from typing import ClassVar

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def standardize_ref(x, red, eps):
    x64 = x.astype(np.float64)
    mu = x64.mean(axis=red, keepdims=True)
    var = ((x64 - mu) ** 2).mean(axis=red, keepdims=True)
    return (x64 - mu) / np.sqrt(var + eps), mu, var


@parametrize_class(dtype=["float16", "float32", "float64"], axis=[-1, (1, 2)])
class TestLayerNormalization(FunctionTestCase):
    tolerances: ClassVar = {"float16": {"atol": 5e-3, "rtol": 5e-3}, "float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, scale, offset, **kw):
        return nf.layer_normalization(x, scale, offset, **kw)

    def kwargs(self):
        return {"axis": self.axis, "eps": 1e-3}

    def inputs(self, rng):
        x = (rng.standard_normal((3, 4, 5)) * 2 + 1).astype(self.dtype)
        pshape = (5,) if self.axis == -1 else (1, 4, 5)
        return (
            x,
            rng.uniform(0.5, 1.5, pshape).astype(self.dtype),
            rng.standard_normal(pshape).astype(self.dtype),
        )

    def expected(self, x, s, o):
        red = (2,) if self.axis == -1 else (1, 2)
        y, _, _ = standardize_ref(x, red, 1e-3)
        return ((y * s.astype(np.float64) + o.astype(np.float64)).astype(x.dtype),)


@parametrize_class(dtype=["float32", "float64"], which=["scale", "offset"])
class TestLayerNormalizationOneParameter(FunctionTestCase):
    """Scale only or offset only: the row kernel's column sums feed that parameter alone."""

    tolerances: ClassVar = {"float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, p, which, **kw):
        return nf.layer_normalization(x, **{which: p}, eps=1e-3, **kw)

    def kwargs(self):
        return {"which": self.which}

    def inputs(self, rng):
        x = (rng.standard_normal((2, 3, 70)) + 3).astype(self.dtype)
        return (x, rng.uniform(0.5, 1.5, (70,)).astype(self.dtype))

    def expected(self, x, p):
        y, _, _ = standardize_ref(x, (2,), 1e-3)
        p = p.astype(np.float64)
        return ((y * p if self.which == "scale" else y + p).astype(x.dtype),)


@parametrize_class(dtype=["float32", "float64"])
class TestLayerNormalizationOutputStat(FunctionTestCase):
    tolerances: ClassVar = {"float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, **kw):
        return nf.layer_normalization(x, **kw)

    def kwargs(self):
        return {"axis": (1, 2), "eps": 1e-2, "output_stat": True}

    def inputs(self, rng):
        return (rng.standard_normal((3, 2, 4)).astype(self.dtype),)

    def expected(self, x):
        y, mu, var = standardize_ref(x, (1, 2), 1e-2)
        return tuple(a.astype(x.dtype) for a in (y, mu, var))


def test_large_magnitude_small_spread_float32():
    rng = np.random.default_rng(0)
    x = (1e4 + 1e-2 * rng.standard_normal((3, 512))).astype(np.float32)
    y = nf.layer_normalization(x, eps=0.0)
    ref, _, _ = standardize_ref(x, (1,), 0.0)
    np.testing.assert_allclose(y, ref, atol=2e-2)


X = np.zeros((2, 3, 4), np.float32)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (X, np.ones(3, np.float32)),
            {},
            nf.ShapeError,
            "layer_normalization: `scale` must have shape (4,) (the size of `x` along axis 2) "
            "or a shape of x's rank that broadcasts to `x`; received scale.shape=(3,), "
            "x.shape=(2, 3, 4).",
        ),
        (
            (X,),
            {"axis": (2, -1)},
            nf.ArgumentError,
            "layer_normalization: `axis` must not repeat an axis; received axis=(2, -1).",
        ),
        (
            (X,),
            {"axis": -4},
            nf.ShapeError,
            "layer_normalization: `axis` must be in [-3, 3) for an input of rank 3; "
            "received axis=-4.",
        ),
        (
            (X,),
            {"eps": -1.0},
            nf.ArgumentError,
            "layer_normalization: `eps` must be in [0, inf); received eps=-1.0.",
        ),
    ],
)
def test_bad_input(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.layer_normalization, inputs, kwargs, exc, message)


def test_empty_axis_rejected():
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape(
            "layer_normalization: `axis` must name at least one axis; received axis=()."
        ),
    ):
        nf.layer_normalization(X, axis=())


@pytest.mark.oracle
def test_torch_oracle():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, g, b = rng.standard_normal((2, 3, 6)), rng.standard_normal(6), rng.standard_normal(6)
    ref = torch.nn.functional.layer_norm(torch.tensor(x), (6,), torch.tensor(g), torch.tensor(b))
    np.testing.assert_allclose(nf.layer_normalization(x, g, b), ref.numpy(), rtol=1e-10)
