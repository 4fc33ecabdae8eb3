"""Samplers: distributions checked statistically (10^5 draws, fixed seed, a Kolmogorov-Smirnov
or chi-square test whose threshold a wrong parameterisation fails), shapes, dtypes, graph mode,
random_choice's gradient and the bad-input table."""

import numpy as np
import pytest
from scipy import stats

import nnfunc as nf
from nnfunc.testing import assert_raises_both_modes

N = 100_000
# KS critical distance at alpha = 1e-3 for 10^5 draws is 1.95 / sqrt(N) = 0.0062
KS_MAX = 1.95 / np.sqrt(N)


def ks(sample, cdf):
    return stats.kstest(np.asarray(sample, np.float64), cdf).statistic


CONTINUOUS = [
    # (draw, right distribution, wrong parameterisation that must fail)
    (
        lambda: nf.rand(-2.0, 3.0, (N,), seed=1),
        stats.uniform(-2, 5).cdf,
        stats.uniform(-2, 3).cdf,  # (low, high) read as (loc, scale)
    ),
    (
        lambda: nf.randn(1.0, 2.0, (N,), seed=2),
        stats.norm(1, 2).cdf,
        stats.norm(1, np.sqrt(2)).cdf,  # sigma read as the variance
    ),
    (
        lambda: nf.rand_beta(2.0, 5.0, (N,), seed=3),
        stats.beta(2, 5).cdf,
        stats.beta(5, 2).cdf,  # alpha and beta swapped
    ),
    (
        lambda: nf.rand_gamma(2.5, 3.0, (N,), seed=4),
        stats.gamma(2.5, scale=3.0).cdf,
        stats.gamma(2.5, scale=1 / 3.0).cdf,  # theta read as a rate
    ),
    (
        lambda: nf.rand_gamma(shape=(N,), seed=5),  # defaults k=0.5, theta=1
        stats.gamma(0.5).cdf,
        stats.gamma(1.0).cdf,
    ),
]


@pytest.mark.parametrize("draw, right, wrong", CONTINUOUS)
def test_continuous_samplers_pass_ks_and_a_wrong_parameterisation_fails(draw, right, wrong):
    y = draw()
    assert y.shape == (N,) and y.dtype == np.float32
    assert ks(y, right) < KS_MAX
    assert ks(y, wrong) > 3 * KS_MAX


def chi2_pvalue(counts, probs):
    expected = probs * counts.sum()
    keep = expected > 5
    return stats.chisquare(
        counts[keep], expected[keep] * counts[keep].sum() / expected[keep].sum()
    ).pvalue


def test_binomial_chi_square():
    y = nf.rand_binomial(10, 0.3, (N,), seed=6)
    assert y.dtype == np.float32 and set(np.unique(y)) <= set(range(11))
    counts = np.bincount(y.astype(int), minlength=11)
    assert chi2_pvalue(counts, stats.binom(10, 0.3).pmf(np.arange(11))) > 1e-3
    assert chi2_pvalue(counts, stats.binom(10, 0.7).pmf(np.arange(11))) < 1e-6  # p = failure


def test_binomial_default_is_bernoulli():
    y = nf.rand_binomial(shape=(N,), seed=7)
    assert set(np.unique(y).tolist()) == {0.0, 1.0}
    assert abs(y.mean() - 0.5) < 0.01


def test_randint_is_uniform_on_half_open_range_and_int32():
    y = nf.randint(-3, 4, (N,), seed=8)
    assert y.dtype == np.int32 and y.min() == -3 and y.max() == 3
    counts = np.bincount(y + 3, minlength=7)
    assert chi2_pvalue(counts, np.full(7, 1 / 7)) > 1e-3
    assert chi2_pvalue(np.bincount(y + 3, minlength=8), np.full(8, 1 / 8)) < 1e-6  # closed range
    assert not nf.randint(shape=(100,), seed=0).any()  # defaults 0, 1: always 0


@pytest.mark.parametrize(
    "fn", [nf.rand, nf.randint, nf.randn, nf.rand_binomial, nf.rand_beta, nf.rand_gamma]
)
def test_default_shape_is_0d_and_graph_mode_draws_at_every_run(fn):
    y = fn(seed=0)
    assert isinstance(y, np.ndarray) and y.shape == ()
    assert fn(shape=[2, 0], seed=0).shape == (2, 0)
    with nf.Graph() as g:
        node = fn(shape=(3, 2), seed=0, name="s")
    assert g["s"] is node and node.shape == (3, 2)
    np.testing.assert_array_equal(g.run(node), fn(shape=(3, 2), seed=0))


