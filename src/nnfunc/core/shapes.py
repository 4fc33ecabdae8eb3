"""Output sizes and padding of convolution and pooling windows.

Every function here works on one spatial dimension at a time (``resolve_padding`` on all of them)
and lets an unknown size (``None``, graph mode) pass through as ``None``. Padding is always
returned as explicit ``(low, high)`` pairs: the pads actually used.

Formulas (``L`` input size, ``k`` kernel, ``s`` stride, ``d`` dilation, ``lo``/``hi`` pads):

* convolution: ``floor((L + lo + hi - d*(k-1) - 1) / s) + 1``;
* transposed convolution: ``s*(L-1) - lo - hi + d*(k-1) + 1 + output_padding``;
* pooling: as convolution with ``d = 1``; with NNabla's ``ignore_border=False``
  ``floor((L + lo - 1) / s) + 1`` (windows may hang over the end of the input);
* ``"same"`` (TensorFlow): ``total = max(0, (ceil(L/s) - 1)*s + d*(k-1) + 1 - L)``,
  ``lo = total // 2``, ``hi = total - lo`` (the extra pixel at the end); output ``ceil(L/s)``.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.errors import ArgumentError, NNFuncError, ShapeError

__all__ = [
    "check_out_size",
    "conv_out_size",
    "conv_transpose_out_size",
    "node_errors",
    "pad_pair",
    "pool_out_size",
    "resolve_padding",
    "same_pads",
    "show_pad",
]

Pair = tuple[int | None, int | None]


def _is_int(v: Any) -> bool:
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)


def pad_pair(pad: int | Sequence[int]) -> tuple[int, int]:
    """``pad`` as a ``(low, high)`` pair (an int pads both sides)."""
    if _is_int(pad):
        return (int(pad), int(pad))
    lo, hi = pad
    return (int(lo), int(hi))


def conv_out_size(
    size: int | None,
    kernel: int,
    stride: int = 1,
    pad: int | Sequence[int] = 0,
    dilation: int = 1,
) -> int | None:
    """Output size of a convolution along one dimension (may be <= 0: callers check).

    >>> conv_out_size(5, 3), conv_out_size(5, 3, pad=1), conv_out_size(7, 3, 2, 1, 2)
    (3, 5, 3)
    >>> conv_out_size(None, 3) is None
    True
    """
    if size is None:
        return None
    lo, hi = pad_pair(pad)
    return (size + lo + hi - dilation * (kernel - 1) - 1) // stride + 1


def conv_transpose_out_size(
    size: int | None,
    kernel: int,
    stride: int = 1,
    pad: int | Sequence[int] = 0,
    dilation: int = 1,
    output_padding: int = 0,
) -> int | None:
    """Output size of a transposed convolution along one dimension.

    >>> conv_transpose_out_size(3, 3), conv_transpose_out_size(3, 3, 2, 1, 1, 1)
    (5, 6)
    """
    if size is None:
        return None
    lo, hi = pad_pair(pad)
    return stride * (size - 1) - lo - hi + dilation * (kernel - 1) + 1 + output_padding


def pool_out_size(
    size: int | None,
    kernel: int,
    stride: int | None = None,
    pad: int | Sequence[int] = 0,
    ignore_border: bool = True,
) -> int | None:
    """Output size of a pooling window along one dimension (``stride=None``: the kernel).

    ``ignore_border=False`` is NNabla's rule ``floor((L + lo - 1)/s) + 1``: every window that
    starts inside the (low-padded) input gives an output, clipped at the end.

    >>> pool_out_size(5, 2), pool_out_size(5, 2, ignore_border=False)
    (2, 3)
    >>> pool_out_size(4, 3, 1, 1), pool_out_size(4, 3, 1, 1, ignore_border=False)
    (4, 5)
    """
    if size is None:
        return None
    stride = kernel if stride is None else stride
    lo, hi = pad_pair(pad)
    if ignore_border:
        return (size + lo + hi - kernel) // stride + 1
    return (size + lo - 1) // stride + 1


def same_pads(size: int | None, kernel: int, stride: int = 1, dilation: int = 1) -> Pair:
    """TensorFlow ``"SAME"`` pads ``(low, high)``: the odd pixel goes to the end.

    >>> same_pads(5, 3), same_pads(4, 3, 2), same_pads(6, 1, 2), same_pads(None, 3)
    ((1, 1), (0, 1), (0, 0), (None, None))
    """
    if size is None or kernel is None:
        return (None, None)
    out = -(-size // stride)
    total = max(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - size)
    return (total // 2, total - total // 2)


_PAD_REQ = (
    "be an int, a sequence of {n} ints, a sequence of {n} (low, high) pairs of non-negative "
    "ints, 'valid' or 'same'"
)


def resolve_padding(
    op: str,
    pad: Any,
    sizes: Sequence[int | None],
    kernels: Sequence[int],
    strides: Sequence[int] | None = None,
    dilations: Sequence[int] | None = None,
    arg: str = "pad",
) -> tuple[Pair, ...]:
    """The ``(low, high)`` pads used in every spatial dimension.

    ``pad``: an int (all sides), a per-dimension sequence of ints (both sides), a sequence of
    per-dimension ``(low, high)`` pairs, ``"valid"`` (no padding) or ``"same"`` (TensorFlow's
    rule; case-insensitive). With one spatial dimension, two ints are its ``(low, high)`` pair.
    With ``"same"`` an unknown size gives ``(None, None)``.

    Raises:
        ArgumentError: anything else, or a negative pad.

    >>> resolve_padding("conv", 1, [5, 5], [3, 3])
    ((1, 1), (1, 1))
    >>> resolve_padding("conv", [(0, 1), 2], [5, 5], [3, 3])
    ((0, 1), (2, 2))
    >>> resolve_padding("conv", "SAME", [4, None], [3, 3], [2, 1])
    ((0, 1), (None, None))
    """
    n = len(sizes)
    strides = tuple(strides) if strides is not None else (1,) * n
    dilations = tuple(dilations) if dilations is not None else (1,) * n
    if isinstance(pad, str):
        mode = pad.lower()
        if mode == "valid":
            return ((0, 0),) * n
        if mode == "same":
            return tuple(
                same_pads(sz, k, s, d)
                for sz, k, s, d in zip(sizes, kernels, strides, dilations, strict=True)
            )
        raise ArgumentError(check.message(op, arg, _PAD_REQ.format(n=n), **{arg: pad}))
    if _is_int(pad):
        if pad < 0:
            raise ArgumentError(check.message(op, arg, "be non-negative", **{arg: pad}))
        return ((int(pad), int(pad)),) * n
    items = None
    if isinstance(pad, Sequence) or (isinstance(pad, np.ndarray) and pad.ndim):  # not 0-d
        items = list(pad)
        if n == 1 and len(items) == 2 and all(_is_int(v) for v in items):
            items = [tuple(items)]  # one dimension: two ints are its (low, high) pair
    if items is None or len(items) != n:
        raise ArgumentError(check.message(op, arg, _PAD_REQ.format(n=n), **{arg: pad}))
    out: list[Pair] = []
    for item in items:
        if _is_int(item):
            pair = (int(item), int(item))
        elif (
            isinstance(item, (Sequence, np.ndarray))
            and not isinstance(item, str)
            and len(item) == 2
            and all(_is_int(v) for v in item)
        ):
            pair = (int(item[0]), int(item[1]))
        else:
            raise ArgumentError(check.message(op, arg, _PAD_REQ.format(n=n), **{arg: pad}))
        if pair[0] < 0 or pair[1] < 0:
            raise ArgumentError(check.message(op, arg, "be non-negative", **{arg: pad}))
        out.append(pair)
    return tuple(out)


def check_out_size(
    op: str, dim: int, out: int | None, what: str = "output size", **received: Any
) -> None:
    """Raise a ShapeError naming every interacting value when an output size is not positive."""
    if out is not None and out <= 0:
        raise ShapeError(check.message(op, what, f"be positive in spatial dim {dim}", **received))


def show_pad(pair: Pair) -> Any:
    """A pad pair as shown in messages: an int when symmetric."""
    return pair[0] if pair[0] == pair[1] else tuple(pair)


@contextlib.contextmanager
def node_errors(name: str | None, *tensors: Any) -> Iterator[None]:
    """Give errors raised before any node exists (dialect checks) the graph node's name.

    In graph mode (a tensor is symbolic) with an explicit ``name``, an nnfunc error whose
    message names no node yet becomes ``"<op> (node '<name>'): ..."``, the form the engine gives
    errors of a function's ``setup``. Messages that already name a node are left alone.
    """
    try:
        yield
    except NNFuncError as exc:
        text = str(exc)
        symbolic = any(getattr(t, "_is_symbolic", False) for t in tensors)
        if name is None or not symbolic or "(node " in text:
            raise
        op, sep, rest = text.partition(": ")
        text = f"{op} (node {name!r}): {rest}" if sep else f"{text} (node {name!r})"
        raise type(exc)(text) from None
