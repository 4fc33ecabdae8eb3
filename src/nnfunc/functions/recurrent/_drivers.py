"""Drivers that run a cell OBJECT over a sequence (TensorFlow 1.x ``tf.nn`` semantics).

A cell is any object with ``__call__(inputs, state) -> (output, new_state)``, ``state_size``
and ``output_size`` (an int, or a tuple of them for a tuple state). A cell that also has a
``_sequence(x_time_major, initial_state, lengths)`` method (the cells of
``nnfunc.compat.tf.nn.rnn_cell``) is run by :func:`dynamic_rnn` as ONE recorded layer Function
(:func:`nnfunc.lstm` / :func:`nnfunc.gru` / :func:`nnfunc.rnn`); any other cell is stepped in
Python, one call per time step.

``sequence_length``: steps ``t >= sequence_length[b]`` output zeros and copy the state through,
so the final state is the one at the row's last valid step. The backward direction of the
bidirectional drivers reverses each sequence within its own length.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.shapes import node_errors
from nnfunc.errors import ArgumentError, DTypeError, ShapeError, UnsupportedError
from nnfunc.functions.recurrent._common import as_tensor, check_lengths_values

__all__ = [
    "bidirectional_dynamic_rnn",
    "dynamic_rnn",
    "raw_rnn",
    "state_saving_rnn",
    "static_bidirectional_rnn",
    "static_rnn",
]


# ---------------------------------------------------------------------------- structures
def _flatten(s: Any) -> list[Any]:
    if isinstance(s, (tuple, list)):
        out: list[Any] = []
        for v in s:
            out.extend(_flatten(v))
        return out
    return [s]


def _pack(template: Any, flat: list[Any]) -> Any:
    it = iter(flat)

    def build(t: Any) -> Any:
        if isinstance(t, (tuple, list)):
            items = [build(v) for v in t]
            if hasattr(t, "_fields"):  # namedtuple (LSTMStateTuple)
                return type(t)(*items)
            return type(t)(items)
        return next(it)

    return build(template)


def _map(fn: Callable[..., Any], *structs: Any) -> Any:
    flats = [_flatten(s) for s in structs]
    return _pack(structs[0], [fn(*vs) for vs in zip(*flats, strict=True)])


def _check_cell(op: str, cell: Any, arg: str = "cell") -> None:
    ok = callable(cell) and hasattr(cell, "state_size") and hasattr(cell, "output_size")
    if not ok:
        raise DTypeError(
            check.message(
                op,
                arg,
                "be an RNN cell (an object with __call__, state_size and output_size)",
                **{arg: type(cell).__name__},
            )
        )


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        dt = None
    if dt is None or dt.kind != "f" or isinstance(dtype, np.ndarray):
        raise DTypeError(check.message(op, "dtype", "be a floating dtype", dtype=dtype))
    return dt


def _check_state(op: str, arg: str, state: Any, cell: Any, batch: Any) -> Any:
    """The state must have the structure of ``cell.state_size``: (batch, size) tensors."""
    if state is None:
        return None
    sizes = _flatten(cell.state_size)
    parts = _flatten(state)
    if len(parts) != len(sizes):
        raise ArgumentError(
            check.message(
                op,
                arg,
                f"have the structure of cell.state_size ({cell.state_size})",
                **{f"len({arg})": len(parts)},
            )
        )
    for k, (p_, n) in enumerate(zip(parts, sizes, strict=True)):
        name = arg if len(parts) == 1 else f"{arg}[{k}]"
        t = as_tensor(op, name, p_)
        got = tuple(t.shape)
        ok = (
            len(got) == 2
            and got[1] in (None, int(n))
            and (batch is None or got[0] is None or got[0] == batch)
        )
        if not ok:
            raise ShapeError(
                check.message(
                    op,
                    name,
                    f"have shape ({batch}, {int(n)}) (batch, state size)",
                    **{f"{name}.shape": got},
                )
            )
    return state


def _state_dtype(op: str, dtype: Any, arg: str = "initial_state") -> np.dtype:
    if dtype is None:
        raise ArgumentError(
            check.message(op, "dtype", f"be given when `{arg}` is None", dtype=None)
        )
    return _float_dtype(op, dtype)


def _zero_state(op: str, cell: Any, batch: Any, dtype: Any, arg: str = "initial_state") -> Any:
    dtype = _state_dtype(op, dtype, arg)
    if hasattr(cell, "zero_state"):
        return cell.zero_state(batch, dtype)
    return _map(lambda n: np.zeros((batch, int(n)), dtype=np.dtype(dtype)), cell.state_size)


def _lengths(op: str, sequence_length: Any, t_len: Any, batch: Any) -> Any:
    if sequence_length is None:
        return None
    sl = as_tensor(op, "sequence_length", sequence_length)
    if np.dtype(sl.dtype).kind not in "iu":
        raise DTypeError(
            check.message(
                op,
                "sequence_length",
                "have an integer dtype",
                **{"sequence_length.dtype": sl.dtype},
            )
        )
    if len(sl.shape) != 1 or (batch is not None and sl.shape[0] not in (None, batch)):
        raise ShapeError(
            check.message(
                op,
                "sequence_length",
                f"have shape ({batch},) (batch)",
                **{"sequence_length.shape": tuple(sl.shape)},
            )
        )
    if t_len is not None:
        check_lengths_values(op, "sequence_length", sl, t_len)
    return sl


def _zeros_like_out(y: Any) -> Any:
    return np.zeros((1,) * len(y.shape), dtype=np.dtype(y.dtype))


def _step_loop(cell: Any, steps: list[Any], state: Any, lengths: Any) -> tuple[list[Any], Any]:
    outs = []
    for t, x_t in enumerate(steps):
        y, new = cell(x_t, state)
        if lengths is not None:
            m = (
                (t < lengths)[:, None]
                if isinstance(lengths, np.ndarray)
                else F.expand_dims(F.less(t, lengths), 1)
            )
            y = _map(lambda a, m=m: F.where(m, a, _zeros_like_out(a)), y)
            new = _map(lambda a, b, m=m: F.where(m, a, b), new, state)
        outs.append(y)
        state = new
    return outs, state


# ---------------------------------------------------------------------------- dynamic_rnn
def dynamic_rnn(
    cell: Any,
    inputs: Any,
    sequence_length: Any = None,
    initial_state: Any = None,
    dtype: Any = None,
    *,
    time_major: bool = False,
    name: str | None = None,
) -> tuple[Any, Any]:
    """Run ``cell`` over a padded batch of sequences (TF ``dynamic_rnn``).

    Args:
        cell: An RNN cell (see the module docstring).
        inputs (tensor): ``(B, T, D)`` (``time_major=False``) or ``(T, B, D)``.
        sequence_length (int tensor, optional): ``(B,)`` lengths in ``[0, T]``.
        initial_state (optional): The cell's state structure; default ``cell.zero_state``.
        dtype (optional): Required when ``initial_state`` is None.
        time_major (bool): Layout of ``inputs`` and ``outputs``.
        name (str, optional): Prefix of graph node names (fused cells); in a graph, errors of
            the argument checks name this node.

    Returns:
        tuple: ``(outputs, state)``: outputs ``(B, T, output_size)`` (or time-major), zero past
        each length; ``state`` the final state.

    Raises:
        DTypeError: ``cell`` is not a cell. ArgumentError: no ``dtype`` and no
            ``initial_state``; lengths outside ``[0, T]``. ShapeError: ``inputs`` not rank 3.
        UnsupportedError: a generic cell with an unknown number of steps (graph mode).

    Notes:
        Gradients flow to inputs, initial state and the cell's weights. Equivalent: TF 1.x
        ``tf.nn.dynamic_rnn``; ``parallel_iterations`` / ``swap_memory`` / ``scope`` have no
        meaning here (see ``nnfunc.compat.tf.nn.dynamic_rnn``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> from nnfunc.compat.tf.nn import rnn_cell
        >>> cell = rnn_cell.BasicRNNCell(2)
        >>> out, state = nf.dynamic_rnn(cell, np.ones((3, 5, 4), np.float32), dtype=np.float32)
        >>> out.shape, state.shape
        ((3, 5, 2), (3, 2))
    """
    op = "dynamic_rnn"
    with node_errors(name, inputs, sequence_length, *_flatten(initial_state)):
        _check_cell(op, cell)
        time_major = check.boolean(op, "time_major", time_major)
        x = _rank3(op, inputs)
        x_tm = x if time_major else F.transpose(x, (1, 0, 2))
        t_len, batch = x_tm.shape[0], x_tm.shape[1]
        lengths = _lengths(op, sequence_length, t_len, batch)
        _check_state(op, "initial_state", initial_state, cell, batch)
        if initial_state is None:
            initial_state = _zero_state(op, cell, batch if batch is not None else 0, dtype)
            if batch is None:
                initial_state = None  # let the fused layer start from zeros
        fused = getattr(cell, "_sequence", None)
        if fused is None and t_len is None:
            raise UnsupportedError(
                check.message(
                    op,
                    "inputs",
                    "have a known number of time steps for a cell without a fused sequence form",
                    **{"inputs.shape": x.shape},
                )
            )
    if fused is not None:
        y, state = fused(x_tm, initial_state, lengths, name)
    else:
        if initial_state is None:
            initial_state = _zero_state(op, cell, batch, dtype)
        outs, state = _step_loop(
            cell, [F.getitem(x_tm, t) for t in range(t_len)], initial_state, lengths
        )
        y = _stack_time(outs, cell, x_tm)
    return (y if time_major else F.transpose(y, (1, 0, 2))), state


def _rank3(op: str, inputs: Any) -> Any:
    x = as_tensor(op, "inputs", inputs)
    if len(x.shape) != 3:
        raise ShapeError(
            check.message(
                op, "inputs", "have rank 3 (batch, time, depth)", **{"inputs.shape": tuple(x.shape)}
            )
        )
    return x


def _stack_time(outs: list[Any], cell: Any, x_tm: Any) -> Any:
    if outs:
        return F.stack(*outs, axis=0)
    return np.zeros((0, x_tm.shape[1], int(cell.output_size)), dtype=np.dtype(x_tm.dtype))


def _reverse_within(x_tm: Any, lengths: Any) -> Any:
    """Reverse each sequence (time-major) within its length; steps past it stay in place."""
    t_len, batch = x_tm.shape[0], x_tm.shape[1]
    if lengths is None:
        return F.flip(x_tm, 0)
    lens = np.asarray(lengths)
    t = np.arange(t_len)[:, None]
    idx = np.where(t < lens[None, :], lens[None, :] - 1 - t, t)
    return F.getitem(x_tm, (idx, np.arange(batch)[None, :]))


def bidirectional_dynamic_rnn(
    cell_fw: Any,
    cell_bw: Any,
    inputs: Any,
    sequence_length: Any = None,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    *,
    time_major: bool = False,
    name: str | None = None,
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Forward and backward :func:`dynamic_rnn` (TF ``bidirectional_dynamic_rnn``).

    The backward cell reads each sequence reversed within its length; its outputs are
    reversed back, so both outputs are aligned with ``inputs``.

    Args:
        cell_fw, cell_bw: RNN cells.
        inputs, sequence_length, dtype, time_major: as in :func:`dynamic_rnn`.
        initial_state_fw, initial_state_bw (optional): Initial states (zeros by default).
        name (str, optional): Prefix of graph node names; in a graph, errors of the argument
            checks name this node.

    Returns:
        tuple: ``((output_fw, output_bw), (output_state_fw, output_state_bw))`` (a tuple, not
        concatenated).

    Raises:
        DTypeError: a cell is not a cell; the rest as :func:`dynamic_rnn`.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> from nnfunc.compat.tf.nn import rnn_cell
        >>> (fw, bw), _ = nf.bidirectional_dynamic_rnn(
        ...     rnn_cell.GRUCell(2), rnn_cell.GRUCell(3), np.ones((1, 4, 2)), dtype=np.float64)
        >>> fw.shape, bw.shape
        ((1, 4, 2), (1, 4, 3))
    """
    op = "bidirectional_dynamic_rnn"
    states = (*_flatten(initial_state_fw), *_flatten(initial_state_bw))
    with node_errors(name, inputs, sequence_length, *states):
        _check_cell(op, cell_fw, "cell_fw")
        _check_cell(op, cell_bw, "cell_bw")
        time_major = check.boolean(op, "time_major", time_major)
        x = _rank3(op, inputs)
        x_tm = x if time_major else F.transpose(x, (1, 0, 2))
        _lengths(op, sequence_length, x_tm.shape[0], x_tm.shape[1])
        for arg, cell, state in (
            ("initial_state_fw", cell_fw, initial_state_fw),
            ("initial_state_bw", cell_bw, initial_state_bw),
        ):
            _check_state(op, arg, state, cell, x_tm.shape[1])
            if state is None:
                _state_dtype(op, dtype, arg)
    sub = (None, None) if name is None else (f"{name}.fw", f"{name}.bw")
    out_fw, st_fw = dynamic_rnn(
        cell_fw, x_tm, sequence_length, initial_state_fw, dtype, time_major=True, name=sub[0]
    )
    lengths = _lengths(op, sequence_length, x_tm.shape[0], x_tm.shape[1])
    _check_state(op, "initial_state_bw", initial_state_bw, cell_bw, x_tm.shape[1])
    fused_bw = getattr(cell_bw, "_sequence", None)
    if fused_bw is not None:
        init = initial_state_bw
        if init is None:
            init = _zero_state(op, cell_bw, x_tm.shape[1] or 0, dtype, "initial_state_bw")
            if x_tm.shape[1] is None:
                init = None
        out_bw, st_bw = fused_bw(x_tm, init, lengths, sub[1], reverse=True)
    else:
        rev = _reverse_within(x_tm, lengths)
        out_bw, st_bw = dynamic_rnn(cell_bw, rev, lengths, initial_state_bw, dtype, time_major=True)
        out_bw = _reverse_within(out_bw, lengths)
    if not time_major:
        out_fw = F.transpose(out_fw, (1, 0, 2))
        out_bw = F.transpose(out_bw, (1, 0, 2))
    return (out_fw, out_bw), (st_fw, st_bw)


# ----------------------------------------------------------------------------- static rnn
def _static_inputs(op: str, inputs: Any) -> list[Any]:
    if not isinstance(inputs, (list, tuple)):
        raise DTypeError(
            check.message(
                op,
                "inputs",
                "be a list of tensors (one per time step)",
                inputs=type(inputs).__name__,
            )
        )
    if not inputs:
        raise ArgumentError(check.message(op, "inputs", "not be empty", inputs=list(inputs)))
    out = [as_tensor(op, f"inputs[{i}]", v) for i, v in enumerate(inputs)]
    for i, v in enumerate(out):
        if len(v.shape) != 2 or v.shape[1] is None:
            raise ShapeError(
                check.message(
                    op,
                    f"inputs[{i}]",
                    "have rank 2 with a known depth (batch, input_size)",
                    **{f"inputs[{i}].shape": tuple(v.shape)},
                )
            )
    return out


def static_rnn(
    cell: Any,
    inputs: Any,
    initial_state: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    *,
    name: str | None = None,
) -> tuple[list[Any], Any]:
    """Run ``cell`` over a Python list of time steps (TF 1.x ``tf.nn.rnn`` / ``static_rnn``).

    Args:
        cell: An RNN cell.
        inputs (list of tensors): T tensors ``(B, input_size)``.
        initial_state (optional): Initial state (``cell.zero_state`` by default).
        dtype (optional): Required when ``initial_state`` is None.
        sequence_length (int tensor, optional): ``(B,)``; past a length, zero outputs and the
            state copied through.
        name (str, optional): In a graph, the name errors of the argument checks give the
            call (the graph holds one node per step and cell operation).

    Returns:
        tuple: ``(outputs, state)``: a list of T outputs and the final state.

    Raises:
        DTypeError: ``cell`` is not a cell or ``inputs`` not a list. ArgumentError: ``inputs``
            empty, no ``dtype`` and no ``initial_state``. ShapeError: a step is not
            ``(batch, input_size)`` with a known input size.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> from nnfunc.compat.tf.nn import rnn_cell
        >>> outs, st = nf.static_rnn(rnn_cell.BasicLSTMCell(2), [np.ones((1, 3))] * 4,
        ...                          dtype=np.float64)
        >>> len(outs), st.c.shape
        (4, (1, 2))
    """
    op = "static_rnn"
    with node_errors(name, *_flatten(inputs), sequence_length, *_flatten(initial_state)):
        _check_cell(op, cell)
        steps = _static_inputs(op, inputs)
        batch = steps[0].shape[0]
        lengths = _lengths(op, sequence_length, len(steps), batch)
        _check_state(op, "initial_state", initial_state, cell, batch)
        if initial_state is None:
            initial_state = _zero_state(op, cell, batch, dtype)
    return _step_loop(cell, steps, initial_state, lengths)


def _saved_state(op: str, saver: Any, state_name: Any) -> Any:
    """``saver.state(state_name)``; a name the saver does not hold is the caller's error."""
    try:
        return saver.state(state_name)
    except (KeyError, IndexError, TypeError):
        raise ArgumentError(
            check.message(
                op, "state_name", "name a state the state_saver holds", state_name=state_name
            )
        ) from None


def state_saving_rnn(
    cell: Any,
    inputs: Any,
    state_saver: Any,
    state_name: Any,
    sequence_length: Any = None,
    *,
    name: str | None = None,
) -> tuple[list[Any], Any]:
    """:func:`static_rnn` whose state is read from and saved to ``state_saver``.

    Args:
        cell: An RNN cell.
        inputs (list of tensors): T tensors ``(B, input_size)``.
        state_saver: An object with ``state(name)`` and ``save_state(name, value)``.
        state_name (str or tuple of str): The state's name, or one name per element of a tuple
            state (matching ``cell.state_size``).
        sequence_length (optional): as in :func:`static_rnn`.
        name (str, optional): In a graph, the name errors of the argument checks give the
            call (no node takes it).

    Returns:
        tuple: ``(outputs, state)``; the final state has been passed to ``save_state``.

    Raises:
        DTypeError: ``cell`` is not a cell, ``state_saver`` lacks the methods.
        ArgumentError: ``inputs`` empty; ``state_name`` arity does not match the state.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> from nnfunc.compat.tf.nn import rnn_cell
        >>> class Saver:
        ...     def __init__(self): self.saved = {"h": np.zeros((1, 2))}
        ...     def state(self, name): return self.saved[name]
        ...     def save_state(self, name, value): self.saved[name] = value
        >>> saver = Saver()
        >>> _, st = nf.state_saving_rnn(rnn_cell.BasicRNNCell(2), [np.ones((1, 3))], saver, "h")
        >>> saver.saved["h"] is st
        True
    """
    op = "state_saving_rnn"
    with node_errors(name, *_flatten(inputs), sequence_length):
        _check_cell(op, cell)
        if not (hasattr(state_saver, "state") and hasattr(state_saver, "save_state")):
            raise DTypeError(
                check.message(
                    op,
                    "state_saver",
                    "have state() and save_state() methods",
                    state_saver=type(state_saver).__name__,
                )
            )
        steps = _static_inputs(op, inputs)
        sizes = cell.state_size
        tuple_state = isinstance(sizes, tuple)
        if tuple_state:
            names = state_name if isinstance(state_name, tuple) else None
            if names is None or len(names) != len(sizes):
                raise ArgumentError(
                    check.message(
                        op,
                        "state_name",
                        f"be a tuple of {len(sizes)} names (one per element of cell.state_size)",
                        state_name=state_name,
                    )
                )
        elif not isinstance(state_name, str):
            raise ArgumentError(
                check.message(
                    op,
                    "state_name",
                    "be a string (the state is not a tuple)",
                    state_name=state_name,
                )
            )
        batch = steps[0].shape[0]
        lengths = _lengths(op, sequence_length, len(steps), batch)
    names = list(state_name) if tuple_state else [state_name]
    with node_errors(name, *steps):
        saved = [_saved_state(op, state_saver, n) for n in names]
    if tuple_state:
        init = _pack(sizes, saved)
        if hasattr(sizes, "_fields"):
            init = type(sizes)(*_flatten(init))
    else:
        init = saved[0]
    outs, state = _step_loop(cell, steps, init, lengths)
    if tuple_state:
        for n, v in zip(state_name, _flatten(state), strict=True):
            state_saver.save_state(n, v)
    else:
        state_saver.save_state(state_name, state)
    return outs, state


def static_bidirectional_rnn(
    cell_fw: Any,
    cell_bw: Any,
    inputs: Any,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    *,
    name: str | None = None,
) -> tuple[list[Any], Any, Any]:
    """Forward and backward :func:`static_rnn`, outputs depth-concatenated (TF
    ``bidirectional_rnn``).

    Args:
        cell_fw, cell_bw: RNN cells.
        inputs (list of tensors): T tensors ``(B, input_size)``.
        initial_state_fw, initial_state_bw, dtype, sequence_length: as in :func:`static_rnn`
            (``dtype`` is required for a missing initial state).
        name (str, optional): In a graph, the name errors of the argument checks give the
            call (no node takes it).

    Returns:
        tuple: ``(outputs, output_state_fw, output_state_bw)``; ``outputs[t]`` is
        ``(B, fw.output_size + bw.output_size)``.

    Raises:
        as :func:`static_rnn`.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> from nnfunc.compat.tf.nn import rnn_cell
        >>> outs, fw, bw = nf.static_bidirectional_rnn(
        ...     rnn_cell.BasicRNNCell(2), rnn_cell.BasicRNNCell(3), [np.ones((1, 4))] * 2,
        ...     dtype=np.float64)
        >>> outs[0].shape
        (1, 5)
    """
    op = "static_bidirectional_rnn"
    states = (*_flatten(initial_state_fw), *_flatten(initial_state_bw))
    with node_errors(name, *_flatten(inputs), sequence_length, *states):
        _check_cell(op, cell_fw, "cell_fw")
        _check_cell(op, cell_bw, "cell_bw")
        steps = _static_inputs(op, inputs)
        batch = steps[0].shape[0]
        lengths = _lengths(op, sequence_length, len(steps), batch)
        for arg, cell, state in (
            ("initial_state_fw", cell_fw, initial_state_fw),
            ("initial_state_bw", cell_bw, initial_state_bw),
        ):
            _check_state(op, arg, state, cell, batch)
            if state is None:
                _state_dtype(op, dtype, arg)
    out_fw, st_fw = static_rnn(cell_fw, steps, initial_state_fw, dtype, lengths)
    x_tm = F.stack(*steps, axis=0)
    rev = _reverse_within(x_tm, lengths)
    out_bw, st_bw = static_rnn(
        cell_bw, [F.getitem(rev, t) for t in range(len(steps))], initial_state_bw, dtype, lengths
    )
    bw_tm = _reverse_within(F.stack(*out_bw, axis=0), lengths)
    outs = [F.concatenate(out_fw[t], F.getitem(bw_tm, t), axis=-1) for t in range(len(steps))]
    return outs, st_fw, st_bw


# -------------------------------------------------------------------------------- raw_rnn
class TensorArray:
    """The emitted outputs of :func:`raw_rnn`: ``read(t)``, ``size()``, ``stack()`` (alias
    ``pack()``, its TF 1.0 name)."""

    def __init__(self, items: list[Any] | None = None) -> None:
        self._items = list(items or [])

    def write(self, index: int, value: Any) -> TensorArray:
        """Append ``value`` at ``index`` (= the current size)."""
        if index != len(self._items):
            raise ArgumentError(
                check.message("TensorArray", "index", f"be {len(self._items)}", index=index)
            )
        self._items.append(value)
        return self

    def read(self, index: int) -> Any:
        """The element written at ``index``."""
        return self._items[index]

    def size(self) -> int:
        """The number of elements."""
        return len(self._items)

    def stack(self) -> Any:
        """All elements stacked on a new leading (time) axis."""
        if not self._items:
            raise ArgumentError(check.message("TensorArray", "stack", "have elements", size=0))
        return F.stack(*self._items, axis=0)

    pack = stack  # the TF 1.0 name the seed's raw_rnn example uses (outputs_ta.pack())


def raw_rnn(cell: Any, loop_fn: Any, *, name: str | None = None) -> tuple[Any, Any, Any]:
    """Low-level RNN loop driven by ``loop_fn`` (TF ``raw_rnn``).

    ``loop_fn(time, cell_output, cell_state, loop_state)`` returns ``(finished, next_input,
    next_cell_state, emit_output, next_loop_state)``. It is first called with
    ``time=0, cell_output=None, cell_state=None, loop_state=None`` (it returns the initial
    state, and optionally an ``emit_output`` giving the emit structure). Then, until every
    entry is finished: ``(output, state) = cell(next_input, state)``, then ``loop_fn`` at
    ``time + 1``; finished entries emit zeros and keep their state.

    Args:
        cell: An RNN cell.
        loop_fn (callable): The loop function above.
        name (str, optional): In a graph, the name errors of the argument checks give the
            call (no node takes it).

    Returns:
        tuple: ``(emit_ta, final_state, final_loop_state)``; ``emit_ta`` is a
        :class:`TensorArray` (``.stack()`` gives ``(T, B, ...)``), or a structure of them.

    Raises:
        DTypeError: ``cell`` is not a cell, ``loop_fn`` not callable, ``finished`` not a
            boolean vector. ArgumentError: ``loop_fn`` does not return five values.
        UnsupportedError: ``finished`` is a graph node (the loop runs in Python, so it must be
            known when it runs).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> from nnfunc.compat.tf.nn import rnn_cell
        >>> cell = rnn_cell.BasicRNNCell(2)
        >>> xs = np.ones((3, 1, 4))
        >>> def loop_fn(time, out, state, loop_state):
        ...     if out is None:
        ...         state = cell.zero_state(1, np.float64)
        ...     done = np.array([time >= 3])
        ...     nxt = xs[min(time, 2)]
        ...     return done, nxt, state, out, None
        >>> ta, state, _ = nf.raw_rnn(cell, loop_fn)
        >>> ta.stack().shape
        (3, 1, 2)
    """
    op = "raw_rnn"
    _check_cell(op, cell)
    if not callable(loop_fn):
        raise DTypeError(
            check.message(op, "loop_fn", "be callable", loop_fn=type(loop_fn).__name__)
        )
    finished, nxt, state, emit_struct, loop_state = _loop_step(
        op, name, loop_fn(0, None, None, None)
    )
    time = 0
    emit_tas = None
    while not bool(np.all(finished)):
        out, new_state = cell(nxt, state)
        emit = out if emit_struct is None else None
        f_next, nxt, next_state, emit_out, loop_state = _loop_step(
            op, name, loop_fn(time + 1, out, new_state, loop_state)
        )
        if emit_out is not None:
            emit = emit_out
        m = (~finished)[:, None]
        emit = _map(lambda e, m=m: F.where(m, e, _zeros_like_out(e)), emit)
        state = _map(lambda a, b, m=m: F.where(m, a, b), next_state, state)
        if emit_tas is None:
            emit_tas = _map(lambda e: TensorArray(), emit)
        for ta, e in zip(_flatten(emit_tas), _flatten(emit), strict=True):
            ta.write(time, e)
        finished = finished | f_next
        time += 1
    if emit_tas is None:
        emit_tas = TensorArray()
    return emit_tas, state, loop_state


def _loop_step(op: str, name: str | None, result: Any) -> tuple[Any, ...]:
    """``loop_fn``'s result with ``finished`` as a boolean array: the loop runs in Python, so
    ``finished`` must be known when it runs (an array or Variable, not a graph node); the
    errors name the node ``name`` when the loop builds a graph."""
    parts = tuple(result) if isinstance(result, (tuple, list)) else None
    tensors = _flatten(list(parts)) if parts is not None else [result]
    with node_errors(name, *tensors):
        if parts is None or len(parts) != 5:
            raise ArgumentError(
                check.message(
                    op,
                    "loop_fn",
                    "return (finished, next_input, next_cell_state, emit_output, next_loop_state)",
                    **{"loop_fn(...)": type(result).__name__ if parts is None else len(parts)},
                )
            )
        finished = parts[0]
        if getattr(finished, "_is_symbolic", False):
            raise UnsupportedError(
                check.message(
                    op,
                    "finished",
                    "be known when the loop runs (an array or Variable, not a graph node)",
                    finished=finished,
                )
            )
        done = np.atleast_1d(np.asarray(getattr(finished, "data", finished)))
        if done.dtype.kind not in "biu" or done.ndim != 1:
            raise DTypeError(
                check.message(op, "finished", "be a boolean vector (batch,)", finished=finished)
            )
    return (done.astype(bool), *parts[1:])
