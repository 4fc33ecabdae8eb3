import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def log_softmax_ref(x, axis):
    x = x.astype(np.float64)
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def softmax_ce_ref(x, t, axis, keepdims=False):
    return -(t.astype(np.float64) * log_softmax_ref(x, axis)).sum(axis=axis, keepdims=keepdims)


@parametrize_class(dtype=["float16", "float32", "float64"], axis=[-1, 0], keepdims=[False, True])
class TestSoftmaxCrossEntropyWithLogits(FunctionTestCase):
    function = staticmethod(nf.softmax_cross_entropy_with_logits)
    symbolic_dims = (1,)

    def inputs(self, rng):
        x = rng.normal(0, 3, (3, 5)).astype(self.dtype)
        t = rng.dirichlet(np.ones(3 if self.axis == 0 else 5), 5 if self.axis == 0 else 3)
        t = (t.T if self.axis == 0 else t).astype(self.dtype)
        return x, t

    def kwargs(self):
        return {"axis": self.axis, "keepdims": self.keepdims}

    def expected(self, x, t):
        return (softmax_ce_ref(x, t, self.axis, self.keepdims).astype(x.dtype),)


class TestSoftmaxCrossEntropySoftUnnormalisedLabels(FunctionTestCase):
    """Labels that are not distributions: the gradient is p * sum(t) - t."""

    function = staticmethod(nf.softmax_cross_entropy_with_logits)

    def inputs(self, rng):
        return rng.normal(0, 2, (2, 3, 4)), rng.uniform(0, 2, (2, 3, 4))

    def expected(self, x, t):
        return (softmax_ce_ref(x, t, -1),)


def test_extreme_logits():
    x = np.array([[1e30, 0.0, -1e30], [-np.inf, 0.0, 1.0], [np.inf, 0.0, -np.inf]])
    t = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    out = nf.softmax_cross_entropy_with_logits(x, t)
    lse = np.logaddexp(0.0, 1.0)
    np.testing.assert_allclose(out, [0.0, lse - 0.5, 0.0], rtol=1e-12)
    v = nf.Variable(x, requires_grad=True)
    nf.sum(nf.softmax_cross_entropy_with_logits(v, t)).backward()
    p1 = np.exp(np.array([-np.inf, 0.0, 1.0]) - lse)
    np.testing.assert_allclose(v.grad, [[0, 0, 0], p1 - t[1], [0, 0, 0]], atol=1e-15)
    x32 = np.array([[1e30, -1e30], [1e30, -1e30]], np.float32)
    out32 = nf.softmax_cross_entropy_with_logits(
        x32, np.array([[0.0, 1.0], [0.5, 0.5]], np.float32)
    )
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, [2e30, 1e30], rtol=1e-6)


def test_label_gradient_is_minus_log_softmax():
    x = np.array([[0.5, -1.0, 2.0]])
    t = nf.Variable(np.array([[0.2, 0.3, 0.5]]), requires_grad=True)
    nf.sum(nf.softmax_cross_entropy_with_logits(x, t)).backward()
    np.testing.assert_allclose(t.grad, -log_softmax_ref(x, -1), rtol=1e-12)


@pytest.mark.oracle
def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x, t = rng.normal(0, 5, (4, 7)), rng.dirichlet(np.ones(7), 4)
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(xt, torch.tensor(t), reduction="none")
    ref.sum().backward()
    v = nf.Variable(x, requires_grad=True)
    out = nf.softmax_cross_entropy_with_logits(v, t)
    nf.sum(out).backward()
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(v.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.zeros((2, 3)), np.zeros((2, 4))),
            {},
            ValueError,
            "softmax_cross_entropy_with_logits: `logits` and `labels` must have the same shape; "
            "received logits.shape=(2, 3), labels.shape=(2, 4).",
        ),
        (
            (np.zeros(()), np.zeros(())),
            {},
            nf.ShapeError,
            "softmax_cross_entropy_with_logits: `logits` must have rank >= 1; "
            "received logits.shape=().",
        ),
        (
            (np.zeros((2, 3)), np.zeros((2, 3))),
            {"axis": 2},
            nf.ShapeError,
            "softmax_cross_entropy_with_logits: `axis` must be in [-2, 2) for an input of rank 2; "
            "received axis=2.",
        ),
    ],
)
def test_bad_inputs(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.softmax_cross_entropy_with_logits, inputs, kwargs, exc, message)
