"""Array-module selection (NumPy, or CuPy when installed) and numba availability.

Nothing here imports CuPy or numba at import time of :mod:`nnfunc`: both are looked up lazily.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["as_array", "get_array_module", "numba_enabled"]


def get_array_module(*arrays: Any) -> ModuleType:
    """Return ``cupy`` if any argument is a CuPy array, else ``numpy``."""
    cupy = sys.modules.get("cupy")
    if cupy is not None:
        for a in arrays:
            if isinstance(a, cupy.ndarray):
                return cupy
    return np


def as_array(value: Any, xp: ModuleType = np) -> Any:
    """Turn NumPy scalars and 0-d results into 0-d arrays; leave arrays alone."""
    if isinstance(value, np.ndarray):
        return value
    return xp.asarray(value)


@lru_cache(maxsize=1)
def numba_enabled() -> bool:
    """True when numba is importable and ``NNFUNC_DISABLE_NUMBA`` is not set to a true value."""
    if os.environ.get("NNFUNC_DISABLE_NUMBA", "0").lower() not in ("", "0", "false", "no"):
        return False
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True
