import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def sign_ref(x, alpha):
    out = np.empty(x.shape, np.float64)
    flat_x, flat_o = x.astype(np.float64).ravel(), out.ravel()
    for i, v in enumerate(flat_x):
        flat_o[i] = 1.0 if v > 0 else -1.0 if v < 0 else alpha
    return out.astype(x.dtype)


@parametrize_class(
    shape=[(), (7,), (2, 3, 4)],
    dtype=["float16", "float32", "float64"],
    alpha=[1.0, 0.0, -0.5],
    ste=[True, False],
)
class TestSign(FunctionTestCase):
    function = staticmethod(nf.sign)
    kinks = (0.0,)

    def inputs(self, rng):
        x = rng.uniform(-3, 3, self.shape)
        if x.size > 2:
            x.ravel()[1] = 0.0
        return (x.astype(self.dtype),)

    @property
    def differentiable(self):
        return not self.ste  # the straight-through gradient is checked separately

    def kwargs(self):
        return {"alpha": self.alpha, "ste": self.ste}

    def expected(self, x):
        return (sign_ref(x, self.alpha),)


class TestSignInteger(FunctionTestCase):
    function = staticmethod(nf.sign)

    def inputs(self, rng):
        return (np.array([-3, 0, 2], np.int32),)

    def expected(self, x):
        return (np.array([-1, 1, 1], np.int32),)


def test_sign_straight_through_gradient():
    x = nf.Variable(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    nf.sum(nf.sign(x) * np.array([1.0, 2.0, 3.0])).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones(2),),
            {"alpha": "a"},
            nf.ArgumentError,
            "sign: `alpha` must be a real number; received alpha='a'.",
        ),
        (
            (np.ones(2),),
            {"ste": None},
            nf.ArgumentError,
            "sign: `ste` must be a bool; received ste=None.",
        ),
        (
            (np.array(["a"]),),
            {},
            nf.DTypeError,
            "sign: `x` must have a numeric dtype; received x.dtype=<U1.",
        ),
        (
            (np.array([True, False]),),
            {},
            nf.DTypeError,
            "sign: `x` must have an integer or floating dtype; received x.dtype=bool.",
        ),
    ],
)
def test_sign_errors(inputs, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        nf.sign(*inputs, **kwargs)


@pytest.mark.parametrize(
    "fn", [nf.sign, nf.round, nf.ceil, nf.floor], ids=["sign", "round", "ceil", "floor"]
)
def test_straight_through_gradient_has_zero_second_derivative(fn):
    x = nf.Variable(np.array([-1.3, 0.0, 2.5]), requires_grad=True)
    (g,) = nf.grad(nf.sum(fn(x) * x), x, create_graph=True)  # d/dx [f(x) x] = f(x) + x (STE)
    np.testing.assert_array_equal(g.data, fn(x.data) + x.data)
    (gg,) = nf.grad(nf.sum(g), x)  # f' (STE: 1) + 1
    np.testing.assert_array_equal(gg.data, [2.0, 2.0, 2.0])
