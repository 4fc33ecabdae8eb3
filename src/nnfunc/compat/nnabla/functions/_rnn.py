"""nnabla.functions entries of the recurrent family (NNabla 1.39): rnn, lstm, gru.

Time-major; NNabla's packed weights (``weight_l0 (D, G, H, I + H)`` applied to
``concat(x, h)``, ``weight (L-1, D, G, H, D*H + H)``, ``bias (L, D, G', H)``) are sliced and
transposed into the canonical ``w_x (D, I, G*H)`` / ``w_h (D, H, G*H)`` layout (the views are
differentiable, so gradients reach the packed tensors). Gate orders: lstm ``[i, f, g, o]``,
gru ``[r, z, n]`` with four bias slots ``[b_r, b_z, b_in, b_hn]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat.nnabla._imperative import outputs_in_place
from nnfunc.core import check
from nnfunc.core.shapes import node_errors
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions._labels import shapes_match
from nnfunc.functions.recurrent._common import as_tensor

__all__ = ["gru", "lstm", "rnn"]


def _fmt(shape: tuple) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def _expect(op: str, arg: str, t: Any, want: tuple, why: str) -> Any:
    t = as_tensor(op, arg, t)
    got = tuple(t.shape)
    if not shapes_match(got, want):  # (the message is formatted only on error)
        raise ShapeError(
            check.message(op, arg, f"have shape {_fmt(want)} ({why})", **{f"{arg}.shape": got})
        )
    return t


def _unpack(w: Any, n_in: int, n_gates: int, hidden: int) -> tuple[Any, Any]:
    """(D, G, H, n_in + H) -> w_x (D, n_in, G*H), w_h (D, H, G*H)."""
    wx = F.getitem(w, (Ellipsis, slice(0, n_in)))
    wh = F.getitem(w, (Ellipsis, slice(n_in, None)))

    def canon(m: Any, k: int) -> Any:  # (D, G, H, k) -> (D, k, G*H)
        m = F.transpose(m, (0, 3, 1, 2))
        return F.reshape(m, (m.shape[0], k, n_gates * hidden))

    return canon(wx, n_in), canon(wh, hidden)


def _common(
    op: str,
    x: Any,
    h: Any,
    weight_l0: Any,
    weight: Any,
    num_layers: Any,
    bidirectional: Any,
    n_gates: int,
    dropout: Any,
    training: Any,
) -> tuple:
    num_layers = check.positive_int(op, "num_layers", num_layers)
    bidirectional = check.boolean(op, "bidirectional", bidirectional)
    training = check.boolean(op, "training", training)
    rate = (
        0.0
        if dropout is None
        else check.real_scalar(op, "dropout", dropout, min_value=0.0, max_value=1.0, open_max=True)
    )
    n_dirs = 2 if bidirectional else 1
    x = as_tensor(op, "x", x)
    if len(x.shape) != 3:
        raise ShapeError(
            check.message(op, "x", "have rank 3 (T, B, I)", **{"x.shape": tuple(x.shape)})
        )
    n_in, batch = x.shape[2], x.shape[1]
    w0 = as_tensor(op, "weight_l0", weight_l0)
    g = (n_gates,) if n_gates > 1 else ()
    if len(w0.shape) != 3 + len(g) or w0.shape[-2] is None:
        raise ShapeError(
            check.message(
                op,
                "weight_l0",
                f"have rank {3 + len(g)} (D{', G' if g else ''}, H, I + H)",
                **{"weight_l0.shape": tuple(w0.shape)},
            )
        )
    hidden = int(w0.shape[-2])
    why0 = (
        f"D {n_dirs} from bidirectional={bidirectional}, I {n_in} from x, H {hidden} from weight_l0"
    )
    w0 = _expect(
        op, "weight_l0", w0, (n_dirs, *g, hidden, None if n_in is None else n_in + hidden), why0
    )
    if num_layers > 1:
        if weight is None:
            raise ArgumentError(
                check.message(op, "weight", "be given when num_layers > 1", num_layers=num_layers)
            )
        weight = _expect(
            op,
            "weight",
            weight,
            (num_layers - 1, n_dirs, *g, hidden, n_dirs * hidden + hidden),
            f"L-1 = {num_layers - 1} from num_layers, D {n_dirs}, H {hidden} from weight_l0",
        )
    elif weight is not None:
        raise ArgumentError(
            check.message(
                op,
                "weight",
                "be None when num_layers == 1",
                **{"weight.shape": tuple(as_tensor(op, "weight", weight).shape)},
            )
        )
    if h is not None:
        h = _expect(
            op,
            "h",
            h,
            (num_layers, n_dirs, batch, hidden),
            f"L {num_layers}, D {n_dirs}, B from x, H {hidden} from weight_l0",
        )
    return x, h, w0, weight, num_layers, n_dirs, hidden, n_in, (rate if training else 0.0)


def _layer_weights(
    w0: Any, weight: Any, num_layers: int, n_dirs: int, hidden: int, n_in: int, n_gates: int
) -> tuple[list, list]:
    g4 = n_gates if n_gates > 1 else 1
    w0_ = w0 if n_gates > 1 else F.expand_dims(w0, 1)
    wxs, whs = [], []
    wx, wh = _unpack(w0_, n_in, g4, hidden)
    wxs.append(wx)
    whs.append(wh)
    for layer in range(1, num_layers):
        w = F.getitem(weight, layer - 1)
        w = w if n_gates > 1 else F.expand_dims(w, 1)
        wx, wh = _unpack(w, n_dirs * hidden, g4, hidden)
        wxs.append(wx)
        whs.append(wh)
    return wxs, whs


def _bias_check(op: str, bias: Any, num_layers: int, n_dirs: int, slots: int, hidden: int) -> Any:
    if bias is None:
        return None
    want = (num_layers, n_dirs, slots, hidden) if slots > 1 else (num_layers, n_dirs, hidden)
    return _expect(op, "bias", bias, want, f"L {num_layers}, D {n_dirs}, H {hidden} from weight_l0")


@outputs_in_place
def rnn(
    x: Any,
    h: Any,
    weight_l0: Any,
    weight: Any = None,
    bias: Any = None,
    num_layers: int = 1,
    nonlinearity: str = "tanh",
    dropout: float | None = None,
    bidirectional: bool = False,
    training: bool = True,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any]:
    """N-step Elman RNN: ``h_t = act(w_ih x_t + w_hh h_{t-1} + b)``, time-major.

    Args:
        x: ``(T, B, I)``.
        h: ``(L, D, B, H)`` initial hidden state (None: zeros).
        weight_l0: ``(D, H, I + H)`` = ``[w_ih | w_hh]`` applied to ``concat(x, h)``.
        weight: ``(L - 1, D, H, D*H + H)``, required iff ``num_layers > 1``.
        bias: ``(L, D, H)`` (one bias per layer and direction).
        num_layers (int): L.
        nonlinearity (str): ``"tanh"`` or ``"relu"``.
        dropout (float): Drop probability between layers (the seed's None means 0.0), applied
            only when ``training``.
        bidirectional (bool): D = 2.
        training (bool): Enables the dropout.
        name (str, optional): Node name prefix.

    Returns:
        tuple: ``y (T, B, D*H)``, ``h_n (L, D, B, H)``.

    Raises:
        ShapeError: a weight or state does not fit. ArgumentError: ``num_layers > 1`` without
            ``weight``, an unknown nonlinearity.

    Examples:
        >>> y, hn = F.rnn(np.ones((2, 1, 1)), None, np.array([[[1.0, 0.5]]]))
        >>> np.round(y[:, 0, 0], 4)
        array([0.7616, 0.8811])
    """
    op = "rnn"
    del n_outputs, outputs
    with node_errors(name, x, h, weight_l0, weight, bias):
        check.choice(op, "nonlinearity", nonlinearity, ("tanh", "relu"))
        x, h, w0, weight, n_layers, n_dirs, hidden, n_in, rate = _common(
            op, x, h, weight_l0, weight, num_layers, bidirectional, 1, dropout, training
        )
        bias = _bias_check(op, bias, n_layers, n_dirs, 1, hidden)
    wxs, whs = _layer_weights(w0, weight, n_layers, n_dirs, hidden, n_in, 1)
    bs = None if bias is None else [F.getitem(bias, i) for i in range(n_layers)]
    return F.rnn(
        x,
        wxs,
        whs,
        bs,
        h,
        nonlinearity=nonlinearity,
        direction="bidirectional" if n_dirs == 2 else "forward",
        dropout=rate,
        name=name,
    )


@outputs_in_place
def lstm(
    x: Any,
    h: Any,
    c: Any,
    weight_l0: Any,
    weight: Any = None,
    bias: Any = None,
    num_layers: int = 1,
    dropout: float | None = None,
    bidirectional: bool = False,
    training: bool = True,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """N-step LSTM, time-major; gate axis order ``[i, f, g, o]`` (NNabla's implementation; the
    seed lists the equations f, i, o, c).

    Args:
        x: ``(T, B, I)``.
        h, c: ``(L, D, B, H)`` initial states (None: zeros).
        weight_l0: ``(D, 4, H, I + H)`` applied to ``concat(x, h)``.
        weight: ``(L - 1, D, 4, H, D*H + H)``, required iff ``num_layers > 1``.
        bias: ``(L, D, 4, H)``.
        num_layers, dropout, bidirectional, training: as in :func:`rnn`.
        name (str, optional): Node name prefix.

    Returns:
        tuple: ``y (T, B, D*H)``, ``h_n (L, D, B, H)``, ``c_n (L, D, B, H)``.

    Raises:
        ShapeError, ArgumentError: as in :func:`rnn`.

    Examples:
        >>> y, hn, cn = F.lstm(np.ones((1, 1, 2)), None, None, np.ones((1, 4, 1, 3)))
        >>> np.round(y[0, 0], 4), np.round(cn[0, 0, 0], 4)
        (array([0.6083]), array([0.8491]))
    """
    op = "lstm"
    del n_outputs, outputs
    with node_errors(name, x, h, c, weight_l0, weight, bias):
        x, h, w0, weight, n_layers, n_dirs, hidden, n_in, rate = _common(
            op, x, h, weight_l0, weight, num_layers, bidirectional, 4, dropout, training
        )
        if c is not None:
            c = _expect(
                op,
                "c",
                c,
                (n_layers, n_dirs, x.shape[1], hidden),
                f"L {n_layers}, D {n_dirs}, B from x, H {hidden} from weight_l0",
            )
        bias = _bias_check(op, bias, n_layers, n_dirs, 4, hidden)
    wxs, whs = _layer_weights(w0, weight, n_layers, n_dirs, hidden, n_in, 4)
    bs = None
    if bias is not None:
        bs = [F.reshape(F.getitem(bias, i), (n_dirs, 4 * hidden)) for i in range(n_layers)]
    return F.lstm(
        x,
        wxs,
        whs,
        bs,
        h,
        c,
        direction="bidirectional" if n_dirs == 2 else "forward",
        dropout=rate,
        name=name,
    )


@outputs_in_place
def gru(
    x: Any,
    h: Any,
    weight_l0: Any,
    weight: Any = None,
    bias: Any = None,
    num_layers: int = 1,
    dropout: float | None = None,
    bidirectional: bool = False,
    training: bool = True,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any]:
    """N-step GRU, time-major, reset gate after the recurrent product (cuDNN form):
    ``n_t = tanh(W_n x_t + b_in + r_t * (U_n h_{t-1} + b_hn))`` (the seed writes r_n).

    Args:
        x: ``(T, B, I)``.
        h: ``(L, D, B, H)`` initial state (None: zeros).
        weight_l0: ``(D, 3, H, I + H)``, gates ``[r, z, n]``, applied to ``concat(x, h)``.
        weight: ``(L - 1, D, 3, H, D*H + H)``, required iff ``num_layers > 1``.
        bias: ``(L, D, 4, H)``: ``[b_r, b_z, b_in, b_hn]``.
        num_layers, dropout, bidirectional, training: as in :func:`rnn`.
        name (str, optional): Node name prefix.

    Returns:
        tuple: ``y (T, B, D*H)``, ``h_n (L, D, B, H)``.

    Raises:
        ShapeError, ArgumentError: as in :func:`rnn`.

    Examples:
        >>> y, hn = F.gru(np.ones((1, 1, 1)), None, np.zeros((1, 3, 1, 2)))
        >>> y
        array([[[0.]]])
    """
    op = "gru"
    del n_outputs, outputs
    with node_errors(name, x, h, weight_l0, weight, bias):
        x, h, w0, weight, n_layers, n_dirs, hidden, n_in, rate = _common(
            op, x, h, weight_l0, weight, num_layers, bidirectional, 3, dropout, training
        )
        bias = _bias_check(op, bias, n_layers, n_dirs, 4, hidden)
    wxs, whs = _layer_weights(w0, weight, n_layers, n_dirs, hidden, n_in, 3)
    bxs = bhs = None
    if bias is not None:
        bxs, bhs = [], []
        for i in range(n_layers):
            bl = F.getitem(bias, i)  # (D, 4, H)
            bxs.append(F.reshape(F.getitem(bl, (slice(None), slice(0, 3))), (n_dirs, 3 * hidden)))
            zeros = np.zeros((n_dirs, 2 * hidden), dtype=np.dtype(bias.dtype))
            bhs.append(F.concatenate(zeros, F.getitem(bl, (slice(None), 3)), axis=-1))
    return F.gru(
        x,
        wxs,
        whs,
        bxs,
        bhs,
        h,
        direction="bidirectional" if n_dirs == 2 else "forward",
        dropout=rate,
        name=name,
    )
