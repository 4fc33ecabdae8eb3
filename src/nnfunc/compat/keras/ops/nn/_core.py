"""keras.ops.nn entries of the engine primitives."""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F

__all__ = ["relu"]


def relu(x: Any, *, name: str | None = None) -> Any:
    """Rectified linear unit ``max(x, 0)``. See :func:`nnfunc.relu`.

    Args:
        x: Input tensor.
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the same shape and dtype.

    Examples:
        >>> keras.ops.relu(np.array([-1.0, 0.0, 1.0], np.float32))
        array([0., 0., 1.], dtype=float32)
    """
    return F.relu(x, name=name)
