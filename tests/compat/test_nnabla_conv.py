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


def test_nnabla_depthwise_weight_error():
    with pytest.raises(
        nf.ShapeError,
        match=re.escape(
            "depthwise_convolution: `weight` must have shape[0] = channels * multiplier = 4; "
            "received weight.shape=(2, 3, 3), x.shape=(1, 2, 5, 5), multiplier=2."
        ),
    ):
        F.depthwise_convolution(np.ones((1, 2, 5, 5)), np.ones((2, 3, 3)), multiplier=2)


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
