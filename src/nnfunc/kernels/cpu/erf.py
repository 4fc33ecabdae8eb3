"""``erf``, ``erfc`` and the exact GELU ``x/2 * erfc(-x/sqrt(2))``, element-wise.

Two implementations with one signature (array in, new array of the same shape and floating
dtype out) and the same results:

* ``*_numba``: float32 (and float16, through float32) runs a vectorised kernel of
  :mod:`nnfunc.kernels.cpu._jit` that evaluates ``erfc`` in float64 from a degree-12 polynomial
  and a SIMD ``exp`` (relative error ~2e-11 before the final rounding, so results are the
  correctly rounded float32 but for about 1 in 20,000 ties off by 1 ulp); float64 runs a loop
  over libm's ``erf``/``erfc`` (full float64 accuracy, not vectorised). Compiled on first use;
  large arrays are split over threads (:mod:`nnfunc.kernels.cpu._threads`; ``threads``
  forces a number of ranges).
* ``*_numpy``: NumPy only (also CuPy), float64 accurate: a positive-term series of ``erf`` for
  ``|x| <= 2.5`` and the Laplace continued fraction of ``erfc`` beyond (NumPy has no ``erf``);
  ``threads`` is accepted and ignored.

:func:`erf` and :func:`gelu_erf` pick numba when :func:`nnfunc.core.backend.numba_enabled` and
the input is a NumPy array. ``benchmarks/bench_activation.py`` times them against PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu import _buffers
from nnfunc.kernels.cpu._jit import kernels
from nnfunc.kernels.cpu._threads import row_ranges, run

__all__ = [
    "erf",
    "erf_numba",
    "erf_numpy",
    "erfc_numpy",
    "gelu_erf",
    "gelu_erf_numba",
    "gelu_erf_numpy",
]

_SQRT_PI = math.sqrt(math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_SERIES_TERMS = 64
_CF_DEPTH = 64


# ---------------------------------------------------------------------------- NumPy twins
def _erf_series(xp: Any, x: Any) -> Any:
    """``erf(x)`` for ``|x| <= 2.5`` by the positive-term series (float64 in, float64 out)."""
    x2 = 2.0 * x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, _SERIES_TERMS):
        term *= x2 / (2 * n + 1)
        total += term
    return (2.0 / _SQRT_PI) * xp.exp(-x * x) * total


def _erfc_cf(xp: Any, x: Any) -> Any:
    """``erfc(x)`` for ``x >= 2.5`` by the Laplace continued fraction, evaluated bottom up."""
    f = xp.zeros_like(x)
    for k in range(_CF_DEPTH, 0, -1):
        f = (k / 2.0) / (x + f)
    return xp.exp(-x * x) / (_SQRT_PI * (x + f))


def _erf_parts(xp: Any, x: Any) -> tuple[Any, Any, Any]:
    x = x.astype(np.float64)
    ax = xp.abs(x)
    small = ax <= 2.5
    # Each branch sees only arguments where it converges (the others get a harmless 1.0 or 3.0).
    series = _erf_series(xp, xp.where(small, x, 1.0))
    tail = _erfc_cf(xp, xp.where(small, 3.0, ax))  # erfc(|x|)
    return small, series, xp.where(xp.isnan(x), np.nan, tail)


def erf_numpy(x: Any, threads: int | None = None) -> Any:
    """``erf(x)`` in NumPy (or CuPy), accurate to float64 round-off."""
    xp = get_array_module(x)
    small, series, tail = _erf_parts(xp, x)
    sign = xp.where(x < 0, -1.0, 1.0)
    out = xp.where(small, series, sign * (1.0 - tail))
    return out.astype(x.dtype, copy=False)


def erfc_numpy(x: Any, threads: int | None = None) -> Any:
    """``erfc(x) = 1 - erf(x)`` in NumPy, accurate in the upper tail."""
    xp = get_array_module(x)
    small, series, tail = _erf_parts(xp, x)
    out = xp.where(small, 1.0 - series, xp.where(x < 0, 2.0 - tail, tail))
    return out.astype(x.dtype, copy=False)


def gelu_erf_numpy(x: Any, threads: int | None = None) -> Any:
    """``x/2 * erfc(-x/sqrt(2))`` in NumPy (float64 inside), accurate in the lower tail."""
    if x.ndim == 0:  # ufuncs return scalars for 0-d arrays
        return gelu_erf_numpy(x.reshape(1)).reshape(())
    x64 = x.astype(np.float64)
    return (0.5 * x64 * erfc_numpy(-x64 * _INV_SQRT2)).astype(x.dtype, copy=False)


# ---------------------------------------------------------------------------- numba
def _run(name32: str, name64: str, x: Any, threads: int | None) -> Any:
    dtype = x.dtype
    work = np.float32 if dtype == np.float16 else dtype
    src = np.asarray(x, dtype=work, order="C")  # keeps 0-d (ascontiguousarray would not)
    out = _buffers.empty(src.shape, work)
    kernel = kernels()[name32 if work == np.float32 else name64]
    flat_in, flat_out = src.reshape(-1), out.reshape(-1)
    run(lambda a, b: kernel(flat_in[a:b], flat_out[a:b]), row_ranges(flat_in.size, 1, threads))
    return out.astype(dtype, copy=False)


def erf_numba(x: Any, threads: int | None = None) -> Any:
    """``erf(x)`` with a numba kernel (floating NumPy arrays only)."""
    return _run("erf_f32", "erf_f64", x, threads)


def gelu_erf_numba(x: Any, threads: int | None = None) -> Any:
    """``x/2 * erfc(-x/sqrt(2))`` with a numba kernel (floating NumPy arrays only)."""
    return _run("gelu_erf_f32", "gelu_erf_f64", x, threads)


# ---------------------------------------------------------------------------- dispatch
def _use_numba(x: Any) -> bool:
    return type(x) is np.ndarray and x.dtype.kind == "f" and numba_enabled()


def erf(x: Any, threads: int | None = None) -> Any:
    """``erf(x)`` of a floating array: numba kernel or NumPy twin."""
    return erf_numba(x, threads) if _use_numba(x) else erf_numpy(x, threads)


def gelu_erf(x: Any, threads: int | None = None) -> Any:
    """The exact GELU of a floating array: numba kernel or NumPy twin."""
    return gelu_erf_numba(x, threads) if _use_numba(x) else gelu_erf_numpy(x, threads)
