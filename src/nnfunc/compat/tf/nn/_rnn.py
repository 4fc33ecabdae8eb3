"""tf.nn entries of the recurrent family (TF 1.x): the RNN drivers, with the seed's signatures.

The cells live in :mod:`nnfunc.compat.tf.nn.rnn_cell`. ``parallel_iterations``,
``swap_memory`` and ``scope`` are accepted for signature compatibility and have no effect
(there is no while-loop scheduling or device memory to manage here).
"""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.compat._docs import shares_args
from nnfunc.compat.tf.nn import rnn_cell

__all__ = [
    "bidirectional_dynamic_rnn",
    "bidirectional_rnn",
    "dynamic_rnn",
    "raw_rnn",
    "rnn",
    "rnn_cell",
    "state_saving_rnn",
]


def dynamic_rnn(
    cell: Any,
    inputs: Any,
    sequence_length: Any = None,
    initial_state: Any = None,
    dtype: Any = None,
    parallel_iterations: Any = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any]:
    """Creates a recurrent neural network specified by RNNCell ``cell`` (dynamic unrolling).

    Args:
        cell: An RNNCell (any object with ``__call__``, ``state_size``, ``output_size``).
        inputs: ``[batch_size, max_time, ...]`` (``time_major=False``, the default) or
            ``[max_time, batch_size, ...]``.
        sequence_length: ``[batch_size]`` int lengths: outputs past them are zero and the
            state is copied through.
        initial_state: Initial state (default: ``cell.zero_state``; then ``dtype`` is required).
        dtype: The dtype of the initial state.
        parallel_iterations, swap_memory, scope: No effect here.
        name (str, optional): Prefix of graph node names.
        time_major (bool): Layout of inputs and outputs.

    Returns:
        A pair ``(outputs, state)``.

    Raises:
        TypeError: ``cell`` is not an RNNCell (``nnfunc.DTypeError``).
        ValueError: inputs of the wrong rank, no dtype and no initial state
            (``nnfunc.ShapeError`` / ``nnfunc.ArgumentError``).

    Examples:
        >>> cell = tf.nn.rnn_cell.BasicLSTMCell(4)
        >>> outputs, state = tf.nn.dynamic_rnn(cell, np.ones((2, 5, 3), np.float32),
        ...                                    sequence_length=np.array([5, 2]), dtype=np.float32)
        >>> outputs.shape, state.h.shape, bool((outputs.data[1, 2:] == 0).all())
        ((2, 5, 4), (2, 4), True)
    """
    return F.dynamic_rnn(
        cell, inputs, sequence_length, initial_state, dtype, time_major=time_major, name=name
    )


def rnn(
    cell: Any,
    inputs: Any,
    initial_state: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: Any = None,
    *,
    name: str | None = None,
) -> tuple[list[Any], Any]:
    """Creates a recurrent neural network specified by RNNCell ``cell`` (static unrolling;
    later TF: ``static_rnn``).

    Args:
        cell: An RNNCell.
        inputs: A list of T tensors ``[batch_size, input_size]``.
        initial_state, dtype: as in :func:`dynamic_rnn`.
        sequence_length: ``[batch_size]``; past a length: zero outputs, state copied through.
        scope: No effect here.
        name (str, optional): Prefix of graph node names.

    Returns:
        A pair ``(outputs, state)``: a list of T outputs and the final state.

    Raises:
        TypeError: ``cell`` is not an RNNCell, ``inputs`` not a list.
        ValueError: ``inputs`` is empty or its depth unknown.

    Examples:
        >>> outputs, state = tf.nn.rnn(tf.nn.rnn_cell.GRUCell(3), [np.ones((2, 4))] * 6,
        ...                            dtype=np.float64)
        >>> len(outputs), outputs[-1].shape
        (6, (2, 3))
    """
    return F.static_rnn(cell, inputs, initial_state, dtype, sequence_length, name=name)


@shares_args(rnn)
def state_saving_rnn(
    cell: Any,
    inputs: Any,
    state_saver: Any,
    state_name: Any,
    sequence_length: Any = None,
    scope: Any = None,
    *,
    name: str | None = None,
) -> tuple[list[Any], Any]:
    """RNN that accepts a state saver for time-truncated RNN calculation.

    Args:
        state_saver: An object with ``state(name)`` and ``save_state(name, value)``.
        state_name: A string, or a tuple of strings matching a tuple ``cell.state_size``.
        sequence_length: as in :func:`rnn`.

    Returns:
        A pair ``(outputs, state)``.

    Raises:
        TypeError: ``cell`` is not an RNNCell.
        ValueError: ``inputs`` is empty, or the arity of ``state_name`` does not match the
            state.

    Examples:
        >>> class Saver:
        ...     def __init__(self): self.d = {"c": np.zeros((1, 2)), "h": np.zeros((1, 2))}
        ...     def state(self, name): return self.d[name]
        ...     def save_state(self, name, value): self.d[name] = value
        >>> saver = Saver()
        >>> _, st = tf.nn.state_saving_rnn(tf.nn.rnn_cell.BasicLSTMCell(2), [np.ones((1, 3))],
        ...                                saver, ("c", "h"))
        >>> saver.d["h"] is st.h
        True
    """
    return F.state_saving_rnn(cell, inputs, state_saver, state_name, sequence_length, name=name)


