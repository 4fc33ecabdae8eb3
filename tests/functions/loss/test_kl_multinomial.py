import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def kl_ref(p, q, base_axis, eps):
    p, q = p.astype(np.float64), q.astype(np.float64)
    axes = tuple(range(base_axis, p.ndim))
    return (p * (np.log(p + eps) - np.log(q + eps))).sum(axis=axes)


@parametrize_class(dtype=["float32", "float64"], base_axis=[1, 2], eps=[0.0, 1e-8])
class TestKLMultinomial(FunctionTestCase):
    function = staticmethod(nf.kl_multinomial)

    def inputs(self, rng):
        p = rng.uniform(0.1, 1, (2, 3, 4))
        q = rng.uniform(0.1, 1, (2, 3, 4))
        axes = tuple(range(self.base_axis, 3))
        p /= p.sum(axes, keepdims=True)
        q /= q.sum(axes, keepdims=True)
        return p.astype(self.dtype), q.astype(self.dtype)

    def kwargs(self):
        return {"base_axis": self.base_axis, "eps": self.eps}

    def expected(self, p, q):
        return (kl_ref(p, q, self.base_axis, self.eps).astype(p.dtype),)


def test_zero_probabilities():
    p = nf.Variable(np.array([[1.0, 0.0]]), requires_grad=True)
    q = nf.Variable(np.array([[0.5, 0.0]]), requires_grad=True)
    out = nf.kl_multinomial(p, q)
    np.testing.assert_allclose(out.data, [np.log(2.0)])
    nf.sum(out).backward()
    assert np.all(np.isfinite(p.grad)) and np.all(np.isfinite(q.grad))
    np.testing.assert_allclose(q.grad, [[-2.0, 0.0]])


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.kl_multinomial(np.ones((2, 3)), np.ones((2, 4))),
            nf.ShapeError,
            "kl_multinomial: `p` and `q` must have the same shape; "
            "received p.shape=(2, 3), q.shape=(2, 4).",
        ),
        (
            lambda: nf.kl_multinomial(np.ones((2, 3)), np.ones((2, 3)), base_axis=2),
            nf.ShapeError,
            "kl_multinomial: `base_axis` must be in [-2, 2) for an input of rank 2; "
            "received base_axis=2.",
        ),
    ],
)
def test_bad_inputs(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
