"""moments, sufficient_statistics, normalize_moments."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ShapeError
from nnfunc.functions._binary import broadcast_spec
from nnfunc.functions.normalization._common import reduced_count

__all__ = ["moments", "normalize_moments", "sufficient_statistics"]


def _reduced(shape: tuple, axes: tuple[int, ...], keepdims: bool) -> tuple:
    if keepdims:
        return tuple(1 if j in axes else d for j, d in enumerate(shape))
    return tuple(d for j, d in enumerate(shape) if j not in axes)


def _cast_up(v: Any, acc: np.dtype) -> Any:
    return F.cast(v, acc) if np.dtype(v.dtype) != acc else v


def _cast_to(v: Any, dtype: Any) -> Any:
    return F.cast(v, dtype) if np.dtype(v.dtype) != np.dtype(dtype) else v


class Moments(Function):
    """Mean and biased variance over axes (corrected two-pass)."""

    op_name = "moments"
    retain_in = (0,)
    retain_out = (0,)

    def __init__(self, axis: Any, keepdims: Any) -> None:
        self.axis = axis
        self.keepdims_raw = keepdims

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.keepdims = check.boolean(self.op_name, "keepdims", self.keepdims_raw)
        self.axes = check.axes(self.op_name, "axes", self.axis, len(x.shape))
        self.out_dtype = real_dtype(x.dtype)
        self.acc = accumulation_dtype(self.out_dtype)
        s = TensorSpec(_reduced(tuple(x.shape), self.axes, self.keepdims), self.out_dtype)
        return (s, s)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        acc = self.acc
        xa = x.astype(acc) if x.dtype != acc else x
        mu = xa.mean(axis=self.axes, keepdims=True, dtype=acc)
        d = xa - mu
        c = d.mean(axis=self.axes, keepdims=True)
        var = xp.maximum((d * d).mean(axis=self.axes, keepdims=True) - c * c, 0)
        mu = mu + c
        if not self.keepdims:
            mu = mu.reshape(_reduced(mu.shape, self.axes, False))
            var = var.reshape(mu.shape)
        od = self.out_dtype
        return (xp.asarray(mu, dtype=od), xp.asarray(var, dtype=od))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        (mu,) = self.retained_outputs()
        acc = self.acc
        gm, gv = (_cast_up(g, acc) for g in grad_outputs)
        mu = _cast_up(mu, acc)
        if not self.keepdims and self.axes:
            gm, gv, mu = (F.expand_dims(v, self.axes) for v in (gm, gv, mu))
        shape = tuple(self.input_spec(0).shape)
        n = reduced_count(x, shape, self.axes, acc, None, "world")
        xa = _cast_up(x, acc)
        d = xa - mu
        gx = gm / n + d * (gv * 2.0) / n
        gx = self.broadcast_to_input(gx, 0)
        return (_cast_to(gx, self.input_spec(0).dtype),)


def moments(
    x: Any,
    axis: Any = None,
    keepdims: bool = False,
    shift: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any]:
    """Mean and variance of ``x`` over ``axis``.

    .. math::
        \\mu = \\frac{1}{M}\\sum_i x_i, \\quad \\sigma^2 = \\frac{1}{M}\\sum_i (x_i - \\mu)^2

    Args:
        x (array, Variable or SymbolicVariable): Input; integers are promoted to float32.
        axis (int or sequence of int, optional): Axes to reduce; ``None`` = every axis.
        keepdims (bool): Keep reduced axes with size 1 (TF spells it ``keep_dims``).
        shift (optional): Accepted for TF compatibility and not used: the two-pass algorithm
            is already stable (TF's own implementation ignores it too).
        name (str, optional): Node name in graph mode (outputs ``name:0``, ``name:1``).

    Returns:
        tuple: ``(mean, variance)``, x's floating dtype.

    Raises:
        ShapeError: an axis is out of range. ArgumentError: repeated axes.

    Notes:
        The variance is the biased (population) one, computed as the corrected two-pass
        ``mean(d**2) - mean(d)**2`` with ``d = x - mean(x)`` (never negative); float16 is
        accumulated in float32. Keras ``moments(x, axes, keepdims=False, synchronized=False)``
        and TF ``moments(x, axes, shift=None, name=None, keep_dims=False)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.moments(np.array([0, 1, 2, 3, 100], np.float32), axis=[0])
        (array(21.2, dtype=float32), array(1553.3601, dtype=float32))
    """
    del shift
    m, v = Moments(axis, keepdims).apply(x, name=name)
    return m, v


class SufficientStatistics(Function):
    """``(count, sum(x - shift), sum((x - shift)**2))`` over axes."""

    op_name = "sufficient_statistics"
    input_names = ("x", "shift")
    retain_in = (0, 1)

    def __init__(self, axis: Any, keepdims: Any) -> None:
        self.axis = axis
        self.keepdims_raw = keepdims

    def setup(self, x: Any, shift: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        self.keepdims = check.boolean(op, "keep_dims", self.keepdims_raw)
        self.axes = check.axes(op, "axes", self.axis, len(x.shape))
        self.out_dtype = real_dtype(x.dtype)
        self.acc = accumulation_dtype(self.out_dtype)
        red = _reduced(tuple(x.shape), self.axes, self.keepdims)
        if shift is not None:
            kd = _reduced(tuple(x.shape), self.axes, True)
            ss = tuple(shift.shape)
            ok = len(ss) <= len(kd) and all(
                s == 1 or s is None or d is None or s == d
                for s, d in zip(ss[::-1], kd[::-1], strict=False)
            )
            if not ok:
                raise ShapeError(
                    check.message(
                        op,
                        "shift",
                        "broadcast to the reduced shape of `x` (kept dims)",
                        **{"shift.shape": ss, "x.shape": tuple(x.shape), "axes": self.axes},
                    )
                )
        s = TensorSpec(red, self.out_dtype)
        return (TensorSpec((), self.out_dtype), s, s)

    def forward(self, xp: Any, x: Any, shift: Any) -> tuple[Any, ...]:
        acc = self.acc
        d = x.astype(acc) if x.dtype != acc else x
        if shift is not None:
            d = d - shift.astype(acc)
        n = math.prod(x.shape[a] for a in self.axes)
        s1 = d.sum(axis=self.axes, keepdims=self.keepdims)
        s2 = (d * d).sum(axis=self.axes, keepdims=self.keepdims)
        od = self.out_dtype
        return (xp.asarray(n, dtype=od), xp.asarray(s1, dtype=od), xp.asarray(s2, dtype=od))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, shift = self.retained_inputs()
        acc = self.acc
        _, g1, g2 = (_cast_up(g, acc) for g in grad_outputs)
        if not self.keepdims and self.axes:
            g1, g2 = F.expand_dims(g1, self.axes), F.expand_dims(g2, self.axes)
        d = _cast_up(x, acc)
        if shift is not None:
            d = d - _cast_up(shift, acc)
        gd = g1 + d * (g2 * 2.0)
        gx = _cast_to(self.broadcast_to_input(gd, 0), self.input_spec(0).dtype)
        gs = None
        if 1 in target_indexes:
            gs = self.sum_to_input(-gd, 1)
        return (gx if 0 in target_indexes else None, gs)


def sufficient_statistics(
    x: Any,
    axis: Any,
    shift: Any = None,
    keepdims: bool = False,
    *,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Count, shifted sum and shifted sum of squares of ``x`` over ``axis``.

    .. math::
        n = \\prod_{a} x.shape[a], \\quad s_1 = \\sum (x - c), \\quad s_2 = \\sum (x - c)^2

    Args:
        x (array, Variable or SymbolicVariable): Input.
        axis (int or sequence of int): Axes to reduce.
        shift (optional): ``c``, broadcasting to the reduced (keepdims) shape; ``None`` = 0.
        keepdims (bool): Keep reduced axes with size 1.
        name (str, optional): Node name in graph mode.

    Returns:
        tuple: ``(count, mean_ss, variance_ss)``; ``count`` is a 0-d array of x's floating
        dtype (the element count per reduced slice).

    Raises:
        ShapeError: an axis is out of range or ``shift`` does not fit.

    Notes:
        A shift near the mean keeps ``s_2 - s_1**2 / n`` accurate (see
        :func:`normalize_moments`). TF ``sufficient_statistics(x, axes, shift=None,
        keep_dims=False, name=None)`` also returns ``shift`` as a fourth element (the TF
        dialect does). float16 is accumulated in float32.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.sufficient_statistics(np.array([[1.0, 2.0], [3.0, 4.0]]), 0, shift=2.0)
        (array(2.), array([0., 2.]), array([2., 4.]))
    """
    c, s1, s2 = SufficientStatistics(axis, keepdims).apply(x, shift, name=name)
    return c, s1, s2


class NormalizeMoments(Function):
    """Mean and variance from sufficient statistics."""

    op_name = "normalize_moments"
    input_names = ("counts", "mean_ss", "variance_ss", "shift")
    retain_in = (0, 1, 2)

    def setup(self, counts: Any, mean_ss: Any, variance_ss: Any, shift: Any) -> tuple:
        given = (counts, mean_ss, variance_ss, shift)
        specs = [s for s in given if s is not None]
        names = tuple(n for n, s in zip(self.input_names, given, strict=True) if s is not None)
        shape = broadcast_spec(self.op_name, names, *specs)
        dtype = real_dtype(np.result_type(*[s.dtype for s in specs]))
        self.out_dtype = dtype
        return (TensorSpec(shape, dtype), TensorSpec(shape, dtype))

    def forward(self, xp: Any, counts: Any, mean_ss: Any, variance_ss: Any, shift: Any) -> tuple:
        od = self.out_dtype
        div = 1 / counts.astype(od)
        sm = mean_ss.astype(od) * div
        mean = sm + shift.astype(od) if shift is not None else sm
        var = variance_ss.astype(od) * div - sm * sm
        extra = () if shift is None else shift.shape
        shape = np.broadcast_shapes(counts.shape, mean_ss.shape, variance_ss.shape, extra)
        return (
            xp.broadcast_to(xp.asarray(mean, dtype=od), shape).copy(),
            xp.broadcast_to(xp.asarray(var, dtype=od), shape).copy(),
        )

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        counts, mean_ss, variance_ss = self.retained_inputs()
        gm, gv = grad_outputs
        od = self.out_dtype
        c = _cast_to(counts, od)
        ms = _cast_to(mean_ss, od)
        vs = _cast_to(variance_ss, od)
        div = 1.0 / c
        sm = ms * div
        out: list[Any] = [None] * 4
        if 1 in target_indexes:  # d mean/d ms = 1/c ; d var/d ms = -2 sm / c
            out[1] = self.sum_to_input((gm - gv * sm * 2.0) * div, 1)
        if 2 in target_indexes:
            out[2] = self.sum_to_input(gv * div, 2)
        if 3 in target_indexes:
            out[3] = self.sum_to_input(gm, 3)
        if 0 in target_indexes:  # d/dc of ms/c and vs/c - (ms/c)^2
            dc = (-(gm * sm) - gv * (vs * div - sm * sm * 2.0)) * div
            out[0] = self.sum_to_input(dc, 0)
        return tuple(out)


def normalize_moments(
    counts: Any,
    mean_ss: Any,
    variance_ss: Any,
    shift: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any]:
    """Mean and variance from sufficient statistics.

    .. math::
        \\mu = \\frac{s_1}{n} + c, \\quad
        \\sigma^2 = \\frac{s_2}{n} - \\left(\\frac{s_1}{n}\\right)^2

    Args:
        counts: ``n`` (broadcasting).
        mean_ss: ``s_1``, the shifted sum.
        variance_ss: ``s_2``, the shifted sum of squares.
        shift (optional): ``c``; ``None`` means 0.
        name (str, optional): Node name in graph mode.

    Returns:
        tuple: ``(mean, variance)`` with the broadcast shape of the inputs.

    Raises:
        ShapeError: the inputs do not broadcast.

    Notes:
        Exactly TF's formula (not clamped): with ``shift`` far from the mean the variance
        suffers cancellation and may come out slightly negative; choose ``shift`` near the
        mean (or use :func:`moments`). TF ``normalize_moments(counts, mean_ss, variance_ss,
        shift, name=None)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.normalize_moments(np.array(2.0), np.array([0.0, 2.0]), np.array([2.0, 4.0]),
        ...                      2.0)
        (array([2., 3.]), array([1., 1.]))
    """
    for arg, t in (("counts", counts), ("mean_ss", mean_ss), ("variance_ss", variance_ss)):
        check.tensor("normalize_moments", arg, t)  # required: None is a DTypeError
    m, v = NormalizeMoments().apply(counts, mean_ss, variance_ss, shift, name=name)
    return m, v
