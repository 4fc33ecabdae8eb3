"""Blocked scaled dot-product attention (FlashAttention-style) on NumPy's BLAS.

The kernels behind :func:`nnfunc.dot_product_attention`. Layout: query ``(B, N, T, H)``, key
``(B, K, S, H)``, value ``(B, K, S, Hv)`` with ``N = K * G`` (grouped-query attention: the ``G``
query heads of a key head are stacked as ``G * T`` rows of one GEMM, never a repeated key);
``bias`` (float) and ``mask`` (bool, True = attend) of rank 4, each dimension 1 or full
(broadcast to ``(B, N, T, S)``); ``causal`` keeps key ``s`` for query ``t`` when ``s <= t``
(the lower triangle aligned at the top left, as Keras and PyTorch align it).

* :func:`attention_forward` walks over tiles of (key heads, query rows, key columns) with an
  online softmax (running row maximum and sum), so that no more than one tile of scores exists
  at a time: extra memory ``O(heads_per_tile * rows_per_tile * cols_per_tile)``, never
  ``O(T * S)``. It returns the output and the row log-sum-exp ``lse`` (0 for a row whose
  every key is masked: that row's output is 0).
* :func:`attention_backward` recomputes each tile's probabilities ``exp(s - lse)`` from the
  saved ``lse`` and accumulates the gradients of query, key, value (and bias) tile by tile.

Causal calls never compute tiles above the diagonal: a query block meets the keys left of
it in full tiles, then its diagonal block in sub-blocks of :data:`CAUSAL_ROWS` rows, each
against the keys up to its own last row. Tiles are batched GEMMs (``np.matmul`` on
``(heads, rows, H)`` stacks, which call BLAS once per head, keys and values pre-transposed
once); the forward's query blocks, and the backward's (batch, head chunk) pairs (whose key
gradients they share), are split over :mod:`nnfunc.kernels.cpu._threads`, with OpenBLAS on
one thread meanwhile. float16 works in float32. The per-tile softmax steps run as numba
kernels (``_jit.attention_kernels``) on float32 NumPy data, else as the NumPy twins here
(float64, CuPy, ``NNFUNC_DISABLE_NUMBA=1``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu._jit import attention_kernels, attention_scaled_step
from nnfunc.kernels.cpu._threads import num_threads, run
from nnfunc.kernels.cpu.blas import one_thread_blas

__all__ = [
    "attention_backward",
    "attention_forward",
    "ds_rows_numpy",
    "exp_rows_numpy",
    "online_step_numpy",
    "online_step_scaled_numpy",
    "tile_sizes",
]

#: Score elements per tile (heads * rows * cols): 2**18 float32 = 1 MiB, so that the few
#: passes over a tile (bias, mask, max, exp, sum) stay in cache; more heads per tile also
#: amortise the per-call overhead of the small diagonal pieces of causal calls (measured
#: 2**16..2**20: within 5% of each other, 2**18 the best compromise).
TILE_ELEMENTS = 1 << 18
#: Query rows and key columns of a tile (at most): 512 x 512 per head keeps OpenBLAS's
#: single-thread GEMMs near their best (~95 GFLOP/s here, ~80 at 128 x 128) and, for
#: sequences up to 512, needs no online rescaling (one key block per query row; measured on
#: (8, 12, 512, 64): 89.5 ms one-thread CPU forward against 93.2 with 256 x 256 tiles).
ROWS = 512
COLS = 512
#: Causal calls: (rows, cols) 256 x 256 tiles, so that the keys left of a tile's diagonal
#: block go through full tiles (with 512 rows, a 512-query call is all diagonal, in thin
#: sub-blocks: 17 % slower).
CAUSAL_TILE = (256, 256)
#: Causal calls cut a tile's diagonal block into sub-blocks of this many query rows, each
#: against the keys up to its last row: little of the upper triangle is computed, while the
#: keys left of the diagonal still go through full tiles (measured best of 32..128).
CAUSAL_ROWS = 64


def tile_sizes(
    batch: int, k_heads: int, groups: int, t: int, s: int, causal: bool = False
) -> tuple[int, int, int]:
    """(key heads, query rows, key columns) per tile.

    A tile holds about :data:`TILE_ELEMENTS` scores.
    """
    rmax, cmax = CAUSAL_TILE if causal else (ROWS, COLS)
    cols = min(s, cmax) if s > 0 else 1
    rows = min(t, rmax) if t > 0 else 1
    heads = max(1, min(k_heads, TILE_ELEMENTS // max(1, groups * rows * cols)))
    return heads, rows, cols


def _blk(a: Any, b: int, n0: int, n1: int, t0: int, t1: int, s0: int, s1: int) -> Any:
    """The tile of a rank-4 bias or mask (size-1 dimensions kept at 1)."""
    return a[
        b if a.shape[0] > 1 else 0,
        slice(n0, n1) if a.shape[1] > 1 else slice(0, 1),
        slice(t0, t1) if a.shape[2] > 1 else slice(0, 1),
        slice(s0, s1) if a.shape[3] > 1 else slice(0, 1),
    ]


def _heads4(a: Any, c: int, g: int) -> Any:
    """A tile ``(c * g or 1, rows, cols)`` of bias or mask as ``(c or 1, g or 1, rows, cols)``."""
    if a.shape[0] == 1:
        return a.reshape((1, 1) + a.shape[1:])
    return a.reshape((c, g) + a.shape[1:])


# ---------------------------------------------------------------------------- tile steps
def online_step_numpy(s: Any, m: Any, msafe: Any, lsum: Any, alpha: Any) -> None:
    """One key block of the online softmax on the scores ``s`` (R, C), in place (NumPy twin).

    Per row: the running maximum ``m`` (``-inf`` while every key so far is masked), its finite
    shift ``msafe`` (0 instead of ``-inf``, so that ``exp(-inf - 0) = 0``, never NaN),
    ``s <- exp(s - msafe)``, the factor ``alpha = exp(old msafe - msafe)`` that rescales the
    previous sums (0 while nothing was summed) and ``lsum <- lsum * alpha + sum(s)``. ``m, msafe,
    lsum, alpha`` have shape (R,).
    """
    xp = get_array_module(s)
    old = m.copy()
    xp.maximum(m, s.max(axis=1), out=m)
    new_safe = xp.where(m == -np.inf, 0, m).astype(s.dtype)
    s -= new_safe[:, None]
    xp.exp(s, out=s)
    a = xp.exp(msafe - new_safe)
    a[old == -np.inf] = 0
    alpha[...] = a
    lsum *= a
    lsum += s.sum(axis=1)
    msafe[...] = new_safe


def online_step_scaled_numpy(
    s: Any, scale: float, m: Any, msafe: Any, lsum: Any, alpha: Any
) -> None:
    """:func:`online_step_numpy` on the scores ``scale * s`` (``scale > 0``), in place."""
    s *= scale
    online_step_numpy(s, m, msafe, lsum, alpha)


def exp_rows_numpy(s: Any, lse: Any) -> None:
    """``s <- exp(s - lse)`` per row (R, C) with ``lse`` (R,): a tile's probabilities."""
    xp = get_array_module(s)
    s -= lse[:, None]
    xp.exp(s, out=s)


