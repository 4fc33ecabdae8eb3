"""Per-sample data augmentation: random_crop, random_flip, random_shift, random_erase.

Dims before ``base_axis`` are sample dims: each sample draws its own crop offset, flips, shift
or patches. Crop, flip and shift are one drawn index map (a node without gradient) and a gather
(:class:`~nnfunc.functions.stochastic._common.Gather`), so the gradient is ``gy`` scatter-added
to exactly the source positions the forward read; erase is a drawn keep mask and fill values
and a select whose gradient is ``gy`` where kept (or everywhere, ``ste_fine_grained=False``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc import random
from nnfunc.core import check, shapes
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.stochastic._common import Gather, as_tensor, sample_split

__all__ = ["random_crop", "random_erase", "random_flip", "random_shift"]

_I64 = np.dtype(np.int64)


def is_seq(value: Any) -> bool:
    """A list, tuple or 1-d array (not a string, a dict or a 0-d array)."""
    return isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1)


def _int_seq(op: str, arg: str, value: Any) -> tuple[int, ...]:
    if not is_seq(value):
        raise ArgumentError(check.message(op, arg, "be a sequence of ints", **{arg: value}))
    items = list(value)
    if not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in items
    ):
        raise ArgumentError(check.message(op, arg, "be a sequence of ints", **{arg: value}))
    return tuple(int(v) for v in items)


def _flat_index(shape: tuple[int, ...], base_axis: int, coords: dict[int, Any]) -> np.ndarray:
    """Flat indices into a C-contiguous array of ``shape`` for an output grid.

    ``coords[d]`` (for the non-sample dims that move) is an array ``(S, n_out_d)`` of source
    coordinates per sample; other dims read themselves. The result has shape
    ``shape[:base_axis] + out`` where ``out[d] = coords[d].shape[1]`` (or ``shape[d]``)."""
    ndim = len(shape)
    s = int(math.prod(shape[:base_axis]))
    out_rest = [coords[d].shape[1] if d in coords else shape[d] for d in range(base_axis, ndim)]
    strides = np.cumprod((1,) + tuple(shape[::-1]))[::-1][1:]  # element strides of x
    rest = len(out_rest)
    flat = (np.arange(s, dtype=np.int64) * int(math.prod(shape[base_axis:]))).reshape(
        (s,) + (1,) * rest
    )
    for k, d in enumerate(range(base_axis, ndim)):
        view = [1] * (1 + rest)
        if d in coords:
            view[0], view[1 + k] = s, out_rest[k]
            c = coords[d].astype(np.int64).reshape(view)
        else:
            view[1 + k] = shape[d]
            c = np.arange(shape[d], dtype=np.int64).reshape(view)
        flat = flat + c * int(strides[d])
    return np.broadcast_to(flat, (s, *out_rest)).reshape(tuple(shape[:base_axis]) + tuple(out_rest))


def _crop_coords(
    rng: np.random.Generator, s: int, full: tuple, first: int, crop: tuple[int, ...]
) -> dict:
    out = {}
    for k, d in enumerate(range(first, len(full))):
        n, m = full[d], crop[k]
        if m > n:  # a graph fed a smaller input than the crop
            raise ShapeError(
                check.message(
                    "random_crop",
                    "shape",
                    "not exceed the input's size",
                    shape=crop,
                    **{"x.shape": full},
                )
            )
        off = rng.integers(0, n - m + 1, size=(s, 1))
        out[d] = off + np.arange(m)
    return out


def _flip_coords(rng: np.random.Generator, s: int, full: tuple, chosen: tuple[int, ...]) -> dict:
    flips = rng.integers(0, 2, size=(s, len(chosen))).astype(bool)
    out = {}
    for k, d in enumerate(chosen):
        i = np.arange(full[d])
        out[d] = np.where(flips[:, k : k + 1], full[d] - 1 - i, i)
    return out


def _shift_coords(
    rng: np.random.Generator, s: int, full: tuple, moved: tuple[tuple[int, int], ...], mode: str
) -> dict:
    draws = {d: rng.integers(-a, a + 1, size=(s, 1)) for d, a in moved}
    return {d: shift_source(np.arange(full[d]), t, full[d], mode) for d, t in draws.items()}


# op -> coords(rng, s, full, *params): the node keeps its op and params (plain data, so that a
# graph holding it can be saved, see nnfunc.core.serialize), not closures
_COORDS = {"random_crop": _crop_coords, "random_flip": _flip_coords, "random_shift": _shift_coords}


class _IndexMap(Function):
    """The drawn source index of every output element (int64, no gradient):
    ``_COORDS[op](rng, samples, x.shape, *params)``."""

    input_names = ("x",)

    def __init__(self, op: str, base_axis: int, seed: Any, params: tuple) -> None:
        self.op_name = op
        self.base_axis, self.seed, self.params = base_axis, seed, params

    def _out_rest(self, full: tuple) -> tuple:
        if self.op_name == "random_crop":  # params: (first cropped dim, crop sizes)
            first, crop = self.params
            return tuple(full[self.base_axis : first]) + tuple(crop)
        return tuple(full[self.base_axis :])

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(x.shape[: self.base_axis]) + self._out_rest(tuple(x.shape))
        return (TensorSpec(shape, _I64),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        shape = tuple(x.shape)
        s = int(math.prod(shape[: self.base_axis]))
        rng = random.generator(self.seed)
        coords = _COORDS[self.op_name](rng, s, shape, *self.params)
        return (xp.asarray(_flat_index(shape, self.base_axis, coords)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


# ----------------------------------------------------------------------------- random_crop
def random_crop(
    x: Any,
    shape: Any = None,
    base_axis: int = 1,
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Extract a randomly placed sub-array of ``shape`` from each sample.

    .. math::
        y[s, i_1, \\ldots, i_k] = x[s, o_{s,1} + i_1, \\ldots, o_{s,k} + i_k], \\qquad
        o_{s,d} \\sim U\\{0, \\ldots, n_d - m_d\\}

    Args:
        x (array, Variable or SymbolicVariable): Input; dims before ``base_axis`` are samples.
        shape (sequence of int, optional): Size to extract on the TRAILING ``len(shape)`` dims
            (NNabla: ``(3, 48, 48)`` out of ``(N, 3, 64, 64)`` images). Default: ``x``'s
            trailing dims (no crop). Each entry ``<=`` the input's size.
        base_axis (int): Dims before it are sample dims, each drawing its own offsets.
            Default ``1``.
        seed (int, numpy.random.Generator or None): An int gives the same crops at every call
            and every graph run; ``None`` or ``-1`` draws from the global stream
            (:mod:`nnfunc.random`).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: ``x.shape[:-len(shape)] + shape``, dtype of ``x``.

    Raises:
        ArgumentError: ``shape`` is not a sequence of non-negative ints, ``seed`` is invalid.
        ShapeError: ``shape`` is longer than the non-sample dims or larger than the input,
            ``base_axis`` is out of range.

    Notes:
        Offsets are drawn per sample and per cropped dim, uniformly among the valid ones.
        Gradient: ``gy`` scatter-added back into the cropped region (zeros elsewhere).
        Equivalent to ``nnabla.functions.random_crop(x, shape, base_axis, seed)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.arange(2 * 3 * 8 * 8, dtype=np.float32).reshape(2, 3, 8, 8)
        >>> nf.random_crop(x, (3, 5, 5), seed=0).shape
        (2, 3, 5, 5)
    """
    op = "random_crop"
    with shapes.node_errors(name, x):
        x = as_tensor(op, "x", x)
        b, ndim = sample_split(op, x, base_axis)
        xs = tuple(x.shape)
        crop = xs[b:] if shape is None else _int_seq(op, "shape", shape)
        if any(c < 0 for c in crop):
            raise ArgumentError(
                check.message(op, "shape", "be a sequence of non-negative ints", shape=shape)
            )
        if len(crop) > ndim - b:
            raise ShapeError(
                check.message(
                    op,
                    "shape",
                    f"have at most {ndim - b} entries (the dims after base_axis)",
                    shape=crop,
                    **{"x.shape": xs},
                )
            )
        first = ndim - len(crop)
        for c, n in zip(crop, xs[first:], strict=True):
            if n is not None and c > n:
                raise ShapeError(
                    check.message(
                        op, "shape", "not exceed the input's size", shape=crop, **{"x.shape": xs}
                    )
                )
        sd = random.validate_seed(op, seed)

    index = _IndexMap(op, b, sd, (first, tuple(crop))).apply1(x)
    return Gather(op).apply1(x, index, name=name)


