import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def masked_softmax_ref(x, mask, axis):
    x = x.astype(np.float64)
    mask = np.broadcast_to(mask, x.shape)
    out = np.zeros_like(x)
    xm, mm, om = (np.moveaxis(a, axis, -1) for a in (x, mask, out))
    for idx in np.ndindex(xm.shape[:-1]):
        keep = mm[idx]
        if keep.any():
            v = xm[idx][keep]
            e = np.exp(v - v.max())
            om[idx][keep] = e / e.sum()
    return out


def masked_log_softmax_ref(x, mask, axis):
    p = masked_softmax_ref(x, mask, axis)
    mask = np.broadcast_to(mask, x.shape)
    return np.where(mask, np.log(np.where(mask, p, 1)), 0)


def _mask(rng, shape):
    m = rng.uniform(size=shape) > 0.4
    m[0] = False  # one fully masked slice (or row) in every case
    return m


@parametrize_class(
    which=["softmax", "log_softmax"],
    axis=[-1, 0],
    mask_shape=["full", "broadcast"],
    dtype=["float16", "float32", "float64"],
)
class TestMaskedSoftmax(FunctionTestCase):
    symbolic_dims = (1,)

    @property
    def function(self):
        return nf.softmax if self.which == "softmax" else nf.log_softmax

    def _call(self, *args, **extra):
        fn = nf.softmax if self.which == "softmax" else nf.log_softmax
        x, mask = args
        return (fn(x, self.axis, mask, **extra),)

    def inputs(self, rng):
        x = rng.normal(0, 3, (4, 5)).astype(self.dtype)
        shape = (4, 5) if self.mask_shape == "full" else ((4, 1) if self.axis == -1 else (1, 5))
        if self.axis == 0 and self.mask_shape == "full":
            m = _mask(rng, (5, 4)).T.copy()
        else:
            m = _mask(rng, shape)
        return (x, m)

    def expected(self, x, mask):
        ref = masked_softmax_ref if self.which == "softmax" else masked_log_softmax_ref
        return (ref(x, mask, self.axis).astype(x.dtype),)


def test_fully_masked_slice_gives_zero_and_zero_gradient():
    x = nf.Variable(np.array([[1.0, 2.0], [3.0, -np.inf]]), requires_grad=True)
    mask = np.array([[False, False], [True, False]])
    for fn in (nf.softmax, nf.log_softmax):
        y = fn(x, where=mask)
        np.testing.assert_array_equal(y.data, [[0.0, 0.0], [1.0 if fn is nf.softmax else 0, 0]])
        (g,) = nf.grad(nf.sum(y * np.array([[1.0, 2.0], [3.0, 4.0]])), [x])
        assert np.all(np.isfinite(g.data))
        np.testing.assert_array_equal(g.data, np.zeros((2, 2)))


@pytest.mark.parametrize(
    "fn, inputs, exc, message",
    [
        (
            nf.softmax,
            (np.ones((2, 3)), np.ones((2, 3))),
            nf.DTypeError,
            "softmax: `where` must have dtype bool; received where.dtype=float64.",
        ),
        (
            nf.log_softmax,
            (np.ones((2, 3)), np.ones((2, 2, 3), bool)),
            nf.ShapeError,
            "log_softmax: `where` must broadcast to the shape of `x`; received "
            "where.shape=(2, 2, 3), x.shape=(2, 3).",
        ),
        (
            nf.softmax,
            (np.ones((2, 3)), np.ones((2, 2), bool)),
            nf.ShapeError,
            "softmax: `where` must broadcast to the shape of `x`; received where.shape=(2, 2), "
            "x.shape=(2, 3).",
        ),
    ],
)
def test_bad_mask(fn, inputs, exc, message):
    assert_raises_both_modes(lambda x, m, **k: fn(x, -1, m, **k), inputs, {}, exc, message)


def test_axis_out_of_range():
    with pytest.raises(
        nf.ShapeError,
        match=re.escape(
            "softmax: `axis` must be in [-2, 2) for an input of rank 2; received axis=2."
        ),
    ):
        nf.softmax(np.ones((2, 3)), axis=2)


def test_integer_input_gives_float32():
    assert nf.softmax(np.array([1, 2, 3])).dtype == np.float32
    assert nf.log_softmax(np.array([1, 2, 3])).dtype == np.float32


def test_log_softmax_backward_formula():
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    v = nf.Variable(x, requires_grad=True)
    nf.sum(nf.log_softmax(v) * g).backward()
    p = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    np.testing.assert_allclose(v.grad, g - p * g.sum(-1, keepdims=True), rtol=1e-12)
