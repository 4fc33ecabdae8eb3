"""``ApplyStatistics``: batch normalization with given statistics (the inference form).

The forward pass is one pass ``y = x * a + b`` with per-channel coefficients ``a = scale /
sqrt(variance + eps)`` and ``b = offset - mean * a`` (computed in float64 on the parameters'
small shape). When the parameters vary along one block of consecutive axes of ``x`` only (the
usual ``(C,)`` or ``(1, C, 1, 1)`` parameters, channels first or last), ``x`` is viewed as
``(A, C, B)`` (or ``(A, C)``) and the pass runs :func:`nnfunc.kernels.cpu.batch_norm.bn_apply`
(numba, threaded, or its NumPy twin); other layouts broadcast in NumPy.

Gradients: :class:`ApplyStatisticsGrad`, whose forward is one fused pass
(:func:`~nnfunc.kernels.cpu.batch_norm.bn_apply_grad`: ``gx = gy * a`` and the per-channel
sums ``sum(gy)``, ``sum(gy * (x - mean))`` every parameter gradient is made of) and whose own
backward is written with nnfunc functions (double backward, ``Graph.grad``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.functions.array._shape_ops import sum_to
from nnfunc.functions.normalization._common import (
    check_axes_kept,
    check_eps,
    check_param,
    param_at_rank,
    sum_to_shape,
)
from nnfunc.kernels.cpu.batch_norm import bn_apply, bn_apply_grad

__all__ = ["ApplyStatistics", "ApplyStatisticsGrad"]

#: Input indexes of the parameters (x is 0).
_MEAN, _VAR, _OFFSET, _SCALE = 1, 2, 3, 4
#: (op, eps, axis, x shape and dtype, parameter shapes) -> what ApplyStatistics.setup derives
_SETUP_CACHE: dict[tuple, tuple] = {}
_SETUP_CACHE_SIZE = 256


def _block(pshape: tuple[int, ...]) -> tuple[int, int] | None:
    """The consecutive axes ``k0:k1`` where the coefficients vary, or None if not one block."""
    varying = [j for j, d in enumerate(pshape) if d != 1]
    if not varying:
        return (len(pshape), len(pshape))
    k0, k1 = varying[0], varying[-1] + 1
    return (k0, k1) if k1 - k0 == len(varying) else None


def _rows(x: Any, k0: int, k1: int) -> Any:
    """``x`` as ``(A, C, B)``, or ``(A, C)`` when nothing follows the block."""
    s = x.shape
    a, c, b = math.prod(s[:k0]), math.prod(s[k0:k1]), math.prod(s[k1:])
    if k0 == k1:  # scalar coefficients: one channel
        return x.reshape(1, 1, -1)
    return x.reshape(a, c) if b == 1 else x.reshape(a, c, b)


def resolve_full(full: list, x_shape: tuple, arrays: dict) -> list:
    """``full`` (the parameters' shapes at ``x``'s rank) with the dimensions that were unknown
    when a graph was built taken from the arrays of this run: a parameter of ``x``'s rank gives
    its own shape, a compact one the sizes of ``x`` on those axes."""
    if not any(f is not None and None in f for f in full):
        return full
    out = list(full)
    for i, f in enumerate(full):
        if f is None or None not in f:
            continue
        a = arrays.get(i)
        if a is not None and a.ndim == len(f):
            out[i] = tuple(a.shape)
        else:
            out[i] = tuple(x_shape[j] if d is None else d for j, d in enumerate(f))
    return out


class _Coefficients:
    """float64 coefficients of one call, on the parameters' broadcast shape ``pshape``."""

    def __init__(
        self,
        xp: Any,
        acc: Any,
        full: list,
        x_shape: tuple,
        eps: float,
        mean: Any,
        var: Any,
        offset: Any,
        scale: Any,
    ):
        def p(a: Any, i: int) -> Any:
            # rounded to the work dtype first (a float64 list given for float32 x counts as
            # float32, as before), then float64 for the coefficients
            return None if a is None else a.reshape(full[i]).astype(acc).astype(np.float64)

        full = resolve_full(full, x_shape, {_MEAN: mean, _VAR: var, _OFFSET: offset, _SCALE: scale})
        self.full = full
        self.xp = xp
        shapes = [full[i] for i in (_MEAN, _VAR, _OFFSET, _SCALE) if full[i] is not None]
        self.pshape = tuple(np.broadcast_shapes(*shapes))
        self.mean, self.scale = p(mean, _MEAN), p(scale, _SCALE)
        self.inv = 1.0 / xp.sqrt(p(var, _VAR) + eps)
        self.a = self.inv if scale is None else self.inv * self.scale
        self.offset = p(offset, _OFFSET)

    def vec(self, v: Any, dtype: Any) -> Any:
        """``v`` broadcast to ``pshape``, flattened, in ``dtype`` (the kernels' vectors)."""
        xp = self.xp
        return xp.ascontiguousarray(xp.broadcast_to(v, self.pshape).reshape(-1).astype(dtype))


