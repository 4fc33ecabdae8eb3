"""Shared pieces of the recurrent family: activations, option checks, per-step composites.

The ``*_step`` functions are the recurrences written with nnfunc functions (one time step, canonical
gate orders: LSTM ``[i, f, g, o]``, GRU ``[r, z, n]``). The public cells call them, and the
sequence layers use them for their unrolled form (double backward, uncommon activations).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError

__all__ = [
    "ACTIVATIONS",
    "Act",
    "activation",
    "as_tensor",
    "gru_step",
    "lstm_step",
    "outputs",
    "parse_activation",
    "rnn_step",
    "sru_step",
]

#: Activations of the LSTM gates / cell input / output (SameDiff's LSTMLayerConfig list, plus
#: tanh). ``alpha``/``beta`` as libnd4j uses them: relu and thresholded_relu zero below
#: ``alpha``; affine ``alpha*x + beta``; leaky_relu slope ``alpha``; scaled_tanh
#: ``alpha*tanh(beta*x)``; hard_sigmoid ``clip(alpha*x + beta, 0, 1)``; elu ``alpha``.
ACTIVATIONS = (
    "tanh",
    "relu",
    "sigmoid",
    "affine",
    "leaky_relu",
    "thresholded_relu",
    "scaled_tanh",
    "hard_sigmoid",
    "elu",
    "softsign",
    "softplus",
)

Act = tuple[str, float, float]


def parse_activation(op: str, arg: str, value: Any) -> Act:
    """A name, or a ``(name, alpha, beta)`` tuple -> ``(name, alpha, beta)``."""
    alpha = beta = 0.0
    name = value
    if isinstance(value, tuple) and len(value) in (2, 3):
        name = value[0]
        alpha = check.real_scalar(op, f"{arg}[1]", value[1])
        beta = check.real_scalar(op, f"{arg}[2]", value[2]) if len(value) == 3 else 0.0
    name = check.choice(op, arg, name, ACTIVATIONS)
    return (name, alpha, beta)


def activation(x: Any, act: Act) -> Any:
    """Apply ``act`` (see :data:`ACTIVATIONS`) with nnfunc functions."""
    name, a, b = act
    if name == "tanh":
        return F.tanh(x)
    if name == "sigmoid":
        return F.sigmoid(x)
    if name in ("relu", "thresholded_relu"):
        return F.relu(x, a)
    if name == "affine":
        return x * a + b
    if name == "leaky_relu":
        return F.leaky_relu(x, a)
    if name == "scaled_tanh":
        return F.tanh(x * b) * a
    if name == "hard_sigmoid":
        return F.clip_by_value(x * a + b, 0.0, 1.0)
    if name == "elu":
        return F.elu(x, a)
    if name == "softsign":
        return F.softsign(x)
    return F.softplus(x)


def as_tensor(op: str, arg: str, value: Any, optional: bool = False) -> Any:
    """Arrays and Variables pass; lists become arrays; None, strings... are a DTypeError."""
    if value is None:
        if optional:
            return None
        raise DTypeError(check.message(op, arg, "be a tensor", **{arg: None}))
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        if np.dtype(value.dtype).kind not in "biuf":
            raise DTypeError(
                check.message(op, arg, "be a real tensor", **{f"{arg}.dtype": value.dtype})
            )
        return value
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        arr = np.asarray(None, dtype=object)
    if arr.dtype.kind not in "biuf":
        raise DTypeError(check.message(op, arg, "be a real tensor", **{arg: value}))
    return arr


def float_tensor(op: str, arg: str, value: Any, optional: bool = False) -> Any:
    """:func:`as_tensor` that also requires a floating dtype (integers become float32)."""
    t = as_tensor(op, arg, value, optional)
    if t is None:
        return None
    if np.dtype(t.dtype).kind != "f":
        if isinstance(t, np.ndarray):
            return t.astype(np.float32)
        return F.cast(t, np.float32)
    return t


def shape_is(op: str, arg: str, t: Any, expected: tuple, why: str) -> None:
    """ShapeError unless ``t.shape`` equals ``expected`` (``None`` dimensions match anything)."""
    shape = tuple(t.shape)
    ok = len(shape) == len(expected) and all(
        a is None or b is None or a == b for a, b in zip(shape, expected, strict=True)
    )
    if not ok:
        want = "(" + ", ".join("?" if d is None else str(d) for d in expected) + ")"
        if len(expected) == 1:
            want = want[:-1] + ",)"
        raise ShapeError(
            check.message(op, arg, f"have shape {want} ({why})", **{f"{arg}.shape": shape})
        )


def known(d: Any) -> bool:
    return d is not None


def lengths_array(op: str, lengths: Any) -> Any:
    """Sequence lengths: integer tensor of shape (B,)."""
    if lengths is None:
        return None
    t = as_tensor(op, "lengths", lengths)
    if np.dtype(t.dtype).kind not in "iu":
        raise DTypeError(
            check.message(op, "lengths", "have an integer dtype", **{"lengths.dtype": t.dtype})
        )
    if len(t.shape) != 1:
        raise ShapeError(
            check.message(op, "lengths", "have rank 1", **{"lengths.shape": tuple(t.shape)})
        )
    return t


def check_lengths_values(op: str, arg: str, lengths: Any, t_max: int) -> None:
    """ArgumentError unless every length is in [0, T] (arrays only: values are known)."""
    if isinstance(lengths, np.ndarray) and lengths.size:
        lo, hi = int(lengths.min()), int(lengths.max())
        if lo < 0 or hi > t_max:
            bad = lo if lo < 0 else hi
            raise ArgumentError(
                check.message(
                    op, arg, f"hold lengths in [0, {t_max}] (the time dimension)", **{arg: bad}
                )
            )


# ---------------------------------------------------------------------------- one time step
def hidden_size(op: str, arg: str, w: Any, blocks: int) -> int:
    """The hidden size from a weight of shape ``(hidden, blocks * hidden)``: its first
    dimension, else (a graph placeholder with an unknown first dimension) its second divided by
    ``blocks``. The gates are sliced with it, so a weight with neither known is a ShapeError."""
    hs = w.shape[0]
    if hs is None and w.shape[1] is not None:
        hs = w.shape[1] // blocks
    if hs is None:
        raise ShapeError(
            check.message(
                op,
                arg,
                "have a known size when the graph is built (the hidden size slices the gates)",
                **{f"{arg}.shape": tuple(w.shape)},
            )
        )
    return hs


def _block(x: Any, k: int, h: int) -> Any:
    return F.getitem(x, (slice(None), slice(k * h, (k + 1) * h)))


def lstm_step(
    x: Any,
    h: Any,
    c: Any,
    wx: Any,
    wh: Any,
    b: Any,
    peep: Any,
    forget_bias: float,
    clip: float,
    acts: tuple[Act, Act, Act],
) -> tuple[Any, ...]:
    """One LSTM step (gates ``[i, f, g, o]``); returns ``(h, c, i, f, g, o)``."""
    hs = hidden_size("lstm", "w_h", wh, 4)
    z = F.matmul(x, wx) + F.matmul(h, wh)
    if b is not None:
        z = z + b
    zi, zf, zg, zo = (_block(z, k, hs) for k in range(4))
    if peep is not None:
        zi = zi + c * F.getitem(peep, slice(0, hs))
        zf = zf + c * F.getitem(peep, slice(hs, 2 * hs))
    if forget_bias:
        zf = zf + forget_bias
    gate, cell, out = acts
    i = activation(zi, gate)
    f = activation(zf, gate)
    g = activation(zg, cell)
    c_new = f * c + i * g
    if clip > 0:
        c_new = F.clip_by_value(c_new, -clip, clip)
    if peep is not None:
        zo = zo + c_new * F.getitem(peep, slice(2 * hs, 3 * hs))
    o = activation(zo, gate)
    h_new = o * activation(c_new, out)
    return h_new, c_new, i, f, g, o


def gru_step(
    x: Any, h: Any, wx: Any, wh: Any, bx: Any, bh: Any, linear_before_reset: bool
) -> tuple[Any, ...]:
    """One GRU step (gates ``[r, z, n]``); returns ``(h, r, z, n)``."""
    hs = hidden_size("gru", "w_h", wh, 3)
    xw = F.matmul(x, wx)
    if bx is not None:
        xw = xw + bx
    if linear_before_reset:
        hw = F.matmul(h, wh)
        if bh is not None:
            hw = hw + bh
        r = F.sigmoid(_block(xw, 0, hs) + _block(hw, 0, hs))
        z = F.sigmoid(_block(xw, 1, hs) + _block(hw, 1, hs))
        n = F.tanh(_block(xw, 2, hs) + r * _block(hw, 2, hs))
    else:
        wh_rz = F.getitem(wh, (slice(None), slice(0, 2 * hs)))
        wh_n = F.getitem(wh, (slice(None), slice(2 * hs, 3 * hs)))
        hw = F.matmul(h, wh_rz)
        if bh is not None:
            hw = hw + F.getitem(bh, slice(0, 2 * hs))
        r = F.sigmoid(_block(xw, 0, hs) + _block(hw, 0, hs))
        z = F.sigmoid(_block(xw, 1, hs) + _block(hw, 1, hs))
        hn = F.matmul(r * h, wh_n)
        if bh is not None:
            hn = hn + F.getitem(bh, slice(2 * hs, 3 * hs))
        n = F.tanh(_block(xw, 2, hs) + hn)
    h_new = (1.0 - z) * n + z * h
    return h_new, r, z, n


def rnn_step(x: Any, h: Any, wx: Any, wh: Any, b: Any, nonlinearity: str) -> Any:
    """One Elman step ``act(x wx + h wh + b)``."""
    z = F.matmul(x, wx) + F.matmul(h, wh)
    if b is not None:
        z = z + b
    return F.relu(z) if nonlinearity == "relu" else F.tanh(z)


def sru_step(x: Any, c: Any, w: Any, b: Any, mask: Any) -> tuple[Any, Any]:
    """One SRU step (Lei et al. 2017): returns ``(h, c)``.

    ``[xt, zf, zr] = x w`` (w: (I, 3I)), ``f = s(zf + bf)``, ``r = s(zr + br)``,
    ``c = f*c_prev + (1-f)*xt``, ``h = r*tanh(c)*mask + (1-r)*x``.
    """
    n = hidden_size("sru", "w", w, 3)
    z = F.matmul(x, w)
    xt = _block(z, 0, n)
    f = F.sigmoid(_block(z, 1, n) + F.getitem(b, slice(0, n)))
    r = F.sigmoid(_block(z, 2, n) + F.getitem(b, slice(n, 2 * n)))
    c_new = f * c + (1.0 - f) * xt
    t = F.tanh(c_new)
    if mask is not None:
        t = t * mask
    h = r * t + (1.0 - r) * x
    return h, c_new


class Outputs(Function):
    """Identity on several tensors at once: the one named node that a composite returns.

    In a graph, ``Outputs(op).apply(*ts, name="n")`` registers the results as ``n:0``, ``n:1``...
    (the names a multi-output Function gets), so a composite with several results names them
    as a primitive would.
    """

    def __init__(self, op: str) -> None:
        self.op_name = op

    def setup(self, *specs: Any) -> tuple[TensorSpec, ...]:
        return tuple(TensorSpec(tuple(s.shape), np.dtype(s.dtype)) for s in specs)

    def forward(self, xp: Any, *arrays: Any) -> tuple[Any, ...]:
        return tuple(a.view() for a in arrays)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return tuple(grad_outputs)


def outputs(op: str, name: str | None, *tensors: Any) -> tuple[Any, ...]:
    """``tensors`` under one node named ``name`` in a graph (see :class:`Outputs`)."""
    if name is None or not any(getattr(t, "_is_symbolic", False) for t in tensors):
        return tensors
    return Outputs(op).apply(*tensors, name=name)
