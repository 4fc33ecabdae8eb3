"""nnabla.functions.embed (NNabla 1.39 signature).

``n_outputs`` and ``outputs``: see :mod:`nnfunc.compat.nnabla.functions`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat.nnabla._imperative import outputs_in_place

__all__ = ["embed"]


@outputs_in_place
def embed(
    x0: Any, w: Any, n_outputs: int = 1, outputs: Any = None, *, name: str | None = None
) -> Any:
    """Embed slices of a matrix/tensor with indexing array/tensor: ``y = w[x0]``.

    See :func:`nnfunc.embedding_lookup`.

    Args:
        x0: Indices ``(I_0, ..., I_N)``, each in ``[0, W_0)``. Float indices (NNabla variables
            are float by default) are read as integers, truncated towards zero.
        w: Table ``(W_0, W_1, ..., W_M)``.
        name (str, optional): Node name in graph mode.

    Returns:
        Output with shape ``(I_0, ..., I_N, W_1, ..., W_M)``, the dtype of ``w``. Gradient with
        respect to ``w`` only.

    Examples:
        >>> w = np.arange(6.0).reshape(3, 2)
        >>> F.embed(np.array([[2, 0]]), w)
        array([[[4., 5.],
                [0., 1.]]])
    """
    dtype = x0.dtype if hasattr(x0, "dtype") else np.asarray(x0).dtype
    if np.dtype(dtype).kind in "fb":
        x0 = F.cast(x0, np.int64)
    return F.embedding_lookup(w, x0, name=name)
