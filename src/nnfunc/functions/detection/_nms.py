"""Non-maximum suppression on 2-D detector output (NNabla's nms_detection2d)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core import check, shapes
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ShapeError
from nnfunc.functions.stochastic._common import as_tensor

__all__ = ["nms_detection2d"]

#: Rows of the IoU matrix computed at once (bounds memory at _CHUNK * N floats).
_CHUNK = 1024


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a (M, 4)`` with every box of ``b (K, 4)``, centre format
    ``(x, y, w, h)``: ``(M, K)``, 0 where the boxes do not overlap (NNabla's rule: an overlap
    of width or height ``<= 0`` counts as none)."""
    ax, ay, aw, ah = (a[:, i : i + 1] for i in range(4))
    bx, by, bw, bh = (b[None, :, i] for i in range(4))
    w = np.minimum(ax + aw / 2, bx + bw / 2) - np.maximum(ax - aw / 2, bx - bw / 2)
    h = np.minimum(ay + ah / 2, by + bh / 2) - np.maximum(ay - ah / 2, by - bh / 2)
    inter = w * h
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / (aw * ah + bw * bh - inter)
    return np.where((w > 0) & (h > 0), iou, 0.0)


def _greedy(boxes: np.ndarray, nms: float) -> np.ndarray:
    """Keep flags of boxes sorted by decreasing score: a kept box removes every later box
    whose IoU with it exceeds ``nms``; removed boxes remove nothing."""
    m = len(boxes)
    keep = np.ones(m, bool)
    for i0 in range(0, m, _CHUNK):
        rows = boxes[i0 : i0 + _CHUNK]
        over = box_iou(rows, boxes) > nms
        for r in range(len(rows)):
            i = i0 + r
            if keep[i]:
                later = over[r, i + 1 :]
                keep[i + 1 :] &= ~later
    return keep


def _any_better(boxes: np.ndarray, nms: float) -> np.ndarray:
    """Suppressed flags of boxes sorted by decreasing score: a box is suppressed when ANY box
    ranked before it (suppressed or not) overlaps it by IoU > ``nms``."""
    m = len(boxes)
    out = np.zeros(m, bool)
    for i0 in range(0, m, _CHUNK):
        rows = boxes[i0 : i0 + _CHUNK]
        over = box_iou(rows, boxes) > nms
        before = np.arange(m)[None, :] < np.arange(i0, i0 + len(rows))[:, None]
        out[i0 : i0 + len(rows)] = (over & before).any(axis=1)
    return out


class _Nms(Function):
    op_name = "nms_detection2d"
    input_names = ("x",)

    def __init__(self, thresh: float, nms: float, per_class: bool) -> None:
        self.thresh, self.nms, self.per_class = thresh, nms, per_class

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(x.shape), real_dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        dtype = real_dtype(x.dtype)
        xh = np.asarray(x).astype(dtype)
        y = xh.copy()
        obj = np.where(xh[..., 4] < self.thresh, 0, xh[..., 4]).astype(dtype)
        y[..., 4] = obj
        probs = obj[..., None] * xh[..., 5:]
        y[..., 5:] = np.where(probs < self.thresh, 0, probs)
        boxes = xh[..., :4].astype(np.float64)
        for b in range(y.shape[0]):
            if self.per_class:
                for k in range(y.shape[2] - 5):
                    score = y[b, :, 5 + k]
                    cand = np.flatnonzero(score != 0)
                    cand = cand[np.argsort(-score[cand], kind="stable")]
                    dead = cand[~_greedy(boxes[b, cand], self.nms)]
                    y[b, dead, 5 + k] = 0
            else:
                cand = np.flatnonzero(obj[b] != 0)
                cand = cand[np.argsort(-obj[b, cand], kind="stable")]
                dead = cand[_any_better(boxes[b, cand], self.nms)]
                y[b, dead, 4:] = 0
        return (xp.asarray(y),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


def nms_detection2d(
    x: Any,
    thresh: float = 0.5,
    nms: float = 0.45,
    nms_per_class: bool = True,
    *,
    name: str | None = None,
) -> Any:
    """Non-maximum suppression of detector output ``(B, N, 5 + C)``.

    Each of the ``N`` candidates is ``(x, y, w, h, objectness, p_1 .. p_C)`` (box centre and
    size in normalised coordinates). The output copies the boxes and sets

    .. math::
        o = [\\mathrm{obj} \\ge t]\\, \\mathrm{obj}, \\qquad
        s_k = [o\\, p_k \\ge t]\\, o\\, p_k

    then suppresses to 0: with ``nms_per_class``, per class ``k`` and by decreasing ``s_k``,
    each box still alive zeroes ``s_k`` of every later box whose IoU with it is ``> nms``;
    otherwise, by decreasing ``o``, a box whose IoU with ANY box ranked before it is ``>
    nms`` gets ``o = 0`` and every ``s_k = 0``.

    Args:
        x (array, Variable or SymbolicVariable): ``(B, N, 5 + C)``, ``C >= 1``.
        thresh (float): Score threshold ``t`` (scores below it become 0). Default ``0.5``.
        nms (float): IoU above which the lower-scored box is suppressed (strictly greater).
            Default ``0.45``.
        nms_per_class (bool): Suppress per class by ``objectness * p_k`` (default) or by
            objectness over all classes.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ShapeError: ``x`` is not 3-D or its last dimension is below 6.
        ArgumentError: ``thresh`` or ``nms`` is not a finite number, ``nms_per_class`` not a
            bool.
        DTypeError: ``x`` is not real.

    Notes:
        Not differentiable. Ties in score go to the lower index (NNabla's ``std::sort`` leaves
        their order unspecified). The two modes follow NNabla 1.39's CPU kernel: per class the
        suppression is greedy (a suppressed box suppresses nothing); by objectness every pair
        counts. IoU is computed for a block of rows against all candidates at once (only boxes
        with a non-zero score take part). Equivalent to ``nnabla.functions.nms_detection2d(x,
        thresh, nms, nms_per_class)``, whose documented defaults are ``None`` (meaning these).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[[0.5, 0.5, 0.2, 0.2, 0.9, 1.0],
        ...                [0.51, 0.5, 0.2, 0.2, 0.8, 1.0],
        ...                [0.1, 0.1, 0.1, 0.1, 0.7, 1.0]]])
        >>> nf.nms_detection2d(x)[0, :, 5]
        array([0.9, 0. , 0.7])
    """
    op = "nms_detection2d"
    with shapes.node_errors(name, x):
        x = as_tensor(op, "x", x)
        check.ndim(op, "x", x, 3)
        last = x.shape[-1]
        if last is not None and last < 6:
            raise ShapeError(
                check.message(
                    op,
                    "x",
                    "have a last dimension >= 6 (x, y, w, h, objectness and >= 1 class)",
                    **{"x.shape": tuple(x.shape)},
                )
            )
        t = check.real_scalar(op, "thresh", thresh)
        n = check.real_scalar(op, "nms", nms)
        per_class = check.boolean(op, "nms_per_class", nms_per_class)
    return _Nms(t, n, per_class).apply1(x, name=name)
