import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def cce_ref(p, t, axis, eps, normalize):
    p, t = p.astype(np.float64), t.astype(np.float64)
    if normalize:
        p = p / p.sum(axis=axis, keepdims=True)
    if eps is not None:
        p = np.clip(p, eps, 1 - eps)
    return -(t * np.log(p)).sum(axis=axis)


@parametrize_class(
    dtype=["float16", "float32", "float64"],
    eps=[1e-7, None],
    variant=[(-1, False), (0, True)],  # (axis, normalize)
)
class TestCategoricalCrossEntropy(FunctionTestCase):
    function = staticmethod(nf.categorical_cross_entropy)
    symbolic_dims = ()

    @property
    def axis(self):
        return self.variant[0]

    @property
    def normalize(self):
        return self.variant[1]

    def inputs(self, rng):
        p = rng.uniform(0.05, 0.9, (3, 4)).astype(self.dtype)
        t = rng.uniform(0, 1, (3, 4)).astype(self.dtype)
        return p, t

    def kwargs(self):
        return {"axis": self.axis, "eps": self.eps, "normalize": self.normalize}

    def expected(self, p, t):
        return (cce_ref(p, t, self.axis, self.eps, self.normalize).astype(p.dtype),)


class TestCategoricalFromLogitsKeepdims(FunctionTestCase):
    function = staticmethod(nf.categorical_cross_entropy)

    def inputs(self, rng):
        return rng.normal(0, 3, (2, 5)), rng.dirichlet(np.ones(5), 2)

    def kwargs(self):
        return {"from_logits": True, "keepdims": True}

    def expected(self, x, t):
        m = x.max(-1, keepdims=True)
        logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
        return (-(t * logp).sum(-1, keepdims=True),)


def test_zero_probabilities_stay_finite():
    p = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    t = np.array([[1.0, 0.0], [1.0, 0.0]], np.float32)
    np.testing.assert_allclose(nf.categorical_cross_entropy(p, t), [-np.log(1e-7), 0.0], atol=1e-6)
    out = nf.categorical_cross_entropy(p, t, eps=None)
    np.testing.assert_allclose(out, [-np.log(np.finfo(np.float32).tiny), 0.0], rtol=1e-6)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.categorical_cross_entropy(np.ones((2, 3)), np.ones((2, 2))),
            nf.ShapeError,
            "categorical_cross_entropy: `x` and `target` must have the same shape; "
            "received x.shape=(2, 3), target.shape=(2, 2).",
        ),
        (
            lambda: nf.categorical_cross_entropy(np.ones(3), np.ones(3), axis=1),
            nf.ShapeError,
            "categorical_cross_entropy: `axis` must be in [-1, 1) for an input of rank 1; "
            "received axis=1.",
        ),
        (
            lambda: nf.categorical_cross_entropy(np.ones(3), np.ones(3), eps=-1.0),
            nf.ArgumentError,
            "categorical_cross_entropy: `eps` must be in [0, 0.5); received eps=-1.0.",
        ),
    ],
)
def test_bad_inputs(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
