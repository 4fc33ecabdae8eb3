import inspect
import re

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as F

RNG = np.random.default_rng(2)


def test_defaults_match_seed():
    p = inspect.signature(F.convolution).parameters
    assert list(p)[:9] == [
        "x",
        "weight",
        "bias",
        "base_axis",
        "pad",
        "stride",
        "dilation",
        "group",
        "channel_last",
    ]
    assert inspect.signature(F.average_pooling).parameters["including_pad"].default is True
    assert inspect.signature(F.max_pooling).parameters["ignore_border"].default is True
    assert inspect.signature(F.depthwise_deconvolution).parameters["divisor"].default == 1


def test_convolution_base_axis_and_channel_last():
    x = RNG.standard_normal((2, 3, 4, 6, 5))  # two sample axes
    w = RNG.standard_normal((2, 4, 3, 2))
    b = RNG.standard_normal(2)
    y = F.convolution(x, w, b, base_axis=2, pad=(1, 0), stride=(1, 2))
    ref = nf.conv(x.reshape(6, 4, 6, 5), w, b, pad=(1, 0), stride=(1, 2))
    np.testing.assert_allclose(y, ref.reshape(2, 3, *ref.shape[1:]), rtol=1e-12)
    xl = np.moveaxis(x[0], 1, -1)
    yl = F.convolution(xl, np.moveaxis(w, 1, -1), b, pad=(1, 0), stride=(1, 2), channel_last=True)
    np.testing.assert_allclose(np.moveaxis(yl, -1, 1), ref[:3], rtol=1e-12)


def test_deconvolution_output_size_formula():
    x = RNG.standard_normal((1, 2, 4, 4))
    w = RNG.standard_normal((2, 3, 3, 3))
    y = F.deconvolution(x, w, pad=(1, 1), stride=(2, 2), dilation=(1, 2), output_padding=(1, 0))
    # L' = s(L - 1) - 2p + d(k - 1) + 1 + output_padding
    assert y.shape == (1, 3, 2 * 3 - 2 + 1 * 2 + 1 + 1, 2 * 3 - 2 + 2 * 2 + 1)


def test_depthwise_multiplier_and_divisor():
    x = RNG.standard_normal((1, 2, 5, 5))
    w = RNG.standard_normal((4, 3, 3))
    y = F.depthwise_convolution(x, w, multiplier=2)
    for c in range(2):
        for j in range(2):
            ref = nf.conv(x[:, c : c + 1], w[c * 2 + j][None, None])
            np.testing.assert_allclose(y[:, c * 2 + j], ref[:, 0], rtol=1e-12)
    t = F.depthwise_deconvolution(y, w, divisor=2)
    assert t.shape == (1, 2, 5, 5)


def test_pooling_ignore_border_and_including_pad():
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    assert F.max_pooling(x, (2, 2)).shape == (1, 1, 2, 2)
    assert F.max_pooling(x, (2, 2), ignore_border=False).shape == (1, 1, 3, 3)
    a = F.average_pooling(np.ones((1, 1, 3, 3)), (3, 3), (1, 1), pad=(1, 1))
    np.testing.assert_allclose(a[0, 0, 0, 0], 4 / 9)
    a = F.average_pooling(np.ones((1, 1, 3, 3)), (3, 3), (1, 1), pad=(1, 1), including_pad=False)
    np.testing.assert_allclose(a, np.ones((1, 1, 3, 3)))
    np.testing.assert_array_equal(F.sum_pooling(x, (5, 5)).ravel(), [300.0])
    assert F.global_average_pooling(x).shape == (1, 1, 1, 1)
    u = F.unpooling(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), (2, 2))
    np.testing.assert_array_equal(u[0, 0, :2, :2], np.ones((2, 2)))
    assert u.shape == (1, 1, 4, 4)


