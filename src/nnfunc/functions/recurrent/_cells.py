"""Single-step cells: :func:`lstm_cell`, :func:`gru_cell`, :func:`sru_cell`.

Composites over nnfunc functions (they inherit every order of gradient and work in graph mode);
each is one step of the matching sequence layer, with the same argument conventions, so a
decoder can step ``state -> state`` with the weights it trains in :func:`nnfunc.lstm`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.shapes import node_errors, recheck, register_check
from nnfunc.errors import ShapeError
from nnfunc.functions.recurrent._common import (
    as_tensor,
    gru_step,
    hidden_size,
    lstm_step,
    outputs,
    sru_step,
)
from nnfunc.functions.recurrent._sequence import _gate_perm, _lstm_options, _reorder, _weight

__all__ = ["gru_cell", "lstm_cell", "sru_cell"]


@register_check("recurrent.cell_batch")
def _cell_batch(x: Any, *states: Any, op: str, names: tuple, size: Any, why: str) -> None:
    """The states' ``(batch of x, size)`` check of a cell, again when a graph runs."""
    for arg, s in zip(names, states, strict=True):
        _weight(op, arg, s, 0, (x.shape[0], size), why)


def _x2(op: str, x: Any) -> Any:
    x = as_tensor(op, "x", x)
    if len(x.shape) != 2:
        raise ShapeError(
            check.message(op, "x", "have rank 2 (batch, features)", **{"x.shape": tuple(x.shape)})
        )
    if np.dtype(x.dtype).kind != "f":
        x = F.cast(x, np.float32)
    return x


def _gated_weights(op: str, x: Any, w_x: Any, w_h: Any, gates: int) -> tuple[Any, ...]:
    """``(x, w_x, w_h, hidden, why)``: ``x`` as (batch, input), ``w_h`` (hidden,
    gates*hidden) and ``w_x`` (input, gates*hidden) checked; ``why`` says where the hidden
    size comes from, for the messages of the later checks."""
    x = _x2(op, x)
    w_h = _weight(op, "w_h", w_h, 0, (None, None), f"hidden, {gates}*hidden")
    hs = hidden_size(op, "w_h", w_h, gates)
    why = f"hidden {hs} from w_h"
    _weight(op, "w_h", w_h, 0, (hs, gates * hs), why)
    w_x = _weight(
        op, "w_x", w_x, 0, (x.shape[1], gates * hs), f"input size {x.shape[1]} from x, {why}"
    )
    return x, w_x, w_h, hs, why


def lstm_cell(
    x: Any,
    h: Any,
    c: Any,
    w_x: Any,
    w_h: Any,
    b: Any = None,
    *,
    peephole: Any = None,
    forget_bias: float = 0.0,
    cell_clip: float = 0.0,
    gate_order: str = "ifgo",
    gate_activation: Any = "sigmoid",
    cell_activation: Any = "tanh",
    output_activation: Any = "tanh",
    return_gates: bool = False,
    name: str | None = None,
) -> tuple[Any, ...]:
    """One LSTM time step (the recurrence of :func:`nnfunc.lstm`).

    Args:
        x (tensor): ``(B, I)`` input of this step.
        h, c (tensor): ``(B, H)`` previous output and cell state.
        w_x (tensor): ``(I, 4H)``; ``w_h`` (tensor): ``(H, 4H)``; ``b`` (tensor, optional):
            ``(4H,)``; blocks in ``gate_order``.
        peephole (tensor, optional): ``(3H,)``, blocks ``[i, f, o]``.
        forget_bias (float): As in :func:`nnfunc.lstm`.
        cell_clip (float): As in :func:`nnfunc.lstm`.
        gate_order (str): As in :func:`nnfunc.lstm`.
        gate_activation: As in :func:`nnfunc.lstm`.
        cell_activation: As in :func:`nnfunc.lstm`.
        output_activation: As in :func:`nnfunc.lstm`.
        return_gates (bool): Also return the activated gates.
        name (str, optional): Name of the node that returns the results in a graph.

    Returns:
        tuple: ``(h_new, c_new)``, or ``(h_new, c_new, i, f, g, o)`` with ``return_gates``.

    Raises:
        ShapeError: a weight or state does not fit ``x`` and ``w_h``.
        ArgumentError: an unknown option.

    Notes:
        A composite: gradients of every order for every floating input. Equivalents: SameDiff
        ``sd.rnn.lstmCell`` (``gate_order="izfo"``, one ``W`` on ``[x, h]``), TF
        ``LSTMCell.__call__``, PyTorch ``torch.nn.LSTMCell``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> h, c = nf.lstm_cell(np.ones((1, 2)), np.zeros((1, 1)), np.zeros((1, 1)),
        ...                     np.ones((2, 4)), np.zeros((1, 4)))
        >>> np.round(h, 4), np.round(c, 4)
        (array([[0.6083]]), array([[0.8491]]))
    """
    op = "lstm_cell"
    with node_errors(name, x, h, c, w_x, w_h, b):
        acts, fb, clip = _lstm_options(
            op, gate_activation, cell_activation, output_activation, forget_bias, cell_clip
        )
        perm = _gate_perm(op, gate_order, "ifgo")
        return_gates = check.boolean(op, "return_gates", return_gates)
        x, w_x, w_h, hs, why = _gated_weights(op, x, w_x, w_h, 4)
        b = _weight(op, "b", b, 0, (4 * hs,), why, optional=True)
        h = _weight(op, "h", h, 0, (x.shape[0], hs), f"batch from x, {why}")
        c = _weight(op, "c", c, 0, (x.shape[0], hs), f"batch from x, {why}")
        peephole = _weight(op, "peephole", peephole, 0, (3 * hs,), why, optional=True)
        # the batch check again when the graph runs (unknown batch sizes at build)
        x, h, c = recheck(
            op,
            "recurrent.cell_batch",
            (x, h, c),
            op=op,
            names=("h", "c"),
            size=hs,
            why=f"batch from x, {why}",
        )
    w_x, w_h, b = (_reorder(t, perm, 4, hs) for t in (w_x, w_h, b))
    out = lstm_step(x, h, c, w_x, w_h, b, peephole, fb, clip, acts)
    return outputs(op, name, *(out if return_gates else out[:2]))


