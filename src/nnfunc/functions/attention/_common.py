"""Helpers of the attention family: tensor arguments, layouts and the small shape Functions."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError
from nnfunc.functions.reduction._sum import _CountOf

__all__ = [
    "CausalKeep",
    "FoldHeads",
    "LengthKeep",
    "MergeHeads",
    "RepeatHeads",
    "SplitHeads",
    "check_lengths",
    "known",
    "parse_layout",
    "run_time_scale",
    "tensor",
]


def tensor(op: str, arg: str, x: Any, optional: bool = False) -> Any:
    """``x`` as a tensor (array, Variable or symbolic variable), checked to be real or bool.

    Lists and NumPy scalars become arrays; None (unless ``optional``), strings, objects and
    complex numbers are a DTypeError naming ``arg``.
    """
    if x is None:
        if optional:
            return None
        raise DTypeError(check.message(op, arg, "be a real or boolean tensor", **{arg: None}))
    if not (hasattr(x, "shape") and hasattr(x, "dtype")) or isinstance(x, np.generic):
        try:
            x = np.asarray(x)
        except (TypeError, ValueError):
            raise DTypeError(
                check.message(op, arg, "be a real or boolean tensor", **{arg: x})
            ) from None
    kind = np.dtype(x.dtype).kind
    if kind not in "biuf":
        raise DTypeError(
            check.message(op, arg, "be a real or boolean tensor", **{f"{arg}.dtype": x.dtype})
        )
    return x


def known(*dims: Any) -> bool:
    """True when no dimension is unknown (None)."""
    return all(d is not None for d in dims)


LAYOUTS_4 = ("BTNH", "BNTH", "BNHT", "TBNH", "BTHN", "NBTH")
LAYOUTS_3 = ("BTH", "BHT", "TBH")


def parse_layout(op: str, layout: Any) -> tuple[int, ...]:
    """The axes of ``layout`` that hold (B, N, T, H); N is -1 for a rank-3 layout (one head).

    ``layout`` is a string of the letters B (batch), T (sequence: T for the query, S for key
    and value), N (heads: N for the query, K for key and value) and H (features per head),
    each once; N may be left out (one head).
    """
    ok = isinstance(layout, str) and sorted(layout) in (sorted("BTNH"), sorted("BTH"))
    if not ok:
        raise ArgumentError(
            check.message(
                op,
                "layout",
                "be a permutation of 'BTNH' (or of 'BTH' for one head), e.g. 'BTNH' (Keras), "
                "'BNTH', 'BNHT' or 'BHT' (SameDiff), 'TBNH'",
                layout=layout,
            )
        )
    return tuple(layout.index(c) if c in layout else -1 for c in "BNTH")


class SplitHeads(Function):
    """``(..., L, E) -> (..., L, N, E / N)`` (a reshape of the last axis; any unknown dims)."""

    op_name = "split_heads"

    def __init__(self, heads: int) -> None:
        self.heads = heads

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(x.shape)
        e = shape[-1]
        if e is not None and e % self.heads:
            raise ShapeError(
                check.message(
                    "multi_head_attention",
                    "embedding dimension",
                    "be a multiple of num_heads",
                    embed_dim=e,
                    num_heads=self.heads,
                )
            )
        head = None if e is None else e // self.heads
        return (TensorSpec(shape[:-1] + (self.heads, head), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (x.reshape(x.shape[:-1] + (self.heads, x.shape[-1] // self.heads)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (MergeHeads().apply1(grad_outputs[0]),)


class MergeHeads(Function):
    """``(..., L, N, D) -> (..., L, N * D)``."""

    op_name = "merge_heads"

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(x.shape)
        n, d = shape[-2:]
        self.heads = n
        e = None if n is None or d is None else n * d
        return (TensorSpec(shape[:-2] + (e,), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        self.heads = x.shape[-2]
        return (x.reshape(x.shape[:-2] + (x.shape[-2] * x.shape[-1],)),)  # not -1: empty x

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (SplitHeads(self.heads).apply1(grad_outputs[0]),)


class CausalKeep(Function):
    """The boolean ``(T, S)`` lower triangle ``s <= t`` for query ``(..., T, H)`` and key
    ``(..., S, H)`` (only their shapes are read)."""

    op_name = "causal_mask"
    input_names = ("query", "key")

    def setup(self, q: Any, k: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec((q.shape[-2], k.shape[-2]), np.dtype(np.bool_)),)

    def forward(self, xp: Any, q: Any, k: Any) -> tuple[Any, ...]:
        t, s = q.shape[-2], k.shape[-2]
        return (xp.arange(t)[:, None] >= xp.arange(s)[None, :],)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


def check_lengths(op: str, lengths: Any, batch: Any) -> None:
    """``key_lengths``: integer, shape ``(batch,)``."""
    if np.dtype(lengths.dtype).kind not in "iu":
        raise DTypeError(
            check.message(
                op, "key_lengths", "have an integer dtype", **{"key_lengths.dtype": lengths.dtype}
            )
        )
    shape = tuple(lengths.shape)
    if len(shape) != 1 or not (shape[0] is None or batch is None or shape[0] == batch):
        raise ShapeError(
            check.message(
                op,
                "key_lengths",
                "have shape (batch,)",
                **{"key_lengths.shape": shape, "batch": batch},
            )
        )


class LengthKeep(Function):
    """``(B, 1, 1, S)`` booleans ``s < lengths[b]`` for key ``(B, K, S, H)``."""

    op_name = "dot_product_attention"
    input_names = ("key_lengths", "key")

    def setup(self, lengths: Any, k: Any) -> tuple[TensorSpec, ...]:
        check_lengths(self.op_name, lengths, k.shape[0])
        b = k.shape[0]
        return (TensorSpec((b, 1, 1, k.shape[2]), np.dtype(np.bool_)),)

    def forward(self, xp: Any, lengths: Any, k: Any) -> tuple[Any, ...]:
        s = k.shape[2]
        return ((xp.arange(s)[None, :] < lengths[:, None])[:, None, None, :],)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


def run_time_scale(x: Any) -> Any:
    """The default score factor ``1 / sqrt(H)`` (1 for H = 0) of ``x``'s last axis as a 0-d
    tensor computed when the graph runs: for a graph built with H unknown (a Python float
    would have to guess it)."""
    h = _CountOf((len(x.shape) - 1,), real_dtype(x.dtype)).apply1(x)
    return F.pow(F.maximum(h, 1.0), -0.5)


class RepeatHeads(Function):
    """Key heads to query heads, ``(B, K, S, H) -> (B, N, S, H)`` with N from ``like``'s axis 1
    when the graph runs: head n reads key head ``n // (N // K)`` (grouped-query attention's
    second order with a number of heads unknown when the graph is built)."""

    op_name = "repeat_heads"
    input_names = ("x", "like")
    retain_in = (0,)

    def setup(self, x: Any, like: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(x.shape)
        return (TensorSpec((shape[0], like.shape[1], *shape[2:]), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any, like: Any) -> tuple[Any, ...]:
        return (xp.repeat(x, like.shape[1] // x.shape[1], axis=1),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        return (FoldHeads().apply1(grad_outputs[0], x), None)


class FoldHeads(Function):
    """Query heads to key heads, ``(B, N, S, H) -> (B, K, S, H)`` with K from ``like``'s axis 1
    when the graph runs: the sum over each group of ``N // K`` consecutive heads (the adjoint
    of :class:`RepeatHeads`)."""

    op_name = "fold_heads"
    input_names = ("x", "like")
    retain_in = (0,)

    def setup(self, x: Any, like: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(x.shape)
        return (TensorSpec((shape[0], like.shape[1], *shape[2:]), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any, like: Any) -> tuple[Any, ...]:
        b, n, *rest = x.shape
        k = like.shape[1]
        return (x.reshape(b, k, n // k, *rest).sum(axis=2),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        return (RepeatHeads().apply1(grad_outputs[0], x), None)
