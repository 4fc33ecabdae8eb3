"""Scatter-add of rows: ``out[rows[i]] += src[i]`` for a 2-D ``out`` and ``src``.

The kernel behind the gradient of ``gather_nd`` and ``scatter_nd(..., add=True)``. Two
implementations with one signature and the same results:

* :func:`scatter_add_rows_numba`: a numba loop (compiled lazily on first use);
* :func:`scatter_add_rows_numpy`: ``numpy.bincount`` for single-column floating data, a sort
  plus ``numpy.add.reduceat`` for wider rows; it also runs on CuPy arrays
  (``cupyx.scatter_add``).

:func:`scatter_add_rows` picks numba when :func:`nnfunc.core.backend.numba_enabled` and the
arrays are NumPy arrays. ``benchmarks/bench_elementwise.py`` times both.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from nnfunc.core.backend import numba_enabled

__all__ = ["scatter_add_rows", "scatter_add_rows_numba", "scatter_add_rows_numpy"]


def scatter_add_rows_numpy(out: Any, rows: Any, src: Any) -> None:
    """``out[rows[i], :] += src[i, :]`` in place, with NumPy (or CuPy) only.

    Args:
        out: Array of shape ``(P, R)``, modified in place.
        rows: Integer array of shape ``(L,)``, values in ``[0, P)``.
        src: Array of shape ``(L, R)`` and the dtype of ``out``.

    Examples:
        >>> import numpy as np
        >>> out = np.zeros((3, 2), np.float32)
        >>> scatter_add_rows_numpy(out, np.array([2, 0, 2]), np.ones((3, 2), np.float32))
        >>> out
        array([[1., 1.],
               [0., 0.],
               [2., 2.]], dtype=float32)
    """
    if out.shape[1] == 1 and out.dtype.kind == "f" and type(out) is np.ndarray:
        # bincount accumulates in float64: one pass, no per-element dispatch.
        acc = np.bincount(rows, weights=src[:, 0], minlength=out.shape[0])
        out[:, 0] += acc.astype(out.dtype, copy=False)
        return
    if type(out) is np.ndarray:
        if out.shape[1] == 1 or len(rows) == 0:
            np.add.at(out, rows, src)
            return
        # Rows of width > 1: add.at dispatches per element; sorting once and summing each
        # run of equal rows with add.reduceat is ~10x faster.
        order = np.argsort(rows, kind="stable")
        sorted_rows = rows[order]
        starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
        sums = np.add.reduceat(src[order], starts, axis=0)
        out[sorted_rows[starts]] += sums.astype(out.dtype, copy=False)
    else:  # CuPy
        import cupyx

        cupyx.scatter_add(out, rows, src)


@lru_cache(maxsize=1)
def _compiled() -> Any:
    import numba

    @numba.njit(cache=False, nogil=True)
    def kernel(out: Any, rows: Any, src: Any) -> None:  # pragma: no cover - compiled
        n, r = src.shape
        for i in range(n):
            row = rows[i]
            for j in range(r):
                out[row, j] += src[i, j]

    return kernel


def scatter_add_rows_numba(out: Any, rows: Any, src: Any) -> None:
    """``out[rows[i], :] += src[i, :]`` in place, with a numba loop (NumPy arrays only).

    Args:
        out: C-contiguous array of shape ``(P, R)``, modified in place.
        rows: Integer array of shape ``(L,)``, values in ``[0, P)``.
        src: Array of shape ``(L, R)`` and the dtype of ``out``.

    Examples:
        >>> import numpy as np
        >>> out = np.zeros((2, 1))
        >>> scatter_add_rows_numba(out, np.array([1, 1]), np.array([[2.0], [3.0]]))
        >>> out
        array([[0.],
               [5.]])
    """
    if out.dtype == np.float16:  # numba has no float16 arithmetic
        acc = out.astype(np.float32)
        _compiled()(acc, np.ascontiguousarray(rows), np.ascontiguousarray(src, np.float32))
        out[...] = acc
        return
    _compiled()(out, np.ascontiguousarray(rows), np.ascontiguousarray(src))


def scatter_add_rows(out: Any, rows: Any, src: Any) -> None:
    """Dispatch to the numba kernel or its NumPy twin (see the module docstring).

    Args:
        out: Array of shape ``(P, R)``, modified in place.
        rows: Integer array of shape ``(L,)``, values in ``[0, P)``.
        src: Array of shape ``(L, R)`` and the dtype of ``out``.

    Examples:
        >>> import numpy as np
        >>> out = np.zeros((2, 1), np.int64)
        >>> scatter_add_rows(out, np.array([0, 0, 1]), np.array([[1], [2], [3]]))
        >>> out.ravel()
        array([3, 3])
    """
    if type(out) is np.ndarray and numba_enabled() and out.dtype.kind in "fiu":
        scatter_add_rows_numba(out, rows, src)
    else:
        scatter_add_rows_numpy(out, rows, src)