def test_adaptive_separable_convolution_shape():
    x = RNG.standard_normal((2, 3, 7, 6))
    kv = RNG.standard_normal((2, 3, 5, 3))
    kh = RNG.standard_normal((2, 4, 5, 3))
    y = F.adaptive_separable_convolution(x, kv, kh)
    assert y.shape == (2, 3, 5, 3)
    ref = sum(
        kv[:, j : j + 1] * kh[:, i : i + 1] * x[:, :, j : j + 5, i : i + 3]
        for j in range(3)
        for i in range(4)
    )
    np.testing.assert_allclose(y, ref, rtol=1e-12)


XN = np.zeros((1, 4, 5, 5))

# (function, positional arguments, keyword arguments, class, message); arrays become graph
# placeholders in the graph-mode run, where the message gains "(node 'bad')".
NNABLA_ERRORS = [
    (
        F.convolution,
        (XN, np.zeros((6, 3, 3, 3))),
        {"group": 2},
        nf.ShapeError,
        "conv (node 'bad'): `x` must have weight.shape[1] * groups = 6 channels on axis 1; "
        "received channels=4, x.shape=(1, 4, 5, 5), weight.shape=(6, 3, 3, 3), groups=2.",
    ),
    (
        F.convolution,
        (XN, np.zeros((6, 4, 3, 3))),
        {"group": 3},
        nf.ArgumentError,
        "conv (node 'bad'): `groups` must divide the input channels; received groups=3, "
        "channels=4.",
    ),
    (
        F.convolution,
        (XN, np.zeros((6, 4, 8, 3))),
        {"pad": (1, 1)},
        nf.ShapeError,
        "conv (node 'bad'): output size must be positive in spatial dim 0; received input=5, "
        "kernel=8, pad=1, stride=1, dilation=1.",
    ),
    (
        F.convolution,
        (XN, np.zeros((6, 4, 3))),
        {},
        nf.ShapeError,
        "conv (node 'bad'): `weight` must have rank 4 (the rank of `x`); received "
        "weight.shape=(6, 4, 3), x.shape=(1, 4, 5, 5).",
    ),
    (
        F.convolution,
        (XN, np.zeros((6, 4, 3, 3))),
        {"base_axis": 4},
        nf.ShapeError,
        "convolution: `base_axis` must be in [-4, 4) for an input of rank 4; received base_axis=4.",
    ),
    (
        F.deconvolution,
        (XN, np.zeros((4, 2, 3, 3))),
        {"stride": (2, 2), "output_padding": (2, 0)},
        nf.ArgumentError,
        "conv_transpose (node 'bad'): `output_padding` must be smaller than `stride` in every "
        "dimension; received output_padding=(2, 0), stride=(2, 2).",
    ),
    (
        F.deconvolution,
        (XN, np.zeros((3, 2, 3, 3))),
        {},
        nf.ShapeError,
        "conv_transpose (node 'bad'): `x` must have weight.shape[0] = 3 channels on axis 1; "
        "received channels=4, x.shape=(1, 4, 5, 5), weight.shape=(3, 2, 3, 3), groups=1.",
    ),
    (
        F.depthwise_convolution,
        (XN, np.zeros((4, 3, 3))),
        {"multiplier": 2},
        nf.ShapeError,
        "depthwise_convolution: `weight` must have shape[0] = channels (axis 1) * multiplier = "
        "8; received channels=4, weight.shape=(4, 3, 3), x.shape=(1, 4, 5, 5), multiplier=2.",
    ),
    (
        F.depthwise_deconvolution,
        (XN, np.zeros((2, 3, 3))),
        {"divisor": 2},
        nf.ShapeError,
        "depthwise_deconvolution: `weight` must have shape[0] = channels (axis 1) = 4; "
        "received channels=4, weight.shape=(2, 3, 3), x.shape=(1, 4, 5, 5).",
    ),
    (
        F.depthwise_deconvolution,
        (XN, np.zeros((4, 3, 3))),
        {"divisor": 3},
        nf.ArgumentError,
        "depthwise_conv_transpose (node 'bad'): `divisor` must divide the input channels; "
        "received divisor=3, channels=4.",
    ),
    (
        F.depthwise_convolution,
        (XN, np.zeros((4, 3))),
        {},
        nf.ShapeError,
        "depthwise_convolution: `weight` must have rank 3; received weight.shape=(4, 3).",
    ),
    (
        F.max_pooling,
        (XN, (6, 2)),
        {},
        nf.ShapeError,
        "max_pool (node 'bad'): output size must be positive in spatial dim 0; received "
        "input=5, kernel=6, pad=0, stride=6.",
    ),
    (
        F.average_pooling,
        (XN, (2, 2)),
        {"pad": (1, 1, 1)},
        nf.ArgumentError,
        "avg_pool (node 'bad'): `pad` must be an int, a sequence of 2 ints, a sequence of 2 "
        "(low, high) pairs of non-negative ints, 'valid' or 'same'; received pad=(1, 1, 1).",
    ),
    (
        F.patch_correlation,
        (XN, XN),
        {"padding": (1, 2, 3)},
        nf.ArgumentError,
        "patch_correlation: `padding` must be an int, (vertical, horizontal) or (top, bottom, "
        "left, right); received padding=(1, 2, 3).",
    ),
    (
        F.patch_correlation,
        (XN, np.zeros((1, 4, 5, 6))),
        {},
        nf.ShapeError,
        "patch_correlation (node 'bad'): `x2` must have the shape of `x1`; received "
        "x1.shape=(1, 4, 5, 5), x2.shape=(1, 4, 5, 6).",
    ),
]


