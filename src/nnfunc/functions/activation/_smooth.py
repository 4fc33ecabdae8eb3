"""Element-wise activations with a real result: elu, selu, gelu, silu, log_sigmoid, softsign...

Each is a Function whose forward is one fused NumPy (or numba) computation and whose backward
is one :class:`~nnfunc.functions.activation._fused.ActivationGrad` node, ``gy * f'(x)`` by one
fused kernel, itself differentiable (its backward is written in nnfunc functions); tanh_shrink
and sinc keep ``gy * derivative(x)`` written in nnfunc functions. Every form avoids overflow: no
inf or NaN for finite inputs of any magnitude, in values and gradients.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.elementwise import Elementwise, input_spec
from nnfunc.core.function import node_errors
from nnfunc.functions.activation._fused import ActivationGrad
from nnfunc.functions.activation._relu import ClipActivation
from nnfunc.functions.activation._sigmoid_tanh_softplus import tanh
from nnfunc.functions.array._join import Concatenate
from nnfunc.functions.clipping._clip import clip_to
from nnfunc.functions.math import abs as abs_
from nnfunc.functions.math import cos
from nnfunc.functions.math._reciprocal import recip
from nnfunc.kernels.cpu import activation as _kernels

__all__ = [
    "concat_elu",
    "elu",
    "gelu",
    "hard_sigmoid",
    "hard_silu",
    "hard_tanh",
    "log_sigmoid",
    "selu",
    "silu",
    "sinc",
    "softsign",
    "tanh_shrink",
]

_SELU_SCALE = 1.0507009873554805
_SELU_ALPHA = 1.6732632423543772
_SIG_A = 1.702


class _Smooth(Elementwise):
    """``f(x)`` by ``compute``; gradient: the fused :class:`ActivationGrad` of ``grad_kind``
    with :meth:`grad_params`, or ``gy * derivative(x)`` when ``grad_kind`` is empty."""

    retain_in = (0,)
    #: kind of the fused gradient (:data:`nnfunc.kernels.cpu.activation.GRAD_KINDS`)
    grad_kind = ""

    def grad_params(self) -> tuple[float, float]:
        """The parameters ``(a, b)`` of the fused gradient kernel."""
        return (0.0, 0.0)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        if not self.grad_kind:
            return super().backward(target_indexes, grad_outputs)
        (x,) = self.retained_inputs()
        a, b = self.grad_params()
        return (ActivationGrad(self.grad_kind, a, b, self.op_name).apply1(x, grad_outputs[0]),)


class ELU(_Smooth):
    op_name = "elu"
    params = (("alpha", "alpha", check.real_scalar), ("scale", "scale", check.real_scalar))
    grad_kind = "elu"

    def __init__(self, alpha: Any = 1.0, scale: Any = 1.0, op: str = "elu") -> None:
        self.op_name = op
        self.alpha = alpha
        self.scale = scale

    def compute(self, xp: Any, x: Any) -> Any:
        return _kernels.forward("elu", x, self.alpha, self.scale)

    def grad_params(self) -> tuple[float, float]:
        return (self.alpha, self.scale)


def elu(x: Any, alpha: float = 1.0, *, name: str | None = None) -> Any:
    """Exponential linear unit, element-wise.

    .. math::
        y = \\begin{cases} x, & x > 0 \\\\ \\alpha\\,(e^{x} - 1), & x \\le 0 \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        alpha (float): Scale of the negative branch. Default ``1.0``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ArgumentError: ``alpha`` is not a finite real number.

    Notes:
        Gradient at ``x == 0`` is ``alpha`` (negative branch); ``expm1`` keeps small negative
        inputs accurate. Equivalent to ``tf.nn.elu(features)`` and SameDiff ``nn.elu(x)``
        (alpha fixed at 1), ``keras.ops.elu(x, alpha)`` (whose page calls alpha the "slope of
        positive section": it scales the negative one) and ``nnabla.functions.elu(x, alpha)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.elu(np.array([-1.0, 0.0, 1.0]))
        array([-0.63212056,  0.        ,  1.        ])
    """
    return ELU(alpha).apply1(x, name=name)


def selu(
    x: Any,
    scale: float = _SELU_SCALE,
    alpha: float = _SELU_ALPHA,
    *,
    name: str | None = None,
) -> Any:
    """Scaled exponential linear unit, element-wise.

    .. math::
        y = \\lambda \\begin{cases} x, & x > 0 \\\\ \\alpha\\,(e^{x} - 1), & x \\le 0
        \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        scale (float): ``lambda``. Default ``1.0507009873554805``.
        alpha (float): ``alpha``. Default ``1.6732632423543772``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ArgumentError: ``scale`` or ``alpha`` is not a finite real number.

    Notes:
        CORRECTION: SameDiff's page describes ``scale*alpha*(exp(x)-1)`` for ``x > 0`` and 0
        otherwise; that is wrong, and ``nn.selu`` here computes the SELU of the paper (above),
        as Keras and NNabla document. Gradient at 0: ``scale * alpha``. Equivalent to
        ``keras.ops.selu(x)``, ``nnabla.functions.selu(x, scale, alpha)`` (defaults
        1.05070098735548 and 1.673263242354377) and SameDiff ``nn.selu(x)``.

    References:
        Klambauer et al., *Self-Normalizing Neural Networks*, 2017.
        https://arxiv.org/abs/1706.02515

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.selu(np.array([-1.0, 0.0, 1.0]))
        array([-1.11133074,  0.        ,  1.05070099])
    """
    return ELU(alpha, scale, op="selu").apply1(x, name=name)


class GELU(_Smooth):
    op_name = "gelu"
    params = (
        ("approximate", "approximate", partial(check.choice, choices=("none", "tanh", "sigmoid"))),
    )

    def __init__(self, approximate: Any) -> None:
        self.approximate = approximate

    def compute(self, xp: Any, x: Any) -> Any:
        return _kernels.gelu(x, self.approximate)

    @property
    def grad_kind(self) -> str:  # type: ignore[override]
        return {"none": "gelu_erf", "tanh": "gelu_tanh"}.get(self.approximate, "swish")

    def grad_params(self) -> tuple[float, float]:
        return (_SIG_A, 0.0) if self.approximate == "sigmoid" else (0.0, 0.0)


def gelu(x: Any, approximate: str = "none", *, name: str | None = None) -> Any:
    """Gaussian error linear unit, element-wise, exact or approximated.

    .. math::
        \\text{none: } y = x\\,\\Phi(x) = \\tfrac{x}{2}\\left(1 + \\operatorname{erf}
        (x/\\sqrt{2})\\right) \\qquad
        \\text{tanh: } y = \\tfrac{x}{2}\\left(1 + \\tanh\\left(\\sqrt{2/\\pi}\\,
        (x + 0.044715\\,x^3)\\right)\\right) \\qquad
        \\text{sigmoid: } y = x\\,\\sigma(1.702\\,x)

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        approximate (str): ``"none"`` (exact, default), ``"tanh"`` or ``"sigmoid"``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ArgumentError: ``approximate`` is not one of the three names.

    Notes:
        The exact form is computed as ``x/2 * erfc(-x/sqrt(2))`` (accurate in the lower tail)
        by a numba kernel, or by a NumPy series/continued fraction when numba is off. The tanh
        form is computed as ``x * sigmoid(2u)`` (equal to ``x/2 (1 + tanh(u))``, without its
        cancellation for negative ``x`` or the overflow of ``x + x*tanh(u)`` near the
        largest float) with its polynomial clipped at ``|x| = 100`` (already saturated), so
        nothing overflows. float16/float32 arrays of the tanh and sigmoid forms run a float32
        kernel whose argument and exp reduction are float64 (so the tiny results of the lower
        tail keep their accuracy): within 3.5 ulps of the float64 result over every float32
        input (max 3.46 ulps tanh, 3.31 sigmoid; 0.5 ulp before, when it computed in float64),
        float64 stays float64-accurate. Gradient: ``gy * gelu'(x)`` in one fused pass
        (differentiable again).
        Dialects keep their documented forms: ``keras.ops.gelu(x, approximate=True)`` is
        ``"tanh"`` (``False`` is ``"none"``; the Keras page's example prints the exact values
        although its default is the tanh form), ``nnabla.functions.gelu(x)`` is ``"tanh"``
        and SameDiff ``nn.gelu(x)`` is ``"sigmoid"``.

    References:
        Hendrycks and Gimpel, *Gaussian Error Linear Units (GELUs)*, 2016.
        https://arxiv.org/abs/1606.08415

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.gelu(np.array([-1.0, 0.0, 1.0]))
        array([-0.15865525,  0.        ,  0.84134475])
        >>> nf.gelu(np.array([-1.0, 0.0, 1.0]), approximate="tanh")
        array([-0.15880801,  0.        ,  0.84119199])
    """
    return GELU(approximate).apply1(x, name=name)


def hard_sigmoid(
    x: Any, slope: float = 0.2, offset: float = 0.5, *, name: str | None = None
) -> Any:
    """Piecewise-linear sigmoid, element-wise.

    .. math::
        y = \\min(\\max(s\\,x + o, 0), 1)

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        slope (float): ``s``. Default ``0.2`` (saturates at ``x = +-2.5``).
        offset (float): ``o``. Default ``0.5``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ArgumentError: ``slope`` or ``offset`` is not a finite real number.

    Notes:
        Gradient: ``s * gy`` strictly inside the linear part, 0 at and beyond the saturation
        points. SameDiff ``nn.hardSigmoid``, ``keras.ops.hard_sigmoid`` and
        ``nnabla.functions.hard_sigmoid`` all document ``s = 0.2``; Keras 3 itself computes
        ``relu6(x + 3) / 6`` (``slope=1/6``) - the dialect follows its page.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.hard_sigmoid(np.array([-3.0, 0.0, 1.0], np.float32))
        array([0. , 0.5, 0.7], dtype=float32)
    """
    with node_errors(name, x):
        x = _as_real("hard_sigmoid", x)
        slope = check.real_scalar("hard_sigmoid", "slope", slope)
        offset = check.real_scalar("hard_sigmoid", "offset", offset)
    # kept a composite ending in a clip node (the ONNX exporter maps that node to Clip)
    return ClipActivation(0.0, 1.0, "hard_sigmoid").apply1(
        x * slope + offset, None, None, name=name
    )


def _as_real(op: str, x: Any) -> Any:
    """``x`` checked (numeric dtype), cast to float32 unless floating (under node_errors)."""
    x = check.tensor(op, "x", x)  # a list becomes an array before the arithmetic
    return x if input_spec(op, x).dtype.kind == "f" else F.cast(x, np.float32)


def hard_tanh(x: Any, *, name: str | None = None) -> Any:
    """Piecewise-linear tanh, element-wise: ``clip(x, -1, 1)``.

    .. math::
        y = \\min(\\max(x, -1), 1)

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Gradient: ``gy`` strictly inside ``(-1, 1)``, 0 elsewhere (SameDiff's
        ``hardTanhDerivative``). Equivalent to SameDiff ``nn.hardTanh(x)`` and
        ``nnabla.functions.hard_tanh(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.hard_tanh(np.array([-2.0, 0.5, 3.0], np.float32))
        array([-1. ,  0.5,  1. ], dtype=float32)
    """
    with node_errors(name, x):
        x = _as_real("hard_tanh", x)
    return clip_to(x, -1.0, 1.0, op="hard_tanh", grad_at_bounds=False, name=name)


class LogSigmoid(_Smooth):
    op_name = "log_sigmoid"

    grad_kind = "log_sigmoid"

    def compute(self, xp: Any, x: Any) -> Any:
        return _kernels.log_sigmoid(x)


def log_sigmoid(x: Any, *, name: str | None = None) -> Any:
    """Logarithm of the sigmoid, element-wise, computed without overflow.

    .. math::
        y = \\log \\sigma(x) = \\min(x, 0) - \\log(1 + e^{-|x|})

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype (values <= 0).

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Equals ``-softplus(-x)``; exact for large ``|x|`` (``log_sigmoid(-1e30) = -1e30``).
        Gradient: ``gy * sigmoid(-x)``. Equivalent to ``keras.ops.log_sigmoid(x)``,
        ``nnabla.functions.log_sigmoid(x)`` and SameDiff ``nn.logSigmoid(x)`` (whose page is
        titled "Element-wise sigmoid function" by mistake).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.log_sigmoid(np.array([-1e30, 0.0, 5.0], np.float32))
        array([-1.000000e+30, -6.931472e-01, -6.715348e-03], dtype=float32)
    """
    return LogSigmoid().apply1(x, name=name)


class SiLU(_Smooth):
    op_name = "silu"

    grad_kind = "swish"

    def compute(self, xp: Any, x: Any) -> Any:
        return _kernels.silu(x)

    def grad_params(self) -> tuple[float, float]:
        return (1.0, 0.0)


def silu(x: Any, *, name: str | None = None) -> Any:
    """Sigmoid linear unit (swish), element-wise.

    .. math::
        y = x\\,\\sigma(x) = \\frac{x}{1 + e^{-x}}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Computed as ``x * sigmoid(x)`` from ``exp(-|x|)`` only: no overflow, and the exact
        limit ``-0`` at ``x = -inf``. Gradient: ``gy * (s + x s (1 - s))`` with
        ``s = sigmoid(x)``, one fused pass (differentiable again). Equivalent to
        ``keras.ops.silu(x)`` and ``keras.ops.swish(x)``, ``nnabla.functions.swish(x)`` and
        SameDiff ``nn.swish(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.silu(np.array([-1e30, 0.0, 6.0], np.float32))
        array([-0.      ,  0.      ,  5.985164], dtype=float32)
    """
    return SiLU().apply1(x, name=name)


def hard_silu(x: Any, *, name: str | None = None) -> Any:
    """Hard swish, element-wise: ``x * relu6(x + 3) / 6``.

    .. math::
        y = \\begin{cases} 0, & x < -3 \\\\ x\\,(x + 3)/6, & -3 \\le x \\le 3
        \\\\ x, & x > 3 \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Not ``x * hard_sigmoid(x)`` with the documented hard_sigmoid slope 0.2: its hidden
        hard sigmoid has slope 1/6. Gradient: ``(2x + 3)/6`` inside ``(-3, 3)``, 0 at and below
        -3, 1 at and above 3. Equivalent to ``keras.ops.hard_silu(x)`` and
        ``keras.ops.hard_swish(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.hard_silu(np.array([-3.0, -1.0, 0.0, 1.0, 3.0], np.float32))
        array([-0.        , -0.33333334,  0.        ,  0.6666667 ,  3.        ],
              dtype=float32)
    """
    return HardSiLU().apply1(x, name=name)


class HardSiLU(_Smooth):
    op_name = "hard_silu"
    grad_kind = "hard_silu"

    def compute(self, xp: Any, x: Any) -> Any:
        return _kernels.forward("hard_silu", x)


class Softsign(_Smooth):
    op_name = "softsign"

    def compute(self, xp: Any, x: Any) -> Any:
        d = xp.asarray(xp.abs(x))  # 0-d input: abs gives a NumPy scalar, which out= rejects
        d += 1
        return xp.divide(x, d, out=d)

    grad_kind = "softsign"


def softsign(x: Any, *, name: str | None = None) -> Any:
    """Softsign, element-wise.

    .. math::
        y = \\frac{x}{1 + |x|}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype, values in ``(-1, 1)``.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Gradient: ``gy / (1 + |x|)**2``, computed as a square of ``1 / (1 + |x|)`` (no
        overflow). That derivative has a kink at 0 (slopes -2 and 2): the second derivative
        there is taken as 0. Equivalent to ``tf.nn.softsign(features)``, ``keras.ops.softsign(x)``,
        ``nnabla.functions.softsign(x)`` and SameDiff ``nn.softsign(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.softsign(np.array([-1.0, 0.0, 3.0], np.float32))
        array([-0.5 ,  0.  ,  0.75], dtype=float32)
    """
    return Softsign().apply1(x, name=name)


class TanhShrink(_Smooth):
    op_name = "tanh_shrink"

    def compute(self, xp: Any, x: Any) -> Any:
        return x - xp.tanh(x)

    def derivative(self, x: Any) -> Any:
        t = tanh(x)
        return t * t


def tanh_shrink(x: Any, *, name: str | None = None) -> Any:
    """Tanh shrink, element-wise: ``x - tanh(x)``.

    .. math::
        y = x - \\tanh x

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Gradient: ``gy * tanh(x)**2``. Equivalent to ``nnabla.functions.tanh_shrink(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.tanh_shrink(np.array([0.0, 1.0]))
        array([0.        , 0.23840584])
    """
    return TanhShrink().apply1(x, name=name)


class Sinc(_Smooth):
    op_name = "sinc"
    #: below this |x| the derivative uses its Taylor series (no cancellation, exact 0 at 0)
    _SMALL = 0.1

    def compute(self, xp: Any, x: Any) -> Any:
        zero = x == 0
        safe = xp.where(zero, 1, x)
        return xp.where(zero, 1, xp.sin(safe) / safe)

    def derivative(self, x: Any) -> Any:
        small = F.less(abs_(x), self._SMALL)
        # Each branch sees only its own arguments (the other gets a harmless 1 or 0): no x*x
        # overflow in the series for huge x, hence no 0 * inf = NaN in second derivatives.
        xs = F.where(small, 1.0, x)
        xn = F.where(small, x, 0.0)
        far = (cos(xs) - sinc(xs)) * recip(xs)
        x2 = xn * xn
        # -x/3 + x^3/30 - x^5/840 + x^7/45360: below 0.1 the next term is < 1e-15 relative.
        near = xn * (-1 / 3 + x2 * (1 / 30 + x2 * (-1 / 840 + x2 * (1 / 45360))))
        return F.where(small, near, far)


def sinc(x: Any, *, name: str | None = None) -> Any:
    """Unnormalised sinc, element-wise: ``sin(x) / x``, 1 at 0.

    .. math::
        y = \\begin{cases} \\sin(x)/x, & x \\ne 0 \\\\ 1, & x = 0 \\end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        DTypeError: a tensor argument is not real and numeric (the engine's input checks).

    Notes:
        Not NumPy's ``sinc`` (which is ``sin(pi x)/(pi x)``). Gradient:
        ``(cos x - sinc x) / x``, replaced below ``|x| = 0.1`` by its Taylor series so it is
        exactly 0 at 0 and accurate nearby (and twice differentiable there). Equivalent to
        ``nnabla.functions.sinc(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.sinc(np.array([0.0, np.pi / 2]))
        array([1.        , 0.63661977])
    """
    return Sinc().apply1(x, name=name)


def concat_elu(x: Any, alpha: float = 1.0, axis: int = -1, *, name: str | None = None) -> Any:
    """Concatenated ELU: ``elu(x)`` and ``elu(-x)`` joined along ``axis``.

    .. math::
        y = \\operatorname{concat}(\\operatorname{elu}(x, \\alpha),
        \\operatorname{elu}(-x, \\alpha))

    Args:
        x (array, Variable or SymbolicVariable): Input of rank >= 1; integer and bool inputs
            give float32.
        alpha (float): ELU's alpha. Default ``1.0``.
        axis (int): Axis that doubles. Default ``-1``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: the shape of ``x`` with ``axis`` doubled, floating dtype.

    Raises:
        ArgumentError: ``alpha`` is not a finite real number.
        ShapeError: ``x`` is 0-d, or ``axis`` is out of range.

    Notes:
        Gradient: ELU's on each half, so at ``x = 0`` the first half gives ``alpha`` and the
        second ``-alpha`` (ELU's gradient at 0 is that of its negative branch, ``alpha``).
        NNabla calls it ``celu`` (``nnabla.functions.celu(x, alpha=1.0, axis=1)``); it is not
        the continuously differentiable ELU known as CELU elsewhere, hence the name here.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.concat_elu(np.array([[-1.0, 2.0]]))
        array([[-0.63212056,  2.        ,  1.        , -0.86466472]])
    """
    with node_errors(name, x):
        x = _as_real("concat_elu", x)  # before negating: -x of an unsigned input would wrap
        check.ndim_at_least("concat_elu", "x", input_spec("concat_elu", x), 1)
        check.real_scalar("concat_elu", "alpha", alpha)
    halves = (elu(x, alpha), elu(F.neg(x), alpha))
    return Concatenate(2, axis, op="concat_elu").apply1(*halves, name=name)
