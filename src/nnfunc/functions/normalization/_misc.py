"""normalize (L2 / p-norm), local_response_normalization, mean_subtraction."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.normalization._common import (
    check_eps,
    composite_checks,
    reduced_count,
    sqrt,
)

__all__ = ["local_response_normalization", "mean_subtraction", "normalize"]


def _promote(x: Any) -> tuple[Any, np.dtype, np.dtype]:
    """``x`` cast to its computation dtype, with its output and computation dtypes."""
    from nnfunc.functions.array import cast

    out = real_dtype(x.dtype)
    acc = accumulation_dtype(out)
    return (cast(x, acc) if np.dtype(x.dtype) != acc else x), out, acc


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

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.normalize(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32))
        array([[0.26726124, 0.5345225 , 0.8017837 ],
               [0.45584232, 0.5698029 , 0.68376344]], dtype=float32)
    """
    from nnfunc.functions.arithmetic import div, maximum, mul, pow
    from nnfunc.functions.array import cast
    from nnfunc.functions.logical import greater_equal, where
    from nnfunc.functions.reduction import sum

    op = "normalize"
    with composite_checks(op, x, name):
        order = check.integer(op, "order", order, min_value=1)
        eps = check_eps(op, eps)
        check.choice(op, "eps_mode", eps_mode, ("norm", "squared"))
        if eps_mode == "squared" and order != 2:
            msg = check.message(op, "order", "be 2 with eps_mode='squared'", order=order)
            raise ArgumentError(msg)
        ndim = len(x.shape) if hasattr(x, "shape") else np.ndim(x)
        axes = check.axes(op, "axis", axis, ndim)
    xa, out, acc = _promote(x)
    if order == 2:
        s = sum(mul(xa, xa), axes, keepdims=True)
    else:
        a = where(greater_equal(xa, 0), xa, -xa)
        s = sum(pow(a, float(order)), axes, keepdims=True)
    bound = eps if eps_mode == "squared" else eps**order
    s = maximum(s, bound)
    # x / sqrt(.) rather than x * rsqrt(.): the Keras example's float32 digits come out so.
    norm = sqrt(s) if order == 2 else pow(s, 1.0 / order)
    if out == acc:
        return div(xa, norm, name=name)
    return cast(div(xa, norm), out, name=name)


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

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.local_response_normalization(np.array([[1.0, 2.0, 2.0]]), depth_radius=1)
        array([[0.40824829, 0.63245553, 0.66666667]])
    """
    from nnfunc.functions.arithmetic import add, mul, pow
    from nnfunc.functions.array import cast, transpose
    from nnfunc.functions.math import matmul

    op = "local_response_normalization"
    with composite_checks(op, x, name):
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
    xa, out, acc = _promote(x)
    perm = None
    if ax != ndim - 1:
        perm = [j for j in range(ndim) if j != ax] + [ax]
        xa = transpose(xa, perm)
    idx = np.arange(c)
    band = (np.abs(idx[:, None] - idx[None, :]) <= r).astype(acc)
    s = matmul(mul(xa, xa), band)
    last = out == acc
    y = mul(xa, pow(add(mul(s, alpha), bias), -beta), name=name if last and not perm else None)
    if perm is not None:
        y = transpose(y, [int(j) for j in np.argsort(perm)], name=name if last else None)
    return y if last else cast(y, out, name=name)


class MeanSubtraction(Function):
    """``x - running_mean`` with the running mean (and counter) updated in place."""

    op_name = "mean_subtraction"
    input_names = ("x", "mean", "t")

    def __init__(self, base_axis: Any, update: Any) -> None:
        self.base_axis_raw = base_axis
        self.update_raw = update

    def setup(self, x: Any, mean: Any, t: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        self.update = check.boolean(op, "update_running_mean", self.update_raw)
        ndim = len(x.shape)
        b = check.integer(op, "base_axis", self.base_axis_raw, min_value=0)
        if b >= ndim:
            raise ShapeError(
                check.message(
                    op,
                    "base_axis",
                    f"be in [0, {ndim}) for an input of rank {ndim}",
                    base_axis=b,
                )
            )
        self.base_axis = b
        want = tuple(x.shape[b:])
        ms = tuple(mean.shape)
        if len(ms) != len(want) or any(
            m is not None and w is not None and m != w for m, w in zip(ms, want, strict=True)
        ):
            raise ShapeError(
                check.message(
                    op,
                    "mean",
                    f"have the shape of `x` from base_axis {b} on",
                    **{"mean.shape": ms, "x.shape": tuple(x.shape)},
                )
            )
        if self.update:
            if t is None:
                raise ArgumentError(
                    check.message(op, "t", "be given when update_running_mean=True", t=None)
                )
            if math.prod(d if d is not None else 2 for d in t.shape) != 1:
                raise ShapeError(
                    check.message(
                        op, "t", "have exactly one element", **{"t.shape": tuple(t.shape)}
                    )
                )
        self.out_dtype = real_dtype(np.result_type(x.dtype, mean.dtype))
        self.retain_inputs(0, 2)
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def forward(self, xp: Any, x: Any, mean: Any, t: Any) -> tuple[Any, ...]:
        if self.update:
            acc = accumulation_dtype(self.out_dtype)
            m = x.mean(axis=tuple(range(self.base_axis)), dtype=acc)
            coef = 1.0 / (float(t.reshape(())) + 1.0)
            mean[...] = (mean + (m - mean) * coef).astype(mean.dtype)
            t[...] = t + 1
        y = x - mean.astype(self.out_dtype, copy=False)
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        from nnfunc.functions.array import cast, reshape

        (gy,) = grad_outputs
        gx = gy
        if self.update:
            x, t = self.retained_inputs()
            shape = tuple(self.input_spec(0).shape)
            n = reduced_count(x, shape, tuple(range(self.base_axis)), self.out_dtype, None, "world")
            tt = reshape(cast(t, self.out_dtype), ())
            # NNabla's approximation: only the latest mini-batch's share of the running mean.
            gx = gy * (1.0 - 1.0 / (tt * n))
        dt = self.input_spec(0).dtype
        if np.dtype(dt) != self.out_dtype:
            gx = cast(gx, dt)
        return (gx, None, None)


def mean_subtraction(
    x: Any,
    mean: Any,
    t: Any = None,
    *,
    base_axis: int = 1,
    update_running_mean: bool = True,
    name: str | None = None,
) -> Any:
    """Subtract the running mean of the samples, updating it in place while training.

    .. math::
        \\bar\\mu \\leftarrow \\bar\\mu + \\frac{\\mu_B - \\bar\\mu}{t + 1}, \\quad
        t \\leftarrow t + 1, \\quad y = x - \\bar\\mu

    ``mu_B`` is the mean of the batch over the sample axes ``0 .. base_axis - 1`` (the running
    mean is the average of every batch mean seen so far).

    Args:
        x (array, Variable or SymbolicVariable): Input.
        mean: Running mean, shape ``x.shape[base_axis:]`` (updated in place when training).
        t: Iteration counter, one element (updated in place); may be ``None`` when not
            updating.
        base_axis (int): Axes before it are sample axes. Default 1.
        update_running_mean (bool): Update ``mean`` and ``t`` (training). Default True; with
            False ``y = x - mean``.
        name (str, optional): Node name in graph mode.

    Returns:
        Shape of ``x``.

    Raises:
        ShapeError: ``mean`` does not match ``x.shape[base_axis:]``, ``base_axis`` out of
            range, ``t`` not one element. ArgumentError: ``t`` missing while updating.

    Notes:
        Gradient (NNabla's documented approximation, only the latest mini-batch): ``gx = gy *
        (1 - 1 / (t * M))`` with the updated ``t`` and ``M`` samples; ``gy`` when not
        updating. No gradient to ``mean`` or ``t``. In a Graph give ``mean`` and ``t`` as
        parameters: they are updated each time the graph runs the node. NNabla
        ``mean_subtraction(x, mean, t, base_axis=1, update_running_mean=True)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> rm, t = np.zeros(2), np.array([1])
        >>> nf.mean_subtraction(np.array([[1.0, 2.0], [3.0, 6.0]]), rm, t)
        array([[0., 0.],
               [2., 4.]])
        >>> rm, t
        (array([1., 2.]), array([2]))
    """
    return MeanSubtraction(base_axis, update_running_mean).apply1(x, mean, t, name=name)
