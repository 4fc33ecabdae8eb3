"""Validation shared by the CTC loss and decoders (shapes in ``setup``, values when known)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.backend import get_array_module
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError
from nnfunc.functions import _labels as labels

__all__ = [
    "as_tensor",
    "batch_size",
    "check_lengths",
    "concrete",
    "int_tensor",
    "logits_dtype",
    "resolve_blank",
]


def as_tensor(x: Any) -> Any:
    """:func:`nnfunc.functions._labels.as_tensor`, which also refuses None, strings, bytes and
    dicts (a string would otherwise become a string array)."""
    if x is None or (isinstance(x, (str, bytes, dict)) and not isinstance(x, np.generic)):
        raise DTypeError(f"nnfunc: inputs must be arrays, Variables or numbers; received {x!r}.")
    return labels.as_tensor(x)


def concrete(x: Any) -> bool:
    """True for an array with values (not a spec seen while a graph is built)."""
    return not isinstance(x, TensorSpec) and not getattr(x, "_is_symbolic", False)


def int_tensor(op: str, arg: str, spec: Any, rank: int) -> None:
    """``spec`` is an integer tensor of rank ``rank``."""
    if np.dtype(spec.dtype).kind not in "iu":
        raise DTypeError(
            check.message(op, arg, "have an integer dtype", **{f"{arg}.dtype": spec.dtype})
        )
    check.ndim(op, arg, spec, rank)


def logits_dtype(op: str, arg: str, spec: Any) -> np.dtype:
    """The result dtype of real-valued logits: floats stay, integers and bool give float32."""
    dtype = np.dtype(spec.dtype)
    if dtype.kind not in "biuf":
        raise DTypeError(check.message(op, arg, "have a real dtype", **{f"{arg}.dtype": dtype}))
    check.ndim(op, arg, spec, 3)
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


def batch_size(op: str, named: dict[str, tuple[Any, int]]) -> int | None:
    """The common batch size of ``{arg: (spec, axis)}``; a mismatch is a ShapeError."""
    sizes = {k: s.shape[ax] for k, (s, ax) in named.items()}
    known = {k: v for k, v in sizes.items() if v is not None}
    if len(set(known.values())) > 1:
        subject = " and ".join(f"`{k}`" for k in named)
        raise ShapeError(
            check.message(
                op,
                f"the batch sizes of {subject}",
                "agree",
                **{f"{k}.shape": tuple(s.shape) for k, (s, _) in named.items()},
            )
        )
    return next(iter(known.values()), None)


def resolve_blank(op: str, arg: str, blank: Any, num_classes: int | None) -> int:
    """The blank index in ``[0, num_classes)`` (negative values count from the end)."""
    blank = check.integer(op, arg, blank)
    if num_classes is None:
        return blank
    if num_classes < 1:
        raise ShapeError(check.message(op, "num_classes", "be positive", num_classes=num_classes))
    if not -num_classes <= blank < num_classes:
        raise ArgumentError(
            check.message(
                op,
                arg,
                f"lie in [-{num_classes}, {num_classes})",
                **{arg: blank, "num_classes": num_classes},
            )
        )
    return blank % num_classes


def check_lengths(op: str, arg: str, lengths: Any, limit: int, what: str) -> None:
    """Every entry of a concrete length vector lies in ``[0, limit]``; name the first bad one."""
    if lengths.size == 0:
        return
    xp = get_array_module(lengths)
    bad = (lengths < 0) | (lengths > limit)
    if bool(bad.any()):
        i = int(xp.argwhere(bad)[0, 0])
        raise ArgumentError(
            check.message(
                op, arg, f"lie in [0, {limit}] ({what})", **{f"{arg}[{i}]": int(lengths[i])}
            )
        )
