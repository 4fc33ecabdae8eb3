"""Categorical cross-entropies: softmax on logits (dense or integer labels) and on probabilities.

The softmax cross-entropies (dense and sparse labels) of float32 (and float16) NumPy logits
along the last axis run the row kernels of :mod:`nnfunc.kernels.cpu.softmax` (numba: one read
of the logits and labels per pass, no temporary of their size); other cases, and rows whose
maximum is not finite, run the NumPy code here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.core.variable import Variable
from nnfunc.functions._labels import (
    TakeAlongAxis,
    as_tensor,
    check_labels,
    clip,
    label_layout,
    label_layout_now_and_at_run,
    same_shape,
    shifted_logits,
    to_dtype,
)
from nnfunc.functions.loss._logistic import ClippedProbabilityGrad, clip_bounds
from nnfunc.kernels.cpu.logistic import cce, cce_grad
from nnfunc.kernels.cpu.softmax import (
    softmax_xent_grad_rows,
    softmax_xent_rows,
    sparse_xent_grad_rows,
    sparse_xent_rows,
)

__all__ = [
    "categorical_cross_entropy",
    "softmax_cross_entropy_with_logits",
    "sparse_categorical_cross_entropy",
    "sparse_softmax_cross_entropy_with_logits",
]


def _drop(shape: tuple, ax: int, keepdims: bool) -> tuple:
    return shape[:ax] + ((1,) if keepdims else ()) + shape[ax + 1 :]


class _SoftmaxLoss(Function):
    """Shared parts of the fused softmax cross-entropies.

    The forward pass keeps ``exp(x - max)`` and its sums (``self._p``), which it computes
    anyway, so that the first-order gradient costs one pass; they are dropped with the rest of
    what backward keeps. Higher orders recompute the softmax with :func:`nnfunc.softmax`.
    """

    input_names = ("logits", "labels")
    retain_in = (0, 1)
    _p: Any = None

    def __init__(self, axis: Any, keepdims: bool) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def _class_axis(self, x: Any) -> None:
        """``keepdims`` and the class axis ``ax`` of the logits ``x`` checked (setup)."""
        self.keepdims = check.boolean(self.op_name, "keepdims", self.keepdims)
        nd = check.ndim_at_least(self.op_name, "logits", x, 1)
        self.ax = check.axis(self.op_name, "axis", self.axis, nd)

    def _free(self) -> None:
        super()._free()
        self._p = None

    def _gyk(self, gy: Any) -> Any:
        return gy if self.keepdims else F.expand_dims(gy, self.ax)

    def _row_kernel(self, x2: Any, t: Any) -> Any:
        """The row kernel's ``(loss, row statistics)`` of the float32 ``(rows, classes)``
        logits, or None."""
        raise NotImplementedError

    def _rows(self, x: Any, t: Any) -> Any:
        """The row kernel's loss (last axis, float32 work, finite row maxima), or None."""
        if type(x) is not np.ndarray or type(t) is not np.ndarray or x.size == 0:
            return None
        if self.ax != x.ndim - 1 or accumulation_dtype(self.out_dtype) != np.float32:
            return None
        res = self._row_kernel(x.reshape(-1, x.shape[-1]).astype(np.float32, copy=False), t)
        if res is None:
            return None
        loss, self._p = res
        loss = loss.reshape(x.shape[:-1] + ((1,) if self.keepdims else ()))
        return loss.astype(self.out_dtype, copy=False)

    def _label_terms(self, xp: Any, z: Any, t: Any) -> tuple[Any, Any]:
        """``(scale, picked)`` of the loss ``scale * log(sum(exp(z))) - picked`` from the
        shifted logits ``z`` (``scale`` None: 1)."""
        raise NotImplementedError

    def forward(self, xp: Any, x: Any, t: Any) -> tuple[Any, ...]:
        loss = self._rows(x, t)
        if loss is not None:
            return (loss,)
        ax = self.ax
        z = shifted_logits(xp, x.astype(accumulation_dtype(self.out_dtype), copy=False), ax)
        scale, picked = self._label_terms(xp, z, t)  # before z becomes exp(z) in place
        xp.exp(z, out=z)
        s = z.sum(axis=ax, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = xp.log(s) - picked if scale is None else scale * xp.log(s) - picked
        self._p = (z, s)
        if not self.keepdims:
            loss = loss.squeeze(ax)
        return (loss.astype(self.out_dtype, copy=False),)


class SoftmaxCrossEntropyWithLogits(_SoftmaxLoss):
    """Cross-entropy of softmax(logits) against dense label distributions."""

    op_name = "softmax_cross_entropy_with_logits"

    def setup(self, x: Any, t: Any) -> tuple[TensorSpec, ...]:
        self._class_axis(x)
        shape = same_shape(self.op_name, ("logits", "labels"), x, t)
        self.out_dtype = real_dtype(x.dtype)
        return (TensorSpec(_drop(shape, self.ax, self.keepdims), self.out_dtype),)

    def _row_kernel(self, x2: Any, t: Any) -> Any:
        res = softmax_xent_rows(x2, t.reshape(-1, x2.shape[1]).astype(np.float32, copy=False))
        return None if res is None else (res[0], _RowStats(res[1]))

    def _label_terms(self, xp: Any, z: Any, t: Any) -> tuple[Any, Any]:
        ax = self.ax
        t = t.astype(accumulation_dtype(self.out_dtype), copy=False)
        with np.errstate(invalid="ignore"):
            tz = _dot(xp, t, z, ax)
            if xp.isnan(tz).any():
                # 0 * -inf where a label is 0 on a -inf logit: that term's limit is 0.
                tz = xp.where(t == 0, 0, t * z).sum(axis=ax, keepdims=True)
        return t.sum(axis=ax, keepdims=True), tz

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, t = self.retained_inputs()
        gyk = self._gyk(grad_outputs[0])
        t = to_dtype(t, self.out_dtype)
        gx = gt = None
        if 0 in target_indexes:
            gx = _SoftmaxCrossEntropyGrad(self.ax, self._p).apply1(x, t, gyk)
        if 1 in target_indexes:
            gt = self.sum_to_input(-(gyk * F.log_softmax(x, axis=self.ax)), 1)
        return (gx, gt)


class _RowStats:
    """Per-row statistics of the row kernel's forward pass (max, sum of exp, sum of labels)."""

    def __init__(self, stats: Any) -> None:
        self.stats = stats

    def _kernel(self, x2: Any, t: Any, gy: Any) -> Any:
        t2 = np.asarray(t).reshape(-1, x2.shape[1]).astype(np.float32, copy=False)
        return softmax_xent_grad_rows(x2, t2, gy, self.stats)

    def grad(self, x: Any, t: Any, gy: Any) -> Any:
        """The logits gradient from these statistics, or None if they do not fit ``x``."""
        k = x.shape[-1] if x.ndim else 0
        if type(x) is not np.ndarray or k == 0 or x.size // k != self.stats.shape[1]:
            return None
        x2 = x.reshape(-1, k).astype(np.float32, copy=False)
        return self._kernel(x2, t, np.asarray(gy, dtype=np.float32).reshape(-1)).reshape(x.shape)


class _SparseRowStats(_RowStats):
    """Per-row statistics of the sparse row kernel's forward pass (max, sum of exp)."""

    def _kernel(self, x2: Any, t: Any, gy: Any) -> Any:
        return sparse_xent_grad_rows(x2, np.asarray(t).reshape(-1), gy, self.stats)


class _SoftmaxLossGrad(Function):
    """Shared parts of the softmax cross-entropies' logits gradients: the forward pass's row
    statistics (``stats_type``) when they fit, else ``exp(x - max)`` and its sums, kept by the
    forward pass or recomputed, handed to ``_grad``."""

    input_names = ("logits", "labels", "gy")
    retain_in = (0, 1, 2)
    stats_type: type

    def setup(self, x: Any, t: Any, gy: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(x.shape), real_dtype(x.dtype)),)

    def _grad(self, xp: Any, e: Any, s: Any, t: Any, gy: Any) -> Any:
        raise NotImplementedError

    def forward(self, xp: Any, x: Any, t: Any, gy: Any) -> tuple[Any, ...]:
        cache, self.p = self.p, None
        if isinstance(cache, self.stats_type):
            gx = cache.grad(x, t, gy)
            if gx is not None:
                return (gx.astype(real_dtype(x.dtype), copy=False),)
            cache = None
        e, s = _exp_parts(xp, x, self.ax, cache)
        return (self._grad(xp, e, s, t, gy).astype(real_dtype(x.dtype), copy=False),)


