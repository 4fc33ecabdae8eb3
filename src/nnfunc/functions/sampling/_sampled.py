"""Sampled losses: noise-contrastive estimation and sampled softmax (TensorFlow's definitions).

Both build TensorFlow's ``_compute_sampled_logits``: the logits of the true classes and of the
``num_sampled`` candidates only (``inputs @ W[ids].T + b[ids]``), optionally with accidental hits
pushed to ``-FLT_MAX``, minus ``log Q`` (the expected counts). No ``(batch, num_classes)`` array is
formed; the gradient of the class weights and biases is a scatter-add into the rows used.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.shapes import node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError
from nnfunc.functions.array import concatenate, expand_dims, getitem
from nnfunc.functions.array._shape_ops import cast, reshape, transpose
from nnfunc.functions.clipping._clip import stop_gradient
from nnfunc.functions.embedding._lookup import embedding_lookup, shard_list
from nnfunc.functions.loss import (
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
)
from nnfunc.functions.loss._common import check_labels
from nnfunc.functions.math import log, matmul
from nnfunc.functions.reduction import sum as sum_
from nnfunc.functions.sampling._candidates import (
    FLT_MAX,
    accidental_hits,
    log_uniform_candidate_sampler,
)

__all__ = ["nce_loss", "sampled_softmax_loss"]


class _HitMask(Function):
    """``(batch, num_sampled)``: ``-FLT_MAX`` (in ``dtype``) at accidental hits, else 0."""

    op_name = "accidental_hit_mask"
    input_names = ("labels", "sampled")

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype

    def setup(self, labels: Any, sampled: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec((labels.shape[0], sampled.shape[0]), self.dtype),)

    def forward(self, xp: Any, labels: Any, sampled: Any) -> tuple[Any, ...]:
        rows, pos = accidental_hits(np.asarray(labels), np.asarray(sampled))
        mask = np.zeros((labels.shape[0], sampled.shape[0]), self.dtype)
        with np.errstate(over="ignore"):  # -FLT_MAX is -inf in float16, as TensorFlow's cast
            mask[rows, pos] = np.asarray(-FLT_MAX).astype(self.dtype)
        return (xp.asarray(mask),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


class _Targets(Function):
    """``(batch, num_true + num_sampled)``: ``1 / num_true`` on the true columns, 0 after."""

    op_name = "sampled_targets"
    input_names = ("labels",)

    def __init__(self, num_sampled: int, dtype: np.dtype) -> None:
        self.num_sampled = num_sampled
        self.dtype = dtype

    def setup(self, labels: Any) -> tuple[TensorSpec, ...]:
        b, t = labels.shape
        return (TensorSpec((b, t + self.num_sampled), self.dtype),)

    def forward(self, xp: Any, labels: Any) -> tuple[Any, ...]:
        b, t = labels.shape
        out = xp.zeros((b, t + self.num_sampled), self.dtype)
        out[:, :t] = 1.0 / t
        return (out,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


def _dtype_of(x: Any) -> np.dtype:
    return np.dtype(x.dtype) if hasattr(x, "dtype") else np.asarray(x).dtype


def _shape_of(x: Any) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _validate(
    op: str,
    weights: list[Any],
    biases: list[Any],
    inputs: Any,
    labels: Any,
    num_sampled: Any,
    num_classes: Any,
    num_true: Any,
    sampled_values: Any,
) -> tuple[int, int, int]:
    num_sampled = check.positive_int(op, "num_sampled", num_sampled)
    num_classes = check.positive_int(op, "num_classes", num_classes)
    num_true = check.positive_int(op, "num_true", num_true)
    ldt, lsh = _dtype_of(labels), _shape_of(labels)
    if ldt.kind not in "iu":
        raise DTypeError(
            check.message(op, "labels", "have an integer dtype", **{"labels.dtype": ldt})
        )
    if len(lsh) != 2 or lsh[1] not in (None, num_true):
        raise ShapeError(
            check.message(
                op,
                "labels",
                "have shape (batch_size, num_true)",
                **{"labels.shape": lsh, "num_true": num_true},
            )
        )
    idt, ish = _dtype_of(inputs), _shape_of(inputs)
    if idt.kind != "f":
        raise DTypeError(
            check.message(op, "inputs", "have a floating dtype", **{"inputs.dtype": idt})
        )
    if len(ish) != 2:
        raise ShapeError(check.message(op, "inputs", "have rank 2", **{"inputs.shape": ish}))
    if lsh[0] is not None and ish[0] is not None and lsh[0] != ish[0]:
        raise ShapeError(
            check.message(
                op,
                "labels",
                "have one row per row of `inputs`",
                **{"labels.shape": lsh, "inputs.shape": ish},
            )
        )
    for i, w in enumerate(weights):
        wsh = _shape_of(w)
        nm = "weights" if len(weights) == 1 else f"weights[{i}]"
        if len(wsh) != 2 or (wsh[1] is not None and ish[1] is not None and wsh[1] != ish[1]):
            raise ShapeError(
                check.message(
                    op,
                    nm,
                    "have shape (classes, dim) with the dim of `inputs`",
                    **{f"{nm}.shape": wsh, "inputs.shape": ish},
                )
            )
    for i, b in enumerate(biases):
        nm = "biases" if len(biases) == 1 else f"biases[{i}]"
        if len(_shape_of(b)) != 1:
            raise ShapeError(check.message(op, nm, "have rank 1", **{f"{nm}.shape": _shape_of(b)}))
    rows = [_shape_of(w)[0] for w in weights]
    if isinstance(labels, np.ndarray) and None not in rows:
        check_labels(op, labels, sum(rows), "labels")
    if sampled_values is not None and (
        not isinstance(sampled_values, (tuple, list)) or len(sampled_values) != 3
    ):
        raise ArgumentError(
            check.message(
                op,
                "sampled_values",
                "be None or (sampled_candidates, true_expected_count, sampled_expected_count)",
                sampled_values=type(sampled_values),
            )
        )
    return num_sampled, num_classes, num_true


def _constant(x: Any) -> Any:
    """A sampler output as a constant: arrays stay, Variables and graph values stop gradients."""
    if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.ndarray):
        return stop_gradient(x)
    return np.asarray(x)


def sampled_logits(
    op: str,
    weights: Any,
    biases: Any,
    inputs: Any,
    labels: Any,
    num_sampled: Any,
    num_classes: Any,
    num_true: Any,
    sampled_values: Any,
    remove_accidental_hits: Any,
    partition_strategy: str,
    seed: Any,
) -> tuple[Any, Any]:
    """TensorFlow's ``_compute_sampled_logits``: ``(logits, targets)``, shape
    ``(batch, num_true + num_sampled)``, the true classes first."""
    w_shards = shard_list(op, weights)
    b_shards = shard_list(op, biases)
    num_sampled, num_classes, num_true = _validate(
        op, w_shards, b_shards, inputs, labels, num_sampled, num_classes, num_true, sampled_values
    )
    remove = check.boolean(op, "remove_accidental_hits", remove_accidental_hits)
    dtype = _dtype_of(inputs)
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(
            labels, num_true, num_sampled, True, num_classes, seed=seed
        )
    sampled, true_count, sampled_count = (_constant(v) for v in sampled_values)
    if tuple(sampled.shape) != (num_sampled,):
        raise ShapeError(
            check.message(
                op,
                "sampled_values",
                "hold num_sampled candidates",
                **{"sampled_candidates.shape": tuple(sampled.shape), "num_sampled": num_sampled},
            )
        )
    if _dtype_of(sampled).kind not in "iu":
        raise DTypeError(
            check.message(
                op,
                "sampled_values",
                "hold integer candidates",
                **{"sampled_candidates.dtype": _dtype_of(sampled)},
            )
        )
    # The candidates first: their count is static, so the slices below hold in a graph whose
    # batch size is unknown. One lookup, so one scatter-add per table in the backward pass.
    all_ids = concatenate(cast(sampled, np.int64), reshape(cast(labels, np.int64), (-1,)), axis=0)
    all_w = embedding_lookup(w_shards, all_ids, partition_strategy=partition_strategy)
    all_b = embedding_lookup(b_shards, all_ids, partition_strategy=partition_strategy)
    if all_w.dtype != dtype:
        all_w = cast(all_w, dtype)
    if all_b.dtype != dtype:
        all_b = cast(all_b, dtype)
    sampled_w = getitem(all_w, slice(None, num_sampled))
    true_w = getitem(all_w, slice(num_sampled, None))
    sampled_b = getitem(all_b, slice(None, num_sampled))
    true_b = getitem(all_b, slice(num_sampled, None))
    dim = _shape_of(inputs)[1]
    logits_s = matmul(inputs, transpose(sampled_w)) + sampled_b
    true_w = reshape(true_w, (-1, num_true, -1 if dim is None else dim))
    logits_t = sum_(expand_dims(inputs, 1) * true_w, axis=2) + reshape(true_b, (-1, num_true))
    if remove:
        logits_s = logits_s + _HitMask(dtype).apply1(labels, sampled)
    logits_t = logits_t - log(cast(true_count, dtype))
    logits_s = logits_s - log(cast(sampled_count, dtype))
    logits = concatenate(logits_t, logits_s, axis=1)
    return logits, _Targets(num_sampled, dtype).apply1(labels)


def nce_loss(
    weights: Any,
    biases: Any,
    inputs: Any,
    labels: Any,
    num_sampled: int,
    num_classes: int,
    num_true: int = 1,
    sampled_values: Any = None,
    remove_accidental_hits: bool = False,
    partition_strategy: str = "mod",
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Noise-contrastive estimation loss per example, over the true and the sampled classes.

    .. math::
        z_c = x \\cdot W_c + b_c - \\log Q(c), \\qquad
        \\ell = \\sum_{c \\in \\text{true}} \\mathrm{xent}(z_c, 1/\\text{num\\_true})
              + \\sum_{c \\in \\text{sampled}} \\mathrm{xent}(z_c, 0)

    where ``xent`` is :func:`nnfunc.sigmoid_cross_entropy_with_logits` and ``Q`` the expected
    counts of the sampler.

    Args:
        weights (array, Variable, SymbolicVariable, or a list of them): Class embeddings
            ``(num_classes, dim)``, or its shards (see :func:`nnfunc.embedding_lookup`).
        biases (array, Variable, SymbolicVariable, or a list of them): Class biases
            ``(num_classes,)``, or its shards.
        inputs (array, Variable or SymbolicVariable): Floating ``(batch_size, dim)``.
        labels (array, Variable or SymbolicVariable): Integer ``(batch_size, num_true)``.
        num_sampled (int): Classes sampled per batch.
        num_classes (int): The number of classes (the range of the default sampler).
        num_true (int): Target classes per example. Default 1.
        sampled_values (tuple, optional): ``(sampled_candidates, true_expected_count,
            sampled_expected_count)`` from a candidate sampler (no gradient flows into them).
            None: :func:`nnfunc.log_uniform_candidate_sampler` with ``unique=True``.
        remove_accidental_hits (bool): Give sampled classes that equal a true class of the
            example the logit ``-FLT_MAX``. Default False.
        partition_strategy (str): ``"mod"`` (default) or ``"div"`` for sharded tables.
        seed (int, Generator or None): Seed of the default sampler.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``inputs``: ``(batch_size,)``, dtype of ``inputs``.

    Raises:
        DTypeError: ``labels`` not integer, ``inputs`` not floating, non-integer candidates.
        ShapeError: ``labels`` not ``(batch_size, num_true)``, ``inputs`` not 2-D, a weight
            shard not ``(classes, dim)``, a bias not 1-D, candidates not ``(num_sampled,)``.
        ArgumentError: a size is not a positive int, a bad ``sampled_values``, an id outside
            the table (see :func:`nnfunc.embedding_lookup`).

    Notes:
        TensorFlow's values and gradients for given ``sampled_values``. Gradients reach
        ``inputs``, ``weights`` and ``biases`` (only the rows of the true and sampled classes:
        a scatter-add); none reach ``labels`` or the sampler outputs. With
        ``remove_accidental_hits=True`` it is the "sampled logistic" loss. Equivalent to
        ``tf.nn.nce_loss`` (same argument order and defaults).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> w, b = np.eye(3), np.zeros(3)
        >>> sv = (np.array([2]), np.ones((1, 1), np.float32), np.ones(1, np.float32))
        >>> nf.nce_loss(w, b, np.array([[1.0, 0.0, 0.0]]), np.array([[0]]), 1, 3,
        ...             sampled_values=sv).round(6)
        array([1.006409])
    """
    op = "nce_loss"
    tensors = _tensors(weights, biases, inputs, labels)
    with node_errors(name, *tensors):
        logits, targets = sampled_logits(
            op, weights, biases, inputs, labels, num_sampled, num_classes, num_true,
            sampled_values, remove_accidental_hits, partition_strategy, seed,
        )  # fmt: skip
    return sum_(sigmoid_cross_entropy_with_logits(logits, targets), axis=1, name=name)


