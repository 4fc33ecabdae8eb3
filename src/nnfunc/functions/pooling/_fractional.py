"""Fractional max and average pooling (Graham, 2014) over the two spatial axes of a 4-D input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nnfunc import random
from nnfunc.core import check
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError

__all__ = ["fractional_avg_pool", "fractional_max_pool", "pooling_sequence"]


def pooling_sequence(
    input_length: int, output_length: int, pseudo_random: bool, rng: np.random.Generator
) -> np.ndarray:
    """Boundaries ``a`` (int64, length ``output_length + 1``) of the pooling regions.

    ``a[0] = 0``, ``a[-1] = input_length`` and every interval is ``K`` or ``K + 1`` with
    ``K = input_length // output_length``. Random: the ``input_length % output_length`` longer
    intervals are shuffled; pseudo-random: ``a[i] = ceil(alpha (i + u))`` with one uniform ``u``
    (TensorFlow's generators, with NumPy's random numbers).

    >>> pooling_sequence(5, 2, False, np.random.default_rng(0)).tolist() in ([0, 2, 5], [0, 3, 5])
    True
    """
    k = input_length // output_length
    if pseudo_random:
        alpha = input_length / output_length
        u_max = min((k + 2) / alpha - 1, (input_length + 1 - k) / alpha - (output_length - 1))
        u = rng.uniform() * u_max
        cum = np.ceil(alpha * (np.arange(output_length + 1) + u)).astype(np.int64)
        cum = cum - cum[0]
        cum[-1] = input_length
        return cum
    diff = np.full(output_length, k, dtype=np.int64)
    diff[: input_length % output_length] += 1
    rng.shuffle(diff)
    return np.concatenate([[0], np.cumsum(diff)]).astype(np.int64)


def _regions(xp: Any, seq: Any, length: int, overlapping: bool) -> tuple[Any, Any]:
    start = seq[:-1]
    end = seq[1:] + (1 if overlapping else 0)
    end = xp.minimum(end, length)
    width = int((end - start).max())
    idx = start[:, None] + xp.arange(width)[None, :]
    mask = idx < end[:, None]
    return xp.minimum(idx, length - 1), mask


def _gather(xp: Any, x: Any, rows: Any, cols: Any, overlapping: bool):
    """``x[..., H, W]`` gathered as ``(..., oh, R, ow, Cc)`` with the validity mask."""
    h, w = x.shape[-2:]
    ri, rm = _regions(xp, rows, h, overlapping)
    ci, cm = _regions(xp, cols, w, overlapping)
    v = x[..., ri[:, :, None, None], ci[None, None, :, :]]
    mask = rm[:, :, None, None] & cm[None, None, :, :]
    flat = ri[:, :, None, None] * w + ci[None, None, :, :]
    return v, mask, flat


def _first_max(xp: Any, v: Any, mask: Any) -> Any:
    """Index (into the flattened ``R x Cc`` block) of the first maximum of each region."""
    lead = v.shape[:-4]
    oh, r, ow, cc = v.shape[-4:]
    low = -np.inf if v.dtype.kind == "f" else np.iinfo(v.dtype).min
    vm = xp.where(mask, v, low)
    vm = xp.moveaxis(vm, -3, -2).reshape(*lead, oh, ow, r * cc)
    return vm.argmax(axis=-1)


class _Fractional(Function):
    """``x -> (y, rows, cols)``; channel-first ``(N, C, H, W)`` internally."""

    input_names = ("x",)
    retain_in = (0,)
    retain_out = (1, 2)

    def __init__(self, mode, ratio, pseudo_random, overlapping, seed, channel_last) -> None:
        self.mode = mode
        self.op_name = f"fractional_{mode}_pool"
        self._raw = (ratio, pseudo_random, overlapping, seed, channel_last)

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        ratio, pseudo_random, overlapping, seed, channel_last = self._raw
        check.ndim(op, "x", x, 4)
        self.channel_last = check.boolean(op, "channel_last", channel_last)
        self.pseudo_random = check.boolean(op, "pseudo_random", pseudo_random)
        self.overlapping = check.boolean(op, "overlapping", overlapping)
        if not isinstance(ratio, (Sequence, np.ndarray)) or np.ndim(ratio) != 1 or len(ratio) != 2:
            raise ArgumentError(
                check.message(op, "pooling_ratio", "be a sequence of 2 floats", pooling_ratio=ratio)
            )
        self.ratio = tuple(check.real_scalar(op, "pooling_ratio", r, min_value=1.0) for r in ratio)
        self.seed = random.validate_seed(op, seed)
        sizes = tuple(x.shape[1:3]) if self.channel_last else tuple(x.shape[2:4])
        out = []
        for i, (n, r) in enumerate(zip(sizes, self.ratio, strict=True)):
            m = None if n is None else int(n / r)
            if m is not None and m < 1:
                raise ShapeError(
                    check.message(
                        op, "output size", f"be positive in spatial dim {i}", input=n, ratio=r
                    )
                )
            out.append(m)
        self.sizes, self.out = sizes, tuple(out)
        shape = list(x.shape)
        axes = (1, 2) if self.channel_last else (2, 3)
        for a, m in zip(axes, out, strict=True):
            shape[a] = m
        self.out_dtype = np.dtype(x.dtype) if self.mode == "max" else real_dtype(x.dtype)
        seq = [None if m is None else m + 1 for m in out]
        i64 = np.dtype(np.int64)
        return (
            TensorSpec(tuple(shape), self.out_dtype),
            TensorSpec((seq[0],), i64),
            TensorSpec((seq[1],), i64),
        )

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        rng = random.generator(self.seed)
        rows = pooling_sequence(self.sizes[0], self.out[0], self.pseudo_random, rng)
        cols = pooling_sequence(self.sizes[1], self.out[1], self.pseudo_random, rng)
        rows, cols = xp.asarray(rows), xp.asarray(cols)
        y = _pool(xp, x, rows, cols, self.mode, self.overlapping, self.channel_last)
        return (y.astype(self.out_dtype, copy=False), rows, cols)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        rows, cols = self.retained_outputs()
        fn = _FractionalScatter(self.mode, self.overlapping, self.channel_last)
        return (fn.apply1(x, rows, cols, grad_outputs[0]),)


def _to_first(xp, x, cl):
    return xp.moveaxis(x, -1, 1) if cl else x


def _from_first(xp, y, cl):
    return xp.ascontiguousarray(xp.moveaxis(y, 1, -1)) if cl else y


def _pool(xp, x, rows, cols, mode, overlapping, cl) -> Any:
    xf = _to_first(xp, x, cl)
    v, mask, _ = _gather(xp, xf, rows, cols, overlapping)
    if mode == "max":
        low = -np.inf if v.dtype.kind == "f" else np.iinfo(v.dtype).min
        y = xp.where(mask, v, low).max(axis=(-3, -1))
    else:
        acc = accumulation_dtype(real_dtype(x.dtype))
        y = xp.where(mask, v, 0).sum(axis=(-3, -1), dtype=acc) / mask.sum(axis=(1, 3))
    return _from_first(xp, y, cl)


def _chosen(xp, x, rows, cols, mode, overlapping, cl):
    """(flat spatial index, weight) of every cell each output reads: ``(..., oh, ow, M)``."""
    xf = _to_first(xp, x, cl)
    v, mask, flat = _gather(xp, xf, rows, cols, overlapping)
    oh, r, ow, cc = flat.shape
    flat = xp.moveaxis(flat, 1, 2).reshape(oh, ow, r * cc)
    m = xp.moveaxis(mask, 1, 2).reshape(oh, ow, r * cc)
    if mode == "max":
        first = _first_max(xp, v, mask)
        idx = xp.take_along_axis(
            xp.broadcast_to(flat, first.shape + (r * cc,)), first[..., None], -1
        )
        return idx, None
    weight = m / m.sum(axis=-1, keepdims=True)
    return xp.broadcast_to(flat, xf.shape[:2] + flat.shape), weight


class _FractionalScatter(Function):
    """``(x, rows, cols, gy) -> gx``."""

    op_name = "fractional_pool_grad"
    input_names = ("x", "rows", "cols", "gy")
    retain_in = (0, 1, 2)

    def __init__(self, mode: str, overlapping: bool, channel_last: bool) -> None:
        self.mode, self.overlapping, self.channel_last = mode, overlapping, channel_last

    def setup(self, x, rows, cols, gy) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(x.shape), np.dtype(gy.dtype)),)

    def forward(self, xp, x, rows, cols, gy) -> tuple[Any, ...]:
        cl = self.channel_last
        idx, weight = _chosen(xp, x, rows, cols, self.mode, self.overlapping, cl)
        g = _to_first(xp, gy, cl)
        n, c, h, w = _to_first(xp, x, cl).shape
        contrib = g[..., None] if weight is None else g[..., None] * weight
        idx = xp.broadcast_to(idx, contrib.shape)
        flat = idx + (xp.arange(n * c).reshape(n, c, 1, 1, 1) * (h * w))
        out = xp.zeros(n * c * h * w, dtype=gy.dtype)
        np.add.at(out, flat.ravel(), contrib.ravel())
        return (_from_first(xp, out.reshape(n, c, h, w), cl),)

    def backward(self, target_indexes, grad_outputs) -> tuple[Any, ...]:
        x, rows, cols = self.retained_inputs()
        fn = _FractionalGather(self.mode, self.overlapping, self.channel_last)
        return (None, None, None, fn.apply1(x, rows, cols, grad_outputs[0]))


class _FractionalGather(Function):
    """Adjoint of :class:`_FractionalScatter`: ``(x, rows, cols, g) -> gy``."""

    op_name = "fractional_pool_grad_grad"
    input_names = ("x", "rows", "cols", "g")
    retain_in = (0, 1, 2)

    def __init__(self, mode: str, overlapping: bool, channel_last: bool) -> None:
        self.mode, self.overlapping, self.channel_last = mode, overlapping, channel_last

    def setup(self, x, rows, cols, g) -> tuple[TensorSpec, ...]:
        shape = list(x.shape)
        axes = (1, 2) if self.channel_last else (2, 3)
        for a, s in zip(axes, (rows, cols), strict=True):
            shape[a] = None if s.shape[0] is None else s.shape[0] - 1
        return (TensorSpec(tuple(shape), np.dtype(g.dtype)),)

    def forward(self, xp, x, rows, cols, g) -> tuple[Any, ...]:
        cl = self.channel_last
        idx, weight = _chosen(xp, x, rows, cols, self.mode, self.overlapping, cl)
        gf = _to_first(xp, g, cl)
        n, c, h, w = gf.shape
        flat = gf.reshape(n, c, h * w)
        if weight is None:
            vals = xp.take_along_axis(flat, idx.reshape(n, c, -1), -1).reshape(idx.shape[:-1])
        else:
            picked = flat[:, :, idx[0, 0]]
            vals = (picked * weight).sum(axis=-1)
        return (_from_first(xp, vals.astype(g.dtype, copy=False), cl),)

    def backward(self, target_indexes, grad_outputs) -> tuple[Any, ...]:
        x, rows, cols = self.retained_inputs()
        fn = _FractionalScatter(self.mode, self.overlapping, self.channel_last)
        return (None, None, None, fn.apply1(x, rows, cols, grad_outputs[0]))


_DOC_ARGS = """
    Args:
        x: ``(N, C, H, W)`` (``channel_last``: ``(N, H, W, C)``).
        pooling_ratio (sequence of 2 floats): Reduction ratio per spatial axis, each >= 1; the
            output size is ``floor(L / ratio)`` (TensorFlow's rule).
        pseudo_random (bool): Pseudo-random (one uniform draw) instead of random sequences.
        overlapping (bool): Each region also takes the boundary cell it shares with the next.
        seed (int, Generator or None): Random source; the same seed gives the same regions.
        channel_last (bool): Channels on the last axis.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(output, row_pooling_sequence, col_pooling_sequence)``; the sequences are int64 of
        length ``out + 1`` with ``a[0] = 0``, ``a[-1] = L`` and intervals ``K`` or ``K + 1``
        (``K = floor(L / out)``).

    Raises:
        ShapeError: rank not 4, an empty output. ArgumentError: a ratio below 1 or not 2 of them.
"""


def fractional_max_pool(
    x: Any,
    pooling_ratio: Sequence[float],
    *,
    pseudo_random: bool = False,
    overlapping: bool = False,
    seed: Any = None,
    channel_last: bool = False,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Fractional max pooling: max over random, near-uniform regions of non-integer ratio.

    .. math::
        y[n, c, i, j] = \\max_{a_i \\le h < a_{i+1},\\ b_j \\le w < b_{j+1}} x[n, c, h, w]
    """
    fn = _Fractional("max", pooling_ratio, pseudo_random, overlapping, seed, channel_last)
    return fn.apply(x, name=name)


def fractional_avg_pool(
    x: Any,
    pooling_ratio: Sequence[float],
    *,
    pseudo_random: bool = False,
    overlapping: bool = False,
    seed: Any = None,
    channel_last: bool = False,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Fractional average pooling: mean over random, near-uniform regions.

    .. math::
        y[n, c, i, j] = \\mathrm{mean}_{a_i \\le h < a_{i+1},\\ b_j \\le w < b_{j+1}} x[n, c, h, w]
    """
    fn = _Fractional("avg", pooling_ratio, pseudo_random, overlapping, seed, channel_last)
    return fn.apply(x, name=name)


fractional_max_pool.__doc__ += (
    _DOC_ARGS
    + """
    Notes:
        The gradient goes to the first maximum of each region. Equivalent:
        ``tf.nn.fractional_max_pool`` (NHWC; its ``seed``/``seed2`` map to ``seed``). With
        ``overlapping`` and boundaries ``[0, 2, 4]``, ``[20, 5, 16, 3, 7]`` pools to ``[20, 16]``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> y, rows, cols = nf.fractional_max_pool(x, (2.0, 2.0), seed=0)
        >>> y, rows, cols
        (array([[[[ 5.,  7.],
                 [13., 15.]]]]), array([0, 2, 4]), array([0, 2, 4]))
"""
)
fractional_avg_pool.__doc__ += (
    _DOC_ARGS
    + """
    Notes:
        The gradient is spread evenly over each region. Equivalent:
        ``tf.nn.fractional_avg_pool``. With ``overlapping`` and boundaries ``[0, 2, 4]``,
        ``[20, 5, 16, 3, 7]`` pools to ``[41/3, 26/3]``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> nf.fractional_avg_pool(x, (2.0, 2.0), seed=0)[0]
        array([[[[ 2.5,  4.5],
                 [10.5, 12.5]]]])
"""
)
