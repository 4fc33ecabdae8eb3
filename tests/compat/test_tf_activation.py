import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import tf

from ._signatures import our_params, python_params, rows

ROWS = rows("tf-nn")


def _fn(row):
    name = row["signature"].split("(")[0]
    return tf.nn if name.startswith("tf.nn.") else tf, name.split(".")[-1]


@pytest.mark.parametrize("row", ROWS, ids=[r["name_in_seed"] for r in ROWS])
def test_signature_matches_the_page(row):
    mod, name = _fn(row)
    # TF's trailing `name=None` is a positional parameter here too; our_params leaves it out
    page = [p for p in python_params(row["signature"]) if p[0] != "name"]
    assert our_params(getattr(mod, name)) == page
    assert list(__import__("inspect").signature(getattr(mod, name)).parameters)[-1] == "name"


def test_values():
    x = np.array([[-2.0, 0.5, 7.0]], np.float32)
    np.testing.assert_array_equal(tf.nn.relu6(x), [[0, 0.5, 6]])
    np.testing.assert_array_equal(tf.nn.crelu(x), [[0, 0.5, 7, 2, 0, 0]])
    assert tf.nn.crelu(np.ones((2, 3, 4))).shape == (2, 3, 8)
    np.testing.assert_allclose(tf.nn.elu(x), [[np.expm1(-2.0), 0.5, 7.0]], rtol=1e-6)
    np.testing.assert_allclose(tf.nn.softplus(x), np.log1p(np.exp(x.astype(np.float64))), 1e-6)
    np.testing.assert_allclose(tf.nn.softsign(x), x / (1 + np.abs(x)), rtol=1e-6)
    np.testing.assert_allclose(tf.sigmoid(x), 1 / (1 + np.exp(-x.astype(np.float64))), 1e-6)
    np.testing.assert_allclose(tf.tanh(x), np.tanh(x), rtol=1e-6)
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max())
    np.testing.assert_allclose(tf.nn.softmax(x), e / e.sum(), rtol=1e-6)
    np.testing.assert_allclose(tf.nn.log_softmax(x), np.log(e / e.sum()), rtol=1e-6)
    np.testing.assert_allclose(tf.nn.softmax(x.T, dim=0), (e / e.sum()).T, rtol=1e-6)
    assert tf.nn.relu6(np.array([9], np.int32)).dtype == np.int32


def test_bias_add_formats():
    v = np.zeros((2, 3, 4, 5))
    b5, b3 = np.arange(5.0), np.arange(3.0)
    np.testing.assert_array_equal(tf.nn.bias_add(v, b5), v + b5)
    np.testing.assert_array_equal(tf.nn.bias_add(v, b5, data_format="NHWC"), v + b5)
    np.testing.assert_array_equal(tf.nn.bias_add(v, b3, data_format="NCHW"), v + b3[:, None, None])
    with pytest.raises(nf.ArgumentError):
        tf.nn.bias_add(v, b5, data_format="NWHC")


def test_dropout_keep_prob_and_noise_shape():
    x = np.ones((4, 3, 2, 5))
    y = tf.nn.dropout(x, 0.5, noise_shape=[4, 1, 1, 5], seed=3)
    assert set(np.unique(y)) <= {0.0, 2.0}
    # size-1 noise dims share one decision
    assert np.all(y == y[:, :1, :1, :])
    np.testing.assert_array_equal(y, tf.nn.dropout(x, 0.5, noise_shape=[4, 1, 1, 5], seed=3))
    np.testing.assert_array_equal(tf.nn.dropout(x, 1.0), x)


@pytest.mark.parametrize("keep", [0.0, 1.5, -0.2])
def test_dropout_keep_prob_out_of_range_is_a_value_error(keep):
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"dropout: `keep_prob` must be in (0, 1]; received keep_prob={float(keep)!r}."
        ),
    ):
        tf.nn.dropout(np.ones(3), keep)