class ApplyStatistics(Function):
    """``(x - mean) / sqrt(variance + eps) * scale + offset`` with given statistics."""

    input_names = ("x", "mean", "variance", "offset", "scale")
    retain_in = (0, 1, 2, 4)

    def __init__(self, op: str, axis: Any, eps: Any) -> None:
        self.op_name = op
        self.axis = axis
        self.eps_raw = eps

    def setup(self, x: Any, mean: Any, var: Any, offset: Any, scale: Any) -> tuple:
        op = self.op_name
        shape = tuple(x.shape)
        params = (mean, var, offset, scale)
        key = None
        if type(self.eps_raw) is float and type(self.axis) is int:
            # the checks below are a function of these alone: a repeated call (the usual
            # inference loop) takes their result from _SETUP_CACHE (~40 us of ~80 per call)
            key = (op, self.eps_raw, self.axis, shape, x.dtype) + tuple(
                None if v is None else tuple(v.shape) for v in params
            )
            hit = _SETUP_CACHE.get(key)
            if hit is not None:
                self.eps, self.kept, full, self.out_dtype, self.acc = hit
                self.full = list(full)
                return (TensorSpec(shape, self.out_dtype),)
        self.eps = check_eps(op, self.eps_raw)
        self.kept = check_axes_kept(op, "axis", self.axis, len(shape))
        self.full: list[Any] = [None] * 5
        for i, (arg, spec) in enumerate(zip(("mean", "variance", "offset", "scale"), params), 1):
            if spec is not None:
                self.full[i] = check_param(op, arg, spec, shape, self.kept)
        self.out_dtype = real_dtype(x.dtype)
        self.acc = accumulation_dtype(self.out_dtype)
        if key is not None:
            if len(_SETUP_CACHE) >= _SETUP_CACHE_SIZE:
                _SETUP_CACHE.clear()
            _SETUP_CACHE[key] = (self.eps, self.kept, tuple(self.full), self.out_dtype, self.acc)
        return (TensorSpec(shape, self.out_dtype),)

    def _flat_coefficients(self, x: Any, params: tuple) -> tuple | None:
        """``(a, b, block)`` as flat (C,) vectors in the work dtype, for the common call (NumPy
        arrays, every given parameter of one known shape varying along one block of axes), or
        None: the same float64 arithmetic as :class:`_Coefficients` on 1-D arrays, without its
        broadcasting and copies (a fixed cost of ~50 us per call, 5-10% of a 25 MB pass)."""
        shapes = {self.full[i] for i, v in enumerate(params, start=1) if v is not None}
        if len(shapes) != 1 or type(x) is not np.ndarray:
            return None
        (pshape,) = shapes
        if None in pshape:
            return None
        blk = _block(pshape)
        n = math.prod(pshape)
        if blk is None or any(v is not None and type(v) is not np.ndarray for v in params):
            return None
        if any(v is not None and v.size != n for v in params):
            return None
        acc = self.acc

        def p(v: Any) -> Any:  # as _Coefficients: rounded to the work dtype, then float64
            return None if v is None else v.reshape(-1).astype(acc, copy=False).astype(np.float64)

        mean, var, offset, scale = (p(v) for v in params)
        inv = 1.0 / np.sqrt(var + self.eps)
        a = (inv if scale is None else inv * scale).astype(acc)
        b = -mean * a.astype(np.float64)
        if offset is not None:
            b = b + offset
        return a, b.astype(acc), blk

    def forward(self, xp: Any, x: Any, mean: Any, var: Any, offset: Any, scale: Any) -> tuple:
        acc = self.acc
        flat = self._flat_coefficients(x, (mean, var, offset, scale))
        if flat is not None:
            xa = x if x.dtype == acc else x.astype(acc)
            y = bn_apply(_rows(xa, *flat[2]), flat[0], flat[1]).reshape(x.shape)
            return (y.astype(self.out_dtype, copy=False),)
        co = _Coefficients(xp, acc, self.full, x.shape, self.eps, mean, var, offset, scale)
        a = co.a.astype(acc)
        # b from the ROUNDED a: x == mean then gives exactly offset (0 without one)
        b = -co.mean * a.astype(np.float64)
        if offset is not None:
            b = b + co.offset
        xa = x if x.dtype == acc else x.astype(acc)
        blk = _block(co.pshape)
        if blk is None:  # coefficients on several separate axes: broadcasting
            y = xa * a
            y += b.astype(acc)
        else:
            y = bn_apply(_rows(xa, *blk), co.vec(a, acc), co.vec(b, acc)).reshape(x.shape)
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, mean, var, scale = self.retained_inputs()
        want = tuple(i for i in range(5) if i in target_indexes)
        grad = ApplyStatisticsGrad(
            self.op_name, self.eps, self.full, want, self.input_spec(3), self.kept
        )
        outs = grad.apply(x, mean, var, scale, grad_outputs[0])
        result: list[Any] = [None] * 5
        for i, g in zip(want, outs, strict=True):
            spec = tuple(self.input_spec(i).shape)
            if i == _OFFSET and len(spec) == len(self.full[i]) and None in spec:
                # 1 or x's size, which only the run tells: the gradient keeps x's size there
                g = self.sum_to_input(g, i)
            result[i] = g
        return tuple(result)


