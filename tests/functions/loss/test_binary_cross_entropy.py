import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def bce_ref(p, t, eps):
    p, t = p.astype(np.float64), t.astype(np.float64)
    if eps is not None:
        p = np.clip(p, eps, 1 - eps)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


@parametrize_class(dtype=["float16", "float32", "float64"], eps=[1e-7, None], shape=[(), (3, 4)])
class TestBinaryCrossEntropy(FunctionTestCase):
    function = staticmethod(nf.binary_cross_entropy)

    def inputs(self, rng):
        p = rng.uniform(0.05, 0.95, self.shape).astype(self.dtype)
        t = rng.uniform(0, 1, self.shape).astype(self.dtype)
        return p, t

    def kwargs(self):
        return {"eps": self.eps}

    def expected(self, p, t):
        return (bce_ref(p, t, self.eps).astype(p.dtype),)


class TestBinaryCrossEntropyFromLogits(FunctionTestCase):
    function = staticmethod(nf.binary_cross_entropy)

    def inputs(self, rng):
        return rng.normal(0, 4, (3, 4)), rng.uniform(0, 1, (3, 4))

    def kwargs(self):
        return {"from_logits": True}

    def expected(self, x, t):
        return (t * np.logaddexp(0, -x) + (1 - t) * np.logaddexp(0, x),)


def test_clipping_bounds_the_loss_and_zeroes_the_gradient_outside():
    p = np.array([0.0, 1.0, 1e-9, 0.5], np.float32)
    t = np.array([1.0, 0.0, 1.0, 1.0], np.float32)
    out = nf.binary_cross_entropy(p, t)
    lo = np.float32(1e-7)
    np.testing.assert_allclose(out[:3], -np.log([lo, np.float32(1) - (1 - lo), lo]), rtol=1e-5)
    v = nf.Variable(p, requires_grad=True)
    nf.sum(nf.binary_cross_entropy(v, t)).backward()
    np.testing.assert_array_equal(v.grad[:3], [0, 0, 0])
    np.testing.assert_allclose(v.grad[3], -2.0, rtol=1e-6)


def test_nnabla_mode_clamps_at_the_smallest_normal_number():
    p = np.array([0.0, 1.0], np.float32)
    out = nf.binary_cross_entropy(p, np.array([1.0, 0.0], np.float32), eps=None)
    tiny = np.finfo(np.float32).tiny
    np.testing.assert_allclose(out, [-np.log(tiny)] * 2, rtol=1e-6)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.binary_cross_entropy(np.zeros(3), np.zeros(2)),
            nf.ShapeError,
            "binary_cross_entropy: `x` and `target` must have the same shape; "
            "received x.shape=(3,), target.shape=(2,).",
        ),
        (
            lambda: nf.binary_cross_entropy(np.zeros(3), np.zeros(3), eps=0.5),
            nf.ArgumentError,
            "binary_cross_entropy: `eps` must be in [0, 0.5); received eps=0.5.",
        ),
        (
            lambda: nf.binary_cross_entropy(np.zeros(3), np.zeros(3), from_logits=1),
            nf.ArgumentError,
            "binary_cross_entropy: `from_logits` must be a bool; received from_logits=1.",
        ),
    ],
)
def test_bad_inputs(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
