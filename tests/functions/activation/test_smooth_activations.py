import math
import re
from typing import ClassVar

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class

_erf = np.vectorize(math.erf)
SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def _f64(x):
    return np.asarray(x, np.float64)


def _sig(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def elu_ref(x, alpha=1.0):
    x = _f64(x)
    return np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1))


REFS = {
    "elu": (nf.elu, lambda x: elu_ref(x), (0.0,)),
    "selu": (nf.selu, lambda x: SELU_SCALE * elu_ref(x, SELU_ALPHA), (0.0,)),
    "gelu_none": (
        lambda x, **k: nf.gelu(x, "none", **k),
        lambda x: 0.5 * _f64(x) * (1 + _erf(_f64(x) / math.sqrt(2))),
        (),
    ),
    "gelu_tanh": (
        lambda x, **k: nf.gelu(x, approximate="tanh", **k),
        lambda x: (
            0.5
            * _f64(x)
            * (1 + np.tanh(math.sqrt(2 / math.pi) * (_f64(x) + 0.044715 * _f64(x) ** 3)))
        ),
        (),
    ),
    "gelu_sigmoid": (
        lambda x, **k: nf.gelu(x, approximate="sigmoid", **k),
        lambda x: _f64(x) * _sig(1.702 * _f64(x)),
        (),
    ),
    "hard_sigmoid": (nf.hard_sigmoid, lambda x: np.clip(0.2 * _f64(x) + 0.5, 0, 1), (-2.5, 2.5)),
    "hard_tanh": (nf.hard_tanh, lambda x: np.clip(_f64(x), -1, 1), (-1.0, 1.0)),
    "log_sigmoid": (nf.log_sigmoid, lambda x: np.log(_sig(_f64(x))), ()),
    "silu": (nf.silu, lambda x: _f64(x) * _sig(_f64(x)), ()),
    "hard_silu": (
        nf.hard_silu,
        lambda x: _f64(x) * np.minimum(np.maximum(_f64(x) + 3, 0), 6) / 6,
        (-3.0, 3.0),
    ),
    "softsign": (nf.softsign, lambda x: _f64(x) / (1 + np.abs(_f64(x))), (0.0,)),
    "tanh_shrink": (nf.tanh_shrink, lambda x: _f64(x) - np.tanh(_f64(x)), ()),
    "sinc": (
        nf.sinc,
        lambda x: np.array([1.0 if v == 0 else math.sin(v) / v for v in _f64(x).ravel()]).reshape(
            np.shape(x)
        ),
        (),
    ),
}


