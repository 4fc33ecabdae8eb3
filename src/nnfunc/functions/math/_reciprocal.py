"""Reciprocal: a private helper of several families' backward passes (not in the catalog)."""

from __future__ import annotations

from typing import Any

from nnfunc.core.elementwise import Elementwise

__all__ = ["recip"]


class Recip(Elementwise):
    """``1 / x``; gradient ``-gy * y * y`` (never squares ``x``, so no overflow for huge ``x``)."""

    op_name = "reciprocal"
    ufunc = "reciprocal"
    retain_out = (0,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (y,) = self.retained_outputs()
        return (-((grad_outputs[0] * y) * y),)


def recip(x: Any, *, name: str | None = None) -> Any:
    """``1 / x`` element-wise, differentiable to any order (integers and bool give float32)."""
    return Recip().apply1(x, name=name)
