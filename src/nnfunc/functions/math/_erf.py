"""The error function: a private helper of the GELU gradients (not in the catalog)."""

from __future__ import annotations

import math
from typing import Any

from nnfunc.core.elementwise import Elementwise
from nnfunc.functions.clipping._clip import clip_to
from nnfunc.functions.math._exp_log_matmul import exp
from nnfunc.kernels.cpu import activation as _kernels

__all__ = ["erf"]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Elementwise):
    """Error function; gradient ``2/sqrt(pi) exp(-x**2)``."""

    op_name = "erf"
    retain_in = (0,)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (_kernels.erf(x.astype(self.out_dtype, copy=False)),)

    def derivative(self, x: Any) -> Any:
        # exp(-x*x) is exactly 0 beyond |x| = 30 even in float64: clipping there keeps x*x
        # from overflowing (float32 |x| > 1.8e19) without changing any value.
        xc = clip_to(x, -30.0, 30.0)
        return _TWO_OVER_SQRT_PI * exp(-(xc * xc))


def erf(x: Any, *, name: str | None = None) -> Any:
    """Error function element-wise, differentiable to any order."""
    return Erf().apply1(x, name=name)
