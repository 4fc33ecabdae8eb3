"""SameDiff nn.pad(input, padding, constant)."""

import inspect
import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import samediff


def pad_ref(x, padding, constant):
    shape = tuple(n + a + b for n, (a, b) in zip(x.shape, padding))
    out = np.full(shape, constant, x.dtype)
    for pos in np.ndindex(x.shape):
        out[tuple(p + a for p, (a, _) in zip(pos, padding))] = x[pos]
    return out


def test_pad_signature():
    params = list(inspect.signature(samediff.nn.pad).parameters)
    assert params == ["input", "padding", "constant", "name"]
    assert (
        inspect.signature(samediff.nn.pad).parameters["constant"].default is inspect.Parameter.empty
    )


@pytest.mark.parametrize("padding", [[[1, 0], [0, 2]], [[0, 0], [3, 1]], [[2, 2], [0, 0]]])
def test_pad_values(padding):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = samediff.nn.pad(x, np.array(padding), -1.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, pad_ref(x, padding, -1.5))


def test_pad_graph_with_constant_padding_and_gradient():
    g = nf.Graph()
    x = g.placeholder("x", (2, 2), np.float64)
    p = g.constant(np.array([[1, 0], [0, 1]]))
    y = samediff.nn.pad(x, p, 0.0, name="y")
    assert g["y"] is y and y.shape == (3, 3)
    (gx,) = g.grad(nf.sum(y * 2.0), [x])
    np.testing.assert_array_equal(g.run(gx, {"x": np.ones((2, 2))}), np.full((2, 2), 2.0))


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: samediff.nn.pad(np.ones((2, 3)), np.array([1, 1]), 0.0),
            nf.ShapeError,
            "pad: `padding` must have shape [rank, 2] for the input's rank; "
            "received padding.shape=(2,), input.shape=(2, 3).",
        ),
        (
            lambda: samediff.nn.pad(np.ones(2), np.array([[-1, 0]]), 0.0),
            nf.ArgumentError,
            "pad: `padding` must hold non-negative integers; received padding=[[-1, 0]].",
        ),
        (
            lambda: samediff.nn.pad(np.ones(2), np.array([[0.5, 0.0]]), 0.0),
            nf.ArgumentError,
            "pad: `padding` must hold non-negative integers; received padding=[[0.5, 0.0]].",
        ),
    ],
)
def test_pad_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


def test_pad_computed_padding_is_unsupported():
    g = nf.Graph()
    p = nf.add(g.placeholder("p", (1, 2), np.int64), 1)
    with pytest.raises(nf.UnsupportedError, match=re.escape("pad: `padding` must be an array")):
        samediff.nn.pad(g.placeholder("x", (3,)), p, 0.0)


def test_pad_float_padding_with_integral_values_is_accepted():
    out = samediff.nn.pad(np.ones(2, np.float32), np.array([[1.0, 2.0]]), 3.0)
    np.testing.assert_array_equal(out, [3.0, 1.0, 1.0, 3.0, 3.0])