class _SoftmaxCrossEntropyGrad(_SoftmaxLossGrad):
    """``gy * (p * sum(t) - t)``, the logits gradient of the dense softmax cross-entropy."""

    op_name = "softmax_cross_entropy_with_logits_grad"
    stats_type = _RowStats

    def __init__(self, ax: int, p: Any) -> None:
        self.ax = ax
        self.p = p

    def _grad(self, xp: Any, e: Any, s: Any, t: Any, gy: Any) -> Any:
        st = t.sum(axis=self.ax, keepdims=True, dtype=e.dtype)
        gx = e * (gy * st / s)
        gx -= t * gy
        return gx

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, t, gy = self.retained_inputs()
        (ggx,) = grad_outputs
        ax = self.ax
        p = F.softmax(x, axis=ax)
        st = F.sum(t, axis=ax, keepdims=True)
        g_x = g_t = g_gy = None
        if 0 in target_indexes:
            u = ggx * gy * st
            g_x = p * (u - F.sum(u * p, axis=ax, keepdims=True))
        if 1 in target_indexes:
            g_t = gy * (F.sum(ggx * p, axis=ax, keepdims=True) - ggx)
        if 2 in target_indexes:
            g_gy = F.sum(ggx * (st * p - t), axis=ax, keepdims=True)
        return (g_x, g_t, g_gy)


