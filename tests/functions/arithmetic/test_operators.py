"""The operators of Variables and symbolic variables route through the canonical functions."""

import numpy as np
import pytest

import nnfunc as nf

X = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.5]])
W = np.array([[1.0, 0.0], [2.0, -1.0], [0.5, 3.0]])

CASES = [
    ("x + 1", lambda x, w: x + 1, "add", X + 1),
    ("1 + x", lambda x, w: 1 + x, "add", 1 + X),
    ("x - 1", lambda x, w: x - 1, "sub", X - 1),
    ("1 - x", lambda x, w: 1 - x, "sub", 1 - X),
    ("x * 2", lambda x, w: x * 2, "mul", X * 2),
    ("x / 2", lambda x, w: x / 2, "div", X / 2),
    ("2 / x", lambda x, w: 2 / (x + 4), "div", 2 / (X + 4)),
    ("x ** 2", lambda x, w: x**2, "pow", X**2),
    ("2 ** x", lambda x, w: 2**x, "pow", 2**X),
    ("-x", lambda x, w: -x, "neg", -X),
    ("x @ w", lambda x, w: x @ w, "matmul", X @ W),
    ("x[idx]", lambda x, w: x[[1, 0, 1], 2], "getitem", X[[1, 0, 1], 2]),
    ("x[slice]", lambda x, w: x[:, ::-1], "getitem", X[:, ::-1]),
    ("x > 0", lambda x, w: x > 0, "greater", X > 0),
    ("x >= 0", lambda x, w: x >= 0, "greater_equal", X >= 0),
    ("x < 0", lambda x, w: x < 0, "less", X < 0),
    ("x <= 0", lambda x, w: x <= 0, "less_equal", X <= 0),
    ("x == 0", lambda x, w: x == 0, "equal", X == 0),
    ("x != 0", lambda x, w: x != 0, "not_equal", X != 0),
]


@pytest.mark.parametrize("label, expr, op, expected", CASES, ids=[c[0] for c in CASES])
def test_variable_operator_routes_through_the_function(label, expr, op, expected):
    x = nf.Variable(X, requires_grad=True)
    y = expr(x, nf.Variable(W))
    assert isinstance(y, nf.Variable)
    assert y.creator is not None and y.creator.op_name == op, label
    np.testing.assert_array_equal(y.data, expected)


@pytest.mark.parametrize("label, expr, op, expected", CASES, ids=[c[0] for c in CASES])
def test_symbolic_operator_adds_the_function_node(label, expr, op, expected):
    g = nf.Graph()
    x = g.placeholder("x", X.shape, X.dtype)
    w = g.placeholder("w", W.shape, W.dtype)
    y = expr(x, w)
    assert y.op == op, label
    np.testing.assert_array_equal(g.run(y, {"x": X, "w": W}), expected)


def test_operator_gradients_are_those_of_the_functions():
    x = nf.Variable(X, requires_grad=True)
    w = nf.Variable(W, requires_grad=True)
    loss = nf.sum((2**x) @ w) + nf.sum(x[[1, 1], 0] * 3.0)
    gx, gw = nf.grad(loss, [x, w])
    expected_gx = np.log(2) * 2**X * W.sum(axis=1)
    expected_gx[1, 0] += 6.0  # the repeated index accumulates
    np.testing.assert_allclose(gx.data, expected_gx, rtol=1e-12)
    np.testing.assert_allclose(gw.data, (2**X).sum(axis=0)[:, None] * np.ones((1, 2)), rtol=1e-12)
