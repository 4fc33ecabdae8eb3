import inspect
import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import keras

RNG = np.random.default_rng(1)


def test_defaults_match_seed():
    p = inspect.signature(keras.ops.conv).parameters
    assert [p[k].default for k in ("strides", "padding", "data_format", "dilation_rate")] == [
        1,
        "valid",
        None,
        1,
    ]
    p = inspect.signature(keras.ops.conv_transpose).parameters
    assert p["strides"].default is inspect.Parameter.empty
    assert p["output_padding"].default is None
    p = inspect.signature(keras.ops.average_pool).parameters
    assert list(p)[:5] == ["inputs", "pool_size", "strides", "padding", "data_format"]
    assert keras.ops.nn.max_pool is keras.ops.max_pool


@pytest.mark.parametrize("nsp", [1, 2, 3])
def test_conv_channels_last_kernel_layout(nsp):
    x = RNG.standard_normal((2, *(5,) * nsp, 3))
    k = RNG.standard_normal((*(2,) * nsp, 3, 4))
    y = keras.ops.conv(x, k, strides=2, padding="same", dilation_rate=1)
    ref = nf.conv(
        x, np.moveaxis(np.moveaxis(k, -1, 0), -1, 1), stride=2, pad="same", channel_last=True
    )
    np.testing.assert_allclose(y, ref, rtol=1e-12)
    yf = keras.ops.conv(
        np.moveaxis(x, -1, 1), k, strides=2, padding="same", data_format="channels_first"
    )
    np.testing.assert_allclose(np.moveaxis(yf, 1, -1), y, rtol=1e-12)


@pytest.mark.parametrize("padding, out", [("same", 10), ("valid", 11)])
def test_conv_transpose_inferred_sizes(padding, out):
    x = RNG.standard_normal((1, 5, 2))
    k = RNG.standard_normal((3, 4, 2))
    y = keras.ops.conv_transpose(x, k, 2, padding=padding)
    assert y.shape == (1, out, 4)
    yp = keras.ops.conv_transpose(x, k, 2, padding=padding, output_padding=1)
    assert yp.shape == (1, {"same": 10, "valid": 12}[padding], 4)


def test_conv_groups_inferred_from_the_kernel():
    # groups = in_channels // kernel.shape[-2]: each group sees its own slice of channels.
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(2, 5, 4)), rng.normal(size=(3, 2, 6))
    y = keras.ops.conv(x, k, padding="same")
    xp = np.pad(x, ((0, 0), (1, 1), (0, 0)))
    expected = np.zeros((2, 5, 6))
    for o in range(6):
        g = o // 3
        for t in range(5):
            window = xp[:, t : t + 3, 2 * g : 2 * g + 2]
            expected[:, t, o] = np.einsum("nkc,kc->n", window, k[..., o])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(nf.ShapeError, match="divisible by the 2 groups"):
        keras.ops.conv(x, rng.normal(size=(3, 2, 3)))
    with pytest.raises(nf.ShapeError, match="channels on axis 2"):
        keras.ops.conv(x, rng.normal(size=(3, 3, 3)))


def test_depthwise_and_separable():
    x = RNG.standard_normal((1, 6, 6, 2))
    dk = RNG.standard_normal((3, 3, 2, 2))
    pk = RNG.standard_normal((1, 1, 4, 3))
    h = keras.ops.depthwise_conv(x, dk, padding="same")
    assert h.shape == (1, 6, 6, 4)
    np.testing.assert_allclose(
        h[..., 1 * 2 + 1],
        keras.ops.conv(x[..., 1:2], dk[:, :, 1:2, 1:2], padding="same")[..., 0],
        rtol=1e-12,
    )
    y = keras.ops.separable_conv(x, dk, pk, padding="same")
    np.testing.assert_allclose(y, keras.ops.conv(h, pk), rtol=1e-12)


def test_pools_default_strides_and_same_average():
    x = np.arange(1.0, 7.0).reshape(1, 6, 1)
    np.testing.assert_array_equal(keras.ops.max_pool(x, 4).ravel(), [4.0])
    y = keras.ops.average_pool(x, 4, strides=4, padding="same")
    # same: out 2, pads (1, 1); the second window covers 4, 5, 6 and one pad (not counted)
    np.testing.assert_allclose(y.ravel(), [2.0, 5.0])


XK = np.zeros((1, 4, 4, 2))

