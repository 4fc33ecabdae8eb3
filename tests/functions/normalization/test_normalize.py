import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def ref(x, axis, order, eps, mode):
    x64 = x.astype(np.float64)
    if mode == "squared":
        return x64 / np.sqrt(np.maximum((x64**2).sum(axis=axis, keepdims=True), eps))
    norm = (np.abs(x64) ** order).sum(axis=axis, keepdims=True) ** (1 / order)
    return x64 / np.maximum(norm, eps)


@parametrize_class(
    dtype=["float16", "float32", "float64"],
    case=[
        (-1, 2, 1e-7, "norm"),
        ((0, 1), 1, 1e-3, "norm"),
        (0, 2, 1e-12, "squared"),
        (1, 3, 0.5, "norm"),
    ],
)
class TestNormalize(FunctionTestCase):
    tolerances = {"float16": {"atol": 2e-3, "rtol": 3e-3}}  # noqa: RUF012

    @staticmethod
    def function(x, **kw):
        return nf.normalize(x, **kw)

    def kwargs(self):
        axis, order, eps, mode = self.case
        return {"axis": axis, "order": order, "eps": eps, "eps_mode": mode}

    def inputs(self, rng):
        x = rng.uniform(-2, 2, (3, 4)).astype(self.dtype)
        x[np.abs(x) < 0.05] = 0.3
        x[2] = x[2] * 1e-3  # some rows below the bound
        return (x,)

    def expected(self, x):
        axis, order, eps, mode = self.case
        return (ref(x, axis, order, eps, mode).astype(x.dtype),)


def test_keras_documented_example():
    y = nf.normalize(np.array([[1, 2, 3], [4, 5, 6]], np.float32))
    np.testing.assert_array_equal(
        y,
        np.array(
            [[0.26726124, 0.5345225, 0.8017837], [0.45584232, 0.5698029, 0.68376344]], np.float32
        ),
    )


def test_zero_vector_has_finite_gradient():
    x = nf.Variable(np.zeros((1, 3)), requires_grad=True)
    y = nf.normalize(x, eps=1e-3)
    nf.sum(y * np.array([1.0, 2.0, 3.0])).backward()
    np.testing.assert_allclose(x.grad, [[1e3, 2e3, 3e3]])
    x = nf.Variable(np.zeros((1, 3)), requires_grad=True)
    nf.sum(nf.normalize(x, order=1, eps=1e-3)).backward()
    assert np.isfinite(x.grad).all()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"order": 0}, "normalize: `order` must be positive; received order=0."),
        ({"eps": -1.0}, "normalize: `eps` must be in [0, inf); received eps=-1.0."),
        (
            {"eps_mode": "std"},
            "normalize: `eps_mode` must be one of 'norm', 'squared'; received eps_mode='std'.",
        ),
        (
            {"order": 1, "eps_mode": "squared"},
            "normalize: `order` must be 2 with eps_mode='squared'; received order=1.",
        ),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(nf.ArgumentError, match=__import__("re").escape(message)):
        nf.normalize(np.ones((2, 3)), **kwargs)


def test_bad_axis_both_modes():
    assert_raises_both_modes(
        nf.normalize,
        (np.ones((2, 3), np.float32),),
        {"axis": 2},
        nf.ShapeError,
        "normalize: `axis` must be in [-2, 2) for an input of rank 2; received axis=2.",
    )
