"""tf.nn entries of the engine primitives."""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F

__all__ = ["relu"]


def relu(features: Any, name: str | None = None) -> Any:
    """Rectified linear ``max(features, 0)``. See :func:`nnfunc.relu`.

    Args:
        features: A tensor (float or integer dtypes).
        name (str, optional): Node name in graph mode.

    Returns:
        A tensor of the same shape and dtype.

    Examples:
        >>> tf.nn.relu(np.array([-1.0, 3.0], np.float32))
        array([0., 3.], dtype=float32)
    """
    return F.relu(features, name=name)
