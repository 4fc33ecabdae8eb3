"""The two Functions behind every normalization of the family.

``Normalize``: statistics computed from ``x`` (batch norm in training, layer / instance / group
norm, weight standardization, synchronized batch norm), optional affine, optional in-place update
of running statistics, optional statistics outputs. ``ApplyStatistics``: batch norm with given
statistics (inference form).

Numerics: statistics are accumulated in float32 for float16 inputs (float64 stays float64); the
variance is the corrected two-pass ``mean(d**2) - mean(d)**2`` with ``d = x - mean(x)``, never
``E[x**2] - E[x]**2``, and is clamped at 0.

Gradients: a first-order eager backward (recording off) runs a fused NumPy path that reuses the
statistics saved by the forward pass; when the backward itself is recorded (``create_graph``,
graph mode) it is written with nnfunc functions, so it is differentiable again.

Rows: when the normalized axes are the trailing axes of a NumPy array (layer normalization over
the last axes, instance normalization of channel-first data) and each parameter varies along
the kept axes only or along the normalized axes only, ``x`` is a ``(rows, K)`` matrix and both
passes run :mod:`nnfunc.kernels.cpu.layer_norm` (a numba kernel that reads each row once,
statistics in float64), which avoids the whole-array temporaries of the general path.
Channels: when the kept axes are one block with normalized axes before it and at least
:data:`_MIN_INNER` values after it (batch normalization of channel-first data) and the
parameters vary along the kept axes only, ``x`` is ``(A, C, B)`` and both passes run
:mod:`nnfunc.kernels.cpu.batch_norm`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core._state import STATE
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.core.variable import Variable
from nnfunc.errors import ArgumentError, UnsupportedError
from nnfunc.functions.normalization._common import (
    check_axes_kept,
    check_decay,
    check_eps,
    check_param,
    reduced_count,
    sum_to_shape,
)
from nnfunc.kernels.cpu.batch_norm import normalize_channels, normalize_channels_backward
from nnfunc.kernels.cpu.layer_norm import normalize_rows, normalize_rows_backward

__all__ = ["ApplyStatistics", "Normalize"]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: Fewest values after the kept block for the channel kernel (its loops run over them).
_MIN_INNER = 16


def _sum_sq(d: Any, axes: tuple[int, ...]) -> Any:
    """``sum(d * d, axes, keepdims=True)`` without a temporary of d's size."""
    if d.ndim <= len(_LETTERS) and type(d) is np.ndarray:
        sub = _LETTERS[: d.ndim]
        out = "".join(c for j, c in enumerate(sub) if j not in axes)
        r = np.einsum(f"{sub},{sub}->{out}", d, d)
        shape = tuple(1 if j in axes else n for j, n in enumerate(d.shape))
        return r.reshape(shape)
    return (d * d).sum(axis=axes, keepdims=True)


def _data(v: Any) -> Any:
    return v.data if isinstance(v, Variable) else v


