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
