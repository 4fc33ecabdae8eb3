"""Element-wise kernels of the activation family: numba loops and their pure-NumPy twins.

Each public function here takes an array and returns a new array of the same shape and dtype.
NumPy has no ``erf``: the exact GELU and ``erf`` run a numba kernel (one pass, compiled on
first use) when :func:`nnfunc.core.backend.numba_enabled` is true and the input is a NumPy
array, and otherwise their NumPy twins, which take the array module from the input (so they also
run on CuPy); tests check that both agree. The other activations are NumPy only: written as a
few in-place passes of NumPy's SIMD ``exp``/``log1p``/``tanh``, they beat a numba loop calling
scalar libm functions. numba is imported lazily, never at ``import nnfunc``.

The NumPy ``erf`` twin is written here because NumPy has none: a positive-term series
``erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (2n+1)!!`` for ``|x| <= 2.5`` and the
Laplace continued fraction of ``erfc`` beyond, both evaluated to float64 round-off.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from nnfunc.core.backend import get_array_module, numba_enabled

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

_SQRT_PI = math.sqrt(math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_TANH_K = math.sqrt(2.0 / math.pi)
_TANH_A = 0.044715
_SIG_A = 1.702
_SERIES_TERMS = 64
_CF_DEPTH = 64
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


def _erf_series(xp: Any, x: Any) -> Any:
    """``erf(x)`` for ``|x| <= 2.5`` by the positive-term series (float64 in, float64 out)."""
    x2 = 2.0 * x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, _SERIES_TERMS):
        term *= x2 / (2 * n + 1)
        total += term
    return (2.0 / _SQRT_PI) * xp.exp(-x * x) * total


def _erfc_cf(xp: Any, x: Any) -> Any:
    """``erfc(x)`` for ``x >= 2.5`` by the Laplace continued fraction, evaluated bottom up."""
    f = xp.zeros_like(x)
    for k in range(_CF_DEPTH, 0, -1):
        f = (k / 2.0) / (x + f)
    return xp.exp(-x * x) / (_SQRT_PI * (x + f))


def _erf_parts(xp: Any, x: Any) -> tuple[Any, Any, Any]:
    x = x.astype(np.float64)
    ax = xp.abs(x)
    small = ax <= 2.5
    # Each branch sees only arguments where it converges (the others get a harmless 1.0 or 3.0).
    series = _erf_series(xp, xp.where(small, x, 1.0))
    tail = _erfc_cf(xp, xp.where(small, 3.0, ax))  # erfc(|x|)
    return small, series, xp.where(xp.isnan(x), np.nan, tail)


def erf_numpy(x: Any) -> Any:
    """``erf(x)`` in NumPy (or CuPy), accurate to float64 round-off."""
    xp = get_array_module(x)
    small, series, tail = _erf_parts(xp, x)
    sign = xp.where(x < 0, -1.0, 1.0)
    out = xp.where(small, series, sign * (1.0 - tail))
    return out.astype(x.dtype, copy=False)


def erfc_numpy(x: Any) -> Any:
    """``erfc(x) = 1 - erf(x)`` in NumPy, accurate in the upper tail."""
    xp = get_array_module(x)
    small, series, tail = _erf_parts(xp, x)
    out = xp.where(small, 1.0 - series, xp.where(x < 0, 2.0 - tail, tail))
    return out.astype(x.dtype, copy=False)


@_arrays_in_place
def gelu_numpy(x: Any, approximate: str) -> Any:
    """GELU in NumPy: ``approximate`` is ``"none"``, ``"tanh"`` or ``"sigmoid"``."""
    xp = get_array_module(x)
    if approximate == "none":
        x64 = x.astype(np.float64)
        return (0.5 * x64 * erfc_numpy(-x64 * _INV_SQRT2)).astype(x.dtype, copy=False)
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


# ---------------------------------------------------------------------------- numba kernels
@lru_cache(maxsize=1)
def _numba_kernels() -> dict[str, Any]:
    import numba

    opts = {"cache": True}

    @numba.vectorize(["float32(float32)", "float64(float64)"], **opts)
    def erf_k(x):  # pragma: no cover - compiled
        return math.erf(x)

    @numba.vectorize(["float32(float32)", "float64(float64)"], **opts)
    def gelu_none_k(x):  # pragma: no cover - compiled
        return 0.5 * x * math.erfc(-x * _INV_SQRT2)

    return {
        "erf": erf_k,
        "gelu_none": gelu_none_k,
    }


def _run(name: str, x: Any) -> Any:
    if x.dtype == np.float16:
        return _numba_kernels()[name](x.astype(np.float32)).astype(np.float16)
    return _numba_kernels()[name](x)


# ---------------------------------------------------------------------------- dispatch
def erf(x: Any) -> Any:
    """``erf(x)``: numba kernel or NumPy twin."""
    return _run("erf", x) if use_numba(x) else erf_numpy(x)


def gelu(x: Any, approximate: str) -> Any:
    """GELU (``approximate`` in ``"none"``, ``"tanh"``, ``"sigmoid"``)."""
    if approximate == "none" and use_numba(x):
        return _run("gelu_none", x)
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
