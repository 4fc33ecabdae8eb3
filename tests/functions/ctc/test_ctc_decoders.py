"""CTC decoders: greedy against a per-step loop, beam search against exhaustive search."""

import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class

from . import _brute


def greedy_ref(x, lengths, blank, merge):
    """TF's loop: argmax per step (lowest on ties), skip blanks and (merge) repeats."""
    n, t_max, c = x.shape
    blank %= c
    decoded = np.full((n, t_max), -1, np.int64)
    count = np.zeros(n, np.int64)
    score = np.zeros((n, 1))
    for b in range(n):
        prev = -1
        for t in range(lengths[b]):
            k = int(np.argmax(x[b, t]))
            score[b, 0] -= float(x[b, t, k])
            if k != blank and not (merge and k == prev):
                decoded[b, count[b]] = k
                count[b] += 1
            prev = k
    return decoded, count, score


@parametrize_class(dtype=["float32", "float64"], merge=[True, False], time_major=[False, True])
class TestCTCGreedyDecoder(FunctionTestCase):
    function = staticmethod(nf.ctc_greedy_decoder)
    differentiable = False
    symbolic_dims = (0, 1)

    def inputs(self, rng):
        x = rng.integers(0, 3, (3, 7, 4)).astype(self.dtype)  # ties on purpose
        if self.time_major:
            x = x.transpose(1, 0, 2).copy()
        return x, np.array([7, 3, 0])

    def kwargs(self):
        return {
            "merge_repeated": self.merge,
            "blank_index": -1,
            "logits_time_major": self.time_major,
        }

    def expected(self, x, lengths):
        xb = x.transpose(1, 0, 2) if self.time_major else x
        d, n, s = greedy_ref(xb.astype(np.float64), lengths, -1, self.merge)
        return d, n, s.astype(x.dtype)


def test_greedy_the_pages_example_as_tensorflow_decodes_it():
    a, b, blank = 0, 1, 2
    x = np.eye(3)[[a, b, b, blank, b, blank, b]][None]
    d, n, _ = nf.ctc_greedy_decoder(x, [7], blank_index=blank)
    np.testing.assert_array_equal(d[0, : n[0]], [a, b, b, b])  # the page says 'A B'
    d, n, _ = nf.ctc_greedy_decoder(x, [7], blank_index=blank, merge_repeated=False)
    np.testing.assert_array_equal(d[0, : n[0]], [a, b, b, b, b])  # the page: 'A B B B B B'


def _exhaustive(x, blank, top):
    probs = _brute.labelling_probs(x, blank)
    ranked = sorted(probs.items(), key=lambda kv: -kv[1])
    return ranked[:top]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("blank", [0, 2])
def test_beam_search_equals_exhaustive_search(seed, blank):
    # T <= 6, C = 3: at most 2**7 - 1 = 127 labellings, so a beam of 200 keeps them all and
    # the search is exact: the top labellings and their probabilities.
    rng = np.random.default_rng(seed)
    t = 1 + seed % 6
    x = rng.normal(0, 1.5, (2, t, 3))
    lengths = np.array([t, max(t - 2, 0)])
    top = 3
    d, n, lp = nf.ctc_beam_search_decoder(
        x, lengths, beam_width=200, top_paths=top, blank_index=blank
    )
    for b in range(2):
        ref = _exhaustive(x[b, : lengths[b]], blank, top)
        got_p = np.exp(lp[b, : len(ref)])
        np.testing.assert_allclose(got_p, [p for _, p in ref], rtol=1e-10)
        for j, (labels, p) in enumerate(ref):
            # Equal probabilities may come in either order: compare by probability.
            if j + 1 < len(ref) and np.isclose(p, ref[j + 1][1]):
                continue
            if j > 0 and np.isclose(p, ref[j - 1][1]):
                continue
            assert tuple(d[j, b, : n[j, b]]) == labels, (seed, b, j)
        assert np.all(lp[b, len(ref) :] == -np.inf)


def test_beam_search_narrow_beam_is_the_best_labelling_here():
    # Greedy's best path 'a' has a lower labelling probability than '' here.
    p = np.array([[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]])  # blank 0; 'a' = 1, 'b' = 2
    x = np.log(p)[None]
    probs = _brute.labelling_probs(x[0], 0)
    best = max(probs, key=probs.get)
    d, n, lp = nf.ctc_beam_search_decoder(x, [2], beam_width=4)
    assert tuple(d[0, 0, : n[0, 0]]) == best
    np.testing.assert_allclose(np.exp(lp[0, 0]), probs[best])


def test_beam_search_merge_repeated_merges_the_output_only():
    # 'a a' (with a blank between) is the best labelling; TF 1's merge returns 'a'.
    p = np.array([[0.05, 0.9, 0.05], [0.9, 0.05, 0.05], [0.05, 0.9, 0.05]])
    x = np.log(p)[None]
    d0, n0, lp0 = nf.ctc_beam_search_decoder(x, [3])
    d1, n1, lp1 = nf.ctc_beam_search_decoder(x, [3], merge_repeated=True)
    assert tuple(d0[0, 0, : n0[0, 0]]) == (1, 1)
    assert tuple(d1[0, 0, : n1[0, 0]]) == (1,)
    np.testing.assert_array_equal(lp0, lp1)


