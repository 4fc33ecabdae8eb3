import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import samediff


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
