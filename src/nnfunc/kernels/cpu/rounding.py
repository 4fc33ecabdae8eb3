"""Rounding to the nearest integer with halves away from zero (C's ``round``, NNabla's rule).

NumPy has no such ufunc (``numpy.rint`` and ``numpy.round`` send halves to even). Two
implementations with one signature and the same results, ``-0.0`` included:

* :func:`round_half_away_numba`: a numba ufunc (compiled lazily on first use), one pass, as
  fast as ``numpy.rint``;
* :func:`round_half_away_numpy`: ``rint`` plus a fix of the exact ties (``x - rint(x)`` is
  exact, so no ``x + 0.5`` rounding error); about 4x the cost of ``rint``. It also runs on CuPy.

:func:`round_half_away` picks numba for float32/float64 NumPy arrays when
:func:`nnfunc.core.backend.numba_enabled`. ``benchmarks/bench_elementwise.py`` times it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled

__all__ = ["round_half_away", "round_half_away_numba", "round_half_away_numpy"]


def round_half_away_numpy(x: Any) -> Any:
    """Round a floating array to the nearest integer, halves away from zero (NumPy/CuPy).

    .. math::
        y = \\operatorname{sign}(x) \\lfloor |x| + 1/2 \\rfloor

    Args:
        x: Floating array (any shape, any memory layout).

    Returns:
        A new array of ``x``'s shape and dtype; NaN and infinities are kept.

    Examples:
        >>> import numpy as np
        >>> round_half_away_numpy(np.array([-2.5, -0.5, 0.5, 1.5, 0.49999997], np.float32))
        array([-3., -1.,  1.,  2.,  0.], dtype=float32)
    """
    xp = np if type(x) is np.ndarray else _array_module(x)
    y = xp.asarray(xp.rint(x))
    with np.errstate(invalid="ignore"):  # inf - inf is NaN, not a tie: no warning needed
        d = xp.asarray(xp.subtract(x, y))
    xp.abs(d, out=d)
    tie = d == 0.5
    if tie.any():
        y[tie] = x[tie] + xp.copysign(xp.asarray(0.5, x.dtype), x[tie])
    return y


def _array_module(x: Any) -> Any:
    return get_array_module(x)


@lru_cache(maxsize=1)
def _compiled() -> Any:
    import numba

    @numba.vectorize(["float32(float32)", "float64(float64)"], nopython=True, cache=False)
    def kernel(v: Any) -> Any:  # pragma: no cover - compiled
        t = np.trunc(v)
        d = v - t  # exact; NaN for NaN and infinite inputs, which then return t
        if d >= 0.5:
            return t + 1
        if d <= -0.5:
            return t - 1
        return t

    return kernel


def round_half_away_numba(x: np.ndarray) -> np.ndarray:
    """The same as :func:`round_half_away_numpy` with a numba ufunc (float32/float64 only).

    Args:
        x: float32 or float64 NumPy array.

    Returns:
        A new array of ``x``'s shape and dtype (0-d for a 0-d input).

    Examples:
        >>> import numpy as np
        >>> round_half_away_numba(np.array([-2.5, 2.5, 3.5]))
        array([-3.,  3.,  4.])
    """
    # The vectorised loop evaluates both sides of its branches (``inf - inf``, comparisons
    # with NaN), which sets the invalid flag; the results are right, the warning is noise.
    with np.errstate(invalid="ignore"):
        return np.asarray(_compiled()(x))


def round_half_away(x: Any) -> Any:
    """Dispatch to the numba ufunc or its NumPy twin (see the module docstring).

    Args:
        x: Floating array.

    Returns:
        ``x`` rounded to the nearest integer, halves away from zero, in ``x``'s dtype.

    Examples:
        >>> import numpy as np
        >>> round_half_away(np.array([0.5, -1.5], np.float16))
        array([ 1., -2.], dtype=float16)
    """
    if type(x) is np.ndarray and x.dtype.char in "fd" and numba_enabled():
        return round_half_away_numba(x)
    return round_half_away_numpy(x)
