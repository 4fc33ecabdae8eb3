"""Index-map manipulation: slice, flip, shift, pad, tile, broadcast, assign.

``_AxisTake`` gathers along one axis with an index vector computed from the axis length at run
time (so unknown graph dimensions work), copying runs of consecutive indices as slices; its
adjoint ``_AxisTakeAdjoint`` scatter-adds back. Pad (reflect and repeat modes) and shift are
built from it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions._labels import require_shape
from nnfunc.functions.array._getitem import getitem
from nnfunc.functions.array._shape_ops import broadcast_to, expand_dims

__all__ = ["assign", "broadcast", "flip", "pad", "shift", "slice", "tile"]

_builtin_slice = slice


# ----------------------------------------------------------------------------- axis take
# An index map along one axis is named by a hashable key: ("shift", mode, s) or
# (mode, before, after) for the reflect and repeat pads. Its index vector, and the split of that
# vector into runs of steps -1, 0 or +1, depend only on the key and the axis length, so both are
# cached: a run is copied as a slice (or a broadcast element), far faster than a gather with
# numpy.take along an inner axis.
_MAX_RUNS = 16


def _index(key: tuple[Any, ...], n: int) -> np.ndarray:
    if key[0] == "shift":
        return _shift_index(key[2], key[1])(n)
    make = _reflect_index if key[0] == "reflect" else _repeat_index
    return make(key[1], key[2])[0](n)


def _length(key: tuple[Any, ...], n: int) -> int:
    return n if key[0] == "shift" else n + key[1] + key[2]


@lru_cache(maxsize=512)
def _plan(key: tuple[Any, ...], n: int) -> tuple[np.ndarray, tuple[tuple[int, ...], ...] | None]:
    """The index vector and its runs ``(out_start, out_stop, src_start, step)`` (``None``:
    too many runs, gather instead)."""
    idx = _index(key, n)
    idx.setflags(write=False)
    vals = idx.tolist()
    runs: list[tuple[int, ...]] = []
    i, total = 0, len(vals)
    while i < total:
        j = i + 1
        step = vals[j] - vals[i] if j < total else 1
        if step in (-1, 0, 1):
            while j < total and vals[j] - vals[j - 1] == step:
                j += 1
        else:
            step = 1
        runs.append((i, j, vals[i], step))
        if len(runs) > _MAX_RUNS:
            return idx, None
        i = j
    return idx, tuple(runs)


def _src_slice(src: int, step: int, length: int) -> Any:
    stop = src + step * length
    return _builtin_slice(src, stop if stop >= 0 else None, step)


class _AxisTake(Function):
    """``y = take(x, index(n), axis)`` where ``n = x.shape[axis]`` (the map named by ``key``)."""

    def __init__(self, op: str, axis: int, key: tuple[Any, ...]) -> None:
        self.op_name = op
        self.axis = axis
        self.key = key

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = list(x.shape)
        n = shape[self.axis]
        if n == 0 and self.key[0] != "shift" and _length(self.key, n) > 0:
            # Repeating or reflecting needs at least one element to copy from.
            raise ShapeError(
                check.message(
                    self.op_name,
                    "x",
                    f"have a non-empty axis {self.axis} to pad with mode '{self.key[0]}'",
                    **{"x.shape": tuple(x.shape)},
                )
            )
        shape[self.axis] = None if n is None else _length(self.key, n)
        return (TensorSpec(tuple(shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        if x.shape[self.axis] == 0:  # a shift of an empty axis: nothing to move
            return (x.copy(),)
        idx, runs = _plan(self.key, x.shape[self.axis])
        if runs is None:
            return (xp.take(x, xp.asarray(idx), axis=self.axis),)
        pre = (_builtin_slice(None),) * self.axis
        pieces = []
        for d0, d1, src, step in runs:
            if step == 0:
                one = x[(*pre, _builtin_slice(src, src + 1))]
                shape = list(x.shape)
                shape[self.axis] = d1 - d0
                pieces.append(xp.broadcast_to(one, tuple(shape)))
            else:
                pieces.append(x[(*pre, _src_slice(src, step, d1 - d0))])
        return (xp.concatenate(pieces, axis=self.axis),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        target = self._shape_target(0)
        adj = _AxisTakeAdjoint(self.op_name, self.axis, self.key)
        if isinstance(target, tuple):
            adj.n = target[self.axis]
            return (adj.apply1(grad_outputs[0]),)
        adj.n = None
        return (adj.apply1(grad_outputs[0], target),)


class _AxisTakeAdjoint(Function):
    """Scatter-add ``gy`` back along ``axis`` (the adjoint of :class:`_AxisTake`)."""

    input_names = ("gy", "ref")
    n: int | None = None

    def __init__(self, op: str, axis: int, key: tuple[Any, ...]) -> None:
        self.op_name = f"{op}_grad"
        self.base = op
        self.axis = axis
        self.key = key

    def setup(self, gy: Any, ref: Any = None) -> tuple[TensorSpec, ...]:
        shape = list(gy.shape)
        shape[self.axis] = ref.shape[self.axis] if ref is not None else self.n
        return (TensorSpec(tuple(shape), np.dtype(gy.dtype)),)

    def forward(self, xp: Any, gy: Any, ref: Any = None) -> tuple[Any, ...]:
        n = ref.shape[self.axis] if ref is not None else self.n
        idx, runs = _plan(self.key, n)
        shape = list(gy.shape)
        shape[self.axis] = n
        gx = xp.zeros(shape, dtype=gy.dtype)
        if runs is not None:
            pre = (_builtin_slice(None),) * self.axis
            for d0, d1, src, step in runs:
                g = gy[(*pre, _builtin_slice(d0, d1))]
                if step == 0:
                    gx[(*pre, _builtin_slice(src, src + 1))] += g.sum(axis=self.axis, keepdims=True)
                else:
                    gx[(*pre, _src_slice(src, step, d1 - d0))] += g
            return (gx,)
        moved_gx = xp.moveaxis(gx, self.axis, 0)
        moved_gy = xp.moveaxis(gy, self.axis, 0)
        if len(np.unique(idx)) == len(idx):
            moved_gx[xp.asarray(idx)] = moved_gy
        else:
            xp.add.at(moved_gx, xp.asarray(idx), moved_gy)
        return (gx,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (_AxisTake(self.base, self.axis, self.key).apply1(grad_outputs[0]), None)


# ----------------------------------------------------------------------------- slice / flip
def _int_seq(op: str, arg: str, value: Any, allow_none: bool) -> tuple[Any, ...]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    try:
        items = tuple(value)
    except TypeError:
        items = None
    ok = items is not None and all(
        (v is None and allow_none)
        or (isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)))
        for v in items
    )
    if not ok:
        what = "a sequence of ints or None" if allow_none else "a sequence of ints"
        raise ArgumentError(check.message(op, arg, f"be {what}", **{arg: value}))
    return tuple(None if v is None else int(v) for v in items)


def slice(  # noqa: A001
    x: Any,
    start: Any = None,
    stop: Any = None,
    step: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Python-style slicing ``x[start:stop:step]`` on each of the trailing axes.

    .. math::
        y = x[\\ldots, s_0 : e_0 : k_0, \\; s_1 : e_1 : k_1, \\ldots]

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        start (sequence of int or None, optional): Start per axis. Default: the beginning
            (``None``, which for a negative step means the end, as in Python).
        stop (sequence of int or None, optional): Stop per axis (excluded). Default: the end.
        step (sequence of int or None, optional): Step per axis, never 0. Default ``1``.
            The given sequences must have one length ``<= x.ndim``; they apply to the
            TRAILING axes (leading axes are kept whole), as in NNabla.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: the sliced tensor (a view in array mode), dtype of ``x``.

    Raises:
        ArgumentError: an argument is not a sequence of ints, the lengths differ or exceed
            ``x.ndim``, or a step is 0.

    Notes:
        Negative indices count from the end and out-of-range bounds are clipped, exactly as
        Python slices; ``step=(-1,)`` with default bounds reverses the axis. Gradient:
        ``gy`` placed back into zeros. Equivalent to ``nnabla.functions.slice(x, start, stop,
        step)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.arange(12).reshape(3, 4)
        >>> nf.slice(x, start=(0, 1), stop=(2, 4), step=(1, 2))
        array([[1, 3],
               [5, 7]])
        >>> nf.slice(x, step=(-1,))
        array([[ 3,  2,  1,  0],
               [ 7,  6,  5,  4],
               [11, 10,  9,  8]])
    """
    with node_errors(name, x):
        given = [
            (a, v) for a, v in (("start", start), ("stop", stop), ("step", step)) if v is not None
        ]
        seqs = {a: _int_seq("slice", a, v, allow_none=True) for a, v in given}
        ndim = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
        lengths = {len(v) for v in seqs.values()}
        if len(lengths) > 1:
            raise ArgumentError(
                check.message("slice", "`start`, `stop` and `step`", "have one length", **seqs)
            )
        n = lengths.pop() if lengths else 0
        if n > ndim:
            raise ArgumentError(
                check.message(
                    "slice", "`start`, `stop` and `step`", f"have at most {ndim} entries", **seqs
                )
            )
        starts = seqs.get("start", (None,) * n)
        stops = seqs.get("stop", (None,) * n)
        steps = seqs.get("step", (None,) * n)
        if any(s == 0 for s in steps):
            raise ArgumentError(check.message("slice", "step", "not contain 0", step=step))
    key = (Ellipsis,) + tuple(
        _builtin_slice(a, b, c) for a, b, c in zip(starts, stops, steps, strict=True)
    )
    return getitem(x, key, name=name)


