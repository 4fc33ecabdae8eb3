import re
import tracemalloc

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.functions.embedding._lookup import ScatterRows
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def full_table(shards, strategy):
    """The unsharded table, rebuilt from the seed's description of the two strategies."""
    p = len(shards)
    n = sum(s.shape[0] for s in shards)
    table = np.zeros((n, *shards[0].shape[1:]), np.float64)
    if strategy == "div":
        return np.concatenate([s.astype(np.float64) for s in shards])
    for i in range(n):
        table[i] = shards[i % p][i // p]
    return table


def lookup_ref(table, ids, max_norm=None):
    y = table.astype(np.float64)[ids]
    if max_norm is not None:
        axes = tuple(range(ids.ndim, y.ndim))
        norm = np.sqrt((y * y).sum(axis=axes, keepdims=True))
        y = y * np.minimum(1.0, max_norm / np.maximum(norm, 1e-300))
    return y


def mod_sizes(n, p):
    return [len(range(q, n, p)) for q in range(p)]


def div_sizes(n, p):
    per, extra = divmod(n, p)
    return [per + (q < extra) for q in range(p)]


@parametrize_class(
    dtype=["float16", "float32", "float64"],
    ids_shape=[(), (5,), (2, 3)],
    row=[(), (3,), (2, 2)],
)
class TestEmbeddingLookup(FunctionTestCase):
    function = staticmethod(lambda table, ids, **kw: nf.embedding_lookup(table, ids, **kw))

    def inputs(self, rng):
        table = rng.normal(size=(7, *self.row)).astype(self.dtype)
        return table, rng.integers(0, 7, self.ids_shape)

    def expected(self, table, ids):
        return (lookup_ref(table, ids).astype(table.dtype),)


@parametrize_class(strategy=["mod", "div"], n_shards=[2, 5], dtype=["float32", "float64"])
class TestShardedLookup(FunctionTestCase):
    """Shards as positional inputs (so each gets its own gradient check)."""

    function = staticmethod(
        lambda ids, *shards, strategy, **kw: nf.embedding_lookup(
            list(shards), ids, partition_strategy=strategy, **kw
        )
    )
    symbolic_dims = (0,)  # unknown batch of ids AND unknown shard sizes

    def kwargs(self):
        return {"strategy": self.strategy}

    def inputs(self, rng):
        sizes = (mod_sizes if self.strategy == "mod" else div_sizes)(13, self.n_shards)
        shards = [rng.normal(size=(s, 3)).astype(self.dtype) for s in sizes]
        return (rng.integers(0, 13, (4, 2)), *shards)

    def expected(self, ids, *shards):
        return (lookup_ref(full_table(shards, self.strategy), ids).astype(self.dtype),)


@parametrize_class(dtype=["float32", "float64"], max_norm=[0.5, 1.5])
class TestMaxNorm(FunctionTestCase):
    function = staticmethod(lambda table, ids, **kw: nf.embedding_lookup(table, ids, **kw))

    def kwargs(self):
        return {"max_norm": self.max_norm}

    def inputs(self, rng):
        return rng.normal(size=(6, 4)).astype(self.dtype), rng.integers(0, 6, (3, 2))

    def expected(self, table, ids):
        return (lookup_ref(table, ids, self.max_norm).astype(table.dtype),)


class TestIntegerTable(FunctionTestCase):
    """Integer tables are gathered as they are (no gradient)."""

    function = staticmethod(lambda table, ids, **kw: nf.embedding_lookup(table, ids, **kw))

    def inputs(self, rng):
        return rng.integers(-5, 5, (6, 2)), rng.integers(0, 6, (4,)).astype(np.int32)

    def expected(self, table, ids):
        return (table[ids],)


@pytest.mark.parametrize("strategy", ["mod", "div"])
def test_seed_thirteen_ids_over_five_shards(strategy):
    # The page: mod [[0, 5, 10], [1, 6, 11], [2, 7, 12], [3, 8], [4, 9]];
    #           div [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10], [11, 12]].
    layout = {
        "mod": [[0, 5, 10], [1, 6, 11], [2, 7, 12], [3, 8], [4, 9]],
        "div": [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10], [11, 12]],
    }[strategy]
    shards = [np.array(ids, np.float64)[:, None] for ids in layout]
    ids = np.arange(13)
    out = nf.embedding_lookup(shards, ids, partition_strategy=strategy)
    np.testing.assert_array_equal(out[:, 0], ids)
    # and each id's gradient lands in the shard and row the page lists
    vs = [nf.Variable(s, requires_grad=True) for s in shards]
    nf.sum(
        nf.embedding_lookup(vs, ids, partition_strategy=strategy) * (ids + 1.0)[:, None]
    ).backward()
    for v, s in zip(vs, shards, strict=True):
        np.testing.assert_array_equal(v.grad, s + 1.0)


def test_gradient_is_a_scatter_add_of_repeated_ids():
    table = nf.Variable(np.zeros((4, 2)), requires_grad=True)
    ids = np.array([[3, 1], [3, 3]])
    gy = np.arange(8.0).reshape(2, 2, 2)
    (g,) = nf.grad(nf.embedding_lookup(table, ids), [table], grad_outputs=[gy])
    want = np.zeros((4, 2))
    np.add.at(want, ids.ravel(), gy.reshape(-1, 2))
    np.testing.assert_array_equal(g.data, want)