def bidirectional_dynamic_rnn(
    cell_fw: Any,
    cell_bw: Any,
    inputs: Any,
    sequence_length: Any = None,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    parallel_iterations: Any = None,
    swap_memory: bool = False,
    time_major: bool = False,
    scope: Any = None,
    *,
    name: str | None = None,
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Creates a dynamic version of a bidirectional recurrent neural network.

    The backward direction reverses each sequence within its ``sequence_length``; outputs are
    returned as a tuple (concatenate them with ``tf.concat(outputs, 2)`` if needed).

    Args:
        cell_fw, cell_bw: RNNCells (their input sizes must match).
        inputs: ``[batch_size, max_time, input_size]`` or time-major.
        sequence_length: ``[batch_size]`` lengths.
        initial_state_fw, initial_state_bw: Initial states (zeros by default; then ``dtype``).
        dtype: The dtype of the initial states.
        parallel_iterations, swap_memory, scope: No effect here.
        name (str, optional): Prefix of graph node names.
        time_major (bool): Layout of inputs and outputs.

    Returns:
        A tuple ``(outputs, output_states)``: ``(output_fw, output_bw)``,
        ``(output_state_fw, output_state_bw)``.

    Raises:
        TypeError: ``cell_fw`` or ``cell_bw`` is not an RNNCell.

    Examples:
        >>> (fw, bw), (sf, sb) = tf.nn.bidirectional_dynamic_rnn(
        ...     tf.nn.rnn_cell.LSTMCell(2), tf.nn.rnn_cell.LSTMCell(2), np.ones((3, 4, 5)),
        ...     sequence_length=np.array([4, 1, 3]), dtype=np.float64)
        >>> fw.shape, bw.shape, bool((bw.data[1, 1:] == 0).all())
        ((3, 4, 2), (3, 4, 2), True)
    """
    return F.bidirectional_dynamic_rnn(
        cell_fw,
        cell_bw,
        inputs,
        sequence_length,
        initial_state_fw,
        initial_state_bw,
        dtype,
        time_major=time_major,
        name=name,
    )


def bidirectional_rnn(
    cell_fw: Any,
    cell_bw: Any,
    inputs: Any,
    initial_state_fw: Any = None,
    initial_state_bw: Any = None,
    dtype: Any = None,
    sequence_length: Any = None,
    scope: Any = None,
    *,
    name: str | None = None,
) -> tuple[list[Any], Any, Any]:
    """Creates a bidirectional recurrent neural network (static; later TF:
    ``static_bidirectional_rnn``). Outputs are depth-concatenated.

    Args:
        cell_fw, cell_bw: RNNCells.
        inputs: A list of T tensors ``[batch_size, input_size]``.
        initial_state_fw, initial_state_bw, dtype, sequence_length: as in :func:`rnn`.
        scope: No effect here.
        name (str, optional): Prefix of graph node names.

    Returns:
        A tuple ``(outputs, output_state_fw, output_state_bw)``; ``outputs`` is a list of T
        tensors ``[batch_size, fw.output_size + bw.output_size]``.

    Raises:
        TypeError: a cell is not an RNNCell. ValueError: ``inputs`` is None or empty.

    Examples:
        >>> outs, fw, bw = tf.nn.bidirectional_rnn(
        ...     tf.nn.rnn_cell.BasicRNNCell(2), tf.nn.rnn_cell.BasicRNNCell(2),
        ...     [np.ones((1, 3))] * 3, dtype=np.float64)
        >>> len(outs), outs[0].shape
        (3, (1, 4))
    """
    return F.static_bidirectional_rnn(
        cell_fw,
        cell_bw,
        inputs,
        initial_state_fw,
        initial_state_bw,
        dtype,
        sequence_length,
        name=name,
    )


def raw_rnn(
    cell: Any,
    loop_fn: Any,
    parallel_iterations: Any = None,
    swap_memory: bool = False,
    scope: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Creates an RNN specified by RNNCell ``cell`` and loop function ``loop_fn``.

    ``loop_fn(time, cell_output, cell_state, loop_state) -> (finished, next_input,
    next_cell_state, emit_output, next_loop_state)``; the first call has
    ``cell_output=cell_state=loop_state=None`` and returns the initial state. Finished
    entries emit zeros and keep their state; the loop ends when all are finished.

    Args:
        cell: An RNNCell.
        loop_fn: The loop function.
        parallel_iterations, swap_memory, scope: No effect here.
        name (str, optional): Prefix of graph node names.

    Returns:
        A tuple ``(emit_ta, final_state, final_loop_state)``; ``emit_ta.stack()`` gives the
        emitted outputs ``[time, batch, ...]``.

    Raises:
        TypeError: ``cell`` is not an RNNCell or ``loop_fn`` is not callable.

    Examples:
        >>> cell = tf.nn.rnn_cell.BasicLSTMCell(3)
        >>> inputs = np.ones((4, 2, 5))  # time-major
        >>> lengths = np.array([4, 2])
        >>> def loop_fn(time, cell_output, cell_state, loop_state):
        ...     if cell_output is None:
        ...         cell_state = cell.zero_state(2, np.float64)
        ...     finished = time >= lengths
        ...     next_input = inputs[min(time, 3)]
        ...     return finished, next_input, cell_state, cell_output, loop_state
        >>> emit_ta, final_state, _ = tf.nn.raw_rnn(cell, loop_fn)
        >>> out = emit_ta.stack()
        >>> out.shape, bool((out.data[2:, 1] == 0).all())
        ((4, 2, 3), True)
    """
    return F.raw_rnn(cell, loop_fn, name=name)
