"""Indexing: ``x[key]`` with basic and integer-array (or boolean) indexing, differentiable."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.core.variable import Variable
from nnfunc.errors import ArgumentError, ShapeError, UnsupportedError

__all__ = ["getitem"]

# Two unrelated large sizes stand in for unknown dimensions: an output dimension that differs
# between them depends on the unknown size and is unknown too.
_PROBES = (1_000_003, 1_000_033)


def _normalize_key(key: Any) -> tuple[Any, ...]:
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, Variable):
            k = k.data
        elif getattr(k, "_is_symbolic", False):
            raise UnsupportedError(
                "getitem: `key` must not hold symbolic variables; received "
                f"key containing {k.name!r}. Use gather_nd for computed indices."
            )
        if isinstance(k, list):
            k = np.asarray(k)
        if isinstance(k, np.ndarray) and k.dtype.kind not in "biu":
            raise ArgumentError(
                check.message("getitem", "key", "hold integer or boolean arrays", key=k)
            )
        out.append(k)
    return tuple(out)


def _is_basic(key: tuple[Any, ...]) -> bool:
    return all(isinstance(k, (slice, int, np.integer, type(None))) or k is Ellipsis for k in key)


def _probe_shape(shape: tuple[int | None, ...], key: tuple[Any, ...], fill: int) -> tuple:
    dims = tuple(fill if d is None else d for d in shape)
    dummy = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), dims, (0,) * len(dims))
    return dummy[key].shape


def _bounds(idx: Any, axis: int, n: int | None) -> None:
    idx = np.asarray(idx)
    if n is not None and idx.size and not (-n <= idx.min() and idx.max() < n):
        bad = idx.min() if idx.min() < -n else idx.max()
        raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")


def _slice_len(k: slice, n: int | None) -> int | None:
    """Length of ``range(n)[k]``; for an unknown ``n``, known only when it is the same for
    every size (``slice(0, 10, 2)`` gives 5 on large sizes but 2 on 3: unknown)."""
    if n is not None:
        return len(range(*k.indices(n)))
    edge = max(abs(v) for v in (k.start, k.stop, 0) if v is not None) + 2
    lengths = {len(range(*k.indices(d))) for d in (*range(edge), edge + 1, edge + 7)}
    return lengths.pop() if len(lengths) == 1 else None


def _index_shape(dims: tuple[int | None, ...], key: tuple[Any, ...]) -> tuple:
    """``x[key].shape`` for an ``x`` of shape ``dims`` (None: unknown until the graph runs), from
    NumPy's indexing rules and without an array (probe arrays standing in for unknown sizes
    are too big, and an advanced index copies them). Advanced indices (integer or boolean arrays,
    and integers next to them) broadcast to one block, placed where they stand when they are
    adjacent in the key, else first. Bounds on unknown sizes are checked when the graph runs."""
    # NumPy indexes with an empty boolean array as with an empty integer array
    key = tuple(
        k.astype(np.intp) if isinstance(k, np.ndarray) and k.dtype == bool and not k.size else k
        for k in key
    )
    advanced = any(isinstance(k, np.ndarray) for k in key)
    if sum(k is Ellipsis for k in key) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(
        k.ndim if isinstance(k, np.ndarray) and k.dtype == bool else 1
        for k in key
        if k is not None and k is not Ellipsis
    )
    if used > len(dims):
        raise IndexError(f"too many indices for an array of {len(dims)} dimensions")
    out: list[int] = []
    marks: list[bool] = []  # output axes that the advanced block replaces
    groups: list[tuple] = []
    where: list[int] = []  # positions in the key of the advanced entries
    axis = 0
    for j, k in enumerate(key):
        if k is Ellipsis:
            n = len(dims) - used
            out += dims[axis : axis + n]
            marks += [False] * n
            axis += n
        elif k is None:
            out.append(1)
            marks.append(False)
        elif isinstance(k, np.ndarray) and k.dtype == bool:
            sub = dims[axis : axis + k.ndim]
            if any(d is not None and d != m for d, m in zip(sub, k.shape, strict=True)):
                raise IndexError(
                    f"boolean index did not match indexed array along axis {axis}; size of "
                    f"axes is {sub} but size of the boolean index is {k.shape}"
                )
            groups.append((int(np.count_nonzero(k)),))
            where.append(j)
            out += [1] * k.ndim
            marks += [True] * k.ndim
            axis += k.ndim
        elif isinstance(k, (np.ndarray, int, np.integer)):
            _bounds(k, axis, dims[axis])
            if advanced:
                groups.append(np.shape(k))
                where.append(j)
                out.append(1)
                marks.append(True)
            axis += 1
        elif isinstance(k, slice):
            out.append(_slice_len(k, dims[axis]))
            marks.append(False)
            axis += 1
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and "
                "integer or boolean arrays are valid indices"
            )
    out += dims[axis:]
    marks += [False] * (len(dims) - axis)
    if not groups:
        return tuple(out)
    try:
        block = np.broadcast_shapes(*groups)
    except ValueError:  # NumPy's indexing says IndexError
        raise IndexError(
            "shape mismatch: indexing arrays could not be broadcast together with shapes "
            + " ".join(str(g) for g in groups)
        ) from None
    kept = [n for n, m in zip(out, marks, strict=True) if not m]
    if where == list(range(where[0], where[-1] + 1)):  # adjacent in the key (even `...` parts)
        first = marks.index(True)
        return (*kept[:first], *block, *kept[first:])
    return (*block, *kept)


class GetItem(Function):
    """``x[key]``."""

    op_name = "getitem"

    def __init__(self, key: Any) -> None:
        self.key = _normalize_key(key)

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(x.shape)
        try:
            if None in shape and not any(isinstance(k, (bool, np.bool_)) for k in self.key):
                out = _index_shape(shape, self.key)
            elif None in shape:  # a bool scalar in the key (a new axis, or none): probe sizes
                a = _probe_shape(shape, self.key, _PROBES[0])
                b = _probe_shape(shape, self.key, _PROBES[1])
                out = tuple(p if p == q else None for p, q in zip(a, b, strict=True))
            else:
                out = _probe_shape(shape, self.key, 0)
        except (IndexError, OverflowError) as exc:  # OverflowError: an int beyond int64
            raise ShapeError(
                check.message(
                    self.op_name,
                    "key",
                    f"be a valid index ({exc})",
                    key=self.key if len(self.key) > 1 else self.key[0],
                    **{"x.shape": shape},
                )
            ) from None
        return (TensorSpec(out, np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        y = x[self.key]
        return (y if isinstance(y, xp.ndarray) else xp.asarray(y),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        target = self._shape_target(0)
        if isinstance(target, tuple):
            return (GetItemGrad(self.key, target).apply1(grad_outputs[0]),)
        return (GetItemGrad(self.key, None).apply1(grad_outputs[0], target),)


class GetItemGrad(Function):
    """Scatter-add ``gy`` into zeros of the input's shape at ``key`` (the gradient of getitem)."""

    op_name = "getitem_grad"
    input_names = ("gy", "ref")

    def __init__(self, key: tuple[Any, ...], shape: Any) -> None:
        self.key = key
        self.shape = shape

    def setup(self, gy: Any, ref: Any = None) -> tuple[TensorSpec, ...]:
        shape = tuple(ref.shape) if ref is not None else self.shape
        return (TensorSpec(shape, np.dtype(gy.dtype)),)

    def forward(self, xp: Any, gy: Any, ref: Any = None) -> tuple[Any, ...]:
        shape = ref.shape if ref is not None else self.shape
        gx = xp.zeros(shape, dtype=gy.dtype)
        if _is_basic(self.key):
            gx[self.key] = gy
        else:
            xp.add.at(gx, self.key, gy)
        return (gx,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (GetItem(self.key).apply1(grad_outputs[0]), None)


def getitem(x: Any, key: Any, *, name: str | None = None) -> Any:
    """Index an array: ``x[key]`` with NumPy semantics.

    .. math::
        y = x[\\text{key}]

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        key: Basic index (ints, slices, ``None``, ``...``) or advanced index (integer or boolean
            arrays, lists), or a tuple of them.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: ``x[key]`` (always an array, never a NumPy scalar).

    Raises:
        ShapeError: an index is out of bounds (never wraps silently).
        ArgumentError: the key holds floating arrays.
        UnsupportedError: the key holds symbolic variables.

    Notes:
        Gradient: the upstream gradient scattered into zeros of the input's shape; repeated
        integer indices accumulate. ``Variable.__getitem__`` routes here.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = nf.Variable(np.arange(4.0), requires_grad=True)
        >>> nf.sum(x[[0, 0, 3]]).backward()
        >>> x.grad
        array([2., 0., 0., 1.])
    """
    return GetItem(key).apply1(x, name=name)
