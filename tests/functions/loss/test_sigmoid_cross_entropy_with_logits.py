import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def sigmoid_ce_ref(x, z):
    """-(z log sigmoid(x) + (1 - z) log(1 - sigmoid(x))) in float64, via logaddexp."""
    x, z = x.astype(np.float64), z.astype(np.float64)
    return z * np.logaddexp(0, -x) + (1 - z) * np.logaddexp(0, x)


@parametrize_class(shape=[(), (3, 4)], dtype=["float16", "float32", "float64"])
class TestSigmoidCrossEntropyWithLogits(FunctionTestCase):
    function = staticmethod(nf.sigmoid_cross_entropy_with_logits)

    def inputs(self, rng):
        x = rng.uniform(-6, 6, self.shape).astype(self.dtype)
        z = rng.uniform(0, 1, self.shape).astype(self.dtype)
        return x, z

    def expected(self, x, z):
        return (sigmoid_ce_ref(x, z).astype(x.dtype),)


class TestSigmoidCrossEntropyIntegerTargets(FunctionTestCase):
    """Hard 0/1 integer targets: cast to the logits dtype, no gradient of their own."""

    function = staticmethod(nf.sigmoid_cross_entropy_with_logits)

    def inputs(self, rng):
        return rng.normal(0, 3, (4, 3)), rng.integers(0, 2, (4, 3)).astype(np.int32)

    def expected(self, x, z):
        return (sigmoid_ce_ref(x, z),)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_overflow_boundaries_of_the_tf_formulas(dtype):
    # exp(-x) overflows in the naive formula for x below about -11.1 (float16), -88.7
    # (float32) / -709.8 (float64); the stable formula must match the exact loss on both sides
    # and far beyond.
    big = {np.float16: 11.0, np.float32: 88.0, np.float64: 709.0}[dtype]
    far = 6e4 if dtype == np.float16 else 1e30
    x = np.array([-far, -1e4, -big - 1, -big, -20, 0, 20, big, big + 1, 1e4, far], dtype)
    rtol = 1e-3 if dtype == np.float16 else 1e-6
    atol = 2.0**-24 if dtype == np.float16 else 0.0  # float16's subnormal spacing
    for zval in (0.0, 0.3, 1.0):
        z = np.full_like(x, zval)
        out = nf.sigmoid_cross_entropy_with_logits(x, z)
        assert out.dtype == dtype
        ref = sigmoid_ce_ref(x, z).astype(dtype)
        np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol)
        v = nf.Variable(x, requires_grad=True)
        # seeded with ones, not through a sum: a float16 sum of these losses overflows
        nf.sigmoid_cross_entropy_with_logits(v, z).backward(np.ones_like(x))
        x64 = x.astype(np.float64)
        s = np.exp(-np.logaddexp(0, -x64))  # sigmoid(x), no overflow
        sn = np.exp(-np.logaddexp(0, x64))  # sigmoid(-x)
        assert v.grad.dtype == dtype
        ref = ((1 - zval) * s - zval * sn).astype(dtype)
        np.testing.assert_allclose(v.grad, ref, rtol=max(rtol, 1e-5), atol=max(atol, 1e-30))


def test_infinite_logits_give_the_finite_limits():
    x = np.array([np.inf, -np.inf, np.inf, -np.inf])
    z = np.array([1.0, 0.0, 0.0, 1.0])
    out = nf.sigmoid_cross_entropy_with_logits(x, z)
    np.testing.assert_array_equal(out, [0.0, 0.0, np.inf, np.inf])
    v = nf.Variable(x, requires_grad=True)
    nf.sum(nf.sigmoid_cross_entropy_with_logits(v, z)).backward()
    np.testing.assert_array_equal(v.grad, [0.0, 0.0, 1.0, -1.0])


def test_gradient_at_zero_logit_and_target_gradient():
    x = nf.Variable(np.array([0.0, 2.0]), requires_grad=True)
    z = nf.Variable(np.array([0.25, 0.5]), requires_grad=True)
    nf.sum(nf.sigmoid_cross_entropy_with_logits(x, z)).backward()
    np.testing.assert_allclose(x.grad, [0.5 - 0.25, 1 / (1 + np.exp(-2.0)) - 0.5])
    np.testing.assert_allclose(z.grad, [0.0, -2.0])


@pytest.mark.oracle
def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, z = rng.normal(0, 10, (5, 6)), rng.uniform(0, 1, (5, 6))
    ref = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(x), torch.tensor(z), reduction="none"
    )
    np.testing.assert_allclose(nf.sigmoid_cross_entropy_with_logits(x, z), ref.numpy(), 1e-12)


@pytest.mark.parametrize(
    "inputs, exc, message",
    [
        (
            (np.zeros((2, 3)), np.zeros((3, 2))),
            nf.ShapeError,
            "sigmoid_cross_entropy_with_logits: `logits` and `targets` must have the same shape; "
            "received logits.shape=(2, 3), targets.shape=(3, 2).",
        ),
        (
            (np.zeros(3), np.zeros((1, 3))),
            ValueError,
            "sigmoid_cross_entropy_with_logits: `logits` and `targets` must have the same shape; "
            "received logits.shape=(3,), targets.shape=(1, 3).",
        ),
    ],
)
def test_bad_inputs(inputs, exc, message):
    assert_raises_both_modes(nf.sigmoid_cross_entropy_with_logits, inputs, {}, exc, message)
    with pytest.raises(exc, match=re.escape(message)):
        nf.sigmoid_cross_entropy_with_logits(*inputs)
