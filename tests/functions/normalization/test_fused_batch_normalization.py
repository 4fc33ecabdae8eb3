import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


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

    def expected(self, x, m, v, o, s, z):
        x64 = x.astype(np.float64)
        if self.training:
            m, v = x64.mean(0), x64.var(0)
        y = (x64 - m) / np.sqrt(v.astype(np.float64) + 1e-3) * s + o + z
        return (np.maximum(y, 0).astype(x.dtype),)


def test_bad_nonlinearity():
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape(
            "fused_batch_normalization: `nonlinearity` must be one of 'relu'; received "
            "nonlinearity='tanh'."
        ),
    ):
        nf.fused_batch_normalization(np.ones((2, 2)), training=True, nonlinearity="tanh")
