import inspect
import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import tf

RNG = np.random.default_rng(0)


def test_signatures_match_seed():
    sig = lambda f: list(inspect.signature(f).parameters)  # noqa: E731
    assert sig(tf.nn.conv2d) == [
        "input",
        "filter",
        "strides",
        "padding",
        "use_cudnn_on_gpu",
        "data_format",
        "name",
    ]
    assert sig(tf.nn.conv1d)[:4] == ["value", "filters", "stride", "padding"]
    assert sig(tf.nn.conv2d_transpose) == [
        "value",
        "filter",
        "output_shape",
        "strides",
        "padding",
        "name",
    ]
    assert inspect.signature(tf.nn.conv2d_transpose).parameters["padding"].default == "SAME"
    assert inspect.signature(tf.nn.avg_pool).parameters["data_format"].default == "NHWC"
    assert sig(tf.nn.fractional_max_pool) == [
        "value",
        "pooling_ratio",
        "pseudo_random",
        "overlapping",
        "deterministic",
        "seed",
        "seed2",
        "name",
    ]
    assert sig(tf.nn.erosion2d) == ["value", "kernel", "strides", "rates", "padding", "name"]


def test_conv2d_nhwc_and_nchw_match_canonical():
    x = RNG.standard_normal((2, 5, 6, 3))
    f = RNG.standard_normal((3, 2, 3, 4))
    ref = nf.conv(np.moveaxis(x, -1, 1), np.transpose(f, (3, 2, 0, 1)), stride=(2, 1), pad="same")
    y = tf.nn.conv2d(x, f, [1, 2, 1, 1], "SAME")
    np.testing.assert_allclose(np.moveaxis(y, -1, 1), ref, rtol=1e-12)
    y2 = tf.nn.conv2d(np.moveaxis(x, -1, 1), f, [1, 1, 2, 1], "SAME", data_format="NCHW")
    np.testing.assert_allclose(y2, ref, rtol=1e-12)


def test_same_padding_extra_pixel_at_end():
    # 1-D input [1..4], kernel [1, 0] (picks the left tap), stride 2 -> windows start 0, 2
    x = np.arange(1.0, 5.0).reshape(1, 4, 1)
    y = tf.nn.conv1d(x, np.array([[[1.0]], [[0.0]]]), 2, "SAME")
    np.testing.assert_array_equal(y.ravel(), [1.0, 3.0])  # no pad at the start


def test_depthwise_channel_order():
    x = RNG.standard_normal((1, 4, 4, 2))
    f = RNG.standard_normal((3, 3, 2, 3))
    y = tf.nn.depthwise_conv2d(x, f, [1, 1, 1, 1], "VALID")
    for k in range(2):
        for q in range(3):
            ref = tf.nn.conv2d(x[..., k : k + 1], f[:, :, k : k + 1, q : q + 1], [1] * 4, "VALID")
            np.testing.assert_allclose(y[..., k * 3 + q], ref[..., 0], rtol=1e-12)
    np.testing.assert_array_equal(tf.nn.depthwise_conv2d_native(x, f, [1] * 4, "VALID"), y)


def test_conv2d_transpose_is_gradient_of_conv2d():
    x = nf.Variable(RNG.standard_normal((1, 5, 5, 2)), requires_grad=True)
    f = RNG.standard_normal((3, 3, 2, 4))
    y = tf.nn.conv2d(x, f, [1, 2, 2, 1], "SAME")
    g = RNG.standard_normal(y.shape)
    nf.sum(y * g).backward()
    # conv2d_transpose filter is [h, w, out_of_transpose=in_of_conv, in_of_transpose=out_of_conv]
    back = tf.nn.conv2d_transpose(g, f, [1, 5, 5, 2], [1, 2, 2, 1], "SAME")
    np.testing.assert_allclose(back, x.grad, rtol=1e-10)


