"""Clipping of values and of gradients, and gradient blocking."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError
from nnfunc.functions.math._reciprocal import recip
from nnfunc.functions.math._sqrt import sqrt

__all__ = [
    "clip_by_norm",
    "clip_by_value",
    "clip_grad_by_norm",
    "clip_grad_by_value",
    "stop_gradient",
    "top_k_grad",
]


def _is_number(v: Any) -> bool:
    return isinstance(v, (numbers.Real, np.number)) and not isinstance(v, (bool, np.bool_))


def _scalar_bound(op: str, arg: str, v: Any) -> float:
    """A Python-number bound: real and not NaN (an infinite bound clips one side only)."""
    v = check.real_scalar(op, arg, v, finite=False)
    if math.isnan(v):
        raise ArgumentError(check.message(op, arg, "not be NaN", **{arg: v}))
    return v


def _number_bound(op: str, arg: str, value: Any, tensor: Any) -> float | None:
    """The bound given as a number (None when given as a tensor), checked."""
    if tensor is not None:
        return None
    if type(value) is float and value == value:  # already a float, not NaN: the common case
        return value
    if not _is_number(value):
        raise ArgumentError(check.message(op, arg, "be a real number or a tensor", **{arg: value}))
    return _scalar_bound(op, arg, value)


def _on_int_grid(v: float, dtype: np.dtype, up: bool) -> int:
    """A float bound moved onto an integer dtype's grid (infinite bounds to its extremes)."""
    info = np.iinfo(dtype)
    if math.isinf(v):
        return int(info.min) if v < 0 else int(info.max)
    v = math.ceil(v) if up else math.floor(v)
    return int(min(max(v, info.min), info.max))


class _Bounds(Function):
    """Shared handling of ``min``/``max`` given as Python numbers or tensors."""

    input_names = ("x", "min", "max")

    def __init__(self, lo: Any, hi: Any, op: str | None = None) -> None:
        self.lo_s = lo
        self.hi_s = hi
        if op is not None:
            self.op_name = op

    def _setup_bounds(self, x: Any, lo: Any, hi: Any) -> tuple[Any, np.dtype]:
        op = self.op_name
        check.numeric(op, "x", x)
        self.lo_s = _number_bound(op, "min", self.lo_s, lo)
        self.hi_s = _number_bound(op, "max", self.hi_s, hi)
        if self.lo_s is not None and self.hi_s is not None and self.lo_s > self.hi_s:
            raise ArgumentError(
                check.message(op, "min", "be <= `max`", min=self.lo_s, max=self.hi_s)
            )
        if lo is None and hi is None:  # number bounds (relu6, hard_tanh...): x's shape and dtype
            return tuple(x.shape), np.dtype(x.dtype)
        for arg, spec in (("min", lo), ("max", hi)):
            if spec is not None and np.dtype(spec.dtype).kind not in "biuf":
                raise DTypeError(
                    check.message(op, arg, "have a real dtype", **{f"{arg}.dtype": spec.dtype})
                )
        specs = [x] + [s for s in (lo, hi) if s is not None]
        names = ("x", *(n for n, s in (("min", lo), ("max", hi)) if s is not None))
        shape = check.broadcast_shapes(op, names, [tuple(s.shape) for s in specs])
        dtype = np.result_type(*[s.dtype for s in specs])
        return shape, dtype

    def _bounds(self, xp: Any, lo: Any, hi: Any, dtype: Any) -> tuple[Any, Any]:
        """The bounds as arrays of ``dtype``; tensor bounds are checked ``min <= max`` here."""
        tensor = lo is not None or hi is not None
        if lo is None:
            v = _on_int_grid(self.lo_s, dtype, True) if dtype.kind in "iu" else self.lo_s
            lo = xp.asarray(v).astype(dtype)
        if hi is None:
            v = _on_int_grid(self.hi_s, dtype, False) if dtype.kind in "iu" else self.hi_s
            hi = xp.asarray(v).astype(dtype)
        if tensor:
            bad = lo > hi
            if bool(xp.any(bad)):
                shape = bad.shape
                first = int(xp.argmax(bad.reshape(-1)))
                pos = tuple(int(i) for i in np.unravel_index(first, shape)) if shape else ()
                where = f"[{', '.join(str(i) for i in pos)}]" if pos else ""
                lo_v = xp.broadcast_to(lo, shape)[pos] if shape else lo
                hi_v = xp.broadcast_to(hi, shape)[pos] if shape else hi
                raise ArgumentError(
                    check.message(
                        self.op_name,
                        "min",
                        "be <= `max` everywhere",
                        **{f"min{where}": lo_v.item(), f"max{where}": hi_v.item()},
                    )
                )
        return lo, hi


