"""normalize: division by the L2 (or p-) norm over some axes."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.errors import ArgumentError
from nnfunc.functions.normalization._common import check_eps, promote, sqrt

__all__ = ["normalize"]


def normalize(
    x: Any,
    axis: Any = -1,
    order: int = 2,
    eps: float = 1e-7,
    *,
    eps_mode: str = "norm",
    name: str | None = None,
) -> Any:
    """Divide ``x`` by its p-norm along ``axis``, bounded below by ``eps``.

    .. math::
        \\text{eps\\_mode="norm"}: \\; y = \\frac{x}{\\max(\\lVert x \\rVert_p, \\epsilon)}
        \\qquad
        \\text{eps\\_mode="squared"}: \\; y = \\frac{x}{\\sqrt{\\max(\\sum x^2, \\epsilon)}}

    Args:
        x (array, Variable or SymbolicVariable): Input; integers are promoted to float32.
        axis (int or tuple of int): Axes of the norm. Default -1.
        order (int): ``p >= 1``. Default 2. ``eps_mode="squared"`` needs ``order=2``.
        eps (float): Lower bound, ``>= 0``. Default 1e-7 (Keras ``backend.epsilon()``).
        eps_mode (str): ``"norm"`` (Keras: eps bounds the norm) or ``"squared"`` (TF
            ``l2_normalize``: eps bounds the squared norm, default there 1e-12).
        name (str, optional): Node name in graph mode.

    Returns:
        Shape of ``x``, x's floating dtype.

    Raises:
        ArgumentError: ``order`` not an integer >= 1, ``eps < 0``, unknown ``eps_mode``,
            ``"squared"`` with ``order != 2``. ShapeError: axis out of range.

    Notes:
        Implemented as ``x / max(sum |x|^p, eps^p)^(1/p)`` (``eps`` itself for
        ``"squared"``), equal to the formulas above and with finite gradients at ``x = 0``
        when ``eps > 0``. Where the bound is active the gradient is ``1/eps`` (or
        ``eps^-1/2``) times the upstream gradient. ``eps = 0`` and an all-zero slice give NaN.
        float16 is computed in float32. Keras ``normalize(x, axis=-1, order=2,
        epsilon=None)``; TF ``l2_normalize(x, dim, epsilon=1e-12)``.
        ``order`` is an integer >= 1 (a norm); PyTorch's ``p = 0``, negative or fractional ``p``
        are rejected.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.normalize(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32))
        array([[0.26726124, 0.5345225 , 0.8017837 ],
               [0.45584232, 0.5698029 , 0.68376344]], dtype=float32)
    """
    op = "normalize"
    x = check.tensor(op, "x", x)  # lists are tensors; None, strings... DTypeError
    with shapes.node_errors(name, x):
        order = check.integer(op, "order", order, min_value=1)
        eps = check_eps(op, eps)
        check.choice(op, "eps_mode", eps_mode, ("norm", "squared"))
        if eps_mode == "squared" and order != 2:
            msg = check.message(op, "order", "be 2 with eps_mode='squared'", order=order)
            raise ArgumentError(msg)
        ndim = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
        axes = check.axes(op, "axis", axis, ndim)
    xa, out, acc = promote(x)
    if order == 2:
        s = F.sum(F.mul(xa, xa), axes, keepdims=True)
    else:
        a = F.where(F.greater_equal(xa, 0), xa, -xa)
        s = F.sum(F.pow(a, float(order)), axes, keepdims=True)
    bound = eps if eps_mode == "squared" else eps**order
    s = F.maximum(s, bound)
    # x / sqrt(.) rather than x * rsqrt(.): the Keras example's float32 digits come out so.
    norm = sqrt(s) if order == 2 else F.pow(s, 1.0 / order)
    if out == acc:
        return F.div(xa, norm, name=name)
    return F.cast(F.div(xa, norm), out, name=name)
