import math
import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def poisson_ref(c, z, full):
    c, z = c.astype(np.float64), z.astype(np.float64)
    out = np.exp(c) - z * c
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            st = z * np.log(z) - z + 0.5 * np.log(2 * math.pi * z)
        out = out + np.where(z > 1, st, 0.0)
    return out


@parametrize_class(dtype=["float32", "float64"], full=[False, True])
class TestLogPoissonLoss(FunctionTestCase):
    function = staticmethod(nf.log_poisson_loss)
    kinks = (1.0,)  # the Stirling term switches on above z = 1

    def inputs(self, rng):
        c = rng.uniform(-2, 2, (3, 4)).astype(self.dtype)
        z = rng.uniform(0, 5, (3, 4)).astype(self.dtype)
        return c, z

    def kwargs(self):
        return {"compute_full_loss": self.full}

    def expected(self, c, z):
        return (poisson_ref(c, z, self.full).astype(c.dtype),)


def test_full_loss_approximates_the_exact_negative_log_likelihood():
    c = np.log(np.array([3.0, 10.0]))
    z = np.array([4.0, 12.0])
    exact = -(z * c - np.exp(c) - np.array([math.lgamma(5.0), math.lgamma(13.0)]))
    full = nf.log_poisson_loss(c, z, compute_full_loss=True)
    # Stirling's series: log(z!) - approximation = 1/(12 z) + O(z^-3).
    np.testing.assert_allclose(exact - full, 1 / (12 * z), rtol=0.05)
    v = nf.Variable(np.array([0.5, 1.0]), requires_grad=True)  # counts 0 and 1: no Stirling term
    nf.sum(nf.log_poisson_loss(np.zeros(2), v, compute_full_loss=True)).backward()
    np.testing.assert_array_equal(v.grad, [0.0, 0.0])


def test_shape_mismatch_is_a_value_error():
    msg = (
        "log_poisson_loss: `log_input` and `targets` must have the same shape; "
        "received log_input.shape=(2,), targets.shape=(3,)."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        nf.log_poisson_loss(np.zeros(2), np.zeros(3))
    with pytest.raises(nf.ArgumentError, match="`compute_full_loss` must be a bool"):
        nf.log_poisson_loss(np.zeros(2), np.zeros(2), compute_full_loss="yes")


def test_negative_counts_give_nan_in_the_full_loss_as_in_tensorflow():
    # TF keeps z log z - z + log(2 pi z)/2 outside [0, 1]: NaN for a negative count.
    c = np.array([0.5, 0.5, 0.5, 0.5])
    z = np.array([-2.0, 0.0, 0.5, 2.0])
    full = nf.log_poisson_loss(c, z, compute_full_loss=True)
    assert np.isnan(full[0])
    stirling = 2 * np.log(2) - 2 + 0.5 * np.log(4 * np.pi)
    np.testing.assert_allclose(full[1:], np.exp(c[1:]) - z[1:] * c[1:] + [0, 0, stirling])
    # without the Stirling term the formula applies as is; the rate still gets its gradient
    np.testing.assert_allclose(nf.log_poisson_loss(c, z), np.exp(c) - z * c)
    v = nf.Variable(c, requires_grad=True)
    nf.sum(nf.log_poisson_loss(v, z, compute_full_loss=True) * np.array([0, 1, 1, 1])).backward()
    np.testing.assert_allclose(v.grad, [0.0, *(np.exp(c[1:]) - z[1:])])
    f16 = nf.log_poisson_loss(c.astype(np.float16), z.astype(np.float16), compute_full_loss=True)
    assert f16.dtype == np.float16 and np.isnan(f16[0])
