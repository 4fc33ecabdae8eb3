"""local_response_normalization: division by a power of the windowed sum of squares over
neighbouring channels."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.errors import ShapeError
from nnfunc.functions.normalization._common import promote

__all__ = ["local_response_normalization"]


def local_response_normalization(
    x: Any,
    depth_radius: int = 5,
    bias: float = 1.0,
    alpha: float = 1.0,
    beta: float = 0.5,
    *,
    axis: int = -1,
    name: str | None = None,
) -> Any:
    """Local response normalization across a window of channels.

    .. math::
        s_d = \\sum_{k = d - r}^{d + r} x_k^2, \\quad y_d = \\frac{x_d}{(b + \\alpha s_d)^\\beta}

    (the window is clipped at the edges of ``axis``).

    Args:
        x (array, Variable or SymbolicVariable): Input (TF: 4-D NHWC, normalized along the
            last axis).
        depth_radius (int): ``r >= 0``. Default 5.
        bias (float): ``b``. Default 1.
        alpha (float): ``alpha`` (NOT divided by the window size, unlike Caffe/PyTorch).
            Default 1.
        beta (float): Exponent. Default 0.5.
        axis (int): The channel axis. Default -1.
        name (str, optional): Node name in graph mode.

    Returns:
        Shape of ``x``, x's floating dtype.

    Raises:
        ArgumentError: ``depth_radius`` not a non-negative integer; non-real scalars.
        ShapeError: axis out of range.

    Notes:
        The window sum is a product with a banded 0/1 matrix (the channel count is small), so
        gradients of every order come from the composite. float16 is computed in float32. TF
        ``local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5)``.
        The window is symmetric, ``2 * depth_radius + 1`` channels; PyTorch's
        ``local_response_norm(size)`` matches an odd size (with ``alpha / size``), its window for
        an even size is asymmetric.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.local_response_normalization(np.array([[1.0, 2.0, 2.0]]), depth_radius=1)
        array([[0.40824829, 0.63245553, 0.66666667]])
    """
    op = "local_response_normalization"
    x = check.tensor(op, "x", x)  # lists are tensors; None, strings... DTypeError
    with shapes.node_errors(name, x):
        r = check.integer(op, "depth_radius", depth_radius, min_value=0)
        bias = check.real_scalar(op, "bias", bias)
        alpha = check.real_scalar(op, "alpha", alpha)
        beta = check.real_scalar(op, "beta", beta)
        ndim = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
        if ndim == 0:
            raise ShapeError(check.message(op, "x", "have rank >= 1", **{"x.shape": ()}))
        ax = check.axis(op, "axis", axis, ndim)
        c = x.shape[ax]
        if c is None:
            raise ShapeError(
                check.message(op, "x", "have a known size along `axis`", **{"x.shape": x.shape})
            )
    xa, out, acc = promote(x)
    perm = None
    if ax != ndim - 1:
        perm = [j for j in range(ndim) if j != ax] + [ax]
        xa = F.transpose(xa, perm)
    idx = np.arange(c)
    band = (np.abs(idx[:, None] - idx[None, :]) <= r).astype(acc)
    s = F.matmul(F.mul(xa, xa), band)
    last = out == acc
    y = F.mul(
        xa, F.pow(F.add(F.mul(s, alpha), bias), -beta), name=name if last and not perm else None
    )
    if perm is not None:
        y = F.transpose(y, [int(j) for j in np.argsort(perm)], name=name if last else None)
    return y if last else F.cast(y, out, name=name)
