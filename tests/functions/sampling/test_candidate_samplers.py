"""Candidate samplers: distributions (chi-square), expected counts, seeds, state, bad input."""

import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.functions.sampling import LearnedUnigramSampler
from nnfunc.testing import assert_raises_both_modes

R = 20
DRAWS = 100_000
# Chi-square critical values at p = 1e-6 (scipy.stats.chi2.ppf(1 - 1e-6, df), written out so
# the test needs no scipy): a correct sampler passes with near certainty (the seed is fixed
# anyway), a wrong distribution exceeds them by far.
CHI2_CRIT = {19: 63.677, 5: 35.888, 2: 27.631}
THRESHOLD = CHI2_CRIT[R - 1]


def log_uniform_p(r):
    c = np.arange(r, dtype=np.float64)
    return (np.log(c + 2) - np.log(c + 1)) / np.log(r + 1)


UNIGRAMS = np.array([5, 1, 0.5, 3, 2, 8, 1, 1, 4, 0.25, 6, 2, 2, 1, 7, 3, 0.5, 1, 9, 2])


def chi2(samples, p):
    counts = np.bincount(samples, minlength=len(p))
    expected = len(samples) * p
    return float(((counts - expected) ** 2 / expected).sum())


SAMPLERS = {
    "uniform": (
        lambda tc, n, unique, seed: nf.uniform_candidate_sampler(tc, 1, n, unique, R, seed),
        np.full(R, 1 / R),
    ),
    "log_uniform": (
        lambda tc, n, unique, seed: nf.log_uniform_candidate_sampler(tc, 1, n, unique, R, seed),
        log_uniform_p(R),
    ),
    "fixed_unigram": (
        lambda tc, n, unique, seed: nf.fixed_unigram_candidate_sampler(
            tc, 1, n, unique, R, unigrams=UNIGRAMS, seed=seed
        ),
        UNIGRAMS / UNIGRAMS.sum(),
    ),
    "fixed_unigram_distorted": (
        lambda tc, n, unique, seed: nf.fixed_unigram_candidate_sampler(
            tc, 1, n, unique, R, unigrams=UNIGRAMS, distortion=0.5, seed=seed
        ),
        np.sqrt(UNIGRAMS) / np.sqrt(UNIGRAMS).sum(),
    ),
    "learned_unigram": (  # fresh counts: uniform
        lambda tc, n, unique, seed: nf.learned_unigram_candidate_sampler(tc, 1, n, unique, R, seed),
        np.full(R, 1 / R),
    ),
}
TC = np.array([[0], [3], [19]])


@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_distribution_chi_square(kind):
    sample, p = SAMPLERS[kind]
    s, _, _ = sample(TC, DRAWS, False, 1234)
    assert s.dtype == np.int64 and s.shape == (DRAWS,)
    assert chi2(s, p) < THRESHOLD
    # The threshold has power: the nearest wrong candidates fail it by far.
    wrong = [np.full(R, 1 / R), log_uniform_p(R), UNIGRAMS / UNIGRAMS.sum()]
    for q in wrong:
        if not np.allclose(q, p):
            assert chi2(s, q) > 10 * THRESHOLD
    near = p * (1 + 0.1 * np.sin(np.arange(R)))  # a 10% distortion of the right one
    assert chi2(s, near / near.sum()) > THRESHOLD


@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_expected_counts_with_replacement(kind):
    sample, p = SAMPLERS[kind]
    s, t, q = sample(TC, 7, False, 0)
    assert t.dtype == q.dtype == np.float32 and t.shape == TC.shape and q.shape == (7,)
    np.testing.assert_allclose(t, 7 * p[TC], rtol=1e-6)
    np.testing.assert_allclose(q, 7 * p[s], rtol=1e-6)


@pytest.mark.parametrize("kind", ["uniform", "log_uniform", "fixed_unigram"])
def test_unique_samples_and_post_rejection_counts(kind):
    sample, p = SAMPLERS[kind]
    for seed in range(5):
        n = 12
        s, t, q = sample(TC, n, True, seed)
        assert len(set(s.tolist())) == n
        if np.allclose(q, n * p[s], rtol=1e-6):  # no draw rejected: n p, as TensorFlow
            np.testing.assert_allclose(t, n * p[TC], rtol=1e-6)
            continue
        # q = 1 - (1 - p)^T for one number of draws T >= n shared by every candidate and target
        T = np.log1p(-q.astype(np.float64)) / np.log1p(-p[s])
        assert T.min() >= n - 1e-3
        np.testing.assert_allclose(T, T[0], rtol=1e-4)
        T = round(float(T[0]))
        np.testing.assert_allclose(q, -np.expm1(T * np.log1p(-p[s])), rtol=1e-5)
        np.testing.assert_allclose(t, -np.expm1(T * np.log1p(-p[TC])), rtol=1e-5)


