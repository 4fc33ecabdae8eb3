"""samediff.nn entries of the array-manipulation family: ``pad``."""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.core import check
from nnfunc.errors import ArgumentError, ShapeError, UnsupportedError

__all__ = ["pad"]


def _padding_values(padding: Any) -> np.ndarray:
    """The numeric ``[rank, 2]`` padding, read from an array or a constant graph node."""
    if getattr(padding, "_is_symbolic", False):
        if padding.kind not in ("constant", "parameter"):
            raise UnsupportedError(
                check.message(
                    "pad",
                    "padding",
                    "be an array or a constant/parameter node (its values fix the output shape)",
                    padding=padding.name,
                )
            )
        return np.asarray(padding.graph.get_value(padding.name))
    data = getattr(padding, "data", padding)  # Variable -> array
    return np.asarray(data)


@tensor_args("input", "padding")
def pad(input: Any, padding: Any, constant: float, *, name: str | None = None) -> Any:
    """Constant padding: ``padding[i] = (before, after)`` for every dimension ``i``.

    SameDiff's ``pad(INDArray input, INDArray padding, double constant)`` and its
    ``SDVariable`` overload. The seed calls ``padding`` a "Padding value" tensor; by SameDiff's
    convention it has shape ``[rank, 2]`` (not stated on the page). See :func:`nnfunc.pad`.

    Args:
        input: Tensor to pad.
        padding: Integer tensor of shape ``[rank, 2]`` (an array, a Variable, or a constant or
            parameter node of the graph: its values determine the output shape).
        constant (double): Fill value (required).
        name (str, optional): Node name (the ``String name`` overload).

    Returns:
        A tensor of ``input``'s rank and dtype, each dimension longer by ``before + after``.

    Raises:
        ShapeError: ``padding`` does not have shape ``[rank, 2]``.
        UnsupportedError: ``padding`` is a computed graph node.
        ArgumentError: negative or non-integer padding values.

    Examples:
        >>> samediff.nn.pad(np.ones((1, 2), np.float32), np.array([[1, 0], [0, 1]]), 0.0)
        array([[0., 0., 0.],
               [1., 1., 0.]], dtype=float32)
    """
    values = _padding_values(padding)
    rank = len(input.shape) if hasattr(input, "shape") else np.ndim(input)
    if values.shape != (rank, 2):
        raise ShapeError(
            check.message(
                "pad",
                "padding",
                "have shape [rank, 2] for the input's rank",
                **{"padding.shape": values.shape, "input.shape": tuple(np.shape(input))},
            )
        )
    integral = values.dtype.kind in "iu" or (
        values.dtype.kind == "f"
        and bool(np.all(np.isfinite(values) & (values == np.round(values))))
    )
    if not integral or (values.size and values.min() < 0):
        raise ArgumentError(
            check.message("pad", "padding", "hold non-negative integers", padding=values)
        )
    pairs = tuple(tuple(int(v) for v in row) for row in values.tolist())
    return F.pad(input, pairs, "constant", constant, name=name)