def flip(x: Any, axes: Any = None, *, name: str | None = None) -> Any:
    """Reverse the order of elements along axes.

    .. math::
        y[\\ldots, i, \\ldots] = x[\\ldots, n - 1 - i, \\ldots]

    Args:
        x (array, Variable or SymbolicVariable): Input of rank >= 1.
        axes (int or sequence of int, optional): Axes to reverse. Default ``None``: the last
            axis (NNabla's default; ``numpy.flip`` reverses every axis).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x`` (a view in array mode).

    Raises:
        ShapeError: an axis is out of range, or ``x`` is 0-d.
        ArgumentError: an axis is repeated or not an int.

    Notes:
        Gradient: ``gy`` flipped back. Equivalent to ``nnabla.functions.flip(x, axes)``: flip
        ``(100, 3, 24, 32)`` images vertically and horizontally with ``axes=(2, 3)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.flip(np.arange(6).reshape(2, 3))
        array([[2, 1, 0],
               [5, 4, 3]])
    """
    with node_errors(name, x):
        ndim = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
        if ndim == 0:
            raise ShapeError(check.message("flip", "x", "have rank >= 1", **{"x.shape": ()}))
        chosen = check.axes("flip", "axes", ndim - 1 if axes is None else axes, ndim)
    key = tuple(
        _builtin_slice(None, None, -1) if i in chosen else _builtin_slice(None) for i in range(ndim)
    )
    return getitem(x, key, name=name)


