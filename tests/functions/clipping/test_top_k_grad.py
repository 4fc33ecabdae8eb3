import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(k=[1, 3], dtype=["float32", "float64"])
class TestTopKGradForward(FunctionTestCase):
    """Forward is the identity (the gradient rule is checked below)."""

    function = staticmethod(nf.top_k_grad)
    differentiable = False

    def inputs(self, rng):
        return (rng.standard_normal((2, 3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"k": self.k}

    def expected(self, x):
        return (x.copy(),)


@pytest.mark.parametrize("use_abs", [False, True])
@pytest.mark.parametrize("base_axis", [1, 2])
def test_top_k_grad_keeps_the_k_largest_gradients(use_abs, base_axis):
    rng = np.random.default_rng(0)
    x = nf.Variable(rng.standard_normal((2, 3, 4)), requires_grad=True)
    gy = (rng.permutation(24) - 11.5).reshape(2, 3, 4)
    y = nf.top_k_grad(x, 2, abs=use_abs, base_axis=base_axis)
    y.backward(gy)
    lead = gy.shape[:base_axis]
    flat = gy.reshape(lead + (-1,))
    expected = np.zeros_like(flat)
    for pos in np.ndindex(lead):
        row = flat[pos].tolist()
        key = [abs(v) if use_abs else v for v in row]
        for i in sorted(range(len(row)), key=lambda i: (-key[i], i))[:2]:
            expected[pos + (i,)] = row[i]
    np.testing.assert_array_equal(x.grad, expected.reshape(gy.shape))


def test_top_k_grad_is_differentiable_twice():
    x = nf.Variable(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    y = nf.top_k_grad(x * x, 1)
    # The kept gradient is chosen from the upstream gradient [1, 3, 2]: the middle one.
    (g,) = nf.grad(nf.sum(y * np.array([[1.0, 3.0, 2.0]])), x, create_graph=True)
    np.testing.assert_array_equal(g.data, [[0.0, 12.0, 0.0]])
    (gg,) = nf.grad(nf.sum(g), x)
    np.testing.assert_array_equal(gg.data, [[0.0, 6.0, 0.0]])


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.top_k_grad(np.ones((2, 3)), 5),
            nf.ArgumentError,
            "top_k_grad: `k` must be <= the number of elements per sample; received k=5, "
            "x.shape=(2, 3), base_axis=1.",
        ),
        (
            lambda: nf.top_k_grad(np.ones((2, 3)), 1, abs=2),
            nf.ArgumentError,
            "top_k_grad: `abs` must be a bool; received abs=2.",
        ),
    ],
)
def test_top_k_grad_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


def test_ties_go_to_the_lowest_index():
    x = nf.Variable(np.zeros((2, 4)), requires_grad=True)
    gy = np.array([[1.0, 2.0, 2.0, 2.0], [-3.0, 3.0, 0.0, -3.0]])
    nf.top_k_grad(x, 2).backward(gy)
    np.testing.assert_array_equal(x.grad, [[0, 2, 2, 0], [0, 3, 0, 0]])
    x = nf.Variable(np.zeros((2, 4)), requires_grad=True)
    nf.top_k_grad(x, 2, abs=True).backward(gy)
    np.testing.assert_array_equal(x.grad, [[0, 2, 2, 0], [-3, 3, 0, 0]])
