"""Element-wise kernels of the activation family: numba loops and their pure-NumPy twins.

Each public function here takes an array and returns a new array of the same shape and dtype.
NumPy has no ``erf``: the exact GELU and ``erf`` come from :mod:`nnfunc.kernels.cpu.erf` (a
vectorised numba kernel, compiled on first use, when :func:`nnfunc.core.backend.numba_enabled`
is true and the input is a NumPy array; otherwise its float64-accurate NumPy twin, which also
runs on CuPy); tests check that both agree. The other activations are NumPy only: written as a
few in-place passes of NumPy's SIMD ``exp``/``log1p``/``tanh``, they beat a numba loop calling
scalar libm functions. numba is imported lazily, never at ``import nnfunc``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled
from nnfunc.kernels.cpu.erf import (
    erf_numba,
    erf_numpy,
    erfc_numpy,
    gelu_erf_numba,
    gelu_erf_numpy,
)

__all__ = [
    "erf",
    "erf_numpy",
    "erfc_numpy",
    "gelu",
    "gelu_numpy",
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
#: beyond this |x| the tanh argument of the tanh-GELU saturates in float64; clipping there
#: avoids the overflow of ``x**3`` without changing any result.
_GELU_TANH_CLIP = 100.0


def use_numba(x: Any) -> bool:
    """Whether the numba kernels apply to ``x`` (a NumPy array, numba enabled)."""
    return type(x) is np.ndarray and x.dtype.kind == "f" and numba_enabled()


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


@_arrays_in_place
def gelu_numpy(x: Any, approximate: str) -> Any:
    """GELU in NumPy: ``approximate`` is ``"none"``, ``"tanh"`` or ``"sigmoid"``."""
    xp = get_array_module(x)
    if approximate == "none":
        return gelu_erf_numpy(x)
    if approximate == "tanh":
        xc = xp.clip(x, -_GELU_TANH_CLIP, _GELU_TANH_CLIP)
        inner = xc * (1 + _TANH_A * (xc * xc))
        inner *= _TANH_K
        t = xp.tanh(inner)
        t += 1
        t *= x
        t *= 0.5
        return t.astype(x.dtype, copy=False)
    with np.errstate(over="ignore"):
        t = xp.multiply(x, -_SIG_A, dtype=x.dtype)
        xp.exp(t, out=t)
    t += 1
    return xp.divide(x, t, out=t)


@_arrays_in_place
def silu_numpy(x: Any) -> Any:
    """``x / (1 + exp(-x))`` in NumPy: exp may overflow to inf, then ``x / inf`` is the limit 0."""
    xp = get_array_module(x)
    with np.errstate(over="ignore"):
        t = xp.negative(x)
        xp.exp(t, out=t)
    t += 1
    return xp.divide(x, t, out=t)


@_arrays_in_place
def softplus_numpy(x: Any) -> Any:
    """``max(x, 0) + log1p(exp(-|x|))`` in NumPy, in place after the first temporary."""
    xp = get_array_module(x)
    y = xp.abs(x)
    xp.negative(y, out=y)
    xp.exp(y, out=y)
    xp.log1p(y, out=y)
    y += xp.maximum(x, 0)
    return y


@_arrays_in_place
def log_sigmoid_numpy(x: Any) -> Any:
    """``min(x, 0) - log1p(exp(-|x|))`` in NumPy."""
    xp = get_array_module(x)
    y = xp.abs(x)
    xp.negative(y, out=y)
    xp.exp(y, out=y)
    xp.log1p(y, out=y)
    return xp.subtract(xp.minimum(x, 0), y, out=y)


# ---------------------------------------------------------------------------- dispatch
def erf(x: Any) -> Any:
    """``erf(x)``: numba kernel or NumPy twin."""
    return erf_numba(x) if use_numba(x) else erf_numpy(x)


def gelu(x: Any, approximate: str) -> Any:
    """GELU (``approximate`` in ``"none"``, ``"tanh"``, ``"sigmoid"``)."""
    if approximate == "none" and use_numba(x):
        return gelu_erf_numba(x)
    return gelu_numpy(x, approximate)


def silu(x: Any) -> Any:
    """``x * sigmoid(x)``."""
    return silu_numpy(x)


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))``, stable."""
    return softplus_numpy(x)


def log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x))``, stable."""
    return log_sigmoid_numpy(x)
