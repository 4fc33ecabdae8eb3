import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def _f64(x):
    return np.asarray(x, np.float64)


@parametrize_class(threshold=[-0.5, 1.0], dtype=["float32", "float64"])
class TestReLUThreshold(FunctionTestCase):
    function = staticmethod(nf.relu)

    @property
    def kinks(self):
        return (self.threshold, 0.0)

    def inputs(self, rng):
        return (rng.uniform(-3, 3, (3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"threshold": self.threshold}

    def expected(self, x):
        x64 = _f64(x)
        return (np.where(x64 >= self.threshold, x64, 0).astype(x.dtype),)


@parametrize_class(lower=[0.0, -1.5], dtype=["float16", "float32", "float64"])
class TestReLU6(FunctionTestCase):
    function = staticmethod(nf.relu6)

    @property
    def kinks(self):
        return (self.lower, 6.0)

    def inputs(self, rng):
        return (rng.uniform(-4, 9, (2, 5)).astype(self.dtype),)

    def kwargs(self):
        return {"lower": self.lower}

    def expected(self, x):
        x64 = _f64(x)
        return (np.minimum(np.maximum(x64, self.lower), 6).astype(x.dtype),)


def test_relu6_integer_keeps_dtype():
    x = np.array([-3, 2, 9], np.int32)
    y = nf.relu6(x)
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, [0, 2, 6])


@parametrize_class(axis=[-1, 1], dtype=["float32", "float64"])
class TestCReLU(FunctionTestCase):
    function = staticmethod(nf.crelu)
    kinks = (0.0,)

    def inputs(self, rng):
        return (rng.uniform(-3, 3, (2, 3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"axis": self.axis}

    def expected(self, x):
        x64 = _f64(x)
        return (
            np.concatenate([np.maximum(x64, 0), np.maximum(-x64, 0)], axis=self.axis).astype(
                x.dtype
            ),
        )


@parametrize_class(slope=[0.01, 0.2, -0.5], dtype=["float16", "float32", "float64"])
class TestLeakyReLU(FunctionTestCase):
    function = staticmethod(nf.leaky_relu)
    kinks = (0.0,)

    def inputs(self, rng):
        return (rng.uniform(-3, 3, (3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"negative_slope": self.slope}

    def expected(self, x):
        x64 = _f64(x)
        return (np.where(x64 >= 0, x64, self.slope * x64).astype(x.dtype),)


def test_leaky_relu_integer_gives_float32():
    y = nf.leaky_relu(np.array([-2, 3]), 0.5)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [-1.0, 3.0])


def _prelu_ref(x, a_full):
    x64 = _f64(x)
    return np.where(x64 >= 0, x64, _f64(a_full) * x64)


@parametrize_class(form=["broadcast", "scalar", "shared_compact", "shared_full"])
class TestPReLU(FunctionTestCase):
    function = staticmethod(nf.prelu)
    kinks = (0.0,)
    dtype = "float64"

    def inputs(self, rng):
        x = rng.uniform(-3, 3, (2, 3, 4, 5))
        a = {
            "broadcast": rng.uniform(0, 1, (3, 1, 1)),
            "scalar": np.array(0.25),
            "shared_compact": rng.uniform(0, 1, (3,)),
            "shared_full": rng.uniform(0, 1, (3, 1, 5)),
        }[self.form]
        return (x, a)

    def kwargs(self):
        return {
            "broadcast": {},
            "scalar": {},
            "shared_compact": {"shared_axes": [2, 3]},
            "shared_full": {"shared_axes": (2,)},
        }[self.form]

    def expected(self, x, a):
        if self.form == "shared_compact":
            a = a.reshape(1, 3, 1, 1)
        elif self.form == "shared_full":
            a = a.reshape(1, 3, 1, 5)
        return (_prelu_ref(x, a).astype(x.dtype),)


BAD = [
    (
        nf.prelu,
        (np.ones((2, 3, 4)), np.ones((5,))),
        {},
        nf.ShapeError,
        "prelu: `alpha` must broadcast to the shape of `x` (or use shared_axes); "
        "received alpha.shape=(5,), x.shape=(2, 3, 4).",
    ),
    (
        nf.prelu,
        (np.ones((2, 3, 4)), np.ones((4,))),
        {"shared_axes": [2]},
        nf.ShapeError,
        "prelu: `alpha` must have shape x.shape[1:] with 1 on the shared axes, or the sizes "
        "of the non-shared axes; received alpha.shape=(4,), x.shape=(2, 3, 4), "
        "shared_axes=(2,).",
    ),
    (
        nf.prelu,
        (np.ones((2, 3, 4)), np.ones((3,))),
        {"shared_axes": [3]},
        nf.ShapeError,
        "prelu: `shared_axes` must hold distinct axes in [1, 3) (axis 0 is the batch axis); "
        "received shared_axes=(3,), x.shape=(2, 3, 4).",
    ),
    (
        nf.prelu,
        (np.ones((2, 3, 4)), np.ones((3,))),
        {"shared_axes": [0]},
        nf.ShapeError,
        "prelu: `shared_axes` must hold distinct axes in [1, 3) (axis 0 is the batch axis); "
        "received shared_axes=(0,), x.shape=(2, 3, 4).",
    ),
    (
        nf.prelu,
        (np.ones((2, 3)), np.ones((3,), np.int64)),
        {},
        nf.DTypeError,
        "prelu: `alpha` must have a floating dtype; received alpha.dtype=int64.",
    ),
    (
        nf.relu,
        (np.ones(3),),
        {"threshold": "a"},
        nf.ArgumentError,
        "relu: `threshold` must be a real number; received threshold='a'.",
    ),
    (
        nf.leaky_relu,
        (np.ones(3),),
        {"negative_slope": float("nan")},
        nf.ArgumentError,
        "leaky_relu: `negative_slope` must be finite; received negative_slope=nan.",
    ),
    (
        nf.crelu,
        (np.ones((2, 3)),),
        {"axis": 2},
        nf.ShapeError,
        "crelu: `axis` must be in [-2, 2) for an input of rank 2; received axis=2.",
    ),
]


@pytest.mark.parametrize("fn, inputs, kwargs, exc, message", BAD)
def test_bad_input(fn, inputs, kwargs, exc, message):
    if fn in (nf.relu, nf.leaky_relu):
        with pytest.raises(exc, match=re.escape(message)):
            fn(*inputs, **kwargs)
    else:
        assert_raises_both_modes(fn, inputs, kwargs, exc, message)


def test_relu6_lower_must_be_real():
    with pytest.raises(nf.ArgumentError, match=re.escape("relu6: `lower` must be a real")):
        nf.relu6(np.ones(2), lower=None)
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape("relu6: `lower` must be in (-inf, 6]; received lower=6.5."),
    ):
        nf.relu6(np.ones(2), lower=6.5)


def test_kink_gradients():
    x = nf.Variable(np.array([0.0, 6.0, -1.0, 3.0]), requires_grad=True)
    nf.sum(nf.relu6(x)).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0, 1.0])
    x = nf.Variable(np.array([0.0, -1.0]), requires_grad=True)
    nf.sum(nf.leaky_relu(x, 0.1)).backward()
    np.testing.assert_allclose(x.grad, [1.0, 0.1])
    x = nf.Variable(np.array([1.0, 0.5, 2.0]), requires_grad=True)
    nf.sum(nf.relu(x, threshold=1.0)).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


@pytest.mark.oracle
def test_prelu_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    a = rng.uniform(0, 1, (3,))
    y = nf.prelu(x, a, shared_axes=[2])
    ref = torch.nn.functional.prelu(torch.from_numpy(x), torch.from_numpy(a)).numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-12)
