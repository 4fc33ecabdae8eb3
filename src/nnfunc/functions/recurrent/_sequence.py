"""The full-sequence recurrent layers: :func:`lstm`, :func:`gru`, :func:`rnn`, :func:`sru`,
:func:`lstm_block`.

Each is a composite that checks its arguments, converts the layout to time-major, reorders gate
blocks into the canonical order and then applies, per layer and direction, ONE recorded Function
of :mod:`._layers` (the time loop runs inside it): a 2-layer bidirectional LSTM over 1000 steps
is 4 nodes on the tape, plus the concatenations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.shapes import node_errors
from nnfunc.errors import ArgumentError, DTypeError, ShapeError
from nnfunc.functions.recurrent._common import (
    as_tensor,
    check_lengths_values,
    lengths_array,
    outputs,
    parse_activation,
)
from nnfunc.functions.recurrent._layers import GRULayer, LSTMLayer, RNNLayer, SRULayer
from nnfunc.random import validate_seed

__all__ = ["gru", "lstm", "lstm_block", "rnn", "sru"]

LAYOUTS = ("TBF", "BTF", "BFT")
DIRECTIONS = ("forward", "reverse", "bidirectional")
MERGES = ("concat", "sum", "stack")
_GATE_ALIASES = {"z": "g", "c": "g", "j": "g"}


# ------------------------------------------------------------------------------- helpers
def _time_major(x: Any, layout: str) -> Any:
    if layout == "BTF":
        return F.transpose(x, (1, 0, 2))
    if layout == "BFT":
        return F.transpose(x, (2, 0, 1))
    return x


def _from_time_major(y: Any, layout: str, stacked: bool) -> Any:
    """``y`` (T, B, F) or, stacked, (T, D, B, H) -> the caller's layout."""
    if layout == "TBF":
        return y
    if stacked:
        return F.transpose(y, (2, 0, 1, 3) if layout == "BTF" else (2, 1, 3, 0))
    return F.transpose(y, (1, 0, 2) if layout == "BTF" else (1, 2, 0))


def _layer_weights(
    op: str,
    li: int,
    n_layers: int,
    wx: Any,
    wh: Any,
    n_in: Any,
    n_dirs: int,
    hidden: int,
    gates: int,
    direction: Any,
) -> tuple[str, str, Any, Any]:
    """Layer ``li``'s ``w_x`` (input, gates*hidden) and ``w_h`` (hidden, gates*hidden)
    checked: ``(suffix of its argument names, its width phrase, w_x, w_h)``."""
    sfx = f"[{li}]" if n_layers > 1 else ""
    i_l = n_in if li == 0 else n_dirs * hidden
    src = "x" if li == 0 else "num_directions*hidden of the layer below"
    width = f"{gates}*hidden {gates * hidden}" if gates > 1 else f"hidden {hidden}"
    why = f"num_directions {n_dirs} from direction={direction!r}, input size {i_l} from {src}, "
    wx = _weight(op, f"w_x{sfx}", wx, n_dirs, (i_l, gates * hidden), why + width)
    wh = _weight(op, f"w_h{sfx}", wh, n_dirs, (hidden, gates * hidden), f"hidden {hidden} from w_h")
    return sfx, width, wx, wh


def _lstm_options(
    op: str,
    gate_activation: Any,
    cell_activation: Any,
    output_activation: Any,
    forget_bias: Any,
    cell_clip: Any,
) -> tuple[tuple[Any, Any, Any], float, float]:
    """The LSTM step's options checked: ``((gate, cell, output) activations, forget_bias,
    cell_clip)``."""
    acts = (
        parse_activation(op, "gate_activation", gate_activation),
        parse_activation(op, "cell_activation", cell_activation),
        parse_activation(op, "output_activation", output_activation),
    )
    fb = check.real_scalar(op, "forget_bias", forget_bias)
    clip = check.real_scalar(op, "cell_clip", cell_clip, min_value=0.0)
    return acts, fb, clip


def _gate_perm(op: str, gate_order: Any, canonical: str) -> tuple[int, ...] | None:
    """Block index in the caller's order of each canonical gate (None: already canonical)."""
    if not isinstance(gate_order, str):
        raise ArgumentError(check.message(op, "gate_order", "be a string", gate_order=gate_order))
    norm = "".join(_GATE_ALIASES.get(ch, ch) for ch in gate_order.lower())
    if sorted(norm) != sorted(canonical):
        raise ArgumentError(
            check.message(
                op,
                "gate_order",
                f"be a permutation of {canonical!r} (z, c or j may stand for g)",
                gate_order=gate_order,
            )
        )
    if norm == canonical:
        return None
    return tuple(norm.index(ch) for ch in canonical)


def _reorder(w: Any, perm: tuple[int, ...] | None, n_gates: int, hidden: int) -> Any:
    """Reorder the gate blocks on the last axis."""
    if w is None or perm is None:
        return w
    nd = len(w.shape)
    lead = (slice(None),) * (nd - 1)
    parts = [F.getitem(w, (*lead, slice(p * hidden, (p + 1) * hidden))) for p in perm]
    return F.concatenate(*parts, axis=-1)


