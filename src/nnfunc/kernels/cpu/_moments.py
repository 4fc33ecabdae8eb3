"""The NumPy twins' standardization, shared by the row (layer norm) and channel (batch norm)
kernels: the statistics' axis is the one that ``[:, None]`` lines up with."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["standardize"]


def standardize(
    xp: Any, x: Any, axes: Any, n: int, contraction: str, eps: float, scale: Any
) -> tuple[Any, Any, Any, Any]:
    """``(x - mean) * inv * scale`` over ``axes`` (``n`` values each; ``contraction``: the
    einsum of ``d * d`` summed over them), with float64 statistics.

    Returns ``(d, mean, var, inv)``: ``d`` in the dtype of ``x`` (a new array the caller may
    update in place); the means, biased variances and ``1 / sqrt(var + eps)``.
    """
    mean = x.sum(axis=axes, dtype=np.float64) / n
    d = x - mean.astype(x.dtype)[:, None]
    # mean was rounded to x's dtype: correct the centred moments by the mean of d.
    c = d.sum(axis=axes, dtype=np.float64) / n
    var = xp.maximum(xp.einsum(contraction, d, d, dtype=np.float64) / n - c * c, 0.0)
    mean += c
    inv = 1.0 / xp.sqrt(var + eps)
    d -= c.astype(x.dtype)[:, None]
    a = inv if scale is None else inv * scale
    d *= a.astype(x.dtype)[:, None]
    return d, mean, var, inv