def _exp_parts(xp: Any, x: Any, ax: int, cache: Any) -> tuple[Any, Any]:
    """``exp(x - max)`` and its sums along ``ax`` (softmax = e / s): the cache or recomputed."""
    if cache is not None and cache[0].shape == x.shape:
        return cache
    z = shifted_logits(xp, x.astype(accumulation_dtype(real_dtype(x.dtype)), copy=False), ax)
    xp.exp(z, out=z)
    return z, z.sum(axis=ax, keepdims=True)


def _dot(xp: Any, a: Any, b: Any, ax: int) -> Any:
    """``sum(a * b, ax, keepdims=True)`` without the temporary product where NumPy allows."""
    vecdot = getattr(xp, "vecdot", None)
    if vecdot is None:
        return (a * b).sum(axis=ax, keepdims=True)
    return xp.expand_dims(vecdot(a, b, axis=ax), ax)


class SparseSoftmaxCrossEntropyWithLogits(_SoftmaxLoss):
    """Cross-entropy of softmax(logits) against integer class indices."""

    op_name = "sparse_softmax_cross_entropy_with_logits"

    def setup(self, x: Any, t: Any) -> tuple[TensorSpec, ...]:
        self._class_axis(x)
        self.labels_kept = label_layout(self.op_name, x, t, self.ax, "logits", "labels")
        check_labels(self.op_name, t, x.shape[self.ax])
        self.out_dtype = real_dtype(x.dtype)
        return (TensorSpec(_drop(tuple(x.shape), self.ax, self.keepdims), self.out_dtype),)

    def _row_kernel(self, x2: Any, t: Any) -> Any:
        res = sparse_xent_rows(x2, t.reshape(-1))
        return None if res is None else (res[0], _SparseRowStats(res[1]))

    def _label_terms(self, xp: Any, z: Any, t: Any) -> tuple[Any, Any]:
        tk = t.astype(np.intp, copy=False)
        if not self.labels_kept:
            tk = xp.expand_dims(tk, self.ax)
        return None, xp.take_along_axis(z, tk, axis=self.ax)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, t = self.retained_inputs()
        gyk = self._gyk(grad_outputs[0])
        grad = _SparseSoftmaxCrossEntropyGrad(self.ax, not self.labels_kept, self._p)
        return (grad.apply1(x, t, gyk), None)


