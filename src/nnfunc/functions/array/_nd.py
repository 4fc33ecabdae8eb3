"""gather_nd and scatter_nd with NNabla's convention: index tuples along the FIRST axis."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError
from nnfunc.functions._labels import require_shape
from nnfunc.kernels.cpu.scatter_nd import scatter_add_rows

__all__ = ["gather_nd", "scatter_nd"]

_INT = np.dtype(np.int64)


def _check_indices_spec(op: str, indices: Any, ndim: int) -> int:
    """Validate the indices' spec; return ``M`` (the number of indexed axes)."""
    if np.dtype(indices.dtype).kind not in "biuf":
        raise DTypeError(
            check.message(
                op, "indices", "have an integer dtype", **{"indices.dtype": indices.dtype}
            )
        )
    shape = tuple(indices.shape)
    if len(shape) < 2:
        raise ShapeError(
            check.message(op, "indices", "have rank >= 2 (M, Y...)", **{"indices.shape": shape})
        )
    m = shape[0]
    if m is None or not 1 <= m <= ndim:
        raise ShapeError(
            check.message(
                op,
                "indices",
                f"have a known first dimension M in [1, {ndim}] (the rank of the data)",
                **{"indices.shape": shape},
            )
        )
    return m


def _check_index_values(op: str, indices: Any, dims: tuple[int, ...], arg: str) -> None:
    """Raise naming the first index tuple out of ``[-d, d)`` (runs where values are known).

    ``arg`` names the indexed shape in the message (``data.shape`` or ``shape``).
    """
    if not isinstance(indices, np.ndarray):
        return
    idx = indices.reshape(indices.shape[0], -1)
    d = np.asarray(dims, dtype=np.int64)[:, None]
    bad = (idx >= d) | (idx < -d)
    if idx.dtype.kind == "f":
        bad |= ~np.isfinite(idx)  # NaN compares false above; its int cast would be garbage
    if not bad.any():
        return
    col = int(np.flatnonzero(bad.any(axis=0))[0])
    where = np.unravel_index(col, indices.shape[1:])
    label = "indices[:, " + ", ".join(str(int(w)) for w in where) + "]"
    raise ShapeError(
        check.message(
            op,
            "indices",
            f"be in [-d, d) for each indexed size d ({arg}[:M])",
            **{label: tuple(v.item() for v in idx[:, col]), f"{arg}[:M]": tuple(dims)},
        )
    )


def _as_index(xp: Any, indices: Any) -> tuple[Any, ...]:
    idx = indices if indices.dtype == _INT else indices.astype(_INT)
    return tuple(idx[i] for i in range(idx.shape[0]))


def _linear(xp: Any, indices: Any, dims: tuple[int, ...]) -> Any:
    """Row numbers of the index tuples in the flattened first ``M`` axes."""
    idx = indices.reshape(indices.shape[0], -1).astype(_INT, copy=False)
    d = xp.asarray(dims, dtype=_INT)[:, None]
    idx = xp.where(idx < 0, idx + d, idx)
    lin = xp.zeros(idx.shape[1], dtype=_INT)
    for i, n in enumerate(dims):
        lin = lin * n + idx[i]
    return lin


class GatherND(Function):
    op_name = "gather_nd"
    input_names = ("data", "indices")

    def setup(self, data: Any, indices: Any) -> tuple[TensorSpec, ...]:
        dshape = tuple(data.shape)
        m = _check_indices_spec(self.op_name, indices, len(dshape))
        if None not in dshape[:m]:
            _check_index_values(self.op_name, indices, dshape[:m], "data.shape")
        shape = tuple(indices.shape[1:]) + dshape[m:]
        return (TensorSpec(shape, np.dtype(data.dtype)),)

    def forward(self, xp: Any, data: Any, indices: Any) -> tuple[Any, ...]:
        return (data[_as_index(xp, indices)],)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (indices,) = self.retained_inputs()
        target = self._shape_target(0)
        if isinstance(target, tuple):
            return (_ScatterAddND(target).apply1(grad_outputs[0], indices), None)
        return (_ScatterAddND(None).apply1(grad_outputs[0], indices, target), None)

    retain_in = (1,)


