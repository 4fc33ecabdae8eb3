"""``ApplyStatistics``: batch normalization with given statistics (the inference form)."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.functions.array._shape_ops import sum_to
from nnfunc.functions.normalization._common import check_axes_kept, check_eps, check_param

__all__ = ["ApplyStatistics"]


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
        self.eps = check_eps(op, self.eps_raw)
        shape = tuple(x.shape)
        kept = check_axes_kept(op, "axis", self.axis, len(shape))
        self.full: list[Any] = [None] * 5
        for i, (arg, spec) in enumerate(
            (("mean", mean), ("variance", var), ("offset", offset), ("scale", scale)), start=1
        ):
            if spec is not None:
                self.full[i] = check_param(op, arg, spec, shape, kept)
        self.out_dtype = real_dtype(x.dtype)
        self.acc = accumulation_dtype(self.out_dtype)
        return (TensorSpec(shape, self.out_dtype),)

    def _p(self, a: Any, i: int) -> Any:
        return a.reshape(self.full[i]).astype(self.acc, copy=False)

    def forward(self, xp: Any, x: Any, mean: Any, var: Any, offset: Any, scale: Any) -> tuple:
        acc = self.acc
        a = 1 / xp.sqrt(self._p(var, 2) + acc.type(self.eps))
        if scale is not None:
            a = a * self._p(scale, 4)
        b = -self._p(mean, 1) * a
        if offset is not None:
            b = b + self._p(offset, 3)
        y = x * a.astype(acc)
        y += b.astype(acc)
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        acc = self.acc
        x, mean, var, scale = self.retained_inputs()

        def up(v: Any) -> Any:
            return F.cast(v, acc) if np.dtype(v.dtype) != acc else v

        def full(v: Any, i: int) -> Any:
            v = up(v)
            if tuple(self.input_spec(i).shape) != self.full[i]:
                v = F.reshape(v, self.full[i])
            return v

        def param_grad(g: Any, i: int) -> Any:
            spec = self.input_spec(i)
            r = sum_to(g, self.full[i], dtype=spec.dtype)
            return F.reshape(r, spec.shape) if tuple(spec.shape) != self.full[i] else r

        gy = up(grad_outputs[0])
        inv = F.pow(F.add(full(var, 2), self.eps), -0.5)
        a = F.mul(inv, full(scale, 4)) if scale is not None else inv
        out: list[Any] = [None] * 5
        if 0 in target_indexes:
            gx = F.mul(gy, a)
            dt = self.input_spec(0).dtype
            out[0] = F.cast(gx, dt) if np.dtype(dt) != acc else gx
        if 3 in target_indexes:
            out[3] = param_grad(gy, 3)
        need_d = any(i in target_indexes for i in (2, 4))
        d = F.sub(up(x), full(mean, 1)) if need_d else None
        if 1 in target_indexes:
            out[1] = param_grad(F.neg(F.mul(gy, a)), 1)
        if 4 in target_indexes:
            out[4] = param_grad(F.mul(gy, F.mul(d, inv)), 4)
        if 2 in target_indexes:
            # d/dvar of d * s * (v + eps)^-1/2 = -1/2 * d * s * (v + eps)^-3/2
            dv = F.mul(
                F.mul(gy, d), F.mul(a, F.mul(F.pow(F.add(full(var, 2), self.eps), -1.0), -0.5))
            )
            out[2] = param_grad(dv, 2)
        return tuple(out)
