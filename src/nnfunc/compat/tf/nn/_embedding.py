"""tf.nn embeddings, candidate samplers and sampled losses (TensorFlow 1.x signatures).

Each entry translates TensorFlow's arguments and calls the canonical function. TensorFlow's own
random streams are not reproduced: a ``seed`` gives the same samples on every call and graph run
(nnfunc's seed design), not TensorFlow's sequence. ``name`` defaults to None everywhere (TF's
default names for the sampled losses, 'nce_loss' and 'sampled_softmax_loss', would clash as
graph node names).
"""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.compat._common import positional_name
from nnfunc.compat.tf._sparse import SparseTensor
from nnfunc.core import check
from nnfunc.core.shapes import node_errors
from nnfunc.errors import DTypeError

__all__ = [
    "compute_accidental_hits",
    "embedding_lookup",
    "embedding_lookup_sparse",
    "fixed_unigram_candidate_sampler",
    "learned_unigram_candidate_sampler",
    "log_uniform_candidate_sampler",
    "nce_loss",
    "sampled_softmax_loss",
    "uniform_candidate_sampler",
]


def embedding_lookup(
    params: Any,
    ids: Any,
    partition_strategy: str = "mod",
    name: str | None = None,
    validate_indices: bool = True,
) -> Any:
    """Looks up ``ids`` in a list of embedding tensors (a table, or its shards).

    See :func:`nnfunc.embedding_lookup`. With ``len(params) > 1``, "mod" assigns id ``i`` to
    shard ``i % len(params)``; "div" assigns contiguous blocks, the first
    ``(max_id + 1) % len(params)`` shards one id more.

    Args:
        params: A tensor, or a list of tensors concatenable along dimension 0 (the shards).
        ids: int32 or int64 ids, any shape.
        partition_strategy (str): ``"mod"`` (default) or ``"div"``.
        name (str, optional): Node name in graph mode.
        validate_indices (bool): Accepted; ids are always validated (an id outside the table is
            an error naming it).

    Returns:
        Shape ``shape(ids) + shape(params)[1:]``, the dtype of ``params``.

    Raises:
        ValueError: (:class:`nnfunc.ArgumentError`) ``params`` is empty, an id is out of range,
            a bad ``partition_strategy``.

    Examples:
        >>> table = np.arange(13)[:, None]
        >>> mod = [table[p::5] for p in range(5)]        # [[0, 5, 10], [1, 6, 11], ...]
        >>> tf.nn.embedding_lookup(mod, [10, 3, 12])[:, 0]
        array([10,  3, 12])
        >>> div = np.split(table, [3, 6, 9, 11])         # [[0, 1, 2], [3, 4, 5], ...]
        >>> tf.nn.embedding_lookup(div, [10, 3, 12], partition_strategy="div")[:, 0]
        array([10,  3, 12])
    """
    check.boolean("embedding_lookup", "validate_indices", validate_indices)
    return F.embedding_lookup(params, ids, partition_strategy=partition_strategy, name=name)


def embedding_lookup_sparse(
    params: Any,
    sp_ids: Any,
    sp_weights: Any,
    partition_strategy: str = "mod",
    name: str | None = None,
    combiner: str | None = None,
) -> Any:
    """Computes embeddings for the given ids and weights (sum, mean or sqrtn per row).

    See :func:`nnfunc.embedding_lookup_sparse`.

    Args:
        params: A tensor, or a list of shards.
        sp_ids: N x M ``SparseTensor`` of int64 ids.
        sp_weights: A ``SparseTensor`` of float weights with the indices of ``sp_ids``, or None
            (all weights 1).
        partition_strategy (str): ``"mod"`` (default) or ``"div"``.
        name (str, optional): Node name in graph mode.
        combiner (str): ``"sum"``, ``"mean"`` or ``"sqrtn"``; None (default) means "mean" (as
            TensorFlow 1.x does; the page lists "sqrt", a typo for "sqrtn").

    Returns:
        Shape ``[d0, ..., d_{n-1}, p1, ..., pm]``; rows without ids give zeros.

    Raises:
        TypeError: (:class:`nnfunc.DTypeError`) ``sp_ids`` is not a SparseTensor, or
            ``sp_weights`` is neither None nor a SparseTensor.
        ValueError: (:class:`nnfunc.ArgumentError`) ``combiner`` is not one of the three,
            ``sp_weights`` has other indices.

    Examples:
        >>> params = np.random.default_rng(0).normal(size=(10, 20))
        >>> idx = [[0, 0], [0, 1], [1, 0], [2, 3]]
        >>> sp_ids = tf.SparseTensor(idx, [1, 3, 0, 1], [3, 4])
        >>> sp_weights = tf.SparseTensor(idx, [2.0, 0.5, 1.0, 3.0], [3, 4])
        >>> out = tf.nn.embedding_lookup_sparse(params, sp_ids, sp_weights, combiner="mean")
        >>> out.shape
        (3, 20)
        >>> bool(np.allclose(out[0], (params[1] * 2.0 + params[3] * 0.5) / (2.0 + 0.5)))
        True
        >>> bool(np.allclose(out[2], params[1]))   # the page's params[1] * 3.0, divided by 3.0
        True
    """
    op = "embedding_lookup_sparse"
    shards = params if isinstance(params, (list, tuple)) else [params]
    with node_errors(name, *shards):
        if not isinstance(sp_ids, SparseTensor):
            raise DTypeError(check.message(op, "sp_ids", "be a SparseTensor", sp_ids=type(sp_ids)))
        if sp_weights is not None and not isinstance(sp_weights, SparseTensor):
            raise DTypeError(
                check.message(
                    op, "sp_weights", "be None or a SparseTensor", sp_weights=type(sp_weights)
                )
            )
    return F.embedding_lookup_sparse(
        params,
        sp_ids,
        sp_weights,
        partition_strategy=partition_strategy,
        combiner="mean" if combiner is None else combiner,
        name=name,
    )