def test_gradient_forms_no_one_hot():
    # 2000 ids into 50000 rows: a one-hot would be 800 MB; the table's gradient is 800 kB.
    rng = np.random.default_rng(0)
    table = nf.Variable(rng.normal(size=(50000, 2)), requires_grad=True)
    ids = rng.integers(0, 50000, 2000)
    y = nf.embedding_lookup(table, ids)
    tracemalloc.start()
    (g,) = nf.grad(y, [table], grad_outputs=[np.ones((2000, 2))])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * 50000 * 2 * 8, peak
    assert g.data.sum() == 4000


def test_gradient_function_is_the_scatter_kernel():
    table = nf.Variable(np.ones((5, 3)), requires_grad=True)
    y = nf.embedding_lookup(table, [1, 2])
    (g,) = nf.grad(nf.sum(y), [table], create_graph=True)
    assert isinstance(g._node.creator, ScatterRows)


def test_empty_ids_forward_and_backward():
    table = nf.Variable(np.ones((5, 3)), requires_grad=True)
    y = nf.embedding_lookup(table, np.zeros((0, 2), np.int64))
    assert y.shape == (0, 2, 3)
    nf.sum(y).backward()
    np.testing.assert_array_equal(table.grad, np.zeros((5, 3)))


def test_lookup_does_not_modify_the_table_with_max_norm():
    table = np.full((3, 2), 10.0)
    out = nf.embedding_lookup(table, [0, 0], max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0)
    np.testing.assert_array_equal(table, np.full((3, 2), 10.0))


def test_out_of_range_id_in_a_graph_is_reported_when_it_runs():
    g = nf.Graph()
    ids = g.placeholder("ids", (None,), np.int64)
    y = nf.embedding_lookup(np.ones((4, 2)), ids, name="emb")
    with pytest.raises(
        nf.ArgumentError,
        match=r"embedding_lookup \(node 'emb'\): `ids` must be in \[0, 4\) for a table of 4 "
        r"rows; received ids\[2\]=4\.",
    ):
        g.run(y, {"ids": np.array([0, 1, 4])})


T = np.ones((13, 2))
MOD = [np.ones((s, 2)) for s in mod_sizes(13, 5)]

TABLE = [
    ((T, np.array([[0, 1], [2, 13]])), {}, nf.ArgumentError,
     "embedding_lookup: `ids` must be in [0, 13) for a table of 13 rows; received ids[1, 1]=13."),
    ((T, np.array([3, -1])), {}, nf.ArgumentError,
     "embedding_lookup: `ids` must be in [0, 13) for a table of 13 rows; received ids[1]=-1."),
    ((MOD, np.array([12, 15])), {}, nf.ArgumentError,
     "embedding_lookup: `ids` must be in [0, 13) for a table of 13 rows; received ids[1]=15."),
    (([np.ones((2, 2)), np.ones((5, 2))], np.array([1, 4])), {}, nf.ArgumentError,
     "embedding_lookup: `params` must be shards sized for partition_strategy='mod' (every id "
     "must fall inside the shard it is assigned to); received ids[1]=4, shard=0, row=2, "
     "shard_rows=(2, 5)."),
    (([np.ones((3, 2)), np.ones((3, 4))], np.array([1])), {}, nf.ShapeError,
     "embedding_lookup: `params` must be shards of the same shape after dimension 0; received "
     "params[0].shape=(3, 2), params[1].shape=(3, 4)."),
    (([np.ones((3, 2)), np.ones((3, 2), np.float32)], np.array([1])), {}, nf.DTypeError,
     "embedding_lookup: `params[0]` and `params[1]` must have the same dtype; received "
     "params[0].dtype=float64, params[1].dtype=float32."),
    ((T, np.array([1])), {"partition_strategy": "hash"}, nf.ArgumentError,
     "embedding_lookup: `partition_strategy` must be one of 'mod', 'div'; received "
     "partition_strategy='hash'."),
    ((T, np.array([1.0])), {}, nf.DTypeError,
     "embedding_lookup: `ids` must have an integer dtype; received ids.dtype=float64."),
    ((np.ones(()), np.array([1])), {}, nf.ShapeError,
     "embedding_lookup: `params` must have rank >= 1; received params.shape=()."),
    (([], np.array([1])), {}, nf.ArgumentError,
     "embedding_lookup: `params` must hold at least one table; received params=[]."),
    ((T, np.array([1])), {"max_norm": -1.0}, nf.ArgumentError,
     "embedding_lookup: `max_norm` must be in (0, inf); received max_norm=-1.0."),
]  # fmt: skip


def _call(as_list):
    def call(ids, *shards, **kw):
        return nf.embedding_lookup(list(shards) if as_list else shards[0], ids, **kw)

    return call


@pytest.mark.parametrize(("inputs", "kwargs", "exc", "message"), TABLE)
def test_bad_input(inputs, kwargs, exc, message):
    params, ids = inputs
    shards = params if isinstance(params, list) else [params]
    if not shards:
        with pytest.raises(exc, match=re.escape(message)):
            nf.embedding_lookup([], ids, **kwargs)
        return
    call = _call(isinstance(params, list))
    if "received ids[" not in message and "shard_rows" not in message:
        assert_raises_both_modes(call, (ids, *shards), kwargs, exc, message)
        return
    # id values: checked eagerly, and when a graph runs (the node is named)
    with pytest.raises(exc, match=re.escape(message)):
        call(ids, *shards, **kwargs)
    g = nf.Graph()
    ph = g.placeholder("ids", (None,) * ids.ndim, ids.dtype)
    y = call(ph, *shards, **kwargs, name="bad")
    with pytest.raises(exc, match=re.escape(message.replace(": ", " (node 'bad'): ", 1))):
        g.run(y, {"ids": ids})
