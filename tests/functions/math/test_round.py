import math
import re
from fractions import Fraction

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def round_ref(x):
    x64 = x.astype(np.float64)
    return (np.where(x64 >= 0, np.floor(x64 + 0.5), -np.floor(-x64 + 0.5))).astype(x.dtype)


@parametrize_class(
    shape=[(), (6,), (2, 3, 4)], dtype=["float16", "float32", "float64"], ste=[True, False]
)
class TestRound(FunctionTestCase):
    function = staticmethod(nf.round)
    # Inputs stay away from the jumps so that the zero-gradient variant is checkable.
    kinks = tuple(np.arange(-4.5, 4.6, 0.5))

    def inputs(self, rng):
        base = rng.integers(-4, 4, self.shape) + rng.choice([0.2, 0.3, 0.7, 0.8], self.shape)
        return (np.asarray(base).astype(self.dtype),)

    @property
    def differentiable(self):
        # The straight-through gradient is by design not the numerical derivative (0): it is
        # checked separately below.
        return not self.ste

    def kwargs(self):
        return {"ste": self.ste}

    def expected(self, x):
        return (round_ref(x),)


class TestRoundHalves(FunctionTestCase):
    function = staticmethod(nf.round)
    differentiable = False

    def inputs(self, rng):
        return (np.array([-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 0.49999997], np.float32),)

    def expected(self, x):
        return (round_ref(x),)


class TestRoundInteger(FunctionTestCase):
    function = staticmethod(nf.round)

    def inputs(self, rng):
        return (rng.integers(-5, 5, (3, 4)),)

    def expected(self, x):
        return (x.copy(),)


def test_round_straight_through_gradient_is_one():
    x = nf.Variable(np.array([0.3, -1.7, 2.5]), requires_grad=True)
    nf.sum(nf.round(x) * np.array([1.0, 2.0, 3.0])).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])
    y = nf.Variable(np.array([0.3, -1.7]), requires_grad=True)
    (g,) = nf.grad(nf.sum(nf.round(y, ste=False) * 1.0), y)
    np.testing.assert_array_equal(g.data, [0.0, 0.0])


def _exact_round(v):
    """C's round of one float, in exact rational arithmetic (sign of zero kept)."""
    if not math.isfinite(v):
        return v
    r = math.floor(abs(Fraction(v)) + Fraction(1, 2))
    return math.copysign(float(r), v)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_numba_kernel_and_numpy_twin_agree_with_exact_rounding(dtype):
    from nnfunc.kernels.cpu.rounding import round_half_away_numba, round_half_away_numpy

    rng = np.random.default_rng(7)
    tiny = np.nextafter(np.array(0.5, dtype), 0)  # the largest value below one half
    special = [0.5, -0.5, 1.5, -2.5, tiny, -tiny, -0.3, -0.0, 0.0, 2.0**23 + 1, np.inf, -np.inf]
    x = np.concatenate(
        [np.array(special, dtype), (rng.standard_normal(200) * 8).astype(dtype)]
    ).reshape(2, -1)[:, ::2]  # a non-contiguous view too
    expected = np.array([[_exact_round(float(v)) for v in row] for row in x], dtype)
    for out in (round_half_away_numba(x), round_half_away_numpy(x)):
        assert out.dtype == x.dtype and out.shape == x.shape
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))
    nan = np.array([np.nan], dtype)
    assert np.isnan(round_half_away_numba(nan)).all() and np.isnan(round_half_away_numpy(nan)).all()


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones(2),),
            {"ste": 1},
            nf.ArgumentError,
            "round: `ste` must be a bool; received ste=1.",
        ),
        (
            (np.array(["a"]),),
            {},
            nf.DTypeError,
            "round: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
    ],
)
def test_round_errors(inputs, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        nf.round(*inputs, **kwargs)