class Normalize(Function):
    """Standardize ``x`` with statistics over some axes, then ``* scale + offset``.

    ``mode`` says how the axes come from the raw arguments (kept raw so ``setup`` can re-run):

    * ``"batch"``: ``axis`` = kept channel axes; reduce over the others; running statistics.
    * ``"layer"``: ``axis`` = the normalized (reduced) axes; parameters over those axes.
    * ``"instance"``: keep ``batch_axis`` and ``channel_axis``; parameters per channel.
    * ``"group"``: like instance on ``x`` reshaped to ``(..., G, C/G, ...)``; parameters per
      channel of the original ``x``.
    * ``"weight"``: keep ``channel_axis``; no parameters.
    """

    input_names = ("x", "scale", "offset", "running_mean", "running_variance")

    def __init__(
        self,
        op: str,
        mode: str,
        *,
        eps: Any,
        axis: Any = None,
        channel_axis: Any = None,
        batch_axis: Any = None,
        num_groups: Any = None,
        decay: Any = 0.9,
        output_stat: bool = False,
        comm: Any = None,
        group: str = "world",
    ) -> None:
        self.op_name = op
        self.mode = mode
        self.eps_raw = eps
        self.axis = axis
        self.channel_axis = channel_axis
        self.batch_axis = batch_axis
        self.num_groups = num_groups
        self.decay_raw = decay
        self.output_stat_raw = output_stat
        self.comm = comm
        self.group = group

    # ------------------------------------------------------------------ setup
    def _plan(self, shape: tuple[Any, ...]) -> None:
        op = self.op_name
        ndim = len(shape)
        self.view = None
        if self.mode == "batch":
            kept = check_axes_kept(op, "axis", self.axis, ndim)
            self.param_axes = kept
            self.raxes = tuple(j for j in range(ndim) if j not in kept)
        elif self.mode == "layer":
            red = check_axes_kept(op, "axis", self.axis, ndim)
            self.param_axes = red
            self.raxes = red
        elif self.mode == "weight":
            c = check.axis(op, "channel_axis", self.channel_axis, ndim)
            self.param_axes = (c,)
            self.raxes = tuple(j for j in range(ndim) if j != c)
        else:  # instance, group
            c = check.axis(op, "channel_axis", self.channel_axis, ndim)
            b = check.axes(op, "batch_axis", self.batch_axis, ndim)
            if c in b:
                raise ArgumentError(
                    check.message(
                        op,
                        "channel_axis",
                        "differ from every `batch_axis`",
                        channel_axis=self.channel_axis,
                        batch_axis=self.batch_axis,
                    )
                )
            self.param_axes = (c,)
            if self.mode == "instance":
                self.raxes = tuple(j for j in range(ndim) if j not in b and j != c)
            else:
                g = check.positive_int(op, "num_groups", self.num_groups)
                ch = shape[c]
                if ch is not None and ch % g:
                    raise ArgumentError(
                        check.message(
                            op,
                            "num_groups",
                            "divide the number of channels",
                            num_groups=g,
                            channels=ch,
                        )
                    )
                per = None if ch is None else ch // g
                self.view = (*shape[:c], g, per, *shape[c + 1 :])
                vb = tuple(j if j < c else j + 1 for j in b)
                self.raxes = tuple(j for j in range(ndim + 1) if j not in vb and j != c)

    def setup(self, x: Any, scale: Any, offset: Any, rmean: Any, rvar: Any) -> tuple:
        op = self.op_name
        self.eps = check_eps(op, self.eps_raw)
        self.output_stat = check.boolean(op, "output_stat", self.output_stat_raw)
        if self.mode == "batch":
            self.decay = check_decay(op, self.decay_raw)
        if self.comm is not None:
            from nnfunc.distributed import check_communicator

            check_communicator(op, self.comm, self.group)
        shape = tuple(x.shape)
        self._plan(shape)
        self.param_full: list[Any] = [None] * 5
        for i, (arg, spec) in enumerate(
            (("scale", scale), ("offset", offset), ("mean", rmean), ("variance", rvar)), start=1
        ):
            if spec is None:
                continue
            self.param_full[i] = check_param(op, arg, spec, shape, self.param_axes, exact=i >= 3)
            if i >= 3:
                check.float_dtype(op, arg, spec)
        vshape = self.view if self.view is not None else shape
        if self.view is not None and sum(d is None for d in self.view) > 1:
            raise UnsupportedError(
                check.message(
                    op,
                    "x",
                    "have at most one unknown dimension in graph mode",
                    **{"x.shape": shape},
                )
            )
        self.view_arg = (
            None if self.view is None else tuple(-1 if d is None else d for d in self.view)
        )
        self.stat_shape = tuple(1 if j in self.raxes else d for j, d in enumerate(vshape))
        self.out_dtype = real_dtype(x.dtype)
        self.acc = accumulation_dtype(self.out_dtype)
        self.retain_inputs(0, 1)
        y = TensorSpec(shape, self.out_dtype)
        if not self.output_stat:
            return (y,)
        stat = TensorSpec(self.stat_shape, self.out_dtype)
        return (y, stat, stat)

    # ------------------------------------------------------------------ forward
    def _all_reduce(self, *arrays: Any) -> list[Any]:
        if self.comm is None:
            return list(arrays)
        # One message for all of them: concatenate, reduce, split.
        arrays = [np.asarray(a) for a in arrays]
        flat = np.concatenate([a.astype(np.float64).ravel() for a in arrays])
        total = self.comm.all_reduce(flat, self.group)
        out, start = [], 0
        for a in arrays:
            out.append(total[start : start + a.size].reshape(a.shape).astype(a.dtype))
            start += a.size
        return out

    def _fast_plan(self, x: Any) -> tuple | None:
        """How a kernel of :mod:`nnfunc.kernels.cpu` runs this call, or None (NumPy path).

        ``("rows", k, layouts)``: ``x`` is ``(prod(shape[:k]), prod(shape[k:]))`` rows to
        normalize; ``layouts[i]`` for the scale (1) and offset (2) is None (absent), ``"row"``
        (varies along the kept axes only) or ``"col"`` (along the normalized axes only).
        ``("chan", k0, k1)``: the kept axes are ``k0:k1``, ``x`` is ``(A, C, B)`` and both
        parameters vary along the kept axes only. None for other axes or layouts, CuPy, a
        communicator, groups, empty arrays.
        """
        if type(x) is not np.ndarray or self.comm is not None or self.view is not None:
            return None
        if x.size == 0:
            return None
        nd = x.ndim
        raxes = self.raxes
        kept = [j for j in range(nd) if j not in raxes]
        k = nd - len(raxes)
        if raxes == tuple(range(k, nd)):
            layouts: list[Any] = [None, None, None]
            for i in (1, 2):
                full = self.param_full[i]
                if full is None:
                    continue
                if all(full[j] == 1 for j in range(k)):
                    layouts[i] = "col"
                elif all(full[j] == 1 for j in range(k, nd)):
                    layouts[i] = "row"
                else:
                    return None
            return ("rows", k, layouts)
        if not kept or kept != list(range(kept[0], kept[-1] + 1)):
            return None
        k0, k1 = kept[0], kept[-1] + 1
        if math.prod(x.shape[k1:]) < _MIN_INNER:
            return None
        for i in (1, 2):
            full = self.param_full[i]
            if full is not None and any(full[j] != 1 for j in raxes):
                return None
        return ("chan", k0, k1)

    def _row_param(self, p: Any, i: int, shape: tuple[int, ...], k: int, layout: Any) -> Any:
        """Parameter ``i`` as the float64 vector the row kernel takes (rounded to acc first)."""
        if layout is None:
            return None
        full = np.broadcast_to(p.reshape(self.param_full[i]), shape)
        part = full[(0,) * k] if layout == "col" else full[(Ellipsis, *(0,) * (len(shape) - k))]
        return part.astype(self.acc, copy=False).astype(np.float64).reshape(-1)

    def _forward_rows(self, x: Any, scale: Any, offset: Any, plan: Any) -> tuple[Any, Any, Any]:
        k, layouts = plan
        acc = self.acc
        shape = x.shape
        kdim = math.prod(shape[k:])
        xr = x.reshape(-1, kdim)
        if xr.dtype != acc:
            xr = xr.astype(acc)
        vecs = {}
        for i, p in ((1, scale), (2, offset)):
            vecs[i] = self._row_param(p, i, shape, k, layouts[i]) if p is not None else None
        row = {i: vecs[i] if layouts[i] == "row" else None for i in (1, 2)}
        col = {i: vecs[i] if layouts[i] == "col" else None for i in (1, 2)}
        y, mean, var, inv = normalize_rows(
            xr, float(acc.type(self.eps)), row[1], row[2], col[1], col[2]
        )
        self._fast_state = (mean, inv, row[1], col[1])
        stat = self.stat_shape
        return y.reshape(shape), mean.astype(acc).reshape(stat), var.astype(acc).reshape(stat)

    def _chan_param(self, p: Any, i: int, shape: tuple[int, ...], k0: int, k1: int) -> Any:
        """Parameter ``i`` as the float64 ``(C,)`` vector of the channel kernel, or None."""
        if p is None:
            return None
        full = np.broadcast_to(p.reshape(self.param_full[i]), shape)
        part = full[(0,) * k0 + (slice(None),) * (k1 - k0) + (0,) * (len(shape) - k1)]
        return part.astype(self.acc, copy=False).astype(np.float64).reshape(-1)

    def _forward_channels(self, x: Any, scale: Any, offset: Any, plan: Any) -> tuple:
        _, k0, k1 = plan
        acc = self.acc
        shape = x.shape
        x3 = x.reshape(math.prod(shape[:k0]), math.prod(shape[k0:k1]), math.prod(shape[k1:]))
        if x3.dtype != acc:
            x3 = x3.astype(acc)
        sc = self._chan_param(scale, 1, shape, k0, k1)
        of = self._chan_param(offset, 2, shape, k0, k1)
        y, mean, var, inv = normalize_channels(x3, float(acc.type(self.eps)), sc, of)
        self._fast_state = (mean, inv, sc)
        stat = self.stat_shape
        n = float(x3.shape[0] * x3.shape[2])
        return y.reshape(shape), mean.astype(acc).reshape(stat), var.astype(acc).reshape(stat), n

    def forward(self, xp: Any, x: Any, scale: Any, offset: Any, rmean: Any, rvar: Any) -> tuple:
        self._fast_state = None
        plan = self._fast_plan(x)
        self._fast = plan
        if plan is not None and plan[0] == "rows":
            y, mu, var = self._forward_rows(x, scale, offset, plan[1:])
            n = float(math.prod(x.shape[plan[1] :]))
            return self._finish(y, mu, var, n, rmean, rvar)
        if plan is not None:
            y, mu, var, n = self._forward_channels(x, scale, offset, plan)
            return self._finish(y, mu, var, n, rmean, rvar)
        acc = self.acc
        xv = x.reshape(self.view) if self.view is not None else x
        if xv.dtype != acc:
            xv = xv.astype(acc)
        raxes = self.raxes
        n_local = float(math.prod(xv.shape[a] for a in raxes))
        s = xv.sum(axis=raxes, keepdims=True)
        if self.comm is not None:
            n_arr, s = self._all_reduce(np.asarray(n_local, acc), s)
            n = float(n_arr)
        else:
            n = n_local
        mu = s / acc.type(n)
        d = xv - mu
        m1, m2 = self._all_reduce(d.sum(axis=raxes, keepdims=True), _sum_sq(d, raxes))
        c = m1 / acc.type(n)
        var = xp.maximum(m2 / acc.type(n) - c * c, 0).astype(acc, copy=False)
        mu = (mu + c).astype(acc, copy=False)
        inv = (1 / xp.sqrt(var + acc.type(self.eps))).astype(acc, copy=False)
        d -= c
        d *= inv
        y = d.reshape(x.shape) if self.view is not None else d
        if scale is not None:
            y *= scale.reshape(self.param_full[1]).astype(acc, copy=False)
        if offset is not None:
            y += offset.reshape(self.param_full[2]).astype(acc, copy=False)
        return self._finish(y, mu, var, n, rmean, rvar, inv)

    def _finish(
        self, y: Any, mu: Any, var: Any, n: float, rmean: Any, rvar: Any, inv: Any = None
    ) -> tuple:
        y = y.astype(self.out_dtype, copy=False)
        if self.mode == "batch":
            self._update_running(rmean, rvar, mu, var, n)
        if inv is None:
            inv = (1 / np.sqrt(var + self.acc.type(self.eps))).astype(self.acc, copy=False)
        self._saved = (mu, inv, n)
        if not self.output_stat:
            return (y,)
        return (y, mu.astype(self.out_dtype), var.astype(self.out_dtype))

    def _update_running(self, rmean: Any, rvar: Any, mu: Any, var: Any, n: float) -> None:
        # NNabla's rule: r <- decay * r + (1 - decay) * batch, variance unbiased (n / (n - 1)).
        d = self.decay
        if rmean is not None:
            new = d * rmean.astype(np.float64) + (1 - d) * mu.reshape(rmean.shape)
            rmean[...] = new.astype(rmean.dtype)
        if rvar is not None:
            unbiased = var.astype(np.float64) * (n / max(n - 1.0, 1.0))
            new = d * rvar.astype(np.float64) + (1 - d) * unbiased.reshape(rvar.shape)
            rvar[...] = new.astype(rvar.dtype)

    # ------------------------------------------------------------------ backward
    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, scale = self.retained_inputs()
        if not STATE.grad_enabled and isinstance(x, Variable) and hasattr(self, "_saved"):
            if getattr(self, "_fast_state", None) is not None and not self.output_stat:
                if self._fast[0] == "rows":
                    return self._backward_rows(target_indexes, grad_outputs, x.data)
                return self._backward_channels(target_indexes, grad_outputs, x.data)
            return self._backward_arrays(target_indexes, grad_outputs, x.data, _data(scale))
        return self._backward_functions(target_indexes, grad_outputs, x, scale)

    def _backward_rows(self, targets: Any, gys: Any, x: Any) -> tuple:
        """First-order gradients through the row kernel (see :meth:`_forward_rows`)."""
        _, k, layouts = self._fast
        mean, inv, rs, cs = self._fast_state
        acc = self.acc
        shape = x.shape
        kdim = math.prod(shape[k:])
        xr = x.reshape(-1, kdim)
        gy = _data(gys[0]).reshape(-1, kdim)
        if xr.dtype != acc:
            xr = xr.astype(acc)
        want_cols = any(i in targets and layouts[i] == "col" for i in (1, 2))
        gx, rsum, csum = normalize_rows_backward(
            xr, gy.astype(acc, copy=False), mean, inv, rs, cs, 0 in targets, want_cols
        )
        out: list[Any] = [None] * 5
        nd = len(shape)
        for i, which in ((1, 1), (2, 0)):  # scale: sum(gy * xhat); offset: sum(gy)
            if i not in targets:
                continue
            if layouts[i] == "col":
                g = csum[which].reshape((1,) * k + shape[k:])
            else:
                g = rsum[which].reshape(shape[:k] + (1,) * (nd - k))
            out[i] = self._param_grad_array(g, i)
        if 0 in targets:
            out[0] = gx.reshape(shape).astype(self.input_spec(0).dtype, copy=False)
        return tuple(out)

    def _backward_channels(self, targets: Any, gys: Any, x: Any) -> tuple:
        """First-order gradients through the channel kernel (:meth:`_forward_channels`)."""
        _, k0, k1 = self._fast
        mean, inv, sc = self._fast_state
        acc = self.acc
        shape = x.shape
        dims = (math.prod(shape[:k0]), math.prod(shape[k0:k1]), math.prod(shape[k1:]))
        x3 = x.reshape(dims)
        if x3.dtype != acc:
            x3 = x3.astype(acc)
        gy = _data(gys[0]).reshape(dims).astype(acc, copy=False)
        gx, s1, s2 = normalize_channels_backward(x3, gy, mean, inv, sc, 0 in targets)
        out: list[Any] = [None] * 5
        if 1 in targets:
            out[1] = self._param_grad_array(s2.reshape(self.stat_shape), 1)
        if 2 in targets:
            out[2] = self._param_grad_array(s1.reshape(self.stat_shape), 2)
        if 0 in targets:
            out[0] = gx.reshape(shape).astype(self.input_spec(0).dtype, copy=False)
        return tuple(out)

    def _param_grad_array(self, g: Any, i: int) -> Any:
        spec = self.input_spec(i)
        return sum_to_shape(g, self.param_full[i]).reshape(spec.shape).astype(spec.dtype)

    def _backward_arrays(self, targets: Any, gys: Any, x: Any, scale: Any) -> tuple:
        acc = self.acc
        mu, inv, n = self._saved
        view = self.view
        gy = _data(gys[0]).astype(acc, copy=False)
        xv = x.reshape(view) if view is not None else x
        xhat = xv.astype(acc) if xv.dtype != acc else xv.copy()
        xhat -= mu
        xhat *= inv
        xhat_x = xhat.reshape(x.shape)
        out: list[Any] = [None] * 5
        if 2 in targets:
            out[2] = self._param_grad_array(gy, 2)
        if 1 in targets:
            out[1] = self._param_grad_array(gy * xhat_x, 1)
        if 0 in targets:
            g = gy * scale.reshape(self.param_full[1]).astype(acc) if scale is not None else gy
            gv = g.reshape(view) if view is not None else g
            raxes = self.raxes
            extra = []
            if self.output_stat:
                # The statistics are shared: their gradients come from every replica.
                extra = [_data(gys[1]).astype(acc), _data(gys[2]).astype(acc)]
            s1, s2, *gstat = self._all_reduce(
                gv.sum(axis=raxes, keepdims=True),
                (gv * xhat).sum(axis=raxes, keepdims=True),
                *extra,
            )
            nn = acc.type(n)
            gx = gv - s1 / nn
            gx -= xhat * (s2 / nn)
            gx *= inv
            if self.output_stat:
                gm, gvar = gstat
                gx += gm / nn
                gx += (xhat / inv) * (2 * gvar / nn)
            out[0] = gx.reshape(x.shape).astype(self.input_spec(0).dtype, copy=False)
        return tuple(out)

    def _backward_functions(self, targets: Any, gys: Any, x: Any, scale: Any) -> tuple:
        from nnfunc.distributed import all_reduce
        from nnfunc.functions.arithmetic import add, mul, pow, sub
        from nnfunc.functions.array import cast, reshape
        from nnfunc.functions.array._shape_ops import sum_to
        from nnfunc.functions.reduction import mean, sum

        acc = self.acc
        raxes = self.raxes
        comm, group = self.comm, self.group

        def up(v: Any) -> Any:
            return cast(v, acc) if np.dtype(v.dtype) != acc else v

        xa = up(x)
        xv = reshape(xa, self.view_arg) if self.view is not None else xa
        vshape = tuple(self.view) if self.view is not None else tuple(self.input_spec(0).shape)
        if comm is None:

            def gmean(v: Any) -> Any:
                return mean(v, raxes, keepdims=True)

            n = reduced_count(xv, vshape, raxes, acc, None, group)
        else:
            n = reduced_count(xv, vshape, raxes, acc, comm, group)

            def gmean(v: Any) -> Any:
                return all_reduce(sum(v, raxes, keepdims=True), comm, group) / n

        def over_n(v: Any) -> Any:
            return mul(v, 1.0 / n) if isinstance(n, float) else v / n

        mu = gmean(xv)
        d = sub(xv, mu)
        var = gmean(mul(d, d))
        inv = pow(add(var, self.eps), -0.5)
        xhat = mul(d, inv)
        xhat_x = self.reshape_to_input(xhat, 0) if self.view is not None else xhat
        gy = up(gys[0])
        out: list[Any] = [None] * 5

        def param_grad(g: Any, i: int) -> Any:
            spec = self.input_spec(i)
            r = sum_to(g, self.param_full[i], dtype=spec.dtype)
            return reshape(r, spec.shape) if tuple(spec.shape) != self.param_full[i] else r

        if 2 in targets:
            out[2] = param_grad(gy, 2)
        if 1 in targets:
            out[1] = param_grad(mul(gy, xhat_x), 1)
        if 0 in targets:
            g = gy
            if scale is not None:
                sf = scale
                if tuple(self.input_spec(1).shape) != self.param_full[1]:
                    sf = reshape(scale, self.param_full[1])
                g = mul(g, up(sf))
            gv = reshape(g, self.view_arg) if self.view is not None else g
            gx = mul(sub(sub(gv, gmean(gv)), mul(xhat, gmean(mul(gv, xhat)))), inv)
            if self.output_stat:
                gm, gvar = up(gys[1]), up(gys[2])
                if comm is not None:
                    gm, gvar = all_reduce(gm, comm, group), all_reduce(gvar, comm, group)
                gx = add(gx, over_n(gm))
                gx = add(gx, mul(d, over_n(mul(gvar, 2.0))))
            if self.view is not None:
                gx = self.reshape_to_input(gx, 0)
            out[0] = cast(gx, self.input_spec(0).dtype) if acc != self.input_spec(0).dtype else gx
        return tuple(out)


