"""``tf.nn.rnn_cell`` (TF 1.x): the cells that ``dynamic_rnn`` and friends drive.

Each cell has ``state_size``, ``output_size``, ``zero_state(batch_size, dtype)`` and
``__call__(inputs, state) -> (output, new_state)``. Its weights are created on the first call
(when the input depth is known) with TF's initializers (Glorot uniform kernels, zero biases;
GRUCell's gate bias starts at 1.0), as :class:`nnfunc.Variable` attributes (``kernel``,
``bias``...) that a user can read, assign and train; the per-step math goes through the
canonical cells, and ``dynamic_rnn`` runs a whole sequence as one fused layer
(:func:`nnfunc.lstm` / :func:`nnfunc.gru` / :func:`nnfunc.rnn`) through ``_sequence``.
Draws come from :func:`nnfunc.random.generator` (``nnfunc.random.seed`` makes them
reproducible; ``seed=`` gives a cell its own).
"""

from __future__ import annotations

import collections
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.variable import Variable
from nnfunc.errors import ArgumentError, DTypeError, ShapeError
from nnfunc.functions.recurrent._common import as_tensor
from nnfunc.functions.recurrent._drivers import (
    _float_dtype,
    _reverse_within,
    _stack_time,
    _step_loop,
)
from nnfunc.random import generator, validate_seed

__all__ = [
    "BasicLSTMCell",
    "BasicRNNCell",
    "GRUCell",
    "LSTMCell",
    "LSTMStateTuple",
    "RNNCell",
]


_COUNT = 0


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """``(c, h)``: the cell state and the output of an LSTM cell (TF's LSTMStateTuple)."""

    __slots__ = ()

    @property
    def dtype(self) -> Any:
        """The dtype of ``c`` (TF checks that c and h agree)."""
        return self.c.dtype


def _glorot(rng: np.random.Generator, shape: tuple[int, int], dtype: Any) -> np.ndarray:
    limit = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, shape).astype(dtype)


