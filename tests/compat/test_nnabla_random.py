"""nnabla.functions samplers, augmentation, special layers and NMS: signatures against the
catalog, seed=-1 semantics, the page's examples and NNabla's defaults."""

import csv
import inspect
from pathlib import Path

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as F

from ._signatures import our_params, python_params

NAMES = [
    "rand",
    "randint",
    "randn",
    "rand_binomial",
    "rand_beta",
    "rand_gamma",
    "random_choice",
    "random_crop",
    "random_erase",
    "random_flip",
    "random_shift",
    "image_augmentation",
    "vat_noise",
    "sink",
    "warp_by_flow",
    "nms_detection2d",
]


def _catalog_rows():
    path = Path(nf.__file__).parent / "_data" / "functions.tsv"
    with open(path, encoding="utf-8") as f:
        return {
            r["name_in_seed"]: r
            for r in csv.DictReader(f, delimiter="\t")
            if r["framework"] == "nnabla" and r["name_in_seed"] in NAMES
        }


ROWS = _catalog_rows()


@pytest.mark.parametrize("name", NAMES)
def test_signature_matches_the_page(name):
    assert name in ROWS
    assert our_params(getattr(F, name)) == python_params(ROWS[name]["signature"])


@pytest.mark.parametrize("name", ["rand", "randn", "rand_beta", "rand_gamma", "rand_binomial"])
def test_seed_minus_one_draws_anew_and_a_seed_repeats(name):
    fn = getattr(F, name)
    assert not np.array_equal(fn(shape=(20,)), fn(shape=(20,)))
    np.testing.assert_array_equal(fn(shape=(20,), seed=4), fn(shape=(20,), seed=4))
    np.testing.assert_array_equal(fn(shape=(20,), seed=4), getattr(nf, name)(shape=(20,), seed=4))


def test_random_choice_page_examples():
    x = np.array([[11, 22, 33], [110, 220, 330]])
    w = np.array([[10, 20, 70], [70, 20, 10]])
    assert F.random_choice(x, w).shape == (2, 1)
    assert F.random_choice(x, w, shape=(3, 4)).shape == (2, 3, 4)
    y = F.random_choice(np.arange(0, 5), np.array([1, 2, 3, 2, 1]), seed=1)
    assert y.shape == (1,) and int(y[0]) in range(5)


def test_augmentation_page_examples():
    assert F.random_crop(np.zeros((4, 3, 64, 64)), (3, 48, 48), seed=0).shape == (4, 3, 48, 48)
    x = np.random.default_rng(0).random((100, 3, 24, 32))
    y = F.random_flip(x, (2, 3), seed=0)
    assert y.shape == x.shape
    assert F.random_shift(x, (3, 2), seed=0).shape == x.shape
    assert F.random_flip(x).shape == x.shape  # default: the last axis


def test_random_erase_contradictory_defaults_resolved():
    params = inspect.signature(F.random_erase).parameters
    assert params["n"].default is None and params["share"].default is True
    x = np.zeros((50, 3, 16, 16))
    a = F.random_erase(x, prob=1.0, seed=3)
    b = F.random_erase(x, prob=1.0, n=1, share=True, seed=3)
    np.testing.assert_array_equal(a, b)
    assert ((a != 0).all(axis=1) | (a == 0).all(axis=1)).all()


def test_nms_none_defaults_mean_nnabla_values():
    x = np.random.default_rng(0).random((2, 20, 8))
    np.testing.assert_array_equal(F.nms_detection2d(x), nf.nms_detection2d(x, 0.5, 0.45, True))
    np.testing.assert_array_equal(
        F.nms_detection2d(x, nms_per_class=False), nf.nms_detection2d(x, 0.5, 0.45, False)
    )


def test_vat_noise_and_sink_and_warp():
    x = nf.Variable(np.array([[3.0, 4.0]]), requires_grad=True)
    w = nf.Variable(np.zeros((1, 2)), requires_grad=True)
    y = F.vat_noise(x, w, eps=2.0)
    np.testing.assert_allclose(y.data, [[1.2, 1.6]], rtol=1e-7)
    F.sink(y, one_input_grad=True).backward()
    np.testing.assert_allclose(w.grad, [[2.0, 2.0]])
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0]])
    data = np.arange(8.0).reshape(1, 2, 2, 2)
    np.testing.assert_array_equal(F.warp_by_flow(data, np.zeros((1, 2, 2, 2))), data)


def test_graph_mode_samplers():
    with nf.Graph() as g:
        r = F.randn(shape=(3,), seed=2, name="r")
        u = F.rand(shape=(3,), name="u")
    np.testing.assert_array_equal(g.run(r), g.run(r))
    assert not np.array_equal(g.run(u), g.run(u))