class ApplyStatistics(Function):
    """``(x - mean) / sqrt(variance + eps) * scale + offset`` with given statistics."""

    input_names = ("x", "mean", "variance", "offset", "scale")

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
        self.retain_inputs(0, 1, 2, 4)
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
        from nnfunc.functions.arithmetic import add, mul, neg, pow, sub
        from nnfunc.functions.array import cast, reshape
        from nnfunc.functions.array._shape_ops import sum_to

        acc = self.acc
        x, mean, var, scale = self.retained_inputs()

        def up(v: Any) -> Any:
            return cast(v, acc) if np.dtype(v.dtype) != acc else v

        def full(v: Any, i: int) -> Any:
            v = up(v)
            if tuple(self.input_spec(i).shape) != self.full[i]:
                v = reshape(v, self.full[i])
            return v

        def param_grad(g: Any, i: int) -> Any:
            spec = self.input_spec(i)
            r = sum_to(g, self.full[i], dtype=spec.dtype)
            return reshape(r, spec.shape) if tuple(spec.shape) != self.full[i] else r

        gy = up(grad_outputs[0])
        inv = pow(add(full(var, 2), self.eps), -0.5)
        a = mul(inv, full(scale, 4)) if scale is not None else inv
        out: list[Any] = [None] * 5
        if 0 in target_indexes:
            gx = mul(gy, a)
            dt = self.input_spec(0).dtype
            out[0] = cast(gx, dt) if np.dtype(dt) != acc else gx
        if 3 in target_indexes:
            out[3] = param_grad(gy, 3)
        need_d = any(i in target_indexes for i in (2, 4))
        d = sub(up(x), full(mean, 1)) if need_d else None
        if 1 in target_indexes:
            out[1] = param_grad(neg(mul(gy, a)), 1)
        if 4 in target_indexes:
            out[4] = param_grad(mul(gy, mul(d, inv)), 4)
        if 2 in target_indexes:
            # d/dvar of d * s * (v + eps)^-1/2 = -1/2 * d * s * (v + eps)^-3/2
            dv = mul(mul(gy, d), mul(a, mul(pow(add(full(var, 2), self.eps), -1.0), -0.5)))
            out[2] = param_grad(dv, 2)
        return tuple(out)
