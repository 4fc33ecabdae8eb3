"""What the dialect entries share with the canonical families, in one place.

The dialects validate some arguments before they call a canonical function (so the error names
the dialect's own arguments). The checks that the loss family defines are re-exported here:
the dialect parts import them from this module only, so that the canonical side can move them
without touching any part.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.functions.loss._common import as_tensor, label_layout, same_shape

__all__ = ["as_tensor", "label_layout", "same_shape", "scalar_value"]


def scalar_value(op: str, val: Any) -> int | float:
    """A scalar operand ``val``: a Python int stays an int (weak dtype), else a real number."""
    if isinstance(val, (numbers.Integral, np.integer)) and not isinstance(val, (bool, np.bool_)):
        return int(val)
    return check.real_scalar(op, "val", val, finite=False)