def _listify(value: Any) -> tuple[list[Any], bool]:
    """A list or tuple of tensors holds one per layer; any other list is one array."""
    if isinstance(value, (list, tuple)) and (
        not value or all(hasattr(v, "shape") or v is None for v in value)
    ):
        return list(value), True
    return [value], False


def _expected(shape: tuple, d: int) -> tuple:
    return shape if d == 0 else (d, *shape)


def _weight(
    op: str, arg: str, w: Any, n_dirs: int, shape: tuple, why: str, optional: bool = False
) -> Any:
    """Check one weight: ``shape`` for one direction, or ``(2, *shape)`` (bidirectional)."""
    w = as_tensor(op, arg, w, optional)
    if w is None:
        return None
    if np.dtype(w.dtype).kind != "f":
        raise DTypeError(
            check.message(op, arg, "have a floating dtype", **{f"{arg}.dtype": w.dtype})
        )
    got = tuple(w.shape)
    if n_dirs == 0:  # no direction axis
        allowed = [shape]
    else:
        allowed = [(n_dirs, *shape)] + ([shape] if n_dirs == 1 else [])
    for exp in allowed:
        if len(got) == len(exp) and all(
            a is None or b is None or a == b for a, b in zip(got, exp, strict=True)
        ):
            return w
    want = " or ".join(_fmt_shape(e) for e in allowed)
    raise ShapeError(check.message(op, arg, f"have shape {want} ({why})", **{f"{arg}.shape": got}))


def _times(k: int, n: int | None) -> int | None:
    """``k * n``, unknown (None) while ``n`` is: a size of a graph checked when it runs."""
    return None if n is None else k * n


def _fmt_shape(shape: tuple) -> str:
    items = ["?" if d is None else str(d) for d in shape]
    return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"


def _direction(w: Any, d: int, n_dirs: int, base_rank: int) -> Any:
    if w is None:
        return None
    if len(w.shape) == base_rank:
        return w
    return F.getitem(w, d)


def _state(op: str, arg: str, s: Any, n_layers: int, n_dirs: int, batch: Any, hidden: int) -> Any:
    s = as_tensor(op, arg, s, optional=True)
    if s is None:
        return None
    got = tuple(s.shape)
    exp = (n_layers, n_dirs, batch, hidden)
    ok = len(got) == 4 and all(
        a is None or b is None or a == b for a, b in zip(got, exp, strict=True)
    )
    short = n_layers * n_dirs == 1 and len(got) == 2
    if short:
        ok = all(a is None or b is None or a == b for a, b in zip(got, exp[2:], strict=True))
    if not ok:
        raise ShapeError(
            check.message(
                op,
                arg,
                f"have shape (num_layers, num_directions, batch, hidden) = "
                f"{tuple('?' if v is None else v for v in exp)}",
                **{f"{arg}.shape": got},
            )
        )
    if np.dtype(s.dtype).kind != "f":
        raise DTypeError(
            check.message(op, arg, "have a floating dtype", **{f"{arg}.dtype": s.dtype})
        )
    return s


def _state_at(s: Any, layer: int, d: int) -> Any:
    if s is None or len(s.shape) == 2:
        return s
    return F.getitem(s, (layer, d))


def _options(op: str, layout: Any, direction: Any, merge: Any) -> int:
    check.choice(op, "layout", layout, LAYOUTS)
    check.choice(op, "direction", direction, DIRECTIONS)
    check.choice(op, "merge", merge, MERGES)
    return 2 if direction == "bidirectional" else 1


def _prepare_x(op: str, x: Any, layout: str) -> Any:
    x = as_tensor(op, "x", x)
    if len(x.shape) != 3:
        raise ShapeError(
            check.message(
                op, "x", f"have rank 3 (layout {layout!r})", **{"x.shape": tuple(x.shape)}
            )
        )
    if np.dtype(x.dtype).kind != "f":
        x = F.cast(x, np.float32)
    return _time_major(x, layout)


def _prepare_lengths(op: str, lengths: Any, t_len: Any, batch: Any) -> Any:
    lengths = lengths_array(op, lengths)
    if lengths is None:
        return None
    if batch is not None and lengths.shape[0] is not None and lengths.shape[0] != batch:
        raise ShapeError(
            check.message(
                op,
                "lengths",
                f"have shape ({batch},) (the batch size of x)",
                **{"lengths.shape": tuple(lengths.shape)},
            )
        )
    if t_len is not None:
        check_lengths_values(op, "lengths", lengths, t_len)
    return lengths


def _dropout_check(op: str, dropout: Any, seed: Any) -> float:
    rate = check.real_scalar(
        op,
        "dropout",
        0.0 if dropout is None else dropout,
        min_value=0.0,
        max_value=1.0,
        open_max=True,
    )
    validate_seed(op, seed)
    return rate