nce_loss = positional_name(
    F.nce_loss,
    """Computes and returns the noise-contrastive estimation training loss.

    See :func:`nnfunc.nce_loss`. By default the negatives come from
    ``log_uniform_candidate_sampler`` (labels should be sorted by decreasing frequency); with
    ``num_true > 1`` each target class gets the target probability ``1 / num_true``.

    Returns:
        A ``[batch_size]`` tensor of per-example NCE losses.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> w, b = rng.normal(size=(50, 4)), np.zeros(50)
        >>> x, labels = rng.normal(size=(2, 4)), np.array([[3], [7]])
        >>> tf.nn.nce_loss(w, b, x, labels, num_sampled=5, num_classes=50).shape
        (2,)
    """,
    absent=("seed",),
    tensors=(),  # the canonical function checks them
)


sampled_softmax_loss = positional_name(
    F.sampled_softmax_loss,
    """Computes and returns the sampled softmax training loss.

    See :func:`nnfunc.sampled_softmax_loss`. For training only (it underestimates the full
    softmax loss); at inference use ``tf.nn.softmax(tf.matmul(inputs, tf.transpose(weights)) +
    biases)``.

    Returns:
        A ``[batch_size]`` tensor of per-example sampled softmax losses.

    Examples:
        >>> w, b = np.eye(3), np.zeros(3)
        >>> sv = (np.array([2]), np.ones((1, 1), np.float32), np.ones(1, np.float32))
        >>> tf.nn.sampled_softmax_loss(w, b, np.array([[1.0, 0.0, 0.0]]), np.array([[0]]),
        ...                            1, 3, sampled_values=sv).round(6)
        array([0.313262])
    """,
    absent=("seed",),
    tensors=(),  # the canonical function checks them
)


uniform_candidate_sampler = positional_name(
    F.uniform_candidate_sampler,
    """Samples a set of classes using a uniform base distribution over ``[0, range_max)``.

    See :func:`nnfunc.uniform_candidate_sampler`.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``.

    Examples:
        >>> s, t, q = tf.nn.uniform_candidate_sampler(np.array([[0]]), 1, 4, False, 10, seed=3)
        >>> s.dtype, t.dtype, bool(np.allclose(q, 4 / 10))
        (dtype('int64'), dtype('float32'), True)
    """,
    tensors=(),  # the canonical function checks them
)


log_uniform_candidate_sampler = positional_name(
    F.log_uniform_candidate_sampler,
    """Samples a set of classes using a log-uniform (Zipfian) base distribution.

    ``P(class) = (log(class + 2) - log(class + 1)) / log(range_max + 1)``. See
    :func:`nnfunc.log_uniform_candidate_sampler`.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``.

    Examples:
        >>> _, t, _ = tf.nn.log_uniform_candidate_sampler(np.array([[0]]), 1, 1, False, 3)
        >>> t.tolist()   # log(2) / log(4)
        [[0.5]]
    """,
    tensors=(),  # the canonical function checks them
)


learned_unigram_candidate_sampler = positional_name(
    F.learned_unigram_candidate_sampler,
    """Samples a set of classes from a distribution learned during training.

    Every class starts with weight 1 and gains 1 each time it is seen as a target. In a graph
    the counts live in the node and grow with every run (TensorFlow's op); an eager call starts
    from fresh counts. See :func:`nnfunc.learned_unigram_candidate_sampler`.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``.

    Examples:
        >>> _, t, _ = tf.nn.learned_unigram_candidate_sampler(np.array([[1]]), 1, 2, False, 4)
        >>> t.tolist()   # fresh counts: 2 * 1/4
        [[0.5]]
    """,
    tensors=(),  # the canonical function checks them
)


fixed_unigram_candidate_sampler = positional_name(
    F.fixed_unigram_candidate_sampler,
    """Samples a set of classes using the provided (fixed) base distribution.

    See :func:`nnfunc.fixed_unigram_candidate_sampler`.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``.

    Examples:
        >>> _, t, _ = tf.nn.fixed_unigram_candidate_sampler(
        ...     np.array([[0], [2]]), 1, 2, False, 3, unigrams=[1, 1, 2], distortion=0.0)
        >>> t.ravel().round(4).tolist()   # distortion 0: uniform, 2 * 1/3
        [0.6667, 0.6667]
    """,
    tensors=(),  # the canonical function checks them
)


compute_accidental_hits = positional_name(
    F.compute_accidental_hits,
    """Compute the position ids in ``sampled_candidates`` matching ``true_classes``.

    See :func:`nnfunc.compute_accidental_hits`.

    Returns:
        ``(indices, ids, weights)``: int32 rows, int64 positions, float32 ``-FLT_MAX``.

    Examples:
        >>> indices, ids, weights = tf.nn.compute_accidental_hits(
        ...     np.array([[3], [5]]), np.array([5, 9, 3]), 1)
        >>> indices.tolist(), ids.tolist(), weights.tolist()
        ([0, 1], [2, 0], [-3.4028234663852886e+38, -3.4028234663852886e+38])
    """,
    tensors=(),  # the canonical function checks them
)