class _SparseSoftmaxCrossEntropyGrad(_SoftmaxLossGrad):
    """``gy * (p - onehot(t))``, the logits gradient of the sparse softmax cross-entropy."""

    op_name = "sparse_softmax_cross_entropy_with_logits_grad"
    stats_type = _SparseRowStats

    def __init__(self, ax: int, expand: bool, p: Any) -> None:
        self.ax = ax
        self.expand = expand
        self.p = p

    def _grad(self, xp: Any, e: Any, s: Any, t: Any, gy: Any) -> Any:
        tk = t.astype(np.intp, copy=False)
        if self.expand:
            tk = xp.expand_dims(tk, self.ax)
        gx = e * (gy / s)
        xp.put_along_axis(gx, tk, xp.take_along_axis(gx, tk, axis=self.ax) - gy, axis=self.ax)
        return gx

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, t, gy = self.retained_inputs()
        (ggx,) = grad_outputs
        ax = self.ax
        p = F.softmax(x, axis=ax)
        g_x = g_gy = None
        if 0 in target_indexes:
            u = ggx * gy
            g_x = p * (u - F.sum(u * p, axis=ax, keepdims=True))
        if 2 in target_indexes:
            picked = TakeAlongAxis(ax, self.expand).apply1(ggx, t)
            g_gy = F.sum(ggx * p, axis=ax, keepdims=True) - picked
        return (g_x, None, g_gy)


def softmax_cross_entropy_with_logits(
    logits: Any,
    labels: Any,
    *,
    axis: int = -1,
    keepdims: bool = False,
    name: str | None = None,
) -> Any:
    """Cross-entropy of ``softmax(logits)`` against dense label distributions.

    .. math::
        \\ell = -\\sum_i t_i \\log \\mathrm{softmax}(x)_i
              = \\Big(\\sum_i t_i\\Big) \\log \\sum_j e^{x_j - m} - \\sum_i t_i (x_i - m),
        \\quad m = \\max_j x_j

    Args:
        logits (array, Variable or SymbolicVariable): Unscaled logits, rank >= 1.
        labels (array, Variable or SymbolicVariable): Label distributions, same shape as
            ``logits`` (each slice along ``axis`` usually sums to 1); cast to the logits dtype.
        axis (int): Class axis. Default ``-1``.
        keepdims (bool): Keep the class axis with size 1. Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``logits``: shape of ``logits`` without ``axis`` (size 1 with
        ``keepdims``), the floating dtype of ``logits``.

    Raises:
        ShapeError: ``logits`` is 0-d, the shapes differ, or ``axis`` is out of range.

    Notes:
        One max-shifted pass: finite for logits of any finite magnitude. ``-inf`` logits are
        fine (a zero label there contributes 0); a slice whose maximum is ``+inf`` takes the
        softmax limit (all mass on its ``+inf`` entries), so the loss is finite where the labels
        put no mass elsewhere. float16 is computed in float32. Gradients:
        ``d/dx = p * sum(t) - t`` with ``p = softmax(x)`` (``p - t`` for proper distributions;
        the probabilities of the forward pass are reused), ``d/dt = -log_softmax(x)``.
        Equivalent to ``tf.nn.softmax_cross_entropy_with_logits(logits, labels, dim)`` and
        ``keras.ops.categorical_crossentropy(target, output, from_logits=True, axis)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.softmax_cross_entropy_with_logits(np.array([[0.0, 0.0], [100.0, 0.0]]),
        ...                                      np.array([[1.0, 0.0], [0.0, 1.0]]))
        array([  0.69314718, 100.        ])
    """
    fn = SoftmaxCrossEntropyWithLogits(axis, keepdims)
    return fn.apply1(as_tensor(logits), as_tensor(labels), name=name)