def test_rand_never_reaches_high_in_float32():
    y = nf.rand(0.0, 1.0 + 1e-9, (N,), seed=0)
    assert y.max() < np.float32(1.0 + 1e-9)


# ----------------------------------------------------------------------------- random_choice
def test_random_choice_page_example_shapes_and_members():
    x = np.array([[11, 22, 33], [110, 220, 330]])
    w = np.array([[10, 20, 70], [70, 20, 10]])
    y = nf.random_choice(x, w, seed=0)
    assert y.shape == (2, 1) and y.dtype == x.dtype
    y = nf.random_choice(x, w, shape=(3, 4), seed=0)
    assert y.shape == (2, 3, 4)
    assert set(y[0].ravel()) <= {11, 22, 33} and set(y[1].ravel()) <= {110, 220, 330}


def test_random_choice_with_replacement_frequencies():
    w = np.array([[10.0, 20, 70, 0], [0, 1, 1, 2]])
    y = nf.random_choice(np.tile(np.arange(4.0), (2, 1)), w, shape=(N,), seed=1)
    for row in range(2):
        counts = np.bincount(y[row].astype(int), minlength=4)
        probs = w[row] / w[row].sum()
        assert counts[probs == 0].sum() == 0
        assert chi2_pvalue(counts, probs) > 1e-3
        assert chi2_pvalue(counts, np.roll(probs, 1) + 1e-9) < 1e-6