def test_beam_search_graph_mode_unknown_batch_and_time():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 4)).astype(np.float32)
    lengths = np.array([5, 2])
    eager = nf.ctc_beam_search_decoder(x, lengths, beam_width=8, top_paths=2)
    graph = nf.Graph()
    px = graph.placeholder("x", (None, None, 4), np.float32)
    pl = graph.placeholder("l", (None,), np.int64)
    outs = nf.ctc_beam_search_decoder(px, pl, beam_width=8, top_paths=2, name="beam")
    assert outs[0].shape == (2, None, None) and outs[2].shape == (None, 2)
    for got, want in zip(graph.run(list(outs), {"x": x, "l": lengths}), eager, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("strategy", ["greedy", "beam_search"])
def test_ctc_decode_shapes(strategy):
    x = np.random.default_rng(0).normal(size=(3, 5, 4)).astype(np.float32)
    d, s = nf.ctc_decode(x, [5, 4, 0], strategy=strategy, top_paths=2, beam_width=5)
    p = 1 if strategy == "greedy" else 2
    assert d.shape == (p, 3, 5) and d.dtype == np.int64
    assert s.shape == (3, p) and s.dtype == np.float32
    assert (d[:, 2] == -1).all()


@pytest.mark.parametrize("fn", [nf.ctc_greedy_decoder, nf.ctc_beam_search_decoder])
def test_decoders_pass_no_gradient(fn):
    v = nf.Variable(np.random.default_rng(0).normal(size=(1, 2, 3)), requires_grad=True)
    _, _, s = fn(v, [2])
    (g,) = nf.grad(nf.sum(s) + nf.sum(v), [v])
    np.testing.assert_array_equal(g.data, 1.0)


_X = np.zeros((2, 3, 4), np.float32)
_BAD = [
    (
        nf.ctc_greedy_decoder,
        (np.zeros((2, 3)), np.ones(2, int)),
        {},
        nf.ShapeError,
        "ctc_greedy_decoder: `logits` must have rank 3; received logits.shape=(2, 3).",
    ),
    (
        nf.ctc_greedy_decoder,
        (_X, np.ones(3, int)),
        {},
        nf.ShapeError,
        "ctc_greedy_decoder: the batch sizes of `logits` and `logit_length` must agree; "
        "received logits.shape=(2, 3, 4), logit_length.shape=(3,).",
    ),
    (
        nf.ctc_greedy_decoder,
        (_X, np.ones(2)),
        {},
        nf.DTypeError,
        "ctc_greedy_decoder: `logit_length` must have an integer dtype; "
        "received logit_length.dtype=float64.",
    ),
    (
        nf.ctc_greedy_decoder,
        (_X, np.ones(2, int)),
        {"blank_index": -5},
        nf.ArgumentError,
        "ctc_greedy_decoder: `blank_index` must lie in [-4, 4); received blank_index=-5, "
        "num_classes=4.",
    ),
    (
        nf.ctc_beam_search_decoder,
        (_X, np.ones(2, int)),
        {"beam_width": 0},
        nf.ArgumentError,
        "ctc_beam_search_decoder: `beam_width` must be positive; received beam_width=0.",
    ),
    (
        nf.ctc_beam_search_decoder,
        (_X, np.ones(2, int)),
        {"beam_width": 2, "top_paths": 3},
        nf.ArgumentError,
        "ctc_beam_search_decoder: `top_paths` must be at most beam_width; received top_paths=3, "
        "beam_width=2.",
    ),
    (
        nf.ctc_beam_search_decoder,
        (_X, np.ones(2, int)),
        {"top_paths": 0},
        nf.ArgumentError,
        "ctc_beam_search_decoder: `top_paths` must be positive; received top_paths=0.",
    ),
    (
        nf.ctc_beam_search_decoder,
        (_X, np.ones(2, int)),
        {"beam_width": 2**40},
        nf.ArgumentError,
        "ctc_beam_search_decoder: `beam_width` must keep beam_width * num_classes at most "
        "67108864; received beam_width=1099511627776, num_classes=4.",
    ),
    (
        nf.ctc_decode,
        (_X, np.ones(2, int)),
        {"strategy": "beam_seatch"},
        nf.ArgumentError,
        "ctc_decode: `strategy` must be one of 'greedy', 'beam_search'; "
        "received strategy='beam_seatch'.",
    ),
]


@pytest.mark.parametrize("fn, inputs, kwargs, exc, message", _BAD)
def test_bad_inputs(fn, inputs, kwargs, exc, message):
    assert_raises_both_modes(fn, inputs, kwargs, exc, message)


@pytest.mark.parametrize("fn", [nf.ctc_greedy_decoder, nf.ctc_beam_search_decoder])
def test_bad_lengths(fn):
    msg = (
        f"{fn.__name__}: `logit_length` must lie in [0, 3] (at most the number of time steps); "
        "received logit_length[1]=4."
    )
    with pytest.raises(nf.ArgumentError, match=re.escape(msg)):
        fn(_X, np.array([1, 4]))


def test_one_class_and_non_finite_logits(recwarn):
    d, _, lp = nf.ctc_beam_search_decoder(np.zeros((2, 3, 1)), [3, 0], beam_width=2, top_paths=2)
    np.testing.assert_array_equal(d, -1)
    np.testing.assert_array_equal(lp, [[0.0, -np.inf], [0.0, -np.inf]])
    x = np.full((1, 3, 3), np.nan)
    assert nf.ctc_beam_search_decoder(x, [3])[2][0, 0] == -np.inf
    x = np.zeros((1, 3, 3))
    x[0, 1] = -np.inf
    assert nf.ctc_beam_search_decoder(x, [3])[2][0, 0] == -np.inf
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