# (function, positional arguments, keyword arguments, class, message); arrays become graph
# placeholders in the graph-mode run, where the message gains "(node 'bad')".
KERAS_ERRORS = [
    (
        keras.ops.conv,
        (np.ones((1, 4, 1)), np.ones((2, 1, 1))),
        {"padding": "causal"},
        nf.ArgumentError,
        "conv: `padding` must be 'valid' or 'same'; received padding='causal'.",
    ),
    (
        keras.ops.max_pool,
        (XK, 2),
        {"padding": "full"},
        nf.ArgumentError,
        "max_pool: `padding` must be 'valid' or 'same'; received padding='full'.",
    ),
    (
        keras.ops.conv,
        (XK, np.ones((3, 3, 2, 3))),
        {"data_format": "NHWC"},
        nf.ArgumentError,
        "conv: `data_format` must be one of 'channels_last', 'channels_first'; received "
        "data_format='NHWC'.",
    ),
    (
        keras.ops.conv_transpose,
        (np.ones((1, 4, 1)), np.ones((2, 1, 1)), 2),
        {"output_padding": 2},
        nf.ArgumentError,
        "conv_transpose (node 'bad'): `output_padding` must be smaller than `stride` in every "
        "dimension; received output_padding=(2,), stride=(2,).",
    ),
    # channel counts that do not match the kernel
    (
        keras.ops.conv,
        (XK, np.ones((3, 3, 3, 4))),
        {},
        nf.ShapeError,
        "conv: `inputs` must have kernel.shape[2] = 3 channels on axis 3; received channels=2, "
        "inputs.shape=(1, 4, 4, 2), kernel.shape=(3, 3, 3, 4).",
    ),
    (
        keras.ops.conv,
        (np.zeros((1, 2, 4, 4)), np.ones((3, 3, 4, 4))),
        {"data_format": "channels_first"},
        nf.ShapeError,
        "conv: `inputs` must have kernel.shape[2] = 4 channels on axis 1; received channels=2, "
        "inputs.shape=(1, 2, 4, 4), kernel.shape=(3, 3, 4, 4).",
    ),
    (
        keras.ops.conv_transpose,
        (XK, np.ones((3, 3, 2, 4)), 2),
        {},
        nf.ShapeError,
        "conv_transpose: `inputs` must have kernel.shape[3] = 4 channels on axis 3; received "
        "channels=2, inputs.shape=(1, 4, 4, 2), kernel.shape=(3, 3, 2, 4).",
    ),
    (
        keras.ops.depthwise_conv,
        (XK, np.ones((3, 3, 1, 2))),
        {},
        nf.ShapeError,
        "depthwise_conv: `inputs` must have kernel.shape[2] = 1 channels on axis 3; received "
        "channels=2, inputs.shape=(1, 4, 4, 2), kernel.shape=(3, 3, 1, 2).",
    ),
    (
        keras.ops.separable_conv,
        (XK, np.ones((3, 3, 2, 2)), np.ones((1, 1, 2, 5))),
        {},
        nf.ShapeError,
        "separable_conv: `pointwise_kernel` must have shape (1, 1, 4, out) (input channels * "
        "multiplier = 4); received pointwise_kernel.shape=(1, 1, 2, 5), "
        "depthwise_kernel.shape=(3, 3, 2, 2).",
    ),
    # kernel larger than the (padded) input
    (
        keras.ops.conv,
        (XK, np.ones((3, 5, 2, 1))),
        {},
        nf.ShapeError,
        "conv (node 'bad'): output size must be positive in spatial dim 1; received input=4, "
        "kernel=5, pad=0, stride=1, dilation=1.",
    ),
    (
        keras.ops.average_pool,
        (XK, (2, 5)),
        {},
        nf.ShapeError,
        "avg_pool (node 'bad'): output size must be positive in spatial dim 1; received input=4, "
        "kernel=5, pad=0, stride=5.",
    ),
    # rank mismatches
    (
        keras.ops.conv,
        (XK, np.ones((3, 2, 1))),
        {},
        nf.ShapeError,
        "conv: `kernel` must have rank 4 (the rank of `inputs`); received kernel.shape=(3, 2, 1), "
        "inputs.shape=(1, 4, 4, 2).",
    ),
    (
        keras.ops.conv,
        (np.zeros((4, 2)), np.ones((3, 2))),
        {},
        nf.ShapeError,
        "conv: `inputs` must have rank >= 3; received inputs.shape=(4, 2).",
    ),
    (
        keras.ops.max_pool,
        (np.zeros((4, 2)), 2),
        {},
        nf.ShapeError,
        "max_pool: `inputs` must have rank >= 3; received inputs.shape=(4, 2).",
    ),
]


@pytest.mark.parametrize(
    "fn, args, kwargs, exc, message",
    KERAS_ERRORS,
    ids=[str(i) for i in range(len(KERAS_ERRORS))],
)
def test_keras_errors(fn, args, kwargs, exc, message):
    eager = message.replace(" (node 'bad')", "")
    with pytest.raises(exc, match=re.escape(eager)):
        fn(*args, **kwargs)
    graph = nf.Graph()
    sym = [
        graph.placeholder(f"in{i}", a.shape, a.dtype) if isinstance(a, np.ndarray) else a
        for i, a in enumerate(args)
    ]
    op, _, rest = eager.partition(": ")
    with pytest.raises(exc, match=re.escape(f"{op} (node 'bad'): {rest}")):
        fn(*sym, **kwargs, name="bad")


@pytest.mark.parametrize("padding", ["same", "SAME", "Same", "valid", "VALID", "Valid"])
def test_keras_padding_strings_any_case(padding):
    x = RNG.standard_normal((1, 5, 2))
    k = RNG.standard_normal((3, 2, 4))
    want = nf.conv(x, np.transpose(k, (2, 1, 0)), pad=padding.lower(), channel_last=True)
    np.testing.assert_allclose(keras.ops.conv(x, k, padding=padding), want, rtol=1e-12)
    y = keras.ops.average_pool(x, 2, padding=padding)
    assert y.shape == ((1, 3, 2) if padding.lower() == "same" else (1, 2, 2))