# ----------------------------------------------------------------------------- random_flip
def random_flip(
    x: Any,
    axes: Any = None,
    base_axis: int = 1,
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Reverse each sample along each of ``axes`` with probability 1/2.

    .. math::
        y[s, \\ldots, i_d, \\ldots] = x[s, \\ldots, f_{s,d} (n_d - 1 - i_d)
        + (1 - f_{s,d}) i_d, \\ldots], \\qquad f_{s,d} \\sim B(1, 1/2)

    Args:
        x (array, Variable or SymbolicVariable): Input; dims before ``base_axis`` are samples.
        axes (int or sequence of int, optional): Axes that may be reversed (``>= base_axis``;
            negative counts from the end). Default: the last axis (NNabla's
            ``[len(x.shape) - 1]``); ``(2, 3)`` flips ``(N, 3, H, W)`` images vertically and
            horizontally, independently.
        base_axis (int): Dims before it are sample dims. Default ``1``.
        seed (int, numpy.random.Generator or None): As in :func:`random_crop`.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        ShapeError: an axis is out of range, ``base_axis`` is out of range.
        ArgumentError: an axis is repeated, not an int, or a sample axis; ``seed`` is invalid.

    Notes:
        One fair coin per sample and per axis. Gradient: ``gy`` flipped back the same way.
        Equivalent to ``nnabla.functions.random_flip(x, axes, base_axis, seed)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> y = nf.random_flip(np.arange(12.0).reshape(4, 3), seed=1)
        >>> all(r.tolist() in ([0, 1, 2], [2, 1, 0]) for r in y - y.min(axis=1, keepdims=True))
        True
    """
    op = "random_flip"
    with shapes.node_errors(name, x):
        x = as_tensor(op, "x", x)
        b, ndim = sample_split(op, x, base_axis)
        if ndim == 0:
            raise ShapeError(check.message(op, "x", "have rank >= 1", **{"x.shape": ()}))
        if isinstance(axes, np.ndarray) and axes.ndim != 1:
            raise ArgumentError(
                check.message(op, "axes", "be None, an int or a sequence of ints", axes=axes)
            )
        chosen = check.axes(op, "axes", ndim - 1 if axes is None else axes, ndim)
        if any(a < b for a in chosen):
            raise ArgumentError(
                check.message(
                    op, "axes", "hold axes >= base_axis (not sample axes)", axes=axes, base_axis=b
                )
            )
        sd = random.validate_seed(op, seed)

    index = _IndexMap(op, b, sd, (tuple(chosen),)).apply1(x)
    return Gather(op).apply1(x, index, name=name)


# ----------------------------------------------------------------------------- random_shift
def shift_source(i: np.ndarray, s: np.ndarray, n: int, mode: str) -> np.ndarray:
    """Source index of output index ``i`` for a shift ``s`` (broadcast), as :func:`nnfunc.shift`
    maps it: ``nearest`` clamps, ``reflect`` mirrors with the edge repeated."""
    if mode == "nearest":
        return np.clip(i - s, 0, n - 1)
    if n <= 1:
        return np.zeros(np.broadcast(i, s).shape, dtype=np.int64)
    a = np.abs(i + 2 * n - s) % (2 * n)
    return np.where(a >= n, 2 * n - 1 - a, a)


def random_shift(
    x: Any,
    shifts: Any = None,
    border_mode: str = "nearest",
    base_axis: int = 1,
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Shift each sample by a random integer amount within ``+-shifts`` per axis.

    .. math::
        y[s, \\ldots] = \\mathrm{shift}(x[s, \\ldots], t_s), \\qquad
        t_{s,d} \\sim U\\{-\\mathrm{shifts}_d, \\ldots, \\mathrm{shifts}_d\\}

    Args:
        x (array, Variable or SymbolicVariable): Input; dims before ``base_axis`` are samples.
        shifts (sequence of int, optional): Largest absolute shift per axis, applied to the
            TRAILING ``len(shifts)`` axes as :func:`nnfunc.shift` does (``(3, 2)``: +-3 rows,
            +-2 columns). Entries on sample dims must be 0. Default: no shift
            (``(0,) * x.ndim``).
        border_mode (str): ``"nearest"`` (default, the edge repeated) or ``"reflect"`` (the
            array mirrored at its ends, edge included), as in :func:`nnfunc.shift`.
        base_axis (int): Dims before it are sample dims. Default ``1``.
        seed (int, numpy.random.Generator or None): As in :func:`random_crop`.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        ArgumentError: ``shifts`` is not a sequence of non-negative ints, is longer than
            ``x.ndim`` or moves a sample dim; ``border_mode`` is unknown; ``seed`` is invalid.
        ShapeError: ``base_axis`` is out of range.

    Notes:
        Each sample equals ``nnfunc.shift(x[s], t_s, border_mode)`` with its drawn offsets.
        Gradient: ``gy`` scatter-added back through the same index map. Equivalent to
        ``nnabla.functions.random_shift(x, shifts, border_mode, base_axis, seed)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.random_shift(np.arange(10.0).reshape(2, 5), (2,), seed=0).shape
        (2, 5)
    """
    op = "random_shift"
    with shapes.node_errors(name, x):
        x = as_tensor(op, "x", x)
        mode = check.choice(op, "border_mode", border_mode, ("nearest", "reflect"))
        b, ndim = sample_split(op, x, base_axis)
        amounts = () if shifts is None else _int_seq(op, "shifts", shifts)
        if any(a < 0 for a in amounts) or len(amounts) > ndim:
            raise ArgumentError(
                check.message(
                    op,
                    "shifts",
                    f"be at most {ndim} non-negative ints",
                    shifts=shifts,
                )
            )
        first = ndim - len(amounts)
        moved = {first + k: a for k, a in enumerate(amounts) if a != 0}
        if any(d < b for d in moved):
            raise ArgumentError(
                check.message(
                    op, "shifts", "be 0 on the sample dims (before base_axis)", shifts=shifts
                )
            )
        sd = random.validate_seed(op, seed)

    index = _IndexMap(op, b, sd, (tuple(moved.items()), mode)).apply1(x)
    return Gather(op).apply1(x, index, name=name)


# ----------------------------------------------------------------------------- random_erase
class _EraseMask(Function):
    """``(keep, fill)``: 1 where ``x`` is kept, 0 in erased patches; the replacement values."""

    op_name = "random_erase"
    input_names = ("x",)

    def __init__(self, params: dict) -> None:
        self.p = params

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        d = real_dtype(x.dtype)
        return (TensorSpec(tuple(x.shape), d), TensorSpec(tuple(x.shape), d))

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        p = self.p
        shape = tuple(x.shape)
        b, cl = p["base_axis"], p["channel_last"]
        hd, wd = (len(shape) - 3, len(shape) - 2) if cl else (len(shape) - 2, len(shape) - 1)
        h, w = shape[hd], shape[wd]
        s = int(math.prod(shape[:b]))
        # feature dims: every non-sample dim but H and W
        feat_dims = [d for d in range(b, len(shape)) if d not in (hd, wd)]
        c = int(math.prod([shape[d] for d in feat_dims]))
        boxes = 1 if p["share"] else c
        rng = random.generator(p["seed"])
        n = p["n"]
        size = (s, n, boxes)
        erase = rng.random(size) < p["prob"]
        area = rng.uniform(*p["area_ratios"], size=size) * (h * w)
        ratio = rng.uniform(*p["aspect_ratios"], size=size)
        he = np.clip(np.rint(np.sqrt(area * ratio)), 0, h).astype(np.int64)
        we = np.clip(np.rint(np.sqrt(area / ratio)), 0, w).astype(np.int64)
        y0 = np.floor(rng.random(size) * (h - he + 1)).astype(np.int64)
        x0 = np.floor(rng.random(size) * (w - we + 1)).astype(np.int64)
        he = np.where(erase, he, 0)
        rows = np.arange(h)[:, None]
        cols = np.arange(w)[None, :]
        # union of the n patches, one patch at a time: memory stays at (S, boxes, H, W)
        inside = np.zeros((s, boxes, h, w), bool)
        for j in range(n):
            ry = (rows >= y0[:, j, :, None, None]) & (rows < (y0 + he)[:, j, :, None, None])
            cx = (cols >= x0[:, j, :, None, None]) & (cols < (x0 + we)[:, j, :, None, None])
            inside |= ry & cx
        # (S, boxes, H, W) in the order (samples, features..., H, W), then x's dim order
        feat_shape = [shape[d] if boxes > 1 else 1 for d in feat_dims]
        inside = inside.reshape((s, *feat_shape, h, w))
        canonical = [*feat_dims, hd, wd]
        inside = np.transpose(inside, [0] + [1 + canonical.index(d) for d in range(b, len(shape))])
        inside = np.broadcast_to(inside, (s, *shape[b:])).reshape(shape)
        dtype = real_dtype(x.dtype)
        keep = (~inside).astype(dtype)
        fill = np.zeros(shape, dtype)
        count = int(inside.sum())
        if count:
            fill[inside] = rng.uniform(*p["replacements"], size=count)
        return (xp.asarray(keep), xp.asarray(fill))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


class _Erase(Function):
    """``y = where(keep, x, fill)``; gradient ``gy * keep`` (fine-grained STE) or ``gy``."""

    op_name = "random_erase"
    input_names = ("x", "keep", "fill")

    def __init__(self, ste_fine_grained: bool) -> None:
        self.ste = ste_fine_grained

    def setup(self, x: Any, keep: Any, fill: Any) -> tuple[TensorSpec, ...]:
        if self.ste:
            self.retain_inputs(1)
        return (TensorSpec(tuple(x.shape), real_dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any, keep: Any, fill: Any) -> tuple[Any, ...]:
        return (xp.where(keep != 0, x, fill).astype(keep.dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        if not self.ste:
            return (gy, None, None)
        (keep,) = self.retained_inputs()
        return (gy * keep, None, None)


def _pair(op: str, arg: str, value: Any, positive: bool = False) -> tuple[float, float]:
    if not is_seq(value) or len(value) != 2:
        raise ArgumentError(check.message(op, arg, "be a pair (low, high)", **{arg: value}))
    lo, hi = (check.real_scalar(op, arg, v) for v in value)
    if hi < lo or (positive and lo <= 0):
        req = "be a pair 0 < low <= high" if positive else "be a pair low <= high"
        raise ArgumentError(check.message(op, arg, req, **{arg: value}))
    return lo, hi


def random_erase(
    x: Any,
    prob: float = 0.5,
    area_ratios: Any = (0.02, 0.4),
    aspect_ratios: Any = (0.3, 3.3333),
    replacements: Any = (0.0, 255.0),
    n: int | None = None,
    share: bool = True,
    inplace: bool = False,
    base_axis: int = 1,
    seed: Any = None,
    channel_last: bool = False,
    ste_fine_grained: bool = True,
    *,
    name: str | None = None,
) -> Any:
    """Random Erasing: replace random rectangles of each sample by random values.

    For each sample and each of ``n`` patches, with probability ``prob``:

    .. math::
        S_e = U(s_l, s_h) H W, \\quad r_e = U(r_l, r_h), \\quad
        H_e = \\sqrt{S_e r_e}, \\quad W_e = \\sqrt{S_e / r_e}, \\\\
        y_e = U\\{0, \\ldots, H - H_e\\}, \\quad x_e = U\\{0, \\ldots, W - W_e\\}

    and every pixel of the patch becomes a value drawn from ``U(replacements)``.

    Args:
        x (array, Variable or SymbolicVariable): Input; dims before ``base_axis`` are samples,
            the last two dims are ``(H, W)`` (``(H, W, C)`` with ``channel_last``); the other
            non-sample dims are features (channels).
        prob (float): Probability to erase each patch, in ``[0, 1]``. Default ``0.5``.
        area_ratios (pair of float): ``(s_l, s_h)``, patch area over ``H * W``. Default
            ``(0.02, 0.4)``.
        aspect_ratios (pair of float): ``(r_l, r_h)``, patch height over width, ``> 0``.
            Default ``(0.3, 3.3333)``.
        replacements (pair of float): Range of the replacement values. Default
            ``(0.0, 255.0)``.
        n (int, optional): Number of patches tried per sample. Default ``None``: 1 (the
            page's signature says ``None``, its text ``[default=1]``: the same thing).
        share (bool): One box for all features (default ``True``; the page's text says
            "Default is False" but its signature and ``[default=True]`` say True); ``False``:
            one box per feature (channel).
        inplace (bool): Accepted for NNabla compatibility; the result never aliases ``x``
            (nnfunc functions do not write into their inputs).
        base_axis (int): Dims before it are sample dims. Default ``1``.
        seed (int, numpy.random.Generator or None): As in :func:`random_crop`.
        channel_last (bool): ``(..., H, W, C)`` layout. Default ``False``.
        ste_fine_grained (bool): Gradient only where not erased (default ``True``); ``False``:
            ``gy`` passes everywhere (straight-through).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ArgumentError: ``prob`` outside ``[0, 1]``; a range that is not a pair ``low <=
            high`` (aspect ratios ``> 0``, area ratios in ``[0, 1]``); ``n`` not a positive
            int; a flag that is not a bool; ``seed`` invalid.
        ShapeError: ``x`` has fewer than 2 (3 with ``channel_last``) dims after the sample
            dims, or ``base_axis`` is out of range.

    Notes:
        Patch sizes are rounded to the nearest int and clipped to ``H`` and ``W``; patches may
        overlap. Equivalent to ``nnabla.functions.random_erase(...)`` with the same arguments
        (``seed=-1`` there is ``None`` here).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> y = nf.random_erase(np.zeros((2, 3, 16, 16)), prob=1.0, replacements=(1.0, 1.0),
        ...                     seed=0)
        >>> bool(y.any()), y.shape
        (True, (2, 3, 16, 16))
    """
    op = "random_erase"
    with shapes.node_errors(name, x):
        x = as_tensor(op, "x", x)
        cl = check.boolean(op, "channel_last", channel_last)
        b, _ = sample_split(op, x, base_axis, min_rest=3 if cl else 2)
        params = {
            "prob": check.real_scalar(op, "prob", prob, min_value=0.0, max_value=1.0),
            "area_ratios": _pair(op, "area_ratios", area_ratios),
            "aspect_ratios": _pair(op, "aspect_ratios", aspect_ratios, positive=True),
            "replacements": _pair(op, "replacements", replacements),
            "n": 1 if n is None else check.positive_int(op, "n", n),
            "share": check.boolean(op, "share", share),
            "base_axis": b,
            "channel_last": cl,
            "seed": random.validate_seed(op, seed),
        }
        lo, hi = params["area_ratios"]
        if lo < 0 or hi > 1:
            raise ArgumentError(
                check.message(op, "area_ratios", "be within [0, 1]", area_ratios=area_ratios)
            )
        if params["n"] > 1024:
            raise ArgumentError(check.message(op, "n", "be <= 1024", n=params["n"]))
        check.boolean(op, "inplace", inplace)
        ste = check.boolean(op, "ste_fine_grained", ste_fine_grained)
    keep, fill = _EraseMask(params).apply(x)
    return _Erase(ste).apply1(x, keep, fill, name=name)
