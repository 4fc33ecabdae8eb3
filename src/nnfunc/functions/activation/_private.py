"""Private primitives the activation family needs in its backward passes.

``erf``, a reciprocal with an overflow-free gradient, a scalar clip and a concatenation that keeps
the calling function's name: small Functions the catalog has no public form of. They are
differentiable to any order (their backward passes use nnfunc functions only) and are not
exported. ``abs``, ``cos`` and ``sqrt`` come from the math family.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.elementwise import Elementwise
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.functions.activation import _kernels

__all__ = ["clip_scalar", "concat", "erf", "recip"]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Elementwise):
    """Error function; gradient ``2/sqrt(pi) exp(-x**2)``."""

    op_name = "erf"
    retain_in = (0,)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (_kernels.erf(x.astype(self.out_dtype, copy=False)),)

    def derivative(self, x: Any) -> Any:
        from nnfunc.functions.math import exp

        # exp(-x*x) is exactly 0 beyond |x| = 30 even in float64: clipping there keeps x*x
        # from overflowing (float32 |x| > 1.8e19) without changing any value.
        xc = clip_scalar(x, -30.0, 30.0, inclusive=True)
        return _TWO_OVER_SQRT_PI * exp(-(xc * xc))


class Recip(Elementwise):
    """``1 / x``; gradient ``-gy * y * y`` (never squares ``x``, so no overflow for huge ``x``)."""

    op_name = "reciprocal"
    ufunc = "reciprocal"
    retain_out = (0,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (y,) = self.retained_outputs()
        return (-((grad_outputs[0] * y) * y),)


class ClipScalar(Function):
    """``min(max(x, lo), hi)`` with scalar bounds.

    The gradient passes strictly inside ``(lo, hi)`` (``inclusive=False``, the convention of
    relu6 and hard_tanh: 0 at the bounds) or on ``[lo, hi]`` (``inclusive=True``).
    """

    op_name = "clip"
    retain_in = (0,)

    def __init__(self, lo: float, hi: float, inclusive: bool = False, op: str = "clip") -> None:
        self.lo = lo
        self.hi = hi
        self.inclusive = inclusive
        self.op_name = op

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(x.shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        lo, hi = self.lo, self.hi
        if x.dtype.kind in "iu":
            # Integer inputs keep their dtype; bounds are applied on the integer grid.
            lo, hi = math.ceil(lo), math.floor(hi)
        y = xp.clip(x, np.asarray(lo).astype(x.dtype), np.asarray(hi).astype(x.dtype))
        return (y.astype(x.dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        from nnfunc.functions.logical import greater, greater_equal, less, less_equal, where

        (x,) = self.retained_inputs()
        (gy,) = grad_outputs
        if self.inclusive:
            inside = where(greater_equal(x, self.lo), less_equal(x, self.hi), False)
        else:
            inside = where(greater(x, self.lo), less(x, self.hi), False)
        return (where(inside, gy, 0),)


class Concat(Function):
    """Concatenation of tensors of one dtype along an existing axis."""

    op_name = "concatenate"

    def __init__(self, axis: int, op: str = "concatenate") -> None:
        self.axis = axis
        self.op_name = op

    def setup(self, *xs: Any) -> tuple[TensorSpec, ...]:
        self.input_names = tuple(f"x{i}" for i in range(len(xs)))
        ndim = check.ndim_at_least(self.op_name, "x", xs[0], 1)
        self.ax = check.axis(self.op_name, "axis", self.axis, max(ndim, 1))
        sizes = [x.shape[self.ax] for x in xs]
        self.sizes = sizes
        total = None if None in sizes else sum(sizes)
        shape = list(xs[0].shape)
        for x in xs[1:]:
            for j, (a, b) in enumerate(zip(shape, x.shape)):
                if j != self.ax and a is None:
                    shape[j] = b
        shape[self.ax] = total
        dtype = np.result_type(*[x.dtype for x in xs])
        return (TensorSpec(tuple(shape), dtype),)

    def forward(self, xp: Any, *xs: Any) -> tuple[Any, ...]:
        self.run_sizes = [x.shape[self.ax] for x in xs]
        return (xp.concatenate(xs, axis=self.ax),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        sizes = self.sizes if None not in self.sizes else self.run_sizes
        out = []
        start = 0
        for i, n in enumerate(sizes):
            key = (slice(None),) * self.ax + (slice(start, start + n),)
            start += n
            out.append(gy[key] if i in target_indexes else None)
        return tuple(out)


def erf(x: Any) -> Any:
    """Error function (private)."""
    return Erf().apply1(x)


def recip(x: Any) -> Any:
    """``1 / x`` (private)."""
    return Recip().apply1(x)


def clip_scalar(
    x: Any, lo: float, hi: float, inclusive: bool = False, op: str = "clip", name: str | None = None
) -> Any:
    """``min(max(x, lo), hi)`` with scalar bounds (private)."""
    return ClipScalar(lo, hi, inclusive, op).apply1(x, name=name)


def concat(xs: Any, axis: int, op: str = "concatenate", name: str | None = None) -> Any:
    """Concatenate along ``axis`` (private)."""
    return Concat(axis, op).apply1(*xs, name=name)