def _merge(ys: list[Any], merge: str) -> Any:
    if len(ys) == 1:
        return ys[0]
    if merge == "sum":
        return ys[0] + ys[1]
    if merge == "stack":
        return F.stack(*ys, axis=1)
    return F.concatenate(*ys, axis=-1)


def _run_layers(
    op: str,
    x: Any,
    layers: list[tuple],
    n_dirs: int,
    direction: str,
    merge: str,
    dropout: float,
    seed: Any,
    make: Any,
) -> tuple[Any, list[list[tuple]]]:
    """Apply ``make(layer, d, reverse, x_l, weights)`` per layer and direction."""
    states: list[list[tuple]] = []
    h = x
    n_layers = len(layers)
    for li, weights in enumerate(layers):
        if li > 0 and dropout > 0:
            h = F.dropout(h, dropout, seed=seed)
        ys = []
        st = []
        for d in range(n_dirs):
            reverse = d == 1 or direction == "reverse"
            y, *s = make(li, d, reverse, h, weights)
            ys.append(y)
            st.append(tuple(s))
        last = li == n_layers - 1
        h = _merge(ys, merge if last else "concat")
        states.append(st)
    return h, states


def _stack_states(states: list[list[tuple]], k: int) -> Any:
    return F.stack(*[F.stack(*[s[k] for s in layer], axis=0) for layer in states], axis=0)


