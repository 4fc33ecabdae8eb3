"""``Normalize``: the Function behind every normalization that computes its statistics.

One base class, one subclass per way of choosing the normalized axes: :class:`BatchNormalize`
(batch norm in training, synchronized batch norm; running statistics updated in place),
:class:`LayerNormalize`, :class:`InstanceNormalize`, :class:`GroupNormalize` and
:class:`WeightStandardize`. Each standardizes ``x`` over its reduced axes, then applies the
optional ``* scale + offset``, and can also return the statistics.

Numerics: statistics are accumulated in float32 for float16 inputs (float64 stays float64); the
variance is the corrected two-pass ``mean(d**2) - mean(d)**2`` with ``d = x - mean(x)``, never
``E[x**2] - E[x]**2``, and is clamped at 0.

Kernels: when the normalized axes are the trailing axes of a NumPy array (layer normalization
over the last axes, instance normalization of channel-first data) and each parameter varies
along the kept axes only or along the normalized axes only, ``x`` is a ``(rows, K)`` matrix
and the forward pass runs :mod:`nnfunc.kernels.cpu.layer_norm` (one read of each row,
statistics in float64). When the kept axes are one block with normalized axes before it and at
least ``MIN_INNER`` values after it (batch normalization of channel-first data) and the
parameters vary along the kept axes only, ``x`` is ``(A, C, B)`` and it runs
:mod:`nnfunc.kernels.cpu.batch_norm`. Other cases run the NumPy code of
:func:`~nnfunc.functions.normalization._statistics.statistics`.

Gradients: :meth:`Normalize.backward` applies
:class:`~nnfunc.functions.normalization._normalize_grad.NormalizeGrad`, whose forward pass is
the fused first-order gradient (the same kernels) and whose own backward is written with
nnfunc functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.distributed import check_communicator
from nnfunc.errors import ArgumentError, UnsupportedError
from nnfunc.functions.normalization._common import (
    check_axes_kept,
    check_decay,
    check_eps,
    check_param,
)
from nnfunc.functions.normalization._normalize_grad import NormalizeGrad
from nnfunc.functions.normalization._statistics import (
    Layout,
    Stats,
    chan_param,
    fast_plan,
    inverse_std,
    row_param,
    statistics,
)
from nnfunc.kernels.cpu.batch_norm import group_normalize, normalize_channels
from nnfunc.kernels.cpu.layer_norm import normalize_rows

__all__ = [
    "BatchNormalize",
    "GroupNormalize",
    "InstanceNormalize",
    "LayerNormalize",
    "Normalize",
    "WeightStandardize",
]


class Normalize(Function):
    """Standardize ``x`` over the axes a subclass chooses, then ``* scale + offset``.

    Subclasses define :meth:`_axes` (the parameters' axes, the reduced axes and an optional
    view of ``x``); :class:`BatchNormalize` also checks its decay and updates the running
    statistics. Inputs: ``x, scale, offset, running_mean, running_variance`` (the last two
    only for batch normalization). Outputs: ``y`` or ``(y, mean, variance)``.
    """

    input_names = ("x", "scale", "offset", "running_mean", "running_variance")
    retain_in = (0, 1)
    _stats: Stats | None = None

    def __init__(
        self, op: str, *, eps: Any, output_stat: Any = False, comm: Any = None, group: Any = "world"
    ) -> None:
        self.op_name = op
        self.eps_raw = eps
        self.output_stat_raw = output_stat
        self.comm = comm
        self.group = group

    # ------------------------------------------------------------------ setup
    def _axes(self, shape: tuple[Any, ...]) -> tuple[tuple[int, ...], tuple[int, ...], Any]:
        """``(param_axes, reduced_axes, view)`` for ``x`` of this shape (view: None or a shape)."""
        raise NotImplementedError

    def _check_options(self) -> None:
        """Mode-specific option checks (run in setup)."""

    def layout(self, x: Any, *params: Any) -> Layout:
        """Resolve the axes and parameter shapes for ``x`` (``params``: scale, offset, mean,
        variance specs or None)."""
        op = self.op_name
        shape = tuple(x.shape)
        param_axes, raxes, view = self._axes(shape)
        full: list[Any] = [None] * 5
        names = ("scale", "offset", "mean", "variance")
        for i, (arg, spec) in enumerate(zip(names, params, strict=False), start=1):
            if spec is None:
                continue
            full[i] = check_param(op, arg, spec, shape, param_axes, exact=i >= 3)
            if i >= 3:
                check.float_dtype(op, arg, spec)
        if view is not None and sum(d is None for d in view) > 1:
            raise UnsupportedError(
                check.message(
                    op,
                    "x",
                    "have at most one unknown dimension in graph mode",
                    **{"x.shape": shape},
                )
            )
        vshape = view if view is not None else shape
        stat_shape = tuple(1 if j in raxes else d for j, d in enumerate(vshape))
        return Layout(shape, raxes, view, stat_shape, full, x.dtype, param_axes)

    def setup(self, x: Any, scale: Any, offset: Any, rmean: Any, rvar: Any) -> tuple:
        op = self.op_name
        self.eps = check_eps(op, self.eps_raw)
        self.output_stat = check.boolean(op, "output_stat", self.output_stat_raw)
        self._check_options()
        if self.comm is not None:
            check_communicator(op, self.comm, self.group)
        self.lay = self.layout(x, scale, offset, rmean, rvar)
        y = TensorSpec(tuple(x.shape), self.lay.out_dtype)
        if not self.output_stat:
            return (y,)
        stat = TensorSpec(self.lay.stat_shape, self.lay.out_dtype)
        return (y, stat, stat)

    # ------------------------------------------------------------------ forward
    def forward(self, xp: Any, x: Any, scale: Any, offset: Any, rmean: Any, rvar: Any) -> tuple:
        lay = self.lay
        plan = fast_plan(lay, x, self.comm)
        if plan is not None and plan[0] == "rows":
            return self._forward_rows(x, scale, offset, plan, rmean, rvar)
        if plan is not None and plan[0] == "groups":
            return self._forward_groups(x, scale, offset, plan, rmean, rvar)
        if plan is not None:
            return self._forward_channels(x, scale, offset, plan, rmean, rvar)
        d, mu, var, inv, n = statistics(xp, lay, x, self.eps, self.comm, self.group)
        d *= inv
        y = d.reshape(x.shape) if lay.view is not None else d
        if scale is not None:
            y *= scale.reshape(lay.full[1]).astype(lay.acc, copy=False)
        if offset is not None:
            y += offset.reshape(lay.full[2]).astype(lay.acc, copy=False)
        return self._finish(x, y, Stats(x, mu, inv, n), var, rmean, rvar)

    def _forward_rows(self, x: Any, scale: Any, offset: Any, plan: Any, rm: Any, rv: Any):
        _, k, layouts = plan
        lay = self.lay
        acc = lay.acc
        shape = x.shape
        xr = x.reshape(-1, math.prod(shape[k:]))
        if xr.dtype != acc:
            xr = xr.astype(acc)
        vec = {i: row_param(lay, p, i, shape, k, layouts[i]) for i, p in ((1, scale), (2, offset))}
        row = {i: vec[i] if layouts[i] == "row" else None for i in (1, 2)}
        col = {i: vec[i] if layouts[i] == "col" else None for i in (1, 2)}
        y, mean, var, inv = normalize_rows(
            xr, float(acc.type(self.eps)), row[1], row[2], col[1], col[2]
        )
        stat = lay.stat_shape
        mu, var = mean.astype(acc).reshape(stat), var.astype(acc).reshape(stat)
        n = float(xr.shape[1])
        stats = Stats(x, mu, inverse_std(lay, var, self.eps), n, (mean, inv), plan)
        return self._finish(x, y.reshape(shape), stats, var, rm, rv)

    def _forward_channels(self, x: Any, scale: Any, offset: Any, plan: Any, rm: Any, rv: Any):
        _, k0, k1 = plan
        lay = self.lay
        acc = lay.acc
        shape = x.shape
        x3 = x.reshape(math.prod(shape[:k0]), math.prod(shape[k0:k1]), math.prod(shape[k1:]))
        if x3.dtype != acc:
            x3 = x3.astype(acc)
        sc = chan_param(lay, scale, 1, shape, k0, k1)
        of = chan_param(lay, offset, 2, shape, k0, k1)
        y, mean, var, inv = normalize_channels(x3, float(acc.type(self.eps)), sc, of)
        stat = lay.stat_shape
        mu, var = mean.astype(acc).reshape(stat), var.astype(acc).reshape(stat)
        n = float(x3.shape[0] * x3.shape[2])
        stats = Stats(x, mu, inverse_std(lay, var, self.eps), n, (mean, inv), plan)
        return self._finish(x, y.reshape(shape), stats, var, rm, rv)

    def _forward_groups(self, x: Any, scale: Any, offset: Any, plan: Any, rm: Any, rv: Any):
        groups = plan[1]
        lay = self.lay
        acc = lay.acc
        shape = x.shape
        x3 = x.reshape(shape[0], shape[1], -1)
        if x3.dtype != acc:
            x3 = x3.astype(acc)
        sc = chan_param(lay, scale, 1, shape, 1, 2)
        of = chan_param(lay, offset, 2, shape, 1, 2)
        y, mean, var, inv = group_normalize(x3, groups, float(acc.type(self.eps)), sc, of)
        stat = lay.stat_shape
        mu, var = mean.astype(acc).reshape(stat), var.astype(acc).reshape(stat)
        n = float(x3.shape[1] // groups * x3.shape[2])
        stats = Stats(x, mu, inverse_std(lay, var, self.eps), n, (mean, inv), plan)
        return self._finish(x, y.reshape(shape), stats, var, rm, rv)

    def _finish(self, x: Any, y: Any, stats: Stats, var: Any, rmean: Any, rvar: Any) -> tuple:
        y = y.astype(self.lay.out_dtype, copy=False)
        self._update_running(rmean, rvar, stats.mu, var, stats.n)
        self._stats = stats
        if not self.output_stat:
            return (y,)
        dt = self.lay.out_dtype
        return (y, stats.mu.astype(dt), var.astype(dt))

    def _update_running(self, rmean: Any, rvar: Any, mu: Any, var: Any, n: float) -> None:
        """Only batch normalization keeps running statistics."""

    def _free(self) -> None:
        super()._free()
        self._stats = None

    # ------------------------------------------------------------------ backward
    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, scale = self.retained_inputs()
        gy, *gstat = grad_outputs
        gm, gvar = gstat if self.output_stat else (None, None)
        want = tuple(i for i in (0, 1, 2) if i in target_indexes)
        grad = NormalizeGrad(self, want, self.input_spec(2), self._stats)
        outs = grad.apply(x, scale, gy, gm, gvar)
        result: list[Any] = [None] * 5
        for i, g in zip(want, outs, strict=True):
            if i:
                spec = tuple(self.input_spec(i).shape)
                if len(spec) != len(self.lay.full[i]):  # compact
                    g = self.reshape_to_input(g, i)
                elif None in spec:  # 1 or x's size: only the run tells (NormalizeGrad's outputs)
                    g = self.sum_to_input(g, i)
            result[i] = g
        return tuple(result)


class BatchNormalize(Normalize):
    """Batch normalization in training: statistics over every axis but ``axis`` (kept).

    The running statistics (inputs 3 and 4), when given, are updated in place with NNabla's
    rule ``r <- decay * r + (1 - decay) * batch`` (the variance unbiased, ``n / (n - 1)``).
    With ``comm`` the statistics are summed over the replicas (synchronized batch norm).
    """

    def __init__(self, op: str, *, axis: Any, decay: Any = 0.9, **options: Any) -> None:
        super().__init__(op, **options)
        self.axis = axis
        self.decay_raw = decay

    def _check_options(self) -> None:
        self.decay = check_decay(self.op_name, self.decay_raw)

    def _axes(self, shape: tuple[Any, ...]) -> tuple:
        kept = check_axes_kept(self.op_name, "axis", self.axis, len(shape))
        return kept, tuple(j for j in range(len(shape)) if j not in kept), None

    def _update_running(self, rmean: Any, rvar: Any, mu: Any, var: Any, n: float) -> None:
        if n == 0:  # an empty batch has no statistics: the running ones stay (issue 17)
            return
        for arg, r in (("mean", rmean), ("variance", rvar)):
            if r is not None and not r.flags.writeable:
                raise ArgumentError(
                    check.message(
                        self.op_name, arg, "be writeable (it is updated in place)", **{arg: r}
                    )
                )
        d = self.decay
        if rmean is not None:
            new = d * rmean.astype(np.float64) + (1 - d) * mu.reshape(rmean.shape)
            rmean[...] = new.astype(rmean.dtype)
        if rvar is not None:
            unbiased = var.astype(np.float64) * (n / max(n - 1.0, 1.0))
            new = d * rvar.astype(np.float64) + (1 - d) * unbiased.reshape(rvar.shape)
            rvar[...] = new.astype(rvar.dtype)


class LayerNormalize(Normalize):
    """Layer normalization: statistics over ``axis`` (the normalized axes, also the
    parameters' axes)."""

    def __init__(self, op: str, *, axis: Any, **options: Any) -> None:
        super().__init__(op, **options)
        self.axis = axis

    def _axes(self, shape: tuple[Any, ...]) -> tuple:
        red = check_axes_kept(self.op_name, "axis", self.axis, len(shape))
        return red, red, None


class WeightStandardize(Normalize):
    """Weight standardization: statistics over every axis but ``channel_axis``; no parameters."""

    def __init__(self, op: str, *, channel_axis: Any, **options: Any) -> None:
        super().__init__(op, **options)
        self.channel_axis = channel_axis

    def _axes(self, shape: tuple[Any, ...]) -> tuple:
        c = check.axis(self.op_name, "channel_axis", self.channel_axis, len(shape))
        return (c,), tuple(j for j in range(len(shape)) if j != c), None


class InstanceNormalize(Normalize):
    """Instance normalization: keep ``batch_axis`` and ``channel_axis``; parameters per
    channel."""

    def __init__(self, op: str, *, channel_axis: Any, batch_axis: Any, **options: Any) -> None:
        super().__init__(op, **options)
        self.channel_axis = channel_axis
        self.batch_axis = batch_axis

    def _channel_and_batch(self, ndim: int) -> tuple[int, tuple[int, ...]]:
        op = self.op_name
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
        return c, b

    def _axes(self, shape: tuple[Any, ...]) -> tuple:
        c, b = self._channel_and_batch(len(shape))
        return (c,), tuple(j for j in range(len(shape)) if j not in b and j != c), None


class GroupNormalize(InstanceNormalize):
    """Group normalization: instance normalization of ``x`` seen as ``(..., G, C/G, ...)``;
    parameters per channel of the original ``x``."""

    def __init__(self, op: str, *, num_groups: Any, **options: Any) -> None:
        super().__init__(op, **options)
        self.num_groups = num_groups

    def _axes(self, shape: tuple[Any, ...]) -> tuple:
        op = self.op_name
        ndim = len(shape)
        c, b = self._channel_and_batch(ndim)
        g = check.positive_int(op, "num_groups", self.num_groups)
        ch = shape[c]
        if ch is not None and ch % g:
            raise ArgumentError(
                check.message(
                    op, "num_groups", "divide the number of channels", num_groups=g, channels=ch
                )
            )
        view = (*shape[:c], g, None if ch is None else ch // g, *shape[c + 1 :])
        vb = tuple(j if j < c else j + 1 for j in b)
        return (c,), tuple(j for j in range(ndim + 1) if j not in vb and j != c), view