@pytest.mark.parametrize(
    "fn, args, kwargs, exc, message",
    NNABLA_ERRORS,
    ids=[str(i) for i in range(len(NNABLA_ERRORS))],
)
def test_nnabla_conv_errors(fn, args, kwargs, exc, message):
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


# ---------------------------------------------------------------- patch_correlation
ONES = np.ones((1, 2, 3, 4), np.float32)  # N, C, H, W = (1, 2, 3, 4) of the page


def test_patch_correlation_signature_matches_the_page():
    import csv
    from pathlib import Path

    from ._signatures import our_params, python_params

    path = Path(nf.__file__).parent / "_data" / "functions.tsv"
    with open(path, encoding="utf-8") as f:
        (row,) = [
            r
            for r in csv.DictReader(f, delimiter="\t")
            if r["framework"] == "nnabla" and r["name_in_seed"] == "patch_correlation"
        ]
    assert our_params(F.patch_correlation) == python_params(row["signature"])


@pytest.mark.parametrize(
    "kwargs, printed",
    [
        ({"patch": (3, 4)}, [[[[[24.0]]]]]),
        ({"patch": (3 - 1, 4 - 1)}, [[[[[12.0, 12.0], [12.0, 12.0]]]]]),
        ({"patch": (3 - 1, 4 - 1), "patch_step": (2, 1)}, [[[[[12.0, 12.0]]]]]),
        (
            {"patch": (3, 1), "shift": (0, 1)},
            [[[[[0.0, 6.0, 6.0, 6.0]], [[6.0, 6.0, 6.0, 6.0]], [[6.0, 6.0, 6.0, 0.0]]]]],
        ),
        (
            {"patch": (3, 1), "shift": (0, 1), "shift_step": (1, 2)},
            [[[[[0.0, 6.0, 6.0, 6.0]], [[6.0, 6.0, 6.0, 0.0]]]]],
        ),
        (
            {"patch": (3, 4), "padding": (0, 1, 4, 4)},
            [
                [
                    [
                        [
                            [0.0, 6.0, 12.0, 18.0, 24.0, 18.0, 12.0, 6.0, 0.0],
                            [0.0, 4.0, 8.0, 12.0, 16.0, 12.0, 8.0, 4.0, 0.0],
                        ]
                    ]
                ]
            ],
        ),
    ],
)
def test_patch_correlation_page_examples(kwargs, printed):
    y = F.patch_correlation(ONES, ONES, **kwargs)
    want = np.array(printed, np.float32)
    assert y.dtype == np.float32 and y.shape == want.shape
    np.testing.assert_array_equal(y, want)