def gru_cell(
    x: Any,
    h: Any,
    w_x: Any,
    w_h: Any,
    b_x: Any = None,
    b_h: Any = None,
    *,
    linear_before_reset: bool = True,
    return_gates: bool = False,
    name: str | None = None,
) -> Any:
    """One GRU time step (the recurrence of :func:`nnfunc.gru`, gates ``[r, z, n]``).

    Args:
        x (tensor): ``(B, I)``.
        h (tensor): ``(B, H)`` previous output.
        w_x (tensor): ``(I, 3H)``; ``w_h`` (tensor): ``(H, 3H)``; ``b_x``, ``b_h`` (optional):
            ``(3H,)``.
        linear_before_reset (bool): as in :func:`nnfunc.gru` (False: SameDiff/Cho 2014).
        return_gates (bool): Also return ``r, z, n``.
        name (str, optional): Name of the node that returns the results in a graph.

    Returns:
        ``h_new (B, H)``, or ``(h_new, r, z, n)`` with ``return_gates``.

    Raises:
        ShapeError: a weight or state does not fit.

    Notes:
        A composite (every order of gradient). Equivalents: SameDiff ``sd.rnn.gru`` (one step,
        ``linear_before_reset=False``), TF ``GRUCell``, PyTorch ``torch.nn.GRUCell``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.gru_cell(np.ones((1, 1)), np.ones((1, 1)), np.zeros((1, 3)), np.zeros((1, 3)))
        array([[0.5]])
    """
    op = "gru_cell"
    with node_errors(name, x, h, w_x, w_h, b_x, b_h):
        lbr = check.boolean(op, "linear_before_reset", linear_before_reset)
        return_gates = check.boolean(op, "return_gates", return_gates)
        x, w_x, w_h, hs, why = _gated_weights(op, x, w_x, w_h, 3)
        b_x = _weight(op, "b_x", b_x, 0, (3 * hs,), why, optional=True)
        b_h = _weight(op, "b_h", b_h, 0, (3 * hs,), why, optional=True)
        h = _weight(op, "h", h, 0, (x.shape[0], hs), f"batch from x, {why}")
        x, h = recheck(
            op,
            "recurrent.cell_batch",
            (x, h),
            op=op,
            names=("h",),
            size=hs,
            why=f"batch from x, {why}",
        )
    out = gru_step(x, h, w_x, w_h, b_x, b_h, lbr)
    if return_gates:
        return outputs(op, name, *out)
    return out[0] if name is None else F.identity(out[0], name=name)


def sru_cell(
    x: Any, c: Any, w: Any, b: Any, *, mask: Any = None, name: str | None = None
) -> tuple[Any, Any]:
    """One SRU time step (the recurrence of :func:`nnfunc.sru`).

    Args:
        x (tensor): ``(B, I)``.
        c (tensor): ``(B, I)`` previous cell state.
        w (tensor): ``(I, 3I)``, blocks ``[x~, f, r]``; ``b`` (tensor): ``(2I,)``.
        mask (tensor, optional): ``(B, I)`` dropout mask on ``tanh(c)``.
        name (str, optional): Name of the node that returns the results in a graph.

    Returns:
        tuple: ``(h_new, c_new)``, each ``(B, I)``.

    Raises:
        ShapeError: ``c``, ``w``, ``b`` or ``mask`` does not fit ``x``.

    Notes:
        A composite (every order of gradient). Equivalent: SameDiff ``sd.rnn.sruCell``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> h, c = nf.sru_cell(np.ones((1, 2)), np.zeros((1, 2)), np.zeros((2, 6)), np.zeros(4))
        >>> h
        array([[0.5, 0.5]])
    """
    op = "sru_cell"
    with node_errors(name, x, c, w, b, mask):
        x = _x2(op, x)
        n = x.shape[1]
        why = f"input size {n} from x"
        c = _weight(op, "c", c, 0, (x.shape[0], n), f"batch and {why}")
        w = _weight(op, "w", w, 0, (n, 3 * n), why + ", blocks [x~, f, r]")
        b = _weight(op, "b", b, 0, (2 * n,), why + ", blocks [f, r]")
        mask = _weight(op, "mask", mask, 0, (x.shape[0], n), f"batch and {why}", optional=True)
        states = (c,) if mask is None else (c, mask)
        x, *states = recheck(
            op,
            "recurrent.cell_batch",
            (x, *states),
            op=op,
            names=("c", "mask")[: len(states)],
            size=n,
            why=f"batch and {why}",
        )
        c, mask = states if mask is not None else (states[0], None)
    return outputs(op, name, *sru_step(x, c, w, b, mask))
