import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def pow_scalar_ref(x, v):
    x = x.astype(np.float64)
    return np.exp(v * np.log(x))


@parametrize_class(shape=[(), (2, 3)], dtype=["float16", "float32", "float64"], val=[0.5, 2.0, 3])
class TestPowScalar(FunctionTestCase):
    function = staticmethod(nf.pow_scalar)

    def inputs(self, rng):
        return (rng.uniform(0.5, 2, self.shape).astype(self.dtype),)

    def kwargs(self):
        return {"val": self.val}

    def expected(self, x):
        return (np.asarray(pow_scalar_ref(x, self.val)).astype(x.dtype),)


def test_pow_scalar_default_val():
    x = np.array([0.75, 1.5], np.float32)
    np.testing.assert_allclose(nf.pow_scalar(x), pow_scalar_ref(x, 1).astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones(3, np.float32),),
            {"val": "a"},
            nf.ArgumentError,
            "pow_scalar: `val` must be a real number; received val='a'.",
        ),
    ],
)
def test_pow_scalar_errors(inputs, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        nf.pow_scalar(*inputs, **kwargs)
