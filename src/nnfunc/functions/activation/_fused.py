"""The fused first-order backward of the element-wise activations.

An activation's backward pass is one :class:`ActivationGrad` node, ``gx = gy * f'(x)``, whose
forward is one kernel of :mod:`nnfunc.kernels.cpu.activation` (a numba pass over float32, the
NumPy twin otherwise), instead of a chain of nnfunc functions that each allocate a temporary.
Its own backward is written with nnfunc functions (the rules below), so second and higher
derivatives and graph mode (``Graph.grad``) work from the same code::

    gx = gy * d1(v)            d(gx) = u * gy * d2(v) dv + u * d1(v) d(gy)

where ``v`` is what the activation keeps (its input, or its output for sigmoid, tanh and
relu), ``d1(v) = f'(x)`` written in ``v`` and ``d2 = d d1 / d v``. The node holds plain data
only (kind, parameters and the activation's name), so graphs holding it can be saved.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.functions.clipping._clip import clip_to
from nnfunc.functions.math._erf import erf
from nnfunc.functions.math._reciprocal import recip
from nnfunc.kernels.cpu import activation as _kernels

__all__ = ["ActivationGrad"]

_K = math.sqrt(2.0 / math.pi)
_A = 0.044715
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# Each rule: kind -> (d1, d2) with d1(v, a, b) = f'(x) and d2(v, a, b) = d d1 / d v written in
# nnfunc functions; d2 None: d1 is piecewise constant (its gradient is 0).
def _sigmoid(y: Any, a: float, b: float) -> tuple[Any, Any]:
    return y * (1 - y), 1 - 2 * y


def _tanh(y: Any, a: float, b: float) -> tuple[Any, Any]:
    return 1 - y * y, -2 * y


def _softplus(x: Any, a: float, b: float) -> tuple[Any, Any]:
    s = F.sigmoid(x)
    return s, s * F.sigmoid(-x)


def _log_sigmoid(x: Any, a: float, b: float) -> tuple[Any, Any]:
    s, q = F.sigmoid(x), F.sigmoid(-x)
    return q, -(s * q)


def _swish(x: Any, a: float, b: float) -> tuple[Any, Any]:
    # x sigmoid(a x): f' = s + a x s q, f'' = a s q (2 + a x (1 - 2 s)), q = 1 - s (as
    # sigmoid(-a x): no cancellation where s is near 1)
    z = x * a if a != 1 else x
    s, q = F.sigmoid(z), F.sigmoid(-z)
    sq = s * q
    d2 = sq * (2 + z * (1 - 2 * s))
    return s + z * sq, d2 * a if a != 1 else d2


def _gelu_tanh(x: Any, a: float, b: float) -> tuple[Any, Any]:
    # x sigmoid(2u), u = k (x + A x^3): f' = s + 2 x s q u', f'' = s q (4 u' + 4 x (1 - 2s) u'^2
    # + 12 k A x^2). The polynomial is evaluated on x clipped to +-100, where s q is already
    # exactly 0, so x**3 never overflows.
    xc = clip_to(x, -100.0, 100.0)
    x2 = xc * xc
    z = (2 * _K) * (xc + _A * (x2 * xc))
    s, q = F.sigmoid(z), F.sigmoid(-z)
    sq = s * q
    du = _K + (3 * _K * _A) * x2
    d1 = s + 2 * xc * sq * du
    d2 = sq * (4 * du + 4 * xc * (1 - 2 * s) * (du * du) + (12 * _K * _A) * x2)
    return d1, d2


def _gelu_erf(x: Any, a: float, b: float) -> tuple[Any, Any]:
    # Phi(x) + x phi(x) and 2 phi(x) - x^2 phi(x). phi(x) is exactly 0 beyond |x| = 50 (even in
    # float64): it is evaluated on x clipped there, so x*x never overflows.
    xc = clip_to(x, -50.0, 50.0)
    x2 = xc * xc
    phi = _INV_SQRT_2PI * F.exp(-0.5 * x2)
    return 0.5 + 0.5 * erf(x * _INV_SQRT2) + xc * phi, phi * (2 - x2)


def _elu(x: Any, a: float, b: float) -> tuple[Any, Any]:
    # exp of min(x, 0): the unused branch stays finite for large x (no 0 * inf in grads).
    pos = F.greater(x, 0)
    e = a * F.exp(F.minimum(x, 0))
    d1, d2 = F.where(pos, 1.0, e), F.where(pos, 0.0, e)
    return (d1 * b, d2 * b) if b != 1 else (d1, d2)


def _softsign(x: Any, a: float, b: float) -> tuple[Any, Any]:
    # recip's gradient is -r*r (a division by (1 + |x|)**2 would overflow for huge |x|); the
    # kink of r*r at 0 has slopes -2 and 2: its gradient there is taken as 0.
    r = recip(1 + F.abs(x))
    r2 = r * r
    sign_r = F.where(F.greater(x, 0), r, 0) - F.where(F.less(x, 0), r, 0)
    return r2, -2 * r2 * sign_r


def _relu(v: Any, a: float, b: float) -> tuple[Any, Any]:
    return F.greater(v, a), None


def _leaky_relu(x: Any, a: float, b: float) -> tuple[Any, Any]:
    return F.greater_equal(x, 0), None


def _window(x: Any, a: float, b: float) -> tuple[Any, Any]:
    return F.where(F.greater(x, a), F.less(x, b), False), None


def _hard_silu(x: Any, a: float, b: float) -> tuple[Any, Any]:
    # (relu6(x + 3) + x [inside]) / 6; its derivative is 1/3 strictly inside (-3, 3), else 0
    inside = F.where(F.greater(x, -3), F.less(x, 3), False)
    r = clip_to(x + 3, 0.0, 6.0, grad_at_bounds=False)
    return (r + F.where(inside, x, 0)) * (1 / 6), inside


_RULES = {
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "softplus": _softplus,
    "log_sigmoid": _log_sigmoid,
    "swish": _swish,
    "gelu_tanh": _gelu_tanh,
    "gelu_erf": _gelu_erf,
    "elu": _elu,
    "softsign": _softsign,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "window": _window,
    "hard_silu": _hard_silu,
}
#: piecewise-linear kinds: d1 is a mask (gx = gy where it holds, else 0 or gy * slope)
_MASKED = ("relu", "leaky_relu", "window")


class ActivationGrad(Function):
    """``gy * f'(x)`` of an element-wise activation from ``v`` (its input, or its output for
    sigmoid, tanh and relu): one fused kernel forward, nnfunc functions backward."""

    input_names = ("v", "gy")
    retain_in = (0, 1)

    def __init__(self, kind: str, a: float = 0.0, b: float = 0.0, op: str = "") -> None:
        self.kind = kind
        self.a = float(a)
        self.b = float(b)
        self.op_name = f"{op or kind}_grad"

    def setup(self, v: Any, gy: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(p if p is not None else q for p, q in zip(v.shape, gy.shape, strict=False))
        vd, gd = np.dtype(v.dtype), np.dtype(gy.dtype)
        self.out_dtype = vd if vd.kind == "f" else gd
        return (TensorSpec(shape, self.out_dtype),)

    def forward(self, xp: Any, v: Any, gy: Any) -> tuple[Any, ...]:
        return (_kernels.grad(self.kind, v, gy, self.a, self.b).astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        v, gy = self.retained_inputs()
        (u,) = grad_outputs
        kind, a, b = self.kind, self.a, self.b
        if kind in _MASKED:
            # piecewise linear: gx = gy where the mask holds (else gy * slope)
            if 1 not in target_indexes:
                return (None, None)
            keep, _ = _RULES[kind](v, a, b)
            other = u * a if kind == "leaky_relu" else 0
            return (None, F.where(keep, u, other))
        if kind == "hard_silu":
            d1, inside = _hard_silu(v, a, b)
            g_v = F.where(inside, u * gy, 0) * (1 / 3) if 0 in target_indexes else None
            return (g_v, u * d1 if 1 in target_indexes else None)
        d1, d2 = _RULES[kind](v, a, b)
        g_v = u * gy * d2 if 0 in target_indexes else None
        g_gy = u * d1 if 1 in target_indexes else None
        return (g_v, g_gy)
