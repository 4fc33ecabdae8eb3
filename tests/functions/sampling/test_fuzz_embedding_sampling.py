"""Every argument of the embedding and sampling functions, replaced by junk, either works or
raises an NNFuncError (never a raw NumPy/Python exception)."""

import contextlib
import inspect

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as NF
from nnfunc.compat import tf

JUNK = [
    None,
    "abc",
    {"a": 1},
    np.array([object()]),
    np.array([1 + 2j]),
    np.zeros((0,)),
    np.array(3),
    np.nan,
    np.inf,
    2**63,
    -1,
    10**9,
    [1, 2],
    np.array([True, False]),
]

W = np.random.default_rng(0).normal(size=(6, 3))
TC = np.array([[1], [2]])
SP = tf.SparseTensor([[0, 0], [1, 1]], [1, 4], [2, 2])
SV = (np.array([0, 5]), np.ones((2, 1), np.float32), np.ones(2, np.float32))

CALLS = [
    (nf.embedding_lookup, (W, np.array([1, 2])), {"partition_strategy": "mod", "max_norm": 1.0}),
    (nf.embedding_lookup_sparse, (W, SP, None), {"combiner": "sqrtn", "max_norm": None}),
    (nf.uniform_candidate_sampler, (TC, 1, 2, True, 6, 0), {}),
    (nf.log_uniform_candidate_sampler, (TC, 1, 2, True, 6, 0), {}),
    (nf.learned_unigram_candidate_sampler, (TC, 1, 2, True, 6, 0), {}),
    (nf.fixed_unigram_candidate_sampler, (TC, 1, 2, True, 6),
     {"unigrams": [1, 2, 3, 4, 5, 6], "distortion": 0.5, "num_reserved_ids": 0,
      "num_shards": 1, "shard": 0, "seed": 1}),
    (nf.compute_accidental_hits, (TC, np.array([2, 3]), 1), {}),
    (nf.nce_loss, (W, np.zeros(6), np.ones((2, 3)), TC, 2, 6),
     {"num_true": 1, "sampled_values": SV, "remove_accidental_hits": True}),
    (nf.sampled_softmax_loss, (W, np.zeros(6), np.ones((2, 3)), TC, 2, 6),
     {"num_true": 1, "sampled_values": None, "seed": 3, "partition_strategy": "div"}),
    (tf.nn.embedding_lookup_sparse, (W, SP, None), {"combiner": None}),
    (tf.nn.embedding_lookup, (W, np.array([1])), {"validate_indices": True}),
    (NF.embed, (np.array([1, 2]), W), {}),
]  # fmt: skip


def variants():
    for fn, args, kwargs in CALLS:
        for i in range(len(args)):
            for j, v in enumerate(JUNK):
                yield fn, args[:i] + (v,) + args[i + 1 :], kwargs, f"{fn.__name__}-arg{i}-{j}"
        for k in kwargs:
            for j, v in enumerate(JUNK):
                yield fn, args, {**kwargs, k: v}, f"{fn.__name__}-{k}-{j}"


CASES = list(variants())


@pytest.mark.parametrize(
    ("fn", "args", "kwargs"), [c[:3] for c in CASES], ids=[c[3] for c in CASES]
)
def test_junk_is_rejected_or_works(fn, args, kwargs):
    with contextlib.suppress(nf.NNFuncError):
        fn(*args, **kwargs)


def test_the_valid_calls_work():
    for fn, args, kwargs in CALLS:
        assert inspect.isfunction(fn)
        fn(*args, **kwargs)
