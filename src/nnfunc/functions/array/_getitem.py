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
    if any(isinstance(k, np.ndarray) for k in key) and None in shape:
        return _advanced_shape(dims, key)
    dummy = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), dims, (0,) * len(dims))
    return dummy[key].shape


def _zeros(dims: tuple[int, ...]) -> Any:
    return np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), dims, (0,) * len(dims))


def _advanced_shape(dims: tuple[int, ...], key: tuple[Any, ...]) -> tuple:
    """``zeros(dims)[key].shape`` without the copy an advanced index makes (with probe sizes for
    unknown dimensions that copy would be terabytes): the basic part from a view, the advanced
    part from NumPy's broadcasting rule."""
    used = sum(
        k.ndim if isinstance(k, np.ndarray) and k.dtype == bool else 1
        for k in key
        if k is not None and k is not Ellipsis
    )
    if used > len(dims):
        raise IndexError(f"too many indices for an array of {len(dims)} dimensions")
    view_key, marks, groups, axis = [], [], [], 0
    for k in key:
        if k is Ellipsis:
            n = len(dims) - used
            view_key.append(Ellipsis)
            marks += [False] * n
            axis += n
        elif k is None:
            view_key.append(None)
            marks.append(False)
        elif isinstance(k, np.ndarray) and k.dtype == bool:
            sub = dims[axis : axis + k.ndim]
            groups.append(_zeros(sub)[k].shape)  # checks the mask's shape
            view_key += [slice(0, 1)] * k.ndim
            marks += [True] * k.ndim
            axis += k.ndim
        elif isinstance(k, (np.ndarray, int, np.integer)):
            idx = np.asarray(k)
            n = dims[axis]
            if idx.size and not (-n <= idx.min() and idx.max() < n):
                bad = idx.min() if idx.min() < -n else idx.max()
                raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")
            groups.append(idx.shape)
            view_key.append(slice(0, 1))
            marks.append(True)
            axis += 1
        else:  # a slice
            view_key.append(k)
            marks.append(False)
            axis += 1
    rest = list(_zeros(dims)[tuple(view_key)].shape)
    block = np.broadcast_shapes(*groups)
    at = [i for i, m in enumerate(marks) if m]
    kept = [n for n, m in zip(rest, marks + [False] * (len(rest) - len(marks))) if not m]
    if at == list(range(at[0], at[-1] + 1)):
        return (*kept[: at[0]], *block, *kept[at[0] :])
    return (*block, *kept)


class GetItem(Function):
    """``x[key]``."""

    op_name = "getitem"

    def __init__(self, key: Any) -> None:
        self.key = _normalize_key(key)

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(x.shape)
        try:
            if None in shape:
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
