"""Helpers shared by the signal-processing functions."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.dtypes import real_dtype
from nnfunc.errors import DTypeError

__all__ = ["as_spec", "real_input", "work_dtype"]


def real_input(op: str, arg: str, spec: Any) -> np.dtype:
    """The result dtype of a real-valued function of ``spec``: floating dtypes stay, integers
    and bool give float32; complex, object and string dtypes are a :class:`DTypeError`."""
    if spec is None:
        raise DTypeError(check.message(op, arg, "be a tensor", **{arg: None}))
    dtype = np.dtype(spec.dtype)
    if dtype.kind not in "biuf":
        raise DTypeError(check.message(op, arg, "have a real dtype", **{f"{arg}.dtype": dtype}))
    return real_dtype(dtype)


def work_dtype(dtype: Any) -> np.dtype:
    """dtype the arithmetic runs in: float16 works in float32."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def as_spec(x: Any) -> Any:
    """Something with ``.shape`` and ``.dtype`` for a tensor argument (lists become arrays)."""
    if x is None or (hasattr(x, "shape") and hasattr(x, "dtype")):
        return x
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise DTypeError(
            f"nnfunc: inputs must be arrays, Variables or numbers; received {x!r}."
        ) from exc
