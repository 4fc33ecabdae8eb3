"""Regression and distribution losses: l2, Poisson, squared/absolute/Huber/epsilon errors, KL."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.functions._labels import as_tensor, same_shape_now_and_at_run, to_dtype
from nnfunc.functions.math import abs as abs_

__all__ = [
    "absolute_error",
    "epsilon_insensitive_loss",
    "huber_loss",
    "kl_multinomial",
    "l2_loss",
    "log_poisson_loss",
    "squared_error",
]


class L2Loss(Function):
    """``sum(x**2) / 2`` as a 0-d array."""

    op_name = "l2_loss"
    input_names = ("t",)
    retain_in = (0,)

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.out_dtype = real_dtype(check.numeric(self.op_name, "t", x))
        return (TensorSpec((), self.out_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        x = x.astype(accumulation_dtype(self.out_dtype), copy=False)
        y = xp.asarray(xp.vdot(x, x) * 0.5 if x.flags.c_contiguous else (x * x).sum() * 0.5)
        with np.errstate(over="ignore"):  # a float16 sum above 65504 is inf, like TF's
            return (y.astype(self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        return (self.sum_to_input(grad_outputs[0] * to_dtype(x, self.out_dtype), 0),)


def _difference(op: str, x0: Any, x1: Any, name: str | None) -> Any:
    """``x0 - x1`` (broadcasting) in the floating result dtype."""

    with shapes.node_errors(name, x0, x1):
        x0, x1 = as_tensor(x0), as_tensor(x1)
        check.broadcast_shapes(op, ("x0", "x1"), [tuple(x0.shape), tuple(x1.shape)])
    dt = real_dtype(np.result_type(x0.dtype, x1.dtype))
    return F.sub(to_dtype(x0, dt), to_dtype(x1, dt))


def l2_loss(t: Any, *, name: str | None = None) -> Any:
    """Half the squared L2 norm of a tensor, without the square root.

    .. math::
        y = \\frac{1}{2} \\sum_i t_i^2

    Args:
        t (array, Variable or SymbolicVariable): Input of any shape.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``t``: a 0-d tensor of the floating dtype of ``t`` (integer and bool
        inputs give float32).

    Raises:
        DTypeError: a tensor argument is not real and numeric (any shape and dtype otherwise).

    Notes:
        Accumulated in float32 for float16 inputs (a float16 result above 65504 is ``inf``).
        Gradient: ``t``. Equivalent to ``tf.nn.l2_loss(t)``. TF's page lists integer dtypes
        (those of the op's definition), but TensorFlow registers ``L2Loss`` kernels only for
        half, float and double, so integer tensors fail to run there; here they give float32,
        since the result is halved.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.l2_loss(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
        array(15., dtype=float32)
    """
    return L2Loss().apply1(as_tensor(t), name=name)


def log_poisson_loss(
    log_input: Any,
    targets: Any,
    *,
    compute_full_loss: bool = False,
    name: str | None = None,
) -> Any:
    """Element-wise Poisson negative log-likelihood given the log of the rate.

    .. math::
        \\ell = e^{c} - z c \\; \\Big[ + z \\log z - z + \\tfrac12 \\log(2 \\pi z)
        \\text{ where } z > 1 \\Big]

    Args:
        log_input (array, Variable or SymbolicVariable): ``c``, the log of the predicted rate.
        targets (array, Variable or SymbolicVariable): ``z``, observed counts, same shape;
            cast to the dtype of ``log_input``.
        compute_full_loss (bool): Add Stirling's approximation of ``log(z!)`` where
            ``z > 1``; it is 0 within ``[0, 1]`` and NaN for a negative count, as in
            TensorFlow. Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``log_input``: its shape and floating dtype. No reduction.

    Raises:
        ShapeError: the shapes differ (a ``ValueError``, as TensorFlow documents).
        ArgumentError: ``compute_full_loss`` is not a bool.

    Notes:
        Gradients: ``d/dc = exp(c) - z``; ``d/dz = -c`` (+ ``log z + 1/(2z)`` where the Stirling
        term applies). Negative counts are outside the Poisson domain: with
        ``compute_full_loss=True`` their loss is NaN (``z log z`` of a negative ``z``, as
        TensorFlow computes it; that constant adds no gradient); without it the
        formula ``exp(c) - z c`` is applied as is. Equivalent to
        ``tf.nn.log_poisson_loss(log_input, targets, compute_full_loss)``.
        ``log_input`` holds log-rates; PyTorch's ``poisson_nll_loss(log_input=False)`` (rates) has
        no equivalent.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.log_poisson_loss(np.array([0.0, 1.0]), np.array([1.0, 3.0]))
        array([ 1.        , -0.28171817])
    """

    op = "log_poisson_loss"
    with shapes.node_errors(name, log_input, targets):
        compute_full_loss = check.boolean(op, "compute_full_loss", compute_full_loss)
        c, z = as_tensor(log_input), as_tensor(targets)
        c, z = same_shape_now_and_at_run(op, ("log_input", "targets"), c, z)
    dt = real_dtype(c.dtype)
    c, z = to_dtype(c, dt), to_dtype(z, dt)
    if not compute_full_loss:
        return F.sub(F.exp(c), F.mul(z, c), name=name)
    loss = F.sub(F.exp(c), F.mul(z, c))
    big = F.greater(z, 1)
    zs = F.where(big, z, 1.0)  # log stays finite where the term is masked out: no NaN gradient
    stirling = (zs * F.log(zs) - zs) + 0.5 * F.log(zs * (2 * math.pi))
    # TF keeps the term (z log z ...) outside [0, 1]: NaN for a negative count, never hidden.
    outside = to_dtype(F.where(F.less(z, 0), math.nan, 0.0), dt)
    return F.add(loss, F.where(big, stirling, outside), name=name)


def squared_error(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    """Element-wise squared error.

    .. math::
        y = (x_0 - x_1)^2

    Args:
        x0 (array, Variable or SymbolicVariable): Predictions.
        x1 (array, Variable or SymbolicVariable): Targets; shapes broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, their floating result dtype. No 1/2, no
        reduction.

    Raises:
        ShapeError: the shapes do not broadcast.

    Notes:
        Gradients ``2 (x0 - x1)`` and its negative. Equivalent to
        ``nnabla.functions.squared_error(x0, x1)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.squared_error(np.array([1.0, 2.0]), np.array([3.0, 2.0]))
        array([4., 0.])
    """

    d = _difference("squared_error", x0, x1, name)
    return F.mul(d, d, name=name)


def absolute_error(x0: Any, x1: Any, *, name: str | None = None) -> Any:
    """Element-wise absolute error.

    .. math::
        y = |x_0 - x_1|

    Args:
        x0 (array, Variable or SymbolicVariable): Predictions.
        x1 (array, Variable or SymbolicVariable): Targets; shapes broadcast.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, their floating result dtype.

    Raises:
        ShapeError: the shapes do not broadcast.

    Notes:
        Gradient w.r.t. ``x0``: ``sign(x0 - x1)``, 0 where ``x0 == x1``. Equivalent to
        ``nnabla.functions.absolute_error(x0, x1)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.absolute_error(np.array([1.0, 2.0]), np.array([3.0, 2.0]))
        array([2., 0.])
    """
    return abs_(_difference("absolute_error", x0, x1, name), name=name)


def huber_loss(x0: Any, x1: Any, delta: float = 1.0, *, name: str | None = None) -> Any:
    """Element-wise Huber loss with NNabla's scaling (twice the textbook form).

    .. math::
        y = \\begin{cases} d^2, & |d| < \\delta \\\\ \\delta (2|d| - \\delta), & |d| \\ge \\delta
        \\end{cases}, \\quad d = x_0 - x_1

    Args:
        x0 (array, Variable or SymbolicVariable): Predictions.
        x1 (array, Variable or SymbolicVariable): Targets; shapes broadcast.
        delta (float): Threshold between the quadratic and linear parts, ``> 0``. Default 1.0.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, their floating result dtype.

    Raises:
        ShapeError: the shapes do not broadcast.
        ArgumentError: ``delta`` is not a positive finite number.

    Notes:
        Continuously differentiable: gradient ``2d`` inside, ``2 delta sign(d)`` outside
        (equal at ``|d| = delta``). The conventional Huber loss
        (``0.5 d^2`` / ``delta (|d| - 0.5 delta)``) is half of this. Equivalent to
        ``nnabla.functions.huber_loss(x0, x1, delta)``.
        ``delta`` must be > 0; PyTorch's ``smooth_l1_loss`` with ``beta=0`` is the L1 loss
        (:func:`absolute_error` here).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.huber_loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]))
        array([0.25, 5.  ])
    """

    op = "huber_loss"
    with shapes.node_errors(name, x0, x1):
        delta = check.real_scalar(op, "delta", delta, min_value=0.0, open_min=True)
    d = _difference(op, x0, x1, name)
    ad = abs_(d)
    return F.where(F.less(ad, delta), F.mul(d, d), (2 * delta) * ad - delta * delta, name=name)


def epsilon_insensitive_loss(x0: Any, x1: Any, epsilon: float, *, name: str | None = None) -> Any:
    """Element-wise epsilon-insensitive loss.

    .. math::
        y = \\max(|x_0 - x_1| - \\epsilon, 0)

    Args:
        x0 (array, Variable or SymbolicVariable): Predictions.
        x1 (array, Variable or SymbolicVariable): Targets; shapes broadcast.
        epsilon (float): Width of the insensitive band, ``>= 0`` (required).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: the broadcast shape, their floating result dtype.

    Raises:
        ShapeError: the shapes do not broadcast.
        ArgumentError: ``epsilon`` is not a finite number ``>= 0``.

    Notes:
        Gradient ``sign(x0 - x1)`` outside the band, 0 inside and on its edge
        (``|x0 - x1| = epsilon``). Equivalent to
        ``nnabla.functions.epsilon_insensitive_loss(x0, x1, epsilon)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.epsilon_insensitive_loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]), 1.0)
        array([0., 2.])
    """

    op = "epsilon_insensitive_loss"
    with shapes.node_errors(name, x0, x1):
        epsilon = check.real_scalar(op, "epsilon", epsilon, min_value=0.0)
    d = _difference(op, x0, x1, name)
    return F.relu(F.sub(abs_(d), epsilon), name=name)


def kl_multinomial(
    p: Any, q: Any, base_axis: int = 1, *, eps: float = 0.0, name: str | None = None
) -> Any:
    """Kullback-Leibler divergence ``KL(p || q)`` of categorical distributions per sample.

    .. math::
        D = \\sum_{i} p_i \\left(\\log(p_i + \\epsilon) - \\log(q_i + \\epsilon)\\right)

    summed over every axis from ``base_axis`` on.

    Args:
        p (array, Variable or SymbolicVariable): First distribution(s).
        q (array, Variable or SymbolicVariable): Second distribution(s), same shape.
        base_axis (int): First category axis; the axes before it are sample axes. Default 1.
        eps (float): Added inside both logs (NNabla's kernel uses ``1e-8``). Default 0: the
            exact divergence, with ``0 log 0 = 0``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``p``: shape ``p.shape[:base_axis]``, the floating dtype of ``p``.

    Raises:
        ShapeError: the shapes differ or ``base_axis`` is out of range.
        ArgumentError: ``eps`` is not a finite number ``>= 0``.

    Notes:
        Terms with ``p_i = 0`` contribute 0 with zero gradient; ``q_i = 0`` where ``p_i > 0``
        gives ``+inf`` (with ``eps = 0``). Gradients: ``log(p + eps) - log(q + eps) +
        p / (p + eps)`` and ``-p / (q + eps)``. Equivalent to
        ``nnabla.functions.kl_multinomial(p, q, base_axis)``, which keeps a trailing axis of
        size 1 and uses ``eps=1e-8``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> p = np.array([[0.5, 0.5], [1.0, 0.0]])
        >>> nf.kl_multinomial(p, np.array([[0.5, 0.5], [0.5, 0.5]]))
        array([0.        , 0.69314718])
    """

    op = "kl_multinomial"
    with shapes.node_errors(name, p, q):
        eps = check.real_scalar(op, "eps", eps, min_value=0.0)
        p, q = as_tensor(p), as_tensor(q)
        p, q = same_shape_now_and_at_run(op, ("p", "q"), p, q)
        nd = len(p.shape)
        base = check.axis(op, "base_axis", base_axis, nd) if nd else 0
    dt = real_dtype(p.dtype)
    p, q = to_dtype(p, dt), to_dtype(q, dt)
    zero = F.equal(p, 0)
    ps, qs = F.where(zero, 1.0, p), F.where(zero, 1.0, q)
    if eps:
        ps, qs = F.add(ps, eps), F.add(qs, eps)
    term = F.where(zero, 0.0, F.mul(p, F.sub(F.log(ps), F.log(qs))))
    return F.sum(term, axis=tuple(range(base, nd)), name=name)
