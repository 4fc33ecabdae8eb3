import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def scce_ref(p, labels, axis, eps, normalize):
    p = np.moveaxis(p.astype(np.float64), axis, -1)
    if normalize:
        p = p / p.sum(-1, keepdims=True)
    out = np.empty(p.shape[:-1])
    for i in np.ndindex(*p.shape[:-1]):
        v = p[i][labels[i]]
        out[i] = -np.log(np.clip(v, eps, 1 - eps) if eps is not None else v)
    return out


@parametrize_class(
    dtype=["float16", "float32", "float64"],
    eps=[1e-7, None],
    variant=[(-1, False, False), (0, True, True)],  # (axis, normalize, keepdims)
)
class TestSparseCategoricalCrossEntropy(FunctionTestCase):
    function = staticmethod(nf.sparse_categorical_cross_entropy)
    symbolic_dims = ()

    @property
    def axis(self):
        return self.variant[0]

    @property
    def normalize(self):
        return self.variant[1]

    @property
    def keepdims(self):
        return self.variant[2]

    def inputs(self, rng):
        p = rng.uniform(0.05, 0.9, (3, 4)).astype(self.dtype)
        n = 4 if self.axis == 0 else 3
        return p, rng.integers(0, p.shape[self.axis], n)

    def kwargs(self):
        return {
            "axis": self.axis,
            "eps": self.eps,
            "normalize": self.normalize,
            "keepdims": self.keepdims,
        }

    def expected(self, p, labels):
        out = scce_ref(p, labels, self.axis, self.eps, self.normalize)
        if self.keepdims:
            out = np.expand_dims(out, self.axis)
        return (out.astype(p.dtype),)


class TestSparseCategoricalFromLogits(FunctionTestCase):
    function = staticmethod(nf.sparse_categorical_cross_entropy)

    def inputs(self, rng):
        return rng.normal(0, 3, (4, 5)), rng.integers(0, 5, (4, 1))

    def kwargs(self):
        return {"from_logits": True}

    def expected(self, x, labels):
        m = x.max(-1, keepdims=True)
        logp = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
        return (-np.take_along_axis(logp, labels, -1)[:, 0],)


def test_label_check_in_graph_mode_and_gradient_only_at_the_target():
    g = nf.Graph()
    p = g.placeholder("p", (None, 3), np.float64)
    t = g.placeholder("t", (None,), np.int32)
    y = nf.sparse_categorical_cross_entropy(p, t)
    with pytest.raises(nf.ArgumentError, match=re.escape("received target[1]=3.")):
        g.run(y, {"p": np.full((2, 3), 1 / 3), "t": np.array([0, 3], np.int32)})
    v = nf.Variable(np.array([[0.2, 0.5, 0.3]]), requires_grad=True)
    nf.sum(nf.sparse_categorical_cross_entropy(v, np.array([1]))).backward()
    np.testing.assert_allclose(v.grad, [[0.0, -2.0, 0.0]])


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.sparse_categorical_cross_entropy(np.ones((2, 3)), np.array([0, 3])),
            nf.ArgumentError,
            "sparse_categorical_cross_entropy: `target` must hold class indices in [0, 3); "
            "received target[1]=3.",
        ),
        (
            lambda: nf.sparse_categorical_cross_entropy(np.ones((2, 3)), np.array([[0, 1]])),
            nf.ShapeError,
            "sparse_categorical_cross_entropy: `target` must have the shape of `x` without the "
            "class axis 1 (or with it of size 1); received target.shape=(1, 2), x.shape=(2, 3).",
        ),
        (
            lambda: nf.sparse_categorical_cross_entropy(np.ones((2, 3)), np.ones(2)),
            nf.DTypeError,
            "sparse_categorical_cross_entropy: `target` must have an integer dtype; "
            "received target.dtype=float64.",
        ),
    ],
)
def test_bad_inputs(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