def test_unique_without_rejection_uses_n_p():
    # 2 draws out of 10**12 classes: no repeat, so the count is n * p exactly as TensorFlow.
    _s, _t, q = nf.uniform_candidate_sampler(TC, 1, 2, True, 10**12, seed=0)
    np.testing.assert_allclose(q, [2e-12, 2e-12], rtol=1e-6)


def test_unique_can_take_the_whole_range():
    s, _, _ = nf.log_uniform_candidate_sampler(TC, 1, R, True, R, seed=3)
    assert sorted(s.tolist()) == list(range(R))


@pytest.mark.parametrize("kind", list(SAMPLERS))
def test_seed_reproducible(kind):
    sample, _ = SAMPLERS[kind]
    a = sample(TC, 15, False, 7)
    b = sample(TC, 15, False, 7)
    c = sample(TC, 15, False, 8)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])
    nf.random.seed(11)
    d = sample(TC, 15, True, None)
    nf.random.seed(11)
    e = sample(TC, 15, True, None)
    np.testing.assert_array_equal(d[0], e[0])


def test_graph_seed_and_fresh_draws():
    g = nf.Graph()
    tc = g.placeholder("tc", (None, 1), np.int64)
    fixed = nf.log_uniform_candidate_sampler(tc, 1, 30, False, 1000, seed=5, name="fixed")
    free = nf.log_uniform_candidate_sampler(tc, 1, 30, False, 1000, name="free")
    r1 = g.run([fixed[0], free[0]], {"tc": TC})
    r2 = g.run([fixed[0], free[0]], {"tc": TC[:1]})
    np.testing.assert_array_equal(r1[0], r2[0])
    np.testing.assert_array_equal(
        r1[0], nf.log_uniform_candidate_sampler(TC, 1, 30, False, 1000, seed=5)[0]
    )
    assert not np.array_equal(r1[1], r2[1])
    assert fixed[1].shape == (None, 1)


def test_learned_unigram_counts_after_known_batches():
    s = LearnedUnigramSampler(6)
    _, t, _ = s(np.array([[0], [0], [3]]), 1, 4, False, seed=0)
    np.testing.assert_allclose(t, 4 * np.array([[1], [1], [1]]) / 6)  # counted after the draw
    np.testing.assert_array_equal(s.counts, [3, 1, 1, 2, 1, 1])
    _, t, _q = s(np.array([[3, 1], [5, 0]]), 2, 4, False, seed=0)
    np.testing.assert_allclose(t, 4 * np.array([[2, 1], [1, 3]]) / 9, rtol=1e-6)
    np.testing.assert_array_equal(s.counts, [4, 2, 1, 3, 1, 2])
    # the learned distribution, checked statistically
    cand, _, _ = s(np.array([[0]]), 1, DRAWS, False, seed=99)
    p = np.array([4, 2, 1, 3, 1, 2]) / 13
    assert chi2(cand, p) < CHI2_CRIT[5]
    assert chi2(cand, np.full(6, 1 / 6)) > CHI2_CRIT[5]


def test_learned_unigram_state_lives_in_the_graph_node():
    g = nf.Graph()
    tc = g.placeholder("tc", (None, 1), np.int64)
    _, t, _ = nf.learned_unigram_candidate_sampler(tc, 1, 2, False, 4, name="s")
    seen = [g.run(t, {"tc": np.array([[2], [2]])})[0, 0] for _ in range(3)]
    # run k sees 1 + 2k counts of class 2 among 4 + 2k
    np.testing.assert_allclose(seen, [2 * 1 / 4, 2 * 3 / 6, 2 * 5 / 8], rtol=1e-6)
    # a plain eager call starts fresh every time
    for _ in range(2):
        _, te, _ = nf.learned_unigram_candidate_sampler(np.array([[2], [2]]), 1, 2, False, 4)
        np.testing.assert_allclose(te, [[0.5], [0.5]])