def _clip_norm(op: str, value: Any) -> float:
    return check.real_scalar(op, "clip_norm", value, min_value=0, open_min=True)


def _split(value: Any) -> tuple[Any, Any]:
    """(scalar, tensor): a tensor goes to the second slot, anything else to the first (where
    ``setup`` checks it is a real number, so that the error names the graph node)."""
    if value is None or _is_number(value) or isinstance(value, (str, bytes, bool, complex)):
        return value, None
    if isinstance(value, np.bool_):
        return value, None
    return None, value


class ClipByValue(_Bounds):
    """``clip_by_value``, also under the name of the functions built on it (relu6, hard_tanh,
    hard_sigmoid...: ``op``), which give a zero gradient at the bounds
    (``grad_at_bounds=False``) where clip_by_value passes it."""

    op_name = "clip_by_value"
    retain_in = (0, 1, 2)

    def __init__(
        self, lo: Any, hi: Any, op: str | None = None, grad_at_bounds: bool = True
    ) -> None:
        super().__init__(lo, hi, op)
        self.grad_at_bounds = grad_at_bounds

    def setup(self, x: Any, lo: Any = None, hi: Any = None) -> tuple[TensorSpec, ...]:
        shape, dtype = self._setup_bounds(x, lo, hi)
        self.out_dtype = dtype
        return (TensorSpec(shape, dtype),)

    def forward(self, xp: Any, x: Any, lo: Any = None, hi: Any = None) -> tuple[Any, ...]:
        lo, hi = self._bounds(xp, lo, hi, self.out_dtype)
        y = xp.minimum(xp.maximum(x, lo), hi)
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, lo, hi = self.retained_inputs()
        lo = self.lo_s if lo is None else lo
        hi = self.hi_s if hi is None else hi
        (gy,) = grad_outputs
        if self.grad_at_bounds:
            inside = F.where(F.greater_equal(x, lo), F.less_equal(x, hi), False)
        else:
            inside = F.where(F.greater(x, lo), F.less(x, hi), False)
        gx = self.sum_to_input(F.where(inside, gy, 0), 0) if 0 in target_indexes else None
        glo = ghi = None
        if 1 in target_indexes:
            glo = self.sum_to_input(F.where(F.less(x, lo), gy, 0), 1)
        if 2 in target_indexes:
            ghi = self.sum_to_input(F.where(F.greater(x, hi), gy, 0), 2)
        return (gx, glo, ghi)


def clip_by_value(x: Any, min: Any, max: Any, *, name: str | None = None) -> Any:  # noqa: A002
    """Clip values into ``[min, max]``, element-wise.

    .. math::
        y = \\min(\\max(x, \\text{min}), \\text{max})

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer dtypes are kept.
        min (float, array, Variable or SymbolicVariable): Lower bound, a number or a tensor
            broadcasting with ``x``.
        max (float, array, Variable or SymbolicVariable): Upper bound, likewise.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: the broadcast shape, the result dtype of the tensors (Python
        numbers never upcast).

    Raises:
        ArgumentError: ``min > max`` (for tensor bounds, checked when the values are known:
            eagerly, or when a graph runs; the message names the first such position); a bound
            that is NaN, None or not a number or tensor.
        DTypeError: a tensor bound whose dtype is not bool, integer or floating.
        ShapeError: the shapes do not broadcast.

    Notes:
        Number bounds may be infinite (one-sided clipping); on an integer ``x`` they are moved
        onto the integer grid (``ceil(min)``, ``floor(max)``). The gradient passes AT the
        bounds: ``gy`` for ``x`` where ``min <= x <= max``; tensor bounds get ``gy`` where
        ``x < min`` (``min``) or ``x > max`` (``max``). (relu6 and hard_tanh, by contrast,
        give 0 at their bounds.) Equivalent to
        ``nnabla.functions.clip_by_value(x, min, max)``.
        ``min > max`` anywhere raises ArgumentError (PyTorch's ``clamp`` returns ``max`` there).
        The result dtype follows NumPy promotion (float32 ``x`` with int32 bound tensors gives
        float64; PyTorch keeps float32).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.clip_by_value(np.array([-2.0, 0.5, 3.0], np.float32), -1.0, 1.0)
        array([-1. ,  0.5,  1. ], dtype=float32)
    """
    lo_s, lo_t = _split(min)
    hi_s, hi_t = _split(max)
    return ClipByValue(lo_s, hi_s).apply1(x, lo_t, hi_t, name=name)


