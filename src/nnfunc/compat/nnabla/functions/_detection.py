"""nnabla.functions image object detection (NNabla 1.39 signatures)."""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.compat.nnabla._imperative import outputs_in_place

__all__ = ["nms_detection2d"]


@outputs_in_place
@tensor_args("x")
def nms_detection2d(
    x: Any,
    thresh: float | None = None,
    nms: float | None = None,
    nms_per_class: bool | None = None,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Non-maximum suppression of detector output ``(B, N, 5 + C)``: boxes ``x, y, w, h``,
    objectness, ``C`` class probabilities; the output multiplies the class probabilities by
    the objectness and suppresses some to 0.

    The page's signature defaults are ``None``: they mean NNabla's ``thresh=0.5``,
    ``nms=0.45``, ``nms_per_class=True``.

    Args:
        x: ``(B, N, 5 + C)``.
        thresh (float): Score threshold. Default ``None`` (0.5).
        nms (float): IoU threshold (a box is suppressed when IoU > nms). Default ``None``
            (0.45).
        nms_per_class (bool): Suppress per class (default ``None``: True) or by objectness.
        name (str, optional): Node name in graph mode.

    Returns:
        Same shape as ``x``. See :func:`nnfunc.nms_detection2d`.

    Examples:
        >>> x = np.array([[[0.5, 0.5, 0.2, 0.2, 0.9, 1.0],
        ...                [0.5, 0.5, 0.2, 0.2, 0.8, 1.0]]])
        >>> F.nms_detection2d(x, nms_per_class=False)[0, :, 4:]
        array([[0.9, 0.9],
               [0. , 0. ]])
    """
    return F.nms_detection2d(
        x,
        0.5 if thresh is None else thresh,
        0.45 if nms is None else nms,
        True if nms_per_class is None else nms_per_class,
        name=name,
    )
