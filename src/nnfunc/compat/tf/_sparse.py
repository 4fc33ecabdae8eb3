"""TensorFlow's ``SparseTensor``: the COO triple that ``tf.nn`` takes and returns for CTC labels,
decoder outputs and ``embedding_lookup_sparse`` ids and weights.

A ``SparseTensor`` is plain data (three NumPy arrays), not a graph value: the functions that take
one read its arrays and call canonical nnfunc functions on them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.errors import ArgumentError, DTypeError, ShapeError

__all__ = ["SparseTensor", "sparse_tensor_to_dense"]

_OP = "SparseTensor"


class SparseTensor:
    """A sparse tensor in coordinate form, as ``tf.SparseTensor``.

    Args:
        indices: int64 array of shape ``(N, rank)``: the coordinates of the ``N`` stored values,
            in row-major order (TensorFlow's canonical ordering; not checked, as in TF).
        values: array of shape ``(N,)``: the stored values.
        dense_shape: int64 array of shape ``(rank,)``: the shape of the dense tensor.

    Raises:
        ShapeError: ``indices`` is not 2-D, ``values`` is not 1-D, the counts differ, or the rank
            of ``indices`` differs from the length of ``dense_shape``.
        ArgumentError: an index is negative or not below ``dense_shape``.
        DTypeError: ``indices`` or ``dense_shape`` are not integers.

    Examples:
        >>> st = tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[3, 4])
        >>> st.dense_shape
        array([3, 4])
        >>> tf.sparse_tensor_to_dense(st)
        array([[1., 0., 0., 0.],
               [0., 0., 2., 0.],
               [0., 0., 0., 0.]])
    """

    __slots__ = ("dense_shape", "indices", "values")

    def __init__(self, indices: Any, values: Any, dense_shape: Any) -> None:
        indices = _int_array("indices", indices)
        dense_shape = _int_array("dense_shape", dense_shape)
        values = np.asarray(values)
        if values.dtype.kind not in "biuf":
            raise DTypeError(
                check.message(_OP, "values", "be a numeric array", values=values.dtype)
            )
        if indices.ndim == 1 and indices.size == 0:
            indices = indices.reshape(0, dense_shape.size)
        if indices.ndim != 2:
            raise ShapeError(check.message(_OP, "indices", "be 2-D", indices=indices.shape))
        if values.ndim != 1 or values.shape[0] != indices.shape[0]:
            raise ShapeError(
                check.message(
                    _OP,
                    "values",
                    "be 1-D with one value per row of `indices`",
                    values=values.shape,
                    indices=indices.shape,
                )
            )
        if dense_shape.ndim != 1 or indices.shape[1] != dense_shape.shape[0]:
            raise ShapeError(
                check.message(
                    _OP,
                    "dense_shape",
                    "be 1-D with one entry per column of `indices`",
                    dense_shape=dense_shape.shape,
                    indices=indices.shape,
                )
            )
        if (dense_shape < 0).any():
            raise ArgumentError(
                check.message(_OP, "dense_shape", "be non-negative", dense_shape=dense_shape)
            )
        bad = np.argwhere((indices < 0) | (indices >= dense_shape))
        if bad.size:
            row = int(bad[0, 0])
            raise ArgumentError(
                check.message(
                    _OP,
                    "indices",
                    "lie within dense_shape",
                    index=indices[row],
                    position=row,
                    dense_shape=dense_shape,
                )
            )
        self.indices = indices
        self.values = values
        self.dense_shape = dense_shape

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the values."""
        return self.values.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        """The dense shape as a tuple."""
        return tuple(int(d) for d in self.dense_shape)

    @classmethod
    def from_dense(cls, x: Any, zero: Any = 0) -> SparseTensor:
        """The entries of ``x`` that differ from ``zero``, in row-major order."""
        x = np.asarray(x)
        idx = np.argwhere(x != zero)
        return cls(idx, x[tuple(idx.T)] if idx.size else x.reshape(-1)[:0], x.shape)

    def to_dense(self, default_value: Any = 0) -> np.ndarray:
        """The dense array; positions without a value hold ``default_value``."""
        out = np.full(self.shape, default_value, dtype=self.values.dtype)
        if self.indices.shape[0]:
            out[tuple(self.indices.T)] = self.values
        return out

    def __repr__(self) -> str:
        return (
            f"SparseTensor(indices={self.indices.tolist()}, values={self.values.tolist()}, "
            f"dense_shape={self.dense_shape.tolist()})"
        )


def sparse_tensor_to_dense(
    sp_input: SparseTensor,
    default_value: Any = 0,
    validate_indices: bool = True,
    name: str | None = None,
) -> np.ndarray:
    """The dense array of a :class:`SparseTensor` (``tf.sparse_tensor_to_dense``).

    Args:
        sp_input: The sparse tensor.
        default_value: The value of positions that hold none.
        validate_indices (bool): Accepted for TF's signature; indices are always validated when
            the SparseTensor is built.
        name (str, optional): Accepted for TF's signature; the result is a plain array.

    Returns:
        A NumPy array of shape ``sp_input.dense_shape``.

    Raises:
        DTypeError: ``sp_input`` is not a SparseTensor.

    Examples:
        >>> tf.sparse_tensor_to_dense(tf.SparseTensor([[1]], [7], [3]), default_value=-1)
        array([-1,  7, -1])
    """
    if not isinstance(sp_input, SparseTensor):
        raise DTypeError(
            check.message(
                "sparse_tensor_to_dense", "sp_input", "be a SparseTensor", sp_input=type(sp_input)
            )
        )
    dtype = np.dtype(sp_input.values.dtype)
    ok = isinstance(default_value, (bool, int, float, np.number, np.bool_)) or (
        isinstance(default_value, np.ndarray) and default_value.ndim == 0
    )
    if ok:
        try:  # the value must be representable in the values' dtype (2**63 in int64 is not)
            ok = np.asarray(default_value).dtype.kind in "biuf" and np.can_cast(
                np.min_scalar_type(default_value), dtype, "same_kind"
            )
        except (TypeError, ValueError, OverflowError):
            ok = False
    if ok:
        try:
            return sp_input.to_dense(default_value)
        except OverflowError:
            pass
    raise ArgumentError(
        check.message(
            "sparse_tensor_to_dense",
            "default_value",
            f"be a number that fits {dtype}",
            default_value=default_value,
        )
    )


def _int_array(arg: str, value: Any) -> np.ndarray:
    if value is None or isinstance(value, (str, bytes, dict)):
        raise DTypeError(check.message(_OP, arg, "be an integer array", **{arg: value}))
    arr = np.asarray(value)
    if arr.size == 0 and arr.dtype.kind == "f":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise DTypeError(check.message(_OP, arg, "be an integer array", **{arg: arr.dtype}))
    return arr.astype(np.int64, copy=False)