def test_patch_correlation_page_shapes():
    # F.patch_correlation(x, x, (H, 1), shift=(0, 1)).shape -> (1, 1, 3, 1, 4), positionally
    assert F.patch_correlation(ONES, ONES, (3, 1), shift=(0, 1)).shape == (1, 1, 3, 1, 4)
    # the FlowNetC example on variables without data: a graph's placeholders
    graph = nf.Graph()
    x1 = graph.placeholder("x1", (1, 256, 44, 60), np.float32)
    x2 = graph.placeholder("x2", (1, 256, 44, 60), np.float32)
    assert F.patch_correlation(x1, x2, shift=20, shift_step=2).shape == (1, 21, 21, 44, 60)


def test_patch_correlation_padding_forms_and_channel_last():
    x1 = RNG.standard_normal((2, 3, 5, 4))
    x2 = RNG.standard_normal((2, 3, 5, 4))
    kw = {"patch": 2, "shift": (1, 2), "shift_step": (1, 2)}
    four = F.patch_correlation(x1, x2, padding=(1, 1, 2, 2), **kw)
    np.testing.assert_array_equal(F.patch_correlation(x1, x2, padding=(1, 2), **kw), four)
    np.testing.assert_array_equal(
        F.patch_correlation(x1, x2, padding=1, **kw),
        F.patch_correlation(x1, x2, padding=(1, 1, 1, 1), **kw),
    )
    np.testing.assert_array_equal(four, nf.patch_correlation(x1, x2, pad=((1, 1), (2, 2)), **kw))
    last = F.patch_correlation(
        np.moveaxis(x1, 1, -1), np.moveaxis(x2, 1, -1), padding=(1, 2), channel_last=True, **kw
    )
    # channel_last output is (N, H_o, W_o, C_y, C_x)
    np.testing.assert_allclose(last, four.transpose(0, 3, 4, 1, 2), rtol=1e-12)


@pytest.mark.parametrize(
    "padding, message",
    [
        (
            (1, 2, 3),
            "patch_correlation: `padding` must be an int, (vertical, horizontal) or (top, bottom, "
            "left, right); received padding=(1, 2, 3).",
        ),
        (
            "same",
            "patch_correlation: `padding` must be an int, (vertical, horizontal) or (top, bottom, "
            "left, right); received padding='same'.",
        ),
        (
            (0, -1),
            "patch_correlation: `padding` must be non-negative; received padding=(0, -1).",
        ),
    ],
)
def test_patch_correlation_bad_padding(padding, message):
    with pytest.raises(nf.ArgumentError, match=re.escape(message)):
        F.patch_correlation(ONES, ONES, padding=padding)


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 4, 5), (2, 3, 2, 3, 2), (1, 2, 1, 2, 1, 3)])
def test_global_average_pooling_is_n_c_1_1_for_every_rank(shape):
    """NNabla 1.39 writes (N, C, 1, 1) whatever the number of spatial axes."""
    x = RNG.standard_normal(shape)
    y = F.global_average_pooling(x)
    ref = x.reshape(shape[0], shape[1], -1).mean(-1)[:, :, None, None]
    assert y.shape == (shape[0], shape[1], 1, 1)
    np.testing.assert_allclose(y, ref, rtol=1e-12)
    xv = nf.Variable(x, requires_grad=True)
    F.global_average_pooling(xv).backward(np.ones((shape[0], shape[1], 1, 1)))
    np.testing.assert_allclose(xv.grad, np.full(shape, 1.0 / np.prod(shape[2:])), rtol=1e-12)


@pytest.mark.parametrize("kernel", [(1, 1, 3), (2, 3, 1), (3,)])
def test_unpooling_kernel_larger_than_the_input(kernel):
    """The output is input x kernel on each pooled axis, for every rank and size."""
    x = RNG.standard_normal((1, 2, 2, 1, 2))
    y = F.unpooling(x, kernel)
    ref = x
    for a, k in zip(range(5 - len(kernel), 5), kernel, strict=True):
        ref = np.repeat(ref, k, axis=a)
    np.testing.assert_array_equal(y, ref)
    xv = nf.Variable(x, requires_grad=True)
    F.unpooling(xv, kernel).backward(np.ones(ref.shape))
    np.testing.assert_allclose(xv.grad, np.full(x.shape, float(np.prod(kernel))))