def test_pool_fractional_documented_examples():
    x = np.array([20.0, 5.0, 16.0, 3.0, 7.0]).reshape(1, 1, 5, 1)
    # seed 3: column boundaries [0, 2, 5]; overlapping reuses index 2 (value 16)
    y, rows, cols = tf.nn.fractional_max_pool(x, [1.0, 1.0, 2.5, 1.0], overlapping=True, seed=3)
    if cols.tolist() != [0, 2, 5]:
        seeds = [
            s
            for s in range(1, 20)  # seed 0 (with seed2 0) means "no seed"
            if tf.nn.fractional_max_pool(x, [1.0, 1.0, 2.5, 1.0], overlapping=True, seed=s)[
                2
            ].tolist()
            == [0, 2, 5]
        ]
        y, rows, cols = tf.nn.fractional_max_pool(
            x, [1.0, 1.0, 2.5, 1.0], overlapping=True, seed=seeds[0]
        )
        a = tf.nn.fractional_avg_pool(x, [1.0, 1.0, 2.5, 1.0], overlapping=True, seed=seeds[0])[0]
    else:
        a = tf.nn.fractional_avg_pool(x, [1.0, 1.0, 2.5, 1.0], overlapping=True, seed=3)[0]
    assert cols.tolist() == [0, 2, 5] and rows.tolist() == [0, 1]
    np.testing.assert_array_equal(y.ravel(), [20.0, 16.0])
    np.testing.assert_allclose(a.ravel(), [41 / 3, 26 / 3])
    assert rows.dtype == np.int64


@pytest.mark.parametrize("pseudo_random", [False, True])
def test_fractional_sequence_constraints(pseudo_random):
    x = np.ones((1, 17, 11, 1))
    for seed in range(5):
        _, rows, cols = tf.nn.fractional_max_pool(
            x, [1.0, 1.44, 1.73, 1.0], pseudo_random=pseudo_random, seed=seed + 1
        )
        for seq, n in ((rows, 17), (cols, 11)):
            out = int(n / (1.44 if n == 17 else 1.73))
            k = n // out
            assert seq[0] == 0 and seq[-1] == n and len(seq) == out + 1
            assert set(np.diff(seq).tolist()) <= {k, k + 1}


