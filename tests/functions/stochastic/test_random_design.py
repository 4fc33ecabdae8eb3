"""The one random design (nnfunc.random) held by every function that draws: the same seed gives
the same result eagerly and on every graph run; without a seed each call and each run draws
anew; nnfunc.random.seed(n) makes unseeded programs reproducible; threads never share a
stream."""

import threading

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.tf as tf

IMG = np.random.default_rng(0).random((4, 3, 8, 8)).astype(np.float32)
POP = np.arange(12.0).reshape(3, 4)
W = np.ones((3, 4))

# name -> (call with given inputs and seed, the tensor inputs)
CASES = {
    "rand": (lambda seed, name=None: nf.rand(shape=(50,), seed=seed, name=name), ()),
    "randint": (lambda seed, name=None: nf.randint(0, 1000, (50,), seed, name=name), ()),
    "randn": (lambda seed, name=None: nf.randn(shape=(50,), seed=seed, name=name), ()),
    "rand_binomial": (
        lambda seed, name=None: nf.rand_binomial(100, 0.5, (50,), seed, name=name),
        (),
    ),
    "rand_beta": (lambda seed, name=None: nf.rand_beta(shape=(50,), seed=seed, name=name), ()),
    "rand_gamma": (lambda seed, name=None: nf.rand_gamma(shape=(50,), seed=seed, name=name), ()),
    "random_choice": (
        lambda x, w, seed, name=None: nf.random_choice(x, w, (20,), seed=seed, name=name),
        (POP, W),
    ),
    "random_crop": (
        lambda x, seed, name=None: nf.random_crop(x, (3, 5, 5), seed=seed, name=name),
        (IMG,),
    ),
    "random_flip": (
        lambda x, seed, name=None: nf.random_flip(x, (2, 3), seed=seed, name=name),
        (IMG,),
    ),
    "random_shift": (
        lambda x, seed, name=None: nf.random_shift(x, (3, 3), seed=seed, name=name),
        (IMG,),
    ),
    "random_erase": (
        lambda x, seed, name=None: nf.random_erase(x, prob=1.0, seed=seed, name=name),
        (IMG,),
    ),
    "image_augmentation": (
        lambda x, seed, name=None: nf.image_augmentation(
            x, angle=0.5, min_scale=0.7, max_scale=1.3, noise=0.1, seed=seed, name=name
        ),
        (IMG,),
    ),
    "dropout": (lambda x, seed, name=None: nf.dropout(x, 0.5, seed=seed, name=name), (IMG,)),
    "fractional_max_pool": (
        lambda x, seed, name=None: nf.fractional_max_pool(x, (1.5, 1.5), seed=seed, name=name)[1],
        (np.zeros((1, 1, 40, 40)),),
    ),
}


def _eager(case, seed):
    fn, inputs = CASES[case]
    return np.asarray(fn(*inputs, seed))


def _graph(case, seed):
    fn, inputs = CASES[case]
    g = nf.Graph()
    with g:
        phs = [g.placeholder(f"in{i}", x.shape, x.dtype) for i, x in enumerate(inputs)]
        out = fn(*phs, seed, name="out")
    feeds = {f"in{i}": x for i, x in enumerate(inputs)}
    return g, out, feeds


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_seed_same_result_eager_and_every_graph_run(case):
    a = _eager(case, 7)
    np.testing.assert_array_equal(a, _eager(case, 7))
    assert not np.array_equal(a, _eager(case, 8))
    g, out, feeds = _graph(case, 7)
    np.testing.assert_array_equal(g.run(out, feeds), a)
    np.testing.assert_array_equal(g.run(out, feeds), a)


@pytest.mark.parametrize("case", sorted(CASES))
def test_without_seed_every_call_and_every_run_draws_anew(case):
    for none in (None, -1):
        assert not np.array_equal(_eager(case, none), _eager(case, none))
    g, out, feeds = _graph(case, None)
    assert not np.array_equal(g.run(out, feeds), g.run(out, feeds))


@pytest.mark.parametrize("case", sorted(CASES))
def test_global_seed_makes_unseeded_draws_reproducible(case):
    nf.random.seed(123)
    a = [_eager(case, None), _eager(case, -1)]
    nf.random.seed(123)
    b = [_eager(case, None), _eager(case, -1)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[1])
    nf.random.seed(124)
    assert not np.array_equal(_eager(case, None), a[0])
    nf.random.seed()


def test_a_generator_as_seed_is_advanced_by_each_call():
    rng = np.random.default_rng(0)
    a, b = nf.randn(shape=(5,), seed=rng), nf.randn(shape=(5,), seed=rng)
    assert not np.array_equal(a, b)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(nf.randn(shape=(5,), seed=rng), a)


def test_threads_draw_from_distinct_streams_and_seeds_are_thread_safe():
    nf.random.seed(5)
    results, seeded = {}, {}
    barrier = threading.Barrier(4)

    def work(k):
        barrier.wait()
        results[k] = [nf.randn(shape=(64,)) for _ in range(20)]
        seeded[k] = [nf.randn(shape=(64,), seed=99) for _ in range(20)]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    firsts = [results[k][0].tobytes() for k in range(4)]
    assert len(set(firsts)) == 4  # no two threads share a stream
    draws = {a.tobytes() for k in range(4) for a in results[k]}
    assert len(draws) == 80  # nor does any stream repeat
    ref = nf.randn(shape=(64,), seed=99)
    for k in range(4):
        for a in seeded[k]:
            np.testing.assert_array_equal(a, ref)
    nf.random.seed()


def test_tf_fractional_pool_seed_pair_repeats_across_graph_runs():
    x = np.random.default_rng(1).random((1, 20, 20, 1))
    a = tf.nn.fractional_max_pool(x, [1.0, 1.5, 1.5, 1.0], seed=3, seed2=4)
    b = tf.nn.fractional_max_pool(x, [1.0, 1.5, 1.5, 1.0], seed=3, seed2=4)
    np.testing.assert_array_equal(a[1], b[1])
    g = nf.Graph()
    p = g.placeholder("x", (1, 20, 20, 1), np.float64)
    y = tf.nn.fractional_max_pool(p, [1.0, 1.5, 1.5, 1.0], seed=3, seed2=4, name="f")
    np.testing.assert_array_equal(g.run(y[1], {"x": x}), a[1])
    np.testing.assert_array_equal(g.run(y[1], {"x": x}), a[1])


@pytest.mark.parametrize("seed", [-2, 2**63, 1.5, "1", True])
def test_bad_seeds_are_rejected_everywhere(seed):
    message = "`seed` must be None, -1, a non-negative int or a Generator"
    for call in (
        lambda: nf.rand(seed=seed),
        lambda: nf.random_flip(IMG, seed=seed),
        lambda: nf.image_augmentation(IMG, seed=seed),
        lambda: nf.fractional_max_pool(np.zeros((1, 1, 8, 8)), (1.5, 1.5), seed=seed),
    ):
        with pytest.raises(nf.ArgumentError, match=message):
            call()