def test_random_choice_without_replacement_is_successive_weighted_draws():
    w = np.array([1.0, 2.0, 3.0, 0.0, 4.0])
    x = np.tile(np.arange(5.0), (N // 10, 1))
    y = nf.random_choice(x, np.tile(w, (N // 10, 1)), shape=(2,), replace=False, seed=2)
    assert (y[:, 0] != y[:, 1]).all() and not (y == 3).any()
    # P(first = i, second = j) = w_i / S * w_j / (S - w_i)
    s = w.sum()
    probs = np.array(
        [[w[i] / s * w[j] / (s - w[i]) if i != j else 0 for j in range(5)] for i in range(5)]
    ).ravel()
    counts = np.bincount((y[:, 0] * 5 + y[:, 1]).astype(int), minlength=25)
    assert chi2_pvalue(counts, probs) > 1e-3
    # all members of a population with exactly prod(shape) non-zero weights
    z = nf.random_choice(np.arange(5.0), w, shape=(4,), replace=False, seed=0)
    assert sorted(z.tolist()) == [0.0, 1.0, 2.0, 4.0]


def test_random_choice_gradient_goes_to_x_and_w_at_the_chosen_positions():
    x = nf.Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), requires_grad=True)
    w = nf.Variable(np.array([[1.0, 1.0, 1.0], [1.0, 0.0, 1.0]]), requires_grad=True)
    y = nf.random_choice(x, w, shape=(6,), seed=3)
    gy = np.random.default_rng(0).standard_normal(y.shape)
    nf.sum(y * gy).backward()
    ref = np.zeros((2, 3))
    for r in range(2):
        for k in range(6):
            j = int(np.flatnonzero(x.data[r] == y.data[r, k])[0])
            ref[r, j] += gy[r, k]
    np.testing.assert_allclose(x.grad, ref)
    np.testing.assert_allclose(w.grad, ref)
    # second order: the gradient is linear in gy
    (gx,) = nf.grad(nf.sum(nf.random_choice(x, w, (6,), seed=3) ** 2), [x], create_graph=True)
    (ggx,) = nf.grad(nf.sum(gx), [x])
    assert ggx.shape == (2, 3)


def test_random_choice_graph_mode_unknown_batch():
    g = nf.Graph()
    px = g.placeholder("x", (None, 3), np.float64)
    pw = g.placeholder("w", (None, 3), np.float64)
    y = nf.random_choice(px, pw, shape=(4,), seed=5, name="c")
    assert y.shape == (None, 4)
    (gw,) = g.grad(nf.sum(y), [pw])
    x = np.arange(6.0).reshape(2, 3)
    yv, gv = g.run([y, gw], {"x": x, "w": np.ones((2, 3))})
    np.testing.assert_array_equal(yv, nf.random_choice(x, np.ones((2, 3)), (4,), seed=5))
    assert gv.sum() == 8


# ----------------------------------------------------------------------------- bad input
SAMPLER_BAD = [
    (
        nf.rand,
        {"low": 1.0, "high": 1.0},
        "rand: `high` must be greater than `low`; received low=1.0, high=1.0.",
    ),
    (
        nf.randint,
        {"low": 3, "high": 2},
        "randint: `high` must be greater than `low`; received low=3, high=2.",
    ),
    (nf.randint, {"high": 2**40}, "randint: `high` must be <= 2**31; received high=1099511627776."),
    (nf.randn, {"sigma": -1.0}, "randn: `sigma` must be in [0, inf); received sigma=-1.0."),
    (nf.rand_binomial, {"p": 1.5}, "rand_binomial: `p` must be in [0, 1]; received p=1.5."),
    (nf.rand_binomial, {"n": -1}, "rand_binomial: `n` must be >= 0; received n=-1."),
    (nf.rand_beta, {"alpha": 0.0}, "rand_beta: `alpha` must be in (0, inf); received alpha=0.0."),
    (nf.rand_beta, {"beta": -1.0}, "rand_beta: `beta` must be in (0, inf); received beta=-1.0."),
    (nf.rand_gamma, {"k": 0}, "rand_gamma: `k` must be in (0, inf); received k=0.0."),
    (nf.rand_gamma, {"theta": -2}, "rand_gamma: `theta` must be in (0, inf); received theta=-2.0."),
    (
        nf.rand,
        {"shape": (2, -1)},
        "rand: `shape` must be a sequence of non-negative ints; received shape=(2, -1).",
    ),
    (
        nf.randn,
        {"shape": "ab"},
        "randn: `shape` must be a sequence of non-negative ints; received shape='ab'.",
    ),
    (
        nf.randn,
        {"shape": (10**9, 10**9)},
        "randn: `shape` must hold at most 2**28 = 268435456 elements; received "
        "shape=(1000000000, 1000000000).",
    ),
    (
        nf.rand,
        {"seed": -3},
        "rand: `seed` must be None, -1, a non-negative int or a Generator; received seed=-3.",
    ),
]


@pytest.mark.parametrize("fn, kwargs, message", SAMPLER_BAD)
def test_sampler_bad_arguments(fn, kwargs, message):
    with pytest.raises(nf.ArgumentError) as info:
        fn(**kwargs)
    assert str(info.value) == message


CHOICE_BAD = [
    (
        (np.zeros((2, 3)), np.ones((2, 4))),
        {},
        nf.ShapeError,
        "random_choice: `x` and `w` must have one shape of rank >= 1; received x.shape=(2, 3), "
        "w.shape=(2, 4).",
    ),
    (
        (np.zeros(3), np.ones(3)),
        {"replace": 1},
        nf.ArgumentError,
        "random_choice: `replace` must be a bool; received replace=1.",
    ),
    (
        (np.zeros(3), np.array(["a", "b", "c"])),
        {},
        nf.DTypeError,
        "random_choice: `w` must have a real dtype; received w.dtype=<U1.",
    ),
]


@pytest.mark.parametrize("inputs, kwargs, exc, message", CHOICE_BAD)
def test_random_choice_bad_arguments(inputs, kwargs, exc, message):
    if exc is nf.DTypeError:
        with pytest.raises(exc) as info:
            nf.random_choice(*inputs, **kwargs)
        assert str(info.value) == message
    else:
        assert_raises_both_modes(nf.random_choice, inputs, kwargs, exc, message)


@pytest.mark.parametrize(
    "w, replace, message",
    [
        (
            [1.0, -1.0, 2.0],
            True,
            "random_choice: `w` must hold weights >= 0; received min(w)=-1.0.",
        ),
        (
            [0.0, 0.0, 0.0],
            True,
            "random_choice: `w` must have a positive sum in every population; received "
            "min(sum(w))=0.0.",
        ),
        (
            [1.0, 0.0, 0.0],
            False,
            "random_choice: `w` must have at least prod(shape) non-zero weights in every "
            "population when replace=False; received prod(shape)=2, min non-zero weights=1.",
        ),
    ],
)
def test_random_choice_bad_weights_at_run_time(w, replace, message):
    with pytest.raises(nf.ArgumentError) as info:
        nf.random_choice(np.arange(3.0), np.array(w), shape=(2,), replace=replace, seed=0)
    assert str(info.value) == message
    g = nf.Graph()
    y = nf.random_choice(
        g.placeholder("x", (3,), np.float64), g.placeholder("w", (3,), np.float64), (2,), replace
    )
    with pytest.raises(nf.ArgumentError, match="must"):
        g.run(y, {"x": np.arange(3.0), "w": np.array(w)})
