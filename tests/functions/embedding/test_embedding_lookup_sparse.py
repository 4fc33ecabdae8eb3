import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat.tf import SparseTensor
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class

# 4 rows x 5 columns; row 2 is empty, row 3 repeats id 1.
INDICES = np.array([[0, 0], [0, 1], [1, 0], [3, 1], [3, 2], [3, 4]])
IDS = np.array([1, 3, 0, 1, 1, 6])
WEIGHTS = np.array([2.0, 0.5, 1.0, 3.0, -1.0, 0.25])


def sparse_ref(table, indices, ids, weights, dense_shape, combiner):
    """Row by row, from the seed's definitions of the three combiners."""
    table = table.astype(np.float64)
    lead = tuple(dense_shape[:-1])
    out = np.zeros((*lead, *table.shape[1:]))
    for r in np.ndindex(*lead):
        sel = [k for k in range(len(ids)) if tuple(indices[k, :-1]) == r]
        if not sel:
            continue
        w = np.ones(len(sel)) if weights is None else weights[sel].astype(np.float64)
        total = sum(wk * table[ids[k]] for wk, k in zip(w, sel, strict=True))
        if combiner == "sum":
            out[r] = total
        elif combiner == "mean":
            out[r] = total / w.sum()
        else:
            out[r] = total / np.sqrt((w * w).sum())
    return out


@parametrize_class(
    combiner=["sum", "mean", "sqrtn"], weighted=[False, True], dtype=["float32", "float64"]
)
class TestEmbeddingLookupSparse(FunctionTestCase):
    """Gradients with respect to the table (the ids and weights are SparseTensor data)."""

    def function(self, table, **kw):
        sp_ids = SparseTensor(INDICES, IDS, [4, 5])
        sp_w = SparseTensor(INDICES, WEIGHTS, [4, 5]) if self.weighted else None
        return nf.embedding_lookup_sparse(table, sp_ids, sp_w, combiner=self.combiner, **kw)

    def _call(self, *args, **extra):
        return (self.function(*args, **extra),)

    def inputs(self, rng):
        return (rng.normal(size=(7, 3)).astype(self.dtype),)

    def expected(self, table):
        w = WEIGHTS if self.weighted else None
        out = sparse_ref(table, INDICES, IDS, w, (4, 5), self.combiner)
        return (out.astype(table.dtype),)


@parametrize_class(combiner=["sum", "mean", "sqrtn"])
class TestWeightValuesAsTensor(FunctionTestCase):
    """Weight values passed as a tensor get a gradient too (a SparseTensor's values cannot)."""

    def _call(self, table, weights, **extra):
        sp_ids = SparseTensor(INDICES, IDS, [4, 5])
        return (
            nf.embedding_lookup_sparse(table, sp_ids, weights, combiner=self.combiner, **extra),
        )

    symbolic_dims = (1,)

    def inputs(self, rng):
        w = rng.uniform(0.5, 2.0, len(IDS))
        return rng.normal(size=(7, 2)), w

    def expected(self, table, weights):
        return (sparse_ref(table, INDICES, IDS, weights, (4, 5), self.combiner),)


class TestRank3SparseIds(FunctionTestCase):
    """dense_shape (2, 2, 3): output (2, 2, d) as the page's shape formula says."""

    def _call(self, table, **extra):
        idx = np.array([[0, 0, 0], [0, 0, 2], [1, 1, 0], [1, 1, 1]])
        sp = SparseTensor(idx, [4, 0, 2, 2], [2, 2, 3])
        return (nf.embedding_lookup_sparse(table, sp, None, combiner="sqrtn", **extra),)

    symbolic_dims = ()

    def inputs(self, rng):
        return (rng.normal(size=(5, 2)),)

    def expected(self, table):
        idx = np.array([[0, 0, 0], [0, 0, 2], [1, 1, 0], [1, 1, 1]])
        return (sparse_ref(table, idx, np.array([4, 0, 2, 2]), None, (2, 2, 3), "sqrtn"),)


def test_seed_example_mean():
    params = np.random.default_rng(1).normal(size=(10, 20))
    idx = [[0, 0], [0, 1], [1, 0], [2, 3]]
    sp_ids = SparseTensor(idx, [1, 3, 0, 1], [3, 4])
    sp_w = SparseTensor(idx, [2.0, 0.5, 1.0, 3.0], [3, 4])
    out = nf.embedding_lookup_sparse(params, sp_ids, sp_w, combiner="mean")
    np.testing.assert_allclose(out[0], (params[1] * 2.0 + params[3] * 0.5) / 2.5, rtol=1e-14)
    np.testing.assert_allclose(out[1], params[0], rtol=1e-14)
    np.testing.assert_allclose(out[2], params[1], rtol=1e-14)


