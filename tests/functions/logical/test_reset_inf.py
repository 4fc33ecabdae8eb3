import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(shape=[(6,), (2, 3, 4)], dtype=["float16", "float32", "float64"], val=[0, -1.5])
class TestResetInf(FunctionTestCase):
    function = staticmethod(nf.reset_inf)

    def inputs(self, rng):
        x = rng.standard_normal(self.shape).astype(self.dtype)
        x.ravel()[0] = np.inf
        x.ravel()[3] = -np.inf
        return (x,)

    def kwargs(self):
        return {"val": self.val}

    def expected(self, x):
        out = [
            self.val if v in (np.inf, -np.inf) else v for v in x.astype(np.float64).ravel().tolist()
        ]
        return (np.array(out).reshape(x.shape).astype(x.dtype),)

    def _grad_inputs64(self):
        # Finite differences through non-finite values are meaningless: check elsewhere.
        inputs, idx = super()._grad_inputs64()
        inputs[0] = np.where(np.isfinite(inputs[0]), inputs[0], 0.5)
        return inputs, idx


def test_reset_inf_gradient_is_zero_at_replaced_elements():
    x = nf.Variable(np.array([np.inf, 1.0, -np.inf, 2.0]), requires_grad=True)
    nf.sum(nf.reset_inf(x, 3.0) * np.array([1.0, 2.0, 3.0, 4.0])).backward()
    expected = [
        0.0 if v in (np.inf, -np.inf) else w
        for v, w in zip([np.inf, 1.0, -np.inf, 2.0], [1, 2, 3, 4])
    ]
    np.testing.assert_array_equal(x.grad, expected)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones(2),),
            {"val": "a"},
            nf.ArgumentError,
            "reset_inf: `val` must be a real number; received val='a'.",
        ),
    ],
)
def test_reset_inf_errors(inputs, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        nf.reset_inf(*inputs, **kwargs)
