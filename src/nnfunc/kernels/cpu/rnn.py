"""One time step of the LSTM, GRU and Elman RNN gates, forward and backward, fused.

The recurrent layers of :mod:`nnfunc.functions.recurrent` project every time step's input in one
GEMM, then per step run one GEMM (``h @ W_h``) and one of these kernels, which reads the two
pre-activation blocks, applies the gate non-linearities and writes the new state in one pass
(backward: the pre-activation gradients and the carried state gradients, in one pass).

All arrays are 2-D ``(B, k*H)`` row-major blocks; gate blocks are contiguous column ranges:
LSTM ``[i, f, g, o]``, GRU ``[r, z, n]``. ``active`` is a ``(B,)`` bool mask: an inactive row
(its time step is past its sequence length) copies its state through, outputs zeros and, in the
backward step, passes the state gradients through unchanged with zero gate gradients.

Two implementations per kernel, same signature and same results (up to rounding):

* ``*_numba``: float32 NumPy arrays only, the loops of :mod:`nnfunc.kernels.cpu._jit` with a
  vectorised ``exp`` (sigmoid and tanh are built from ``exp(-|x|)``, so they never overflow);
* ``*_numpy``: whole-block NumPy (also CuPy), any floating dtype.

The dispatchers (no suffix) pick numba when :func:`nnfunc.core.backend.numba_enabled` and every
array is a float32 NumPy array. ``benchmarks/bench_rnn.py`` times the layers against PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import _jit

__all__ = [
    "gru_bwd_step",
    "gru_bwd_step_numpy",
    "gru_fwd_step",
    "gru_fwd_step_numpy",
    "kernel_for",
    "lstm_bwd_step",
    "lstm_bwd_step_numpy",
    "lstm_fwd_step",
    "lstm_fwd_step_numpy",
    "rnn_bwd_step",
    "rnn_bwd_step_numpy",
    "rnn_fwd_step",
    "rnn_fwd_step_numpy",
    "sigmoid_numpy",
]


def sigmoid_numpy(x: Any) -> Any:
    """Overflow-free logistic sigmoid (``exp`` of a non-positive argument only)."""
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r).astype(x.dtype, copy=False)


def _mask(active: Any) -> Any:
    return active[:, None]


# ---------------------------------------------------------------------------------- LSTM
def lstm_fwd_step_numpy(
    xw: Any,
    rec: Any,
    h_prev: Any,
    c_prev: Any,
    peep: Any,
    forget_bias: float,
    clip: float,
    active: Any,
    gates: Any,
    c_out: Any,
    h_out: Any,
    y_out: Any,
) -> None:
    """One LSTM step: gates ``[i, f, g, o]`` from ``xw + rec`` (+ peepholes ``peep (3, H)``).

    ``i = s(zi + pi*c_prev)``, ``f = s(zf + pf*c_prev + forget_bias)``, ``g = tanh(zg)``,
    ``c = clip(f*c_prev + i*g)`` (``clip > 0``: to ``[-clip, clip]``), ``o = s(zo + po*c)``,
    ``h = o*tanh(c)``. Writes the activated gates, ``c``, ``h`` (carried) and ``y`` (zero where
    inactive).
    """
    hs = h_prev.shape[1]
    z = xw + rec
    zi, zf, zg, zo = z[:, :hs], z[:, hs : 2 * hs], z[:, 2 * hs : 3 * hs], z[:, 3 * hs :]
    i = sigmoid_numpy(zi + peep[0] * c_prev)
    f = sigmoid_numpy(zf + peep[1] * c_prev + forget_bias)
    g = np.tanh(zg)
    c = f * c_prev + i * g
    if clip > 0:
        c = np.clip(c, -clip, clip)
    o = sigmoid_numpy(zo + peep[2] * c)
    h = o * np.tanh(c)
    m = _mask(active)
    gates[:, :hs] = i
    gates[:, hs : 2 * hs] = f
    gates[:, 2 * hs : 3 * hs] = g
    gates[:, 3 * hs :] = o
    c_out[...] = np.where(m, c, c_prev)
    h_out[...] = np.where(m, h, h_prev)
    y_out[...] = np.where(m, h, 0)


def lstm_bwd_step_numpy(
    dh: Any,
    dc: Any,
    gates: Any,
    c_prev: Any,
    c_t: Any,
    peep: Any,
    clip: float,
    active: Any,
    dz: Any,
    dpeep: Any,
) -> None:
    """Backward of :func:`lstm_fwd_step_numpy` for one step, in place.

    ``dh``, ``dc``: gradients reaching ``h_t`` and ``c_t``; on return ``dc`` is the gradient of
    ``c_prev`` and ``dh`` holds what passes to ``h_prev`` besides ``dz @ W_h.T`` (zero on active
    rows, unchanged on inactive ones). ``dz`` receives the pre-activation gradients, ``dpeep``
    (3, H) accumulates the peephole gradients.
    """
    hs = c_prev.shape[1]
    i, f, g, o = gates[:, :hs], gates[:, hs : 2 * hs], gates[:, 2 * hs : 3 * hs], gates[:, 3 * hs :]
    m = _mask(active)
    tc = np.tanh(c_t)
    dzo = dh * tc * o * (1 - o)
    dct = dc + dh * o * (1 - tc * tc) + dzo * peep[2]
    if clip > 0:
        u = f * c_prev + i * g
        dct = np.where(np.abs(u) <= clip, dct, 0)
    dzi = dct * g * i * (1 - i)
    dzf = dct * c_prev * f * (1 - f)
    dzg = dct * i * (1 - g * g)
    dcp = dct * f + dzi * peep[0] + dzf * peep[1]
    dz[:, :hs] = np.where(m, dzi, 0)
    dz[:, hs : 2 * hs] = np.where(m, dzf, 0)
    dz[:, 2 * hs : 3 * hs] = np.where(m, dzg, 0)
    dz[:, 3 * hs :] = np.where(m, dzo, 0)
    dpeep[0] += np.where(m, dzi * c_prev, 0).sum(axis=0)
    dpeep[1] += np.where(m, dzf * c_prev, 0).sum(axis=0)
    dpeep[2] += np.where(m, dzo * c_t, 0).sum(axis=0)
    dc[...] = np.where(m, dcp, dc)
    dh[...] = np.where(m, 0, dh)


# ----------------------------------------------------------------------------------- GRU
def gru_fwd_step_numpy(
    xw: Any, rec: Any, h_prev: Any, active: Any, gates: Any, h_out: Any, y_out: Any
) -> None:
    """One GRU step with the reset gate after the recurrent product (cuDNN form).

    ``xw``, ``rec`` (B, 3H) hold ``x W_x + b_x`` and ``h W_h + b_h``, blocks ``[r, z, n]``:
    ``r = s(xr + hr)``, ``z = s(xz + hz)``, ``n = tanh(xn + r*hn)``, ``h = (1-z)*n + z*h_prev``.
    ``gates`` receives ``[r, z, n]``.
    """
    hs = h_prev.shape[1]
    r = sigmoid_numpy(xw[:, :hs] + rec[:, :hs])
    z = sigmoid_numpy(xw[:, hs : 2 * hs] + rec[:, hs : 2 * hs])
    n = np.tanh(xw[:, 2 * hs :] + r * rec[:, 2 * hs :])
    h = (1 - z) * n + z * h_prev
    m = _mask(active)
    gates[:, :hs] = r
    gates[:, hs : 2 * hs] = z
    gates[:, 2 * hs :] = n
    h_out[...] = np.where(m, h, h_prev)
    y_out[...] = np.where(m, h, 0)


def gru_bwd_step_numpy(
    dh: Any, gates: Any, hn: Any, h_prev: Any, active: Any, dx: Any, dr: Any
) -> None:
    """Backward of :func:`gru_fwd_step_numpy`; ``hn`` is the ``n`` block of ``rec``.

    ``dx`` / ``dr`` (B, 3H) receive the gradients of ``xw`` / ``rec``; ``dh`` becomes the direct
    part of the gradient of ``h_prev`` (``dh*z`` on active rows, unchanged on inactive ones).
    """
    hs = h_prev.shape[1]
    r, z, n = gates[:, :hs], gates[:, hs : 2 * hs], gates[:, 2 * hs :]
    m = _mask(active)
    dzn = dh * (1 - z) * (1 - n * n)
    dzz = dh * (h_prev - n) * z * (1 - z)
    dzr = dzn * hn * r * (1 - r)
    dx[:, :hs] = np.where(m, dzr, 0)
    dx[:, hs : 2 * hs] = np.where(m, dzz, 0)
    dx[:, 2 * hs :] = np.where(m, dzn, 0)
    dr[:, :hs] = dx[:, :hs]
    dr[:, hs : 2 * hs] = dx[:, hs : 2 * hs]
    dr[:, 2 * hs :] = np.where(m, dzn * r, 0)
    dh[...] = np.where(m, dh * z, dh)


# ----------------------------------------------------------------------------------- RNN
def rnn_fwd_step_numpy(
    xw: Any, rec: Any, h_prev: Any, relu: bool, active: Any, h_out: Any, y_out: Any
) -> None:
    """One Elman step ``h = act(xw + rec)``, ``act`` = relu or tanh."""
    z = xw + rec
    h = np.maximum(z, 0) if relu else np.tanh(z)
    m = _mask(active)
    h_out[...] = np.where(m, h, h_prev)
    y_out[...] = np.where(m, h, 0)


def rnn_bwd_step_numpy(dh: Any, h_t: Any, relu: bool, active: Any, dz: Any) -> None:
    """Backward of :func:`rnn_fwd_step_numpy` (relu'(0) = 0); ``dh`` as in the LSTM step."""
    m = _mask(active)
    d = dh * (h_t > 0) if relu else dh * (1 - h_t * h_t)
    dz[...] = np.where(m, d, 0)
    dh[...] = np.where(m, 0, dh)


# ---------------------------------------------------------------------------- dispatchers
def _use_numba(*arrays: Any) -> bool:
    if not numba_enabled():
        return False
    for a in arrays:
        if type(a) is not np.ndarray or (a.dtype != np.float32 and a.dtype != np.bool_):
            return False
    return True


def _k(name: str) -> Any:
    return _jit.rnn_kernels()[name]


def kernel_for(name: str, *arrays: Any) -> Any:
    """The step kernel ``name`` (``lstm_fwd``, ``lstm_bwd``, ``gru_fwd``, ``gru_bwd``,
    ``rnn_fwd``, ``rnn_bwd``) to call at every step of a loop over ``arrays``, chosen once.

    The result has the NumPy twin's signature; it is the numba kernel when every array is a
    float32 (or bool) NumPy array, so the per-step dispatch costs one call.
    """
    twin = _TWINS[name]
    if not _use_numba(*arrays):
        return twin
    k = _k(name)
    if name == "lstm_fwd":

        def lstm_fwd(xw, rec, hp, cp, peep, fb, clip, *rest):
            k(xw, rec, hp, cp, peep, np.float32(fb), np.float32(clip), *rest)

        return lstm_fwd
    if name == "lstm_bwd":

        def lstm_bwd(dh, dc, gates, cp, ct, peep, clip, *rest):
            k(dh, dc, gates, cp, ct, peep, np.float32(clip), *rest)

        return lstm_bwd
    if name == "rnn_fwd":
        return lambda xw, rec, hp, relu, *rest: k(xw, rec, hp, bool(relu), *rest)
    if name == "rnn_bwd":
        return lambda dh, ht, relu, *rest: k(dh, ht, bool(relu), *rest)
    return k


def lstm_fwd_step(*args: Any) -> None:
    """:func:`lstm_fwd_step_numpy`, on numba for float32 NumPy arrays."""
    arrays = (*args[:5], *args[7:])
    if _use_numba(*arrays):
        xw, rec, hp, cp, peep, fb, clip, act, gates, c, h, y = args
        _k("lstm_fwd")(xw, rec, hp, cp, peep, np.float32(fb), np.float32(clip), act, gates, c, h, y)
    else:
        lstm_fwd_step_numpy(*args)


def lstm_bwd_step(*args: Any) -> None:
    """:func:`lstm_bwd_step_numpy`, on numba for float32 NumPy arrays."""
    arrays = (*args[:6], *args[7:])
    if _use_numba(*arrays):
        dh, dc, gates, cp, ct, peep, clip, act, dz, dpeep = args
        _k("lstm_bwd")(dh, dc, gates, cp, ct, peep, np.float32(clip), act, dz, dpeep)
    else:
        lstm_bwd_step_numpy(*args)


def gru_fwd_step(*args: Any) -> None:
    """:func:`gru_fwd_step_numpy`, on numba for float32 NumPy arrays."""
    if _use_numba(*args):
        _k("gru_fwd")(*args)
    else:
        gru_fwd_step_numpy(*args)


def gru_bwd_step(*args: Any) -> None:
    """:func:`gru_bwd_step_numpy`, on numba for float32 NumPy arrays."""
    if _use_numba(*args):
        _k("gru_bwd")(*args)
    else:
        gru_bwd_step_numpy(*args)


def rnn_fwd_step(xw: Any, rec: Any, h_prev: Any, relu: bool, *rest: Any) -> None:
    """:func:`rnn_fwd_step_numpy`, on numba for float32 NumPy arrays."""
    if _use_numba(xw, rec, h_prev, *rest):
        _k("rnn_fwd")(xw, rec, h_prev, bool(relu), *rest)
    else:
        rnn_fwd_step_numpy(xw, rec, h_prev, relu, *rest)


def rnn_bwd_step(dh: Any, h_t: Any, relu: bool, active: Any, dz: Any) -> None:
    """:func:`rnn_bwd_step_numpy`, on numba for float32 NumPy arrays."""
    if _use_numba(dh, h_t, active, dz):
        _k("rnn_bwd")(dh, h_t, bool(relu), active, dz)
    else:
        rnn_bwd_step_numpy(dh, h_t, relu, active, dz)


_TWINS = {
    "lstm_fwd": lstm_fwd_step_numpy,
    "lstm_bwd": lstm_bwd_step_numpy,
    "gru_fwd": gru_fwd_step_numpy,
    "gru_bwd": gru_bwd_step_numpy,
    "rnn_fwd": rnn_fwd_step_numpy,
    "rnn_bwd": rnn_bwd_step_numpy,
}