def test_max_pool_with_argmax_flattened_index():
    x = RNG.permutation(2 * 4 * 4 * 3).astype(np.float32).reshape(2, 4, 4, 3)
    y, idx = tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(x.ravel()[idx], y)
    b, yy, xx, c = np.unravel_index(idx, x.shape)
    np.testing.assert_array_equal(idx, ((b * 4 + yy) * 4 + xx) * 3 + c)
    _, idx32 = tf.nn.max_pool_with_argmax(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID", Targmax="int32")
    assert idx32.dtype == np.int32


def test_dilation_erosion_duality_and_max_pool_special_case():
    x = RNG.standard_normal((1, 6, 5, 2))
    k = RNG.standard_normal((3, 2, 2))
    d = tf.nn.dilation2d(x, k, [1, 1, 2, 1], [1, 2, 1, 1], "SAME")
    e = tf.nn.erosion2d(-x, k[::-1, ::-1], [1, 1, 2, 1], [1, 2, 1, 1], "SAME")
    np.testing.assert_allclose(d, -e, rtol=1e-12)
    z = tf.nn.dilation2d(x, np.zeros((2, 2, 2)), [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
    np.testing.assert_array_equal(z, tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"))


def test_separable_conv2d():
    x = RNG.standard_normal((1, 5, 5, 2))
    dw = RNG.standard_normal((3, 3, 2, 2))
    pw = RNG.standard_normal((1, 1, 4, 5))
    y = tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "VALID")
    h = tf.nn.depthwise_conv2d(x, dw, [1, 1, 1, 1], "VALID")
    np.testing.assert_allclose(y, tf.nn.conv2d(h, pw, [1] * 4, "VALID"), rtol=1e-12)


def test_pool3d_and_conv3d():
    x = RNG.standard_normal((1, 4, 4, 4, 2))
    y = tf.nn.avg_pool3d(x, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "VALID")
    np.testing.assert_allclose(y[0, 0, 0, 0], x[0, :2, :2, :2].mean(axis=(0, 1, 2)))
    m = tf.nn.max_pool3d(x, [1, 2, 2, 2, 1], [1, 2, 2, 2, 1], "VALID")
    np.testing.assert_allclose(m[0, 1, 1, 1], x[0, 2:, 2:, 2:].max(axis=(0, 1, 2)))
    f = RNG.standard_normal((2, 2, 2, 2, 3))
    y = tf.nn.conv3d(x, f, [1, 1, 1, 1, 1], "VALID")
    np.testing.assert_allclose(y[0, 0, 0, 0], np.einsum("dhwi,dhwio->o", x[0, :2, :2, :2], f))
    t = tf.nn.conv3d_transpose(y, f, [1, 4, 4, 4, 2], [1, 1, 1, 1, 1], "VALID")
    assert t.shape == (1, 4, 4, 4, 2)


X4 = np.zeros((1, 4, 4, 2))
F4 = np.zeros((2, 2, 2, 3))
X5 = np.zeros((1, 4, 4, 4, 2))
SAME = "SAME"
ONE4 = [1, 1, 1, 1]


# (function, positional arguments, keyword arguments, class, message); arrays become graph
# placeholders in the graph-mode run, where the message gains "(node 'bad')".
TF_ERRORS = [
    # strides / ksize whose batch or channel entries are not 1, in data_format order
    (
        tf.nn.conv2d,
        (X4, F4, [2, 1, 1, 1], SAME),
        {},
        nf.ArgumentError,
        "conv2d: `strides` must have 1 in the batch and channel entries (0 and 3); received "
        "strides=[2, 1, 1, 1].",
    ),
    (
        tf.nn.conv2d,
        (np.zeros((1, 2, 4, 4)), F4, [1, 2, 1, 1], SAME),
        {"data_format": "NCHW"},
        nf.ArgumentError,
        "conv2d: `strides` must have 1 in the batch and channel entries (0 and 1); received "
        "strides=[1, 2, 1, 1].",
    ),
    (
        tf.nn.conv3d,
        (X5, np.zeros((2, 2, 2, 2, 3)), [1, 1, 1, 1, 2], SAME),
        {},
        nf.ArgumentError,
        "conv3d: `strides` must have 1 in the batch and channel entries (0 and 4); received "
        "strides=[1, 1, 1, 1, 2].",
    ),
    (
        tf.nn.max_pool,
        (X4, [1, 2, 2, 2], ONE4, "VALID"),
        {},
        nf.ArgumentError,
        "max_pool: `ksize` must have 1 in the batch and channel entries (0 and 3); received "
        "ksize=[1, 2, 2, 2].",
    ),
    (
        tf.nn.avg_pool,
        (np.zeros((1, 2, 4, 4)), [1, 1, 2, 2], [1, 2, 2, 2], "VALID"),
        {"data_format": "NCHW"},
        nf.ArgumentError,
        "avg_pool: `strides` must have 1 in the batch and channel entries (0 and 1); received "
        "strides=[1, 2, 2, 2].",
    ),
    (
        tf.nn.max_pool3d,
        (X5, [2, 2, 2, 2, 1], [1, 1, 1, 1, 1], "VALID"),
        {},
        nf.ArgumentError,
        "max_pool3d: `ksize` must have 1 in the batch and channel entries (0 and 4); received "
        "ksize=[2, 2, 2, 2, 1].",
    ),
    (
        tf.nn.max_pool_with_argmax,
        (X4, [1, 2, 2, 1], [1, 2, 2, 3], "VALID"),
        {},
        nf.ArgumentError,
        "max_pool_with_argmax: `strides` must have 1 in the batch and channel entries (0 and 3); "
        "received strides=[1, 2, 2, 3].",
    ),
    (
        tf.nn.dilation2d,
        (X4, np.zeros((2, 2, 2)), ONE4, [1, 2, 2, 2], "VALID"),
        {},
        nf.ArgumentError,
        "dilation2d: `rates` must have 1 in the batch and channel entries (0 and 3); received "
        "rates=[1, 2, 2, 2].",
    ),
    (
        tf.nn.max_pool,
        (X4, [1, 2, 2], ONE4, "VALID"),
        {},
        nf.ArgumentError,
        "max_pool: `ksize` must be a list of 4 ints; received ksize=[1, 2, 2].",
    ),
    # unknown padding strings (any case of SAME / VALID is accepted, see below)
    (
        tf.nn.conv2d,
        (X4, F4, ONE4, "FULL"),
        {},
        nf.ArgumentError,
        "conv2d: `padding` must be 'SAME' or 'VALID'; received padding='FULL'.",
    ),
    (
        tf.nn.avg_pool3d,
        (X5, [1, 2, 2, 2, 1], [1, 1, 1, 1, 1], "causal"),
        {},
        nf.ArgumentError,
        "avg_pool3d: `padding` must be 'SAME' or 'VALID'; received padding='causal'.",
    ),
    (
        tf.nn.conv2d_transpose,
        (X4, np.zeros((2, 2, 3, 2)), [1, 8, 8, 3], [1, 2, 2, 1], 1),
        {},
        nf.ArgumentError,
        "conv2d_transpose: `padding` must be 'SAME' or 'VALID'; received padding=1.",
    ),
    # channel counts that do not match the filter (TF's ValueError on a depth mismatch)
    (
        tf.nn.conv2d,
        (X4, np.zeros((2, 2, 3, 3)), ONE4, "same"),
        {},
        nf.ShapeError,
        "conv2d: `input` must have filter.shape[2] = 3 channels on axis 3; received channels=2, "
        "input.shape=(1, 4, 4, 2), filter.shape=(2, 2, 3, 3).",
    ),
    (
        tf.nn.conv1d,
        (np.zeros((1, 4, 5)), np.zeros((2, 3, 4)), 1, SAME),
        {"data_format": "NCW"},
        nf.ShapeError,
        "conv1d: `value` must have filters.shape[1] = 3 channels on axis 1; received "
        "channels=4, value.shape=(1, 4, 5), filters.shape=(2, 3, 4).",
    ),
    (
        tf.nn.atrous_conv2d,
        (X4, np.zeros((2, 2, 4, 1)), 2, SAME),
        {},
        nf.ShapeError,
        "atrous_conv2d: `value` must have filters.shape[2] = 4 channels on axis 3; received "
        "channels=2, value.shape=(1, 4, 4, 2), filters.shape=(2, 2, 4, 1).",
    ),
    (
        tf.nn.conv2d_transpose,
        (X4, np.zeros((2, 2, 3, 5)), [1, 8, 8, 3], [1, 2, 2, 1]),
        {},
        nf.ShapeError,
        "conv2d_transpose: `value` must have filter.shape[3] = 5 channels on axis 3; received "
        "channels=2, value.shape=(1, 4, 4, 2), filter.shape=(2, 2, 3, 5).",
    ),
    (
        tf.nn.depthwise_conv2d,
        (X4, np.zeros((2, 2, 3, 2)), ONE4, SAME),
        {},
        nf.ShapeError,
        "depthwise_conv2d: `input` must have filter.shape[2] = 3 channels on axis 3; received "
        "channels=2, input.shape=(1, 4, 4, 2), filter.shape=(2, 2, 3, 2).",
    ),
    (
        tf.nn.separable_conv2d,
        (X4, np.zeros((2, 2, 2, 2)), np.zeros((1, 1, 3, 5)), ONE4, "VALID"),
        {},
        nf.ShapeError,
        "separable_conv2d: `pointwise_filter` must have shape [1, 1, in_channels * "
        "channel_multiplier = 4, out_channels]; received pointwise_filter.shape=(1, 1, 3, 5), "
        "depthwise_filter.shape=(2, 2, 2, 2).",
    ),
    (
        tf.nn.separable_conv2d,
        (X4, np.zeros((2, 2, 2, 2)), np.zeros((1, 1, 4, 3)), ONE4, "VALID"),
        {},
        nf.ArgumentError,
        "separable_conv2d: `pointwise_filter` must have at least in_channels * "
        "channel_multiplier output channels; received in_channels_times_multiplier=4, "
        "out_channels=3.",
    ),
    (
        tf.nn.dilation2d,
        (X4, np.zeros((2, 2, 3)), ONE4, ONE4, "VALID"),
        {},
        nf.ShapeError,
        "dilation2d: `input` must have filter.shape[2] = 3 channels on axis 3; received "
        "channels=2, input.shape=(1, 4, 4, 2), filter.shape=(2, 2, 3).",
    ),
    # output_shape inconsistent with the input
    (
        tf.nn.conv2d_transpose,
        (X4, np.zeros((2, 2, 3, 2)), [1, 9, 9, 3], [1, 2, 2, 1]),
        {},
        nf.ShapeError,
        "conv_transpose (node 'bad'): output size must be one whose convolution gives the input "
        "size in spatial dim 0; received output=9, input=4, kernel=2, pad=(0, 1), stride=2, "
        "dilation=1.",
    ),
    (
        tf.nn.conv2d_transpose,
        (X4, np.zeros((2, 2, 3, 2)), [1, 8, 8, 4], [1, 2, 2, 1]),
        {},
        nf.ShapeError,
        "conv2d_transpose: `output_shape` must end with the filter's output channels "
        "(filter.shape[-2]); received output_shape=[1, 8, 8, 4], filter.shape=(2, 2, 3, 2).",
    ),
    (
        tf.nn.conv2d_transpose,
        (X4, np.zeros((2, 2, 3, 2)), [2, 8, 8, 3], [1, 2, 2, 1]),
        {},
        nf.ShapeError,
        "conv2d_transpose: `output_shape` must start with the batch size of `value`; received "
        "output_shape=[2, 8, 8, 3], value.shape=(1, 4, 4, 2).",
    ),
    (
        tf.nn.conv3d_transpose,
        (X5, np.zeros((2, 2, 2, 3, 2)), [1, 8, 8, 3], [1, 2, 2, 2, 1]),
        {},
        nf.ShapeError,
        "conv3d_transpose: `output_shape` must have 5 entries; received output_shape=[1, 8, 8, 3].",
    ),
    # kernel larger than the (padded) input
    (
        tf.nn.conv2d,
        (X4, np.zeros((5, 2, 2, 3)), ONE4, "VALID"),
        {},
        nf.ShapeError,
        "conv (node 'bad'): output size must be positive in spatial dim 0; received input=4, "
        "kernel=5, pad=0, stride=1, dilation=1.",
    ),
    (
        tf.nn.max_pool,
        (X4, [1, 5, 1, 1], ONE4, "VALID"),
        {},
        nf.ShapeError,
        "max_pool (node 'bad'): output size must be positive in spatial dim 0; received input=4, "
        "kernel=5, pad=0, stride=1.",
    ),
    # pooling ratios
    (
        tf.nn.fractional_max_pool,
        (X4, [1.0, 0.5, 2.0, 1.0]),
        {},
        nf.ArgumentError,
        "fractional_max_pool: `pooling_ratio` must be >= 1.0; received "
        "pooling_ratio=[1.0, 0.5, 2.0, 1.0].",
    ),
    (
        tf.nn.fractional_avg_pool,
        (X4, [2.0, 1.5, 2.0, 1.0]),
        {},
        nf.ArgumentError,
        "fractional_avg_pool: `pooling_ratio` must have 1.0 in the batch and channel entries "
        "(0 and 3); received pooling_ratio=[2.0, 1.5, 2.0, 1.0].",
    ),
    (
        tf.nn.fractional_avg_pool,
        (X4, [1.0, 1.5, 2.0]),
        {},
        nf.ArgumentError,
        "fractional_avg_pool: `pooling_ratio` must be a list of 4 floats; received "
        "pooling_ratio=[1.0, 1.5, 2.0].",
    ),
    # rank mismatches
    (
        tf.nn.conv2d,
        (np.zeros((4, 4, 2)), F4, ONE4, SAME),
        {},
        nf.ShapeError,
        "conv2d: `input` must have rank 4; received input.shape=(4, 4, 2).",
    ),
    (
        tf.nn.conv3d,
        (X5, F4, [1, 1, 1, 1, 1], SAME),
        {},
        nf.ShapeError,
        "conv3d: `filter` must have rank 5; received filter.shape=(2, 2, 2, 3).",
    ),
    (
        tf.nn.depthwise_conv2d_native,
        (X4, np.zeros((2, 2, 2)), ONE4, SAME),
        {},
        nf.ShapeError,
        "depthwise_conv2d_native: `filter` must have rank 4; received filter.shape=(2, 2, 2).",
    ),
    (
        tf.nn.max_pool,
        (X5, [1, 2, 2, 1], ONE4, SAME),
        {},
        nf.ShapeError,
        "max_pool: `value` must have rank 4; received value.shape=(1, 4, 4, 4, 2).",
    ),
    (
        tf.nn.fractional_max_pool,
        (np.zeros((4, 4, 2)), [1.0, 1.5, 1.5, 1.0]),
        {},
        nf.ShapeError,
        "fractional_max_pool: `value` must have rank 4; received value.shape=(4, 4, 2).",
    ),
    (
        tf.nn.erosion2d,
        (X4, np.zeros((2, 2)), ONE4, ONE4, SAME),
        {},
        nf.ShapeError,
        "erosion2d: `kernel` must have rank 3; received kernel.shape=(2, 2).",
    ),
]


@pytest.mark.parametrize(
    "fn, args, kwargs, exc, message", TF_ERRORS, ids=[str(i) for i in range(len(TF_ERRORS))]
)
def test_tf_conv_errors(fn, args, kwargs, exc, message):
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


@pytest.mark.parametrize("padding", ["SAME", "same", "Same", "VALID", "valid", "vAlId"])
def test_tf_padding_strings_any_case(padding):
    x = RNG.standard_normal((1, 5, 5, 2))
    f = RNG.standard_normal((3, 3, 2, 3))
    want = nf.conv(x, np.transpose(f, (3, 2, 0, 1)), pad=padding.lower(), channel_last=True)
    np.testing.assert_allclose(tf.nn.conv2d(x, f, ONE4, padding), want, rtol=1e-12)
    m = tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], padding)
    assert m.shape == ((1, 3, 3, 2) if padding.lower() == "same" else (1, 2, 2, 2))