def clip_to(
    x: Any,
    lo: float,
    hi: float,
    *,
    op: str = "clip_by_value",
    grad_at_bounds: bool = True,
    name: str | None = None,
) -> Any:
    """:func:`clip_by_value` with number bounds under the calling function's name ``op``
    (messages and graph node type); ``grad_at_bounds=False``: zero gradient at the bounds."""
    return ClipByValue(lo, hi, op, grad_at_bounds).apply1(x, None, None, name=name)


def _scaled(v: Any, axes: tuple[int, ...], dtype: Any) -> tuple[Any, Any, Any]:
    """``(k, r, q)``: ``k = 1 / max|v|`` over ``axes`` (1 where the max is 0 or subnormal, whose
    reciprocal would overflow; a constant),
    ``r = v * k`` and ``q = sum(r * r) = |v|^2 k^2`` (0 only for an all-zero slice).

    Norms are computed as ``sqrt(q) / k``: ``sum(v * v)`` would overflow for ``|v|`` beyond
    ``1.8e19`` in float32. Holding ``k`` constant is exact for derivatives of every order, as
    ``k`` cancels out of every quantity built from it; it multiplies (never divides) so that no
    backward pass squares ``max|v|``.
    """

    m = stop_gradient(F.max(F.abs(v), axis=axes, keepdims=True))
    tiny = float(np.finfo(dtype).tiny) if np.dtype(dtype).kind == "f" else 0.0
    k = stop_gradient(recip(F.where(F.greater(m, tiny), m, 1)))
    r = v * k
    return k, r, F.sum(r * r, axis=axes, keepdims=True)


class ClipByNorm(Function):
    op_name = "clip_by_norm"
    retain_in = (0,)

    def __init__(self, clip_norm: Any, axis: Any) -> None:
        self.clip_norm = clip_norm
        self.axis = axis

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.clip_norm = _clip_norm(self.op_name, self.clip_norm)
        self.axes = check.axes(self.op_name, "axis", self.axis, len(x.shape))
        self.out_dtype = real_dtype(x.dtype)
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        acc = np.float32 if self.out_dtype == np.float16 else self.out_dtype
        xa = x.astype(acc, copy=False)
        # Scaled by the largest magnitude so that the sum of squares never overflows.
        m = xp.abs(xa).max(axis=self.axes, keepdims=True) if x.size else xp.zeros((), acc)
        m = xp.where(m > 0, m, 1)
        r = xa / m
        n = m * xp.sqrt((r * r).sum(axis=self.axes, keepdims=True))
        scale = self.clip_norm / xp.maximum(n, self.clip_norm)
        return ((xa * scale).astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        (gy,) = grad_outputs
        c = self.clip_norm
        k, r, q = _scaled(x, self.axes, self.out_dtype)
        rn = sqrt(q)  # = |x| k
        big = F.greater(rn, c * k)  # clipped: the norm exceeds c (at == c: identity)
        rn = F.where(big, rn, 1)  # never a division by 0 in the unused branch
        u = r / rn  # x / |x|, the unit direction
        s = (c * k) / rn  # c / |x|
        clipped = s * (gy - u * F.sum(u * gy, axis=self.axes, keepdims=True))
        return (F.where(big, clipped, gy),)


def clip_by_norm(x: Any, clip_norm: float, axis: Any = None, *, name: str | None = None) -> Any:
    """Rescale ``x`` so that its L2 norm (over ``axis``) is at most ``clip_norm``.

    .. math::
        y = x \\cdot \\frac{N}{\\max(\\lVert x \\rVert_2, N)}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        clip_norm (float): ``N > 0``.
        axis (int or tuple of int, optional): Axes of the norm; ``None`` (default) means all.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ArgumentError: ``clip_norm`` is not a positive finite number.
        ShapeError: an axis is out of range.

    Notes:
        Unchanged where the norm is <= ``N``. The norm is computed as ``m |x / m|`` with
        ``m = max|x|``, in the forward and the backward pass: no sum of squares overflows, so
        e.g. float32 inputs of ``1e30`` give exact values and gradients (first and second
        order).
        Gradient: ``gy`` where unclipped, including exactly at ``n = N`` (the kink: the
        identity side is taken); ``N/n (gy - x (x . gy) / n^2)`` where clipped.
        Equivalent to ``nnabla.functions.clip_by_norm(x, clip_norm, axis)`` (whose
        ``clip_norm`` may also be a Variable there; a number here).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.clip_by_norm(np.array([3.0, 4.0]), 1.0)
        array([0.6, 0.8])
    """
    return ClipByNorm(clip_norm, axis).apply1(x, name=name)


class _Identity(Function):
    """Identity forward (a copy); subclasses define the gradient."""

    def setup(self, x: Any, *rest: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(x.shape), check.numeric(self.op_name, "x", x)),)

    def forward(self, xp: Any, x: Any, *rest: Any) -> tuple[Any, ...]:
        return (x.copy(),)


