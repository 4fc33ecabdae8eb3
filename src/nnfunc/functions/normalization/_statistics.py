"""Array-level pieces shared by the forward pass of ``Normalize`` and its gradient.

:class:`Layout` (which axes the statistics cover, for one shape of ``x``), :func:`statistics`
(the NumPy two-pass statistics), :func:`fast_plan` (which kernel of :mod:`nnfunc.kernels.cpu`
fits a call) and the parameter vectors the kernels take. These work on arrays only; nothing
here is differentiated.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from nnfunc.core.dtypes import accumulation_dtype, real_dtype

__all__ = [
    "MIN_INNER",
    "Layout",
    "Stats",
    "all_reduce_arrays",
    "chan_param",
    "fast_plan",
    "inverse_std",
    "row_param",
    "statistics",
]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: Fewest values after the kept block for the channel kernel (its loops run over them).
MIN_INNER = 16


class Stats:
    """What the forward pass computed that the first-order gradient reuses.

    ``x``: a weak reference to the array the statistics belong to (the gradient checks it is
    the same object; weak, so that a graph node does not keep its last input alive);
    ``mu``, ``inv``: mean and ``1 / sqrt(var + eps)`` (``Layout.stat_shape``, work dtype);
    ``n``: elements per statistic; ``kernel``: the kernel's own float64 ``(mean, inv)`` vectors
    when a kernel ran, else None; ``plan``: what :func:`fast_plan` said for ``x``.
    """

    def __init__(
        self, x: Any, mu: Any, inv: Any, n: float, kernel: Any = None, plan: Any = None
    ) -> None:
        try:
            self.x = weakref.ref(x)
        except TypeError:  # an array type without weak references: hold it
            self.x = lambda: x
        self.mu, self.inv, self.n, self.kernel, self.plan = mu, inv, n, kernel, plan

    def belong_to(self, x: Any) -> bool:
        """Whether these are the statistics of this very array."""
        return self.x() is x


class Layout:
    """Where the statistics of one call are taken, resolved for one shape of ``x``.

    Attributes:
        shape: ``x``'s shape (dimensions may be None in graph mode).
        raxes: the reduced axes (of ``view`` when there is one).
        view: ``x``'s shape as the statistics see it (groups split out), or None.
        view_arg: ``view`` with -1 for an unknown dimension (for reshape), or None.
        stat_shape: the statistics' shape (``view`` or ``x``'s with 1 on ``raxes``).
        full: per input, the parameter's shape broadcast against ``x`` (None if absent); in
            graph mode a dimension may be None (see ``check_param``).
        paxes: the axes of ``x`` the parameters follow (a compact parameter's axes).
        out_dtype, acc: the output dtype and the dtype the work is done in.
    """

    def __init__(
        self,
        shape: tuple,
        raxes: tuple,
        view: Any,
        stat_shape: tuple,
        full: list,
        dtype: Any,
        paxes: tuple = (),
    ) -> None:
        self.shape = shape
        self.paxes = paxes
        self.raxes = raxes
        self.view = view
        self.view_arg = None if view is None else tuple(-1 if d is None else d for d in view)
        self.stat_shape = stat_shape
        self.full = full
        self.out_dtype = real_dtype(dtype)
        self.acc = accumulation_dtype(self.out_dtype)


def _sum_sq(d: Any, axes: tuple[int, ...]) -> Any:
    """``sum(d * d, axes, keepdims=True)`` without a temporary of d's size."""
    if d.ndim <= len(_LETTERS) and type(d) is np.ndarray:
        sub = _LETTERS[: d.ndim]
        out = "".join(c for j, c in enumerate(sub) if j not in axes)
        r = np.einsum(f"{sub},{sub}->{out}", d, d)
        shape = tuple(1 if j in axes else n for j, n in enumerate(d.shape))
        return r.reshape(shape)
    return (d * d).sum(axis=axes, keepdims=True)


def all_reduce_arrays(comm: Any, group: str, *arrays: Any) -> list[Any]:
    """Sum each array over the replicas of ``comm`` in one message (identity without comm)."""
    if comm is None:
        return list(arrays)
    arrays = tuple(np.asarray(a) for a in arrays)
    flat = np.concatenate([a.astype(np.float64).ravel() for a in arrays])
    total = comm.all_reduce(flat, group)
    out, start = [], 0
    for a in arrays:
        out.append(total[start : start + a.size].reshape(a.shape).astype(a.dtype))
        start += a.size
    return out


def statistics(xp: Any, lay: Layout, x: Any, eps: float, comm: Any, group: str) -> tuple:
    """NumPy statistics of ``x``: ``(d, mu, var, inv, n)`` with ``d = x - mu`` in ``lay.view``.

    ``mu``, ``var`` and ``inv = 1 / sqrt(var + eps)`` have ``lay.stat_shape`` and dtype
    ``lay.acc``; ``n`` is the element count of a statistic (summed over replicas with comm).
    ``d`` is a new array the caller may overwrite.
    """
    acc = lay.acc
    xv = x.reshape(lay.view) if lay.view is not None else x
    if xv.dtype != acc:
        xv = xv.astype(acc)
    raxes = lay.raxes
    n_local = float(math.prod(xv.shape[a] for a in raxes))
    s = xv.sum(axis=raxes, keepdims=True)
    if comm is not None:
        n_arr, s = all_reduce_arrays(comm, group, np.asarray(n_local, acc), s)
        n = float(n_arr)
    else:
        n = n_local
    mu = s / acc.type(n)
    d = xv - mu
    m1, m2 = all_reduce_arrays(comm, group, d.sum(axis=raxes, keepdims=True), _sum_sq(d, raxes))
    c = m1 / acc.type(n)
    var = xp.maximum(m2 / acc.type(n) - c * c, 0).astype(acc, copy=False)
    mu = (mu + c).astype(acc, copy=False)
    inv = (1 / xp.sqrt(var + acc.type(eps))).astype(acc, copy=False)
    d -= c
    return d, mu, var, inv, n


def fast_plan(lay: Layout, x: Any, comm: Any) -> tuple | None:
    """How a kernel of :mod:`nnfunc.kernels.cpu` runs this call, or None (NumPy path).

    ``("rows", k, layouts)``: ``x`` is ``(prod(shape[:k]), prod(shape[k:]))`` rows to
    normalize; ``layouts[i]`` for the scale (1) and offset (2) is None (absent), ``"row"``
    (varies along the kept axes only) or ``"col"`` (along the normalized axes only).
    ``("chan", k0, k1)``: the kept axes are ``k0:k1``, ``x`` is ``(A, C, B)`` and both
    parameters vary along the kept axes only. ``("groups", G)``: group normalization of
    channel-first data (batch axis 0, channels 1, ``G`` groups) with per-channel parameters;
    ``x`` is ``(N, C, B)``. None for other axes or layouts, CuPy, a communicator, empty arrays.
    """
    if type(x) is not np.ndarray or comm is not None or x.size == 0:
        return None
    if lay.view is not None:
        return _group_plan(lay, x)
    nd = x.ndim
    raxes = lay.raxes
    kept = [j for j in range(nd) if j not in raxes]
    k = nd - len(raxes)
    if raxes == tuple(range(k, nd)):
        layouts: list[Any] = [None, None, None]
        for i in (1, 2):
            full = lay.full[i]
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
    if math.prod(x.shape[k1:]) < MIN_INNER:
        return None
    for i in (1, 2):
        full = lay.full[i]
        if full is not None and any(full[j] != 1 for j in raxes):
            return None
    return ("chan", k0, k1)


def _group_plan(lay: Layout, x: Any) -> tuple | None:
    """``("groups", G)`` when the view splits axis 1 of ``x`` into ``(G, C/G)`` and the
    statistics are over everything after axis 1 of the view."""
    v, shape = lay.view, x.shape
    if x.ndim < 2 or len(v) != x.ndim + 1 or v[0] != shape[0] or tuple(v[3:]) != shape[2:]:
        return None
    if v[1] * v[2] != shape[1] or lay.raxes != tuple(range(2, len(v))):
        return None
    want = (1, shape[1]) + (1,) * (x.ndim - 2)
    if any(lay.full[i] is not None and tuple(lay.full[i]) != want for i in (1, 2)):
        return None
    return ("groups", v[1])


def row_param(lay: Layout, p: Any, i: int, shape: tuple, k: int, layout: Any) -> Any:
    """Parameter ``i`` as the float64 vector the row kernel takes (rounded to acc first)."""
    if p is None or layout is None:
        return None
    full = np.broadcast_to(p.reshape(lay.full[i]), shape)
    part = full[(0,) * k] if layout == "col" else full[(Ellipsis, *(0,) * (len(shape) - k))]
    return part.astype(lay.acc, copy=False).astype(np.float64).reshape(-1)


def chan_param(lay: Layout, p: Any, i: int, shape: tuple, k0: int, k1: int) -> Any:
    """Parameter ``i`` as the float64 ``(C,)`` vector of the channel kernel, or None."""
    if p is None:
        return None
    full = np.broadcast_to(p.reshape(lay.full[i]), shape)
    part = full[(0,) * k0 + (slice(None),) * (k1 - k0) + (0,) * (len(shape) - k1)]
    return part.astype(lay.acc, copy=False).astype(np.float64).reshape(-1)


def inverse_std(lay: Layout, var: Any, eps: float) -> Any:
    """``1 / sqrt(var + eps)`` in the work dtype."""
    return (1 / np.sqrt(var + lay.acc.type(eps))).astype(lay.acc, copy=False)
