import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def sparse_ce_ref(x, labels, axis):
    x = np.moveaxis(x.astype(np.float64), axis, -1)
    out = np.empty(x.shape[:-1])
    for i in np.ndindex(*x.shape[:-1]):
        row = x[i]
        m = row.max()
        out[i] = m + np.log(np.exp(row - m).sum()) - row[labels[i]]
    return out


@parametrize_class(dtype=["float16", "float32", "float64"], axis=[-1, 1], keepdims=[False, True])
class TestSparseSoftmaxCrossEntropyWithLogits(FunctionTestCase):
    function = staticmethod(nf.sparse_softmax_cross_entropy_with_logits)

    def inputs(self, rng):
        x = rng.normal(0, 3, (2, 4, 3)).astype(self.dtype)
        c = x.shape[self.axis]
        shape = (2, 3) if self.axis == 1 else (2, 4)
        return x, rng.integers(0, c, shape).astype(np.int32)

    def kwargs(self):
        return {"axis": self.axis, "keepdims": self.keepdims}

    def expected(self, x, labels):
        out = sparse_ce_ref(x, labels, self.axis)
        if self.keepdims:
            out = np.expand_dims(out, self.axis)
        return (out.astype(x.dtype),)


@parametrize_class(dtype=["float32", "float64"])
class TestSparseLabelsWithKeptAxis(FunctionTestCase):
    """NNabla's label layout: the class axis kept with size 1 (float32: the row kernel)."""

    function = staticmethod(nf.sparse_softmax_cross_entropy_with_logits)

    def inputs(self, rng):
        return rng.normal(0, 2, (4, 5)).astype(self.dtype), rng.integers(0, 5, (4, 1))

    def expected(self, x, labels):
        return (sparse_ce_ref(x, labels[:, 0], -1).astype(x.dtype),)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_is_softmax_minus_one_hot_and_finite_at_extremes(dtype):
    x = np.array([[1e30, 0.0, -1e30], [-np.inf, 0.0, 1.0], [2.0, np.inf, 0.0]], dtype)
    labels = np.array([0, 2, 1])
    out = nf.sparse_softmax_cross_entropy_with_logits(x, labels)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, [0.0, np.logaddexp(0, 1) - 1.0, 0.0], rtol=rtol)
    v = nf.Variable(x, requires_grad=True)
    nf.sum(nf.sparse_softmax_cross_entropy_with_logits(v, labels)).backward()
    p = np.exp(np.array([-np.inf, 0.0, 1.0]) - np.logaddexp(0, 1))
    atol = 1e-7 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(v.grad, [[0, 0, 0], p - [0, 0, 1], [0, 0, 0]], atol=atol)
    # Far logit on the wrong class: the exact loss, not a clamped log(tiny).
    out32 = nf.sparse_softmax_cross_entropy_with_logits(
        np.array([[0.0, -1e4]], np.float32), np.array([1])
    )
    np.testing.assert_allclose(out32, [1e4], rtol=1e-6)


def test_out_of_range_label_in_a_graph_names_the_node():
    g = nf.Graph()
    x = g.placeholder("x", (None, 3), np.float32)
    t = g.placeholder("t", (None,), np.int64)
    y = nf.sparse_softmax_cross_entropy_with_logits(x, t, name="loss")
    msg = (
        "sparse_softmax_cross_entropy_with_logits (node 'loss'): `labels` must hold class "
        "indices in [0, 3); received labels[2]=-1."
    )
    with pytest.raises(nf.ArgumentError, match=re.escape(msg)):
        g.run(y, {"x": np.zeros((4, 3), np.float32), "t": np.array([0, 2, -1, 7])})


@pytest.mark.oracle
def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, t = rng.normal(0, 5, (6, 4)), rng.integers(0, 4, 6)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(xt, torch.tensor(t), reduction="none")
    ref.sum().backward()
    v = nf.Variable(x, requires_grad=True)
    out = nf.sparse_softmax_cross_entropy_with_logits(v, t)
    nf.sum(out).backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(v.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-15)


_OP = "sparse_softmax_cross_entropy_with_logits"


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.zeros((2, 3)), np.array([[0, 1], [3, 0]])),
            {},
            nf.ShapeError,
            f"{_OP}: `labels` must have the shape of `logits` without the class axis 1 (or with "
            "it of size 1); received labels.shape=(2, 2), logits.shape=(2, 3).",
        ),
        (
            (np.zeros((2, 3)), np.array([0.0, 1.0])),
            {},
            nf.DTypeError,
            f"{_OP}: `labels` must have an integer dtype; received labels.dtype=float64.",
        ),
        (
            (np.zeros((2, 3)), np.array([3, 0])),
            {},
            nf.ArgumentError,
            f"{_OP}: `labels` must hold class indices in [0, 3); received labels[0]=3.",
        ),
        (
            (np.zeros((2, 2, 3)), np.array([[0, 1], [2, 4]])),
            {},
            nf.ArgumentError,
            f"{_OP}: `labels` must hold class indices in [0, 3); received labels[1, 1]=4.",
        ),
        (
            (np.zeros(()), np.zeros((), np.int64)),
            {},
            nf.ShapeError,
            f"{_OP}: `logits` must have rank >= 1; received logits.shape=().",
        ),
    ],
)
def test_bad_inputs(inputs, kwargs, exc, message):
    if exc is nf.ArgumentError:  # label values are checked where they are known
        with pytest.raises(exc, match=re.escape(message)):
            nf.sparse_softmax_cross_entropy_with_logits(*inputs, **kwargs)
        with pytest.raises(exc, match=re.escape(message)):
            nf.sparse_softmax_cross_entropy_with_logits(*map(nf.Variable, inputs), **kwargs)
        return
    assert_raises_both_modes(
        nf.sparse_softmax_cross_entropy_with_logits, inputs, kwargs, exc, message
    )