# ------------------------------------------------------------------------------------ lstm
def lstm(
    x: Any,
    w_x: Any,
    w_h: Any,
    b: Any = None,
    h0: Any = None,
    c0: Any = None,
    *,
    lengths: Any = None,
    peephole: Any = None,
    direction: str = "forward",
    merge: str = "concat",
    layout: str = "TBF",
    gate_order: str = "ifgo",
    forget_bias: float = 0.0,
    cell_clip: float = 0.0,
    gate_activation: Any = "sigmoid",
    cell_activation: Any = "tanh",
    output_activation: Any = "tanh",
    dropout: float = 0.0,
    seed: Any = None,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Multi-layer, optionally bidirectional LSTM over a whole sequence.

    For each layer and direction, with gates in the canonical order ``[i, f, g, o]``:

    .. math::
        i_t = \\sigma_g(W_{xi} x_t + W_{hi} h_{t-1} + b_i + p_i \\odot c_{t-1}) \\\\
        f_t = \\sigma_g(W_{xf} x_t + W_{hf} h_{t-1} + b_f + p_f \\odot c_{t-1} + b_{fb}) \\\\
        g_t = \\sigma_c(W_{xg} x_t + W_{hg} h_{t-1} + b_g) \\\\
        c_t = \\text{clip}(f_t \\odot c_{t-1} + i_t \\odot g_t) \\\\
        o_t = \\sigma_g(W_{xo} x_t + W_{ho} h_{t-1} + b_o + p_o \\odot c_t) \\\\
        h_t = o_t \\odot \\sigma_o(c_t)

    (``b_fb`` = ``forget_bias``; ``clip`` to ``[-cell_clip, cell_clip]`` when it is > 0.)

    Args:
        x (tensor): Input sequence, ``(T, B, I)`` for ``layout="TBF"`` (time-major), ``(B, T, I)``
            for ``"BTF"``, ``(B, I, T)`` for ``"BFT"``. Integers become float32.
        w_x (tensor or sequence of tensors): Input weights ``(I, 4H)`` (one direction) or
            ``(D, I, 4H)``; a list holds one per layer (layer ``l > 0`` has input size
            ``D*H``: the previous layer's directions concatenated).
        w_h (tensor or sequence): Recurrent weights ``(H, 4H)`` or ``(D, H, 4H)``; ``H`` is
            read from here.
        b (tensor or sequence, optional): Biases ``(4H,)`` or ``(D, 4H)``.
        h0, c0 (tensor, optional): Initial states ``(L, D, B, H)`` (``(B, H)`` accepted for one
            layer and direction); zeros by default.
        lengths (int tensor, optional): ``(B,)`` sequence lengths in ``[0, T]``. Outputs past a
            length are zero, the final state is the one at ``lengths[b] - 1``, and the reverse
            direction starts each sequence at its own last step.
        peephole (tensor or sequence, optional): ``(3H,)`` or ``(D, 3H)``, blocks ``[i, f, o]``.
        direction (str): ``"forward"``, ``"reverse"`` or ``"bidirectional"`` (``D = 2``).
        merge (str): How the two directions of the LAST layer are combined: ``"concat"``
            (features ``2H``), ``"sum"`` (``H``) or ``"stack"`` (a new axis after time:
            ``(T, 2, B, H)`` time-major). Inner layers always concatenate.
        layout (str): ``"TBF"``, ``"BTF"`` or ``"BFT"``: of ``x`` and ``y``.
        gate_order (str): Order of the four blocks in the weights and biases, a permutation of
            ``"ifgo"`` (``z`` or ``c`` may name ``g``): NNabla/SameDiff lstmLayer/PyTorch
            ``"ifgo"``, SameDiff lstmCell/TF BlockLSTM ``"izfo"``, Keras ``"ifco"``.
        forget_bias (float): Added to the forget gate's pre-activation.
        cell_clip (float): ``> 0`` clips the cell state to ``[-cell_clip, cell_clip]``.
        gate_activation, cell_activation, output_activation (str or (str, alpha, beta)):
            ``sigma_g``, ``sigma_c``, ``sigma_o``; one of ``tanh, relu, sigmoid, affine,
            leaky_relu, thresholded_relu, scaled_tanh, hard_sigmoid, elu, softsign, softplus``
            with SameDiff's alpha/beta (see ``nnfunc.functions.recurrent._common``).
        dropout (float): Drop probability applied to the input of layers ``l > 0``.
        seed (int or Generator, optional): Seed of that dropout.
        name (str, optional): Prefix of the graph nodes (unused in eager mode).

    Returns:
        tuple: ``(y, h_n, c_n)``: ``y`` in ``layout`` with ``D*H`` features (``H`` for sum, an
        extra axis for stack); ``h_n`` and ``c_n`` ``(L, D, B, H)``.

    Raises:
        ShapeError: a weight or state does not fit (the message names the weight, the expected
            and received shapes and what decides them).
        ArgumentError: an unknown option, a length outside ``[0, T]``.
        DTypeError: a tensor that is not real.

    Notes:
        Gradients: every floating input (weights, biases, peepholes, states, x); ``clip`` passes
        the gradient where ``|c| <= cell_clip``. Each layer direction is ONE recorded Function
        whose backward is a fused reverse loop; double backward differentiates the unrolled
        recurrence (slow, exact). Equivalents: SameDiff ``sd.rnn.lstmLayer`` (NTS/TNS/NST, gate
        order ifgo), NNabla ``F.lstm`` (``weight_l0 (D, 4, H, I+H)``), TF ``dynamic_rnn`` with
        ``LSTMCell`` (order ``icfo``), PyTorch ``torch.nn.LSTM`` (``ifgo``, ``W.T``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.ones((5, 2, 3), np.float32)
        >>> y, h, c = nf.lstm(x, np.full((3, 8), 0.1, np.float32), np.zeros((2, 8), np.float32))
        >>> y.shape, h.shape, c.shape
        ((5, 2, 2), (1, 1, 2, 2), (1, 1, 2, 2))
        >>> np.round(h[0, 0, 0], 4)
        array([0.2027, 0.2027], dtype=float32)
    """
    op = "lstm"
    with node_errors(name, x, w_x, w_h, b, h0, c0):
        n_dirs = _options(op, layout, direction, merge)
        acts, fb, clip = _lstm_options(
            op, gate_activation, cell_activation, output_activation, forget_bias, cell_clip
        )
        rate = _dropout_check(op, dropout, seed)
        perm = _gate_perm(op, gate_order, "ifgo")
        x = _prepare_x(op, x, layout)
        t_len, batch, n_in = x.shape
        layers = _collect(op, ("w_x", "w_h", "b", "peephole"), (w_x, w_h, b, peephole))
        hidden = _hidden(op, layers[0][1], 4, n_dirs)
        checked = []
        for li, (wx, wh, bb, pp) in enumerate(layers):
            sfx, width, wx, wh = _layer_weights(
                op, li, len(layers), wx, wh, n_in, n_dirs, hidden, 4, direction
            )
            checked.append(
                (
                    wx,
                    wh,
                    _weight(op, f"b{sfx}", bb, n_dirs, (4 * hidden,), width, optional=True),
                    _weight(
                        op,
                        f"peephole{sfx}",
                        pp,
                        n_dirs,
                        (3 * hidden,),
                        f"3*hidden {3 * hidden}, blocks [i, f, o]",
                        optional=True,
                    ),
                )
            )
        n_layers = len(checked)
        h0 = _state(op, "h0", h0, n_layers, n_dirs, batch, hidden)
        c0 = _state(op, "c0", c0, n_layers, n_dirs, batch, hidden)
        lengths = _prepare_lengths(op, lengths, t_len, batch)

    def make(li: int, d: int, reverse: bool, xl: Any, weights: tuple) -> tuple:
        wx, wh, bb, pp = weights
        args = (
            _reorder(_direction(wx, d, n_dirs, 2), perm, 4, hidden),
            _reorder(_direction(wh, d, n_dirs, 2), perm, 4, hidden),
            _reorder(_direction(bb, d, n_dirs, 1), perm, 4, hidden),
            _state_at(h0, li, d),
            _state_at(c0, li, d),
            _direction(pp, d, n_dirs, 1),
        )
        fn = LSTMLayer(reverse, fb, clip, acts)
        wx_, wh_, b_, h_, c_, p_ = args
        return fn.apply(xl, wx_, wh_, b_, h_, c_, p_, lengths, name=_sub(name, li, d, n_dirs))

    y, states = _run_layers(op, x, checked, n_dirs, direction, merge, rate, seed, make)
    y = _from_time_major(y, layout, merge == "stack" and n_dirs == 2)
    return outputs(op, name, y, _stack_states(states, 0), _stack_states(states, 1))


def _sub(name: str | None, li: int, d: int, n_dirs: int) -> str | None:
    if name is None:
        return None
    return f"{name}.l{li}" + (f"d{d}" if n_dirs == 2 else "")


def _collect(op: str, names: Sequence[str], values: Sequence[Any]) -> list[tuple]:
    """Per-layer tuples of weights (a list per argument gives one entry per layer)."""
    lists = []
    n_layers = None
    for nm, v in zip(names, values, strict=True):
        items, is_list = _listify(v)
        if is_list:
            if not items:
                raise ArgumentError(check.message(op, nm, "not be empty", **{nm: v}))
            if n_layers is None:
                n_layers = len(items)
            elif len(items) != n_layers:
                raise ArgumentError(
                    check.message(
                        op,
                        nm,
                        f"hold one tensor per layer ({n_layers} layers from {names[0]})",
                        **{f"len({nm})": len(items)},
                    )
                )
        lists.append((items, is_list))
    n_layers = n_layers or 1
    out = []
    for li in range(n_layers):
        row = []
        for (items, is_list), nm in zip(lists, names, strict=True):
            if is_list:
                row.append(items[li])
            elif n_layers > 1 and items[0] is not None:
                raise ArgumentError(
                    check.message(
                        op,
                        nm,
                        f"be a sequence of {n_layers} tensors (one per layer)",
                        **{f"{nm}.shape": tuple(getattr(items[0], "shape", ()))},
                    )
                )
            else:
                row.append(items[0])
        out.append(tuple(row))
    return out


def _hidden(op: str, w_h: Any, n_gates: int, n_dirs: int) -> int:
    w_h = as_tensor(op, "w_h", w_h)
    shape = tuple(w_h.shape)
    if len(shape) not in (2, 3) or shape[-2] is None:
        raise ShapeError(
            check.message(
                op,
                "w_h",
                f"have shape (hidden, {n_gates}*hidden) or (num_directions, hidden, "
                f"{n_gates}*hidden)",
                **{"w_h.shape": shape},
            )
        )
    return int(shape[-2])


# ------------------------------------------------------------------------------------- gru
def gru(
    x: Any,
    w_x: Any,
    w_h: Any,
    b_x: Any = None,
    b_h: Any = None,
    h0: Any = None,
    *,
    lengths: Any = None,
    direction: str = "forward",
    merge: str = "concat",
    layout: str = "TBF",
    linear_before_reset: bool = True,
    dropout: float = 0.0,
    seed: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    """Multi-layer, optionally bidirectional GRU over a whole sequence (gates ``[r, z, n]``).

    .. math::
        r_t = \\sigma(W_{xr} x_t + b_{xr} + W_{hr} h_{t-1} + b_{hr}) \\\\
        z_t = \\sigma(W_{xz} x_t + b_{xz} + W_{hz} h_{t-1} + b_{hz}) \\\\
        n_t = \\tanh(W_{xn} x_t + b_{xn} + r_t \\odot (W_{hn} h_{t-1} + b_{hn}))
        \\quad\\text{(linear_before_reset=True)} \\\\
        n_t = \\tanh(W_{xn} x_t + b_{xn} + W_{hn} (r_t \\odot h_{t-1}) + b_{hn})
        \\quad\\text{(False)} \\\\
        h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}

    Args:
        x (tensor): ``(T, B, I)`` (``layout="TBF"``), ``(B, T, I)`` or ``(B, I, T)``.
        w_x (tensor or sequence): ``(I, 3H)`` or ``(D, I, 3H)``; a list: one per layer.
        w_h (tensor or sequence): ``(H, 3H)`` or ``(D, H, 3H)``.
        b_x, b_h (tensor or sequence, optional): ``(3H,)`` or ``(D, 3H)`` input and recurrent
            biases (NNabla's four bias slots ``[b_r, b_z, b_in, b_hn]`` are
            ``b_x = [b_r, b_z, b_in]``, ``b_h = [0, 0, b_hn]``).
        h0 (tensor, optional): ``(L, D, B, H)`` (``(B, H)`` for one layer and direction).
        lengths, direction, merge, layout, dropout, seed: as in :func:`lstm`.
        linear_before_reset (bool): True: the reset gate multiplies ``W_hn h + b_hn`` (cuDNN,
            PyTorch, NNabla); False: it multiplies ``h`` before the product (Cho et al. 2014,
            SameDiff ``gru``).
        name (str, optional): Prefix of the graph nodes.

    Returns:
        tuple: ``(y, h_n)`` as in :func:`lstm`.

    Raises:
        ShapeError, ArgumentError, DTypeError: as in :func:`lstm`.

    Notes:
        Gradients for every floating input; double backward through the unrolled recurrence.
        ``linear_before_reset=True`` runs the fused kernels; False runs the recurrence as nnfunc
        functions inside the one node (slower). Equivalents: NNabla ``F.gru``, SameDiff
        ``sd.rnn.gru`` (one step, ``linear_before_reset=False``), PyTorch ``torch.nn.GRU``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.ones((4, 1, 2), np.float32)
        >>> y, h = nf.gru(x, np.full((2, 9), 0.5, np.float32), np.zeros((3, 9), np.float32))
        >>> y.shape, h.shape
        ((4, 1, 3), (1, 1, 1, 3))
    """
    op = "gru"
    with node_errors(name, x, w_x, w_h, b_x, b_h, h0):
        n_dirs = _options(op, layout, direction, merge)
        lbr = check.boolean(op, "linear_before_reset", linear_before_reset)
        rate = _dropout_check(op, dropout, seed)
        x = _prepare_x(op, x, layout)
        t_len, batch, n_in = x.shape
        layers = _collect(op, ("w_x", "w_h", "b_x", "b_h"), (w_x, w_h, b_x, b_h))
        hidden = _hidden(op, layers[0][1], 3, n_dirs)
        checked = []
        for li, (wx, wh, bx, bh) in enumerate(layers):
            sfx, g3, wx, wh = _layer_weights(
                op, li, len(layers), wx, wh, n_in, n_dirs, hidden, 3, direction
            )
            checked.append(
                (
                    wx,
                    wh,
                    _weight(op, f"b_x{sfx}", bx, n_dirs, (3 * hidden,), g3, optional=True),
                    _weight(op, f"b_h{sfx}", bh, n_dirs, (3 * hidden,), g3, optional=True),
                )
            )
        h0 = _state(op, "h0", h0, len(checked), n_dirs, batch, hidden)
        lengths = _prepare_lengths(op, lengths, t_len, batch)

    def make(li: int, d: int, reverse: bool, xl: Any, weights: tuple) -> tuple:
        wx, wh, bx, bh = (
            _direction(w, d, n_dirs, r) for w, r in zip(weights, (2, 2, 1, 1), strict=True)
        )
        return GRULayer(reverse, lbr).apply(
            xl, wx, wh, bx, bh, _state_at(h0, li, d), lengths, name=_sub(name, li, d, n_dirs)
        )

    y, states = _run_layers(op, x, checked, n_dirs, direction, merge, rate, seed, make)
    y = _from_time_major(y, layout, merge == "stack" and n_dirs == 2)
    return outputs(op, name, y, _stack_states(states, 0))


# ------------------------------------------------------------------------------------- rnn
def rnn(
    x: Any,
    w_x: Any,
    w_h: Any,
    b: Any = None,
    h0: Any = None,
    *,
    lengths: Any = None,
    nonlinearity: str = "tanh",
    direction: str = "forward",
    merge: str = "concat",
    layout: str = "TBF",
    dropout: float = 0.0,
    seed: Any = None,
    name: str | None = None,
) -> tuple[Any, Any]:
    """Multi-layer, optionally bidirectional Elman RNN: ``h_t = act(W_x x_t + W_h h_{t-1} + b)``.

    Args:
        x (tensor): ``(T, B, I)`` (``layout="TBF"``), ``(B, T, I)`` or ``(B, I, T)``.
        w_x (tensor or sequence): ``(I, H)`` or ``(D, I, H)``; a list: one per layer.
        w_h (tensor or sequence): ``(H, H)`` or ``(D, H, H)``.
        b (tensor or sequence, optional): ``(H,)`` or ``(D, H)`` (PyTorch's two biases summed).
        h0 (tensor, optional): ``(L, D, B, H)`` (``(B, H)`` for one layer and direction).
        nonlinearity (str): ``"tanh"`` or ``"relu"`` (relu'(0) = 0).
        lengths, direction, merge, layout, dropout, seed: as in :func:`lstm`.
        name (str, optional): Prefix of the graph nodes.

    Returns:
        tuple: ``(y, h_n)`` as in :func:`lstm`.

    Raises:
        ShapeError, ArgumentError, DTypeError: as in :func:`lstm`.

    Notes:
        One recorded Function per layer and direction, fused kernels forward and backward;
        double backward through the unrolled recurrence. Equivalents: NNabla ``F.rnn``,
        PyTorch ``torch.nn.RNN``, TF ``BasicRNNCell`` driven by ``dynamic_rnn``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.ones((3, 1, 1), np.float32)
        >>> y, h = nf.rnn(x, np.ones((1, 1), np.float32), np.full((1, 1), 0.5, np.float32))
        >>> np.round(y[:, 0, 0], 4)
        array([0.7616, 0.8811, 0.8938], dtype=float32)
    """
    op = "rnn"
    with node_errors(name, x, w_x, w_h, b, h0):
        n_dirs = _options(op, layout, direction, merge)
        check.choice(op, "nonlinearity", nonlinearity, ("tanh", "relu"))
        rate = _dropout_check(op, dropout, seed)
        x = _prepare_x(op, x, layout)
        t_len, batch, n_in = x.shape
        layers = _collect(op, ("w_x", "w_h", "b"), (w_x, w_h, b))
        hidden = _hidden(op, layers[0][1], 1, n_dirs)
        checked = []
        for li, (wx, wh, bb) in enumerate(layers):
            sfx, width, wx, wh = _layer_weights(
                op, li, len(layers), wx, wh, n_in, n_dirs, hidden, 1, direction
            )
            checked.append(
                (wx, wh, _weight(op, f"b{sfx}", bb, n_dirs, (hidden,), width, optional=True))
            )
        h0 = _state(op, "h0", h0, len(checked), n_dirs, batch, hidden)
        lengths = _prepare_lengths(op, lengths, t_len, batch)

    def make(li: int, d: int, reverse: bool, xl: Any, weights: tuple) -> tuple:
        wx, wh, bb = (_direction(w, d, n_dirs, r) for w, r in zip(weights, (2, 2, 1), strict=True))
        return RNNLayer(reverse, nonlinearity).apply(
            xl, wx, wh, bb, _state_at(h0, li, d), lengths, name=_sub(name, li, d, n_dirs)
        )

    y, states = _run_layers(op, x, checked, n_dirs, direction, merge, rate, seed, make)
    y = _from_time_major(y, layout, merge == "stack" and n_dirs == 2)
    return outputs(op, name, y, _stack_states(states, 0))


# ------------------------------------------------------------------------------------- sru
def sru(
    x: Any,
    w: Any,
    b: Any,
    c0: Any = None,
    *,
    mask: Any = None,
    lengths: Any = None,
    layout: str = "TBF",
    name: str | None = None,
) -> tuple[Any, Any]:
    """Simple Recurrent Unit over a sequence (Lei et al. 2017); hidden size = input size ``I``.

    .. math::
        [\\tilde x_t, z^f_t, z^r_t] = x_t W, \\quad f_t = \\sigma(z^f_t + b_f), \\quad
        r_t = \\sigma(z^r_t + b_r) \\\\
        c_t = f_t \\odot c_{t-1} + (1 - f_t) \\odot \\tilde x_t, \\quad
        h_t = r_t \\odot \\tanh(c_t) \\odot m + (1 - r_t) \\odot x_t

    Args:
        x (tensor): ``(T, B, I)`` (``layout="TBF"``), ``(B, T, I)`` or ``(B, I, T)`` (SameDiff).
        w (tensor): ``(I, 3I)``, blocks ``[x~, f, r]``.
        b (tensor): ``(2I,)``, blocks ``[b_f, b_r]``.
        c0 (tensor, optional): ``(B, I)`` initial cell state (zeros).
        mask (tensor, optional): ``(B, I)`` dropout mask ``m`` applied to ``tanh(c)``.
        lengths (int tensor, optional): ``(B,)``, as in :func:`lstm`.
        layout (str): ``"TBF"``, ``"BTF"`` or ``"BFT"``.
        name (str, optional): Node name.

    Returns:
        tuple: ``(h, c_n)``: ``h`` in ``layout`` with ``I`` features, ``c_n`` ``(B, I)``.

    Raises:
        ShapeError: ``w``, ``b``, ``c0`` or ``mask`` do not fit ``x``.
        ArgumentError, DTypeError: as in :func:`lstm`.

    Notes:
        ONE recorded Function; the elementwise recurrence runs as nnfunc functions inside it and
        is differentiated (any order) through the unrolled recurrence. Equivalent: SameDiff
        ``sd.rnn.sru`` (NST layout ``[B, I, T]``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.ones((2, 1, 2), np.float32)
        >>> h, c = nf.sru(x, np.zeros((2, 6), np.float32), np.zeros(4, np.float32))
        >>> h[:, 0]
        array([[0.5, 0.5],
               [0.5, 0.5]], dtype=float32)
    """
    op = "sru"
    with node_errors(name, x, w, b, c0, mask):
        check.choice(op, "layout", layout, LAYOUTS)
        x = _prepare_x(op, x, layout)
        t_len, batch, n_in = x.shape
        why = f"input size {n_in} from x"
        w = _weight(op, "w", w, 0, (n_in, _times(3, n_in)), why + ", blocks [x~, f, r]")
        b = _weight(op, "b", b, 0, (_times(2, n_in),), why + ", blocks [f, r]")
        c0 = _weight(op, "c0", c0, 0, (batch, n_in), f"batch and {why}", optional=True)
        mask = _weight(op, "mask", mask, 0, (batch, n_in), f"batch and {why}", optional=True)
        lengths = _prepare_lengths(op, lengths, t_len, batch)
        # one floating dtype for the fused loop (a Python list arrives as float64)
        present = [(n, t) for n, t in (("x", x), ("w", w), ("b", b), ("c0", c0)) if t is not None]
        check.same_dtype(op, [n for n, _ in present], [t for _, t in present])
    y, c = SRULayer().apply(
        x, w, b, c0, mask, lengths, name=None if name is None else name + ".sru"
    )
    return outputs(op, name, _from_time_major(y, layout, False), c)


# ------------------------------------------------------------------------------ lstm_block
def lstm_block(
    x: Any,
    w: Any,
    b: Any = None,
    h0: Any = None,
    c0: Any = None,
    *,
    lengths: Any = None,
    w_ci: Any = None,
    w_cf: Any = None,
    w_co: Any = None,
    forget_bias: float = 1.0,
    cell_clip: float = 0.0,
    gate_order: str = "izfo",
    layout: str = "TBF",
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """LSTM over a sequence with TF ``BlockLSTM`` weights: one ``W`` on ``concat(x, h)``.

    The recurrence of :func:`lstm` (sigmoid gates, tanh cell and output) with
    ``[x_t, h_{t-1}] W + b`` in ``gate_order`` (default ``[i, z, f, o]``, ``z`` the block
    input), peepholes ``w_ci, w_cf, w_co`` and ``forget_bias`` (default 1, as in TF).

    Args:
        x (tensor): ``(T, B, I)`` (``layout="TBF"``), ``(B, T, I)`` or ``(B, I, T)``.
        w (tensor): ``(I + H, 4H)``.
        b (tensor, optional): ``(4H,)``.
        h0, c0 (tensor, optional): ``(B, H)`` initial output and cell state.
        lengths (int tensor, optional): ``(B,)``, as in :func:`lstm`.
        w_ci, w_cf, w_co (tensor, optional): ``(H,)`` peepholes (all three or none).
        forget_bias (float): Added to the forget gate.
        cell_clip (float): ``> 0`` clips the cell state.
        gate_order (str): Block order of ``w`` and ``b``.
        layout (str): ``"TBF"``, ``"BTF"`` or ``"BFT"``.
        name (str, optional): Node name prefix.

    Returns:
        tuple: ``(y, h_n, c_n)``: ``y`` in ``layout``, ``h_n``, ``c_n`` ``(B, H)``.

    Raises:
        ShapeError: ``w`` is not ``(I + H, 4H)``, a peephole or state does not fit.
        ArgumentError: only some peepholes given; options as in :func:`lstm`.

    Notes:
        Runs the :func:`lstm` layer Function (one node). Equivalent: SameDiff
        ``sd.rnn.lstmblock``, TF ``tf.raw_ops.BlockLSTM``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> y, h, c = nf.lstm_block(np.ones((3, 2, 4)), np.zeros((9, 20)))
        >>> y.shape, h.shape
        ((3, 2, 5), (2, 5))
    """
    op = "lstm_block"
    with node_errors(name, x, w, b, h0, c0):
        check.choice(op, "layout", layout, LAYOUTS)
        x = _prepare_x(op, x, layout)
        n_in = x.shape[2]
        w = as_tensor(op, "w", w)
        shape = tuple(w.shape)
        if (
            len(shape) != 2
            or shape[1] is None
            or shape[1] % 4
            or (shape[0] is not None and n_in is not None and shape[0] != n_in + shape[1] // 4)
        ):
            raise ShapeError(
                check.message(
                    op,
                    "w",
                    f"have shape (input + hidden, 4*hidden) with input {n_in} from x",
                    **{"w.shape": shape},
                )
            )
        hidden = shape[1] // 4
        peeps = [w_ci, w_cf, w_co]
        if any(p is not None for p in peeps) and not all(p is not None for p in peeps):
            raise ArgumentError(
                check.message(
                    op,
                    "w_ci, w_cf and w_co",
                    "be given together",
                    given=[
                        n
                        for n, p in zip(("w_ci", "w_cf", "w_co"), peeps, strict=True)
                        if p is not None
                    ],
                )
            )
        for nm, p in zip(("w_ci", "w_cf", "w_co"), peeps, strict=True):
            if p is not None:
                _weight(op, nm, p, 0, (hidden,), f"hidden {hidden} from w")
    peephole = None if w_ci is None else F.concatenate(w_ci, w_cf, w_co, axis=0)
    w_x = F.getitem(w, slice(0, n_in)) if n_in is not None else None
    w_h = F.getitem(w, slice(-hidden, None))
    if w_x is None:
        raise ShapeError(
            check.message(op, "x", "have a known feature size", **{"x.shape": x.shape})
        )
    y, h, c = lstm(
        x,
        w_x,
        w_h,
        b,
        h0,
        c0,
        lengths=lengths,
        peephole=peephole,
        gate_order=gate_order,
        forget_bias=forget_bias,
        cell_clip=cell_clip,
        name=None if name is None else name + ".lstm",
    )
    y = _from_time_major(y, layout, False)
    return outputs(op, name, y, F.getitem(h, (0, 0)), F.getitem(c, (0, 0)))