def sparse_softmax_cross_entropy_with_logits(
    logits: Any,
    labels: Any,
    *,
    axis: int = -1,
    keepdims: bool = False,
    name: str | None = None,
) -> Any:
    """Cross-entropy of ``softmax(logits)`` against integer class indices.

    .. math::
        \\ell = -\\log \\mathrm{softmax}(x)_{t} = \\log \\sum_j e^{x_j - m} - (x_t - m),
        \\quad m = \\max_j x_j

    Args:
        logits (array, Variable or SymbolicVariable): Unscaled logits, rank >= 1, classes on
            ``axis``.
        labels (array, Variable or SymbolicVariable): Integer class indices in
            ``[0, num_classes)``: shape of ``logits`` without ``axis``, or with ``axis`` of
            size 1 (NNabla's layout).
        axis (int): Class axis. Default ``-1``.
        keepdims (bool): Keep the class axis with size 1. Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``logits``: shape of ``logits`` without ``axis`` (size 1 with
        ``keepdims``), the floating dtype of ``logits``.

    Raises:
        ShapeError: ``logits`` is 0-d, ``axis`` is out of range, or ``labels`` has neither
            accepted shape.
        DTypeError: ``labels`` is not integer.
        ArgumentError: a label is outside ``[0, num_classes)`` (the message names the first
            one and its position; checked in eager mode and when a graph runs).

    Notes:
        One max-shifted pass, finite for any finite logits; ``-inf`` logits on other classes
        are fine and a ``+inf`` logit on the target class gives the limit 0. Gradient:
        ``softmax(x) - onehot(t)`` (the forward pass's probabilities are reused); the labels get
        none. Equivalent to ``tf.nn.sparse_softmax_cross_entropy_with_logits(logits, labels)``,
        ``keras.ops.sparse_categorical_crossentropy(target, output, from_logits=True, axis)``
        and ``nnabla.functions.softmax_cross_entropy(x, target, axis)`` (``keepdims=True``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.sparse_softmax_cross_entropy_with_logits(np.array([[0.0, 0.0], [100.0, 0.0]]),
        ...                                             np.array([0, 1]))
        array([  0.69314718, 100.        ])
    """
    fn = SparseSoftmaxCrossEntropyWithLogits(axis, keepdims)
    return fn.apply1(as_tensor(logits), as_tensor(labels), name=name)


