"""Simulated quantizers (fixed point, min-max, power of two) and magnitude pruning.

Each forward pass computes the quantized values in float (simulation, as NNabla); the backward
passes are the documented straight-through estimators: the clipped one (``ste_fine_grained``,
gradient 1 inside the representable range, 0 outside) or the plain one (1 everywhere). They are
written with nnfunc functions, so they can be differentiated again (the masks are constant).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.quantization._common import (
    float_param,
    mask_grad,
    real_input,
    same_shape,
    work_dtype,
)

__all__ = ["fixed_point_quantize", "min_max_quantize", "pow2_quantize", "prune"]

#: largest bit width accepted (2**n must stay a finite float)
MAX_BITS = 64


def _round_half_away(xp: Any, v: Any) -> Any:
    """``std::round``: halves away from zero (NNabla's rounding)."""
    return xp.sign(v) * xp.floor(xp.abs(v) + 0.5)


def _grad_cast(g: Any, f: Function, i: int, dtype: np.dtype) -> Any:
    dt = np.dtype(f.input_spec(i).dtype)
    return F.cast(g, dt) if dt != dtype and dt.kind == "f" else g


class _Elementwise(Function):
    input_names = ("x",)
    retain_in = (0,)

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.out_dtype = real_input(self.op_name, "x", x)
        return (TensorSpec(tuple(x.shape), self.out_dtype),)


class FixedPointQuantize(_Elementwise):
    """Function node of :func:`nnfunc.fixed_point_quantize`."""

    op_name = "fixed_point_quantize"

    def __init__(self, sign: Any, n: Any, delta: Any, ste_fine_grained: Any) -> None:
        op = self.op_name
        self.sign = check.boolean(op, "sign", sign)
        self.n = check.integer(op, "n", n)
        low = 2 if self.sign else 1
        if not low <= self.n <= MAX_BITS:
            why = "one bit is the sign" if self.sign else "unsigned"
            raise ArgumentError(
                check.message(op, "n", f"be in [{low}, {MAX_BITS}] ({why})", n=self.n)
            )
        self.delta = check.real_scalar(op, "delta", delta, min_value=0.0, open_min=True)
        self.fine = check.boolean(op, "ste_fine_grained", ste_fine_grained)
        if self.sign:
            self.hi = float((2 ** (self.n - 1) - 1) * self.delta)
            self.lo = -self.hi
        else:
            self.hi = float((2**self.n - 1) * self.delta)
            self.lo = 0.0

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        work = work_dtype(self.out_dtype)
        xw = x.astype(work, copy=False)
        d = work.type(self.delta)
        q = _round_half_away(xp, xw / d) * d
        q = xp.where(xw > self.hi, work.type(self.hi), q)
        q = xp.where(xw < self.lo, work.type(self.lo), q)
        return (q.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        gy = grad_outputs[0]
        g = mask_grad(gy, x, self.lo, self.hi, self.out_dtype) if self.fine else gy
        return (_grad_cast(g, self, 0, self.out_dtype),)


class Pow2Quantize(_Elementwise):
    """Function node of :func:`nnfunc.pow2_quantize`."""

    op_name = "pow2_quantize"

    def __init__(self, sign: Any, with_zero: Any, n: Any, m: Any, ste_fine_grained: Any) -> None:
        op = self.op_name
        self.sign = check.boolean(op, "sign", sign)
        self.with_zero = check.boolean(op, "with_zero", with_zero)
        self.n = check.integer(op, "n", n)
        low = 1 + int(self.sign) + int(self.with_zero)
        if not low <= self.n <= MAX_BITS:
            raise ArgumentError(
                check.message(
                    op,
                    "n",
                    f"be in [{low}, {MAX_BITS}] (sign and zero take one bit each)",
                    n=self.n,
                    sign=self.sign,
                    with_zero=self.with_zero,
                )
            )
        self.m = check.integer(op, "m", m)
        if abs(self.m) > 1000:
            raise ArgumentError(check.message(op, "m", "be in [-1000, 1000]", m=self.m))
        self.fine = check.boolean(op, "ste_fine_grained", ste_fine_grained)
        bits = self.n - int(self.sign) - int(self.with_zero)
        self.p_max = 2.0**self.m
        self.p_min = 2.0 ** max(self.m - (2**bits - 1), -1100)
        self.threshold = self.p_min * 2.0**-0.5

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        work = work_dtype(self.out_dtype)
        xw = x.astype(work, copy=False)
        ax = xp.abs(xw)
        with np.errstate(divide="ignore", over="ignore"):
            q = xp.exp2(_round_half_away(xp, xp.log2(ax)))
        p_max, p_min = work.type(self.p_max), work.type(self.p_min)
        small = q < p_min
        if self.with_zero:
            low = xp.where(ax < work.type(self.threshold), work.type(0), p_min)
        else:
            low = p_min
        q = xp.where(q > p_max, p_max, xp.where(small, low, q))
        neg = xw < 0
        if self.sign:
            q = xp.where(neg, -q, q)
        else:
            q = xp.where(neg, work.type(0) if self.with_zero else p_min, q)
        return (q.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        gy = grad_outputs[0]
        if not self.fine:
            return (_grad_cast(gy, self, 0, self.out_dtype),)
        # 2**round(log2|x|) > 2**m  <=>  |x| beyond 2**(m + 1/2) (the rounding boundary)
        edge = 2.0 ** (self.m + 0.5)
        if self.sign:
            g = mask_grad(gy, F.abs(x), None, edge, self.out_dtype)
        else:  # negative inputs are clamped: no gradient there
            g = mask_grad(gy, x, 0.0, edge, self.out_dtype)
        return (_grad_cast(g, self, 0, self.out_dtype),)


class Prune(_Elementwise):
    """Function node of :func:`nnfunc.prune`."""

    op_name = "prune"
    retain_in = ()

    def __init__(self, rate: Any) -> None:
        self.rate = check.real_scalar(self.op_name, "rate", rate, min_value=0.0, max_value=1.0)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        if x.size == 0:
            return (x.astype(self.out_dtype),)
        a = xp.abs(x.astype(work_dtype(self.out_dtype), copy=False))
        k = int((x.size - 1) * self.rate)
        thr = xp.partition(a.reshape(-1), k)[k]
        if self.rate == 1.0:
            thr = thr + 1
        y = xp.where(a < thr, 0, x).astype(self.out_dtype, copy=False)
        return (y,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (_grad_cast(grad_outputs[0], self, 0, self.out_dtype),)


def fixed_point_quantize(
    x: Any,
    *,
    sign: bool = True,
    n: int = 8,
    delta: float = 0.0625,
    quantize: bool = True,
    ste_fine_grained: bool = True,
    name: str | None = None,
) -> Any:
    r"""Uniform fixed-point quantization (simulated in float).

    .. math::
        q = \begin{cases} M & x > M \\ m & x < m \\
            \operatorname{sign}(x) \lfloor |x| / \delta + 1/2 \rfloor \delta & \text{otherwise}
            \end{cases}

    with ``(m, M) = (-(2^{n-1} - 1) delta, (2^{n-1} - 1) delta)`` when ``sign`` (one of the
    ``n`` bits is the sign), else ``(0, (2^n - 1) delta)``.

    Args:
        x (array, Variable or SymbolicVariable): Input, real dtype.
        sign (bool): Signed range. Default True.
        n (int): Bit width (>= 2 signed, >= 1 unsigned, <= 64). Default 8.
        delta (float): Step (> 0). Default 0.0625.
        quantize (bool): False: the identity. Default True.
        ste_fine_grained (bool): Clipped straight-through gradient (1 on ``[m, M]``, 0
            outside) if True (default), else 1 everywhere.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind and shape as ``x``; x's floating dtype.

    Raises:
        ArgumentError: ``n`` out of range; ``delta <= 0``; non-bool flags.
        DTypeError: ``x`` is complex, object or string.

    Notes:
        Rounding is half away from zero (``std::round``, as NNabla). Gradient: the
        straight-through estimator chosen by ``ste_fine_grained`` (bounds included). NNabla
        ``fixed_point_quantize(x, sign=True, n=8, delta=0.0625, quantize=True,
        ste_fine_grained=True)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.fixed_point_quantize(np.array([-9.0, 0.09, 0.1, 0.5], np.float32), n=4,
        ...                         delta=0.125)
        array([-0.875,  0.125,  0.125,  0.5  ], dtype=float32)
    """
    with node_errors(name, x):  # options are checked when the Function is built
        f = FixedPointQuantize(sign, n, delta, ste_fine_grained)
        quantize = check.boolean("fixed_point_quantize", "quantize", quantize)
    if not quantize:
        return F.identity(x, name=name)
    return f.apply1(x, name=name)


def pow2_quantize(
    x: Any,
    *,
    sign: bool = True,
    with_zero: bool = True,
    n: int = 8,
    m: int = 1,
    quantize: bool = True,
    ste_fine_grained: bool = True,
    name: str | None = None,
) -> Any:
    r"""Power-of-two quantization (simulated in float).

    .. math::
        \bar q = 2^{\operatorname{round}(\log_2 |x|)}, \quad
        q = \operatorname{sign}(x) \cdot \begin{cases} 2^m & \bar q > 2^m \\
            \bar q & p_{min} \le \bar q \le 2^m \\
            0 \text{ or } p_{min} & \bar q < p_{min} \end{cases}

    with ``p_min = 2^(m - (2^k - 1))``, ``k = n - sign - with_zero`` bits for the exponent.
    Below ``p_min``: with ``with_zero``, 0 where ``|x| < p_min 2^(-1/2)`` and ``p_min``
    otherwise; without, ``p_min``. Unsigned: negative inputs give 0 (``with_zero``) or
    ``p_min``.

    Args:
        x (array, Variable or SymbolicVariable): Input, real dtype.
        sign (bool): Signed values (one bit). Default True.
        with_zero (bool): Zero is representable (one bit). Default True.
        n (int): Bit width (at least ``1 + sign + with_zero``, at most 64). Default 8.
        m (int): ``2^m`` is the largest magnitude (``|m| <= 1000``). Default 1.
        quantize (bool): False: the identity. Default True.
        ste_fine_grained (bool): Clipped straight-through gradient if True (default): 0 where
            ``bar q > 2^m`` (and, unsigned, where ``x < 0``), 1 elsewhere; else 1 everywhere.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind and shape as ``x``; x's floating dtype.

    Raises:
        ArgumentError: ``n`` too small for the sign and zero bits or above 64; ``m`` out of
            range; non-bool flags.
        DTypeError: ``x`` is complex, object or string.

    Notes:
        ``round`` is half away from zero on ``log2 |x|``: the thresholds are the geometric
        means of neighbouring powers of two. The gradient is NNabla 1.39's straight-through
        estimator (its kernel, which the page summarises as ``0 outside [-max, max]``).
        NNabla ``pow2_quantize(x, sign=True, with_zero=True, n=8, m=1, quantize=True,
        ste_fine_grained=True)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.pow2_quantize(np.array([-3.0, 0.7, 0.3, 1e-9], np.float32), n=4)
        array([-2.  ,  0.5 ,  0.25,  0.  ], dtype=float32)
    """
    with node_errors(name, x):  # options are checked when the Function is built
        f = Pow2Quantize(sign, with_zero, n, m, ste_fine_grained)
        quantize = check.boolean("pow2_quantize", "quantize", quantize)
    if not quantize:
        return F.identity(x, name=name)
    return f.apply1(x, name=name)


def prune(x: Any, rate: float = 0.9, *, name: str | None = None) -> Any:
    r"""Zero the elements of smallest magnitude: about a fraction ``rate`` of them.

    .. math::
        q_i = \begin{cases} 0 & |x_i| < t \\ x_i & \text{otherwise} \end{cases}, \qquad
        t = \operatorname{sort}(|x|)[\lfloor (\mathrm{size} - 1) \cdot rate \rfloor]

    (``t`` plus 1 when ``rate == 1``, so everything is zeroed).

    Args:
        x (array, Variable or SymbolicVariable): Input, real dtype.
        rate (float): Fraction in [0, 1]. Default 0.9.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind and shape as ``x``; x's floating dtype.

    Raises:
        ArgumentError: ``rate`` outside [0, 1] or not a number.
        DTypeError: ``x`` is complex, object or string.

    Notes:
        The threshold element is found by ``numpy.partition`` (linear time). Ties with the
        threshold are kept. Gradient: straight through (``gy``), as NNabla's kernel (the page
        documents none). NNabla ``prune(x, rate=0.9)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.prune(np.array([0.1, -0.5, 0.3, 2.0, -0.05], np.float32), rate=0.5)
        array([ 0. , -0.5,  0.3,  2. ,  0. ], dtype=float32)
    """
    with node_errors(name, x):  # rate is checked when the Function is built
        f = Prune(rate)
    return f.apply1(x, name=name)


class MinMaxRange(Function):
    """The nudged range ``(m_adj, M_adj)`` of :func:`nnfunc.min_max_quantize` (no gradient)."""

    op_name = "min_max_quantize_range"
    input_names = ("qr_min", "qr_max", "ql_min", "ql_max")

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)

    def setup(self, a: Any, b: Any, c: Any, d: Any) -> tuple[TensorSpec, ...]:
        spec = TensorSpec(tuple(a.shape), self.dtype)
        return (spec, spec)

    def forward(self, xp: Any, qr_min: Any, qr_max: Any, ql_min: Any, ql_max: Any) -> tuple:
        return nudged_range(xp, qr_min, qr_max, ql_min, ql_max, self.dtype)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None, None, None)


def nudged_range(xp: Any, qr_min: Any, qr_max: Any, ql_min: Any, ql_max: Any, dtype: Any) -> tuple:
    """Zero-point nudging: ``scale = (M - m)/(M_q - m_q)``, ``zp = clip(round(m_q - m/scale),
    m_q, M_q)``, ``m_adj = (m_q - zp) scale``, ``M_adj = (M_q - zp) scale``."""
    work = work_dtype(dtype)
    m, big = qr_min.astype(work), qr_max.astype(work)
    lq, hq = ql_min.astype(work), ql_max.astype(work)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = (big - m) / (hq - lq)
        zpf = lq - m / scale
    zp = xp.where(zpf <= lq, lq, xp.where(zpf >= hq, hq, _round_half_away(xp, zpf)))
    lo = ((lq - zp) * scale).astype(dtype)
    hi = ((hq - zp) * scale).astype(dtype)
    return (lo, hi)


class MinMaxQuantize(Function):
    """Function node of :func:`nnfunc.min_max_quantize` (updates ``qr_min``/``qr_max``)."""

    op_name = "min_max_quantize"
    input_names = ("x", "qr_min", "qr_max", "ql_min", "ql_max")
    retain_in = (0, 1, 2, 3, 4)

    def __init__(self, decay: Any, x_min_max: Any, ema: Any, fine: Any, eps: Any) -> None:
        op = self.op_name
        self.decay = check.real_scalar(op, "decay", decay, min_value=0.0, max_value=1.0)
        self.x_min_max = check.boolean(op, "x_min_max", x_min_max)
        self.ema = check.boolean(op, "ema", ema)
        self.fine = check.boolean(op, "ste_fine_grained", fine)
        self.eps = check.real_scalar(op, "eps", eps, min_value=0.0)

    def setup(self, x: Any, qr_min: Any, qr_max: Any, ql_min: Any, ql_max: Any) -> tuple:
        op = self.op_name
        self.out_dtype = real_input(op, "x", x)
        names = ("qr_min", "qr_max", "ql_min", "ql_max")
        specs = (qr_min, qr_max, ql_min, ql_max)
        for n, s in zip(names, specs, strict=True):
            real_input(op, n, s)
        float_param(op, "qr_min", qr_min)
        float_param(op, "qr_max", qr_max)
        for n, s in zip(names[1:], specs[1:], strict=True):
            same_shape(op, n, s, "qr_min", qr_min)
        nd = len(x.shape)
        if len(qr_min.shape) != nd:
            raise ShapeError(
                check.message(
                    op,
                    "qr_min",
                    "have the rank of `x` (size 1 on the reduced axes)",
                    **{"qr_min.shape": tuple(qr_min.shape), "x.shape": tuple(x.shape)},
                )
            )
        for i, (q, d) in enumerate(zip(qr_min.shape, x.shape, strict=True)):
            if q is not None and q != 1 and d is not None and q != d:
                raise ShapeError(
                    check.message(
                        op,
                        "qr_min",
                        f"have size 1 or the size of `x` on axis {i}",
                        **{"qr_min.shape": tuple(qr_min.shape), "x.shape": tuple(x.shape)},
                    )
                )
        self.axes = tuple(i for i, q in enumerate(qr_min.shape) if q == 1)
        concrete = isinstance(ql_min, np.ndarray) and isinstance(ql_max, np.ndarray)
        if concrete and np.any(ql_min >= ql_max):
            raise ArgumentError(
                check.message(op, "ql_min", "be < ql_max everywhere", ql_min=ql_min, ql_max=ql_max)
            )
        if (
            not self.x_min_max
            and isinstance(qr_min, np.ndarray)
            and isinstance(qr_max, np.ndarray)
            and np.any(qr_min > qr_max)
        ):
            raise ArgumentError(
                check.message(op, "qr_min", "be <= qr_max everywhere", qr_min=qr_min, qr_max=qr_max)
            )
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def forward(self, xp: Any, x: Any, qr_min: Any, qr_max: Any, ql_min: Any, ql_max: Any) -> tuple:
        work = work_dtype(self.out_dtype)
        xw = x.astype(work, copy=False)
        if self.x_min_max and x.size:
            lo = xw.min(axis=self.axes, keepdims=True)
            hi = xw.max(axis=self.axes, keepdims=True)
            if self.ema:
                lo = self.decay * qr_min + (1.0 - self.decay) * lo
                hi = self.decay * qr_max + (1.0 - self.decay) * hi
            qr_min[...] = lo.astype(qr_min.dtype)
            qr_max[...] = hi.astype(qr_max.dtype)
        # keep qr_max - qr_min >= eps (NNabla writes the widened maximum back)
        narrow = (qr_max - qr_min) < self.eps
        if xp.any(narrow):
            qr_max[...] = xp.where(narrow, qr_min + self.eps, qr_max).astype(qr_max.dtype)
        lo, hi = nudged_range(xp, qr_min, qr_max, ql_min, ql_max, work)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = (hi - lo) / (ql_max.astype(work) - ql_min.astype(work))
            y = xp.minimum(xp.maximum(xw, lo), hi)
            y = _round_half_away(xp, (y - lo) / scale) * scale + lo
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, qr_min, qr_max, ql_min, ql_max = self.retained_inputs()
        gy = grad_outputs[0]
        dt = self.out_dtype
        lo, hi = MinMaxRange(dt).apply(qr_min, qr_max, ql_min, ql_max)
        g = [None] * 5
        if 0 in target_indexes:
            if self.fine:
                inside = F.logical_and(F.greater_equal(x, lo), F.less_equal(x, hi))
                g[0] = _grad_cast(gy * F.cast(inside, dt), self, 0, dt)
            else:
                g[0] = _grad_cast(gy, self, 0, dt)
        if not self.x_min_max and not self.ema:
            if 1 in target_indexes:
                g[1] = self.sum_to_input(gy * F.cast(F.less(x, lo), dt), 1)
            if 2 in target_indexes:
                g[2] = self.sum_to_input(gy * F.cast(F.greater(x, hi), dt), 2)
        return tuple(g)


def min_max_quantize(
    x: Any,
    qr_min: Any,
    qr_max: Any,
    ql_min: Any,
    ql_max: Any,
    *,
    decay: float = 0.999,
    x_min_max: bool = False,
    ema: bool = False,
    ste_fine_grained: bool = True,
    eps: float = 0.01,
    quantize: bool = True,
    name: str | None = None,
) -> Any:
    r"""Min-max (asymmetric, zero-point) uniform quantization, simulated in float.

    .. math::
        y = \operatorname{round}\left(\frac{\min(\max(x, m), M) - m}{s}\right) s + m, \qquad
        s = \frac{M - m}{M_q - m_q}

    where ``m, M`` are ``qr_min, qr_max`` nudged so that 0 is representable: ``zp =
    clip(round(m_q - qr_min / s), m_q, M_q)``, ``m = (m_q - zp) s``, ``M = (M_q - zp) s``
    (``m_q, M_q = ql_min, ql_max``).

    Args:
        x (array, Variable or SymbolicVariable): Input, real dtype.
        qr_min, qr_max: Floating range tensors of x's rank (size 1 on the axes reduced for
            the range, e.g. ``(1, 1)``, or ``(1, C, 1, 1)`` per channel), UPDATED IN PLACE:
            ``x_min_max`` stores ``min(x)``/``max(x)`` over those axes (with ``ema``, the
            moving average ``decay * old + (1 - decay) * new``); ``qr_max`` is raised to
            ``qr_min + eps`` when the range is narrower than ``eps``.
        ql_min, ql_max: Quantization levels, same shape (typically 0 and 255).
        decay (float): EMA decay in [0, 1]. Default 0.999.
        x_min_max (bool): Take the range from ``x``. Default False.
        ema (bool): Moving average of the range. Default False.
        ste_fine_grained (bool): Gradient 1 on ``[m, M]`` and 0 outside if True (default),
            else 1 everywhere.
        eps (float): Smallest range width (>= 0). Default 0.01.
        quantize (bool): False: the identity (nothing is updated). Default True.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind and shape as ``x``; x's floating dtype.

    Raises:
        ArgumentError: ``qr_min > qr_max`` (when the range is given, not taken from ``x``);
            ``ql_min >= ql_max``; ``decay`` outside [0, 1]; ``eps < 0``; non-bool flags.
        ShapeError: range tensors of another rank than ``x``, of different shapes, or with a
            size other than 1 or x's on some axis.
        DTypeError: ``qr_min``/``qr_max`` not floating; complex or object inputs.

    Notes:
        Rounding half away from zero. Gradients (NNabla's): w.r.t. ``x`` the straight-through
        estimator above; w.r.t. ``qr_min``/``qr_max`` only when neither ``x_min_max`` nor
        ``ema`` (the range is learned): ``sum(gy * (x < m))`` and ``sum(gy * (x > M))`` over
        the reduced axes; none w.r.t. ``ql_min``/``ql_max``. In a Graph the range tensors are
        updated each time the node runs. NNabla ``min_max_quantize(x, qr_min, qr_max, ql_min,
        ql_max, decay=0.999, x_min_max=False, ema=False, ste_fine_grained=True, eps=0.01,
        quantize=True)``.

    References:
        Jacob et al., *Quantization and Training of Neural Networks for Efficient
        Integer-Arithmetic-Only Inference*, 2018. https://arxiv.org/abs/1712.05877

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> lo, hi = np.zeros((1,), np.float32), np.zeros((1,), np.float32)
        >>> q0, q1 = np.zeros((1,), np.float32), np.full((1,), 3.0, np.float32)
        >>> nf.min_max_quantize(np.array([-1.0, 0.4, 2.0], np.float32), lo, hi, q0, q1,
        ...                     x_min_max=True)
        array([-1.,  0.,  2.], dtype=float32)
        >>> lo, hi
        (array([-1.], dtype=float32), array([2.], dtype=float32))
    """
    with node_errors(name, x):  # options are checked when the Function is built
        f = MinMaxQuantize(decay, x_min_max, ema, ste_fine_grained, eps)
        quantize = check.boolean("min_max_quantize", "quantize", quantize)
    if not quantize:
        return F.identity(x, name=name)
    return f.apply1(x, qr_min, qr_max, ql_min, ql_max, name=name)