def sampled_softmax_loss(
    weights: Any,
    biases: Any,
    inputs: Any,
    labels: Any,
    num_sampled: int,
    num_classes: int,
    num_true: int = 1,
    sampled_values: Any = None,
    remove_accidental_hits: bool = True,
    partition_strategy: str = "mod",
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Softmax cross-entropy over the true classes and a sample of the others.

    .. math::
        z_c = x \\cdot W_c + b_c - \\log Q(c), \\qquad
        \\ell = -\\sum_{c \\in \\text{true}} \\frac{1}{\\text{num\\_true}}
        \\log \\frac{e^{z_c}}{\\sum_{k \\in \\text{true} \\cup \\text{sampled}} e^{z_k}}

    A training loss (it underestimates the full softmax loss); at inference use
    ``softmax(inputs @ weights.T + biases)``.

    Args:
        weights (array, Variable, SymbolicVariable, or a list of them): Class embeddings
            ``(num_classes, dim)``, or its shards (see :func:`nnfunc.embedding_lookup`).
        biases (array, Variable, SymbolicVariable, or a list of them): Class biases
            ``(num_classes,)``, or its shards.
        inputs (array, Variable or SymbolicVariable): Floating ``(batch_size, dim)``.
        labels (array, Variable or SymbolicVariable): Integer ``(batch_size, num_true)``.
        num_sampled (int): Classes sampled per batch.
        num_classes (int): The number of classes (the range of the default sampler).
        num_true (int): Target classes per example. Default 1.
        sampled_values (tuple, optional): ``(sampled_candidates, true_expected_count,
            sampled_expected_count)`` from a candidate sampler (no gradient flows into them).
            None: :func:`nnfunc.log_uniform_candidate_sampler` with ``unique=True``.
        remove_accidental_hits (bool): Give sampled classes that equal a true class of the
            example the logit ``-FLT_MAX``. Default True.
        partition_strategy (str): ``"mod"`` (default) or ``"div"`` for sharded tables.
        seed (int, Generator or None): Seed of the default sampler.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``inputs``: ``(batch_size,)``, dtype of ``inputs``.

    Raises:
        DTypeError: ``labels`` not integer, ``inputs`` not floating, non-integer candidates.
        ShapeError: ``labels`` not ``(batch_size, num_true)``, ``inputs`` not 2-D, a weight
            shard not ``(classes, dim)``, a bias not 1-D, candidates not ``(num_sampled,)``.
        ArgumentError: a size is not a positive int, a bad ``sampled_values``, an id outside
            the table (see :func:`nnfunc.embedding_lookup`).

    Notes:
        TensorFlow's values and gradients for given ``sampled_values`` (Jean et al. 2014).
        Gradients reach ``inputs``, ``weights`` and ``biases`` (only the rows of the true and
        sampled classes); no ``(batch_size, num_classes)`` array is formed. Equivalent to
        ``tf.nn.sampled_softmax_loss`` (same argument order and defaults: accidental hits
        removed, unlike :func:`nnfunc.nce_loss`).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> w, b = np.eye(3), np.zeros(3)
        >>> sv = (np.array([2]), np.ones((1, 1), np.float32), np.ones(1, np.float32))
        >>> nf.sampled_softmax_loss(w, b, np.array([[1.0, 0.0, 0.0]]), np.array([[0]]), 1, 3,
        ...                         sampled_values=sv).round(6)   # log(1 + e**-1)
        array([0.313262])
    """
    op = "sampled_softmax_loss"
    tensors = _tensors(weights, biases, inputs, labels)
    with node_errors(name, *tensors):
        logits, targets = sampled_logits(
            op, weights, biases, inputs, labels, num_sampled, num_classes, num_true,
            sampled_values, remove_accidental_hits, partition_strategy, seed,
        )  # fmt: skip
    return softmax_cross_entropy_with_logits(logits, stop_gradient(targets), name=name)


def _tensors(weights: Any, biases: Any, inputs: Any, labels: Any) -> list[Any]:
    out = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    out += list(biases) if isinstance(biases, (list, tuple)) else [biases]
    return [*out, inputs, labels]
