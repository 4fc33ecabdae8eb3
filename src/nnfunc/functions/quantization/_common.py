"""Helpers shared by the quantization functions."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.errors import DTypeError, ShapeError
from nnfunc.functions.signal._common import real_input, work_dtype

__all__ = ["as_spec", "float_param", "mask_grad", "real_input", "same_shape", "work_dtype"]


def as_spec(x: Any) -> Any:
    """Something with ``.shape`` and ``.dtype`` for a tensor argument (lists become arrays)."""
    if x is None or (hasattr(x, "shape") and hasattr(x, "dtype")):
        return x
    return np.asarray(x)


def float_param(op: str, arg: str, spec: Any) -> None:
    """A tensor the function writes into must be floating (it receives float values)."""
    dtype = np.dtype(spec.dtype)
    if dtype.kind != "f":
        raise DTypeError(
            check.message(
                op, arg, "have a floating dtype (it is written in place)", **{f"{arg}.dtype": dtype}
            )
        )


def same_shape(op: str, arg: str, spec: Any, ref_arg: str, ref: Any) -> None:
    a, b = tuple(spec.shape), tuple(ref.shape)
    if len(a) != len(b) or any(u is not None and v is not None and u != v for u, v in zip(a, b)):
        raise ShapeError(
            check.message(
                op,
                arg,
                f"have the shape of `{ref_arg}`",
                **{f"{arg}.shape": a, f"{ref_arg}.shape": b},
            )
        )


def mask_grad(gy: Any, x: Any, lo: float | None, hi: float | None, dtype: Any) -> Any:
    """``gy`` where ``lo <= x <= hi`` (either bound may be None), 0 elsewhere: the clipped
    straight-through gradient, written with nnfunc functions (its own gradient w.r.t. ``gy`` is
    the same mask; w.r.t. ``x`` it is 0)."""
    mask = None
    if lo is not None:
        mask = F.greater_equal_scalar(x, lo)
    if hi is not None:
        upper = F.less_equal_scalar(x, hi)
        mask = upper if mask is None else F.logical_and(mask, upper)
    if mask is None:
        return gy
    return gy * F.cast(mask, dtype)