class StopGradient(_Identity):
    op_name = "stop_gradient"

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


def stop_gradient(x: Any, *, name: str | None = None) -> Any:
    """Identity on values; no gradient flows back through it.

    .. math::
        y = x, \\qquad \\partial y / \\partial x := 0

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape and dtype.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: a copy with the shape and dtype of ``x``.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Equivalent to ``nnabla.functions.unlink(x)`` (and ``tf.stop_gradient``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
        >>> nf.sum(x * nf.stop_gradient(x)).backward()
        >>> x.grad
        array([1., 2.])
    """
    return StopGradient().apply1(x, name=name)


class ClipGradByValue(_Bounds, _Identity):
    op_name = "clip_grad_by_value"
    retain_in = (1, 2)

    def setup(self, x: Any, lo: Any = None, hi: Any = None) -> tuple[TensorSpec, ...]:
        self._setup_bounds(x, lo, hi)
        return (TensorSpec(tuple(x.shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any, lo: Any = None, hi: Any = None) -> tuple[Any, ...]:
        if lo is not None or hi is not None:  # tensor bounds: min <= max, checked with values
            dtype = np.result_type(*[v.dtype for v in (x, lo, hi) if v is not None])
            self._bounds(xp, lo, hi, dtype)
        return (x.copy(),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        lo, hi = self.retained_inputs()
        lo = self.lo_s if lo is None else lo
        hi = self.hi_s if hi is None else hi
        return (self.sum_to_input(clip_by_value(grad_outputs[0], lo, hi), 0), None, None)


def clip_grad_by_value(x: Any, min: Any, max: Any, *, name: str | None = None) -> Any:  # noqa: A002
    """Identity on values; the gradient is clipped into ``[min, max]``.

    .. math::
        y = x, \\qquad g_x = \\min(\\max(g_y, \\text{min}), \\text{max})

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape.
        min (float, array, Variable or SymbolicVariable): Lower bound of the gradient (a number
            or a tensor broadcasting with ``x``; it receives no gradient).
        max (float, array, Variable or SymbolicVariable): Upper bound, likewise.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: a copy with the shape and dtype of ``x``.

    Raises:
        ArgumentError: ``min > max`` (tensor bounds: checked when the values are known); a
            bound that is NaN, None or not a number or tensor.
        DTypeError: a tensor bound whose dtype is not bool, integer or floating.
        ShapeError: the bounds do not broadcast with ``x``.

    Notes:
        Used against exploding gradients. Equivalent to
        ``nnabla.functions.clip_grad_by_value(x, min, max)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
        >>> nf.sum(nf.clip_grad_by_value(x, -0.5, 0.5) * 3.0).backward()
        >>> x.grad
        array([0.5, 0.5])
    """
    lo_s, lo_t = _split(min)
    hi_s, hi_t = _split(max)
    return ClipGradByValue(lo_s, hi_s).apply1(x, lo_t, hi_t, name=name)


class ClipGradByNorm(_Identity):
    op_name = "clip_grad_by_norm"

    def __init__(self, clip_norm: Any, axes: Any) -> None:
        self.clip_norm = clip_norm
        self.axes_arg = axes

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.clip_norm = _clip_norm(self.op_name, self.clip_norm)
        self.axes = check.axes(self.op_name, "axes", self.axes_arg, len(x.shape))
        return super().setup(x)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        _, r, q = _scaled(gy, self.axes, self.input_spec(0).dtype)
        # c * gy / |gy| = c * r / sqrt(q); an all-zero gradient stays 0, never 0/0
        return (r * (self.clip_norm / sqrt(F.where(F.greater(q, 0), q, 1))),)


def clip_grad_by_norm(
    x: Any, clip_norm: float = 1.0, axes: Any = None, *, name: str | None = None
) -> Any:
    """Identity on values; the gradient is rescaled to L2 norm ``clip_norm`` (over ``axes``).

    .. math::
        y = x, \\qquad g_x = N \\frac{g_y}{\\lVert g_y \\rVert_2}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape.
        clip_norm (float): ``N > 0``. Default ``1.0``.
        axes (int or tuple of int, optional): Axes of the norm; ``None`` (default) means all.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: a copy with the shape and dtype of ``x``.

    Raises:
        ArgumentError: ``clip_norm`` is not a positive finite number.
        ShapeError: an axis is out of range.

    Notes:
        As NNabla documents and computes it, the gradient is always rescaled to norm ``N`` (also
        when it was smaller); an all-zero gradient stays zero (NNabla divides by 0 there). The
        gradient is divided by its max magnitude before squaring, so huge gradients (``5e30``
        in float32) are rescaled, not flushed to 0 by an overflowing norm. Equivalent to
        ``nnabla.functions.clip_grad_by_norm(x, clip_norm, axes)`` (``clip_norm=None`` there
        means 1.0).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
        >>> nf.sum(nf.clip_grad_by_norm(x, 5.0) * np.array([3.0, 4.0])).backward()
        >>> x.grad
        array([3., 4.])
    """
    return ClipGradByNorm(clip_norm, axes).apply1(x, name=name)


class _TopKMask(Function):
    """``g`` where ``v`` is among the ``k`` largest of its sample (by ``|v|`` if ``use_abs``)."""

    op_name = "top_k_grad"
    input_names = ("v", "g")
    retain_in = (0,)

    def __init__(self, k: int, use_abs: bool, base_axis: int) -> None:
        self.k, self.use_abs, self.base_axis = k, use_abs, base_axis

    def setup(self, v: Any, g: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(g.shape), np.dtype(g.dtype)),)

    def forward(self, xp: Any, v: Any, g: Any) -> tuple[Any, ...]:
        lead = v.shape[: self.base_axis]
        v2 = v.reshape(math.prod(lead), math.prod(v.shape[self.base_axis :]))  # not -1: empty v
        key = xp.abs(v2) if self.use_abs else v2
        # stable sort of -key: among equal values the lowest index wins
        order = xp.argsort(-key, axis=1, kind="stable")[:, : self.k]
        mask = xp.zeros(v2.shape, bool)
        xp.put_along_axis(mask, order, True, axis=1)
        return (xp.where(mask.reshape(v.shape), g, xp.zeros((), g.dtype)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (v,) = self.retained_inputs()
        return (None, _TopKMask(self.k, self.use_abs, self.base_axis).apply1(v, grad_outputs[0]))


class TopKGrad(_Identity):
    op_name = "top_k_grad"

    def __init__(self, k: Any, use_abs: Any, base_axis: Any) -> None:
        self.k = k
        self.use_abs = use_abs
        self.base_axis_arg = base_axis

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.k = check.positive_int(self.op_name, "k", self.k)
        self.use_abs = check.boolean(self.op_name, "abs", self.use_abs)
        ndim = len(x.shape)
        check.integer(self.op_name, "base_axis", self.base_axis_arg)
        self.base_axis = check.axis(self.op_name, "base_axis", self.base_axis_arg, max(ndim, 1))
        feat = x.shape[self.base_axis :]
        if None not in feat and self.k > math.prod(feat):
            raise ArgumentError(
                check.message(
                    self.op_name,
                    "k",
                    "be <= the number of elements per sample",
                    k=self.k,
                    **{"x.shape": tuple(x.shape)},
                    base_axis=self.base_axis_arg,
                )
            )
        return super().setup(x)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        return (_TopKMask(self.k, self.use_abs, self.base_axis).apply1(gy, gy),)


def top_k_grad(
    x: Any,
    k: int,
    abs: bool = False,  # noqa: A002
    base_axis: int = 1,
    *,
    name: str | None = None,
) -> Any:
    """Identity on values; the gradient keeps only its ``k`` largest entries per sample.

    .. math::
        y = x, \\qquad g_x = g_y \\odot [\\,g_y \\text{ among the } k \\text{ largest of its
        sample}\\,]

    Args:
        x (array, Variable or SymbolicVariable): Input; axes before ``base_axis`` are samples.
        k (int): Entries kept per sample, ``1 <= k <=`` elements per sample.
        abs (bool): Rank by magnitude. Default ``False``.
        base_axis (int): First feature axis. Default ``1``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: a copy with the shape and dtype of ``x``.

    Raises:
        ArgumentError: ``k`` is not a positive integer or exceeds the sample size; ``abs`` is
            not a bool.
        ShapeError: ``base_axis`` is out of range.

    Notes:
        Ties go to the lowest index. Equivalent to
        ``nnabla.functions.top_k_grad(x, k, abs, base_axis)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = nf.Variable(np.zeros((1, 3)), requires_grad=True)
        >>> nf.sum(nf.top_k_grad(x, 1) * np.array([[1.0, 3.0, 2.0]])).backward()
        >>> x.grad
        array([[0., 3., 0.]])
    """
    return TopKGrad(k, abs, base_axis).apply1(x, name=name)