class _ScatterAddND(Function):
    """Zeros of ``shape`` (or of ``ref``'s shape) with ``src`` added at the index tuples."""

    op_name = "scatter_add_nd"
    input_names = ("src", "indices", "ref")
    retain_in = (1,)

    def __init__(self, shape: Any) -> None:
        self.shape = shape

    def setup(self, src: Any, indices: Any, ref: Any = None) -> tuple[TensorSpec, ...]:
        shape = tuple(ref.shape) if ref is not None else tuple(self.shape)
        return (TensorSpec(shape, np.dtype(src.dtype)),)

    def forward(self, xp: Any, src: Any, indices: Any, ref: Any = None) -> tuple[Any, ...]:
        shape = tuple(ref.shape) if ref is not None else tuple(self.shape)
        m = indices.shape[0]
        rows = math.prod(shape[:m])
        width = math.prod(shape[m:])
        out = xp.zeros((rows, width), dtype=src.dtype)
        scatter_add_rows(out, _linear(xp, indices, shape[:m]), src.reshape(-1, width))
        return (out.reshape(shape),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (indices,) = self.retained_inputs()
        return (GatherND().apply1(grad_outputs[0], indices), None, None)


def gather_nd(data: Any, indices: Any, *, name: str | None = None) -> Any:
    """Gather elements or slices of ``data`` at index tuples laid along the first axis.

    .. math::
        y[y_0, \\ldots, y_{K-1}, \\ldots] = \\text{data}[\\text{idx}[0, y], \\ldots,
        \\text{idx}[M - 1, y], \\ldots]

    Args:
        data (array, Variable or SymbolicVariable): Shape ``(X_0, ..., X_{N-1})``.
        indices (array, list, Variable or SymbolicVariable): Integer array of shape
            ``(M, Y_0, ..., Y_{K-1})`` with ``1 <= M <= N``: column ``indices[:, y]`` is one
            index tuple into the first ``M`` axes of ``data``. Each index lies in ``[-d, d)``
            for the size ``d`` of its axis; negative values count from the end, as in
            NNabla's CPU kernel (which also rejects anything outside). Floating indices are
            truncated to integers. (TensorFlow's ``gather_nd`` puts the tuples on the LAST
            axis instead.)
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``data``: shape ``(Y_0, ..., Y_{K-1}, X_M, ..., X_{N-1})``, dtype of
        ``data``.

    Raises:
        ShapeError: ``indices`` has rank < 2 or ``M`` is not in ``[1, N]``, or an index is
            outside ``[-d, d)`` or not finite (the message names the first bad tuple; never a
            silent wrap). In graph mode values are checked when the graph runs.
        DTypeError: ``indices`` is not numeric.

    Notes:
        Gradient: ``gy`` scatter-added into zeros of ``data``'s shape (repeated tuples
        accumulate), with a numba kernel (a NumPy twin under ``NNFUNC_DISABLE_NUMBA=1``).
        No gradient to the indices. Equivalent to ``nnabla.functions.gather_nd(data,
        indices)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> data = np.arange(1.0, 11.0).reshape(2, 5)
        >>> nf.gather_nd(data, [[1, 1, 0], [0, 1, 0]])
        array([6., 7., 1.])
        >>> nf.gather_nd(data, [[1, 1, 0]]).shape
        (3, 5)
    """
    return GatherND().apply1(data, indices, name=name)


class ScatterND(Function):
    op_name = "scatter_nd"
    input_names = ("data", "indices", "out")
    retain_in = (1,)

    def __init__(self, shape: Any, add: bool) -> None:
        self.shape = shape
        self.add = add

    def setup(self, data: Any, indices: Any, out: Any = None) -> tuple[TensorSpec, ...]:
        if out is not None:
            shape = tuple(out.shape)
            dtype = np.dtype(out.dtype)
        else:
            shape = self.shape
            dtype = np.dtype(data.dtype)
        m = _check_indices_spec(self.op_name, indices, len(shape))
        expect = tuple(indices.shape[1:]) + tuple(shape[m:])
        got = tuple(data.shape)
        received = {"data.shape": got, "indices.shape": tuple(indices.shape), "shape": shape}
        requirement = "have shape indices.shape[1:] + shape[M:]"
        require_shape(self.op_name, "data", got, expect, requirement, received)
        if None not in shape[:m]:
            _check_index_values(self.op_name, indices, tuple(shape[:m]), "shape")
        self.out_dtype = dtype
        return (TensorSpec(tuple(shape), dtype),)

    def forward(self, xp: Any, data: Any, indices: Any, out: Any = None) -> tuple[Any, ...]:
        shape = tuple(out.shape) if out is not None else tuple(self.shape)
        y = xp.zeros(shape, dtype=self.out_dtype) if out is None else out.copy()
        if self.add:
            m = indices.shape[0]
            width = math.prod(shape[m:])
            src = data.astype(self.out_dtype, copy=False).reshape(-1, width)
            y2 = y.reshape(math.prod(shape[:m]), width)
            scatter_add_rows(y2, _linear(xp, indices, shape[:m]), src)
        else:
            y[_as_index(xp, indices)] = data
        return (y,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        (indices,) = self.retained_inputs()
        g_data = g_out = None
        if 0 in target_indexes:
            g_data = GatherND().apply1(gy, indices)
            if g_data.dtype != self._in_specs[0].dtype:
                g_data = F.cast(g_data, self._in_specs[0].dtype)
        if 2 in target_indexes:
            g_out = gy if self.add else F.where(_Unwritten().apply1(indices, gy), gy, 0)
        return (g_data, None, g_out)


class _Unwritten(Function):
    """True where no index tuple writes (the gradient mask of ``out``)."""

    op_name = "scatter_nd_mask"
    input_names = ("indices", "ref")

    def setup(self, indices: Any, ref: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(ref.shape), np.dtype(bool)),)

    def forward(self, xp: Any, indices: Any, ref: Any) -> tuple[Any, ...]:
        mask = xp.ones(ref.shape, dtype=bool)
        mask[_as_index(xp, indices)] = False
        return (mask,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


def scatter_nd(
    data: Any,
    indices: Any,
    shape: Any = None,
    out: Any = None,
    *,
    add: bool = False,
    name: str | None = None,
) -> Any:
    """Write ``data`` at index tuples (laid along the first axis) into zeros or into ``out``.

    .. math::
        y = \\text{out or } 0, \\quad y[\\text{idx}[0, j], \\ldots, \\text{idx}[M - 1, j],
        \\ldots] = \\text{data}[j, \\ldots]

    The inverse of :func:`gather_nd`.

    Args:
        data (array, Variable or SymbolicVariable): Shape ``(Y_0, ..., Y_{K-1}, X_M, ...,
            X_{N-1})``.
        indices (array, list, Variable or SymbolicVariable): Shape ``(M, Y_0, ...,
            Y_{K-1})``, integers (other numeric dtypes are truncated), each in ``[-d, d)`` for
            the size ``d`` of its axis; negative values count from the end (as in NNabla).
        shape (sequence of int, optional): Output shape ``(X_0, ..., X_{N-1})``.
        out (array, Variable or SymbolicVariable, optional): A tensor whose values fill the
            positions not written. Exactly one of ``shape`` and ``out`` is given.
        add (bool): Add ``data`` to the existing values (repeated tuples accumulate) instead
            of assigning. Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: shape ``shape`` (or ``out``'s), dtype of ``data`` (or of
        ``out``).

    Raises:
        ArgumentError: neither or both of ``shape`` and ``out`` are given, or ``shape`` is not
            a sequence of non-negative ints.
        ShapeError: the shapes do not fit, or an index is outside ``[-d, d)`` or not finite
            (the message names the first bad tuple; never a silent wrap).

    Notes:
        With repeated index tuples and ``add=False`` one of the writes wins (NumPy's
        assignment order; NNabla leaves it unspecified). ``out`` is not modified: a new
        tensor is returned (NNabla writes into ``out``). Gradient: ``gy`` gathered at the
        tuples for ``data`` (every duplicate receives it), ``gy`` with the written positions
        zeroed for ``out`` (all of ``gy`` when ``add``). Equivalent to
        ``nnabla.functions.scatter_nd(data, indices, shape, out)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.scatter_nd(np.array([9.0, 10.0, 11.0, 12.0]), [[4, 3, 1, 7]], shape=(8,))
        array([ 0., 11.,  0., 10.,  9.,  0.,  0., 12.])
    """
    with node_errors(name, data, indices, out):
        add = check.boolean("scatter_nd", "add", add)
        if (shape is None) == (out is None):
            raise ArgumentError(
                check.message(
                    "scatter_nd",
                    "`shape` or `out`",
                    "be given (exactly one of them)",
                    shape=shape,
                    out=None if out is None else "<tensor>",
                )
            )
        if shape is not None:
            dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
            try:
                dims = tuple(dims)
            except TypeError:
                dims = None
            if dims is None or not all(
                isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0
                for d in dims
            ):
                raise ArgumentError(
                    check.message(
                        "scatter_nd", "shape", "be a sequence of non-negative ints", shape=shape
                    )
                )
            if any(d >= 2**63 for d in dims):  # the index check works in int64
                raise ArgumentError(
                    check.message(
                        "scatter_nd", "shape", "fit in int64 in every dimension", shape=shape
                    )
                )
            dims = tuple(int(d) for d in dims)
    if shape is not None:
        return ScatterND(dims, add).apply1(data, indices, name=name)
    return ScatterND(None, add).apply1(data, indices, out, name=name)
