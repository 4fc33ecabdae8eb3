"""keras.ops.nn CTC: signatures, batch-major layout, blank = mask_index, decoded -1 padding."""

import inspect

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import keras


@pytest.mark.parametrize(
    "fn, names, defaults",
    [
        (
            keras.ops.nn.ctc_loss,
            ["target", "output", "target_length", "output_length", "mask_index"],
            {"mask_index": 0},
        ),
        (
            keras.ops.nn.ctc_decode,
            [
                "inputs",
                "sequence_lengths",
                "strategy",
                "beam_width",
                "top_paths",
                "merge_repeated",
                "mask_index",
            ],
            {
                "strategy": "greedy",
                "beam_width": 100,
                "top_paths": 1,
                "merge_repeated": True,
                "mask_index": 0,
            },
        ),
    ],
)
def test_signatures(fn, names, defaults):
    params = inspect.signature(fn).parameters
    positional = [n for n, p in params.items() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    assert positional == names
    for k, v in defaults.items():
        assert params[k].default == v
    assert fn in (keras.ops.ctc_loss, keras.ops.ctc_decode)


@pytest.mark.parametrize("mask_index", [0, 3])
def test_ctc_loss_is_batch_major_with_blank_mask_index(mask_index):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 4)).astype(np.float32)
    target = np.array([[1, 2, 2], [2, 0, 0], [1, 1, 0]])  # padding never read
    if mask_index == 3:
        target = target - 1  # classes 0..2, padding -1
    lengths = np.array([3, 1, 2])
    out = keras.ops.nn.ctc_loss(target, x, lengths, [6, 4, 3], mask_index=mask_index)
    ref = nf.ctc_loss(target, x, lengths, [6, 4, 3], blank_index=mask_index)
    np.testing.assert_allclose(out, ref, rtol=1e-6)
    assert out.dtype == np.float32


def test_ctc_loss_python_data_gives_float32():
    out = keras.ops.nn.ctc_loss([[1]], [[[0.0, 0.0], [0.0, 0.0]]], [1], [2])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [np.log(4 / 3)], rtol=1e-6)


def test_ctc_decode_greedy_score_is_minus_the_sum_of_the_maxima():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)
    decoded, scores = keras.ops.nn.ctc_decode(x, [5, 2])
    assert decoded.shape == (1, 2, 5) and decoded.dtype == np.int32
    assert scores.shape == (2, 1) and scores.dtype == np.float32
    np.testing.assert_allclose(
        scores[:, 0], [-x[0].max(1).sum(), -x[1, :2].max(1).sum()], rtol=1e-6
    )
    for b, n in enumerate([5, 2]):
        path = x[b, :n].argmax(1)
        want = [int(k) for i, k in enumerate(path) if k != 0 and (i == 0 or k != path[i - 1])]
        row = decoded[0, b]
        assert list(row[: len(want)]) == want and (row[len(want) :] == -1).all()


def test_ctc_decode_beam_search_returns_top_paths_and_log_probabilities():
    p = np.array([[[0.1, 0.9], [0.8, 0.2], [0.1, 0.9]]], np.float32)  # blank 0
    decoded, scores = keras.ops.nn.ctc_decode(
        np.log(p), [3], strategy="beam_search", beam_width=5, top_paths=2
    )
    assert decoded.shape == (2, 1, 3) and scores.shape == (1, 2)
    np.testing.assert_array_equal(decoded[0, 0], [1, 1, -1])  # '1 1' (0.9 * 0.8 * 0.9)
    np.testing.assert_allclose(np.exp(scores[0, 0]), 0.648, rtol=1e-5)


def test_ctc_decode_mask_index_is_the_blank():
    x = np.log(np.array([[[0.7, 0.2, 0.1], [0.7, 0.2, 0.1]]], np.float32))
    decoded, _ = keras.ops.nn.ctc_decode(x, [2], mask_index=2)
    np.testing.assert_array_equal(decoded[0, 0], [0, -1])
    decoded, _ = keras.ops.nn.ctc_decode(x, [2], mask_index=0)
    np.testing.assert_array_equal(decoded[0, 0], [-1, -1])
