"""samediff.nn entries of the engine primitives."""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.core import check

__all__ = ["relu"]


@tensor_args("x")
def relu(x: Any, cutoff: float, *, name: str | None = None) -> Any:
    """Rectified linear unit with cutoff: ``x`` where ``x >= cutoff``, else 0.

    DECISION (catalog): values below ``cutoff`` become 0, as the seed documents; libnd4j's kernel
    is reported to compute ``max(x, cutoff)`` instead. At ``x == cutoff`` the value is ``x``.
    ``cutoff`` is required ("usually 0").

    Args:
        x: Input tensor.
        cutoff (float): Threshold.
        name (str, optional): Node name (SameDiff's ``String name`` overload).

    Returns:
        A tensor of the same shape and dtype.

    Raises:
        ArgumentError: ``cutoff`` is not a finite real number.

    Examples:
        >>> samediff.nn.relu(np.array([-1.0, 0.5, 2.0]), 1.0)
        array([0., 0., 2.])
    """
    cutoff = check.real_scalar("relu", "cutoff", cutoff)
    return F.relu(x, threshold=cutoff, name=name)