def test_fixed_unigram_reserved_ids_and_vocab_file(tmp_path):
    vocab = tmp_path / "vocab.csv"
    vocab.write_text("the,5\n\nof,1\nand,2.5\n")  # an empty line is skipped
    kw = {"num_reserved_ids": 2, "seed": 4}
    a = nf.fixed_unigram_candidate_sampler(TC % 5, 1, 2000, False, 5, vocab_file=str(vocab), **kw)
    b = nf.fixed_unigram_candidate_sampler(TC % 5, 1, 2000, False, 5, unigrams=[5, 1, 2.5], **kw)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert a[0].min() >= 2  # reserved ids have probability 0
    np.testing.assert_allclose(a[1], 2000 * np.array([[0], [1], [2.5]]) / 8.5, rtol=1e-6)


def test_fixed_unigram_shards():
    # ids 0..5 with counts 1..6, two shards: shard 1 holds ids 1, 3, 5 (counts 2, 4, 6)
    u = [1, 2, 3, 4, 5, 6]
    s, t, _q = nf.fixed_unigram_candidate_sampler(
        np.array([[0], [2]]), 1, DRAWS, False, 3, unigrams=u, num_shards=2, shard=1, seed=0
    )
    p = np.array([2, 4, 6]) / 12
    assert chi2(s, p) < CHI2_CRIT[2]
    np.testing.assert_allclose(t.ravel(), DRAWS * p[[0, 2]], rtol=1e-6)


def test_compute_accidental_hits_matches_brute_force():
    rng = np.random.default_rng(0)
    tc = rng.integers(0, 8, (6, 3))
    sc = np.array([3, 7, 1, 3, 6])  # 3 twice: found at its last position, as TensorFlow
    idx, ids, w = nf.compute_accidental_hits(tc, sc, 3)
    want_i, want_k = [], []
    for i in range(6):
        for j in range(3):
            hits = [k for k in range(5) if sc[k] == tc[i, j]]
            if hits:
                want_i.append(i)
                want_k.append(hits[-1])
    assert idx.dtype == np.int32 and ids.dtype == np.int64 and w.dtype == np.float32
    np.testing.assert_array_equal(idx, want_i)
    np.testing.assert_array_equal(ids, want_k)
    np.testing.assert_array_equal(w, np.full(len(want_i), -np.finfo(np.float32).max))


def test_compute_accidental_hits_in_a_graph():
    g = nf.Graph()
    tc = g.placeholder("tc", (None, 2), np.int64)
    idx, ids, _w = nf.compute_accidental_hits(tc, np.array([4, 5, 1]), 2, name="hits")
    assert idx.shape == (None,)
    out = g.run([idx, ids], {"tc": np.array([[1, 2], [3, 4], [5, 5]])})
    np.testing.assert_array_equal(out[0], [0, 1, 2, 2])
    np.testing.assert_array_equal(out[1], [2, 0, 1, 1])
    none = nf.compute_accidental_hits(np.array([[9]]), np.array([1, 2]), 1)
    assert [x.shape for x in none] == [(0,), (0,), (0,)]


U = "uniform_candidate_sampler"
F = "fixed_unigram_candidate_sampler"
TC2 = np.array([[1, 2], [3, 4]])