class RNNCell:
    """Base class: a cell with ``state_size``, ``output_size``, ``zero_state`` and ``__call__``."""

    _built = False
    _fused_ok = True

    def __init__(
        self,
        num_units: int,
        activation: Any = None,
        name: str | None = None,
        dtype: Any = None,
        seed: Any = None,
    ) -> None:
        op = type(self).__name__
        self._num_units = check.positive_int(op, "num_units", num_units)
        if activation is not None and not callable(activation):
            raise check_type(op, "activation", activation)
        self._activation = activation
        self.name = name
        self._dtype = None if dtype is None else np.dtype(dtype)
        self._seed = validate_seed(op, seed)

    @property
    def state_size(self) -> Any:
        """Size of the state (an int, or an LSTMStateTuple of ints)."""
        return self._num_units

    @property
    def output_size(self) -> int:
        """Size of the output."""
        return self._num_units

    def zero_state(self, batch_size: int, dtype: Any) -> Any:
        """Zeros of shape ``(batch_size, n)`` for each element of ``state_size``."""
        op = type(self).__name__
        b = check.integer(op, "batch_size", batch_size, min_value=0)
        if b >= 2**31:
            raise ArgumentError(check.message(op, "batch_size", "be < 2**31", batch_size=b))
        dtype = _float_dtype(op, dtype)
        sizes = self.state_size
        if isinstance(sizes, tuple):
            return type(sizes)(*(np.zeros((b, s), dtype=np.dtype(dtype)) for s in sizes))
        return np.zeros((b, sizes), dtype=np.dtype(dtype))

    def _act(self, x: Any) -> Any:
        return F.tanh(x) if self._activation is None else self._activation(x)

    def _depth(self, inputs: Any) -> int:
        depth = inputs.shape[-1] if len(inputs.shape) == 2 else None
        if depth is None:
            raise ShapeError(
                check.message(
                    type(self).__name__,
                    "inputs",
                    "have shape (batch, depth) with a known depth",
                    **{"inputs.shape": tuple(inputs.shape)},
                )
            )
        return int(depth)

    def _variable(self, shape: tuple, init: str, dtype: Any, value: float = 0.0) -> Variable:
        if init == "glorot":
            data = _glorot(generator(self._seed), shape, dtype)
        else:
            data = np.full(shape, value, dtype=dtype)
        return Variable(data, requires_grad=True)

    def _checked(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        """``inputs`` as a real tensor (batch, depth); ``state`` with ``state_size``'s structure."""
        op = type(self).__name__
        inputs = as_tensor(op, "inputs", inputs)
        self._depth(inputs)  # (batch, depth) with a known depth
        self._build(inputs)
        batch = inputs.shape[0]
        sizes = self.state_size
        flat = list(sizes) if isinstance(sizes, tuple) else [sizes]
        parts = list(state) if isinstance(sizes, tuple) and isinstance(state, tuple) else [state]
        if len(parts) != len(flat):
            raise DTypeError(
                check.message(op, "state", f"match state_size {sizes}", state=type(state).__name__)
            )
        checked = []
        for k, (p_, n) in enumerate(zip(parts, flat, strict=True)):
            name = "state" if len(flat) == 1 else f"state[{k}]"
            t = as_tensor(op, name, p_)
            got = tuple(t.shape)
            if (
                len(got) != 2
                or got[1] not in (None, n)
                or (None not in (batch, got[0]) and got[0] != batch)
            ):
                raise ShapeError(
                    check.message(op, name, f"have shape ({batch}, {n})", **{f"{name}.shape": got})
                )
            checked.append(t)
        if isinstance(sizes, tuple):
            state = type(state)(*checked) if hasattr(state, "_fields") else tuple(checked)
        else:
            state = checked[0]
        return inputs, state

    def _build(self, inputs: Any) -> None:
        if not self._built:
            dt = self._dtype or (
                np.dtype(inputs.dtype)
                if np.dtype(inputs.dtype).kind == "f"
                else np.dtype(np.float32)
            )
            self.build(self._depth(inputs), dt)
            self._built = True

    def build(self, depth: int, dtype: Any) -> None:
        """Create the weights for inputs of ``depth`` features."""
        raise NotImplementedError

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        raise NotImplementedError

    def _get(self, attr: str, ref: Any) -> Any:
        """Weight ``attr``; in a graph (``ref`` symbolic), a graph parameter holding its value
        (one per graph, created on first use and named ``<cell name>.<attr>``)."""
        w = getattr(self, attr)
        if not getattr(ref, "_is_symbolic", False):
            return w
        graph = ref.graph
        cache = self.__dict__.setdefault("_graph_params", {})
        key = (id(graph), attr)
        if key not in cache:
            global _COUNT
            _COUNT += 1
            prefix = self.name or f"{type(self).__name__.lower()}{_COUNT}"
            cache[key] = graph.parameter(f"{prefix}.{attr}", getattr(w, "data", w))
        return cache[key]

    def _split(self, w: Any, depth: int) -> tuple[Any, Any]:
        return F.getitem(w, slice(0, depth)), F.getitem(w, slice(depth, None))


def check_type(op: str, arg: str, value: Any) -> Exception:
    """The DTypeError for an ``activation`` that is not callable."""
    return DTypeError(check.message(op, arg, "be callable or None", **{arg: type(value).__name__}))


class _FusedSequence:
    """A cell whose whole sequence runs through one canonical layer (``_fused``), unless a
    custom activation (or LSTMCell's projection) needs the step-by-step loop."""

    def _fusable(self) -> bool:
        return self._activation is None

    def _fused(self, x_tm: Any, init: Any, lengths: Any, name: Any, direction: str) -> tuple:
        raise NotImplementedError

    def _sequence(self, x_tm: Any, init: Any, lengths: Any, name: Any, reverse: bool = False):
        self._build(F.getitem(x_tm, 0) if x_tm.shape[0] else _first(x_tm))
        if not self._fusable():
            return _unfused(self, x_tm, init, lengths, reverse)
        return self._fused(x_tm, init, lengths, name, "reverse" if reverse else "forward")


class BasicRNNCell(_FusedSequence, RNNCell):
    """``output = new_state = act([x, h] @ kernel + bias)``; kernel ``(depth + n, n)``.

    Args:
        num_units (int): n.
        activation (callable, optional): Default tanh.
        reuse, name, dtype: TF's; ``reuse`` is accepted and ignored.
        seed (optional): Seed of the kernel's initializer.

    Examples:
        >>> from nnfunc.compat.tf.nn import rnn_cell
        >>> cell = rnn_cell.BasicRNNCell(3)
        >>> out, state = cell(np.ones((2, 4), np.float32), cell.zero_state(2, np.float32))
        >>> out.shape, cell.kernel.shape, cell.bias.shape
        ((2, 3), (7, 3), (3,))
    """

    def __init__(
        self,
        num_units: int,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        *,
        seed: Any = None,
    ) -> None:
        super().__init__(num_units, activation, name, dtype, seed)

    def build(self, depth: int, dtype: Any) -> None:
        n = self._num_units
        self.kernel = self._variable((depth + n, n), "glorot", dtype)
        self.bias = self._variable((n,), "zeros", dtype)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        inputs, state = self._checked(inputs, state)
        k, b = self._get("kernel", inputs), self._get("bias", inputs)
        z = F.matmul(F.concatenate(inputs, state, axis=1), k) + b
        out = self._act(z)
        return out, out

    def _fused(self, x_tm: Any, init: Any, lengths: Any, name: Any, direction: str) -> tuple:
        wx, wh = self._split(self._get("kernel", x_tm), x_tm.shape[2])
        y, h = F.rnn(
            x_tm,
            wx,
            wh,
            self._get("bias", x_tm),
            init,
            lengths=lengths,
            direction=direction,
            name=name,
        )
        return y, F.getitem(h, (0, 0))


_GRU_WEIGHTS = ("gates_kernel", "gates_bias", "candidate_kernel", "candidate_bias")


class GRUCell(_FusedSequence, RNNCell):
    """TF 1.x GRUCell: ``[r, u] = sigmoid([x, h] @ gates_kernel + gates_bias)``,
    ``c = act([x, r*h] @ candidate_kernel + candidate_bias)``, ``h' = u*h + (1-u)*c``.

    Weights: ``gates_kernel (depth + n, 2n)``, ``gates_bias (2n,)`` (initialised to 1.0, TF's
    default), ``candidate_kernel (depth + n, n)``, ``candidate_bias (n,)``.

    Args:
        num_units (int): n.
        activation (callable, optional): Default tanh.
        reuse: Ignored. kernel_initializer, bias_initializer (callable(shape, dtype), optional):
            TF-style initializers.
        name, dtype: TF's.
        seed (optional): Seed of the default initializer.

    Examples:
        >>> from nnfunc.compat.tf.nn import rnn_cell
        >>> cell = rnn_cell.GRUCell(2)
        >>> out, state = cell(np.ones((1, 3)), np.zeros((1, 2)))
        >>> cell.gates_bias.data
        array([1., 1., 1., 1.])
    """

    def __init__(
        self,
        num_units: int,
        activation: Any = None,
        reuse: Any = None,
        kernel_initializer: Any = None,
        bias_initializer: Any = None,
        name: str | None = None,
        dtype: Any = None,
        *,
        seed: Any = None,
    ) -> None:
        super().__init__(num_units, activation, name, dtype, seed)
        self._kinit = kernel_initializer
        self._binit = bias_initializer

    def _init(self, shape: tuple, kernel: bool, dtype: Any, default: float) -> Variable:
        fn = self._kinit if kernel else self._binit
        if fn is not None:
            return Variable(np.asarray(fn(shape, dtype), dtype=dtype), requires_grad=True)
        return self._variable(shape, "glorot" if kernel else "const", dtype, default)

    def build(self, depth: int, dtype: Any) -> None:
        n = self._num_units
        self.gates_kernel = self._init((depth + n, 2 * n), True, dtype, 0.0)
        self.gates_bias = self._init((2 * n,), False, dtype, 1.0)
        self.candidate_kernel = self._init((depth + n, n), True, dtype, 0.0)
        self.candidate_bias = self._init((n,), False, dtype, 0.0)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        inputs, state = self._checked(inputs, state)
        n = self._num_units
        gk, gb, ck, cb = (self._get(a, inputs) for a in _GRU_WEIGHTS)
        g = F.sigmoid(F.matmul(F.concatenate(inputs, state, axis=1), gk) + gb)
        r = F.getitem(g, (slice(None), slice(0, n)))
        u = F.getitem(g, (slice(None), slice(n, 2 * n)))
        c = self._act(F.matmul(F.concatenate(inputs, r * state, axis=1), ck) + cb)
        h = u * state + (1.0 - u) * c
        return h, h

    def _fused(self, x_tm: Any, init: Any, lengths: Any, name: Any, direction: str) -> tuple:
        depth = x_tm.shape[2]
        gk, gb, ck, cb = (self._get(a, x_tm) for a in _GRU_WEIGHTS)
        gx, gh = self._split(gk, depth)
        cx, ch = self._split(ck, depth)
        wx = F.concatenate(gx, cx, axis=1)
        wh = F.concatenate(gh, ch, axis=1)
        bx = F.concatenate(gb, cb, axis=0)
        y, h = F.gru(
            x_tm,
            wx,
            wh,
            bx,
            None,
            init,
            lengths=lengths,
            linear_before_reset=False,
            direction=direction,
            name=name,
        )
        return y, F.getitem(h, (0, 0))


class BasicLSTMCell(_FusedSequence, RNNCell):
    """TF 1.x BasicLSTMCell: ``[i, j, f, o] = [x, h] @ kernel + bias``,
    ``c' = c*sigmoid(f + forget_bias) + sigmoid(i)*act(j)``, ``h' = act(c')*sigmoid(o)``.

    Args:
        num_units (int): n.
        forget_bias (float): Added to the forget gate (default 1.0).
        state_is_tuple (bool): State ``LSTMStateTuple(c, h)`` (default) or ``concat([c, h], 1)``.
        activation (callable, optional): Default tanh.
        reuse, name, dtype: TF's (reuse ignored).
        seed (optional): Seed of the kernel's initializer.

    Examples:
        >>> from nnfunc.compat.tf.nn import rnn_cell
        >>> cell = rnn_cell.BasicLSTMCell(2)
        >>> cell.state_size
        LSTMStateTuple(c=2, h=2)
        >>> out, st = cell(np.ones((1, 3)), cell.zero_state(1, np.float64))
        >>> out.shape, cell.kernel.shape
        ((1, 2), (5, 8))
    """

    def __init__(
        self,
        num_units: int,
        forget_bias: float = 1.0,
        state_is_tuple: bool = True,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        *,
        seed: Any = None,
    ) -> None:
        super().__init__(num_units, activation, name, dtype, seed)
        op = type(self).__name__
        self._forget_bias = check.real_scalar(op, "forget_bias", forget_bias)
        self._state_is_tuple = check.boolean(op, "state_is_tuple", state_is_tuple)
        self._use_peepholes = False
        self._cell_clip = 0.0
        self._num_proj = None

    @property
    def state_size(self) -> Any:
        n = self._num_units
        out = self.output_size
        return LSTMStateTuple(n, out) if self._state_is_tuple else n + out

    def build(self, depth: int, dtype: Any) -> None:
        n = self._num_units
        out = self.output_size
        self.kernel = self._variable((depth + out, 4 * n), "glorot", dtype)
        self.bias = self._variable((4 * n,), "zeros", dtype)

    def _unpack_state(self, state: Any) -> tuple[Any, Any]:
        if self._state_is_tuple:
            return state[0], state[1]
        n = self._num_units
        return (
            F.getitem(state, (slice(None), slice(0, n))),
            F.getitem(state, (slice(None), slice(n, None))),
        )

    def _pack_state(self, c: Any, h: Any) -> Any:
        return LSTMStateTuple(c, h) if self._state_is_tuple else F.concatenate(c, h, axis=1)

    def _peep(self, ref: Any) -> Any:
        return None

    def _project(self, h: Any, ref: Any) -> Any:
        return h

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        inputs, state = self._checked(inputs, state)
        c, h = self._unpack_state(state)
        depth = self._depth(inputs)
        if self._activation is not None or self._num_proj is not None:
            return self._custom_step(inputs, c, h)  # a custom activation or a projection
        wx, wh = self._split(self._get("kernel", inputs), depth)
        h_new, c_new = F.lstm_cell(
            inputs,
            h,
            c,
            wx,
            wh,
            self._get("bias", inputs),
            peephole=self._peep(inputs),
            forget_bias=self._forget_bias,
            cell_clip=self._cell_clip,
            gate_order="ijfo",
        )
        return h_new, self._pack_state(c_new, h_new)

    def _custom_step(self, inputs: Any, c: Any, h: Any) -> tuple[Any, Any]:
        n = self._num_units
        k, b = self._get("kernel", inputs), self._get("bias", inputs)
        z = F.matmul(F.concatenate(inputs, h, axis=1), k) + b
        i, j, f, o = (F.getitem(z, (slice(None), slice(q * n, (q + 1) * n))) for q in range(4))
        peep = self._peep(inputs)
        if peep is not None:
            i = i + c * F.getitem(peep, slice(0, n))
            f = f + c * F.getitem(peep, slice(n, 2 * n))
        c_new = c * F.sigmoid(f + self._forget_bias) + F.sigmoid(i) * self._act(j)
        if self._cell_clip:
            c_new = F.clip_by_value(c_new, -self._cell_clip, self._cell_clip)
        if peep is not None:
            o = o + c_new * F.getitem(peep, slice(2 * n, 3 * n))
        m = self._project(F.sigmoid(o) * self._act(c_new), inputs)
        return m, self._pack_state(c_new, m)

    def _fusable(self) -> bool:
        return self._activation is None and self._num_proj is None

    def _fused(self, x_tm: Any, init: Any, lengths: Any, name: Any, direction: str) -> tuple:
        wx, wh = self._split(self._get("kernel", x_tm), x_tm.shape[2])
        c0 = h0 = None
        if init is not None:
            c0, h0 = self._unpack_state(init)
        y, h, c = F.lstm(
            x_tm,
            wx,
            wh,
            self._get("bias", x_tm),
            h0,
            c0,
            lengths=lengths,
            peephole=self._peep(x_tm),
            forget_bias=self._forget_bias,
            cell_clip=self._cell_clip,
            gate_order="ijfo",
            direction=direction,
            name=name,
        )
        return y, self._pack_state(F.getitem(c, (0, 0)), F.getitem(h, (0, 0)))


class LSTMCell(BasicLSTMCell):
    """TF 1.x LSTMCell: BasicLSTMCell plus peepholes, cell clipping and a projection.

    Args:
        num_units (int): n.
        use_peepholes (bool): Diagonal peepholes ``w_f_diag``, ``w_i_diag``, ``w_o_diag``.
        cell_clip (float, optional): Clip the cell state to ``[-cell_clip, cell_clip]``.
        initializer (callable(shape, dtype), optional): Kernel initializer (Glorot uniform).
        num_proj (int, optional): Project the output to ``num_proj`` units (``proj_kernel``).
        proj_clip (float, optional): Clip the projection.
        num_unit_shards, num_proj_shards: Deprecated in TF; accepted and ignored.
        forget_bias (float): Default 1.0.
        state_is_tuple (bool): Default True.
        activation, reuse, name, dtype: as in :class:`BasicLSTMCell`.
        seed (optional): Seed of the default initializer.

    Examples:
        >>> from nnfunc.compat.tf.nn import rnn_cell
        >>> cell = rnn_cell.LSTMCell(4, use_peepholes=True, num_proj=2)
        >>> out, st = cell(np.ones((1, 3)), cell.zero_state(1, np.float64))
        >>> out.shape, st.c.shape, cell.state_size
        ((1, 2), (1, 4), LSTMStateTuple(c=4, h=2))
    """

    def __init__(
        self,
        num_units: int,
        use_peepholes: bool = False,
        cell_clip: Any = None,
        initializer: Any = None,
        num_proj: Any = None,
        proj_clip: Any = None,
        num_unit_shards: Any = None,
        num_proj_shards: Any = None,
        forget_bias: float = 1.0,
        state_is_tuple: bool = True,
        activation: Any = None,
        reuse: Any = None,
        name: str | None = None,
        dtype: Any = None,
        *,
        seed: Any = None,
    ) -> None:
        super().__init__(
            num_units, forget_bias, state_is_tuple, activation, reuse, name, dtype, seed=seed
        )
        op = "LSTMCell"
        self._use_peepholes = check.boolean(op, "use_peepholes", use_peepholes)
        self._cell_clip = (
            0.0
            if cell_clip is None
            else check.real_scalar(op, "cell_clip", cell_clip, min_value=0.0)
        )
        self._initializer = initializer
        self._num_proj = None if num_proj is None else check.positive_int(op, "num_proj", num_proj)
        self._proj_clip = (
            None
            if proj_clip is None
            else check.real_scalar(op, "proj_clip", proj_clip, min_value=0.0)
        )

    @property
    def output_size(self) -> int:
        return self._num_units if self._num_proj is None else self._num_proj

    def _variable(self, shape: tuple, init: str, dtype: Any, value: float = 0.0) -> Variable:
        if init == "glorot" and self._initializer is not None:
            return Variable(
                np.asarray(self._initializer(shape, dtype), dtype=dtype), requires_grad=True
            )
        return super()._variable(shape, init, dtype, value)

    def build(self, depth: int, dtype: Any) -> None:
        super().build(depth, dtype)
        n = self._num_units
        if self._use_peepholes:
            # TF's Glorot uniform of a 1-D shape [n]: fan_in = fan_out = n
            limit = np.sqrt(3.0 / n)
            for attr in ("w_f_diag", "w_i_diag", "w_o_diag"):
                data = generator(self._seed).uniform(-limit, limit, n).astype(dtype)
                setattr(self, attr, Variable(data, requires_grad=True))
        if self._num_proj is not None:
            self.proj_kernel = self._variable((n, self._num_proj), "glorot", dtype)

    def _peep(self, ref: Any) -> Any:
        if not self._use_peepholes:
            return None
        return F.concatenate(
            *(self._get(a, ref) for a in ("w_i_diag", "w_f_diag", "w_o_diag")), axis=0
        )

    def _project(self, h: Any, ref: Any) -> Any:
        if self._num_proj is None:
            return h
        m = F.matmul(h, self._get("proj_kernel", ref))
        if self._proj_clip is not None:
            m = F.clip_by_value(m, -self._proj_clip, self._proj_clip)
        return m


def _first(x_tm: Any) -> Any:
    return np.zeros((0, x_tm.shape[2]), dtype=np.dtype(x_tm.dtype))


def _unfused(cell: Any, x_tm: Any, init: Any, lengths: Any, reverse: bool) -> tuple[Any, Any]:
    """Step a cell with a custom activation (or a projection) through the sequence."""
    t_len = x_tm.shape[0]
    if init is None:
        init = cell.zero_state(x_tm.shape[1], np.dtype(x_tm.dtype))
    xs = _reverse_within(x_tm, lengths) if reverse else x_tm
    outs, state = _step_loop(
        cell,
        [F.getitem(xs, t) for t in range(t_len)],
        init,
        None if lengths is None else np.asarray(lengths),
    )
    y = _stack_time(outs, cell, x_tm)
    return (_reverse_within(y, lengths) if reverse else y), state
