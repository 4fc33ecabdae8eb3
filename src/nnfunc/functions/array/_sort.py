"""sort (with indices) and top_k_data."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError
from nnfunc.functions.reduction._minmax import IndicesOnly

__all__ = ["sort", "top_k_data"]

_INT = np.dtype(np.int64)


def _argsort(xp: Any, x: Any, axis: int, reverse: bool) -> Any:
    """Stable argsort; descending keeps ties in ascending index order."""
    if not reverse:
        return xp.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    flipped = xp.flip(x, axis=axis)
    return (n - 1) - xp.flip(xp.argsort(flipped, axis=axis, kind="stable"), axis=axis)


def _top_k_positions(xp: Any, flat: Any, k: int) -> Any:
    """Positions of the ``k`` largest values of each row of ``flat`` in descending order of
    value, equal values by ascending position (the order of a stable descending sort)."""
    m = flat.shape[-1]
    if 4 * k >= m or (flat.dtype.kind == "f" and bool(xp.isnan(flat).any())):
        return _argsort(xp, flat, -1, True)[..., :k]
    # Partition instead of sorting every row: the k-th largest value t, every value above t,
    # and the first (lowest-position) values equal to t until k are taken.
    t = xp.partition(flat, m - k, axis=-1)[..., m - k : m - k + 1]
    greater = flat > t
    equal = flat == t
    need = k - greater.sum(axis=-1, keepdims=True)
    chosen = greater | (equal & (xp.cumsum(equal, axis=-1) <= need))
    cols = xp.nonzero(chosen.reshape(-1, m))[1].reshape(flat.shape[:-1] + (k,))
    order = _argsort(xp, xp.take_along_axis(flat, cols, axis=-1), -1, True)
    return xp.take_along_axis(cols, order, axis=-1)


class _ArgSort(Function):
    op_name = "argsort"

    def __init__(self, axis: int, reverse: bool) -> None:
        self.axis = axis
        self.reverse = reverse

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(x.shape), _INT),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (_argsort(xp, x, self.axis, self.reverse).astype(_INT, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


class _TakeAlong(Function):
    """``take_along_axis(x, idx, axis)``; ``idx`` is a permutation along the axis."""

    op_name = "take_along_axis"
    input_names = ("x", "indices")
    retain_in = (1,)

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def setup(self, x: Any, idx: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(idx.shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any, idx: Any) -> tuple[Any, ...]:
        return (xp.take_along_axis(x, idx, axis=self.axis),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (idx,) = self.retained_inputs()
        return (_PutAlong(self.axis).apply1(grad_outputs[0], idx), None)


class _PutAlong(Function):
    """Inverse permutation: ``y`` with ``y[idx] = g`` along ``axis`` (``idx`` a permutation)."""

    op_name = "put_along_axis"
    input_names = ("g", "indices")
    retain_in = (1,)

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def setup(self, g: Any, idx: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(idx.shape), np.dtype(g.dtype)),)

    def forward(self, xp: Any, g: Any, idx: Any) -> tuple[Any, ...]:
        y = xp.empty(idx.shape, dtype=g.dtype)
        xp.put_along_axis(y, idx, g, axis=self.axis)
        return (y,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (idx,) = self.retained_inputs()
        return (_TakeAlong(self.axis).apply1(grad_outputs[0], idx), None)


class Sort(Function):
    op_name = "sort"
    retain_in = (0,)

    def __init__(self, axis: Any, reverse: bool, with_index: bool) -> None:
        self.axis = axis
        self.reverse = reverse
        self.with_index = with_index

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        rank = check.ndim_at_least(self.op_name, "x", x, 1)
        self.axis = check.axis(self.op_name, "axis", self.axis, rank)
        specs = [TensorSpec(tuple(x.shape), np.dtype(x.dtype))]
        if self.with_index:
            specs.append(TensorSpec(tuple(x.shape), _INT))
        return tuple(specs)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        if not self.with_index and not self.reverse:
            return (xp.sort(x, axis=self.axis),)
        idx = _argsort(xp, x, self.axis, self.reverse)
        values = xp.take_along_axis(x, idx, axis=self.axis)
        if not self.with_index:
            return (values,)
        return (values, idx.astype(_INT, copy=False))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        idx = _ArgSort(self.axis, self.reverse).apply1(x)
        return (_PutAlong(self.axis).apply1(grad_outputs[0], idx),)


class SortIndex(IndicesOnly, Sort):
    """Only the sorting indices (one output, no gradient)."""


def sort(
    x: Any,
    axis: int = -1,
    reverse: bool = False,
    with_index: bool = False,
    only_index: bool = False,
    *,
    name: str | None = None,
) -> Any:
    """Sort along an axis, optionally returning the sorting indices.

    .. math::
        y[\\ldots, :] = x[\\ldots, \\pi], \\quad x[\\pi_0] \\le x[\\pi_1] \\le \\cdots

    Args:
        x (array, Variable or SymbolicVariable): Input of rank >= 1, numeric dtype.
        axis (int): Axis to sort; negative counts from the end. Default ``-1`` (NNabla's; its
            page prints ``axis=1`` with the minus sign lost).
        reverse (bool): Descending order. Default ``False``.
        with_index (bool): Also return the indices: ``(sorted, indices)``.
        only_index (bool): Return only the indices (implies ``with_index``).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        The sorted values (dtype of ``x``), ``(sorted, indices)`` or the indices (int64,
        ``numpy.argsort(x, axis)``), each of ``x``'s shape.

    Raises:
        ShapeError: ``x`` is 0-d or ``axis`` is out of range.
        ArgumentError: a flag is not a bool.

    Notes:
        Stable: equal values keep their order (ascending index first also with
        ``reverse``). NaN sorts last (first with ``reverse``). Gradient: ``gy`` permuted
        back to the original positions; none through the indices. Equivalent to
        ``nnabla.functions.sort(x, axis, reverse, with_index, only_index)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.sort(np.array([3.0, 1.0, 2.0], np.float32), with_index=True)
        (array([1., 2., 3.], dtype=float32), array([1, 2, 0]))
        >>> nf.sort(np.array([3, 1, 3, 2]), reverse=True, only_index=True)
        array([0, 2, 3, 1])
    """
    with node_errors(name, x):
        reverse = check.boolean("sort", "reverse", reverse)
        with_index = check.boolean("sort", "with_index", with_index)
        only_index = check.boolean("sort", "only_index", only_index)
    if only_index:
        return SortIndex(axis, reverse, True).apply1(x, name=name)
    if not with_index:
        return Sort(axis, reverse, False).apply1(x, name=name)
    return Sort(axis, reverse, True).apply(x, name=name)


# ----------------------------------------------------------------------------- top-k
class _TopK(Function):
    """Shared argument handling of the top-k functions."""

    def __init__(self, k: Any, abs: bool, base_axis: Any) -> None:  # noqa: A002
        self.k = k
        self.abs = abs
        self.base_axis = base_axis

    def _setup_k(self, x: Any) -> tuple[tuple, int | None]:
        self.k = check.positive_int(self.op_name, "k", self.k)
        self.abs = check.boolean(self.op_name, "abs", self.abs)
        shape = tuple(x.shape)
        base = check.axis(self.op_name, "base_axis", self.base_axis, len(shape))
        self.base_axis = base
        tail = shape[base:]
        size = None if None in tail else math.prod(tail)
        if size is not None and self.k > size:
            raise ArgumentError(
                check.message(
                    self.op_name,
                    "k",
                    "not exceed the sample size (the product of x.shape[base_axis:])",
                    k=self.k,
                    **{"x.shape": shape},
                    base_axis=base,
                )
            )
        return shape[:base], size

    def _positions(self, xp: Any, key: Any) -> Any:
        """Flat positions of the k largest (by magnitude if ``abs``) per sample, descending,
        ties to the lowest position."""
        # The explicit width: -1 is ambiguous when a leading axis is empty.
        flat = key.reshape(key.shape[: self.base_axis] + (math.prod(key.shape[self.base_axis :]),))
        if self.abs:
            flat = xp.abs(flat)
        return _top_k_positions(xp, flat, self.k)


class _TopKGather(_TopK):
    """Values of ``v`` at the top-k positions of ``key``: shape ``(samples..., k)``."""

    op_name = "top_k_data"
    input_names = ("x", "key")
    retain_in = (1,)

    def setup(self, v: Any, key: Any) -> tuple[TensorSpec, ...]:
        lead, _ = self._setup_k(key)
        return (TensorSpec((*lead, self.k), np.dtype(v.dtype)),)

    def forward(self, xp: Any, v: Any, key: Any) -> tuple[Any, ...]:
        pos = self._positions(xp, key)
        flat = v.reshape(v.shape[: self.base_axis] + (math.prod(v.shape[self.base_axis :]),))
        return (xp.take_along_axis(flat, pos, axis=-1),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (key,) = self.retained_inputs()
        f = _TopKScatter(self.k, self.abs, self.base_axis)
        return (f.apply1(grad_outputs[0], key), None)


class _TopKScatter(_TopK):
    """Zeros of ``key``'s shape with ``g`` placed at the top-k positions of ``key``."""

    op_name = "top_k_data_grad"
    input_names = ("g", "key")
    retain_in = (1,)

    def setup(self, g: Any, key: Any) -> tuple[TensorSpec, ...]:
        self._setup_k(key)
        return (TensorSpec(tuple(key.shape), np.dtype(g.dtype)),)

    def forward(self, xp: Any, g: Any, key: Any) -> tuple[Any, ...]:
        pos = self._positions(xp, key)
        width = math.prod(key.shape[self.base_axis :])
        y = xp.zeros(pos.shape[:-1] + (width,), dtype=g.dtype)
        xp.put_along_axis(y, pos, g, axis=-1)
        return (y.reshape(key.shape),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (key,) = self.retained_inputs()
        f = _TopKGather(self.k, self.abs, self.base_axis)
        return (f.apply1(grad_outputs[0], key), None)


class _TopKMask(_TopK):
    """True at the top-k positions of each sample of ``x`` (no gradient)."""

    op_name = "top_k_mask"

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self._setup_k(x)
        return (TensorSpec(tuple(x.shape), np.dtype(bool)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        pos = self._positions(xp, x)
        mask = xp.zeros(pos.shape[:-1] + (math.prod(x.shape[self.base_axis :]),), dtype=bool)
        xp.put_along_axis(mask, pos, True, axis=-1)
        return (mask.reshape(x.shape),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


def top_k_data(
    x: Any,
    k: int,
    abs: bool = False,  # noqa: A002
    reduce: bool = True,
    base_axis: int = 1,
    *,
    name: str | None = None,
) -> Any:
    """Keep the ``k`` largest values of each sample (optionally by magnitude).

    .. math::
        y_s = \\operatorname{top}_k(x_s) \\text{ (reduce) or } x_s \\odot
        \\mathbb{1}[\\text{top-}k]

    A sample is ``x[i_0, ..., i_{base_axis - 1}]``: every element from ``base_axis`` on,
    regardless of shape.

    Args:
        x (array, Variable or SymbolicVariable): Input of rank > ``base_axis``.
        k (int): Number of values kept, ``1 <= k <=`` the sample size.
        abs (bool): Select by magnitude (the kept values keep their sign). Default ``False``.
        reduce (bool): ``True`` (default): output ``x.shape[:base_axis] + (k,)`` holding the
            kept values in descending order; ``False``: output of ``x``'s shape with every
            other value set to 0.
        base_axis (int): First axis of a sample. Default ``1``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``, dtype of ``x``, the shape given by ``reduce``.

    Raises:
        ArgumentError: ``k`` is not a positive int or exceeds the sample size; a flag is not
            a bool.
        ShapeError: ``base_axis`` is out of range.

    Notes:
        Ties go to the lowest index. Gradient: ``gy`` to the selected elements only.
        (NNabla 1.39 with ``reduce=False`` passes the gradient to every element, including
        the zeroed ones; we follow the documentation, "the gradient flows to the selected
        elements".) Equivalent to ``nnabla.functions.top_k_data(x, k, abs, reduce,
        base_axis)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[1.0, -5.0, 3.0, 2.0]], np.float32)
        >>> nf.top_k_data(x, 2)
        array([[3., 2.]], dtype=float32)
        >>> nf.top_k_data(x, 2, abs=True, reduce=False)
        array([[ 0., -5.,  3.,  0.]], dtype=float32)
    """
    with node_errors(name, x):
        abs = check.boolean("top_k_data", "abs", abs)  # noqa: A001
        reduce = check.boolean("top_k_data", "reduce", reduce)
    if reduce:
        return _TopKGather(k, abs, base_axis).apply1(x, x, name=name)

    mask = _TopKMask(k, abs, base_axis).apply1(x)
    return F.where(
        mask, x, np.zeros((), np.dtype(x.dtype)) if hasattr(x, "dtype") else 0, name=name
    )
