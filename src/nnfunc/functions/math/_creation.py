"""Array creation: constant and arange (no tensor inputs, so no gradient)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.function import MEMORY_BYTES
from nnfunc.core.graph import Graph
from nnfunc.errors import ArgumentError, DTypeError

__all__ = ["arange", "constant"]


def _dtype(op: str, dtype: Any) -> np.dtype:
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise ArgumentError(check.message(op, "dtype", "be a NumPy dtype", dtype=dtype)) from None
    if d.kind not in "biuf":
        raise DTypeError(check.message(op, "dtype", "be a bool, integer or float dtype", dtype=d))
    return d


def _fits(op: str, shape: tuple[int, ...], itemsize: int, dtype: np.dtype) -> None:
    """ArgumentError before allocating ``shape`` elements of ``itemsize`` bytes beyond memory
    (the engine's output guard, for these creators that call NumPy directly)."""
    size = itemsize * math.prod(shape)
    if size > MEMORY_BYTES:
        raise ArgumentError(
            check.message(
                op,
                "output",
                f"fit in memory ({MEMORY_BYTES} bytes)",
                shape=shape,
                dtype=dtype,
                bytes=size,
            )
        )


def _emit(value: np.ndarray, name: str | None) -> Any:
    """The array, or a constant node of the current graph inside ``with Graph():``."""
    graph = Graph.current()
    if graph is None:
        return value
    return graph.constant(value, name=name)


def constant(
    val: float = 0, shape: Any = (), dtype: Any = np.float32, *, name: str | None = None
) -> Any:
    """An array of the given shape filled with a constant.

    .. math::
        y_i = v

    Args:
        val (float): The value. Default ``0``.
        shape (int or sequence of int): Shape. Default ``()`` (a 0-d array).
        dtype: dtype of the result. Default float32 (NNabla's).
        name (str, optional): Node name when called inside ``with Graph():``.

    Returns:
        An array (a constant node of the current graph inside ``with nf.Graph():``).

    Raises:
        ArgumentError: ``val`` is not a real number, ``shape`` holds negative sizes or
            non-integers, or ``dtype`` is not a dtype.
        DTypeError: ``dtype`` is not bool, integer or floating.

    Notes:
        Not differentiable (no tensor input). Equivalent to
        ``nnabla.functions.constant(val, shape)`` and ``numpy.full``.

    Examples:
        >>> import nnfunc as nf
        >>> nf.constant(2.5, (2, 2))
        array([[2.5, 2.5],
               [2.5, 2.5]], dtype=float32)
    """
    d = _dtype("constant", dtype)
    if isinstance(val, (bool, np.bool_)):
        v: Any = bool(val)
    else:
        v = check.real_scalar("constant", "val", val, finite=False)
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        dims = tuple(dims)
    except TypeError:
        raise ArgumentError(
            check.message("constant", "shape", "be a sequence of non-negative ints", shape=shape)
        ) from None
    if not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in dims) or any(
        s < 0 for s in dims
    ):
        raise ArgumentError(
            check.message("constant", "shape", "be a sequence of non-negative ints", shape=shape)
        )
    dims = tuple(int(s) for s in dims)
    if any(s >= 2**63 for s in dims):  # even beside a 0 (an empty result), NumPy refuses it
        raise ArgumentError(
            check.message("constant", "shape", "fit in int64 in every dimension", shape=shape)
        )
    _fits("constant", dims, d.itemsize, d)  # also 2**63, which NumPy refuses with a ValueError
    return _emit(np.full(dims, v, dtype=d), name)


def arange(
    start: float,
    stop: float,
    step: float = 1,
    dtype: Any = np.float32,
    *,
    name: str | None = None,
) -> Any:
    """Evenly spaced values in the half-open interval ``[start, stop)``.

    .. math::
        y_i = \\text{start} + i\\,\\text{step}, \\quad
        i = 0, \\ldots, \\lceil (\\text{stop} - \\text{start}) / \\text{step} \\rceil - 1

    Args:
        start (float): First value.
        stop (float): End of the interval (excluded).
        step (float): Increment, positive or negative, never 0. Default ``1``.
        dtype: dtype of the result. Default float32 (NNabla's).
        name (str, optional): Node name when called inside ``with Graph():``.

    Returns:
        A 1-D array (a constant node of the current graph inside ``with nf.Graph():``); empty
        when the interval holds no value.

    Raises:
        ArgumentError: ``step`` is 0, or an argument is not a finite real number.
        DTypeError: ``dtype`` is not bool, integer or floating.

    Notes:
        Not differentiable. The values are computed in float64 then cast, as
        ``numpy.arange(start, stop, step).astype(dtype)``. Equivalent to
        ``nnabla.functions.arange(start, stop, step)``.

    Examples:
        >>> import nnfunc as nf
        >>> nf.arange(1, 11).reshape(2, 5)
        array([[ 1.,  2.,  3.,  4.,  5.],
               [ 6.,  7.,  8.,  9., 10.]], dtype=float32)
    """
    d = _dtype("arange", dtype)
    a = check.real_scalar("arange", "start", start)
    b = check.real_scalar("arange", "stop", stop)
    s = check.real_scalar("arange", "step", step)
    if s == 0:
        raise ArgumentError(check.message("arange", "step", "not be 0", step=step))
    n = max(0, math.ceil((b - a) / s))
    _fits("arange", (n,), max(8, d.itemsize), d)  # computed in float64, then cast
    return _emit((a + s * np.arange(n, dtype=np.float64)).astype(d), name)
