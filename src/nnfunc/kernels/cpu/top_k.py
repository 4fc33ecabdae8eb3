"""Top-k selection kernels: a numba loop and a pure-NumPy twin with the same signature/results.

Both return the indices of the ``k`` largest entries of every row of a 2-D array, in descending
order of value, ties to the lower index. NaN entries are not ordered (avoid them). numba is
imported lazily, inside :func:`top_k_indices`, never when nnfunc is imported.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled

__all__ = ["top_k_indices", "top_k_indices_numba", "top_k_indices_numpy"]


def top_k_indices_numpy(x: Any, k: int) -> Any:
    """Twin of the numba kernel: ``(rows, n)`` -> ``(rows, k)`` int64 indices."""
    xp = get_array_module(x)
    rows, n = x.shape
    if k == 0 or rows == 0:
        return xp.zeros((rows, k), dtype=np.int64)
    if x.dtype.kind in "ub":
        x = x.astype(np.float64)
    neg = -x
    if 4 * k >= n:
        return xp.argsort(neg, axis=-1, kind="stable")[:, :k].astype(np.int64, copy=False)
    # Partition around the k-th largest value, then settle ties at that value by index.
    part = xp.argpartition(neg, k - 1, axis=-1)[:, k - 1 : k]
    kth = xp.take_along_axis(neg, part, axis=-1)
    better = neg < kth
    tied = neg == kth
    need = k - better.sum(axis=-1, keepdims=True)
    chosen = better | (tied & (xp.cumsum(tied, axis=-1) <= need))
    idx = xp.nonzero(chosen)[1].reshape(rows, k)
    vals = xp.take_along_axis(neg, idx, axis=-1)
    order = xp.argsort(vals, axis=-1, kind="stable")
    return xp.take_along_axis(idx, order, axis=-1).astype(np.int64, copy=False)


@lru_cache(maxsize=1)
def _numba_kernel() -> Any:
    import numba

    @numba.njit(parallel=True, cache=True, nogil=True)
    def kernel(x: Any, k: int, out: Any) -> None:  # pragma: no cover - compiled
        rows, n = x.shape
        for r in numba.prange(rows):
            vals = np.empty(k, dtype=x.dtype)
            idx = out[r]
            count = 0
            for j in range(n):
                v = x[r, j]
                if count == k:
                    # Strictly greater only: an equal value seen later keeps its lower rank.
                    if not v > vals[k - 1]:
                        continue
                    p = k - 1
                else:
                    p = count
                    count += 1
                while p > 0 and v > vals[p - 1]:
                    vals[p] = vals[p - 1]
                    idx[p] = idx[p - 1]
                    p -= 1
                vals[p] = v
                idx[p] = j

    return kernel


def top_k_indices_numba(x: Any, k: int) -> Any:
    """numba kernel: ``(rows, n)`` -> ``(rows, k)`` int64 indices (one pass per row)."""
    rows = x.shape[0]
    out = np.zeros((rows, k), dtype=np.int64)
    if k == 0 or rows == 0:
        return out
    if x.dtype.kind == "b":
        x = x.astype(np.int8)
    elif x.dtype == np.float16:
        x = x.astype(np.float32)  # numba has no float16 arithmetic; the order is unchanged
    _numba_kernel()(np.ascontiguousarray(x), k, out)
    return out


def top_k_indices(x: Any, k: int) -> Any:
    """Dispatch: numba on NumPy arrays when enabled and ``k`` is small, else the twin."""
    if isinstance(x, np.ndarray) and k <= 64 and numba_enabled():
        return top_k_indices_numba(x, k)
    return top_k_indices_numpy(x, k)