# ----------------------------------------------------------------------------- shift
def _shift_index(s: int, mode: str) -> Callable[[int], np.ndarray]:
    def index(n: int) -> np.ndarray:
        i = np.arange(n)
        # Reduced in Python ints first, so a shift beyond int64 (2**63) cannot overflow.
        if mode == "nearest":
            return np.clip(i - max(-n, min(n, s)), 0, n - 1)
        if n <= 1:
            return np.zeros(n, dtype=np.intp)
        # NNabla's reflection: the edge element is repeated (numpy's "symmetric"); period 2n.
        a = np.abs(i + 2 * n - s % (2 * n)) % (2 * n)
        return np.where(a >= n, 2 * n - 1 - a, a)

    return index


def shift(
    x: Any, shifts: Any = None, border_mode: str = "nearest", *, name: str | None = None
) -> Any:
    """Shift the elements of each trailing axis by an integer amount, filling from the border.

    .. math::
        y[\\ldots, i, \\ldots] = x[\\ldots, b(i - s), \\ldots]

    where ``b`` maps an index outside ``[0, n)`` back inside by the border mode.

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        shifts (sequence of int, optional): Shift per axis, applied to the TRAILING
            ``len(shifts)`` axes; a positive shift moves elements towards higher indices.
            Default ``None``: no shift (``(0,) * x.ndim``).
        border_mode (str): ``"nearest"`` (default): the edge value is repeated;
            ``"reflect"``: the array is mirrored at its ends, edge included
            (``numpy.pad`` mode ``"symmetric"``).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        ArgumentError: ``shifts`` is not a sequence of ints or is longer than ``x.ndim``, or
            ``border_mode`` is unknown.

    Notes:
        Gradient: ``gy`` scatter-added back through the same index map. Equivalent to
        ``nnabla.functions.shift(x, shifts, border_mode)``; its documentation's example
        "right by 2 and up by 3: (3, 2)" lost a minus sign: up is ``-3``, so ``(-3, 2)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.shift(np.array([1, 2, 3, 4]), (1,))
        array([1, 1, 2, 3])
        >>> nf.shift(np.array([1, 2, 3, 4]), (-2,), border_mode="reflect")
        array([3, 4, 4, 3])
    """
    with node_errors(name, x):
        mode = check.choice("shift", "border_mode", border_mode, ("nearest", "reflect"))
        ndim = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
        shifts_t = () if shifts is None else _int_seq("shift", "shifts", shifts, allow_none=False)
        if len(shifts_t) > ndim:
            raise ArgumentError(
                check.message("shift", "shifts", f"have at most {ndim} entries", shifts=shifts)
            )
    y = x
    offset = ndim - len(shifts_t)
    moved = [(offset + k, s) for k, s in enumerate(shifts_t) if s != 0]
    if not moved:
        return F.identity(x, name=name)
    for j, (axis, s) in enumerate(moved):
        node = _AxisTake("shift", axis, ("shift", mode, s))
        y = node.apply1(y, name=name if j == len(moved) - 1 else None)
    return y


