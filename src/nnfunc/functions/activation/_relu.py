"""Rectified linear unit."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec

__all__ = ["relu"]


class ReLU(Function):
    """``max(x, 0)``."""

    op_name = "relu"

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self._retain_out_idx = (0,)
        return (TensorSpec(tuple(x.shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (xp.maximum(x, 0, dtype=x.dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        from nnfunc.functions.logical import greater, where

        (y,) = self.retained_outputs()
        return (where(greater(y, 0), grad_outputs[0], 0),)


def relu(x: Any, *, name: str | None = None) -> Any:
    """Rectified linear unit, element-wise.

    .. math::
        y = \\max(x, 0)

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer dtypes are kept.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        None beyond the engine's input checks.

    Notes:
        Gradient: ``gy`` where ``x > 0``, else 0 (``relu'(0) = 0``). NaN stays NaN.
        Equivalent to ``tf.nn.relu(features)``, ``keras.ops.relu(x)``,
        ``nnabla.functions.relu(x)`` and SameDiff ``nn.relu(x, cutoff=0)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.relu(np.array([-1.0, 0.0, 2.0], np.float32))
        array([0., 0., 2.], dtype=float32)
    """
    return ReLU().apply1(x, name=name)
