import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import samediff
from nnfunc.testing import assert_raises_both_modes

from ._signatures import java_params, our_params, rows

ROWS = rows("samediff-nn")


@pytest.mark.parametrize("row", ROWS, ids=[r["name_in_seed"] + r["signature"][:60] for r in ROWS])
def test_argument_names_and_order_match_the_page(row):
    fn = getattr(samediff.nn, row["name_in_seed"])
    ours = our_params(fn)
    for form in java_params(row["signature"]):
        assert [n for n, _ in ours][: len(form)] == form
        # arguments the page leaves out of an overload must have defaults here
        assert all(d is not inspect_empty() for _, d in ours[len(form) :])


def inspect_empty():
    import inspect

    return inspect.Parameter.empty


def test_relu_cutoff_decision_and_relu6_clamp():
    x = np.array([-1.0, 0.5, 1.0, 2.0])
    np.testing.assert_array_equal(samediff.nn.relu(x, 1.0), [0.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(samediff.nn.relu6(x, 0.5), [0.5, 0.5, 1.0, 2.0])


def test_selu_is_corrected():
    x = np.array([-1.0, 1.0])
    s, a = 1.0507009873554805, 1.6732632423543772
    np.testing.assert_allclose(samediff.nn.selu(x), [s * a * np.expm1(-1.0), s])


def test_gelu_is_the_sigmoid_form():
    x = np.array([-1.0, 2.0])
    np.testing.assert_allclose(samediff.nn.gelu(x), x / (1 + np.exp(-1.702 * x)))


def test_values():
    x = np.array([[-2.0, 0.5], [1.5, -0.25]])
    np.testing.assert_allclose(samediff.nn.leakyRelu(x, 0.01), np.where(x >= 0, x, 0.01 * x))
    np.testing.assert_allclose(samediff.nn.leakyReluDerivative(x, 0.3), np.where(x >= 0, 1, 0.3))
    np.testing.assert_allclose(samediff.nn.hardTanhDerivative(x), np.abs(x) < 1)
    np.testing.assert_allclose(samediff.nn.softsignDerivative(x), 1 / (1 + np.abs(x)) ** 2)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(samediff.nn.sigmoidDerivative(x, 2 * x), 2 * x * s * (1 - s))
    np.testing.assert_allclose(samediff.nn.logSigmoid(x), np.log(s))
    np.testing.assert_allclose(samediff.nn.swish(x), x * s)
    np.testing.assert_allclose(samediff.nn.hardSigmoid(x), np.clip(0.2 * x + 0.5, 0, 1))
    np.testing.assert_allclose(samediff.nn.hardTanh(x), np.clip(x, -1, 1))
    np.testing.assert_allclose(samediff.nn.elu(x), np.where(x > 0, x, np.expm1(x)))
    e = np.exp(x - x.max(0))
    np.testing.assert_allclose(samediff.nn.softmax(x, 0), e / e.sum(0))
    np.testing.assert_allclose(samediff.nn.logSoftmax(x, 0), np.log(e / e.sum(0)))
    np.testing.assert_allclose(samediff.nn.logSoftmax(x), nf.log_softmax(x, -1))
    y = e / e.sum(0)
    w = np.ones_like(x) * [[1.0, 0.0]]
    np.testing.assert_allclose(samediff.nn.softmaxDerivative(x, w, 0), y * (w - (w * y).sum(0)))


def test_dense_and_bias():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    np.testing.assert_allclose(samediff.nn.linear(x, w, b), x @ w + b)
    np.testing.assert_allclose(samediff.nn.linear(x, w, None), x @ w)
    np.testing.assert_allclose(samediff.nn.reluLayer(x, w, b), np.maximum(x @ w + b, 0))
    v = np.zeros((2, 3, 4, 4))
    np.testing.assert_array_equal(
        samediff.nn.biasAdd(v, np.arange(3.0), True), v + np.arange(3.0)[:, None, None]
    )
    np.testing.assert_array_equal(samediff.nn.biasAdd(v, np.arange(4.0), False), v + np.arange(4.0))
    np.testing.assert_array_equal(
        samediff.nn.biasAdd(np.zeros((2, 3)), np.arange(3.0), True), np.zeros((2, 3)) + np.arange(3)
    )


def test_prelu_shared_axes():
    x = -np.ones((2, 3, 2, 2))
    a = np.array([0.1, 0.2, 0.3])
    y = samediff.nn.prelu(x, a, [2, 3])
    np.testing.assert_allclose(y, -a[None, :, None, None] * np.ones_like(x))
    np.testing.assert_allclose(samediff.nn.prelu(x, a.reshape(3, 1, 1), [2, 3]), y)


def test_dropout_retain_probability():
    y = samediff.nn.dropout(np.ones((50, 50)), 0.8)
    assert set(np.unique(y)) <= {0.0, 1.25}
    with pytest.raises(ValueError, match=r"inputRetainProbability` must be in \(0, 1\]"):
        samediff.nn.dropout(np.ones(3), 0.0)


def _vjp(fn, x, w, graph=False):
    """The gradient of sum(fn(x) * w) with respect to x (eager, or through Graph.grad)."""
    if not graph:
        v = nf.Variable(x, requires_grad=True)
        nf.sum(fn(v) * w).backward()
        return v.grad
    g = nf.Graph()
    p = g.placeholder("x", x.shape, x.dtype)
    (gx,) = g.grad(nf.sum(fn(p) * w), [p])
    return g.run(gx, {"x": x})


@pytest.mark.parametrize("graph", [False, True])
def test_derivative_ops_equal_the_gradients_of_their_functions(graph):
    sd = samediff.nn
    # kinks included: -1 and 1 for hardTanh, 0 for leakyRelu and softsign
    x = np.array([[-2.0, -1.0, -0.3, 0.0], [0.4, 1.0, 2.5, -0.7]])
    w = np.random.default_rng(0).standard_normal(x.shape)
    one = np.ones_like(x)
    np.testing.assert_array_equal(sd.hardTanhDerivative(x), _vjp(sd.hardTanh, x, one, graph))
    np.testing.assert_allclose(
        sd.leakyReluDerivative(x, 0.2), _vjp(lambda v: sd.leakyRelu(v, 0.2), x, one, graph)
    )
    np.testing.assert_allclose(
        sd.softsignDerivative(x), _vjp(sd.softsign, x, one, graph), rtol=1e-15
    )
    # the two vector-Jacobian forms: wrt is the gradient at the OUTPUT
    np.testing.assert_allclose(sd.sigmoidDerivative(x, w), _vjp(sd.sigmoid, x, w, graph))
    for dim in (0, 1, -1):
        np.testing.assert_allclose(
            sd.softmaxDerivative(x, w, dim),
            _vjp(lambda v, d=dim: sd.softmax(v, d), x, w, graph),
            rtol=1e-12,
            atol=1e-15,
        )


BAD = [
    (
        samediff.nn.prelu,
        (-np.ones((2, 3)), np.array([0.1, 0.2, 0.3]), []),
        nf.ArgumentError,
        "prelu: `sharedAxes` must hold at least one axis; received sharedAxes=[].",
    ),
    (
        samediff.nn.prelu,
        (-np.ones((2, 3, 4)), np.array([0.1, 0.2, 0.3]), [3]),
        nf.ShapeError,
        "prelu: `sharedAxes` must hold distinct axes in [1, 3) (axis 0 is the batch axis); "
        "received sharedAxes=[3], input.shape=(2, 3, 4).",
    ),
    (
        samediff.nn.prelu,
        (-np.ones((2, 3, 4)), np.array([0.1, 0.2, 0.3]), [0]),
        nf.ShapeError,
        "prelu: `sharedAxes` must hold distinct axes in [1, 3) (axis 0 is the batch axis); "
        "received sharedAxes=[0], input.shape=(2, 3, 4).",
    ),
    (
        samediff.nn.prelu,
        (-np.ones((2, 3, 4)), np.array([0.1, 0.2, 0.3]), [2, 2]),
        nf.ShapeError,
        "prelu: `sharedAxes` must hold distinct axes in [1, 3) (axis 0 is the batch axis); "
        "received sharedAxes=[2, 2], input.shape=(2, 3, 4).",
    ),
    (
        samediff.nn.prelu,
        (-np.ones((2, 3, 4)), np.ones(4), [2]),
        nf.ShapeError,
        "prelu: `alpha` must have the sizes of the axes of `input` not in sharedAxes (or "
        "input.shape[1:] with 1 on the shared axes); received alpha.shape=(4,), "
        "input.shape=(2, 3, 4), sharedAxes=[2].",
    ),
    (
        samediff.nn.prelu,
        (-np.ones((2, 3)), np.ones(3), 1.5),
        nf.ArgumentError,
        "prelu: `sharedAxes` must be a sequence of ints; received sharedAxes=1.5.",
    ),
    (
        samediff.nn.linear,
        (np.ones((2, 3)), np.ones((4, 5)), None),
        nf.ShapeError,
        "linear: `weights` must have as many rows (nIn) as `input` has columns; received "
        "weights.shape=(4, 5), input.shape=(2, 3).",
    ),
    (
        samediff.nn.linear,
        (np.ones((2, 3)), np.ones((3, 5, 1)), None),
        nf.ShapeError,
        "linear: `weights` must have rank 2; received weights.shape=(3, 5, 1).",
    ),
    (
        samediff.nn.linear,
        (np.ones((2, 3)), np.ones((3, 5)), np.ones(4)),
        nf.ShapeError,
        "linear: `bias` must have shape [nOut] (weights.shape[1]); received bias.shape=(4,), "
        "weights.shape=(3, 5).",
    ),
    (
        samediff.nn.reluLayer,
        (np.ones((2, 3)), np.ones((4, 5)), None),
        nf.ShapeError,
        "relu_layer: `weights` must have as many rows (nIn) as `input` has columns; received "
        "weights.shape=(4, 5), input.shape=(2, 3).",
    ),
    (
        samediff.nn.biasAdd,
        (np.ones((2, 3, 4)), np.ones(4), True),
        nf.ShapeError,
        "bias_add: `bias` must have the size of the channel axis 1 of `input`; received "
        "bias.shape=(4,), input.shape=(2, 3, 4).",
    ),
    (
        samediff.nn.biasAdd,
        (np.ones((2, 3, 4)), np.ones((4, 1)), False),
        nf.ShapeError,
        "bias_add: `bias` must have rank 1; received bias.shape=(4, 1).",
    ),
    (
        samediff.nn.biasAdd,
        (np.ones((2, 3)), np.ones(3, np.float32), False),
        nf.DTypeError,
        "bias_add: `input` and `bias` must have the same dtype; received input.dtype=float64, "
        "bias.dtype=float32.",
    ),
    (
        samediff.nn.biasAdd,
        (np.ones((2, 3)), np.ones(3), "nchw"),
        nf.ArgumentError,
        "bias_add: `nchw` must be a bool; received nchw='nchw'.",
    ),
    (
        samediff.nn.softmax,
        (np.ones((2, 3)), 2),
        nf.ShapeError,
        "softmax: `dimension` must be in [-2, 2) for an input of rank 2; received dimension=2.",
    ),
    (
        samediff.nn.logSoftmax,
        (np.ones((2, 3)), -3),
        nf.ShapeError,
        "log_softmax: `dimension` must be in [-2, 2) for an input of rank 2; received "
        "dimension=-3.",
    ),
    (
        samediff.nn.softmaxDerivative,
        (np.ones((2, 3)), np.ones((2, 3)), 2),
        nf.ShapeError,
        "softmax_derivative: `dimension` must be in [-2, 2) for an input of rank 2; received "
        "dimension=2.",
    ),
    (
        samediff.nn.sigmoidDerivative,
        (np.ones((2, 3)), np.ones((3,))),
        nf.ShapeError,
        "sigmoid_derivative: `wrt` must have the shape of `x`; received wrt.shape=(3,), "
        "x.shape=(2, 3).",
    ),
]


@pytest.mark.parametrize("fn, inputs, exc, message", BAD, ids=[b[-1][:40] for b in BAD])
def test_bad_input(fn, inputs, exc, message):
    assert_raises_both_modes(fn, inputs, {}, exc, message)


@pytest.mark.parametrize("p", [0.0, -0.1, 1.5, float("nan")])
def test_dropout_retain_probability_range(p):
    """(0, 1]: checked on the number itself, so graph mode gives the same message."""
    word = "be finite" if p != p else "be in (0, 1]"
    message = f"dropout: `inputRetainProbability` must {word}; received inputRetainProbability={p}."
    with pytest.raises(nf.ArgumentError, match=re.escape(message)):
        samediff.nn.dropout(np.ones(3), p)
    g = nf.Graph()
    with pytest.raises(nf.ArgumentError, match=re.escape(message)):
        samediff.nn.dropout(g.placeholder("x", (None, 3)), p, name="d")


def test_dropout_scales_kept_values_and_gradient_uses_the_mask():
    x = np.arange(1.0, 2001.0)
    v = nf.Variable(x, requires_grad=True)
    y = samediff.nn.dropout(v, 0.75)
    nf.sum(y).backward()
    kept = y.data != 0
    np.testing.assert_allclose(y.data[kept], x[kept] / 0.75)
    np.testing.assert_allclose(v.grad, np.where(kept, 1 / 0.75, 0.0))
    assert 0.7 < kept.mean() < 0.8


def _graph_equals_eager(fn, args, kwargs):
    """Graph mode (unknown leading dimension of the first input, named node) equals eager."""
    eager = fn(*args, **kwargs)
    g = nf.Graph()
    sargs, feeds = [], {}
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray) and a.ndim > 0:
            shape = (None, *a.shape[1:]) if i == 0 else a.shape
            sargs.append(g.placeholder(f"in{i}", shape, a.dtype))
            feeds[f"in{i}"] = a
        else:
            sargs.append(a)
    out = fn(*sargs, **kwargs, name="n")
    assert g["n"] is out
    got = g.run(out, feeds)
    assert got.dtype == eager.dtype and got.shape == eager.shape
    np.testing.assert_allclose(got, eager, rtol=1e-12, atol=1e-14)


_X = np.random.default_rng(0).standard_normal((2, 3, 4))
_I = np.array([[0, 2, 1], [1, 1, 0]])

GRAPH_CASES = [
    (samediff.nn.relu, (_X, 0.2), {}),
    (samediff.nn.relu6, (_X, -0.2), {}),
    (samediff.nn.gelu, (_X,), {}),
    (samediff.nn.prelu, (_X, np.array([0.1, 0.2, 0.3]), [2]), {}),
    (samediff.nn.linear, (_X[0], np.ones((4, 2)), np.ones(2)), {}),
    (samediff.nn.reluLayer, (_X[0], np.ones((4, 2)), None), {}),
    (samediff.nn.biasAdd, (_X, np.arange(3.0), True), {}),
    (samediff.nn.softmax, (_X, 1), {}),
    (samediff.nn.logSoftmax, (_X,), {}),
    (samediff.nn.softmaxDerivative, (_X, 2 * _X, 1), {}),
    (samediff.nn.sigmoidDerivative, (_X, 2 * _X), {}),
    (samediff.nn.hardTanhDerivative, (_X,), {}),
    (samediff.nn.leakyReluDerivative, (_X, 0.1), {}),
    (samediff.nn.softsignDerivative, (_X,), {}),
    (samediff.nn.dropout, (_X, 1.0), {}),
]


@pytest.mark.parametrize("fn, args, kwargs", GRAPH_CASES)
def test_graph_mode_matches_eager(fn, args, kwargs):
    _graph_equals_eager(fn, args, kwargs)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: samediff.nn.relu(np.ones(2), None),
            "relu: `cutoff` must be a real number; received cutoff=None.",
        ),
        (
            lambda: samediff.nn.relu6(np.ones(2), 7.0),
            "relu6: `cutoff` must be in (-inf, 6]; received cutoff=7.0.",
        ),
        (
            lambda: samediff.nn.leakyRelu(np.ones(2), float("inf")),
            "leaky_relu: `alpha` must be finite; received alpha=inf.",
        ),
        (
            lambda: samediff.nn.leakyReluDerivative(np.ones(2), "0.1"),
            "leaky_relu_derivative: `alpha` must be a real number; received alpha='0.1'.",
        ),
    ],
)
def test_bad_scalar_arguments(call, message):
    with pytest.raises(nf.ArgumentError, match=re.escape(message)):
        call()
