"""Independent float64 NumPy references of the attention family (never built from nnfunc)."""

from __future__ import annotations

from typing import Any

import numpy as np


def to_bnth(x: np.ndarray, layout: str) -> np.ndarray:
    """An array in ``layout`` (letters B, T, N, H; N may be missing) as (B, N, T, H)."""
    if "N" not in layout:
        x = np.expand_dims(x, -1)
        layout = layout + "N"
    return np.transpose(x, [layout.index(c) for c in "BNTH"])


def from_bnth(y: np.ndarray, layout: str) -> np.ndarray:
    full = layout if "N" in layout else layout + "N"
    y = np.transpose(y, ["BNTH".index(c) for c in full])
    return y if "N" in layout else y[..., 0]


def attention(
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    bias: Any = None,
    mask: Any = None,
    scale: Any = None,
    causal: bool = False,
    layout: str = "BTNH",
    weights: bool = False,
) -> Any:
    """softmax(scale q k^T + bias) v in float64 over the whole score matrix; a row with no
    key left gives 0. With ``weights``, also returns the probabilities (B, N, T, S)."""
    q, k, v = (to_bnth(np.asarray(x, np.float64), layout) for x in (q, k, v))
    n, kh = q.shape[1], k.shape[1]
    k = np.repeat(k, n // kh, axis=1)
    v = np.repeat(v, n // kh, axis=1)
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = np.einsum("bnth,bnsh->bnts", q, k) * scale
    if bias is not None:
        s = s + np.asarray(bias, np.float64)
    keep = np.ones(s.shape, bool)
    if mask is not None:
        keep &= np.asarray(mask, bool)
    if causal:
        t, sl = s.shape[-2:]
        keep &= np.arange(t)[:, None] >= np.arange(sl)[None, :]
    s = np.where(keep, s, -np.inf)
    m = s.max(-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    e = np.exp(s - m)
    tot = e.sum(-1, keepdims=True)
    p = e / np.where(tot == 0, 1, tot)
    y = from_bnth(np.einsum("bnts,bnsh->bnth", p, v), layout)
    return (y, p) if weights else y
