"""tf.nn embeddings, samplers and sampled losses: signatures from the catalog, the page's
examples, and that each entry only translates (same values as the canonical functions)."""

import ast
import csv
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as NF
from nnfunc.compat import tf

NAMES = {
    "embedding_lookup",
    "embedding_lookup_sparse",
    "uniform_candidate_sampler",
    "log_uniform_candidate_sampler",
    "learned_unigram_candidate_sampler",
    "fixed_unigram_candidate_sampler",
    "compute_accidental_hits",
    "nce_loss",
    "sampled_softmax_loss",
    "embed",
}


def catalog_rows():
    path = Path(nf.__file__).parent / "_data" / "functions.tsv"
    with open(path, encoding="utf-8") as f:
        return [r for r in csv.DictReader(f, delimiter="\t") if r["name_in_seed"] in NAMES]


def parse(signature):
    call = ast.parse(signature.strip()).body[0].value
    names = [a.id for a in call.args]
    defaults = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    return names + list(defaults), defaults


ROWS = catalog_rows()


def test_every_row_is_here():
    assert {r["name_in_seed"] for r in ROWS} == NAMES


@pytest.mark.parametrize("row", ROWS, ids=[r["name_in_seed"] for r in ROWS])
def test_signature_matches_the_page(row):
    module = tf.nn if row["framework"] == "tf-nn" else NF
    fn = getattr(module, row["name_in_seed"])
    names, defaults = parse(row["signature"])
    params = inspect.signature(fn).parameters
    assert [p for p in params if p != "name" or "name" in names] == names
    for k, v in defaults.items():
        if k == "name":  # TF's default node names would clash in a graph: None here
            assert params[k].default is None
        else:
            assert params[k].default == v, k


def test_page_sharding_examples():
    table = np.arange(13)[:, None] * np.ones((1, 3))
    mod = [table[[0, 5, 10]], table[[1, 6, 11]], table[[2, 7, 12]], table[[3, 8]], table[[4, 9]]]
    div = [table[[0, 1, 2]], table[[3, 4, 5]], table[[6, 7, 8]], table[[9, 10]], table[[11, 12]]]
    ids = np.array([[12, 0, 7], [3, 9, 10]])
    np.testing.assert_array_equal(tf.nn.embedding_lookup(mod, ids), table[ids])
    np.testing.assert_array_equal(
        tf.nn.embedding_lookup(div, ids, partition_strategy="div"), table[ids]
    )


def test_page_sparse_example_and_combiner_none_is_mean():
    params = np.random.default_rng(0).normal(size=(10, 20))
    idx = [[0, 0], [0, 1], [1, 0], [2, 3]]
    sp_ids = tf.SparseTensor(idx, [1, 3, 0, 1], [3, 4])
    sp_w = tf.SparseTensor(idx, [2.0, 0.5, 1.0, 3.0], [3, 4])
    out = tf.nn.embedding_lookup_sparse(params, sp_ids, sp_w)  # combiner=None
    np.testing.assert_allclose(out[0], (params[1] * 2.0 + params[3] * 0.5) / 2.5)
    np.testing.assert_allclose(
        out, tf.nn.embedding_lookup_sparse(params, sp_ids, sp_w, combiner="mean")
    )
    s = tf.nn.embedding_lookup_sparse(params, sp_ids, sp_w, combiner="sum")
    np.testing.assert_allclose(s[2], params[1] * 3.0)
    q = tf.nn.embedding_lookup_sparse(params, sp_ids, None, combiner="sqrtn")
    np.testing.assert_allclose(q[0], (params[1] + params[3]) / np.sqrt(2))


def test_sparse_arguments_must_be_sparse_tensors():
    params = np.ones((4, 2))
    sp = tf.SparseTensor([[0, 0]], [1], [1, 1])
    with pytest.raises(TypeError, match=re.escape("`sp_ids` must be a SparseTensor")):
        tf.nn.embedding_lookup_sparse(params, [[1]], None)
    with pytest.raises(TypeError, match=re.escape("`sp_weights` must be None or a SparseTensor")):
        tf.nn.embedding_lookup_sparse(params, sp, np.ones(1))
    with pytest.raises(ValueError, match=re.escape("`combiner` must be one of")):
        tf.nn.embedding_lookup_sparse(params, sp, None, combiner="sqrt")


def test_losses_translate_to_the_canonical_functions():
    rng = np.random.default_rng(0)
    w, b, x = rng.normal(size=(20, 3)), rng.normal(size=20), rng.normal(size=(4, 3))
    labels = rng.integers(0, 20, (4, 2))
    sv = tf.nn.uniform_candidate_sampler(labels, 2, 6, True, 20, seed=1)
    for name in ("nce_loss", "sampled_softmax_loss"):
        got = getattr(tf.nn, name)(w, b, x, labels, 6, 20, num_true=2, sampled_values=sv)
        want = getattr(nf, name)(w, b, x, labels, 6, 20, num_true=2, sampled_values=sv)
        np.testing.assert_array_equal(got, want)
    # the defaults differ: NCE keeps accidental hits, sampled softmax removes them
    hit = (np.array([labels[0, 0], 19]), np.ones((4, 2), np.float32), np.ones(2, np.float32))
    nce = tf.nn.nce_loss(w, b, x, labels, 2, 20, 2, hit)
    np.testing.assert_array_equal(nce, nf.nce_loss(w, b, x, labels, 2, 20, 2, hit, False))
    ssm = tf.nn.sampled_softmax_loss(w, b, x, labels, 2, 20, 2, hit)
    np.testing.assert_array_equal(
        ssm, nf.sampled_softmax_loss(w, b, x, labels, 2, 20, 2, hit, True)
    )
    assert not np.array_equal(ssm, nf.sampled_softmax_loss(w, b, x, labels, 2, 20, 2, hit, False))


def test_samplers_translate():
    tc = np.array([[1], [2]])
    pairs = [
        (tf.nn.uniform_candidate_sampler, nf.uniform_candidate_sampler, ()),
        (tf.nn.log_uniform_candidate_sampler, nf.log_uniform_candidate_sampler, ()),
        (tf.nn.learned_unigram_candidate_sampler, nf.learned_unigram_candidate_sampler, ()),
    ]
    for d, c, _ in pairs:
        for x, y in zip(d(tc, 1, 3, True, 5, seed=2), c(tc, 1, 3, True, 5, seed=2), strict=True):
            np.testing.assert_array_equal(x, y)
    a = tf.nn.fixed_unigram_candidate_sampler(tc, 1, 3, False, 5, unigrams=[1, 2, 3, 4, 5], seed=2)
    b = nf.fixed_unigram_candidate_sampler(tc, 1, 3, False, 5, unigrams=[1, 2, 3, 4, 5], seed=2)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    hits = tf.nn.compute_accidental_hits(tc, np.array([2, 1]), 1)
    assert [h.tolist() for h in hits[:2]] == [[0, 1], [1, 0]]


def test_graph_mode_names():
    g = nf.Graph()
    ids = g.placeholder("ids", (None,), np.int64)
    y = tf.nn.embedding_lookup(np.eye(3), ids, name="emb")
    assert g["emb"] is y
    np.testing.assert_array_equal(g.run(y, {"ids": np.array([2])}), [[0, 0, 1]])
