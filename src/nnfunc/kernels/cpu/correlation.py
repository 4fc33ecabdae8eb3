"""Patch correlation kernels (FlowNet correlation) on channel-last ``(N, H, W, C)`` arrays.

The correlation is a trilinear form ``T(a, b, g) = sum g[n, d, h, w] * sum_{c, kh, kw}
a[n, h*sv + kh - t, w*sh + kw - l, c] * b[n, h*sv + kh - t + dy, w*sh + kw - l + dx, c]`` over
the displacements ``d = (dy, dx)`` (both inputs read as zero outside the image). Its three
partial derivatives are the three kernels here: :func:`forward` (``dT/dg``), :func:`grad_a`
(``dT/da``) and :func:`grad_b` (``dT/db``); each kernel's adjoint is one of the others, which is
what makes every order of differentiation available.

Each kernel loops over displacements only (``C_y * C_x`` iterations): one channel contraction
(``einsum``) or one broadcast product per displacement, whole maps at a time. The patch sum is
separable (a strided sum over ``patch_h`` row slices, then ``patch_w`` column slices) and is
done once, over all displacements together. Work on NumPy and CuPy alike (``xp``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

__all__ = ["Geometry", "forward", "grad_a", "grad_b"]


class Geometry(NamedTuple):
    """Resolved sizes of one patch correlation (every field a concrete int or pair)."""

    size: tuple[int, int]  # input (H, W)
    patch: tuple[int, int]
    shift: tuple[int, int]
    patch_step: tuple[int, int]
    shift_step: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))
    out: tuple[int, int]  # (H_o, W_o)

    @property
    def used(self) -> tuple[int, int]:
        """Rows and columns of the padded input that some patch covers."""
        return tuple(  # type: ignore[return-value]
            (o - 1) * s + p for o, s, p in zip(self.out, self.patch_step, self.patch, strict=True)
        )

    @property
    def displacements(self) -> list[tuple[int, int]]:
        """Every ``(dy, dx)``, row-major: ``dy`` from ``-shift_v`` by ``shift_step_v``."""
        (sv, sh), (tv, th) = self.shift, self.shift_step
        return [(dy, dx) for dy in range(-sv, sv + 1, tv) for dx in range(-sh, sh + 1, th)]


def _moved(xp: Any, x: Any, shape: Sequence[int], off: Sequence[int], dtype: Any) -> Any:
    """``(N, *shape, C)`` array ``r`` with ``r[:, i, j] = x[:, i + off0, j + off1]``, else 0."""
    n, c = x.shape[0], x.shape[-1]
    r = xp.zeros((n, *shape, c), dtype=dtype)
    dst, src = [], []
    for size_r, size_x, o in zip(shape, x.shape[1:3], off, strict=True):
        lo = max(0, -o)
        hi = min(size_r, size_x - o)
        if hi <= lo:
            return r
        dst.append(slice(lo, hi))
        src.append(slice(lo + o, hi + o))
    r[:, dst[0], dst[1]] = x[:, src[0], src[1]]
    return r


def _padded(xp: Any, a: Any, b: Any | None, g: Geometry, dtype: Any) -> tuple[Any, Any]:
    """``a`` over the used padded region, ``b`` over it widened by the shift on every side."""
    (t, _), (lf, _) = g.pads
    hu, wu = g.used
    sv, sh = g.shift
    ap = None if a is None else _moved(xp, a, (hu, wu), (-t, -lf), dtype)
    bp = (
        None if b is None else _moved(xp, b, (hu + 2 * sv, wu + 2 * sh), (-t - sv, -lf - sh), dtype)
    )
    return ap, bp


def _window(g: Geometry, dy: int, dx: int) -> tuple[slice, slice]:
    hu, wu = g.used
    sv, sh = g.shift
    return slice(sv + dy, sv + dy + hu), slice(sh + dx, sh + dx + wu)


def _patch_sum(xp: Any, p: Any, g: Geometry) -> Any:
    """``(..., Hu, Wu) -> (..., Ho, Wo)``: sums over each patch, patch origins strided."""
    (ph, pw), (sv, sh), (ho, wo) = g.patch, g.patch_step, g.out
    rows = p[..., 0 : (ho - 1) * sv + 1 : sv, :]
    if ph > 1:
        rows = rows.copy()
        for k in range(1, ph):
            rows += p[..., k : k + (ho - 1) * sv + 1 : sv, :]
    out = rows[..., 0 : (wo - 1) * sh + 1 : sh]
    if pw > 1:
        out = out.copy()
        for k in range(1, pw):
            out += rows[..., k : k + (wo - 1) * sh + 1 : sh]
    return xp.ascontiguousarray(out)


def _patch_spread(xp: Any, q: Any, g: Geometry) -> Any:
    """Adjoint of :func:`_patch_sum`: ``(..., Ho, Wo) -> (..., Hu, Wu)``."""
    (ph, pw), (sv, sh), (ho, wo) = g.patch, g.patch_step, g.out
    hu, wu = g.used
    cols = xp.zeros((*q.shape[:-1], wu), dtype=q.dtype)
    for k in range(pw):
        cols[..., k : k + (wo - 1) * sh + 1 : sh] += q
    full = xp.zeros((*q.shape[:-2], hu, wu), dtype=q.dtype)
    for k in range(ph):
        full[..., k : k + (ho - 1) * sv + 1 : sv, :] += cols
    return full


def forward(xp: Any, a: Any, b: Any, g: Geometry, dtype: Any) -> Any:
    """Correlations ``(D, N, Ho, Wo)`` of ``a`` and ``b`` (both ``(N, H, W, C)``) in ``dtype``."""
    ap, bp = _padded(xp, a, b, g, dtype)
    disp = g.displacements
    prod = xp.empty((len(disp), a.shape[0], *g.used), dtype=dtype)
    for i, (dy, dx) in enumerate(disp):
        rows, cols = _window(g, dy, dx)
        prod[i] = xp.einsum("nhwc,nhwc->nhw", ap, bp[:, rows, cols])
    return _patch_sum(xp, prod, g)


def grad_a(xp: Any, b: Any, q: Any, g: Geometry, dtype: Any) -> Any:
    """``dT/da``: ``(N, H, W, C)`` from ``b`` and output weights ``q`` ``(D, N, Ho, Wo)``."""
    _, bp = _padded(xp, None, b, g, dtype)
    spread = _patch_spread(xp, q.astype(dtype, copy=False), g)
    n, c = b.shape[0], b.shape[-1]
    acc = xp.zeros((n, *g.used, c), dtype=dtype)
    tmp = xp.empty_like(acc)
    for i, (dy, dx) in enumerate(g.displacements):
        rows, cols = _window(g, dy, dx)
        xp.multiply(bp[:, rows, cols], spread[i][..., None], out=tmp)
        acc += tmp
    (t, _), (lf, _) = g.pads
    return _moved(xp, acc, g.size, (t, lf), dtype)


def grad_b(xp: Any, a: Any, q: Any, g: Geometry, dtype: Any) -> Any:
    """``dT/db``: ``(N, H, W, C)`` from ``a`` and output weights ``q`` ``(D, N, Ho, Wo)``."""
    ap, _ = _padded(xp, a, None, g, dtype)
    spread = _patch_spread(xp, q.astype(dtype, copy=False), g)
    hu, wu = g.used
    sv, sh = g.shift
    acc = xp.zeros((a.shape[0], hu + 2 * sv, wu + 2 * sh, a.shape[-1]), dtype=dtype)
    tmp = xp.empty_like(ap)
    for i, (dy, dx) in enumerate(g.displacements):
        rows, cols = _window(g, dy, dx)
        xp.multiply(ap, spread[i][..., None], out=tmp)
        acc[:, rows, cols] += tmp
    (t, _), (lf, _) = g.pads
    return _moved(xp, acc, g.size, (t + sv, lf + sh), dtype)
