"""Dropout's scaled keep mask and its products ``x * mask`` / ``gy * mask``, each in one pass.

The uniform draws stay with the caller (:func:`nnfunc.random.generator`, float64 on the host,
so a seed gives the same mask everywhere); these functions only turn them into the mask
``scale * [u >= rate]`` and apply it.

Two implementations with one signature and bit-identical results:

* ``*_numba``: float32/float64 NumPy arrays; one pass, split over threads
  (:mod:`nnfunc.kernels.cpu._threads`; ``threads`` forces a number of ranges).
* ``*_numpy``: NumPy (also CuPy) whole-array operations, any dtype and broadcasting;
  ``threads`` is accepted and ignored.

:func:`dropout_mask` and :func:`mask_mul` pick numba when
:func:`nnfunc.core.backend.numba_enabled` and the arrays are float32/float64 NumPy arrays of one
shape and dtype. ``benchmarks/bench_rowwise.py`` times dropout against PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu._rowwise import run_rows

__all__ = [
    "dropout_mask",
    "dropout_mask_numba",
    "dropout_mask_numpy",
    "mask_mul",
    "mask_mul_numba",
    "mask_mul_numpy",
]

_FAST = (np.dtype(np.float32), np.dtype(np.float64))


def dropout_mask_numpy(u: Any, rate: float, scale: float, dtype: Any, threads: Any = None) -> Any:
    """``scale`` where ``u >= rate``, else 0, in ``dtype`` (``scale`` rounded once to it).

    Args:
        u: Uniform draws in ``[0, 1)`` (float64, any shape).
        rate: The drop probability.
        scale: ``1 / (1 - rate)``.
        dtype: The mask's floating dtype.
    """
    mask = (u >= rate).astype(dtype)
    mask *= np.asarray(scale, dtype)  # 1 * s and 0 * s: exact, so s is rounded once
    return mask


def dropout_mask_numba(u: Any, rate: float, scale: float, dtype: Any, threads: Any = None) -> Any:
    """:func:`dropout_mask_numpy` with a numba kernel (float32/float64 masks)."""
    u = np.asarray(u, np.float64, order="C")
    mask = np.empty(u.shape, dtype)
    consts = (float(rate), float(scale))
    run_rows("dropout_mask", (u.reshape(-1),), consts, mask.reshape(-1), 1, threads)
    return mask


def mask_mul_numpy(a: Any, mask: Any, dtype: Any, threads: Any = None) -> Any:
    """``a * mask`` in ``dtype`` (``mask`` broadcasts to ``a``)."""
    xp = get_array_module(a)
    return xp.multiply(a, mask, dtype=dtype)


def mask_mul_numba(a: Any, mask: Any, dtype: Any, threads: Any = None) -> Any:
    """:func:`mask_mul_numpy` with a numba kernel (same shape and dtype, float32/float64)."""
    a = np.asarray(a, dtype, order="C")
    mask = np.asarray(mask, dtype, order="C")
    out = np.empty_like(a)
    run_rows("mul_into", (a.reshape(-1), mask.reshape(-1)), (), out.reshape(-1), 2, threads)
    return out


def dropout_mask(u: Any, rate: float, scale: float, dtype: Any, threads: Any = None) -> Any:
    """The scaled keep mask of the draws ``u`` in ``dtype``, in one pass."""
    if type(u) is np.ndarray and np.dtype(dtype) in _FAST and numba_enabled():
        return dropout_mask_numba(u, rate, scale, dtype, threads)
    return dropout_mask_numpy(u, rate, scale, dtype, threads)


def mask_mul(a: Any, mask: Any, dtype: Any, threads: Any = None) -> Any:
    """``a * mask`` in ``dtype``, in one pass."""
    dt = np.dtype(dtype)
    if (
        type(a) is np.ndarray
        and type(mask) is np.ndarray
        and a.dtype == dt
        and mask.dtype == dt
        and a.shape == mask.shape
        and dt in _FAST
        and numba_enabled()
    ):
        return mask_mul_numba(a, mask, dtype, threads)
    return mask_mul_numpy(a, mask, dtype, threads)
