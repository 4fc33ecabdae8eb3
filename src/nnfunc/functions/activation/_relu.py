"""The rectifier family: relu, relu6, crelu, leaky_relu, prelu."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.elementwise import Elementwise, input_spec
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.activation._fused import ActivationGrad
from nnfunc.functions.array._join import Concatenate
from nnfunc.functions.clipping._clip import ClipByValue
from nnfunc.kernels.cpu import activation as _kernels

__all__ = ["ClipActivation", "crelu", "leaky_relu", "prelu", "relu", "relu6"]


class ReLU(Elementwise):
    """``x`` where ``x >= threshold`` else 0 (``max(x, 0)`` for ``threshold=0``)."""

    op_name = "relu"
    real = False

    def __init__(self, threshold: Any = 0.0) -> None:
        self.threshold = threshold

    params = (("threshold", "threshold", check.real_scalar),)

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        specs = super().setup(x)  # checks threshold first
        if self.threshold == 0:
            self.retain_outputs(0)
        else:
            self.retain_inputs(0)
        return specs

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        if self.threshold == 0:
            if x.dtype == np.bool_:
                return (x.copy(),)  # max(b, False) is b
            if _kernels.use_numba(x):  # ~4x faster than maximum's NaN-checking loop
                return (_kernels.forward_numba("clip", x, 0.0, np.inf),)
            return (xp.maximum(x, 0, dtype=x.dtype),)
        keep = x >= self.threshold
        return (xp.where(keep, x, xp.zeros((), x.dtype)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        # gy where y > 0 (t = 0: the output decides) or where x > t: one fused kernel
        if self.threshold == 0:
            (v,) = self.retained_outputs()
        else:
            (v,) = self.retained_inputs()
        grad = ActivationGrad("relu", self.threshold, op=self.op_name)
        return (grad.apply1(v, grad_outputs[0]),)


def relu(x: Any, threshold: float = 0.0, *, name: str | None = None) -> Any:
    """Rectified linear unit, element-wise, with an optional threshold.

    .. math::
        y = \\begin{cases} x, & x \\ge t \\\\ 0, & x < t \\end{cases}
        \\qquad (t = 0: \\; y = \\max(x, 0))

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool dtypes
            are kept.
        threshold (float): ``t``, below which values become 0. Default ``0.0``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        ArgumentError: ``threshold`` is not a finite real number.

    Notes:
        Gradient: ``gy`` where ``x > t``, else 0 (``relu'(0) = 0``; at ``x == t`` the gradient
        is 0 too). NaN stays NaN for ``t = 0``. ``threshold`` is SameDiff's ``cutoff``: the
        seed documents ``x if x >= cutoff else 0`` (its parameter text says ``x > cutoff``, the
        same except at ``x == cutoff``; libnd4j's kernel is reported to compute
        ``max(x, cutoff)`` instead). Equivalent to ``tf.nn.relu(features)``,
        ``keras.ops.relu(x)``, ``nnabla.functions.relu(x)`` and SameDiff
        ``nn.relu(x, cutoff)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.relu(np.array([-1.0, 0.0, 2.0], np.float32))
        array([0., 0., 2.], dtype=float32)
        >>> nf.relu(np.array([-1.0, 0.5, 2.0]), threshold=1.0)
        array([0., 0., 2.])
    """
    return ReLU(threshold).apply1(x, name=name)


def relu6(x: Any, lower: float = 0.0, *, name: str | None = None) -> Any:
    """ReLU capped at 6, element-wise, with an optional lower clamp.

    .. math::
        y = \\min(\\max(x, l), 6)

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer dtypes are kept.
        lower (float): ``l``, the value below which inputs are clamped (not zeroed).
            Default ``0.0``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        ArgumentError: ``lower`` is not a finite real number ``<= 6``.

    Notes:
        Gradient: ``gy`` strictly inside ``(l, 6)``, 0 elsewhere (0 at both kinks, as TF).
        ``lower`` is SameDiff's ``cutoff`` (relu6 clamps to it, unlike relu which zeroes).
        Equivalent to ``tf.nn.relu6(features)``, ``keras.ops.relu6(x)``,
        ``nnabla.functions.relu6(x)`` and SameDiff ``nn.relu6(x, cutoff)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.relu6(np.array([-3.0, 0.1, 8.0], np.float32))
        array([0. , 0.1, 6. ], dtype=float32)
        >>> nf.relu6(np.array([-3.0, 0.1, 8.0]), lower=0.5)
        array([0.5, 0.5, 6. ])
    """
    with node_errors(name, x):
        lower = check.real_scalar("relu6", "lower", lower, max_value=6.0)
    return ClipActivation(lower, 6.0, "relu6").apply1(x, None, None, name=name)


class ClipActivation(ClipByValue):
    """clip_by_value to number bounds under an activation's name ``op`` (relu6, hard_sigmoid),
    with a zero gradient at the bounds; on floating inputs its forward and its backward
    (``gy`` strictly inside the bounds) are one fused kernel each."""

    def __init__(self, lo: float, hi: float, op: str) -> None:
        super().__init__(lo, hi, op, grad_at_bounds=False)

    def forward(self, xp: Any, x: Any, lo: Any = None, hi: Any = None) -> tuple[Any, ...]:
        if _kernels.use_numba(x):  # one pass (maximum then minimum: two slow ones)
            return (_kernels.forward_numba("clip", x, self.lo_s, self.hi_s),)
        return super().forward(xp, x, lo, hi)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        if self.out_dtype.kind != "f":
            return super().backward(target_indexes, grad_outputs)
        x = self.retained_inputs()[0]
        grad = ActivationGrad("window", self.lo_s, self.hi_s, op=self.op_name)
        return (grad.apply1(x, grad_outputs[0]), None, None)


def crelu(x: Any, axis: int = -1, *, name: str | None = None) -> Any:
    """Concatenated ReLU: ``relu(x)`` and ``relu(-x)`` joined along ``axis``.

    .. math::
        y = \\operatorname{concat}(\\max(x, 0), \\max(-x, 0))

    Args:
        x (array, Variable or SymbolicVariable): Input of rank >= 1; integer dtypes are kept.
        axis (int): Axis that doubles. Default ``-1`` (the last).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: the shape of ``x`` with ``axis`` doubled, dtype of ``x``.

    Raises:
        ShapeError: ``x`` is 0-d, or ``axis`` is out of range.

    Notes:
        Gradient as relu on each half: at ``x = 0`` both halves give 0 (``relu'(0) = 0``).
        For unsigned (and bool) inputs the second half is 0 (``-x <= 0``; it is not computed
        by negating, which would wrap around). TF ``tf.nn.crelu(features)`` concatenates on
        the last axis, NNabla ``crelu(x, axis=1)`` on the channel axis.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.crelu(np.array([[-1.0, 2.0]], np.float32))
        array([[0., 2., 1., 0.]], dtype=float32)
    """
    with node_errors(name, x):
        spec = input_spec("crelu", x)
        check.ndim_at_least("crelu", "x", spec, 1)
    kind = spec.dtype.kind
    # relu(-x) of unsigned values is 0; negating them would wrap around (255 for uint8 1).
    zero = False if kind == "b" else 0  # a Python scalar takes the tensor's dtype
    negative_part = x * zero if kind in "ub" else relu(F.neg(x))
    return Concatenate(2, axis, op="crelu").apply1(relu(x), negative_part, name=name)


class LeakyReLU(Elementwise):
    """``x`` for ``x >= 0``, ``slope * x`` otherwise."""

    op_name = "leaky_relu"
    retain_in = (0,)

    def __init__(self, negative_slope: Any) -> None:
        self.slope = negative_slope

    params = (("slope", "negative_slope", check.real_scalar),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (_kernels.forward("leaky_relu", x.astype(self.out_dtype, copy=False), self.slope),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        grad = ActivationGrad("leaky_relu", self.slope, op=self.op_name)
        return (grad.apply1(x, grad_outputs[0]),)


def leaky_relu(x: Any, negative_slope: float = 0.01, *, name: str | None = None) -> Any:
    """Leaky rectified linear unit, element-wise.

    .. math::
        y = \\begin{cases} x, & x \\ge 0 \\\\ s\\,x, & x < 0 \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        negative_slope (float): ``s``. Default ``0.01``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ArgumentError: ``negative_slope`` is not a finite real number.

    Notes:
        Gradient: ``gy`` for ``x >= 0`` (1 at 0, the branch of the formula, matching SameDiff's
        ``leakyReluDerivative``), ``s * gy`` otherwise. Dialect defaults differ and are passed
        explicitly: ``keras.ops.leaky_relu(x, negative_slope=0.2)``,
        ``nnabla.functions.leaky_relu(x, alpha=0.1)``, SameDiff ``nn.leakyRelu(x, alpha)``
        (no default; "commonly 0.01").

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.leaky_relu(np.array([-1.0, 0.0, 1.0], np.float32), 0.2)
        array([-0.2,  0. ,  1. ], dtype=float32)
    """
    return LeakyReLU(negative_slope).apply1(x, name=name)


class PReLU(Function):
    """``x`` for ``x >= 0``, ``alpha * x`` otherwise, with a learnable broadcast ``alpha``."""

    op_name = "prelu"
    input_names = ("x", "alpha")
    retain_in = (0, 1)

    def __init__(self, shared_axes: Any) -> None:
        self.shared_axes = shared_axes

    def setup(self, x: Any, alpha: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        xs, a_shape = tuple(x.shape), tuple(alpha.shape)
        ndim = len(xs)
        if alpha.dtype.kind != "f":
            check.float_dtype(op, "alpha", alpha)
        self.alpha_shape = a_shape
        if self.shared_axes is None:
            self.full_shape = None
            fits = len(a_shape) <= ndim and all(
                a in (1, None) or d is None or a == d
                for a, d in zip(a_shape[::-1], xs[::-1], strict=False)
            )
            if not fits:
                raise ShapeError(
                    check.message(
                        op,
                        "alpha",
                        "broadcast to the shape of `x` (or use shared_axes)",
                        **{"alpha.shape": a_shape, "x.shape": xs},
                    )
                )
        else:
            self._setup_shared(xs, a_shape)
        self.out_dtype = np.result_type(real_dtype(x.dtype), alpha.dtype)
        return (TensorSpec(xs, self.out_dtype),)

    def _setup_shared(self, xs: tuple, a_shape: tuple) -> None:
        """Check ``shared_axes`` and the two accepted layouts of ``alpha`` against it."""
        op, ndim = self.op_name, len(xs)
        shared = self.shared_axes
        if isinstance(shared, (int, np.integer)):
            shared = (shared,)
        if not isinstance(shared, (list, tuple)) or not all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in shared
        ):
            raise ArgumentError(
                check.message(
                    op, "shared_axes", "be None or a sequence of ints", shared_axes=shared
                )
            )
        if any(not 1 <= a < ndim for a in shared) or len(set(shared)) != len(shared):
            raise ShapeError(
                check.message(
                    op,
                    "shared_axes",
                    f"hold distinct axes in [1, {ndim}) (axis 0 is the batch axis)",
                    shared_axes=tuple(shared),
                    **{"x.shape": xs},
                )
            )
        kept = [a for a in range(1, ndim) if a not in shared]
        full = [1] + [1 if a in shared else xs[a] for a in range(1, ndim)]
        if a_shape == tuple(full[1:]) or (
            len(a_shape) == ndim - 1
            and all(
                (a == 1) if (j + 1) in shared else (a == f or a is None or f is None)
                for j, (a, f) in enumerate(zip(a_shape, full[1:], strict=True))
            )
        ):
            pass  # the full form: x.shape[1:] with 1 on the shared axes
        elif len(a_shape) == len(kept) and all(
            a == xs[k] or a is None or xs[k] is None for a, k in zip(a_shape, kept, strict=True)
        ):
            pass  # the compact form: one entry per kept axis
        else:
            raise ShapeError(
                check.message(
                    op,
                    "alpha",
                    "have shape x.shape[1:] with 1 on the shared axes, or the sizes of the "
                    "non-shared axes",
                    **{"alpha.shape": a_shape, "x.shape": xs},
                    shared_axes=tuple(shared),
                )
            )
        self.full_shape = tuple(-1 if d is None else d for d in full)
        self.shared = tuple(shared)

    def _full(self, xp: Any, alpha: Any, x_shape: tuple[int, ...]) -> Any:
        if self.full_shape is None:
            return alpha
        shape = [1] + [1 if a in self.shared else x_shape[a] for a in range(1, len(x_shape))]
        return alpha.reshape(shape)

    def forward(self, xp: Any, x: Any, alpha: Any) -> tuple[Any, ...]:
        x = x.astype(self.out_dtype, copy=False)
        a = self._full(xp, alpha, x.shape).astype(self.out_dtype, copy=False)
        return (xp.where(x >= 0, x, a * x),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, alpha = self.retained_inputs()
        (gy,) = grad_outputs
        pos = F.greater_equal(x, 0)
        a = alpha
        if self.full_shape is not None:
            a = F.reshape(alpha, self.full_shape)
        gx = ga = None
        if 0 in target_indexes:
            gx = self.sum_to_input(F.where(pos, gy, gy * a), 0)
        if 1 in target_indexes:
            g = F.where(pos, 0, gy * x)
            if self.full_shape is None:
                ga = self.sum_to_input(g, 1)
            else:
                axes = (0, *self.shared)
                ga = self.reshape_to_input(F.sum(g, axis=axes, keepdims=True), 1)
        return (gx, ga)


def prelu(x: Any, alpha: Any, shared_axes: Any = None, *, name: str | None = None) -> Any:
    """Parametric ReLU with a learnable slope, element-wise.

    .. math::
        y = \\begin{cases} x, & x \\ge 0 \\\\ \\alpha\\,x, & x < 0 \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        alpha (array, Variable or SymbolicVariable): Slopes, floating dtype. With
            ``shared_axes=None`` it broadcasts to ``x`` (NumPy rules, e.g. a scalar or shape
            ``(C, 1, 1)`` for a channel slope of an NCHW input). With ``shared_axes`` it holds
            either ``x.shape[1:]`` with 1 on the shared axes, or only the sizes of the axes not
            shared (SameDiff's convention; axis 0 is the batch axis and never in ``alpha``).
        shared_axes (sequence of int, optional): Axes (>= 1) along which one slope is shared.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, the result dtype of ``x`` (floating) and ``alpha``.

    Raises:
        ShapeError: ``alpha`` fits neither convention, or ``shared_axes`` holds an axis out of
            ``[1, x.ndim)`` or repeats one.
        ArgumentError: ``shared_axes`` is not a sequence of ints.
        DTypeError: ``alpha`` is not floating point.

    Notes:
        Gradient: ``gy`` for ``x >= 0`` (1 at 0), ``alpha * gy`` otherwise; for ``alpha``,
        ``gy * x`` where ``x < 0`` summed over the broadcast or shared axes. Equivalent to
        SameDiff ``nn.prelu(input, alpha, sharedAxes)`` and ``nnabla.functions.prelu(x0, x1,
        base_axis)`` (a scalar or per-channel slope on ``base_axis``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[-1.0, 2.0], [-3.0, -4.0]], np.float32)
        >>> nf.prelu(x, np.array([0.1, 0.5], np.float32))
        array([[-0.1,  2. ],
               [-0.3, -2. ]], dtype=float32)
    """
    return PReLU(shared_axes).apply1(x, alpha, name=name)