def test_empty_rows_give_zeros_and_no_gradient():
    table = nf.Variable(np.ones((4, 2)), requires_grad=True)
    sp = SparseTensor([[1, 0]], [2], [3, 2])
    for combiner in ("sum", "mean", "sqrtn"):
        out = nf.embedding_lookup_sparse(table, sp, None, combiner=combiner)
        np.testing.assert_array_equal(out.data, [[0, 0], [1, 1], [0, 0]])
        (g,) = nf.grad(nf.sum(out), [table])
        np.testing.assert_array_equal(g.data, [[0, 0], [0, 0], [1, 1], [0, 0]])


def test_no_ids_at_all():
    sp = SparseTensor(np.zeros((0, 2), np.int64), np.zeros(0, np.int64), [2, 3])
    out = nf.embedding_lookup_sparse(np.ones((4, 2)), sp, None)
    np.testing.assert_array_equal(out, np.zeros((2, 2)))


def test_graph_with_unknown_table_rows():
    g = nf.Graph()
    table = g.placeholder("table", (None, 3), np.float32)
    sp = SparseTensor(INDICES, IDS, [4, 5])
    y = nf.embedding_lookup_sparse(table, sp, None, combiner="mean", name="emb")
    assert y.shape == (4, 3)
    t = np.random.default_rng(0).normal(size=(9, 3)).astype(np.float32)
    np.testing.assert_allclose(
        g.run(y, {"table": t}), sparse_ref(t, INDICES, IDS, None, (4, 5), "mean"), rtol=1e-6
    )


SP = SparseTensor(INDICES, IDS, [4, 5])
T = np.ones((7, 2))

TABLE = [
    ((T,), {"sp_ids": np.array([[1]])}, nf.DTypeError,
     "embedding_lookup_sparse: `sp_ids` must be a SparseTensor; received sp_ids=<class "
     "'numpy.ndarray'>."),
    ((T,), {"sp_ids": SP, "combiner": "sqrt"}, nf.ArgumentError,
     "embedding_lookup_sparse: `combiner` must be one of 'sum', 'mean', 'sqrtn'; received "
     "combiner='sqrt'."),
    ((T,), {"sp_ids": SP, "sp_weights": SparseTensor(INDICES[::-1], WEIGHTS, [4, 5])},
     nf.ArgumentError,
     "embedding_lookup_sparse: `sp_weights` must have the indices and dense_shape of `sp_ids`; "
     "received sp_weights.dense_shape=[4, 5], sp_ids.dense_shape=[4, 5], "
     "sp_weights.indices.shape=(6, 2), sp_ids.indices.shape=(6, 2)."),
    ((T,), {"sp_ids": SP, "sp_weights": SparseTensor(INDICES, WEIGHTS, [4, 6])},
     nf.ArgumentError,
     "embedding_lookup_sparse: `sp_weights` must have the indices and dense_shape of `sp_ids`; "
     "received sp_weights.dense_shape=[4, 6], sp_ids.dense_shape=[4, 5], "
     "sp_weights.indices.shape=(6, 2), sp_ids.indices.shape=(6, 2)."),
    ((T,), {"sp_ids": SP, "sp_weights": np.ones(5)}, nf.ShapeError,
     "embedding_lookup_sparse: `sp_weights` must be a SparseTensor or hold one weight per id; "
     "received sp_weights.shape=(5,), nnz=6."),
    ((T,), {"sp_ids": SparseTensor([[0]], [1], [3])}, nf.ShapeError,
     "embedding_lookup_sparse: `sp_ids` must have rank >= 2; received sp_ids.dense_shape=[3]."),
    ((T.astype(np.int64),), {"sp_ids": SP}, nf.DTypeError,
     "embedding_lookup_sparse: `params` must have a floating dtype; received "
     "params.dtype=int64."),
    ((T,), {"sp_ids": SparseTensor(INDICES, IDS.astype(float), [4, 5])}, nf.DTypeError,
     "embedding_lookup_sparse: `sp_ids` must hold integer ids; received "
     "sp_ids.values.dtype=float64."),
]  # fmt: skip


@pytest.mark.parametrize(("inputs", "kwargs", "exc", "message"), TABLE)
def test_bad_input(inputs, kwargs, exc, message):
    kw = dict(kwargs)
    sp_ids = kw.pop("sp_ids")
    weights = kw.pop("sp_weights", None)

    def call(table, **extra):
        return nf.embedding_lookup_sparse(table, sp_ids, weights, **kw, **extra)

    assert_raises_both_modes(call, inputs, {}, exc, message)


def test_out_of_range_id_names_the_id():
    sp = SparseTensor([[0, 0], [1, 0]], [1, 9], [2, 1])
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape(
            "embedding_lookup: `ids` must be in [0, 7) for a table of 7 rows; received ids[1]=9."
        ),
    ):
        nf.embedding_lookup_sparse(T, sp, None)