# ----------------------------------------------------------------------------- pad
def _pad_pairs(op: str, pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    """Normalise ``pad_width`` to one (before, after) pair per axis (leading axes 0)."""
    bad = ArgumentError(
        check.message(
            op,
            "pad_width",
            "be an int, a flat sequence of (before, after) ints or a sequence of pairs",
            pad_width=pad_width,
        )
    )
    if isinstance(pad_width, (int, np.integer)) and not isinstance(pad_width, bool):
        pairs = ((int(pad_width), int(pad_width)),) * ndim
    else:
        try:
            items = list(pad_width)
        except TypeError:
            raise bad from None
        if items and all(isinstance(p, (tuple, list, np.ndarray)) for p in items):
            if not all(len(p) == 2 for p in items):
                raise bad
            flat = [v for p in items for v in p]
        else:
            flat = items
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in flat):
            raise bad
        flat = [int(v) for v in flat]
        if len(flat) % 2:
            raise ArgumentError(
                check.message(op, "pad_width", "have an even length", pad_width=pad_width)
            )
        if len(flat) > 2 * ndim:
            raise ArgumentError(
                check.message(
                    op,
                    "pad_width",
                    f"have at most {2 * ndim} values (2 per axis of x)",
                    pad_width=pad_width,
                )
            )
        given = tuple((flat[i], flat[i + 1]) for i in range(0, len(flat), 2))
        pairs = ((0, 0),) * (ndim - len(given)) + given
    if any(v < 0 for p in pairs for v in p):
        raise ArgumentError(
            check.message(op, "pad_width", "hold non-negative values", pad_width=pad_width)
        )
    return pairs


