"""TensorSpec: the shape and dtype of a tensor, known before it is computed."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["TensorSpec"]


class TensorSpec(NamedTuple):
    """Shape and dtype of a tensor; a dimension is ``None`` when unknown until a graph runs.

    ``setup`` methods receive and return TensorSpecs. Arrays have the same two attributes, so the
    array calling mode passes arrays to ``setup`` directly.
    """

    shape: tuple[int | None, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        """Rank of the tensor."""
        return len(self.shape)

    @property
    def is_static(self) -> bool:
        """True when every dimension is known."""
        return None not in self.shape

    @staticmethod
    def of(value: Any) -> TensorSpec:
        """The spec of an array, a Variable or a spec."""
        return TensorSpec(tuple(value.shape), np.dtype(value.dtype))

    def __repr__(self) -> str:
        return f"TensorSpec(shape={self.shape}, dtype={np.dtype(self.dtype).name})"
