"""Square root: a private helper of several families' backward passes (not in the catalog)."""

from __future__ import annotations

from typing import Any

from nnfunc.core.elementwise import Elementwise

__all__ = ["sqrt"]


class Sqrt(Elementwise):
    """``sqrt(x)``; gradient ``gy / (2 sqrt(x))``. Integer and bool inputs give float32."""

    op_name = "sqrt"
    ufunc = "sqrt"
    retain_out = (0,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (y,) = self.retained_outputs()
        return (grad_outputs[0] / (2 * y),)


def sqrt(x: Any, *, name: str | None = None) -> Any:
    """Element-wise square root, differentiable to any order (callers keep ``x`` positive)."""
    return Sqrt().apply1(x, name=name)
