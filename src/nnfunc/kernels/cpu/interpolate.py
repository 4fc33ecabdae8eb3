"""Two-tap resampling along one axis: the kernels of :func:`nnfunc.interpolate` and its gradient.

With ``x`` viewed as ``(A, N, T)`` (the resampled axis in the middle), output ``o`` along it is
``(1 - w[o]) * x[:, i0[o], :] + w[o] * x[:, i1[o], :]`` (linear: two neighbours; nearest:
``i0 == i1``, ``w == 0``); the adjoint scatters ``g[:, o, :]`` back with the same weights.

Two implementations with one signature and the same results (up to rounding):

* ``*_numba``: one pass over the output (forward) or the gradient (adjoint), two taps per
  element instead of a dense ``(out, in)`` matrix product; rows ``A`` are split over threads
  (:mod:`nnfunc.kernels.cpu._threads`; ``threads`` forces a number of row ranges), each range
  writing only its own rows. numba is imported on first use.
``resample_2d*`` do the last two axes of ``(A, H, W)`` at once (bilinear: four taps, one write
of the output, no intermediate array).

* ``*_numpy``: ``take`` of the two taps (forward) and a segmented sum over the non-decreasing
  source indices (adjoint, ``add.reduceat``); it also runs on CuPy. ``threads`` is ignored.

:func:`resample_axis` and :func:`resample_axis_adjoint` pick numba for float32/float64 NumPy
arrays when :func:`nnfunc.core.backend.numba_enabled`. ``benchmarks/bench_signal.py`` times
them through ``interpolate``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu import _jit
from nnfunc.kernels.cpu._threads import row_ranges, run

__all__ = [
    "resample_2d",
    "resample_2d_adjoint",
    "resample_2d_adjoint_numba",
    "resample_2d_adjoint_numpy",
    "resample_2d_numba",
    "resample_2d_numpy",
    "resample_axis",
    "resample_axis_adjoint",
    "resample_axis_adjoint_numba",
    "resample_axis_adjoint_numpy",
    "resample_axis_numba",
    "resample_axis_numpy",
]


# ---------------------------------------------------------------------------- NumPy twins
def resample_axis_numpy(x: Any, i0: Any, i1: Any, w1: Any, threads: int | None = None) -> Any:
    """Resample the middle axis of ``x`` (A, N, T) to ``len(i0)`` points; NumPy (or CuPy).

    Args:
        x: Floating array ``(A, N, T)``.
        i0, i1: Integer source indices ``(M,)`` (non-decreasing, in ``[0, N)``).
        w1: Weights of ``i1``, ``(M,)``, in ``x``'s dtype (``i0`` gets ``1 - w1``).
        threads: Ignored.

    Returns:
        ``(A, M, T)`` in ``x``'s dtype.

    Examples:
        >>> import numpy as np
        >>> x = np.arange(3.0).reshape(1, 3, 1)
        >>> resample_axis_numpy(x, np.array([0, 1]), np.array([1, 2]), np.array([0.5, 0.25]))
        array([[[0.5 ],
                [1.25]]])
    """
    xp = get_array_module(x)
    w = xp.asarray(w1, dtype=x.dtype).reshape(1, -1, 1)
    a = xp.take(x, xp.asarray(i0), axis=1)
    if not bool(xp.any(w1)):
        return a
    b = xp.take(x, xp.asarray(i1), axis=1)
    b -= a
    b *= w
    a += b
    return a


def _segment_add(xp: Any, g: Any, idx: Any, weight: Any, out: Any) -> None:
    contrib = g * xp.asarray(weight, dtype=g.dtype).reshape(1, -1, 1)
    idx_h = np.asarray(idx)
    starts = np.flatnonzero(np.r_[True, idx_h[1:] != idx_h[:-1]])
    sums = xp.add.reduceat(contrib, xp.asarray(starts), axis=1)
    out[:, xp.asarray(idx_h[starts]), :] += sums


def resample_axis_adjoint_numpy(
    g: Any, i0: Any, i1: Any, w1: Any, n_in: int, threads: int | None = None
) -> Any:
    """The adjoint of :func:`resample_axis_numpy`: ``(A, M, T)`` back to ``(A, n_in, T)``.

    Args:
        g: Floating array ``(A, M, T)``.
        i0, i1, w1: As :func:`resample_axis_numpy`.
        n_in: Size ``N`` of the resampled axis.
        threads: Ignored.

    Returns:
        ``(A, n_in, T)`` in ``g``'s dtype.

    Examples:
        >>> import numpy as np
        >>> g = np.ones((1, 2, 1))
        >>> resample_axis_adjoint_numpy(g, np.array([0, 1]), np.array([1, 2]),
        ...                             np.array([0.5, 0.25]), 3)[0, :, 0]
        array([0.5 , 1.25, 0.25])
    """
    xp = get_array_module(g)
    out = xp.zeros((g.shape[0], n_in, g.shape[2]), dtype=g.dtype)
    if g.size == 0:
        return out
    w = np.asarray(w1, dtype=np.float64)
    _segment_add(xp, g, i0, 1.0 - w, out)
    if w.any():
        _segment_add(xp, g, i1, w, out)
    return out


# ---------------------------------------------------------------------------- numba
def _kernels() -> dict[str, Any]:
    return _jit.interpolate_kernels()


def resample_2d_kernels() -> dict[str, Any]:
    """The fused two-axis kernels (numba imported on first use)."""
    return _jit.resample_2d_kernels()


def resample_axis_numba(x: Any, i0: Any, i1: Any, w1: Any, threads: int | None = None) -> Any:
    """:func:`resample_axis_numpy` in one numba pass (float32/float64 NumPy arrays).

    Args:
        x: ``(A, N, T)``.
        i0, i1: Source indices ``(M,)``.
        w1: Weights ``(M,)``.
        threads: Row ranges to run in parallel; None: automatic.

    Returns:
        ``(A, M, T)``.

    Examples:
        >>> import numpy as np
        >>> x = np.arange(3.0).reshape(1, 3, 1)
        >>> resample_axis_numba(x, np.array([0, 1]), np.array([1, 2]), np.array([0.5, 0.25]))
        array([[[0.5 ],
                [1.25]]])
    """
    x = np.ascontiguousarray(x)
    i0 = np.ascontiguousarray(i0, dtype=np.int64)
    i1 = np.ascontiguousarray(i1, dtype=np.int64)
    w = np.ascontiguousarray(w1, dtype=x.dtype)
    y = np.empty((x.shape[0], len(i0), x.shape[2]), dtype=x.dtype)
    if y.size == 0:
        return y
    k = _kernels()["resample_axis"]
    ranges = row_ranges(x.shape[0], y.shape[1] * y.shape[2], threads)
    run(lambda a, b: k(x[a:b], i0, i1, w, y[a:b]), ranges)
    return y


def resample_axis_adjoint_numba(
    g: Any, i0: Any, i1: Any, w1: Any, n_in: int, threads: int | None = None
) -> Any:
    """:func:`resample_axis_adjoint_numpy` in one numba pass (float32/float64 NumPy arrays).

    Args:
        g: ``(A, M, T)``.
        i0, i1, w1: As :func:`resample_axis_numba`.
        n_in: Size of the resampled axis.
        threads: Row ranges to run in parallel; None: automatic.

    Returns:
        ``(A, n_in, T)``.

    Examples:
        >>> import numpy as np
        >>> g = np.ones((1, 2, 1))
        >>> resample_axis_adjoint_numba(g, np.array([0, 1]), np.array([1, 2]),
        ...                             np.array([0.5, 0.25]), 3)[0, :, 0]
        array([0.5 , 1.25, 0.25])
    """
    g = np.ascontiguousarray(g)
    i0 = np.ascontiguousarray(i0, dtype=np.int64)
    i1 = np.ascontiguousarray(i1, dtype=np.int64)
    w = np.ascontiguousarray(w1, dtype=g.dtype)
    out = np.zeros((g.shape[0], n_in, g.shape[2]), dtype=g.dtype)
    if g.size == 0:
        return out
    k = _kernels()["resample_axis_adjoint"]
    ranges = row_ranges(g.shape[0], g.shape[1] * g.shape[2], threads)
    run(lambda a, b: k(g[a:b], i0, i1, w, out[a:b]), ranges)
    return out


# ---------------------------------------------------------------------------- dispatch
def _use_numba(x: Any) -> bool:
    return type(x) is np.ndarray and x.dtype in (np.float32, np.float64) and numba_enabled()


def resample_axis(x: Any, i0: Any, i1: Any, w1: Any) -> Any:
    """:func:`resample_axis_numba` when it applies, else :func:`resample_axis_numpy`.

    Args:
        x: ``(A, N, T)`` floating array.
        i0, i1, w1: Source indices and weights ``(M,)``.

    Returns:
        ``(A, M, T)``.

    Examples:
        >>> import numpy as np
        >>> resample_axis(np.ones((2, 3, 4)), np.zeros(5, int), np.ones(5, int), np.zeros(5)).shape
        (2, 5, 4)
    """
    if _use_numba(x):
        return resample_axis_numba(x, i0, i1, w1)
    return resample_axis_numpy(x, i0, i1, w1)


def resample_axis_adjoint(g: Any, i0: Any, i1: Any, w1: Any, n_in: int) -> Any:
    """:func:`resample_axis_adjoint_numba` when it applies, else the NumPy twin.

    Args:
        g: ``(A, M, T)`` floating array.
        i0, i1, w1: Source indices and weights ``(M,)``.
        n_in: Size of the resampled axis.

    Returns:
        ``(A, n_in, T)``.

    Examples:
        >>> import numpy as np
        >>> resample_axis_adjoint(np.ones((2, 5, 4)), np.zeros(5, int), np.ones(5, int),
        ...                       np.zeros(5), 3).shape
        (2, 3, 4)
    """
    if _use_numba(g):
        return resample_axis_adjoint_numba(g, i0, i1, w1, n_in)
    return resample_axis_adjoint_numpy(g, i0, i1, w1, n_in)


# ---------------------------------------------------------------------------- two axes at once
def resample_2d_numpy(x: Any, plan_y: tuple, plan_x: tuple, threads: int | None = None) -> Any:
    """Resample the last two axes of ``x`` (A, H, W): two passes of :func:`resample_axis_numpy`.

    Args:
        x: Floating array ``(A, H, W)``.
        plan_y, plan_x: ``(i0, i1, w1)`` of each axis.
        threads: Ignored.

    Returns:
        ``(A, len(plan_y[0]), len(plan_x[0]))``.

    Examples:
        >>> import numpy as np
        >>> p = (np.array([0, 0]), np.array([0, 1]), np.array([0.0, 0.5]))
        >>> resample_2d_numpy(np.arange(4.0).reshape(1, 2, 2), p, p)
        array([[[0. , 0.5],
                [1. , 1.5]]])
    """
    a, _, w = x.shape
    t = resample_axis_numpy(x, *plan_y)
    y = resample_axis_numpy(t.reshape(-1, w, 1), *plan_x)
    return y.reshape(a, len(plan_y[0]), len(plan_x[0]))


def resample_2d_adjoint_numpy(
    g: Any, plan_y: tuple, plan_x: tuple, n_y: int, n_x: int, threads: int | None = None
) -> Any:
    """The adjoint of :func:`resample_2d_numpy`: ``(A, Ho, Wo)`` back to ``(A, n_y, n_x)``.

    Args:
        g: Floating array ``(A, Ho, Wo)``.
        plan_y, plan_x: As :func:`resample_2d_numpy`.
        n_y, n_x: Input sizes of the two axes.
        threads: Ignored.

    Returns:
        ``(A, n_y, n_x)``.

    Examples:
        >>> import numpy as np
        >>> p = (np.array([0, 0]), np.array([0, 1]), np.array([0.0, 0.5]))
        >>> resample_2d_adjoint_numpy(np.ones((1, 2, 2)), p, p, 2, 2)
        array([[[2.25, 0.75],
                [0.75, 0.25]]])
    """
    a, ho, wo = g.shape
    t = resample_axis_adjoint_numpy(g.reshape(-1, wo, 1), *plan_x, n_x)
    return resample_axis_adjoint_numpy(t.reshape(a, ho, n_x), *plan_y, n_y)


def _plan_args(plan: tuple, dtype: Any) -> tuple:
    i0, i1, w1 = plan
    return (
        np.ascontiguousarray(i0, dtype=np.int64),
        np.ascontiguousarray(i1, dtype=np.int64),
        np.ascontiguousarray(w1, dtype=dtype),
    )


def resample_2d_numba(x: Any, plan_y: tuple, plan_x: tuple, threads: int | None = None) -> Any:
    """:func:`resample_2d_numpy` in one numba pass (four taps per output; rows over threads).

    Args:
        x: ``(A, H, W)`` float32/float64 NumPy array.
        plan_y, plan_x: ``(i0, i1, w1)`` of each axis.
        threads: Row ranges to run in parallel; None: automatic.

    Returns:
        ``(A, Ho, Wo)``.

    Examples:
        >>> import numpy as np
        >>> p = (np.array([0, 0]), np.array([0, 1]), np.array([0.0, 0.5]))
        >>> resample_2d_numba(np.arange(4.0).reshape(1, 2, 2), p, p)
        array([[[0. , 0.5],
                [1. , 1.5]]])
    """
    x = np.ascontiguousarray(x)
    py, px = _plan_args(plan_y, x.dtype), _plan_args(plan_x, x.dtype)
    y = np.empty((x.shape[0], len(py[0]), len(px[0])), dtype=x.dtype)
    if y.size == 0:
        return y
    k = resample_2d_kernels()["resample_2d"]
    ranges = row_ranges(x.shape[0], y.shape[1] * y.shape[2], threads)
    run(lambda a, b: k(x[a:b], *py, *px, y[a:b]), ranges)
    return y


def resample_2d_adjoint_numba(
    g: Any, plan_y: tuple, plan_x: tuple, n_y: int, n_x: int, threads: int | None = None
) -> Any:
    """:func:`resample_2d_adjoint_numpy` in one numba pass.

    Args:
        g: ``(A, Ho, Wo)`` float32/float64 NumPy array.
        plan_y, plan_x: ``(i0, i1, w1)`` of each axis.
        n_y, n_x: Input sizes.
        threads: Row ranges to run in parallel; None: automatic.

    Returns:
        ``(A, n_y, n_x)``.

    Examples:
        >>> import numpy as np
        >>> p = (np.array([0, 0]), np.array([0, 1]), np.array([0.0, 0.5]))
        >>> resample_2d_adjoint_numba(np.ones((1, 2, 2)), p, p, 2, 2)
        array([[[2.25, 0.75],
                [0.75, 0.25]]])
    """
    g = np.ascontiguousarray(g)
    py, px = _plan_args(plan_y, g.dtype), _plan_args(plan_x, g.dtype)
    out = np.zeros((g.shape[0], n_y, n_x), dtype=g.dtype)
    if g.size == 0:
        return out
    k = resample_2d_kernels()["resample_2d_adjoint"]
    ranges = row_ranges(g.shape[0], g.shape[1] * g.shape[2], threads)
    run(lambda a, b: k(g[a:b], *py, *px, out[a:b]), ranges)
    return out


def resample_2d(x: Any, plan_y: tuple, plan_x: tuple) -> Any:
    """:func:`resample_2d_numba` when it applies, else :func:`resample_2d_numpy`.

    Args:
        x: ``(A, H, W)`` floating array.
        plan_y, plan_x: ``(i0, i1, w1)`` of each axis.

    Returns:
        ``(A, Ho, Wo)``.

    Examples:
        >>> import numpy as np
        >>> p = (np.zeros(3, int), np.ones(3, int), np.zeros(3))
        >>> resample_2d(np.ones((4, 2, 2)), p, p).shape
        (4, 3, 3)
    """
    if _use_numba(x):
        return resample_2d_numba(x, plan_y, plan_x)
    return resample_2d_numpy(x, plan_y, plan_x)


def resample_2d_adjoint(g: Any, plan_y: tuple, plan_x: tuple, n_y: int, n_x: int) -> Any:
    """:func:`resample_2d_adjoint_numba` when it applies, else the NumPy twin.

    Args:
        g: ``(A, Ho, Wo)`` floating array.
        plan_y, plan_x: ``(i0, i1, w1)`` of each axis.
        n_y, n_x: Input sizes.

    Returns:
        ``(A, n_y, n_x)``.

    Examples:
        >>> import numpy as np
        >>> p = (np.zeros(3, int), np.ones(3, int), np.zeros(3))
        >>> resample_2d_adjoint(np.ones((4, 3, 3)), p, p, 2, 2).shape
        (4, 2, 2)
    """
    if _use_numba(g):
        return resample_2d_adjoint_numba(g, plan_y, plan_x, n_y, n_x)
    return resample_2d_adjoint_numpy(g, plan_y, plan_x, n_y, n_x)