class CategoricalCrossEntropy(Function):
    """``-sum(t * log(max(clip(p, eps, 1 - eps), tiny)))`` along an axis, one kernel each way.

    The clip bounds and the log's floor are numbers of the output dtype; the clip's gradient is
    1 inside (bounds included), 0 outside, as in :func:`_probability_log`.
    """

    op_name = "categorical_cross_entropy"
    input_names = ("x", "target")
    retain_in = (0, 1)

    def __init__(self, ax: int, keepdims: bool, eps: float | None) -> None:
        self.ax = ax
        self.keepdims = keepdims
        self.eps = eps

    def setup(self, p: Any, t: Any) -> tuple[TensorSpec, ...]:
        shape = same_shape(self.op_name, ("x", "target"), p, t)
        self.out_dtype = dt = real_dtype(p.dtype)
        self.lo, self.hi, self.tiny = clip_bounds(self.eps, dt)
        return (TensorSpec(_drop(shape, self.ax, self.keepdims), dt),)

    def forward(self, xp: Any, p: Any, t: Any) -> tuple[Any, ...]:
        acc = accumulation_dtype(self.out_dtype)
        p, t = p.astype(acc, copy=False), t.astype(acc, copy=False)
        loss = cce(p, t, self.ax, self.lo, self.hi, self.tiny)
        if not self.keepdims:
            loss = loss.squeeze(self.ax)
        return (xp.asarray(loss.astype(self.out_dtype, copy=False)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        p, t = self.retained_inputs()
        gy = grad_outputs[0]
        gyk = gy if self.keepdims else F.expand_dims(gy, self.ax)
        dt = self.out_dtype
        t = to_dtype(t, dt)
        gp = gt = None
        if 0 in target_indexes:
            gp = _CategoricalCrossEntropyGrad(self).apply1(p, t, gyk)
        if 1 in target_indexes:
            gt = -(gyk * _probability_log(to_dtype(p, dt), self.eps, dt))
        return (gp, gt)


class _CategoricalCrossEntropyGrad(ClippedProbabilityGrad):
    """``-gy * t * r`` with ``r = 1 / clip(p)`` where the clips pass the gradient, else 0.

    Its own derivatives: ``d/dp = gy t r^2``, ``d/dt = -gy r``, ``d/dgy = -sum(t r)``.
    """

    op_name = "categorical_cross_entropy_grad"

    def __init__(self, parent: CategoricalCrossEntropy) -> None:
        super().__init__(parent)
        self.ax = parent.ax

    def kernel(self, p: Any, t: Any, gy: Any) -> Any:
        return cce_grad(p, t, gy, self.ax, self.lo, self.hi, self.tiny)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        p, t, gy = self.retained_inputs()
        (ggx,) = grad_outputs
        p = to_dtype(p, self.out_dtype)
        c = p if self.eps is None else clip(p, self.lo, self.hi)
        r = self.reciprocal(c)
        if self.eps is not None:
            r = F.where(self.outside(p), 0, r)
        res: list[Any] = [None, None, None]
        if 0 in target_indexes:
            res[0] = ggx * gy * t * r * r
        if 1 in target_indexes:
            res[1] = -(ggx * gy * r)
        if 2 in target_indexes:
            res[2] = -F.sum(ggx * t * r, axis=self.ax, keepdims=True)
        return tuple(res)


def _probability_log(p: Any, eps: float | None, dt: np.dtype) -> Any:
    """``log`` of probabilities clipped to ``[eps, 1 - eps]``, never below the tiniest normal."""

    if eps is not None:
        p = clip(p, eps, float(np.asarray(1 - eps, dt)))
    return F.log(clip(p, float(np.finfo(dt).tiny), None))


def _check_eps(op: str, eps: Any) -> float | None:
    if eps is None:
        return None
    return check.real_scalar(op, "eps", eps, min_value=0.0, max_value=0.5, open_max=True)


def _cce_options(
    op: str,
    x: Any,
    target: Any,
    axis: Any,
    from_logits: Any,
    normalize: Any,
    keepdims: Any,
    eps: Any,
) -> tuple[Any, ...]:
    """The options and tensors of the probability cross-entropies checked (dense and sparse
    labels): ``(from_logits, normalize, keepdims, eps, x, target, class axis)``."""
    from_logits = check.boolean(op, "from_logits", from_logits)
    normalize = check.boolean(op, "normalize", normalize)
    keepdims = check.boolean(op, "keepdims", keepdims)
    eps = _check_eps(op, eps)
    x = as_tensor(x)
    target = as_tensor(target)
    nd = check.ndim_at_least(op, "x", x, 1)
    return from_logits, normalize, keepdims, eps, x, target, check.axis(op, "axis", axis, nd)


def categorical_cross_entropy(
    x: Any,
    target: Any,
    *,
    axis: int = -1,
    from_logits: bool = False,
    eps: float | None = 1e-7,
    normalize: bool = False,
    keepdims: bool = False,
    name: str | None = None,
) -> Any:
    """Cross-entropy of predicted probabilities against dense target distributions.

    .. math::
        \\ell = -\\sum_i t_i \\log \\mathrm{clip}(\\hat p_i, \\epsilon, 1 - \\epsilon),
        \\quad \\hat p = x \\text{ (or } x / \\textstyle\\sum_j x_j \\text{ with normalize)}

    Args:
        x (array, Variable or SymbolicVariable): Probabilities (or logits with
            ``from_logits=True``), rank >= 1, classes on ``axis``.
        target (array, Variable or SymbolicVariable): Target distributions (one-hot or soft),
            same shape as ``x``; cast to the dtype of ``x``.
        axis (int): Class axis. Default ``-1``.
        from_logits (bool): ``x`` holds logits: the result is
            :func:`softmax_cross_entropy_with_logits` (exact; ``eps``/``normalize`` unused).
            Default ``False``.
        eps (float or None): Clipping of the probabilities before the log (Keras: ``1e-7``);
            ``None``: none. The log's argument is always clamped at the dtype's smallest normal
            number. Default ``1e-7``.
        normalize (bool): Divide ``x`` by its sum along ``axis`` first, as Keras does.
            Default ``False``.
        keepdims (bool): Keep the class axis with size 1. Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x`` without ``axis`` (size 1 with ``keepdims``), its
        floating dtype.

    Raises:
        ShapeError: ``x`` is 0-d, the shapes differ, or ``axis`` is out of range.
        ArgumentError: ``eps`` is not ``None`` or in ``[0, 0.5)``.

    Notes:
        Gradients: ``-t / p`` inside the clipping interval, 0 outside (plus the normalisation's
        term with ``normalize``); ``d/dt = -log p``. Equivalent to
        ``keras.ops.categorical_crossentropy(target, output, from_logits, axis)`` with
        ``normalize=True`` (argument order swapped). NNabla's ``categorical_cross_entropy``
        takes integer targets: that is :func:`sparse_categorical_cross_entropy`.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.categorical_cross_entropy(np.array([[0.5, 0.5], [0.9, 0.1]]),
        ...                              np.array([[1.0, 0.0], [0.0, 1.0]]))
        array([0.69314718, 2.30258509])
    """
    op = "categorical_cross_entropy"

    with node_errors(name, x, target):
        from_logits, normalize, keepdims, eps, x, target, ax = _cce_options(
            op, x, target, axis, from_logits, normalize, keepdims, eps
        )
        same_shape(op, ("x", "target"), x, target)
    if from_logits:
        return softmax_cross_entropy_with_logits(x, target, axis=ax, keepdims=keepdims, name=name)
    dt = real_dtype(x.dtype)
    p = to_dtype(x, dt)
    if normalize:
        p = F.div(p, F.sum(p, axis=ax, keepdims=True))
    return CategoricalCrossEntropy(ax, keepdims, eps).apply1(p, target, name=name)


def sparse_categorical_cross_entropy(
    x: Any,
    target: Any,
    *,
    axis: int = -1,
    from_logits: bool = False,
    eps: float | None = 1e-7,
    normalize: bool = False,
    keepdims: bool = False,
    name: str | None = None,
) -> Any:
    """Cross-entropy of predicted probabilities against integer class indices.

    .. math::
        \\ell = -\\log \\mathrm{clip}(\\hat p_t, \\epsilon, 1 - \\epsilon),
        \\quad \\hat p = x \\text{ (or } x / \\textstyle\\sum_j x_j \\text{ with normalize)}

    Args:
        x (array, Variable or SymbolicVariable): Probabilities (or logits with
            ``from_logits=True``), rank >= 1, classes on ``axis``.
        target (array, Variable or SymbolicVariable): Integer class indices in
            ``[0, num_classes)``: shape of ``x`` without ``axis``, or with ``axis`` of size 1.
        axis (int): Class axis. Default ``-1``.
        from_logits (bool): ``x`` holds logits: the result is
            :func:`sparse_softmax_cross_entropy_with_logits`. Default ``False``.
        eps (float or None): Clipping of the probabilities before the log (Keras ``1e-7``);
            ``None``: none (NNabla). The log's argument is always clamped at the dtype's
            smallest normal number, so the loss is finite. Default ``1e-7``.
        normalize (bool): Divide ``x`` by its sum along ``axis`` first (Keras). Default
            ``False``.
        keepdims (bool): Keep the class axis with size 1 (NNabla). Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x`` without ``axis`` (size 1 with ``keepdims``), its
        floating dtype.

    Raises:
        ShapeError: ``x`` is 0-d, ``axis`` is out of range, or ``target`` has neither accepted
            shape.
        DTypeError: ``target`` is not integer.
        ArgumentError: a target is outside ``[0, num_classes)`` (first bad value and its
            position), or ``eps`` is invalid.

    Notes:
        Gradient w.r.t. ``x``: ``-1 / p_t`` at the target class inside the clipping interval,
        0 elsewhere (plus the normalisation's term with ``normalize``); none for the integer
        targets. Equivalent to ``keras.ops.sparse_categorical_crossentropy(target, output,
        from_logits, axis)`` (``normalize=True``) and
        ``nnabla.functions.categorical_cross_entropy(x, target, axis)`` (``eps=None``,
        ``keepdims=True``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> p = np.array([[0.5, 0.5], [0.9, 0.1]])
        >>> nf.sparse_categorical_cross_entropy(p, np.array([0, 1]))
        array([0.69314718, 2.30258509])
    """
    op = "sparse_categorical_cross_entropy"

    with node_errors(name, x, target):
        from_logits, normalize, keepdims, eps, x, target, ax = _cce_options(
            op, x, target, axis, from_logits, normalize, keepdims, eps
        )
        kept, x, target = label_layout_now_and_at_run(op, x, target, ax, "x", "target")
    if from_logits:
        # Check here too, so that a bad label is reported under this function's own names.
        labels = target.data if isinstance(target, Variable) else target
        if not getattr(labels, "_is_symbolic", False):
            check_labels(op, labels, x.shape[ax], name="target")
        return sparse_softmax_cross_entropy_with_logits(
            x, target, axis=ax, keepdims=keepdims, name=name
        )
    dt = real_dtype(x.dtype)
    p = to_dtype(x, dt)
    if normalize:
        p = F.div(p, F.sum(p, axis=ax, keepdims=True))
    pt = TakeAlongAxis(ax, expand=not kept, check_op=op, label_name="target").apply1(p, target)
    if keepdims:
        return F.neg(_probability_log(pt, eps, dt), name=name)
    return F.squeeze(F.neg(_probability_log(pt, eps, dt)), ax, name=name)
