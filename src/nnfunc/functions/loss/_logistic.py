"""Binary (logistic) cross-entropies: on logits, weighted, and on probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ShapeError
from nnfunc.functions._labels import as_tensor, clip, same_shape, to_dtype
from nnfunc.kernels.cpu.logistic import bce, bce_grad, sigmoid_xent, sigmoid_xent_grad

__all__ = [
    "binary_cross_entropy",
    "sigmoid_cross_entropy_with_logits",
    "weighted_cross_entropy_with_logits",
]


class SigmoidCrossEntropyWithLogits(Function):
    """Element-wise logistic loss on logits, optionally with a positive-class weight."""

    op_name = "sigmoid_cross_entropy_with_logits"
    input_names = ("logits", "targets", "pos_weight")
    retain_in = (0, 1, 2)

    def setup(self, x: Any, z: Any, q: Any = None) -> tuple[TensorSpec, ...]:
        shape = same_shape(self.op_name, ("logits", "targets"), x, z)
        if q is not None:
            qs = tuple(q.shape)
            try:
                out = check.broadcast_shapes(self.op_name, ("logits", "pos_weight"), [shape, qs])
            except ShapeError:
                out = None
            if (
                out is None
                or len(out) != len(shape)
                or any(a is not None and b is not None and a != b for a, b in zip(out, shape))
            ):
                raise ShapeError(
                    check.message(
                        self.op_name,
                        "pos_weight",
                        "broadcast to the shape of `logits`",
                        **{"pos_weight.shape": qs, "logits.shape": tuple(x.shape)},
                    )
                )
        self.out_dtype = real_dtype(x.dtype)
        return (TensorSpec(shape, self.out_dtype),)

    def forward(self, xp: Any, x: Any, z: Any, q: Any = None) -> tuple[Any, ...]:
        acc = accumulation_dtype(self.out_dtype)
        shape = x.shape
        # 1-d views: NumPy ufuncs turn 0-d results into scalars, which `out=` cannot take.
        x = xp.atleast_1d(x.astype(acc, copy=False))
        z = xp.atleast_1d(z.astype(acc, copy=False))
        if q is None:
            # One pass (numba for float32): c*|x| + log1p(exp(-|x|)), see _limits.
            loss = sigmoid_xent(x, z)
        else:
            loss = self._limits(xp, x, z, q.astype(acc, copy=False))
        return (loss.astype(self.out_dtype, copy=False).reshape(shape),)

    @staticmethod
    def _limits(xp: Any, x: Any, z: Any, q: Any) -> Any:
        """``c*|x| + l*log1p(exp(-|x|))``: exact, with the finite limits at infinite logits.

        ``c = 1 - z`` for ``x >= 0`` and ``q*z`` below, ``l = 1 + (q - 1)*z``: the TF formulas
        rearranged so that the linear term vanishes exactly where its limit is 0
        (``x = +inf`` with ``z = 1``, ``x = -inf`` with ``z = 0``).
        """
        ax = xp.abs(x)
        sp = xp.log1p(xp.exp(-ax))
        pos = x >= 0
        if q is None:
            c = xp.where(pos, 1 - z, z)
        else:
            c = xp.where(pos, 1 - z, q * z)
            sp *= 1 + (q - 1) * z
        with np.errstate(invalid="ignore"):
            lin = c * ax
        if not bool(xp.isfinite(ax).all()):
            lin = xp.where(c == 0, 0, lin)
        lin += sp
        return lin

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, z, q = self.retained_inputs()
        (gy,) = grad_outputs
        dt = self.out_dtype
        z = to_dtype(z, dt)
        if q is not None:
            q = to_dtype(q, dt)
        gx = gz = gq = None
        if 0 in target_indexes:
            gx = _LogisticGrad().apply1(x, z, q, gy)
        x = to_dtype(x, dt)
        if 1 in target_indexes:
            gz = -x if q is None else (q - 1) * F.softplus(-x) - x
            gz = self.sum_to_input(gy * gz, 1)
        if 2 in target_indexes:
            gq = self.sum_to_input(gy * z * F.softplus(-x), 2)
        return (gx, gz, gq)


class _LogisticGrad(Function):
    """``gy * ((1 - z) sigmoid(x) - q z sigmoid(-x))``: the logits gradient, fused.

    ``sigmoid(x) - z`` (``q = 1``) written as a difference of two non-negative terms, each
    accurate in its tail, so the gradient does not cancel to 0 at large ``|x|``.
    """

    op_name = "sigmoid_cross_entropy_with_logits_grad"
    input_names = ("logits", "targets", "pos_weight", "gy")
    retain_in = (0, 1, 2, 3)

    def setup(self, x: Any, z: Any, q: Any, gy: Any) -> tuple[TensorSpec, ...]:
        self.out_dtype = real_dtype(x.dtype)
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def forward(self, xp: Any, x: Any, z: Any, q: Any, gy: Any) -> tuple[Any, ...]:
        acc = accumulation_dtype(self.out_dtype)
        shape = x.shape
        # float16 runs in float32: the result is cast back to the logits' dtype at the end.
        x = xp.atleast_1d(x.astype(acc, copy=False))
        if q is None and z.shape == shape and gy.shape == shape:
            # One pass (numba for float32): both sigmoids from exp(-|x|).
            z = xp.atleast_1d(z.astype(acc, copy=False))
            gy = xp.atleast_1d(xp.asarray(gy).astype(acc, copy=False))
            g = sigmoid_xent_grad(x, z, gy)
            return (g.astype(self.out_dtype, copy=False).reshape(shape),)
        with np.errstate(over="ignore"):
            # 1 / (1 + exp(-x)) and 1 / (1 + exp(x)): an overflow to inf gives the exact 0.
            s = xp.negative(x)
            xp.exp(s, out=s)
            s += 1
            xp.reciprocal(s, out=s)
            sn = xp.exp(x)
            sn += 1
            xp.reciprocal(sn, out=sn)
        s *= 1 - z
        qz = z if q is None else q * z
        xp.multiply(sn, qz, out=sn)
        s -= sn
        s *= gy
        return (s.astype(self.out_dtype, copy=False).reshape(shape),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, z, q, gy = self.retained_inputs()
        (ggx,) = grad_outputs
        x = to_dtype(x, self.out_dtype)
        s, sn = F.sigmoid(x), F.sigmoid(-x)
        qz = z if q is None else q * z
        g = ggx * gy
        out: list[Any] = [None, None, None, None]
        if 0 in target_indexes:
            out[0] = self.sum_to_input(g * ((1 - z) + qz) * s * sn, 0)
        if 1 in target_indexes:
            out[1] = self.sum_to_input(-g * (s + (sn if q is None else q * sn)), 1)
        if 2 in target_indexes:
            out[2] = self.sum_to_input(-g * z * sn, 2)
        if 3 in target_indexes:
            out[3] = self.sum_to_input(ggx * ((1 - z) * s - qz * sn), 3)
        return tuple(out)


class WeightedCrossEntropyWithLogits(SigmoidCrossEntropyWithLogits):
    """Node of :func:`weighted_cross_entropy_with_logits` (its own name in messages)."""

    op_name = "weighted_cross_entropy_with_logits"


class BinaryCrossEntropy(Function):
    """Element-wise binary cross-entropy of (clipped) probabilities: one kernel each way.

    The clip bounds ``lo, hi`` and the log's floor ``tiny`` are numbers of the output dtype
    (``lo = -inf, hi = inf`` without clipping), so the result is the composite's
    ``-(t log max(clip(x), tiny) + (1 - t) log max(1 - clip(x), tiny))`` with its gradient
    conventions (the clip's gradient is 1 inside, bounds included, 0 outside).
    """

    op_name = "binary_cross_entropy"
    input_names = ("x", "target")
    retain_in = (0, 1)

    def __init__(self, eps: float | None) -> None:
        self.eps = eps

    def setup(self, x: Any, t: Any) -> tuple[TensorSpec, ...]:
        shape = same_shape(self.op_name, ("x", "target"), x, t)
        self.out_dtype = dt = real_dtype(x.dtype)
        self.lo, self.hi, self.tiny = clip_bounds(self.eps, dt)
        return (TensorSpec(shape, dt),)

    def _work(self, *arrays: Any) -> list[Any]:
        acc = accumulation_dtype(self.out_dtype)
        return [a.astype(acc, copy=False) for a in arrays]

    def forward(self, xp: Any, x: Any, t: Any) -> tuple[Any, ...]:
        x, t = self._work(x, t)
        loss = bce(x, t, self.lo, self.hi, self.tiny)
        return (loss.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, t_in = self.retained_inputs()
        (gy,) = grad_outputs
        dt = self.out_dtype
        t = to_dtype(t_in, dt)
        gx = gt = None
        if 0 in target_indexes:
            gx = _BinaryCrossEntropyGrad(self).apply1(x, t, gy)
        if 1 in target_indexes:
            lp, lq = _bce_logs(self, to_dtype(x, dt))
            # the output dtype follows `x`: a float64 target next to a bool or float32 `x`
            # gets its gradient in its own dtype (was an engine AssertionError, found by the fuzz)
            gt = to_dtype(gy * (lq - lp), t_in.dtype)
        return (gx, gt)


def _bce_logs(fn: BinaryCrossEntropy, x: Any) -> tuple[Any, Any]:
    """``log max(p, tiny)`` and ``log max(1 - p, tiny)``, ``p = clip(x)``, as nnfunc calls."""
    p = x if fn.eps is None else clip(x, fn.lo, fn.hi)
    return F.log(clip(p, fn.tiny, None)), F.log(clip(F.sub(1, p), fn.tiny, None))


def clip_bounds(eps: float | None, dt: np.dtype) -> tuple[float, float, float]:
    """The clip bounds ``lo = eps, hi = 1 - eps`` (infinite without ``eps``) and the log's
    floor ``tiny``, each a number of ``dt``."""
    lo = -np.inf if eps is None else float(np.asarray(eps, dt))
    hi = np.inf if eps is None else float(np.asarray(1 - eps, dt))
    return lo, hi, float(np.finfo(dt).tiny)


class ClippedProbabilityGrad(Function):
    """Base of the fused input gradients of the clipped-probability cross-entropies: inputs
    ``(x, target, gy)``, the parent's clip bounds, :meth:`kernel` run in the accumulation
    dtype; the helpers of their own backward, written with nnfunc functions."""

    input_names = ("x", "target", "gy")
    retain_in = (0, 1, 2)

    def __init__(self, parent: Any) -> None:
        self.eps = parent.eps
        self.lo, self.hi, self.tiny = parent.lo, parent.hi, parent.tiny
        self.out_dtype = parent.out_dtype

    def setup(self, x: Any, t: Any, gy: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def kernel(self, x: Any, t: Any, gy: Any) -> Any:
        """The fused gradient of arrays in the accumulation dtype."""
        raise NotImplementedError

    def forward(self, xp: Any, x: Any, t: Any, gy: Any) -> tuple[Any, ...]:
        acc = accumulation_dtype(self.out_dtype)
        x, t, gy = (a.astype(acc, copy=False) for a in (x, t, gy))
        return (self.kernel(x, t, gy).astype(self.out_dtype, copy=False),)

    def reciprocal(self, p: Any) -> Any:
        """``[p >= tiny] / p``."""
        return F.where(F.less(p, self.tiny), 0, F.div(1, clip(p, self.tiny, None)))

    def outside(self, x: Any) -> Any:
        """Where ``x`` is clipped (outside ``[lo, hi]``): the clip's gradient is 0 there."""
        return F.logical_or(F.less(x, self.lo), F.greater(x, self.hi))


class _BinaryCrossEntropyGrad(ClippedProbabilityGrad):
    """``gy * d loss / dx`` of :class:`BinaryCrossEntropy` in one kernel; differentiable again.

    With ``ind = [lo <= x <= hi]``, ``r1 = [p >= tiny] / p``, ``r2 = [1 - p >= tiny] / (1 - p)``:
    ``gx = gy ind (-t r1 + (1 - t) r2)``, whose own derivatives are
    ``d/dx = gy ind (t r1^2 + (1 - t) r2^2)``, ``d/dt = -gy ind (r1 + r2)``,
    ``d/dgy = ind (-t r1 + (1 - t) r2)``.
    """

    op_name = "binary_cross_entropy_grad"

    def kernel(self, x: Any, t: Any, gy: Any) -> Any:
        return bce_grad(x, t, gy, self.lo, self.hi, self.tiny)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, t, gy = self.retained_inputs()
        (ggx,) = grad_outputs
        x = to_dtype(x, self.out_dtype)
        p = x if self.eps is None else clip(x, self.lo, self.hi)
        q = F.sub(1, p)
        r1 = self.reciprocal(p)
        r2 = self.reciprocal(q)
        if self.eps is not None:
            out = self.outside(x)
            r1 = F.where(out, 0, r1)
            r2 = F.where(out, 0, r2)
        g = ggx * gy
        res: list[Any] = [None, None, None]
        if 0 in target_indexes:
            res[0] = g * (t * r1 * r1 + (1 - t) * r2 * r2)
        if 1 in target_indexes:
            res[1] = -g * (r1 + r2)
        if 2 in target_indexes:
            res[2] = ggx * ((1 - t) * r2 - t * r1)
        return tuple(res)


def sigmoid_cross_entropy_with_logits(logits: Any, targets: Any, *, name: str | None = None) -> Any:
    """Element-wise logistic loss of logits against (soft) binary targets, computed stably.

    .. math::
        \\ell = z \\cdot (-\\log \\sigma(x)) + (1 - z) \\cdot (-\\log(1 - \\sigma(x)))
              = \\max(x, 0) - x z + \\log(1 + e^{-|x|})

    Args:
        logits (array, Variable or SymbolicVariable): Logits ``x`` of any shape.
        targets (array, Variable or SymbolicVariable): Targets ``z``, same shape as
            ``logits``, usually in ``[0, 1]``; cast to the dtype of ``logits``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``logits``: shape of ``logits``, its floating dtype (integer logits give
        float32). No reduction.

    Raises:
        ShapeError: ``logits`` and ``targets`` have different shapes (a ``ValueError``, as
            TensorFlow documents).

    Notes:
        Computed as ``c*|x| + log1p(exp(-|x|))`` with ``c = 1 - z`` for ``x >= 0`` and
        ``c = z`` for ``x < 0`` (the TF page's stable formula, rearranged): no overflow for any
        logit, exact for ``|x|`` up to the dtype's maximum, and the documented finite limits at
        ``x = +inf, z = 1`` and ``x = -inf, z = 0`` (loss 0). float16 is computed in float32.
        Gradients: ``d/dx = sigmoid(x) - z``, computed as
        ``(1 - z) sigmoid(x) - z sigmoid(-x)`` (accurate in both tails, finite for every
        logit, ``±inf`` included),
        ``d/dz = -x`` (soft targets get a gradient; integer targets get none). Equivalent to
        ``tf.nn.sigmoid_cross_entropy_with_logits(logits, targets)``,
        ``nnabla.functions.sigmoid_cross_entropy(x, target)`` and
        ``keras.ops.binary_crossentropy(target, output, from_logits=True)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([0.0, 1e30, -1e30])
        >>> nf.sigmoid_cross_entropy_with_logits(x, np.array([1.0, 1.0, 1.0]))
        array([6.93147181e-01, 0.00000000e+00, 1.00000000e+30])
    """
    return SigmoidCrossEntropyWithLogits().apply1(logits, targets, None, name=name)


def weighted_cross_entropy_with_logits(
    logits: Any, targets: Any, pos_weight: Any, *, name: str | None = None
) -> Any:
    """Logistic loss on logits with the positive term weighted by ``pos_weight``.

    .. math::
        \\ell = q z \\cdot (-\\log \\sigma(x)) + (1 - z) \\cdot (-\\log(1 - \\sigma(x)))
              = (1 - z) x + (1 + (q - 1) z) (\\log(1 + e^{-|x|}) + \\max(-x, 0))

    Args:
        logits (array, Variable or SymbolicVariable): Logits ``x`` of any shape.
        targets (array, Variable or SymbolicVariable): Targets ``z``, same shape as ``logits``.
        pos_weight (float, array, Variable or SymbolicVariable): Weight ``q`` of the positive
            term; a scalar or a tensor (a list is one) that broadcasts to the shape of
            ``logits`` without changing it (e.g. one weight per class on the last axis).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``logits``: shape of ``logits``, its floating dtype. No reduction.

    Raises:
        ShapeError: ``logits`` and ``targets`` have different shapes, or ``pos_weight`` does
            not broadcast to the shape of ``logits``.

    Notes:
        Stable for every logit, with the finite limits at ``x = ±inf`` (loss 0 where
        ``x = +inf, z = 1`` or ``x = -inf, z = 0``). ``q = 1`` gives
        :func:`sigmoid_cross_entropy_with_logits`. Gradients:
        ``d/dx = (1 - z) sigmoid(x) - q z sigmoid(-x)``, ``d/dz = (q - 1) softplus(-x) - x``,
        ``d/dq = z softplus(-x)``. Equivalent to
        ``tf.nn.weighted_cross_entropy_with_logits(logits, targets, pos_weight)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.weighted_cross_entropy_with_logits(np.array([0.0, 0.0]), np.array([1.0, 0.0]), 3.0)
        array([2.07944154, 0.69314718])
    """
    if isinstance(pos_weight, (list, tuple)):
        pos_weight = as_tensor(pos_weight)  # a nested list is a tensor, as in TF
    if not (hasattr(pos_weight, "shape") and hasattr(pos_weight, "dtype")):
        op = WeightedCrossEntropyWithLogits.op_name
        with shapes.node_errors(name, logits, targets):
            pos_weight = check.real_scalar(op, "pos_weight", pos_weight, finite=False)
    return WeightedCrossEntropyWithLogits().apply1(logits, targets, pos_weight, name=name)


def binary_cross_entropy(
    x: Any,
    target: Any,
    *,
    from_logits: bool = False,
    eps: float | None = 1e-7,
    name: str | None = None,
) -> Any:
    """Element-wise binary cross-entropy of probabilities (or logits) against targets.

    .. math::
        \\ell = -\\left(t \\log \\hat p + (1 - t) \\log(1 - \\hat p)\\right),
        \\quad \\hat p = \\mathrm{clip}(x, \\epsilon, 1 - \\epsilon)

    Args:
        x (array, Variable or SymbolicVariable): Predicted probabilities (or logits with
            ``from_logits=True``), any shape.
        target (array, Variable or SymbolicVariable): Targets, same shape as ``x``; cast to the
            dtype of ``x``.
        from_logits (bool): ``x`` holds logits: the result is
            :func:`sigmoid_cross_entropy_with_logits` (exact and stable, ``eps`` unused).
            Default ``False``.
        eps (float or None): Probabilities are clipped to ``[eps, 1 - eps]`` (computed in the
            dtype of ``x``) before the logs, as Keras does with ``epsilon() = 1e-7``. ``None``:
            no clipping (NNabla). In both cases the argument of each log is then clamped below
            at the smallest normal number of the dtype, so the loss is always finite. Default
            ``1e-7``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype. No reduction.

    Raises:
        ShapeError: ``x`` and ``target`` have different shapes.
        ArgumentError: ``eps`` is not ``None`` or a number in ``[0, 0.5)``.

    Notes:
        Gradient w.r.t. ``x``: ``(p - t) / (p (1 - p))`` inside the clipping interval (bounds
        included), 0 outside it (the clip's gradient, as in Keras). Gradient w.r.t. ``target``:
        ``log(1 - p) - log(p)`` (soft targets). Equivalent to
        ``keras.ops.binary_crossentropy(target, output, from_logits)`` (argument order swapped)
        and ``nnabla.functions.binary_cross_entropy(x, target)`` (``eps=None``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.binary_cross_entropy(np.array([0.1, 0.9, 0.0]), np.array([0.0, 1.0, 0.0]))
        array([1.05360516e-01, 1.05360516e-01, 1.00000005e-07])
    """
    op = "binary_cross_entropy"
    with shapes.node_errors(name, x, target):
        from_logits = check.boolean(op, "from_logits", from_logits)
        if eps is not None:
            eps = check.real_scalar(op, "eps", eps, min_value=0.0, max_value=0.5, open_max=True)
        x = as_tensor(x)
        target = as_tensor(target)
        same_shape(op, ("x", "target"), x, target)
    if from_logits:
        return sigmoid_cross_entropy_with_logits(x, target, name=name)

    return BinaryCrossEntropy(eps).apply1(x, target, name=name)
