import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(dtype=["float32", "float64"], training=[True, False])
class TestFusedBatchNormalization(FunctionTestCase):
    kinks = ()
    tolerances = {"float32": {"atol": 1e-5}}  # noqa: RUF012

    @staticmethod
    def function(x, m, v, o, s, z, **kw):
        return nf.fused_batch_normalization(x, m, v, o, s, z, **kw)

    def kwargs(self):
        return {"training": self.training, "eps": 1e-3}

    def inputs(self, rng):
        x = rng.standard_normal((5, 3)).astype(self.dtype)
        m = rng.standard_normal(3).astype(self.dtype)
        v = rng.uniform(0.5, 1.5, 3).astype(self.dtype)
        o = rng.standard_normal(3).astype(self.dtype)
        s = rng.uniform(0.5, 1.5, 3).astype(self.dtype)
        z = rng.standard_normal((5, 3)).astype(self.dtype)
        return (x, m, v, o, s, z)

    @property
    def grad_inputs(self):
        return (0, 3, 4, 5) if self.training else (0, 1, 2, 3, 4, 5)

    def test_inputs_unchanged(self):
        if not self.training:
            super().test_inputs_unchanged()
            return
        # Training updates the running statistics in place (documented); nothing else changes.
        inputs = self._inputs()
        copies = [a.copy() for a in inputs]
        self._call(*inputs)
        for i in (0, 3, 4, 5):
            np.testing.assert_array_equal(inputs[i], copies[i], err_msg=f"input {i} modified")
        x, m, v = (c.astype(np.float64) for c in copies[:3])
        n = x.shape[0]
        tol = {"rtol": 1e-6 if self.dtype == "float32" else 1e-12}
        np.testing.assert_allclose(inputs[1], 0.9 * m + 0.1 * x.mean(0), **tol)
        np.testing.assert_allclose(inputs[2], 0.9 * v + 0.1 * x.var(0) * n / (n - 1), **tol)

    def expected(self, x, m, v, o, s, z):
        x64 = x.astype(np.float64)
        if self.training:
            m, v = x64.mean(0), x64.var(0)
        y = (x64 - m) / np.sqrt(v.astype(np.float64) + 1e-3) * s + o + z
        return (np.maximum(y, 0).astype(x.dtype),)


X = np.zeros((2, 3), np.float32)
C3 = np.ones(3, np.float32)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (X,),
            {"training": True, "nonlinearity": "tanh"},
            nf.ArgumentError,
            "fused_batch_normalization: `nonlinearity` must be one of 'relu'; received "
            "nonlinearity='tanh'.",
        ),
        (
            (X, None, None, None, None, np.ones((1, 3), np.float32)),
            {"training": True},
            nf.ShapeError,
            "fused_batch_normalization: `z` must have the shape of `x`; received "
            "z.shape=(1, 3), x.shape=(2, 3).",
        ),
        (
            (X, np.ones(4, np.float32), C3),
            {},
            nf.ShapeError,
            "fused_batch_normalization: `mean` must have shape (3,) (the size of `x` along "
            "axis 1) or a shape of x's rank that broadcasts to `x`; received mean.shape=(4,), "
            "x.shape=(2, 3).",
        ),
        (
            (X, None, C3),
            {},
            nf.ArgumentError,
            "fused_batch_normalization: `mean` must be given when training=False (the running "
            "statistics are used); received mean=None, training=False.",
        ),
        (
            (X,),
            {"training": True, "decay": 2.0},
            nf.ArgumentError,
            "fused_batch_normalization: `decay` must be in [0, 1]; received decay=2.0.",
        ),
        (
            (X,),
            {"training": True, "eps": -1.0},
            nf.ArgumentError,
            "fused_batch_normalization: `eps` must be in [0, inf); received eps=-1.0.",
        ),
    ],
)
def test_bad_input(inputs, kwargs, exc, message):
    # in a graph the error names the user's node (the relu), not the inner BN node
    assert_raises_both_modes(nf.fused_batch_normalization, inputs, kwargs, exc, message)


def test_output_stat_and_running_statistics():
    rng = np.random.default_rng(3)
    x, z = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    rm, rv = np.zeros(2), np.ones(2)
    y, m, v = nf.fused_batch_normalization(
        x, rm, rv, None, None, z, training=True, decay=0.5, eps=0.0, output_stat=True
    )
    np.testing.assert_allclose(y, np.maximum((x - x.mean(0)) / x.std(0) + z, 0), rtol=1e-12)
    np.testing.assert_allclose(m.ravel(), x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(v.ravel(), x.var(0), rtol=1e-12)
    np.testing.assert_allclose(rm, 0.5 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(rv, 0.5 + 0.5 * x.var(0, ddof=1), rtol=1e-12)
