import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import samediff

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
    with pytest.raises(nf.ShapeError, match="linear: `weight` must have as many rows"):
        samediff.nn.linear(x, np.ones((3, 2)), None)


def test_prelu_shared_axes():
    x = -np.ones((2, 3, 2, 2))
    a = np.array([0.1, 0.2, 0.3])
    y = samediff.nn.prelu(x, a, [2, 3])
    np.testing.assert_allclose(y, -a[None, :, None, None] * np.ones_like(x))
    with pytest.raises(nf.ShapeError, match="prelu: `shared_axes` must hold distinct axes"):
        samediff.nn.prelu(x, a, [4])


def test_dropout_retain_probability():
    y = samediff.nn.dropout(np.ones((50, 50)), 0.8)
    assert set(np.unique(y)) <= {0.0, 1.25}
    with pytest.raises(ValueError, match=r"inputRetainProbability` must be in \(0, 1\]"):
        samediff.nn.dropout(np.ones(3), 0.0)