class ApplyStatisticsGrad(Function):
    """First-order gradients of :class:`ApplyStatistics` for the inputs in ``want``.

    Inputs ``x, mean, variance, scale, gy``; outputs, in ``want``'s order, the gradients of
    x (``gy * a``), mean (``-sum(gy) * a``), variance (``-sum(gy * (x - mean)) * scale * inv^3
    / 2``), offset (``sum(gy)``) and scale (``sum(gy * (x - mean)) * inv``), each in its
    input's shape and dtype (``inv = (variance + eps)^-1/2``, ``a = scale * inv``). The offset
    is not an input: a size of it unknown when the graph was built (a parameter of x's rank may
    be 1 or x's size there) is x's size in its gradient, which the caller sums to the offset.
    ``kept``: the axes of ``x`` the parameters follow.
    """

    input_names = ("x", "mean", "variance", "scale", "gy")
    retain_in = (0, 1, 2, 3, 4)

    def __init__(
        self, op: str, eps: float, full: list, want: tuple, offset_spec: Any, kept: tuple
    ) -> None:
        self.op_name = f"{op}_grad"
        self.eps = eps
        self.full = full
        self.want = want
        self.offset_spec = offset_spec
        self.kept = kept

    def setup(self, x: Any, mean: Any, var: Any, scale: Any, gy: Any) -> tuple:
        self.acc = accumulation_dtype(real_dtype(x.dtype))
        specs = {0: x, _MEAN: mean, _VAR: var, _SCALE: scale}
        self.specs = {
            i: (tuple(s.shape), np.dtype(s.dtype)) for i, s in specs.items() if s is not None
        }
        if self.offset_spec is not None:  # not an input: its unknown dims are x's
            f = tuple(x.shape[j] if d is None else d for j, d in enumerate(self.full[_OFFSET]))
            compact = len(self.offset_spec.shape) != len(f)
            shape = tuple(f[a] for a in self.kept) if compact else f
            self.specs[_OFFSET] = (shape, np.dtype(self.offset_spec.dtype))
        return tuple(TensorSpec(*self.specs[i]) for i in self.want)

    # ------------------------------------------------------------------ forward (arrays)
    def forward(self, xp: Any, x: Any, mean: Any, var: Any, scale: Any, gy: Any) -> tuple:
        acc, want = self.acc, self.want
        co = _Coefficients(xp, acc, self.full, x.shape, self.eps, mean, var, None, scale)
        full = co.full
        if full[_OFFSET] is not None:  # the forward's coefficient shape included it
            co.pshape = tuple(np.broadcast_shapes(co.pshape, full[_OFFSET]))
        xa = x if x.dtype == acc else x.astype(acc)
        ga = gy if gy.dtype == acc else gy.astype(acc)
        blk = _block(co.pshape)
        params = [i for i in want if i]
        sums = None
        if blk is None:
            gx = ga * co.a.astype(acc) if 0 in want else None
            if params:
                d = xa - co.mean.astype(acc)
                sums = (sum_to_shape(ga, co.pshape), sum_to_shape(ga * d, co.pshape))
        elif not params:  # the input gradient alone: gy * a, the forward's kernel
            g3 = _rows(ga, *blk)
            gx = bn_apply(g3, co.vec(co.a, acc), np.zeros(g3.shape[1], acc))
        else:
            gx, s1, s2 = bn_apply_grad(
                _rows(xa, *blk), _rows(ga, *blk), co.vec(co.mean, acc), co.vec(co.a, acc), 0 in want
            )
            sums = (s1.reshape(co.pshape), s2.reshape(co.pshape))
        out = {}
        if gx is not None:
            out[0] = gx.reshape(x.shape).astype(self.specs[0][1], copy=False)
        if sums is not None:
            s1, s2 = (xp.asarray(s, dtype=np.float64) for s in sums)
            s = 1.0 if co.scale is None else co.scale
            g = {
                _MEAN: -s1 * co.a,
                _VAR: s2 * s * (-0.5) * co.inv**3,
                _OFFSET: s1,
                _SCALE: s2 * co.inv,
            }
            for i in params:
                shape, dt = self.specs[i]
                v = sum_to_shape(xp.broadcast_to(g[i], co.pshape), full[i])
                out[i] = v.reshape(shape).astype(dt)
        return tuple(out[i] for i in want)

    # ------------------------------------------------------------------ backward (nnfunc)
    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        acc = self.acc
        x, mean, var, scale, gy = self.retained_inputs()
        given = {1: mean, 2: var, 3: scale}

        def up(v: Any) -> Any:
            return F.cast(v, acc) if np.dtype(v.dtype) != acc else v

        def full(v: Any, i: int) -> Any:
            return param_at_rank(up(v), self.full[i], self.kept)

        def param_grad(g: Any, j: int, i: int) -> Any:
            # gradient of input j (of this Function) for the parameter at ApplyStatistics index i;
            # a size unknown now is summed to the input's run-time shape, never to a None
            f = self.full[i]
            ref = param_at_rank(given[j], f, self.kept) if None in f else f
            r = sum_to(g, ref, dtype=self.input_spec(j).dtype)
            return self.reshape_to_input(r, j) if len(self.input_spec(j).shape) != len(f) else r

        u = dict(zip(self.want, grad_outputs, strict=True))
        u = {i: (up(v) if i == 0 else full(v, i)) for i, v in u.items() if v is not None}
        gyu = up(gy)
        inv = F.pow(F.add(full(var, _VAR), self.eps), -0.5)
        inv3 = inv * inv * inv
        s = full(scale, _SCALE) if scale is not None else None
        a = inv if s is None else inv * s
        d = up(x) - full(mean, _MEAN)

        def scaled(v: Any) -> Any:
            return v if s is None else v * s

        def total(terms: list) -> Any:
            t = terms[0]
            for v in terms[1:]:
                t = t + v
            return t

        # u0 - u1: gx = gy * a and gmean = -sum(gy * a) share their dependence on a
        ua = [v for v in (u.get(0), None if _MEAN not in u else -u[_MEAN]) if v is not None]
        w = []  # the factor of d in d/dgy (and of gy in d/dx)
        if _VAR in u:
            w.append(scaled(u[_VAR] * inv3) * -0.5)
        if _SCALE in u:
            w.append(u[_SCALE] * inv)
        wt = total(w) if w else None
        out: list[Any] = [None] * 5
        if 4 in target_indexes:  # gy
            terms = [total(ua) * a] if ua else []
            if wt is not None:
                terms.append(d * wt)
            if _OFFSET in u:
                terms.append(u[_OFFSET])
            if terms:
                g = self.broadcast_to_input(total(terms), 4)
                out[4] = _to(g, self.input_spec(4).dtype)
        if wt is not None and 0 in target_indexes:
            out[0] = _to(gyu * wt, self.input_spec(0).dtype)
        if wt is not None and 1 in target_indexes:
            out[1] = param_grad(-(gyu * wt), 1, _MEAN)
        if 3 in target_indexes and scale is not None:
            terms = [total(ua) * inv] if ua else []
            if _VAR in u:
                terms.append(u[_VAR] * d * inv3 * -0.5)
            if terms:
                out[3] = param_grad(gyu * total(terms), 3, _SCALE)
        if 2 in target_indexes:
            terms = [scaled(total(ua) * inv3) * -0.5] if ua else []
            if _VAR in u:
                terms.append(scaled(u[_VAR] * d * inv3 * inv * inv) * 0.75)
            if _SCALE in u:
                terms.append(u[_SCALE] * d * inv3 * -0.5)
            if terms:
                out[2] = param_grad(gyu * total(terms), 2, _VAR)
        return tuple(out)


def _to(v: Any, dtype: Any) -> Any:
    return F.cast(v, dtype) if np.dtype(v.dtype) != np.dtype(dtype) else v
