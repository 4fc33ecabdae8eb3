import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import samediff
from nnfunc.testing import assert_raises_both_modes


def test_batchnorm_argument_order_and_axis():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 4))
    m, v = rng.standard_normal(3), rng.uniform(1, 2, 3)
    g, b = rng.uniform(1, 2, 3), rng.standard_normal(3)
    r = lambda a: a.reshape(1, 3, 1, 1)  # noqa: E731
    ref = (x - r(m)) / np.sqrt(r(v) + 1e-4) * r(g) + r(b)
    np.testing.assert_allclose(samediff.nn.batchNorm(x, m, v, g, b, 1e-4, [1]), ref, rtol=1e-12)
    xt = np.moveaxis(x, 1, -1)
    np.testing.assert_allclose(
        samediff.nn.batchNorm(xt, m, v, g, b, 1e-4, 3), np.moveaxis(ref, 1, -1), rtol=1e-12
    )


def test_batchnorm_epsilon_required():
    with pytest.raises(TypeError):
        samediff.nn.batchNorm(np.ones((1, 2)), np.ones(2), np.ones(2), np.ones(2), np.ones(2))


def _std(x, dims):
    mu = x.mean(axis=dims, keepdims=True)
    return (x - mu) / x.std(axis=dims, keepdims=True)


def test_layernorm_both_overloads():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4, 5))
    g, b = rng.uniform(1, 2, 3), rng.standard_normal(3)
    r = lambda a: a.reshape(1, 3, 1, 1)  # noqa: E731
    ref = _std(x, (1, 2, 3)) * r(g) + r(b)
    np.testing.assert_allclose(samediff.nn.layerNorm(x, g, b, True, [1, 2, 3]), ref, rtol=1e-12)
    np.testing.assert_allclose(
        samediff.nn.layerNorm(x, g, True, [1, 2, 3]), _std(x, (1, 2, 3)) * r(g), rtol=1e-12
    )


def test_layernorm_channels_last_and_2d():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 4, 5, 3))
    g = rng.uniform(1, 2, 3)
    np.testing.assert_allclose(
        samediff.nn.layerNorm(x, g, False, [1, 2, 3]), _std(x, (1, 2, 3)) * g, rtol=1e-12
    )
    x2 = rng.standard_normal((4, 6))
    g2, b2 = rng.uniform(1, 2, 6), rng.standard_normal(6)
    np.testing.assert_allclose(
        samediff.nn.layerNorm(x2, g2, b2, True, [1]), _std(x2, (1,)) * g2 + b2, rtol=1e-12
    )


def test_layernorm_graph_name():
    g = nf.Graph()
    x = g.placeholder("x", (None, 6))
    y = samediff.nn.layerNorm(x, np.ones(6, np.float32), True, [1], name="ln")
    assert g["ln"] is y


def test_layernorm_bad_arity():
    with pytest.raises(TypeError, match="layerNorm: expected"):
        samediff.nn.layerNorm(np.ones((2, 2)), np.ones(2), [1])


def test_layernorm_constant_slice_gives_bias_as_dl4j():
    # libnd4j standardize: (x - mean) / std, then NaN -> 0 (ReplaceNans), then gain and bias
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    g, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.0, -1.0])
    with np.errstate(all="raise"):
        y = samediff.nn.layerNorm(x, g, b, True, [1])
    np.testing.assert_array_equal(y[0], b)
    np.testing.assert_allclose(y[1], _std(x[1:], (1,))[0] * g + b, rtol=1e-12)
    gr = nf.Graph()
    xs = gr.placeholder("x", (None, 3), np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        yg = gr.run(samediff.nn.layerNorm(xs, g, b, True, [1], name="ln"), {"x": x})
    np.testing.assert_array_equal(yg, y)


def test_layernorm_no_epsilon():
    # eps = 0: a tiny spread is standardized exactly (an eps of 1e-5 would shrink it)
    x = np.array([[0.0, 1e-4]])
    np.testing.assert_allclose(samediff.nn.layerNorm(x, np.ones(2), True, [1]), [[-1.0, 1.0]])


X = np.ones((2, 3, 4), np.float32)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda x, **k: samediff.nn.layerNorm(x, np.ones(4, np.float32), True, [1, 2], **k),
            nf.ShapeError,
            "layer_normalization: `gain` must have shape (3,) (the size of `input` along axis "
            "1); received gain.shape=(4,), input.shape=(2, 3, 4).",
        ),
        (
            lambda x, **k: samediff.nn.layerNorm(
                x, np.ones(4, np.float32), np.ones((1, 4), np.float32), False, [2], **k
            ),
            nf.ShapeError,
            "layer_normalization: `bias` must have shape (4,) (the size of `input` along axis "
            "2); received bias.shape=(1, 4), input.shape=(2, 3, 4).",
        ),
        (
            lambda x, **k: samediff.nn.layerNorm(x, np.ones(3, np.float32), True, [], **k),
            nf.ArgumentError,
            "layer_normalization: `dimensions` must name at least one axis; received "
            "dimensions=[].",
        ),
        (
            lambda x, **k: samediff.nn.layerNorm(x, np.ones(3, np.float32), True, [1, 3], **k),
            nf.ShapeError,
            "layer_normalization: `dimensions` must be in [-3, 3) for an input of rank 3; "
            "received dimensions=3.",
        ),
        (
            lambda x, **k: samediff.nn.layerNorm(x, np.ones(3, np.float32), True, [2, -1], **k),
            nf.ArgumentError,
            "layer_normalization: `dimensions` must not repeat an axis; received "
            "dimensions=[2, -1].",
        ),
        (
            lambda x, **k: samediff.nn.batchNorm(
                x, np.ones(3), np.ones(3), None, None, -1e-3, 1, **k
            ),
            nf.ArgumentError,
            "batch_normalization: `epsilon` must be in [0, inf); received epsilon=-0.001.",
        ),
        (
            lambda x, **k: samediff.nn.batchNorm(
                x, np.ones(4), np.ones(3), None, None, 1e-3, 1, **k
            ),
            nf.ShapeError,
            "batch_normalization: `mean` must have shape (3,) (the size of `x` along axis 1) "
            "or a shape of x's rank that broadcasts to `x`; received mean.shape=(4,), "
            "x.shape=(2, 3, 4).",
        ),
    ],
)
def test_bad_input(call, exc, message):
    assert_raises_both_modes(call, (X,), {}, exc, message)


def test_layer_norm_overloads_by_keyword():
    """The Java overloads' parameter names work as keywords, alone or after positionals."""
    rng = np.random.default_rng(7)
    x, g, b = rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(3)
    ref = _std(x, (1,)) * g + b
    ln = samediff.nn.layerNorm
    np.testing.assert_allclose(ln(x, g, channelsFirst=True, dimensions=(1,)), ref - b, rtol=1e-12)
    np.testing.assert_allclose(ln(x, g, b, channelsFirst=True, dimensions=[1]), ref, rtol=1e-12)
    np.testing.assert_allclose(ln(x, g, b, True, dimensions=[1]), ref, rtol=1e-12)
    np.testing.assert_allclose(
        ln(x, g, bias=b, channelsFirst=False, dimensions=[1]), ref, rtol=1e-12
    )
    np.testing.assert_allclose(ln(x, g, True, dimensions=[1]), ref - b, rtol=1e-12)
    with pytest.raises(TypeError, match="layerNorm: expected"):
        ln(x, g, b, True, [1], dimensions=[1])
    with pytest.raises(TypeError, match="layerNorm: expected"):
        ln(x, g, dimensions=[1])