TABLE = [
    (nf.uniform_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 6, "unique": True,
     "range_max": 5}, nf.ArgumentError,
     f"{U}: `num_sampled` must be <= range_max when unique=True; received num_sampled=6, "
     "range_max=5."),
    (nf.uniform_candidate_sampler, (TC2,), {"num_true": 3, "num_sampled": 2, "unique": False,
     "range_max": 5}, nf.ShapeError,
     f"{U}: `true_classes` must have shape (batch_size, num_true); received "
     "true_classes.shape=(2, 2), num_true=3."),
    (nf.uniform_candidate_sampler, (TC2.astype(float),), {"num_true": 2, "num_sampled": 2,
     "unique": False, "range_max": 5}, nf.DTypeError,
     f"{U}: `true_classes` must have an integer dtype; received true_classes.dtype=float64."),
    (nf.uniform_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 0, "unique": False,
     "range_max": 5}, nf.ArgumentError,
     f"{U}: `num_sampled` must be positive; received num_sampled=0."),
    (nf.uniform_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 10**9,
     "unique": False, "range_max": 5}, nf.ArgumentError,
     f"{U}: `num_sampled` must be <= 67108864; received num_sampled=1000000000."),
    (nf.uniform_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 1, "unique": False,
     "range_max": 5, "seed": -3}, nf.ArgumentError,
     f"{U}: `seed` must be None, -1, a non-negative int or a Generator; received seed=-3."),
    (nf.learned_unigram_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 1,
     "unique": False, "range_max": 10**9}, nf.ArgumentError,
     "learned_unigram_candidate_sampler: `range_max` must be <= 67108864; received "
     "range_max=1000000000."),
    (nf.fixed_unigram_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 1,
     "unique": False, "range_max": 5}, nf.ArgumentError,
     f"{F}: `vocab_file` must be given, or `unigrams`, but not both; received vocab_file='', "
     "unigrams=()."),
    (nf.fixed_unigram_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 1,
     "unique": False, "range_max": 5, "vocab_file": "v.txt", "unigrams": [1, 2, 3, 4, 5]},
     nf.ArgumentError,
     f"{F}: `vocab_file` must be given, or `unigrams`, but not both; received "
     "vocab_file='v.txt', unigrams='<5 values>'."),
    (nf.fixed_unigram_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 1,
     "unique": False, "range_max": 5, "unigrams": [1, 2, 3, 4, 5], "distortion": -0.5},
     nf.ArgumentError, f"{F}: `distortion` must be in [0, inf); received distortion=-0.5."),
    (nf.fixed_unigram_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 1,
     "unique": False, "range_max": 6, "unigrams": [1, 2, 3, 4, 5]}, nf.ArgumentError,
     f"{F}: `range_max` must equal the number of ids in the shard (reserved ids included); "
     "received range_max=6, ids=5."),
    (nf.fixed_unigram_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 4,
     "unique": True, "range_max": 5, "unigrams": [1, 0, 3, 0, 5]}, nf.ArgumentError,
     f"{F}: `num_sampled` must not exceed the ids of non-zero probability when unique=True; "
     "received num_sampled=4, nonzero=3."),
    (nf.fixed_unigram_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 1,
     "unique": False, "range_max": 5, "unigrams": [1, 2, -3, 4, 5]}, nf.ArgumentError,
     f"{F}: `unigrams` must hold finite non-negative counts; received unigrams[2]=-3.0."),
    (nf.fixed_unigram_candidate_sampler, (TC2,), {"num_true": 2, "num_sampled": 1,
     "unique": False, "range_max": 5, "unigrams": [1, 2, 3, 4, 5], "num_shards": 2,
     "shard": 2}, nf.ArgumentError,
     f"{F}: `shard` must be < num_shards; received shard=2, num_shards=2."),
    (nf.compute_accidental_hits, (TC2, np.array([[1]])), {"num_true": 2}, nf.ShapeError,
     "compute_accidental_hits: `sampled_candidates` must have rank 1; received "
     "sampled_candidates.shape=(1, 1)."),
]  # fmt: skip


@pytest.mark.parametrize(("function", "inputs", "kwargs", "exc", "message"), TABLE)
def test_bad_input(function, inputs, kwargs, exc, message):
    assert_raises_both_modes(function, inputs, kwargs, exc, message)


def test_true_class_out_of_range_is_reported_with_its_position():
    msg = (
        "log_uniform_candidate_sampler: `true_classes` must hold classes in [0, 5); received "
        "true_classes[1, 0]=7."
    )
    with pytest.raises(nf.ArgumentError, match=re.escape(msg)):
        nf.log_uniform_candidate_sampler(np.array([[1], [7]]), 1, 2, False, 5)
    g = nf.Graph()
    tc = g.placeholder("tc", (None, 1), np.int64)
    out = nf.log_uniform_candidate_sampler(tc, 1, 2, False, 5, name="s")
    with pytest.raises(nf.ArgumentError, match=re.escape(msg.replace(": ", " (node 's'): ", 1))):
        g.run(out[0], {"tc": np.array([[1], [7]])})


def test_unreadable_vocab_file(tmp_path):
    msg = "fixed_unigram_candidate_sampler: `vocab_file` must be a readable file; received"
    with pytest.raises(nf.ArgumentError, match=re.escape(msg)):
        nf.fixed_unigram_candidate_sampler(TC2, 2, 1, False, 3, vocab_file=str(tmp_path / "no"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,1\nb,x\n")
    msg = (
        "fixed_unigram_candidate_sampler: `vocab_file` must end every line with a count; "
        "received line='b,x'."
    )
    with pytest.raises(nf.ArgumentError, match=re.escape(msg)):
        nf.fixed_unigram_candidate_sampler(TC2, 2, 1, False, 2, vocab_file=str(bad))