class _PadConstant(Function):
    op_name = "pad"

    def __init__(self, pairs: tuple[tuple[int, int], ...], value: Any) -> None:
        self.pairs = pairs
        self.value = value

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(
            None if d is None else d + a + b for d, (a, b) in zip(x.shape, self.pairs, strict=True)
        )
        return (TensorSpec(shape, np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        shape = tuple(d + a + b for d, (a, b) in zip(x.shape, self.pairs, strict=True))
        # One pass over the output: copy x in, then fill only the border slabs.
        y = xp.empty(shape, dtype=x.dtype)
        y[self._inner()] = x
        for axis, (a, b) in enumerate(self.pairs):
            pre = (_builtin_slice(None),) * axis
            if a:
                y[(*pre, _builtin_slice(0, a))] = self.value
            if b:
                y[(*pre, _builtin_slice(shape[axis] - b, None))] = self.value
        return (y,)

    def _inner(self) -> tuple[Any, ...]:
        return tuple(_builtin_slice(a, -b if b else None) for a, b in self.pairs)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (getitem(grad_outputs[0], self._inner()),)


def _reflect_index(a: int, b: int) -> tuple[Callable[[int], np.ndarray], Callable[[int], int]]:
    def index(n: int) -> np.ndarray:
        i = np.abs(np.arange(-a, n + b))
        if n <= 1:
            return np.zeros(n + a + b, dtype=np.intp)
        m = n - 1
        # NNabla's reflect_index: period 2(n - 1), mirrored without repeating the edge.
        return np.abs(((i // m) & 1) * m - (i % m))

    return index, lambda n: n + a + b


def _repeat_index(a: int, b: int) -> tuple[Callable[[int], np.ndarray], Callable[[int], int]]:
    def index(n: int) -> np.ndarray:
        return np.clip(np.arange(-a, n + b), 0, n - 1)

    return index, lambda n: n + a + b


def pad(
    x: Any,
    pad_width: Any,
    mode: str = "constant",
    constant_value: float = 0,
    *,
    name: str | None = None,
) -> Any:
    """Pad a tensor on its trailing axes.

    .. math::
        y[\\ldots, i, \\ldots] = \\begin{cases} x[\\ldots, i - b, \\ldots], &
        b \\le i < b + n \\\\ \\text{fill (by mode)}, & \\text{otherwise} \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        pad_width: ``(before, after)`` sizes of the TRAILING axes, as a flat even-length
            sequence ``(b_0, a_0, b_1, a_1, ...)`` (NNabla) or a sequence of pairs
            ``((b_0, a_0), (b_1, a_1), ...)``; the last pair is the last axis, axes not
            covered are not padded. An int pads every axis by that much on both sides.
        mode (str): ``"constant"`` (default): fill with ``constant_value``; ``"reflect"``:
            mirror at the edges without repeating them (``[1, 2, 3, 4]`` padded by ``(3, 3)``
            gives ``[4, 3, 2, 1, 2, 3, 4, 3, 2, 1]``); ``"repeat"``: repeat the edge values
            (``numpy.pad`` mode ``"edge"``).
        constant_value (float): Fill value of the constant mode. Default ``0``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: rank of ``x``, each padded axis longer by ``before + after``;
        dtype of ``x``.

    Raises:
        ArgumentError: ``pad_width`` has an odd length, more than ``2 * x.ndim`` values,
            negative values or non-integers; ``mode`` is unknown; ``constant_value`` is not a
            real number.

    Notes:
        Reflection continues periodically when the padding exceeds the axis length (NNabla's
        rule; an axis of length 1 repeats its value). Gradient: the slice of ``gy`` for the
        constant mode; for the other modes ``gy`` scatter-added through the index map.
        Equivalent to ``nnabla.functions.pad(x, pad_width, mode, constant_value)`` and
        SameDiff ``nn.pad(input, padding, constant)``.
        Negative pads raise ArgumentError (PyTorch crops; cropping here is :func:`slice`).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.pad(np.array([1, 2, 3, 4]), (3, 3), "reflect")
        array([4, 3, 2, 1, 2, 3, 4, 3, 2, 1])
        >>> nf.pad(np.ones((2, 3, 4)), (1, 1, 2, 2)).shape
        (2, 5, 8)
    """
    with node_errors(name, x):
        mode = check.choice("pad", "mode", mode, ("constant", "reflect", "repeat"))
        value = check.real_scalar("pad", "constant_value", constant_value, finite=False)
        ndim = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
        pairs = _pad_pairs("pad", pad_width, ndim)
    if mode == "constant":
        return _PadConstant(pairs, value).apply1(x, name=name)
    padded = [(axis, ab) for axis, ab in enumerate(pairs) if ab != (0, 0)]
    if not padded:
        return F.identity(x, name=name)
    y = x
    for j, (axis, (a, b)) in enumerate(padded):
        y = _AxisTake("pad", axis, (mode, a, b)).apply1(
            y, name=name if j == len(padded) - 1 else None
        )
    return y


# ----------------------------------------------------------------------------- tile
class _Tile(Function):
    op_name = "tile"

    def __init__(self, reps: tuple[int, ...]) -> None:
        self.reps = reps

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(None if d is None else d * r for d, r in zip(x.shape, self.reps, strict=True))
        return (TensorSpec(shape, np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (xp.tile(x, self.reps),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        if 0 in self.reps:  # an empty output: x does not reach it (its shape is not d // 0)
            return (None,)
        return (_TileGrad(self.reps).apply1(grad_outputs[0]),)


class _TileGrad(Function):
    op_name = "tile_grad"

    def __init__(self, reps: tuple[int, ...]) -> None:
        self.reps = reps

    def setup(self, gy: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(
            None if d is None else d // r for d, r in zip(gy.shape, self.reps, strict=True)
        )
        return (TensorSpec(shape, np.dtype(gy.dtype)),)

    def forward(self, xp: Any, gy: Any) -> tuple[Any, ...]:
        split = []
        for d, r in zip(gy.shape, self.reps, strict=True):
            split += [r, d // r]
        summed = gy.reshape(split).sum(axis=tuple(range(0, 2 * gy.ndim, 2)))
        return (summed.astype(gy.dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (_Tile(self.reps).apply1(grad_outputs[0]),)


def tile(x: Any, reps: Any, *, name: str | None = None) -> Any:
    """Repeat a tensor along each axis (``numpy.tile``).

    .. math::
        y[i_0, \\ldots, i_{d-1}] = x[i_0 \\bmod n_0, \\ldots, i_{d-1} \\bmod n_{d-1}]

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        reps (int or sequence of int): Repetitions per axis, each >= 0. The output has
            ``d = max(len(reps), x.ndim)`` axes: ``x`` gets leading axes of size 1, or
            ``reps`` leading 1s.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape ``x.shape[i] * reps[i]`` after promotion, dtype of ``x``.

    Raises:
        ArgumentError: ``reps`` holds negative values or non-integers.

    Notes:
        Gradient: ``gy`` summed over the repetitions. Equivalent to
        ``nnabla.functions.tile(x, reps)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.tile(np.array([[1, 3], [2, 4]]), 2)
        array([[1, 3, 1, 3],
               [2, 4, 2, 4]])
        >>> nf.tile(np.array([1, 2, 3]), (2, 1)).shape
        (2, 3)
    """
    with node_errors(name, x):
        reps_t = _int_seq("tile", "reps", reps, allow_none=False)
        if any(r < 0 for r in reps_t):
            raise ArgumentError(check.message("tile", "reps", "hold non-negative ints", reps=reps))
    ndim = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
    d = max(len(reps_t), ndim)
    if ndim < d:
        x = expand_dims(x, tuple(range(d - ndim)))
    reps_t = (1,) * (d - len(reps_t)) + reps_t
    return _Tile(reps_t).apply1(x, name=name)


# ----------------------------------------------------------------------------- broadcast
def broadcast(x: Any, shape: Any, *, name: str | None = None) -> Any:
    """Broadcast a tensor to a shape (NumPy rules); the same as :func:`broadcast_to`.

    .. math::
        y[i_1, \\ldots, i_n] = x[j_1, \\ldots, j_m], \\quad j_k = 0 \\text{ where } x
        \\text{ has size 1}

    Args:
        x (array, Variable or SymbolicVariable): Input; its shape must broadcast to
            ``shape``.
        shape (tuple of int): Target shape.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape ``shape``, dtype of ``x``.

    Raises:
        ArgumentError: ``shape`` is not a sequence of non-negative ints.
        ShapeError: ``x`` cannot be broadcast to ``shape``.

    Notes:
        Gradient: ``gy`` summed over the broadcast axes. Equivalent to
        ``nnabla.functions.broadcast(x, shape)`` and ``numpy.broadcast_to``. (NNabla's
        ``broadcast_to(x, y, axis)`` is a different function, see the NNabla dialect.)

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.broadcast(np.array([[1.0], [2.0]]), (2, 3))
        array([[1., 1., 1.],
               [2., 2., 2.]])
    """
    if isinstance(shape, np.ndarray) and shape.ndim == 0:
        shape = shape.item()
    if not isinstance(shape, (int, np.integer, list, tuple, np.ndarray)):
        msg = check.message("broadcast", "shape", "be a sequence of ints", shape=shape)
        raise ArgumentError(msg)
    return broadcast_to(
        x, tuple(shape) if not isinstance(shape, (int, np.integer)) else (shape,), name=name
    )


# ----------------------------------------------------------------------------- assign
class Assign(Function):
    op_name = "assign"
    input_names = ("dst", "src")

    def setup(self, dst: Any, src: Any) -> tuple[TensorSpec, ...]:
        a, b = tuple(dst.shape), tuple(src.shape)
        received = {"dst.shape": a, "src.shape": b}
        require_shape(self.op_name, "src", a, b, "have the shape of `dst`", received)
        return (TensorSpec(a, np.dtype(dst.dtype)),)

    def forward(self, xp: Any, dst: Any, src: Any) -> tuple[Any, ...]:
        dst[...] = src
        return (dst.copy(),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (grad_outputs[0], None)


def assign(dst: Any, src: Any, *, name: str | None = None) -> Any:
    """Copy ``src`` into ``dst`` in place (a side effect) and return the new value.

    .. math::
        \\text{dst} \\leftarrow \\text{src}, \\quad y = \\text{dst}

    Args:
        dst (array, Variable or SymbolicVariable): Destination, written in place (the array,
            the Variable's data, or when the graph runs the parameter or fed array).
        src (array, Variable or SymbolicVariable): Values; same shape as ``dst`` (cast to its
            dtype).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: a copy of the new ``dst`` (shape and dtype of ``dst``).

    Raises:
        ShapeError: the shapes differ.

    Notes:
        Gradient (NNabla's rule): ``g_dst = gy``, no gradient to ``src``. Writing into a
        Variable that an earlier recorded operation retained changes what its backward
        sees, as in NNabla. Equivalent to ``nnabla.functions.assign(dst, src)`` and TF's
        ``tf.assign``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> dst = np.zeros(3, np.float32)
        >>> nf.assign(dst, np.array([1.0, 2.0, 3.0], np.float32))
        array([1., 2., 3.], dtype=float32)
        >>> dst
        array([1., 2., 3.], dtype=float32)
    """
    return Assign().apply1(dst, src, name=name)