class _SmoothCase(FunctionTestCase):
    """One class per entry of REFS (generated below)."""

    tolerances: ClassVar = {"float16": {"atol": 4e-3, "rtol": 4e-3}}
    kind = ""

    def inputs(self, rng):
        return (rng.uniform(-4, 4, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return (REFS[self.kind][1](x).astype(x.dtype),)


for _kind, (_fn, _ref, _kinks) in REFS.items():
    _name = "Test_" + _kind
    globals()[_name] = parametrize_class(dtype=["float16", "float32", "float64"])(
        type(_name, (_SmoothCase,), {"function": staticmethod(_fn), "kind": _kind, "kinks": _kinks})
    )


@parametrize_class(alpha=[0.5, 2.0], dtype=["float32", "float64"])
class TestELUAlpha(FunctionTestCase):
    function = staticmethod(nf.elu)
    kinks = (0.0,)

    def inputs(self, rng):
        return (rng.uniform(-3, 3, (2, 3)).astype(self.dtype),)

    def kwargs(self):
        return {"alpha": self.alpha}

    def expected(self, x):
        return (elu_ref(x, self.alpha).astype(x.dtype),)


@parametrize_class(dtype=["float32", "float64"])
class TestSELUParams(FunctionTestCase):
    function = staticmethod(nf.selu)
    kinks = (0.0,)

    def inputs(self, rng):
        return (rng.uniform(-3, 3, (2, 3)).astype(self.dtype),)

    def kwargs(self):
        return {"scale": 2.0, "alpha": 0.5}

    def expected(self, x):
        return ((2.0 * elu_ref(x, 0.5)).astype(x.dtype),)


@parametrize_class(axis=[-1, 0], dtype=["float32", "float64"])
class TestConcatELU(FunctionTestCase):
    function = staticmethod(nf.concat_elu)
    kinks = (0.0,)

    def inputs(self, rng):
        return (rng.uniform(-3, 3, (2, 3)).astype(self.dtype),)

    def kwargs(self):
        return {"alpha": 0.7, "axis": self.axis}

    def expected(self, x):
        return (
            np.concatenate([elu_ref(x, 0.7), elu_ref(-_f64(x), 0.7)], axis=self.axis).astype(
                x.dtype
            ),
        )


@parametrize_class(dtype=["float32", "float64"])
class TestSincNearZero(FunctionTestCase):
    function = staticmethod(nf.sinc)

    def inputs(self, rng):
        return (np.array([0.0, 1e-8, -0.05, 0.0999, 0.1001, -2.0]).astype(self.dtype),)

    def expected(self, x):
        return (REFS["sinc"][1](x).astype(x.dtype),)


def test_sinc_gradient_at_zero():
    x = nf.Variable(np.array([0.0]), requires_grad=True)
    (g,) = nf.grad(nf.sum(nf.sinc(x)), [x], create_graph=True)
    assert g.data[0] == 0.0
    (gg,) = nf.grad(nf.sum(g), [x])
    np.testing.assert_allclose(gg.data, [-1 / 3], rtol=1e-14)


@pytest.mark.parametrize(
    "x", [np.array([-2, 0, 3]), np.array([1, 0, 3], np.uint8), np.array([True, False, True])]
)
def test_integer_and_bool_inputs_give_float32(x):
    """DESIGN's promotion rule: a real-valued result of an integer or bool input is float32,
    computed from the exact values (e.g. unsigned inputs are never negated in their dtype)."""
    x64 = x.astype(np.float64)
    for f, ref in (
        (nf.sigmoid, 1 / (1 + np.exp(-x64))),
        (nf.tanh, np.tanh(x64)),
        (nf.softplus, np.log1p(np.exp(x64))),
        (nf.log_sigmoid, -np.log1p(np.exp(-x64))),
        (nf.elu, elu_ref(x64)),
        (lambda v: nf.leaky_relu(v, 0.5), np.where(x64 >= 0, x64, 0.5 * x64)),
        (nf.softsign, x64 / (1 + np.abs(x64))),
        (nf.softsign_derivative, 1 / (1 + np.abs(x64)) ** 2),
        (nf.hard_tanh_derivative, (np.abs(x64) < 1).astype(np.float64)),
        (lambda v: nf.sigmoid_derivative(v, v), x64 * np.exp(-x64) / (1 + np.exp(-x64)) ** 2),
        (lambda v: nf.prelu(v, np.array(0.5, np.float32)), np.where(x64 >= 0, x64, 0.5 * x64)),
        (nf.softmax, np.exp(x64) / np.exp(x64).sum()),
        (lambda v: nf.clip_by_norm(v, 1.0), x64 / max(np.linalg.norm(x64), 1.0)),
        (
            lambda v: nf.concat_elu(v, axis=0),
            np.concatenate([elu_ref(x64), elu_ref(-x64)]),
        ),
    ):
        y = f(x)
        assert y.dtype == np.float32, f
        np.testing.assert_allclose(y, ref, rtol=2e-7, atol=1e-7)


def test_integer_inputs_give_float32():
    x = np.array([-2, 0, 3])
    for f in (
        nf.elu,
        nf.selu,
        nf.gelu,
        nf.hard_sigmoid,
        nf.hard_tanh,
        nf.log_sigmoid,
        nf.silu,
        nf.hard_silu,
        nf.softsign,
        nf.tanh_shrink,
        nf.sinc,
        nf.concat_elu,
    ):
        y = f(x)
        assert y.dtype == np.float32, f


EXTREMES = np.array([-1e30, -1e4, -100.0, -20.0, -1e-30, 0.0, 1e-30, 20.0, 100.0, 1e4, 1e30])
STABLE = [
    nf.elu,
    nf.selu,
    nf.gelu,
    lambda x: nf.gelu(x, approximate="tanh"),
    lambda x: nf.gelu(x, approximate="sigmoid"),
    nf.hard_sigmoid,
    nf.hard_tanh,
    nf.log_sigmoid,
    nf.silu,
    nf.hard_silu,
    nf.softsign,
    nf.tanh_shrink,
    nf.sinc,
    nf.softplus,
    nf.sigmoid,
    nf.tanh,
    nf.relu,
    nf.relu6,
    nf.leaky_relu,
    nf.crelu,
    nf.concat_elu,
    lambda x: nf.prelu(x, np.array(0.3, x.dtype)),
    nf.softmax,
    nf.log_softmax,
    nf.softsign_derivative,
    lambda x: nf.sigmoid_derivative(x, np.ones_like(x)),
]


STABLE += [
    lambda x: nf.relu(x, threshold=0.5),
    lambda x: nf.softmax_derivative(x, np.linspace(-1, 1, x.size).astype(x.dtype)),
    nf.hard_tanh_derivative,
    nf.leaky_relu_derivative,
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn", STABLE)
def test_no_overflow_for_huge_inputs(fn, dtype):
    """Values, first and second derivatives at |x| up to 1e30: finite, and no intermediate
    overflow, invalid operation or division by zero either (underflow to 0 is fine)."""
    x = EXTREMES.astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        y = fn(x)
        v = nf.Variable(x, requires_grad=True)
        w = np.linspace(0.5, 1.5, np.size(y)).reshape(np.shape(y)).astype(dtype)
        (g,) = nf.grad(nf.sum(fn(v) * w), [v], create_graph=True)
        if g is not None and g.requires_grad:
            (gg,) = nf.grad(nf.sum(g * np.linspace(1, 2, x.size).astype(dtype)), [v])
            assert gg is None or np.all(np.isfinite(gg.data)), gg.data
    assert np.all(np.isfinite(y)), y
    assert g is None or np.all(np.isfinite(g.data)), g.data


def test_large_input_limits():
    x = np.array([-1e30, 1e30], np.float32)
    big = x[1]
    np.testing.assert_array_equal(nf.gelu(x), np.array([0, big], np.float32))
    np.testing.assert_array_equal(nf.gelu(x, approximate="tanh"), np.array([0, big], np.float32))
    np.testing.assert_array_equal(nf.silu(x), np.array([0, big], np.float32))
    np.testing.assert_array_equal(nf.log_sigmoid(x), np.array([-big, 0], np.float32))
    np.testing.assert_array_equal(nf.elu(x), np.array([-1, big], np.float32))
    np.testing.assert_array_equal(nf.softsign(x), [-1, 1])


def test_gelu_exact_lower_tail_is_accurate():
    x = np.array([-10.0, -20.0])
    ref = np.array([-7.619853024160527e-23, -5.507248237212467e-88])
    np.testing.assert_allclose(nf.gelu(x), ref, rtol=1e-12)


def test_bad_arguments():
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape(
            "gelu: `approximate` must be one of 'none', 'tanh', 'sigmoid'; received "
            "approximate=True."
        ),
    ):
        nf.gelu(np.ones(2), approximate=True)
    with pytest.raises(
        nf.ArgumentError, match=re.escape("elu: `alpha` must be finite; received alpha=inf.")
    ):
        nf.elu(np.ones(2), alpha=float("inf"))
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape("selu: `scale` must be a real number; received scale='x'."),
    ):
        nf.selu(np.ones(2), scale="x")
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape("hard_sigmoid: `slope` must be a real number; received slope=None."),
    ):
        nf.hard_sigmoid(np.ones(2), slope=None)


@pytest.mark.oracle
@pytest.mark.parametrize(
    "ours, name, kw",
    [
        (nf.gelu, "gelu", {}),
        (lambda x: nf.gelu(x, approximate="tanh"), "gelu", {"approximate": "tanh"}),
        (nf.silu, "silu", {}),
        (nf.log_sigmoid, "logsigmoid", {}),
        (nf.selu, "selu", {}),
        (nf.hard_silu, "hardswish", {}),
        (nf.tanh_shrink, "tanhshrink", {}),
        (nf.softsign, "softsign", {}),
    ],
)
def test_against_torch(ours, name, kw):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).uniform(-6, 6, 50)
    ref = getattr(torch.nn.functional, name)(torch.from_numpy(x), **kw).numpy()
    np.testing.assert_allclose(ours(x), ref, rtol=1e-12, atol=1e-15)
