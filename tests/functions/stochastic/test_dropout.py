import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def dropout_ref(x, rate, seed, noise_shape=None):
    shape = x.shape if noise_shape is None else noise_shape
    u = np.random.default_rng(seed).random(shape)
    keep = np.broadcast_to(u >= rate, x.shape)
    return np.where(keep, x.astype(np.float64) / (1 - rate), 0)


@parametrize_class(
    rate=[0.0, 0.3, 0.8], noise=[None, (1, 4), (3, 1)], dtype=["float16", "float32", "float64"]
)
class TestDropout(FunctionTestCase):
    function = staticmethod(nf.dropout)

    def inputs(self, rng):
        return (rng.standard_normal((3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"rate": self.rate, "noise_shape": self.noise, "seed": 42}

    def expected(self, x):
        return (dropout_ref(x, self.rate, 42, self.noise).astype(x.dtype),)


def test_same_seed_same_mask_and_gradient_uses_the_mask():
    x = np.ones((50, 40))
    a = nf.dropout(x, 0.5, seed=7)
    b = nf.dropout(x, 0.5, seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nf.dropout(x, 0.5, seed=8))
    v = nf.Variable(x, requires_grad=True)
    y = nf.dropout(v, 0.5, seed=7)
    nf.sum(y).backward()
    np.testing.assert_array_equal(v.grad, a)
    frac = (a == 0).mean()
    assert 0.4 < frac < 0.6


def test_unseeded_masks_differ_and_graph_gradient_matches_its_run():
    x = np.ones((30, 30))
    assert not np.array_equal(nf.dropout(x, 0.5), nf.dropout(x, 0.5))
    g = nf.Graph()
    p = g.placeholder("x", (None, 30), np.float64)
    y = nf.dropout(p, 0.5)
    (gx,) = g.grad(nf.sum(y), [p])
    yv, gv = g.run([y, gx], {"x": x})
    np.testing.assert_array_equal(yv, gv)


def test_integer_input_gives_float32():
    y = nf.dropout(np.array([1, 2, 3]), 0.0, seed=0)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [1, 2, 3])


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        ({"rate": 1.0}, nf.ArgumentError, "dropout: `rate` must be in [0, 1); received rate=1.0."),
        (
            {"rate": -0.1},
            nf.ArgumentError,
            "dropout: `rate` must be in [0, 1); received rate=-0.1.",
        ),
        (
            {"rate": 0.5, "seed": -2},
            nf.ArgumentError,
            "dropout: `seed` must be None, -1, a non-negative int or a Generator; received "
            "seed=-2.",
        ),
        (
            {"rate": 0.5, "noise_shape": "ab"},
            nf.ArgumentError,
            "dropout: `noise_shape` must be None or a sequence of non-negative ints; received "
            "noise_shape='ab'.",
        ),
        (
            {"rate": 0.5, "noise_shape": [-1, 3]},
            nf.ArgumentError,
            "dropout: `noise_shape` must be None or a sequence of non-negative ints; received "
            "noise_shape=[-1, 3].",
        ),
    ],
)
def test_bad_arguments(kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        nf.dropout(np.ones((2, 3)), **kwargs)


def test_bad_noise_shape():
    assert_raises_both_modes(
        lambda x, **k: nf.dropout(x, 0.5, noise_shape=(2, 2), **k),
        (np.ones((2, 3)),),
        {},
        nf.ShapeError,
        "dropout: `noise_shape` must broadcast to the shape of `x` (each entry 1 or the size of "
        "x); received noise_shape=(2, 2), x.shape=(2, 3).",
    )


def test_seeded_mask_is_the_same_at_every_graph_run():
    x = np.arange(1.0, 41.0).reshape(4, 10)
    g = nf.Graph()
    p = g.placeholder("x", (None, 10), np.float64)
    y = nf.dropout(p, 0.5, noise_shape=(None, 10), seed=21)
    (gx,) = g.grad(nf.sum(y * y), [p])
    a, ga = g.run([y, gx], {"x": x})
    b, gb = g.run([y, gx], {"x": x})
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, nf.dropout(x, 0.5, seed=21))
    np.testing.assert_array_equal(ga, gb)
    np.testing.assert_allclose(ga, 2 * a * (a != 0) / 0.5)  # d(y^2)/dx = 2 y * mask
    # a Generator is advanced by each run: fresh masks, each with its own gradient
    y2 = nf.dropout(p, 0.5, seed=np.random.default_rng(0))
    assert not np.array_equal(g.run(y2, {"x": x}), g.run(y2, {"x": x}))


@pytest.mark.parametrize("rate", [1.0, -0.1, float("inf")])
def test_rate_checked_before_any_graph_node(rate):
    word = "be finite" if rate == float("inf") else "be in [0, 1)"
    message = f"dropout: `rate` must {word}; received rate={rate}."
    g = nf.Graph()
    with pytest.raises(nf.ArgumentError, match=re.escape(message)):
        nf.dropout(g.placeholder("x", (2, 3)), rate, name="d")


def test_tensor_rate_is_read_when_the_function_runs():
    x = np.arange(1.0, 21.0, dtype=np.float32).reshape(4, 5)
    r = nf.Variable(np.array(0.5, np.float32))
    np.testing.assert_array_equal(nf.dropout(x, r, seed=3).data, nf.dropout(x, 0.5, seed=3))
    g = nf.Graph()
    p = g.placeholder("x", (None, 5))
    rate = g.placeholder("rate", ())
    y = nf.dropout(p, rate, seed=3, name="drop")
    (gx,) = g.grad(nf.sum(y), [p])
    for value in (0.0, 0.5, 0.25):
        feeds = {"x": x, "rate": np.array(value, np.float32)}
        out, grad = g.run([y, gx], feeds)
        np.testing.assert_array_equal(out, nf.dropout(x, value, seed=3))
        np.testing.assert_array_equal(grad, (out != 0) / np.float32(1 - value))
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape("dropout (node 'drop'): `rate` must be in [0, 1); received rate=1.0."),
    ):
        g.run(y, {"x": x, "rate": np.array(1.0, np.float32)})
    with pytest.raises(
        nf.ArgumentError, match=re.escape("dropout: `rate` must be in [0, 1); received rate=nan.")
    ):
        nf.dropout(x, nf.Variable(np.array(np.nan)))


def test_tensor_rate_must_be_0d_and_a_0d_array_is_a_number():
    assert_raises_both_modes(
        lambda x, r, **k: nf.dropout(x, r, **k),
        (np.ones(3), np.array([0.5, 0.5])),
        {},
        nf.ShapeError,
        "dropout: `rate` must be a scalar (0-d); received rate.shape=(2,).",
    )
    # a 0-d array is a number, checked at once (before any graph node exists)
    with pytest.raises(
        nf.ArgumentError, match=re.escape("dropout: `rate` must be in [0, 1); received rate=2.0.")
    ):
        nf.dropout(nf.Graph().placeholder("x", (3,)), np.array(2.0), name="d")


def test_tensor_rate_of_a_complex_dtype():
    g = nf.Graph()
    with pytest.raises(
        nf.DTypeError,
        match=re.escape(
            "dropout (node 'd'): `rate` must have a real dtype; received rate.dtype=complex64."
        ),
    ):
        nf.dropout(g.placeholder("x", (3,)), g.placeholder("r", (), np.complex64), name="d")
