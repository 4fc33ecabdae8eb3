"""Element-wise kernels of the activation family: numba loops and their pure-NumPy twins.

Each public function here takes arrays and returns a new array of the shape and floating dtype
of its first argument. Two families share one dispatch:

* forward kernels, ``forward(kind, x, a, b)`` (``kind`` in :data:`FORWARD_KINDS`; ``a`` and
  ``b`` are the parameters of the kind, e.g. ELU's alpha and scale, 0 when unused);
* first-order gradient kernels, ``grad(kind, v, gy, a, b)`` = ``gy * f'(x)`` (``kind`` in
  :data:`GRAD_KINDS`), where ``v`` is the input ``x`` or, for ``sigmoid``, ``tanh`` and
  ``relu``, the output ``y`` (what the activation keeps for its backward pass). They are the
  forward passes of :class:`nnfunc.functions.activation._fused.ActivationGrad`.

``*_numba`` runs one vectorised numba loop of :mod:`nnfunc.kernels.cpu._jit` over float32 (and
float16, through float32), its ranges split over threads (:mod:`nnfunc.kernels.cpu._threads`),
no temporary beyond the output (from :mod:`nnfunc.kernels.cpu._buffers`: an output of 4 MiB
or more reuses a released block instead of fresh, page-faulted memory); ``*_numpy`` is the
NumPy (or CuPy) twin of the same signature, which float64 inputs always use (float64
accurate). The dispatchers pick numba when :func:`use_numba` holds. The tanh GELU (forward and
gradient) and the sigmoid GELU's forward run the float32 kernels of ``_jit.gelu32_kernels``
(argument and exp reduction in float64, the rest in float32): forward within 3.5 ulps of the
float64 result over every float32 input. The exact GELU's forward and ``erf`` come from
:mod:`nnfunc.kernels.cpu.erf`. numba is imported lazily, never at ``import nnfunc``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu import _buffers
from nnfunc.kernels.cpu._jit import activation_kernels, gelu32_kernels
from nnfunc.kernels.cpu._threads import row_ranges, run
from nnfunc.kernels.cpu.erf import (
    erf_numba,
    erf_numpy,
    erfc_numpy,
    gelu_erf_numba,
    gelu_erf_numpy,
)

__all__ = [
    "FORWARD_KINDS",
    "GRAD_KINDS",
    "erf",
    "erf_numpy",
    "erfc_numpy",
    "forward",
    "forward_numba",
    "forward_numpy",
    "gelu",
    "gelu_numpy",
    "grad",
    "grad_numba",
    "grad_numpy",
    "log_sigmoid",
    "log_sigmoid_numpy",
    "silu",
    "silu_numpy",
    "softplus",
    "softplus_numpy",
    "use_numba",
]

_TANH_K = math.sqrt(2.0 / math.pi)
_TANH_A = 0.044715
_SIG_A = 1.702
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
#: beyond this |x| the sigmoid of the tanh-GELU has saturated (to 0 or 1, in float64 too);
#: clipping its polynomial there avoids the overflow of ``x**3`` without changing any result.
_GELU_TANH_CLIP = 100.0
_WORK = (np.dtype(np.float16), np.dtype(np.float32))


def use_numba(x: Any) -> bool:
    """Whether the numba kernels apply to ``x`` (a float16 or float32 NumPy array; float64
    runs the NumPy twins, float64 accurate)."""
    return type(x) is np.ndarray and x.dtype in _WORK and numba_enabled()


# ---------------------------------------------------------------------------- NumPy twins
def _arrays_in_place(fn: Any) -> Any:
    """Run ``fn`` on a 1-element view of a 0-d input (ufuncs return scalars for 0-d arrays)."""

    def wrapper(x: Any, *args: Any) -> Any:
        if x.ndim == 0:
            return fn(x.reshape(1), *args).reshape(())
        return fn(x, *args)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _sig_parts(xp: Any, z: Any) -> tuple[Any, Any]:
    """``(sigmoid(z), 1 - sigmoid(z))`` from ``exp(-|z|)`` only: no overflow, no cancellation."""
    e = xp.abs(z)
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    r = 1 / (1 + e)
    e *= r
    pos = z >= 0
    return xp.where(pos, r, e), xp.where(pos, e, r)


def _gelu_tanh_z(xp: Any, x: Any) -> tuple[Any, Any]:
    """``(xc, 2u)`` of the tanh-GELU: ``x`` clipped to +-100 and ``2 k (xc + a xc**3)``."""
    xc = xp.clip(x, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
    return xc, (2 * _TANH_K) * (xc + _TANH_A * (xc * xc * xc))


@_arrays_in_place
def gelu_numpy(x: Any, approximate: str) -> Any:
    """GELU in NumPy: ``approximate`` is ``"none"``, ``"tanh"`` or ``"sigmoid"``.

    The tanh form is computed as ``x * sigmoid(2u)`` (equal to ``x/2 (1 + tanh(u))``): no
    ``1 + tanh`` cancellation for negative ``x``, and no ``2 x`` overflow for huge ``x``.
    """
    xp = get_array_module(x)
    if approximate == "none":
        return gelu_erf_numpy(x)
    if approximate == "tanh":
        _, z = _gelu_tanh_z(xp, x)
        return _times_sigmoid(xp, x, z)
    return _times_sigmoid(xp, x, x * x.dtype.type(_SIG_A))


def _times_sigmoid(xp: Any, x: Any, z: Any) -> Any:
    """``x * sigmoid(z)``, ``-0`` at ``x = -inf`` (the limit of the swish and GELU forms)."""
    y = x * _sig_parts(xp, z)[0]
    return xp.where(x == -np.inf, -0.0, y).astype(x.dtype, copy=False)


@_arrays_in_place
def silu_numpy(x: Any) -> Any:
    """``x * sigmoid(x)`` in NumPy, from ``exp(-|x|)`` (no overflow; -0 at ``-inf``)."""
    return _times_sigmoid(get_array_module(x), x, x)


def _log1p_exp_neg_abs(xp: Any, x: Any) -> Any:
    """``log1p(exp(-|x|))``, one temporary updated in place."""
    y = xp.abs(x)
    xp.negative(y, out=y)
    xp.exp(y, out=y)
    xp.log1p(y, out=y)
    return y


@_arrays_in_place
def softplus_numpy(x: Any) -> Any:
    """``max(x, 0) + log1p(exp(-|x|))`` in NumPy, in place after the first temporary."""
    xp = get_array_module(x)
    y = _log1p_exp_neg_abs(xp, x)
    y += xp.maximum(x, 0)
    return y


@_arrays_in_place
def log_sigmoid_numpy(x: Any) -> Any:
    """``min(x, 0) - log1p(exp(-|x|))`` in NumPy."""
    xp = get_array_module(x)
    y = _log1p_exp_neg_abs(xp, x)
    return xp.subtract(xp.minimum(x, 0), y, out=y)


@_arrays_in_place
def _sigmoid_numpy(x: Any) -> Any:
    xp = get_array_module(x)
    return _sig_parts(xp, x)[0].astype(x.dtype, copy=False)


@_arrays_in_place
def _elu_numpy(x: Any, alpha: float, scale: float) -> Any:
    xp = get_array_module(x)
    neg = xp.expm1(xp.minimum(x, 0))
    neg *= x.dtype.type(alpha)
    y = xp.where(x > 0, x, neg)
    if scale != 1.0:
        y *= x.dtype.type(scale)
    return y


@_arrays_in_place
def _leaky_relu_numpy(x: Any, slope: float, unused: float = 0.0) -> Any:
    xp = get_array_module(x)
    return xp.where(x >= 0, x, x * x.dtype.type(slope))


@_arrays_in_place
def _clip_numpy(x: Any, lo: float, hi: float) -> Any:
    xp = get_array_module(x)
    return xp.minimum(xp.maximum(x, x.dtype.type(lo)), x.dtype.type(hi))


@_arrays_in_place
def _hard_silu_numpy(x: Any, a: float = 0.0, b: float = 0.0) -> Any:
    xp = get_array_module(x)
    r = x + x.dtype.type(3)
    xp.minimum(xp.maximum(r, 0, out=r), 6, out=r)
    zero = r == 0  # -0 up to -3, -inf included (not -inf * 0)
    r *= x.dtype.type(1 / 6)
    r *= x
    r[zero] = -0.0
    return r


_FORWARD_NUMPY: dict[str, Any] = {
    "sigmoid": lambda x, a, b: _sigmoid_numpy(x),
    "swish": lambda x, a, b: silu_numpy(x) if a == 1 else gelu_numpy(x, "sigmoid"),
    "gelu_tanh": lambda x, a, b: gelu_numpy(x, "tanh"),
    "softplus": lambda x, a, b: softplus_numpy(x),
    "log_sigmoid": lambda x, a, b: log_sigmoid_numpy(x),
    "elu": _elu_numpy,
    "leaky_relu": _leaky_relu_numpy,
    "clip": _clip_numpy,
    "hard_silu": _hard_silu_numpy,
}
#: the kinds of :func:`forward` (``swish`` is ``x * sigmoid(a x)``: silu with ``a = 1``, the
#: sigmoid GELU with ``a = 1.702``; ``elu`` takes alpha and scale, ``leaky_relu`` the slope,
#: ``clip`` the bounds)
FORWARD_KINDS = tuple(_FORWARD_NUMPY)


def _g_sigmoid(xp: Any, y: Any, gy: Any, a: float, b: float) -> Any:
    return gy * (y * (1 - y))


def _g_tanh(xp: Any, y: Any, gy: Any, a: float, b: float) -> Any:
    return gy * (1 - y * y)


def _g_relu(xp: Any, v: Any, gy: Any, a: float, b: float) -> Any:
    return xp.where(v > a, gy, xp.zeros((), gy.dtype))


def _g_leaky_relu(xp: Any, v: Any, gy: Any, a: float, b: float) -> Any:
    return xp.where(v >= 0, gy, gy * gy.dtype.type(a))


def _g_softplus(xp: Any, x: Any, gy: Any, a: float, b: float) -> Any:
    return gy * _sig_parts(xp, x)[0]


def _g_log_sigmoid(xp: Any, x: Any, gy: Any, a: float, b: float) -> Any:
    return gy * _sig_parts(xp, x)[1]


def _g_swish(xp: Any, x: Any, gy: Any, a: float, b: float) -> Any:
    z = x * x.dtype.type(a)
    s, q = _sig_parts(xp, z)
    # s (1 - s) is 0 beyond |z| = 800 (float64 too): clipping z there avoids inf * 0 when
    # a x overflows
    return gy * (s + xp.clip(z, -800, 800) * (s * q))


def _g_gelu_tanh(xp: Any, x: Any, gy: Any, a: float, b: float) -> Any:
    xc, z = _gelu_tanh_z(xp, x)
    s, q = _sig_parts(xp, z)
    du = _TANH_K * (1 + (3 * _TANH_A) * (xc * xc))
    return gy * (s + (2 * xc) * (s * q) * du)


def _g_gelu_erf(xp: Any, x: Any, gy: Any, a: float, b: float) -> Any:
    x64 = x.astype(np.float64)
    xc = xp.clip(x64, -50.0, 50.0)  # x phi(x) is exactly 0 beyond (no x*x overflow)
    d = 0.5 * erfc_numpy(-x64 * _INV_SQRT2) + xc * (_INV_SQRT_2PI * xp.exp(-0.5 * (xc * xc)))
    return gy * d.astype(x.dtype, copy=False)


def _g_elu(xp: Any, x: Any, gy: Any, a: float, b: float) -> Any:
    d = xp.exp(xp.minimum(x, 0))
    d *= x.dtype.type(a)
    d = xp.where(x > 0, xp.ones((), x.dtype), d)
    if b != 1.0:
        d *= x.dtype.type(b)
    return gy * d


def _g_softsign(xp: Any, x: Any, gy: Any, a: float, b: float) -> Any:
    r = 1 / (1 + xp.abs(x))
    return gy * (r * r)


def _g_window(xp: Any, x: Any, gy: Any, a: float, b: float) -> Any:
    return xp.where((x > a) & (x < b), gy, xp.zeros((), gy.dtype))


def _g_hard_silu(xp: Any, x: Any, gy: Any, a: float, b: float) -> Any:
    r = xp.clip(x + x.dtype.type(3), 0, 6) * x.dtype.type(1 / 6)
    r += xp.where((x > -3) & (x < 3), x * x.dtype.type(1 / 6), xp.zeros((), x.dtype))
    return gy * r


_GRAD_NUMPY: dict[str, Any] = {
    "sigmoid": _g_sigmoid,
    "tanh": _g_tanh,
    "relu": _g_relu,
    "leaky_relu": _g_leaky_relu,
    "softplus": _g_softplus,
    "log_sigmoid": _g_log_sigmoid,
    "swish": _g_swish,
    "gelu_tanh": _g_gelu_tanh,
    "gelu_erf": _g_gelu_erf,
    "elu": _g_elu,
    "softsign": _g_softsign,
    "window": _g_window,
    "hard_silu": _g_hard_silu,
}
#: the kinds of :func:`grad` (``relu`` takes the threshold as ``a``: 0 with ``v`` the output;
#: ``window`` passes ``gy`` strictly inside ``(a, b)``, relu6's clip)
GRAD_KINDS = tuple(_GRAD_NUMPY)


def forward_numpy(kind: str, x: Any, a: float = 0.0, b: float = 0.0) -> Any:
    """The activation ``kind`` of a floating array ``x``, in NumPy (or CuPy); float16 is
    computed in float32."""
    if x.dtype == np.float16:
        return forward_numpy(kind, x.astype(np.float32), a, b).astype(np.float16)
    with np.errstate(over="ignore", under="ignore"):
        return _FORWARD_NUMPY[kind](x, a, b)


def grad_numpy(kind: str, v: Any, gy: Any, a: float = 0.0, b: float = 0.0) -> Any:
    """``gy * f'(x)`` of the activation ``kind`` (``v`` as in the module doc), in NumPy;
    float16 is computed in float32."""
    xp = get_array_module(v)
    if v.dtype == np.float16:
        gx = grad_numpy(kind, v.astype(np.float32), xp.asarray(gy, dtype=np.float32), a, b)
        return gx.astype(np.float16)
    gy = xp.asarray(gy, dtype=v.dtype if v.dtype.kind == "f" else None)
    if v.ndim == 0:
        return grad_numpy(kind, v.reshape(1), gy.reshape(1), a, b).reshape(())
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        gx = _GRAD_NUMPY[kind](xp, v, gy, a, b)
    return gx.astype(v.dtype if v.dtype.kind == "f" else gy.dtype, copy=False)


# ---------------------------------------------------------------------------- numba
def _work(x: Any) -> Any:
    """``x`` as a C-contiguous float32 array (float16 computes in float32)."""
    return np.asarray(x, dtype=np.float32, order="C")  # keeps 0-d (ascontiguousarray would not)


def _float32_kernel(kind: str, a: float) -> bool:
    """Whether ``kind`` runs the float32 kernels of the tanh and sigmoid GELUs (``gelu32``):
    their argument and exp reduction in float64, the rest in float32."""
    return kind == "gelu_tanh" or (kind == "swish" and a > 0.0 and a != 1.0)


def forward_numba(
    kind: str, x: Any, a: float = 0.0, b: float = 0.0, threads: int | None = None
) -> Any:
    """The activation ``kind`` of a float16/float32 NumPy array: one numba pass."""
    src = _work(x)
    out = _buffers.empty(src.shape, np.float32)  # a large output reuses a released block
    table = gelu32_kernels() if _float32_kernel(kind, a) else activation_kernels()
    kernel = table[f"{kind}_fwd"]
    fi, fo = src.reshape(-1), out.reshape(-1)
    fa, fb = float(a), float(b)
    run(lambda i, j: kernel(fi[i:j], fo[i:j], fa, fb), row_ranges(fi.size, 1, threads))
    return out.astype(x.dtype, copy=False)


def grad_numba(
    kind: str, v: Any, gy: Any, a: float = 0.0, b: float = 0.0, threads: int | None = None
) -> Any:
    """``gy * f'(x)`` of the activation ``kind`` for float16/float32 NumPy arrays: one pass."""
    src, g = _work(v), _work(gy)
    out = _buffers.empty(src.shape, np.float32)  # a large output reuses a released block
    kernel = (gelu32_kernels() if kind == "gelu_tanh" else activation_kernels())[f"{kind}_grad"]
    fv, fg, fo = src.reshape(-1), g.reshape(-1), out.reshape(-1)
    fa, fb = float(a), float(b)
    run(lambda i, j: kernel(fv[i:j], fg[i:j], fo[i:j], fa, fb), row_ranges(fv.size, 1, threads))
    return out.astype(v.dtype, copy=False)


