"""Square root: a private helper of several families' backward passes (not in the catalog)."""

from __future__ import annotations

from typing import Any

from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec

__all__ = ["sqrt"]


class Sqrt(Function):
    """``sqrt(x)``; gradient ``gy / (2 sqrt(x))``. Integer and bool inputs give float32."""

    op_name = "sqrt"

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.out_dtype = real_dtype(x.dtype)
        self.retain_outputs(0)
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (xp.sqrt(x.astype(self.out_dtype, copy=False)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (y,) = self.retained_outputs()
        return (grad_outputs[0] / (2 * y),)


def sqrt(x: Any, *, name: str | None = None) -> Any:
    """Element-wise square root, differentiable to any order (callers keep ``x`` positive)."""
    return Sqrt().apply1(x, name=name)
