import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def weighted_ref(x, z, q):
    x, z, q = (np.asarray(a, np.float64) for a in (x, z, q))
    return q * z * np.logaddexp(0, -x) + (1 - z) * np.logaddexp(0, x)


@parametrize_class(dtype=["float16", "float32", "float64"], qshape=[(), (4,)])
class TestWeightedCrossEntropyWithLogits(FunctionTestCase):
    function = staticmethod(nf.weighted_cross_entropy_with_logits)
    symbolic_dims = ()

    def inputs(self, rng):
        x = rng.uniform(-6, 6, (3, 4)).astype(self.dtype)
        z = rng.uniform(0, 1, (3, 4)).astype(self.dtype)
        q = rng.uniform(0.5, 3, self.qshape).astype(self.dtype)
        return x, z, q

    def expected(self, x, z, q):
        return (weighted_ref(x, z, q).astype(x.dtype),)


class TestWeightedScalarWeight(FunctionTestCase):
    function = staticmethod(
        lambda x, z, **kw: nf.weighted_cross_entropy_with_logits(x, z, 2.5, **kw)
    )

    def inputs(self, rng):
        return rng.normal(0, 3, (2, 5)), rng.uniform(0, 1, (2, 5))

    def expected(self, x, z):
        return (weighted_ref(x, z, 2.5),)


def test_pos_weight_one_is_the_sigmoid_loss_and_limits_are_finite():
    x = np.array([-1e30, -50.0, 0.0, 50.0, 1e30, np.inf, -np.inf])
    z = np.array([0.0, 0.5, 1.0, 0.5, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(
        nf.weighted_cross_entropy_with_logits(x, z, 1.0), nf.sigmoid_cross_entropy_with_logits(x, z)
    )
    out = nf.weighted_cross_entropy_with_logits(x, z, 3.0)
    np.testing.assert_allclose(out[:5], weighted_ref(x[:5], z[:5], 3.0), rtol=1e-12)
    np.testing.assert_array_equal(out[5:], [0.0, 0.0])
    v = nf.Variable(x, requires_grad=True)
    nf.sum(nf.weighted_cross_entropy_with_logits(v, z, 3.0)).backward()
    assert np.all(np.isfinite(v.grad))


@pytest.mark.parametrize(
    "inputs, message",
    [
        (
            (np.zeros((2, 3)), np.zeros((2, 3)), np.ones(2)),
            "weighted_cross_entropy_with_logits: `pos_weight` must broadcast to the shape of "
            "`logits`; received pos_weight.shape=(2,), logits.shape=(2, 3).",
        ),
        (
            (np.zeros((2, 3)), np.zeros((2, 3)), np.ones((4, 2, 3))),
            "weighted_cross_entropy_with_logits: `pos_weight` must broadcast to the shape of "
            "`logits`; received pos_weight.shape=(4, 2, 3), logits.shape=(2, 3).",
        ),
        (
            (np.zeros((2, 3)), np.zeros(3), np.ones(3)),
            "weighted_cross_entropy_with_logits: `logits` and `targets` must have the same "
            "shape; received logits.shape=(2, 3), targets.shape=(3,).",
        ),
    ],
)
def test_bad_shapes(inputs, message):
    assert_raises_both_modes(nf.weighted_cross_entropy_with_logits, inputs, {}, ValueError, message)
    assert_raises_both_modes(
        nf.weighted_cross_entropy_with_logits, inputs, {}, nf.ShapeError, message
    )


def test_bad_scalar_weight():
    with pytest.raises(nf.ArgumentError, match="`pos_weight` must be a real number"):
        nf.weighted_cross_entropy_with_logits(np.zeros(2), np.zeros(2), "a")


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_overflow_boundaries_of_the_tf_formula(dtype):
    # The page's stable form (1 - z) x + l (log(1 + exp(-|x|)) + max(-x, 0)) exists because
    # exp(-x) overflows below -11.1 (float16), -88.7 (float32), -709.8 (float64): the loss and
    # its gradients must be exact on both sides of that point and far beyond it.
    big = {np.float16: 11.0, np.float32: 88.0, np.float64: 709.0}[dtype]
    huge = float(np.finfo(dtype).max) / 4
    x = np.array([-huge, -big - 1, -big, -1, 0, 1, big, big + 1, huge], dtype)
    q = np.array(3.0, dtype)
    for zval in (0.0, 0.25, 1.0):
        z = np.full_like(x, zval)
        out = nf.weighted_cross_entropy_with_logits(x, z, q)
        assert out.dtype == dtype
        rtol = 2e-3 if dtype == np.float16 else 1e-6
        np.testing.assert_allclose(out, weighted_ref(x, z, 3.0), rtol=rtol, atol=0)
        v = nf.Variable(x, requires_grad=True)
        vz = nf.Variable(z, requires_grad=True)
        nf.weighted_cross_entropy_with_logits(v, vz, q).backward(np.ones_like(x))
        x64 = x.astype(np.float64)
        s, sn = np.exp(-np.logaddexp(0, -x64)), np.exp(-np.logaddexp(0, x64))
        gx = (1 - zval) * s - 3.0 * zval * sn
        gz = 2.0 * np.logaddexp(0, -x64) - x64  # (q - 1) softplus(-x) - x
        assert v.grad.dtype == dtype and vz.grad.dtype == dtype
        np.testing.assert_allclose(v.grad, gx.astype(dtype), rtol=rtol, atol=1e-30)
        np.testing.assert_allclose(vz.grad, gz.astype(dtype), rtol=rtol, atol=1e-30)


def test_pos_weight_as_a_list_is_a_tensor():
    x, z = np.zeros((2, 3)), np.ones((2, 3))
    out = nf.weighted_cross_entropy_with_logits(x, z, [1.0, 2.0, 4.0])
    np.testing.assert_allclose(out, np.log(2) * np.array([[1.0, 2.0, 4.0]] * 2), rtol=1e-12)
