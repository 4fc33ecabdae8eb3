"""The dtype policy of nnfunc (see DESIGN.md, "dtypes")."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["accumulation_dtype", "is_float", "real_dtype", "result_dtype"]

_F32 = np.dtype(np.float32)
_F16 = np.dtype(np.float16)


def real_dtype(dtype: Any) -> np.dtype:
    """The dtype of a real-valued result: floating dtypes stay, integers and bool give float32."""
    if not isinstance(dtype, np.dtype):  # (np.dtype of a dtype is itself, but costs a call)
        dtype = np.dtype(dtype)
    return dtype if dtype.kind == "f" else _F32


def accumulation_dtype(dtype: Any) -> np.dtype:
    """dtype in which sums are accumulated: float16 is accumulated in float32."""
    if not isinstance(dtype, np.dtype):
        dtype = np.dtype(dtype)
    return _F32 if dtype == _F16 else dtype


def is_float(dtype: Any) -> bool:
    """True for floating dtypes."""
    return np.dtype(dtype).kind == "f"


def result_dtype(a: Any, b: Any) -> np.dtype:
    """dtype of a binary operation's result.

    Like NumPy, except that an integer or bool operand never widens a floating one: integer
    with float32 gives float32 (as in JAX and Keras), so a Python float used with an integer
    tensor, converted to float32, gives float32.
    """
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    fa, fb = a.kind == "f", b.kind == "f"
    if fa != fb:
        return a if fa else b
    return np.result_type(a, b)
