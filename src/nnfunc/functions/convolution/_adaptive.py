"""Adaptive separable convolution (per-sample, per-pixel separable kernels)."""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.errors import ShapeError

__all__ = ["adaptive_separable_convolution"]


def adaptive_separable_convolution(
    x: Any, vertical_kernel: Any, horizontal_kernel: Any, *, name: str | None = None
) -> Any:
    """2-D convolution whose separable kernels change with the sample and the pixel (NCHW).

    .. math::
        y[b, c, h, w] = \\sum_{j, i} K_v[b, j, h, w]\\, K_h[b, i, h, w]\\, x[b, c, h + j, w + i]

    Args:
        x: ``(B, C, H, W)``; no padding is applied (pad first if needed).
        vertical_kernel: ``(B, Kv, H - Kv + 1, W - Kh + 1)``.
        horizontal_kernel: ``(B, Kh, H - Kv + 1, W - Kh + 1)``.
        name (str, optional): Node name of the result in graph mode.

    Returns:
        ``(B, C, H - Kv + 1, W - Kh + 1)``.

    Raises:
        ShapeError: ranks other than 4 or kernel shapes that do not match ``x``.

    Notes:
        A composite of slicing, products and sums (``Kv * Kh`` terms), so every input gets
        gradients of any order. Equivalent: ``nnabla.functions.adaptive_separable_convolution``
        (Niklaus et al., 2017).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
        >>> kv = np.ones((1, 2, 2, 2)); kh = np.full((1, 2, 2, 2), 0.5)
        >>> nf.adaptive_separable_convolution(x, kv, kh)
        array([[[[ 4.,  6.],
                 [10., 12.]]]])
    """

    op = "adaptive_separable_convolution"
    with shapes.node_errors(name, x, vertical_kernel, horizontal_kernel):
        _check(op, x, vertical_kernel, horizontal_kernel)
        # again when a graph runs: batch and sizes may be unknown now
        x, vertical_kernel, horizontal_kernel = shapes.recheck(
            op, "convolution.adaptive_separable", (x, vertical_kernel, horizontal_kernel), op=op
        )
    kv, kh = vertical_kernel.shape[1], horizontal_kernel.shape[1]
    out = None
    for j in range(kv):
        row = None
        for i in range(kh):
            # windows end counted from the back, so unknown (graph) sizes work too
            rows, cols = slice(j, j - kv + 1 or None), slice(i, i - kh + 1 or None)
            patch = F.getitem(x, (slice(None), slice(None), rows, cols))
            term = F.getitem(horizontal_kernel, (slice(None), slice(i, i + 1))) * patch
            row = term if row is None else row + term
        term = F.getitem(vertical_kernel, (slice(None), slice(j, j + 1))) * row
        out = term if out is None else out + term
    return F.add(out, 0.0, name=name) if name is not None else out


@shapes.register_check("convolution.adaptive_separable")
def _recheck(x: Any, vertical_kernel: Any, horizontal_kernel: Any, *, op: str) -> None:
    _check(op, x, vertical_kernel, horizontal_kernel)


def _check(op: str, x: Any, vertical_kernel: Any, horizontal_kernel: Any) -> None:
    check.ndim(op, "x", x, 4)
    check.ndim(op, "vertical_kernel", vertical_kernel, 4)
    check.ndim(op, "horizontal_kernel", horizontal_kernel, 4)
    _, _, h, w = x.shape
    kv, kh = vertical_kernel.shape[1], horizontal_kernel.shape[1]
    if kv is None or kh is None:
        raise ShapeError(
            check.message(
                op,
                "vertical_kernel and horizontal_kernel",
                "have known kernel sizes (axis 1)",
                **{
                    "vertical_kernel.shape": tuple(vertical_kernel.shape),
                    "horizontal_kernel.shape": tuple(horizontal_kernel.shape),
                },
            )
        )
    ho = None if h is None else h - kv + 1
    wo = None if w is None else w - kh + 1
    for arg, k in (("vertical_kernel", vertical_kernel), ("horizontal_kernel", horizontal_kernel)):
        bad = any(
            a is not None and b is not None and a != b
            for a, b in ((k.shape[0], x.shape[0]), (k.shape[2], ho), (k.shape[3], wo))
        )
        if bad or (ho is not None and ho < 1) or (wo is not None and wo < 1):
            want = f"({x.shape[0] if x.shape[0] is not None else 'B'}, {k.shape[1]}, {ho}, {wo})"
            raise ShapeError(
                check.message(
                    op,
                    arg,
                    f"have shape {want} (B, K, H - Kv + 1, W - Kh + 1), every size positive",
                    **{f"{arg}.shape": tuple(k.shape), "x.shape": tuple(x.shape)},
                )
            )