# ---------------------------------------------------------------------------- dispatch
def forward(kind: str, x: Any, a: float = 0.0, b: float = 0.0) -> Any:
    """The activation ``kind`` of a floating array: numba kernel or NumPy twin."""
    if use_numba(x):
        return forward_numba(kind, x, a, b)
    return forward_numpy(kind, x, a, b)


def grad(kind: str, v: Any, gy: Any, a: float = 0.0, b: float = 0.0) -> Any:
    """``gy * f'(x)`` of the activation ``kind``: numba kernel or NumPy twin.

    ``gy`` must have the shape of ``v`` (it is cast to ``v``'s dtype).
    """
    if use_numba(v) and type(gy) is np.ndarray and gy.shape == v.shape:
        return grad_numba(kind, v, gy, a, b)
    return grad_numpy(kind, v, gy, a, b)


def _numba_any(x: Any) -> bool:
    return type(x) is np.ndarray and x.dtype.kind == "f" and numba_enabled()


def erf(x: Any) -> Any:
    """``erf(x)``: numba kernel (float64 too, with libm) or NumPy twin."""
    return erf_numba(x) if _numba_any(x) else erf_numpy(x)


def gelu(x: Any, approximate: str) -> Any:
    """GELU (``approximate`` in ``"none"``, ``"tanh"``, ``"sigmoid"``)."""
    if approximate == "none":
        return gelu_erf_numba(x) if _numba_any(x) else gelu_erf_numpy(x)
    if approximate == "tanh":
        return forward("gelu_tanh", x)
    return forward("swish", x, _SIG_A)


def silu(x: Any) -> Any:
    """``x * sigmoid(x)``."""
    return forward("swish", x, 1.0)


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))``, stable."""
    return forward("softplus", x)


def log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x))``, stable."""
    return forward("log_sigmoid", x)