def ds_rows_numpy(dp: Any, p: Any, d: Any) -> None:
    """``dp <- p * (dp - d)`` per row: a tile's score gradient."""
    dp -= d[:, None]
    dp *= p


def _steps(s: Any) -> tuple[Any, Any, Any]:
    """(online_step, exp_rows, ds_rows) for the tile array ``s``: numba for float32 NumPy."""
    if type(s) is np.ndarray and s.dtype == np.float32 and numba_enabled():
        k = attention_kernels()
        return k["attn_online_step"], k["attn_exp_rows"], k["attn_ds_rows"]
    return online_step_numpy, exp_rows_numpy, ds_rows_numpy


def _scaled_step(s: Any) -> Any:
    """The online step with the scale folded in, for the tile array ``s`` (as :func:`_steps`)."""
    if type(s) is np.ndarray and s.dtype == np.float32 and numba_enabled():
        return attention_scaled_step()
    return online_step_scaled_numpy


# ---------------------------------------------------------------------------- BLAS threads
def _ranges(n: int, work: int) -> list[tuple[int, int]]:
    """Split ``n`` work items over the threads (a few ranges each); one range when small."""
    threads = min(num_threads(), n) if work >= 1 << 22 else 1
    if threads <= 1:
        return [(0, n)]
    parts = min(n, 4 * threads)
    return [(n * i // parts, n * (i + 1) // parts) for i in range(parts)]


# ---------------------------------------------------------------------------- plan
class _Plan:
    """Shapes and tiles of one call."""

    def __init__(self, q: Any, k: Any, v: Any, causal: bool) -> None:
        self.B, self.N, self.T, self.H = q.shape
        self.K, self.S, self.Hv = k.shape[1], k.shape[2], v.shape[3]
        self.G = self.N // self.K
        self.hc, self.qb, self.kb = tile_sizes(self.B, self.K, self.G, self.T, self.S, causal)
        self.sub = max(1, min(self.qb, CAUSAL_ROWS))
        self.causal = causal

    def work(self) -> int:
        return self.B * self.N * self.T * max(self.S, 1) * (self.H + self.Hv)

    def tiles(self, b: int, c0: int) -> list[tuple[int, int, int, int, int]]:
        """(b, c0, c1, t0, t1): the query blocks of one (batch, key-head chunk) pair."""
        c1 = min(self.K, c0 + self.hc)
        return [(b, c0, c1, t0, min(self.T, t0 + self.qb)) for t0 in range(0, self.T, self.qb)]

    def pairs(self) -> list[tuple[int, int]]:
        """(batch, first key head) of each head chunk."""
        return [(b, c0) for b in range(self.B) for c0 in range(0, self.K, self.hc)]

    def pieces(self, t0: int, t1: int) -> Any:
        """(j0, j1, s0, s1): query rows ``t0 + [j0, j1)`` of a tile against keys ``[s0, s1)``.

        Without the causal mask: every row against each key block. Causal: every row against
        the key blocks left of the tile's first row (all visible), then the diagonal in
        sub-blocks of :data:`CAUSAL_ROWS` rows, each against the keys from ``t0`` up to its
        own last row.
        """
        rows = t1 - t0
        if not self.causal:
            for s0 in range(0, self.S, self.kb):
                yield 0, rows, s0, min(self.S, s0 + self.kb)
            return
        left = min(t0, self.S)
        for s0 in range(0, left, self.kb):
            yield 0, rows, s0, min(left, s0 + self.kb)
        if t0 >= self.S:
            return
        for j0 in range(0, rows, self.sub):
            j1 = min(rows, j0 + self.sub)
            yield j0, j1, t0, min(self.S, t0 + j1)


def _scores(
    xp: Any,
    plan: _Plan,
    qs: Any,
    kt: Any,
    bias: Any,
    mask: Any,
    b: int,
    c0: int,
    c1: int,
    t0: int,
    t1: int,
    s0: int,
    s1: int,
    out: Any = None,
) -> Any:
    """Scaled scores of one tile, ``(c, G * rows, cols)``, masked entries ``-inf``.

    ``kt`` is the tile's keys transposed, ``(c, H, cols)``; ``out`` a flat buffer to write the
    scores into (None: a new array).
    """
    c, g = c1 - c0, plan.G
    sc = xp.matmul(qs, kt, out=None if out is None else _view(out, (c, qs.shape[1], s1 - s0)))
    s4 = sc.reshape(c, g, t1 - t0, s1 - s0)
    n0, n1 = c0 * g, c1 * g
    if bias is not None:
        s4 += _heads4(_blk(bias, b, n0, n1, t0, t1, s0, s1), c, g)
    if mask is not None:
        keep = _heads4(_blk(mask, b, n0, n1, t0, t1, s0, s1), c, g)
        xp.copyto(s4, -np.inf, where=~keep)
    if plan.causal and s1 - 1 > t0:  # the tile crosses the diagonal
        above = xp.arange(t0, t1)[:, None] < xp.arange(s0, s1)[None, :]
        xp.copyto(s4, -np.inf, where=above)
    return sc


def _view(flat: Any, shape: tuple[int, ...]) -> Any:
    """The first ``prod(shape)`` elements of the flat buffer ``flat`` as an array of ``shape``.

    The tile loops write their GEMM results into a few buffers allocated once per thread and
    call: a fresh megabyte-sized result per tile costs page faults and cold cache lines (the
    per-head GEMMs of a (8, 12, 512, 64) forward took ~80 ms of CPU with fresh results against
    ~47 ms into one reused buffer)."""
    n = 1
    for d in shape:
        n *= d
    return flat[:n].reshape(shape)


def _sub_rows(x: Any, groups: int, rows: int, j0: int, j1: int, lead: int) -> Any:
    """Rows ``j0:j1`` of each of the ``groups`` row groups of ``x``: ``(lead, groups/lead * n,
    ...)`` (a copy unless NumPy can give a view)."""
    tail = x.shape[2:] if x.ndim > 2 else ()
    sub = x.reshape((groups, rows) + tail)[:, j0:j1]
    return sub.reshape((lead, -1) + tail)


def _like(xp: Any, x: Any, shape: tuple[int, ...], dtype: Any, zero: bool = False) -> Any:
    """A new ``shape`` array whose axes lie in memory in the order of ``x``'s axes.

    The public function hands the kernel the (B, N, T, H) views of its layout's arrays: for
    the default (B, T, N, H) layout, an output in that memory order makes the transposes back
    (and the head merge of multi-head attention, a reshape) views instead of copies.
    """
    order = sorted(range(4), key=lambda i: (-abs(x.strides[i]), i)) if x.ndim == 4 else range(4)
    order = list(order)
    make = xp.zeros if zero else xp.empty
    base = make(tuple(shape[i] for i in order), dtype)
    return base.transpose([order.index(i) for i in range(4)])


def _work_dtype(q: Any) -> Any:
    return np.float64 if q.dtype == np.float64 else np.float32


def _prepare(q: Any, k: Any, v: Any, bias: Any) -> tuple[Any, Any, Any, Any, Any]:
    acc = _work_dtype(q)
    k = k.astype(acc, copy=False)
    v = v.astype(acc, copy=False)
    if bias is not None:
        bias = bias.astype(acc, copy=False)
    return acc, k, v, bias, get_array_module(q)


def _clean_keys(xp: Any, k: Any, v: Any, mask: Any) -> tuple[Any, Any]:
    """Keys and values with rows that no query sees set to 0 when they hold NaN or inf.

    A masked score is overwritten with ``-inf`` (probability 0), but ``0 * NaN`` in the value
    product or the gradient GEMMs would still be NaN. For a key mask (dims T and N of size
    1: padding, sequence lengths) such rows can be cleaned once; a general mask cannot.
    """
    if mask is None or mask.shape[1] != 1 or mask.shape[2] != 1:
        return k, v
    if xp.isfinite(k).all() and xp.isfinite(v).all():
        return k, v
    keep = mask[:, 0, 0, :][:, None, :, None]  # (B or 1, 1, S, 1)
    return xp.where(keep, k, 0).astype(k.dtype), xp.where(keep, v, 0).astype(v.dtype)


# ---------------------------------------------------------------------------- forward
def attention_forward(
    q: Any, k: Any, v: Any, bias: Any, mask: Any, scale: float, causal: bool
) -> tuple[Any, Any]:
    """Output ``(B, N, T, Hv)`` and row log-sum-exp ``(B, N, T)``, both in the work dtype.

    The work dtype is float64 for float64 queries, else float32. ``bias`` and ``mask`` are
    rank-4 arrays (or None) whose dimensions are 1 or full. A row whose every key is masked
    gets output 0 and ``lse`` 0.
    """
    acc, k, v, bias, xp = _prepare(q, k, v, bias)
    k, v = _clean_keys(xp, k, v, mask)
    plan = _Plan(q, k, v, causal)
    B, N, T, G, Hv = plan.B, plan.N, plan.T, plan.G, plan.Hv
    out = _like(xp, q, (B, N, T, Hv), acc)
    lse = xp.empty((B, N, T), acc)
    # (B, K, H, S): a strided view; BLAS reads it transposed (a transposed copy of the keys
    # cost ~13 ms of a ~90 ms (8, 12, 512, 64) forward, the strided operand ~2 ms)
    kt = k.swapaxes(-1, -2)
    tiles = [t for b, c0 in plan.pairs() for t in plan.tiles(b, c0)]
    if causal:  # the last query blocks see the most keys: start them first
        tiles.sort(key=lambda t: -t[3])
    step = _steps(xp.empty(0, acc))[0]
    # Without a bias (added to the SCALED scores), a positive scale goes into the softmax
    # step instead of a scaled copy of each query tile (masks' -inf stay -inf): one pass over
    # the queries less, and their tiles go to BLAS as views.
    fold = bias is None and scale > 0 and q.dtype == acc
    sstep = _scaled_step(xp.empty(0, acc)) if fold else None
    wscale = acc(scale)  # in the work dtype: a float64 scale would make numba's loop float64

    hc, qb, kb, H = plan.hc, plan.qb, plan.kb, plan.H

    def work(i0: int, i1: int) -> None:
        rmax = hc * G * qb
        qbuf = xp.empty(rmax * H, acc)
        sbuf = xp.empty(rmax * kb, acc)
        obuf = xp.empty(rmax * Hv, acc)
        pbuf = xp.empty(rmax * Hv, acc)
        for b, c0, c1, t0, t1 in tiles[i0:i1]:
            c, n0, n1, rows = c1 - c0, c0 * G, c1 * G, t1 - t0
            r = c * G * rows
            if fold:
                qs = q[b, n0:n1, t0:t1].reshape(c, G * rows, H)  # a view unless G > 1
            else:
                qs = _view(qbuf, (c, G * rows, H))
                xp.multiply(q[b, n0:n1, t0:t1], scale, out=qs.reshape(c * G, rows, H), dtype=acc)
            state = xp.empty((4, r), acc)  # running max, its finite shift, sum, rescale
            state[0] = -np.inf
            state[1:] = 0
            o = _view(obuf, (c, G * rows, Hv))
            if plan.S == 0:
                o[...] = 0
            for j0, j1, s0, s1 in plan.pieces(t0, t1):
                n = j1 - j0
                whole = n == rows
                qp = qs if whole else _sub_rows(qs, c * G, rows, j0, j1, c)
                st = state if whole else _sub_rows(state, 4 * c * G, rows, j0, j1, 4).copy()
                kc = kt[b, c0:c1, :, s0:s1]
                sc = _scores(
                    xp, plan, qp, kc, bias, mask, b, c0, c1, t0 + j0, t0 + j1, s0, s1, sbuf
                )
                if fold:
                    sstep(sc.reshape(-1, s1 - s0), wscale, st[0], st[1], st[2], st[3])
                else:
                    step(sc.reshape(-1, s1 - s0), st[0], st[1], st[2], st[3])
                vc = v[b, c0:c1, s0:s1]
                if s0 == 0 and whole:  # the rows' first key block: nothing to rescale
                    xp.matmul(sc, vc, out=o)
                else:
                    op = o.reshape(c, G, rows, Hv)[:, :, j0:j1]
                    pv = xp.matmul(sc, vc, out=_view(pbuf, (c, G * n, Hv)))
                    pv = pv.reshape(c, G, n, Hv)
                    if s0 == 0:
                        op[...] = pv
                    else:
                        op *= st[3].reshape(c, G, n, 1)
                        op += pv
                if not whole:
                    state.reshape(4, c * G, rows)[:, :, j0:j1] = st.reshape(4, c * G, n)
            msafe, ls = state[1], state[2]
            seen = ls > 0
            xp.divide(
                o.reshape(c * G, rows, Hv),
                xp.where(seen, ls, 1).reshape(c * G, rows, 1),
                out=out[b, n0:n1, t0:t1],
            )
            with np.errstate(divide="ignore"):
                row_lse = xp.where(seen, msafe + xp.log(xp.where(seen, ls, 1)), 0)
            lse[b, n0:n1, t0:t1] = row_lse.reshape(c * G, rows)

    ranges = _ranges(len(tiles), plan.work())
    with one_thread_blas(xp is np):
        run(work, ranges)
    return out, lse


# ---------------------------------------------------------------------------- backward
def attention_backward(
    q: Any,
    k: Any,
    v: Any,
    bias: Any,
    mask: Any,
    scale: float,
    causal: bool,
    out: Any,
    lse: Any,
    gy: Any,
    bias_grad: bool,
) -> tuple[Any, Any, Any, Any]:
    """Gradients of query, key, value and (when ``bias_grad``) the rank-4 bias, work dtype.

    ``out`` and ``lse`` are :func:`attention_forward`'s results for the same arguments; ``gy``
    is the output gradient ``(B, N, T, Hv)``. The bias gradient has the bias's shape (None
    without ``bias_grad``). Each tile's probabilities are recomputed as ``exp(s - lse)``.
    """
    acc, k, v, bias, xp = _prepare(q, k, v, bias)
    k, v = _clean_keys(xp, k, v, mask)
    plan = _Plan(q, k, v, causal)
    B, N, T, G, H, Hv = plan.B, plan.N, plan.T, plan.G, plan.H, plan.Hv
    gq = _like(xp, q, (B, N, T, H), acc)
    gk = _like(xp, k, (B, plan.K, plan.S, H), acc, zero=True)
    gv = _like(xp, v, (B, plan.K, plan.S, Hv), acc, zero=True)
    # The query blocks of one (batch, head chunk) pair add into the same key rows of gk, gv:
    # a range takes whole pairs. Each range has its own bias gradient (broadcast dimensions
    # of the bias sum over many pairs), added up at the end.
    pairs = plan.pairs()
    ranges = _ranges(len(pairs), plan.work())
    with_bias = bias_grad and bias is not None
    gbs = [xp.zeros(bias.shape, acc) if with_bias else None for _ in ranges]
    _, exp_rows, ds_rows = _steps(xp.empty(0, acc))
    kt, vt = k.swapaxes(-1, -2), v.swapaxes(-1, -2)  # strided views, as in the forward

    hc, qb, kb = plan.hc, plan.qb, plan.kb

    def work(i0: int, i1: int) -> None:
        gb = gbs[ranges.index((i0, i1))]
        rmax = hc * G * qb
        qbuf = xp.empty(rmax * H, acc)
        pbuf = xp.empty(rmax * kb, acc)
        dbuf = xp.empty(rmax * kb, acc)
        tbuf = xp.empty(max(rmax * H, hc * kb * max(H, Hv)), acc)
        dqbuf = xp.empty(rmax * H, acc)
        gobuf = xp.empty(rmax * Hv, acc)
        for b, c0 in pairs[i0:i1]:
            for _, _, c1, t0, t1 in plan.tiles(b, c0):
                c, n0, n1, rows = c1 - c0, c0 * G, c1 * G, t1 - t0
                r = c * G * rows
                qs = _view(qbuf, (c, G * rows, H))
                xp.multiply(q[b, n0:n1, t0:t1], scale, out=qs.reshape(c * G, rows, H), dtype=acc)
                # a contiguous copy: the (B, T, N, H) layout's views have rows N * Hv apart,
                # and go feeds three GEMMs
                go = _view(gobuf, (c, G * rows, Hv))
                go.reshape(c * G, rows, Hv)[...] = gy[b, n0:n1, t0:t1]
                ob = out[b, n0:n1, t0:t1].reshape(c, G * rows, Hv)
                d = xp.einsum("ijk,ijk->ij", go, ob).reshape(r)
                rl = xp.ascontiguousarray(lse[b, n0:n1, t0:t1]).reshape(r)
                dq = _view(dqbuf, (c, G * rows, H))
                dq_set = False  # the first whole piece writes dq, the others add
                # the pair's first query tile writes the key and value gradients of every key
                # block (without the causal mask it meets all of them, whole): no add pass
                first = not plan.causal and t0 == 0
                for j0, j1, s0, s1 in plan.pieces(t0, t1):
                    n, w = j1 - j0, s1 - s0
                    if n == rows:
                        qp, gop, dp, rlp = qs, go, d, rl
                    else:
                        qp = _sub_rows(qs, c * G, rows, j0, j1, c)
                        gop = _sub_rows(go, c * G, rows, j0, j1, c)
                        dp = _sub_rows(d, c * G, rows, j0, j1, 1)[0].copy()
                        rlp = _sub_rows(rl, c * G, rows, j0, j1, 1)[0].copy()
                    kc = k[b, c0:c1, s0:s1]
                    ktc = kt[b, c0:c1, :, s0:s1]
                    p = _scores(
                        xp, plan, qp, ktc, bias, mask, b, c0, c1, t0 + j0, t0 + j1, s0, s1, pbuf
                    )
                    exp_rows(p.reshape(-1, w), rlp)
                    pt = p.swapaxes(-1, -2)
                    if first:
                        xp.matmul(pt, gop, out=gv[b, c0:c1, s0:s1])
                    else:
                        gv[b, c0:c1, s0:s1] += xp.matmul(pt, gop, out=_view(tbuf, (c, w, Hv)))
                    ds = xp.matmul(gop, vt[b, c0:c1, :, s0:s1], out=_view(dbuf, p.shape))
                    ds_rows(ds.reshape(-1, w), p.reshape(-1, w), dp)
                    if gb is not None:
                        _add_bias_grad(gb, ds, b, c, G, n0, n1, t0 + j0, t0 + j1, s0, s1)
                    if not dq_set and n == rows:
                        xp.matmul(ds, kc, out=dq)
                    else:
                        if not dq_set:
                            dq[...] = 0
                        dqp = xp.matmul(ds, kc, out=_view(tbuf, (c, G * n, H)))
                        dq.reshape(c, G, rows, H)[:, :, j0:j1] += dqp.reshape(c, G, n, H)
                    dq_set = True
                    dst = ds.swapaxes(-1, -2)
                    if first:
                        xp.matmul(dst, qp, out=gk[b, c0:c1, s0:s1])
                    else:
                        gk[b, c0:c1, s0:s1] += xp.matmul(dst, qp, out=_view(tbuf, (c, w, H)))
                if not dq_set:
                    dq[...] = 0
                xp.multiply(dq.reshape(c * G, rows, H), scale, out=gq[b, n0:n1, t0:t1])

    with one_thread_blas(xp is np):
        run(work, ranges)
    gbias = gbs[0]
    if gbias is not None:
        for extra in gbs[1:]:
            gbias += extra
    return gq, gk, gv, gbias


def _add_bias_grad(
    gb: Any, ds: Any, b: int, c: int, g: int, n0: int, n1: int, t0: int, t1: int, s0: int, s1: int
) -> None:
    """Add a tile's score gradient into the bias gradient, summed over broadcast dimensions."""
    rows, cols = t1 - t0, s1 - s0
    d = ds.reshape(c * g, rows, cols)
    axes = tuple(i for i, n in enumerate(gb.shape[1:]) if n == 1)
    if axes:
        d = d.sum(axis=axes, keepdims=True)
    gb[
        b if gb.shape[0] > 1 else 0,
        slice(n0, n1) if gb.shape[1] > 1 else slice(0, 1),
        slice(t0, t1) if gb.shape[2] > 1 else slice(0, 1),
        slice(s0, s1) if gb.shape[3] > 1 else slice(0, 1),
    ] += d
