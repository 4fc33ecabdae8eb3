"""``NormalizeGrad``: the first-order gradients of a ``Normalize`` call, as one Function.

Its forward pass is the fused gradient: the backward kernels of :mod:`nnfunc.kernels.cpu`
(row and channel layouts) or the NumPy code below, reusing the statistics the forward pass
computed when it is given them (``Stats``; recomputed otherwise, e.g. in graph mode). Its own
backward is written with nnfunc functions, so that double backward and ``Graph.grad`` work.

Notation of the backward (per group of ``n`` elements over the reduced axes; ``M`` is the mean
over them, summed over replicas with a communicator): ``xhat = (x - M(x)) * inv``,
``inv = (var + eps)^(-1/2)``, ``g = gy * scale``. The input gradient is
``gx = core(g) + M'(gm) + 2 (x - M(x)) M'(gvar)`` with ``core(v) = inv (v - M(v) - xhat M(v
xhat))`` (the vector-Jacobian product of ``xhat``, symmetric in ``v``) and ``M'`` the
all-reduced value over ``n`` (the last two terms only with ``output_stat``). For an upstream
``u`` of ``gx``: d/dg is ``core(u)``; d/dx is ``-inv^2 (w - M(w) + xhat K)`` with
``w = M(u xhat) g + M(g xhat) u`` and ``K = M(u g) - M(g) M(u) - 3 M(g xhat) M(u xhat)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.distributed import all_reduce
from nnfunc.functions.array._shape_ops import sum_to
from nnfunc.functions.normalization._common import param_at_rank, reduced_count, sum_to_shape
from nnfunc.functions.normalization._statistics import (
    Stats,
    all_reduce_arrays,
    chan_param,
    fast_plan,
    row_param,
    statistics,
)
from nnfunc.kernels.cpu.batch_norm import group_normalize_backward, normalize_channels_backward
from nnfunc.kernels.cpu.layer_norm import normalize_rows_backward

__all__ = ["NormalizeGrad"]


class NormalizeGrad(Function):
    """Gradients of ``Normalize`` for the inputs in ``want`` (0: x, 1: scale, 2: offset).

    Inputs: ``x, scale, gy, gmean, gvariance`` (the last two: the statistics outputs'
    gradients, with ``output_stat`` only). Outputs, in ``want``'s order: ``gx`` (x's shape),
    the scale and offset gradients in their shape broadcast against ``x`` (``Layout.full``; the
    caller reshapes them to the parameters' own shapes). The offset is not an input: where its
    size was unknown when the graph was built (1 or x's size), its gradient keeps x's size and
    the caller sums it to the offset's run-time shape.
    """

    input_names = ("x", "scale", "gy", "gmean", "gvariance")
    retain_in = (0, 1, 2, 4)  # gx is linear in gmean: not needed

    def __init__(self, norm: Any, want: tuple[int, ...], offset_spec: Any, stats: Any) -> None:
        self.norm = norm
        self.op_name = f"{norm.op_name}_grad"
        self.want = want
        self.offset_spec = offset_spec
        self.stats = stats

    def setup(self, x: Any, scale: Any, gy: Any, gm: Any, gvar: Any) -> tuple:
        lay = self.norm.lay  # the forward pass's, unless graph mode resolved other sizes
        if lay.shape != tuple(x.shape):
            lay = self.norm.layout(x, scale, self.offset_spec)
        self.lay = lay
        self.dtypes = {0: np.dtype(x.dtype), 1: None, 2: None}
        if scale is not None:
            self.dtypes[1] = np.dtype(scale.dtype)
        if self.offset_spec is not None:
            self.dtypes[2] = np.dtype(self.offset_spec.dtype)
        off = lay.full[2]
        if off is not None:  # an unknown offset dim: not summed (see the class notes)
            off = tuple(d if f is None else f for f, d in zip(off, x.shape, strict=True))
        shapes = {0: tuple(x.shape), 1: lay.full[1], 2: off}
        return tuple(TensorSpec(shapes[i], self.dtypes[i]) for i in self.want)

    # ------------------------------------------------------------------ forward (arrays)
    def _stats(self, xp: Any, x: Any) -> Stats:
        st = self.stats
        if st is not None and st.belong_to(x):
            return st
        norm = self.norm
        _, mu, _, inv, n = statistics(xp, self.lay, x, norm.eps, norm.comm, norm.group)
        return Stats(x, mu, inv, n)

    def forward(self, xp: Any, x: Any, scale: Any, gy: Any, gm: Any, gvar: Any) -> tuple:
        st = self._stats(xp, x)
        self.stats = None  # used once; later passes recompute
        plan = st.plan if st.kernel is not None else fast_plan(self.lay, x, self.norm.comm)
        if self.norm.output_stat:
            plan = None
        if plan is not None and plan[0] == "rows":
            return self._rows(x, scale, gy, plan, st)
        if plan is not None and plan[0] == "groups":
            return self._groups(x, scale, gy, plan, st)
        if plan is not None:
            return self._channels(x, scale, gy, plan, st)
        return self._arrays(x, scale, gy, gm, gvar, st)

    def _kernel_stats(self, st: Stats) -> tuple[Any, Any]:
        if st.kernel is not None:
            return st.kernel
        return st.mu.reshape(-1).astype(np.float64), st.inv.reshape(-1).astype(np.float64)

    def _param(self, g: Any, i: int) -> Any:
        return sum_to_shape(g, self.lay.full[i]).astype(self.dtypes[i], copy=False)

    def _rows(self, x: Any, scale: Any, gy: Any, plan: Any, st: Stats) -> tuple:
        """Through the row kernel (``Normalize._forward_rows``)."""
        _, k, layouts = plan
        lay, want = self.lay, self.want
        acc = lay.acc
        shape = x.shape
        kdim = math.prod(shape[k:])
        xr = x.reshape(-1, kdim)
        if xr.dtype != acc:
            xr = xr.astype(acc)
        mean, inv = self._kernel_stats(st)
        rs = row_param(lay, scale, 1, shape, k, layouts[1]) if layouts[1] == "row" else None
        cs = row_param(lay, scale, 1, shape, k, layouts[1]) if layouts[1] == "col" else None
        want_cols = any(i in want and layouts[i] == "col" for i in (1, 2))
        gx, rsum, csum = normalize_rows_backward(
            xr,
            gy.reshape(-1, kdim).astype(acc, copy=False),
            mean,
            inv,
            rs,
            cs,
            0 in want,
            want_cols,
        )
        nd = len(shape)
        out = []
        for i in want:
            if i == 0:
                out.append(gx.reshape(shape).astype(self.dtypes[0], copy=False))
                continue
            which = 1 if i == 1 else 0  # scale: sum(gy * xhat); offset: sum(gy)
            if layouts[i] == "col":
                g = csum[which].reshape((1,) * k + shape[k:])
            else:
                g = rsum[which].reshape(shape[:k] + (1,) * (nd - k))
            out.append(self._param(g, i))
        return tuple(out)

    def _channels(self, x: Any, scale: Any, gy: Any, plan: Any, st: Stats) -> tuple:
        """Through the channel kernel (``Normalize._forward_channels``)."""
        _, k0, k1 = plan
        lay = self.lay
        acc = lay.acc
        shape = x.shape
        dims = (math.prod(shape[:k0]), math.prod(shape[k0:k1]), math.prod(shape[k1:]))
        x3 = x.reshape(dims)
        if x3.dtype != acc:
            x3 = x3.astype(acc)
        mean, inv = self._kernel_stats(st)
        sc = chan_param(lay, scale, 1, shape, k0, k1)
        gy3 = gy.reshape(dims).astype(acc, copy=False)
        gx, s1, s2 = normalize_channels_backward(x3, gy3, mean, inv, sc, 0 in self.want)
        sums = {1: s2, 2: s1}
        out = []
        for i in self.want:
            if i == 0:
                out.append(gx.reshape(shape).astype(self.dtypes[0], copy=False))
            else:
                out.append(self._param(sums[i].reshape(lay.stat_shape), i))
        return tuple(out)

    def _groups(self, x: Any, scale: Any, gy: Any, plan: Any, st: Stats) -> tuple:
        """Through the group kernels (``Normalize._forward_groups``)."""
        lay = self.lay
        acc = lay.acc
        shape = x.shape
        dims = (shape[0], shape[1], math.prod(shape[2:]))
        x3 = x.reshape(dims)
        if x3.dtype != acc:
            x3 = x3.astype(acc)
        mean, inv = self._kernel_stats(st)
        sc = chan_param(lay, scale, 1, shape, 1, 2)
        gy3 = gy.reshape(dims).astype(acc, copy=False)
        gx, s_off, s_sc = group_normalize_backward(x3, gy3, plan[1], mean, inv, sc, 0 in self.want)
        pshape = (1, shape[1]) + (1,) * (len(shape) - 2)
        sums = {1: s_sc, 2: s_off}
        out = []
        for i in self.want:
            if i == 0:
                out.append(gx.reshape(shape).astype(self.dtypes[0], copy=False))
            else:
                out.append(self._param(sums[i].reshape(pshape), i))
        return tuple(out)

    def _arrays(self, x: Any, scale: Any, gy: Any, gm: Any, gvar: Any, st: Stats) -> tuple:
        """NumPy: every layout, groups, communicators, statistics outputs."""
        lay, norm = self.lay, self.norm
        acc, view = lay.acc, lay.view
        gy = gy.astype(acc, copy=False)
        xv = x.reshape(view) if view is not None else x
        xhat = xv.astype(acc) if xv.dtype != acc else xv.copy()
        xhat -= st.mu
        xhat *= st.inv
        grads: dict[int, Any] = {}
        if 2 in self.want:
            grads[2] = self._param(gy, 2)
        if 1 in self.want:
            grads[1] = self._param(gy * xhat.reshape(x.shape), 1)
        if 0 in self.want:
            g = gy * scale.reshape(lay.full[1]).astype(acc) if scale is not None else gy
            gv = g.reshape(view) if view is not None else g
            raxes = lay.raxes
            # The statistics are shared: their gradients come from every replica.
            extra = [gm.astype(acc), gvar.astype(acc)] if norm.output_stat else []
            s1, s2, *gstat = all_reduce_arrays(
                norm.comm,
                norm.group,
                gv.sum(axis=raxes, keepdims=True),
                (gv * xhat).sum(axis=raxes, keepdims=True),
                *extra,
            )
            nn = acc.type(st.n)
            gx = gv - s1 / nn
            gx -= xhat * (s2 / nn)
            gx *= st.inv
            if norm.output_stat:
                gmr, gvr = gstat
                gx += gmr / nn
                gx += (xhat / st.inv) * (2 * gvr / nn)
            grads[0] = gx.reshape(x.shape).astype(self.dtypes[0], copy=False)
        return tuple(grads[i] for i in self.want)

    # ------------------------------------------------------------------ backward (nnfunc)
    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, scale, gy, gvar = self.retained_inputs()
        e = _Expressions(self, x)
        upstream = dict(zip(self.want, grad_outputs, strict=True))
        gyu = e.up(gy)
        full1 = self.lay.full[1]
        sf = None if scale is None else e.up(param_at_rank(scale, full1, self.lay.paxes))
        u = upstream.get(0)
        uv = None if u is None else e.view(e.up(u))
        ggs = None if upstream.get(1) is None else e.up(upstream[1])
        ggo = None if upstream.get(2) is None else e.up(upstream[2])
        cu = None if uv is None else e.unview(e.core(uv))
        out: list[Any] = [None] * 5
        if 2 in target_indexes:
            out[2] = self._grad_gy(e, cu, sf, ggs, ggo)
        if 1 in target_indexes and cu is not None:
            # a size unknown now: summed to the scale's run-time shape (sf), never to a None
            r = sum_to(gyu * cu, sf if None in full1 else full1, dtype=self.input_spec(1).dtype)
            if len(self.input_spec(1).shape) != len(full1):
                r = self.reshape_to_input(r, 1)
            out[1] = r
        if 0 in target_indexes:
            g = gyu if sf is None else gyu * sf
            out[0] = self._grad_x(e, g, uv, ggs, gyu, gvar)
        if 3 in target_indexes and uv is not None:
            out[3] = self._to_input_dtype(e.mean(uv), 3)
        if 4 in target_indexes and uv is not None:
            out[4] = self._to_input_dtype(e.mean(uv * e.d) * 2.0, 4)
        return tuple(out)

    def _to_input_dtype(self, v: Any, i: int) -> Any:
        dt = self.input_spec(i).dtype
        return F.cast(v, dt) if np.dtype(v.dtype) != np.dtype(dt) else v

    def _grad_gy(self, e: _Expressions, cu: Any, sf: Any, ggs: Any, ggo: Any) -> Any:
        """d/dgy: ``scale * core(u)`` (from gx), ``ggs * xhat`` (gscale), ``ggo`` (goffset)."""
        terms = []
        if cu is not None:
            terms.append(cu if sf is None else cu * sf)
        if ggs is not None:
            terms.append(ggs * e.unview(e.xhat))
        if ggo is not None:
            terms.append(ggo)
        t = _total(terms)
        if len(terms) == 1 and ggo is not None:
            t = self.broadcast_to_input(t, 2)
        return self._to_input_dtype(t, 2)

    def _grad_x(self, e: _Expressions, g: Any, uv: Any, ggs: Any, gyu: Any, gvar: Any) -> Any:
        """d/dx (see the module notes), from gx's upstream ``uv`` and gscale's ``ggs``."""
        terms = []
        if uv is not None:
            gv, xhat, mean = e.view(g), e.xhat, e.mean
            a, b = mean(gv), mean(gv * xhat)
            mu_u, c = mean(uv), mean(uv * xhat)
            k = mean(uv * gv) - a * mu_u - 3.0 * b * c
            w = c * gv + b * uv
            terms.append(-(e.inv * e.inv) * (w - (c * a + b * mu_u) + xhat * k))
            if self.norm.output_stat:
                v = uv * (e.shared(gvar) * 2.0)
                terms.append(v - mean(v))
        if ggs is not None:
            terms.append(e.core(e.view(ggs * gyu)))
        return self._to_input_dtype(e.unview(_total(terms)), 0) if terms else None


class _Expressions:
    """The forward quantities of one ``NormalizeGrad``, rebuilt with nnfunc functions (so
    that they are differentiated again): ``d = x - M(x)``, ``inv``, ``xhat``, the mean ``M``
    over the reduced axes (all-reduced with a communicator) and ``core``."""

    def __init__(self, grad: NormalizeGrad, x: Any) -> None:
        lay, norm = grad.lay, grad.norm
        self.grad, self.lay, self.acc = grad, lay, lay.acc
        self.comm, self.group = norm.comm, norm.group
        xv = self.view(self.up(x))
        vshape = tuple(lay.view) if lay.view is not None else tuple(grad.input_spec(0).shape)
        self.n = reduced_count(xv, vshape, lay.raxes, self.acc, self.comm, self.group)
        self.d = xv - self.mean(xv)
        self.inv = F.pow(self.mean(self.d * self.d) + norm.eps, -0.5)
        self.xhat = self.d * self.inv

    def up(self, v: Any) -> Any:
        return F.cast(v, self.acc) if np.dtype(v.dtype) != self.acc else v

    def view(self, v: Any) -> Any:
        return F.reshape(v, self.lay.view_arg) if self.lay.view is not None else v

    def unview(self, v: Any) -> Any:
        return self.grad.reshape_to_input(v, 0) if self.lay.view is not None else v

    def mean(self, v: Any) -> Any:
        if self.comm is None:
            return F.mean(v, self.lay.raxes, keepdims=True)
        return all_reduce(F.sum(v, self.lay.raxes, keepdims=True), self.comm, self.group) / self.n

    def shared(self, v: Any) -> Any:
        """A statistic's gradient, summed over the replicas, over n (as the forward adds it)."""
        v = all_reduce(self.up(v), self.comm, self.group) if self.comm is not None else self.up(v)
        return v * (1.0 / self.n) if isinstance(self.n, float) else v / self.n

    def core(self, v: Any) -> Any:
        """The vector-Jacobian product of ``xhat`` (symmetric in ``v``)."""
        return self.inv * (v - self.mean(v) - self.xhat * self.mean(v * self.xhat))


def _total(terms: list[Any]) -> Any:
    t = terms[0]
    for v in terms[1:]:
        t = t + v
    return t
