"""One direction of one recurrent layer over a whole sequence, as ONE recorded Function.

Every layer here takes a time-major ``x (T, B, I)`` and weights in the canonical layouts
(``w_x (I, G*H)``, ``w_h (H, G*H)``; LSTM gates ``[i, f, g, o]``, GRU ``[r, z, n]``) and runs the
time loop inside ``forward``: one GEMM projects every time step's input, then each step is one
GEMM (``h @ w_h``) plus one fused gate kernel (:mod:`nnfunc.kernels.cpu.rnn`). What backward
needs (activated gates, the states) is kept from the forward pass on the instance and dropped
with the rest of what backward keeps.

Backward is one gradient Function (:class:`_LayerGrad`) whose forward runs the time loop in
reverse with the fused backward kernels and computes the weight gradients with three GEMMs over
all steps. Its own backward (double backward) differentiates the *unrolled composite* (the same
recurrence written with :mod:`._common`'s step functions) through :class:`._autovjp.AutoVJP`:
slow, exact, one node per order. Layers without a fused kernel (LSTM with activations other
than sigmoid/tanh/tanh, GRU with the reset gate before the product, SRU) run that composite in
forward too and differentiate it the same way; they are still one node on the tape.

Threads (NumPy arrays, ``NNFUNC_NUM_THREADS`` > 1, big enough): BLAS runs on one thread and
the work is split over Python threads instead (the GEMMs and the numba kernels release the
GIL). The all-steps GEMMs are cut along their rows (each output element is computed exactly as
by one call), and the LSTM time loop runs independently on batch slices (rows of a recurrence
never meet), so a layer needs one thread hand-off per phase, not one per step. OpenBLAS's own
threads around a per-step ``(B, H) @ (H, 4H)`` cost more than they save and spin between calls.

``lengths`` (B,) int: steps ``t >= lengths[b]`` leave row ``b``'s state unchanged and output
zeros, so the final state is the one at ``t = lengths[b] - 1``; ``reverse=True`` runs
``t = T-1 .. 0``, which therefore starts each sequence at its own last valid step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ShapeError
from nnfunc.functions._labels import shapes_match
from nnfunc.functions.recurrent._autovjp import AutoVJP
from nnfunc.functions.recurrent._common import (
    Act,
    check_lengths_values,
    gru_step,
    lstm_step,
    rnn_step,
    sru_step,
)
from nnfunc.kernels.cpu import _threads
from nnfunc.kernels.cpu.blas import one_thread_blas
from nnfunc.kernels.cpu.rnn import kernel_for

__all__ = ["GRULayer", "LSTMLayer", "RNNLayer", "SRULayer"]

_STANDARD = (("sigmoid", 0.0, 0.0), ("tanh", 0.0, 0.0), ("tanh", 0.0, 0.0))


def _active_time(xp: Any, lengths: Any, t_len: int, batch: int) -> Any:
    """(T, B) bool: step t of row b is inside its sequence."""
    if lengths is None:
        return xp.ones((t_len, batch), dtype=bool)
    return xp.arange(t_len)[:, None] < xp.asarray(lengths)[None, :]


def _work(arrays: Any) -> tuple[Any, ...]:
    """float16 tensors in float32 (the fused loops accumulate in float32); others as given."""
    return tuple(
        a.astype(np.float32) if a is not None and a.dtype == np.float16 else a for a in arrays
    )


def _zeros(shape: tuple, dtype: Any) -> Any:
    return np.zeros(shape, dtype=dtype)


#: Multiply-adds (rows x inner x columns) below which a GEMM stays on the calling thread.
_MIN_GEMM_WORK = 1 << 22
#: Batch rows per thread (at least) for the per-slice time loop, and the per-step work
#: (``B * H * 4H`` multiply-adds) below which the loop stays on the calling thread: a thread
#: hand-off costs ~50 us, a (32, 256) @ (256, 1024) step ~250 us.
_MIN_ROWS = 8
_MIN_STEP_WORK = 1 << 21


def _parallel(xp: Any) -> int:
    return _threads.num_threads() if xp is np else 1


def _gemm(xp: Any, a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b`` (2-D), the rows of ``a`` split over threads for large products."""
    m, k = a.shape
    n = b.shape[1]
    threads = min(_parallel(xp), m // _MIN_ROWS, (m * k * n) // _MIN_GEMM_WORK)
    if threads <= 1:
        return xp.matmul(a, b, out=out)
    if out is None:
        out = xp.empty((m, n), dtype=xp.result_type(a, b))
    _threads.run(
        lambda r0, r1: xp.matmul(a[r0:r1], b, out=out[r0:r1]),
        _threads.row_ranges(m, 1, threads),
    )
    return out


def _run_tasks(xp: Any, tasks: list) -> list:
    """``[t() for t in tasks]``, the tasks shared by this thread and the pool."""
    if len(tasks) <= 1 or _parallel(xp) <= 1:
        return [t() for t in tasks]
    return _threads.run(lambda k, _: tasks[k](), [(k, k + 1) for k in range(len(tasks))])


def _batch_ranges(xp: Any, batch: int, step_work: int) -> list[tuple[int, int]]:
    """Batch slices for a time loop run independently per slice (one per thread)."""
    threads = min(_parallel(xp), batch // _MIN_ROWS, step_work // _MIN_STEP_WORK)
    if threads <= 1:
        return [(0, batch)]
    return _threads.row_ranges(batch, 1, threads)


class _Layer(Function):
    """Shared dispatch of the sequence layers (see the module docstring)."""

    n_states = 1
    n_gates = 1
    fast = True
    reverse = False
    _cache: Any = None

    def hidden(self, specs: tuple) -> Any:
        return specs[2].shape[0]

    def weight_shapes(self, specs: tuple, h: Any) -> dict[int, tuple]:
        """Input index -> the shape it must have (``None``: a size not known yet): weights,
        biases, initial states; the lengths (last input) are checked by ``setup``."""
        n_in, g = specs[0].shape[2], None if h is None else self.n_gates * h
        batch = specs[0].shape[1]
        want = {1: (n_in, g), 2: (h, g)}
        if self.n_states == 2:  # LSTM: b, h0, c0
            want.update({3: (g,), 4: (batch, h), 5: (batch, h)})
        elif self.n_gates == 3:  # GRU: b_x, b_h, h0
            want.update({3: (g,), 4: (g,), 5: (batch, h)})
        else:  # RNN: b, h0
            want.update({3: (g,), 4: (batch, h)})
        return want

    def setup(self, *specs: Any) -> tuple[TensorSpec, ...]:
        x = specs[0]
        t_len, batch = x.shape[0], x.shape[1]
        lengths = specs[-1]
        if isinstance(lengths, np.ndarray) and t_len is not None:
            # values are known here (eager, or a graph at run time)
            check_lengths_values(self.op_name, "lengths", lengths, t_len)
        h = self.hidden(specs)
        # The public wrappers check the weights against x when the graph is built; sizes unknown
        # then (a placeholder's None) are checked here when it runs.
        checks = self.weight_shapes(specs, h)
        if lengths is not None:
            checks[len(specs) - 1] = (batch,)
        for i, want in checks.items():
            if specs[i] is None:
                continue
            got = tuple(specs[i].shape)
            if not shapes_match(got, want):  # (the message is formatted only on error)
                name = self.input_names[i]
                raise ShapeError(
                    check.message(
                        self.op_name,
                        name,
                        f"have shape {check.fmt(want)} (batch and input size from x, "
                        f"hidden size {h})",
                        **{f"{name}.shape": got, "x.shape": tuple(x.shape)},
                    )
                )
        dt = np.dtype(x.dtype)
        self.retain_inputs(*range(len(specs)))
        return (
            TensorSpec((t_len, batch, h), dt),
            *(TensorSpec((batch, h), dt) for _ in range(self.n_states)),
        )

    def forward(self, xp: Any, *arrays: Any) -> tuple[Any, ...]:
        if not self.fast:
            # arrays in, arrays out; a state may be an input itself (T = 0): copy
            return tuple(xp.array(o, copy=True) for o in self.composite(*arrays))
        dt = np.dtype(arrays[0].dtype)
        with one_thread_blas():
            outs, self._cache = self.fast_forward(xp, *_work(arrays))
        return tuple(o.astype(dt, copy=False) for o in outs)

    def _free(self) -> None:
        super()._free()
        self._cache = None

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        ins = self.retained_inputs()
        diff = tuple(
            i
            for i in target_indexes
            if ins[i] is not None and np.dtype(self.input_spec(i).dtype).kind == "f"
        )
        out: list[Any] = [None] * len(ins)
        if diff:
            gs = _LayerGrad(self, diff).apply(*ins, *grad_outputs)
            for i, g in zip(diff, gs, strict=True):
                out[i] = g
        return tuple(out)

    # to be overridden
    def composite(self, *inputs: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def fast_forward(self, xp: Any, *arrays: Any) -> tuple[tuple[Any, ...], Any]:
        raise NotImplementedError

    def fast_backward(
        self, xp: Any, ins: tuple, gys: tuple, cache: Any, diff: tuple
    ) -> dict[int, Any]:
        raise NotImplementedError

    # helpers
    def _loop_inputs(self, xp: Any, x: Any, w_x: Any, b: Any, lengths: Any) -> tuple:
        t_len, batch, n_in = x.shape
        xw = _gemm(xp, x.reshape(t_len * batch, n_in), w_x)
        if b is not None:
            xw += b
        xw = xw.reshape(t_len, batch, w_x.shape[1])
        act = _active_time(xp, lengths, t_len, batch)
        if self.reverse:  # processing order; views (each xw[k] stays a contiguous block)
            xw, act = xw[::-1], act[::-1]
        return xw, xp.ascontiguousarray(act)

    def _states(self, xp: Any, t_len: int, batch: int, h: int, dt: Any, init: Any) -> Any:
        s = xp.empty((t_len + 1, batch, h), dtype=dt)
        s[0] = 0 if init is None else init
        return s

    def _gy(self, xp: Any, gy: Any, act: Any, lengths: Any) -> Any:
        gy = gy[::-1] if self.reverse else gy
        if lengths is not None:
            gy = gy * act[..., None]
        return gy

    def _input_grads(
        self, xp: Any, x: Any, w_x: Any, dz: Any, diff: tuple, out: dict, ix: int, iw: int
    ) -> Any:
        _run_tasks(xp, self._input_grad_tasks(xp, x, w_x, dz, diff, out, ix, iw))
        return dz.reshape(-1, dz.shape[2])

    def _input_grad_tasks(
        self, xp: Any, x: Any, w_x: Any, dz: Any, diff: tuple, out: dict, ix: int, iw: int
    ) -> list:
        """``dx = dz @ w_x^T`` (its rows cut into a task per thread) and ``dw_x = x^T @ dz``
        as tasks writing ``out[ix]``, ``out[iw]``; one flat list so threads share them evenly."""
        t_len, batch, n_in = x.shape
        dz2 = dz.reshape(t_len * batch, dz.shape[2])
        tasks: list = []
        if ix in diff:
            m, k = dz2.shape
            # processing order; the reverse direction's rows are flipped back by the view
            gx = xp.empty((t_len, batch, n_in), dtype=xp.result_type(dz2, w_x))
            out[ix] = gx[::-1] if self.reverse else gx
            gx2 = gx.reshape(m, n_in)
            w_t = w_x.T
            parts = min(_parallel(xp), m // _MIN_ROWS, (m * k * n_in) // _MIN_GEMM_WORK)
            for r0, r1 in _threads.row_ranges(m, 1, max(parts, 1)):
                tasks.append(lambda r0=r0, r1=r1: xp.matmul(dz2[r0:r1], w_t, out=gx2[r0:r1]))
        if iw in diff:
            xs = x[::-1] if self.reverse else x

            def dw_x() -> None:
                out[iw] = xp.matmul(xs.reshape(t_len * batch, n_in).T, dz2)

            tasks.append(dw_x)
        return tasks

    def _run_composite(self, x: Any, step: Any, init: tuple, lengths: Any) -> tuple[Any, ...]:
        """Unrolled recurrence: ``step(x_t, *state) -> (y_t, *state)`` over time."""
        t_len, batch = x.shape[0], x.shape[1]
        act = None if lengths is None else _active_time(np, np.asarray(lengths), t_len, batch)
        state = init
        ys: list[Any] = [None] * t_len
        order = range(t_len - 1, -1, -1) if self.reverse else range(t_len)
        for t in order:
            y, *new = step(F.getitem(x, t), *state)
            if act is not None:
                m = act[t][:, None]
                y = F.where(m, y, np.zeros((1, 1), dtype=np.dtype(x.dtype)))
                new = [F.where(m, n, s) for n, s in zip(new, state, strict=True)]
            ys[t] = y
            state = tuple(new)
        if t_len == 0:
            h = self.hidden_of(init)
            y_all = _zeros((0, batch, h), np.dtype(x.dtype))
        else:
            y_all = F.stack(*ys, axis=0)
        return (y_all, *state)

    def hidden_of(self, init: tuple) -> int:
        return init[0].shape[-1]


class _LayerGrad(AutoVJP):
    """The layer's input gradients: fused reverse loop, double backward through AutoVJP."""

    def __init__(self, layer: _Layer, diff: tuple) -> None:
        super().__init__(layer.composite, len(layer.input_names), diff, layer.op_name)
        self.layer = layer
        self.cache = layer._cache
        layer._cache = None

    def forward(self, xp: Any, *arrays: Any) -> tuple[Any, ...]:
        layer = self.layer
        if not layer.fast:
            return self.vjp_arrays(xp, arrays)
        n = self.n_in
        ins, gys = arrays[:n], arrays[n:]
        cache, self.cache = self.cache, None
        gys = tuple(
            xp.zeros(s.shape, s.dtype) if g is None else g
            for g, s in zip(gys, layer.setup(*ins), strict=True)
        )
        with one_thread_blas():
            ins_w = _work(ins)
            if cache is None:
                _, cache = layer.fast_forward(xp, *ins_w)
            grads = layer.fast_backward(xp, ins_w, _work(gys), cache, self.diff)
        return tuple(
            # (contiguous: the reverse direction's dx is written through a flipped view)
            xp.ascontiguousarray(grads[i], dtype=ins[i].dtype).reshape(ins[i].shape)
            for i in self.diff
        )


# ------------------------------------------------------------------------------------ LSTM
def _recurrent_product(xp: Any, wh_t: Any, hp: Any, bias: Any, rec_t: Any, rec: Any) -> None:
    """``rec = hp @ w_h (+ bias)`` of one step, as ``(w_h.T @ hp.T).T`` into ``rec_t``
    then copied (with the bias added) into ``rec`` (see the LSTM's note on the GEMM)."""
    xp.matmul(wh_t, hp.T, out=rec_t)
    if bias is None:
        xp.copyto(rec, rec_t.T)
    else:
        xp.add(rec_t.T, bias, out=rec)


class LSTMLayer(_Layer):
    """``(x, w_x, w_h, b, h0, c0, peephole, lengths) -> (y, h_n, c_n)``, gates ``[i, f, g, o]``."""

    op_name = "lstm"
    input_names = ("x", "w_x", "w_h", "b", "h0", "c0", "peephole", "lengths")
    n_states = 2
    n_gates = 4

    def __init__(
        self,
        reverse: bool = False,
        forget_bias: float = 0.0,
        clip: float = 0.0,
        acts: tuple[Act, Act, Act] = _STANDARD,
        op: str = "lstm",
    ) -> None:
        self.reverse = reverse
        self.forget_bias = float(forget_bias)
        self.clip = float(clip)
        self.acts = acts
        self.fast = tuple(acts) == _STANDARD
        self.op_name = op

    def composite(self, x, w_x, w_h, b, h0, c0, peep, lengths):
        batch, h = x.shape[1], w_h.shape[0]
        dt = np.dtype(x.dtype)
        init = (
            _zeros((batch, h), dt) if h0 is None else h0,
            _zeros((batch, h), dt) if c0 is None else c0,
        )

        def step(xt: Any, hp: Any, cp: Any) -> tuple:
            hn, cn, *_ = lstm_step(
                xt, hp, cp, w_x, w_h, b, peep, self.forget_bias, self.clip, self.acts
            )
            return hn, hn, cn

        return self._run_composite(x, step, init, lengths)

    def fast_forward(self, xp, x, w_x, w_h, b, h0, c0, peep, lengths):
        t_len, batch, _ = x.shape
        h = w_h.shape[0]
        dt = x.dtype
        # the bias is added to each step's h @ w_h while it is copied out of the transposed
        # product (in cache), not by a pass over the whole (T, B, 4H) projection
        xw, act = self._loop_inputs(xp, x, w_x, None, lengths)
        hs = self._states(xp, t_len, batch, h, dt, h0)
        cs = self._states(xp, t_len, batch, h, dt, c0)
        gates = xp.empty((t_len, batch, 4 * h), dtype=dt)
        ys = xp.empty((t_len, batch, h), dtype=dt)
        yp = ys[::-1] if self.reverse else ys  # written in processing order
        pp = xp.zeros((3, h), dt) if peep is None else xp.ascontiguousarray(peep.reshape(3, h))
        lstm_fwd_step = kernel_for("lstm_fwd", x, xw, w_h, hs, cs, pp, gates, ys)
        fb, clip = self.forget_bias, self.clip
        # The step GEMM as (4H, H) @ (H, B): OpenBLAS then packs the small operand, and the
        # product plus a transposing copy ran ~25 % faster than (B, H) @ (H, 4H) here.
        wh_t = xp.ascontiguousarray(w_h.T)

        def loop(b0: int, b1: int) -> None:  # the recurrence of batch rows b0:b1
            rec = xp.empty((b1 - b0, 4 * h), dtype=dt)
            rec_t = xp.empty((4 * h, b1 - b0), dtype=dt)
            for k in range(t_len):
                hp = hs[k, b0:b1]
                _recurrent_product(xp, wh_t, hp, b, rec_t, rec)
                lstm_fwd_step(
                    xw[k, b0:b1],
                    rec,
                    hp,
                    cs[k, b0:b1],
                    pp,
                    fb,
                    clip,
                    act[k, b0:b1],
                    gates[k, b0:b1],
                    cs[k + 1, b0:b1],
                    hs[k + 1, b0:b1],
                    yp[k, b0:b1],
                )

        _threads.run(loop, _batch_ranges(xp, batch, batch * h * 4 * h))
        outs = (ys, hs[t_len].copy(), cs[t_len].copy())
        return outs, (gates, hs, cs, act, pp)

    def fast_backward(self, xp, ins, gys, cache, diff):
        x, w_x, w_h, _b, _h0, _c0, _peep, lengths = ins
        gy, ghn, gcn = gys
        gates, hs, cs, act, pp = cache
        t_len, batch, _ = x.shape
        h = w_h.shape[0]
        gy = self._gy(xp, gy, act, lengths)
        dh = xp.array(ghn, dtype=x.dtype)
        dc = xp.array(gcn, dtype=x.dtype)
        dz = xp.empty((t_len, batch, 4 * h), dtype=x.dtype)
        wh_t = xp.ascontiguousarray(w_h.T)
        lstm_bwd_step = kernel_for("lstm_bwd", dh, dc, gates, cs, pp, dz)
        clip = self.clip

        def loop(b0: int, b1: int) -> Any:  # reverse recurrence of batch rows b0:b1
            dpeep = xp.zeros((3, h), dtype=x.dtype)
            tmp = xp.empty((b1 - b0, h), dtype=x.dtype)
            dhb, dcb = dh[b0:b1], dc[b0:b1]
            for k in range(t_len - 1, -1, -1):
                dhb += gy[k, b0:b1]
                dzk = dz[k, b0:b1]
                lstm_bwd_step(
                    dhb,
                    dcb,
                    gates[k, b0:b1],
                    cs[k, b0:b1],
                    cs[k + 1, b0:b1],
                    pp,
                    clip,
                    act[k, b0:b1],
                    dzk,
                    dpeep,
                )
                xp.matmul(dzk, wh_t, out=tmp)
                dhb += tmp
            return dpeep

        parts = _threads.run(loop, _batch_ranges(xp, batch, batch * h * 4 * h))
        dpeep = parts[0]
        for p in parts[1:]:
            dpeep += p
        out: dict[int, Any] = {4: dh, 5: dc, 6: dpeep}
        dz2 = dz.reshape(t_len * batch, 4 * h)
        tasks = self._input_grad_tasks(xp, x, w_x, dz, diff, out, 0, 1)
        if 2 in diff:
            tasks.append(
                lambda: out.__setitem__(2, xp.matmul(hs[:-1].reshape(t_len * batch, h).T, dz2))
            )
        if 3 in diff:
            tasks.append(lambda: out.__setitem__(3, dz2.sum(axis=0)))
        _run_tasks(xp, tasks)
        return out


# ------------------------------------------------------------------------------------- GRU
class GRULayer(_Layer):
    """``(x, w_x, w_h, b_x, b_h, h0, lengths) -> (y, h_n)``, gates ``[r, z, n]``."""

    op_name = "gru"
    input_names = ("x", "w_x", "w_h", "b_x", "b_h", "h0", "lengths")
    n_gates = 3

    def __init__(self, reverse: bool = False, linear_before_reset: bool = True) -> None:
        self.reverse = reverse
        self.lbr = linear_before_reset
        self.fast = linear_before_reset

    def composite(self, x, w_x, w_h, b_x, b_h, h0, lengths):
        batch, h = x.shape[1], w_h.shape[0]
        init = (_zeros((batch, h), np.dtype(x.dtype)) if h0 is None else h0,)

        def step(xt: Any, hp: Any) -> tuple:
            hn = gru_step(xt, hp, w_x, w_h, b_x, b_h, self.lbr)[0]
            return hn, hn

        return self._run_composite(x, step, init, lengths)

    def fast_forward(self, xp, x, w_x, w_h, b_x, b_h, h0, lengths):
        t_len, batch, _ = x.shape
        h = w_h.shape[0]
        dt = x.dtype
        xw, act = self._loop_inputs(xp, x, w_x, b_x, lengths)
        hs = self._states(xp, t_len, batch, h, dt, h0)
        gates = xp.empty((t_len, batch, 3 * h), dtype=dt)
        hn = xp.empty((t_len, batch, h), dtype=dt)
        ys = xp.empty((t_len, batch, h), dtype=dt)
        yp = ys[::-1] if self.reverse else ys  # written in processing order
        wh_t = xp.ascontiguousarray(w_h.T)  # the step GEMM transposed, as in the LSTM
        gru_fwd_step = kernel_for("gru_fwd", xw, hs, gates, ys)

        def loop(b0: int, b1: int) -> None:  # the recurrence of batch rows b0:b1
            rec = xp.empty((b1 - b0, 3 * h), dtype=dt)
            rec_t = xp.empty((3 * h, b1 - b0), dtype=dt)
            for k in range(t_len):
                hp = hs[k, b0:b1]
                _recurrent_product(xp, wh_t, hp, b_h, rec_t, rec)
                gru_fwd_step(
                    xw[k, b0:b1],
                    rec,
                    hp,
                    act[k, b0:b1],
                    gates[k, b0:b1],
                    hs[k + 1, b0:b1],
                    yp[k, b0:b1],
                )
                hn[k, b0:b1] = rec[:, 2 * h :]

        _threads.run(loop, _batch_ranges(xp, batch, batch * h * 3 * h))
        return (ys, hs[t_len].copy()), (gates, hs, hn, act)

    def fast_backward(self, xp, ins, gys, cache, diff):
        x, w_x, w_h, _b_x, _b_h, _h0, lengths = ins
        gy, ghn = gys
        gates, hs, hn, act = cache
        t_len, batch, _ = x.shape
        h = w_h.shape[0]
        gy = self._gy(xp, gy, act, lengths)
        dh = xp.array(ghn, dtype=x.dtype)
        dx = xp.empty((t_len, batch, 3 * h), dtype=x.dtype)
        dr = xp.empty((t_len, batch, 3 * h), dtype=x.dtype)
        wh_t = xp.ascontiguousarray(w_h.T)
        gru_bwd_step = kernel_for("gru_bwd", dh, gates, hn, hs, dx, dr)

        def loop(b0: int, b1: int) -> None:  # reverse recurrence of batch rows b0:b1
            tmp = xp.empty((b1 - b0, h), dtype=x.dtype)
            dhb = dh[b0:b1]
            for k in range(t_len - 1, -1, -1):
                dhb += gy[k, b0:b1]
                drk = dr[k, b0:b1]
                gru_bwd_step(
                    dhb,
                    gates[k, b0:b1],
                    hn[k, b0:b1],
                    hs[k, b0:b1],
                    act[k, b0:b1],
                    dx[k, b0:b1],
                    drk,
                )
                xp.matmul(drk, wh_t, out=tmp)
                dhb += tmp

        _threads.run(loop, _batch_ranges(xp, batch, batch * h * 3 * h))
        out: dict[int, Any] = {5: dh}
        dx2 = dx.reshape(t_len * batch, 3 * h)
        dr2 = dr.reshape(t_len * batch, 3 * h)
        tasks = self._input_grad_tasks(xp, x, w_x, dx, diff, out, 0, 1)
        if 2 in diff:
            tasks.append(
                lambda: out.__setitem__(2, xp.matmul(hs[:-1].reshape(t_len * batch, h).T, dr2))
            )
        if 3 in diff:
            tasks.append(lambda: out.__setitem__(3, dx2.sum(axis=0)))
        if 4 in diff:
            tasks.append(lambda: out.__setitem__(4, dr2.sum(axis=0)))
        _run_tasks(xp, tasks)
        return out


# ------------------------------------------------------------------------------------- RNN
class RNNLayer(_Layer):
    """``(x, w_x, w_h, b, h0, lengths) -> (y, h_n)``, ``h = act(x w_x + h w_h + b)``."""

    op_name = "rnn"
    input_names = ("x", "w_x", "w_h", "b", "h0", "lengths")

    def __init__(self, reverse: bool = False, nonlinearity: str = "tanh") -> None:
        self.reverse = reverse
        self.nonlinearity = nonlinearity
        self.relu = nonlinearity == "relu"

    def composite(self, x, w_x, w_h, b, h0, lengths):
        batch, h = x.shape[1], w_h.shape[0]
        init = (_zeros((batch, h), np.dtype(x.dtype)) if h0 is None else h0,)

        def step(xt: Any, hp: Any) -> tuple:
            hn = rnn_step(xt, hp, w_x, w_h, b, self.nonlinearity)
            return hn, hn

        return self._run_composite(x, step, init, lengths)

    def fast_forward(self, xp, x, w_x, w_h, b, h0, lengths):
        t_len, batch, _ = x.shape
        h = w_h.shape[0]
        dt = x.dtype
        xw, act = self._loop_inputs(xp, x, w_x, b, lengths)
        hs = self._states(xp, t_len, batch, h, dt, h0)
        ys = xp.empty((t_len, batch, h), dtype=dt)
        yp = ys[::-1] if self.reverse else ys  # written in processing order
        rec = xp.empty((batch, h), dtype=dt)
        rnn_fwd_step = kernel_for("rnn_fwd", xw, hs, ys, rec)
        for k in range(t_len):
            xp.matmul(hs[k], w_h, out=rec)
            rnn_fwd_step(xw[k], rec, hs[k], self.relu, act[k], hs[k + 1], yp[k])
        return (ys, hs[t_len].copy()), (hs, act)

    def fast_backward(self, xp, ins, gys, cache, diff):
        x, w_x, w_h, _b, _h0, lengths = ins
        gy, ghn = gys
        hs, act = cache
        t_len, batch, _ = x.shape
        h = w_h.shape[0]
        gy = self._gy(xp, gy, act, lengths)
        dh = xp.array(ghn, dtype=x.dtype)
        dz = xp.empty((t_len, batch, h), dtype=x.dtype)
        wh_t = xp.ascontiguousarray(w_h.T)
        tmp = xp.empty((batch, h), dtype=x.dtype)
        rnn_bwd_step = kernel_for("rnn_bwd", dh, hs, dz)
        for k in range(t_len - 1, -1, -1):
            dh += gy[k]
            rnn_bwd_step(dh, hs[k + 1], self.relu, act[k], dz[k])
            xp.matmul(dz[k], wh_t, out=tmp)
            dh += tmp
        out: dict[int, Any] = {4: dh}
        dz2 = self._input_grads(xp, x, w_x, dz, diff, out, 0, 1)
        if 2 in diff:
            out[2] = xp.matmul(hs[:-1].reshape(t_len * batch, h).T, dz2)
        if 3 in diff:
            out[3] = dz2.sum(axis=0)
        return out


# ------------------------------------------------------------------------------------- SRU
class SRULayer(_Layer):
    """``(x, w, b, c0, mask, lengths) -> (y, c_n)``: the SRU recurrence (no fused kernel)."""

    op_name = "sru"
    input_names = ("x", "w", "b", "c0", "mask", "lengths")
    fast = False

    def __init__(self, reverse: bool = False) -> None:
        self.reverse = reverse

    def hidden(self, specs: tuple) -> Any:
        return specs[1].shape[0]

    def weight_shapes(self, specs: tuple, h: Any) -> dict[int, tuple]:
        n_in, batch = specs[0].shape[2], specs[0].shape[1]
        n3, n2 = (None, None) if n_in is None else (3 * n_in, 2 * n_in)
        return {1: (n_in, n3), 2: (n2,), 3: (batch, n_in)}

    def composite(self, x, w, b, c0, mask, lengths):
        batch, n = x.shape[1], w.shape[0]
        init = (_zeros((batch, n), np.dtype(x.dtype)) if c0 is None else c0,)

        def step(xt: Any, cp: Any) -> tuple:
            return sru_step(xt, cp, w, b, mask)

        return self._run_composite(x, step, init, lengths)
