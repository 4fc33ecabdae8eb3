"""tf.nn RNN drivers and tf.nn.rnn_cell cells: TF 1.x math by hand, fused and stepped paths
agree, sequence_length semantics, the loop protocols, trainable weights and the documented
errors."""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import tf
from nnfunc.testing.gradient_check import check_backward

cells = tf.nn.rnn_cell
B, T, D = 3, 5, 4
LENS = np.array([5, 2, 0])


def sig(v):
    return 1 / (1 + np.exp(-v))


def _data(v):
    return v.data if isinstance(v, nf.Variable) else v


class Plain:
    """A generic cell (no fused form): wraps another cell's __call__."""

    def __init__(self, inner):
        self.inner = inner
        self.state_size = inner.state_size
        self.output_size = inner.output_size

    def __call__(self, x, state):
        return self.inner(x, state)

    def zero_state(self, b, dtype):
        return self.inner.zero_state(b, dtype)


def _tf_lstm_ref(cell, x_tm, lengths, c=None, h=None, peep=False, clip=0.0, proj=None):
    n = cell._num_units
    k, bias = _data(cell.kernel), _data(cell.bias)
    batch = x_tm.shape[1]
    c = np.zeros((batch, n)) if c is None else c
    h = np.zeros((batch, cell.output_size)) if h is None else h
    ys = np.zeros((x_tm.shape[0], batch, cell.output_size))
    for t in range(x_tm.shape[0]):
        z = np.concatenate([x_tm[t], h], 1) @ k + bias
        i, j, f, o = (z[:, q * n : (q + 1) * n] for q in range(4))
        if peep:
            i = i + c * _data(cell.w_i_diag)
            f = f + c * _data(cell.w_f_diag)
        cn = c * sig(f + cell._forget_bias) + sig(i) * np.tanh(j)
        if clip:
            cn = np.clip(cn, -clip, clip)
        if peep:
            o = o + cn * _data(cell.w_o_diag)
        m = sig(o) * np.tanh(cn)
        if proj is not None:
            m = m @ _data(cell.proj_kernel)
        act = (t < lengths)[:, None]
        ys[t] = np.where(act, m, 0)
        c, h = np.where(act, cn, c), np.where(act, m, h)
    return ys, c, h


@pytest.mark.parametrize("time_major", [False, True])
def test_dynamic_rnn_basic_lstm_matches_tf_math(time_major):
    rng = np.random.default_rng(0)
    x_tm = rng.standard_normal((T, B, D))
    cell = cells.BasicLSTMCell(3, seed=1)
    x = x_tm if time_major else np.transpose(x_tm, (1, 0, 2))
    out, st = tf.nn.dynamic_rnn(
        cell, x, sequence_length=LENS, dtype=np.float64, time_major=time_major
    )
    ys, c, h = _tf_lstm_ref(cell, x_tm, LENS)
    want = ys if time_major else np.transpose(ys, (1, 0, 2))
    np.testing.assert_allclose(_data(out), want, atol=1e-12)
    np.testing.assert_allclose(_data(st.c), c, atol=1e-12)
    np.testing.assert_allclose(_data(st.h), h, atol=1e-12)


def test_lstm_cell_peepholes_clip_projection():
    rng = np.random.default_rng(1)
    x_tm = rng.standard_normal((T, B, D))
    cell = cells.LSTMCell(3, use_peepholes=True, cell_clip=0.5, seed=2)
    out, st = tf.nn.dynamic_rnn(cell, x_tm, LENS, dtype=np.float64, time_major=True)
    ys, c, h = _tf_lstm_ref(cell, x_tm, LENS, peep=True, clip=0.5)
    np.testing.assert_allclose(_data(out), ys, atol=1e-12)
    np.testing.assert_allclose(_data(st.c), c, atol=1e-12)
    pcell = cells.LSTMCell(3, num_proj=2, seed=3)
    out, st = tf.nn.dynamic_rnn(pcell, x_tm, LENS, dtype=np.float64, time_major=True)
    ys, c, h = _tf_lstm_ref(pcell, x_tm, LENS, proj=True)
    np.testing.assert_allclose(_data(out), ys, atol=1e-12)
    np.testing.assert_allclose(_data(st.h), h, atol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: cells.GRUCell(3, seed=4),
        lambda: cells.BasicRNNCell(3, seed=5),
        lambda: cells.BasicLSTMCell(3, state_is_tuple=False, seed=6),
    ],
)
def test_fused_and_stepped_paths_agree(make):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((B, T, D))
    cell = make()
    out, st = tf.nn.dynamic_rnn(cell, x, LENS, dtype=np.float64)
    out2, st2 = tf.nn.dynamic_rnn(Plain(cell), x, LENS, dtype=np.float64)
    np.testing.assert_allclose(_data(out), _data(out2), atol=1e-12)
    np.testing.assert_allclose(_data(st), _data(st2), atol=1e-12)
    outs, st3 = tf.nn.rnn(
        cell, list(np.transpose(x, (1, 0, 2))), dtype=np.float64, sequence_length=LENS
    )
    np.testing.assert_allclose(np.stack([_data(o) for o in outs], 1), _data(out), atol=1e-12)
    np.testing.assert_allclose(_data(st3), _data(st), atol=1e-12)


def test_gru_cell_matches_tf_math():
    rng = np.random.default_rng(3)
    x, h = rng.standard_normal((B, D)), rng.standard_normal((B, 3))
    cell = cells.GRUCell(3, seed=7)
    out, _ = cell(x, h)
    g = sig(np.concatenate([x, h], 1) @ cell.gates_kernel.data + cell.gates_bias.data)
    r, u = g[:, :3], g[:, 3:]
    cc = np.tanh(
        np.concatenate([x, r * h], 1) @ cell.candidate_kernel.data + cell.candidate_bias.data
    )
    np.testing.assert_allclose(out.data, u * h + (1 - u) * cc, atol=1e-12)


def test_bidirectional_reverses_within_length():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((B, T, D))
    fw, bw = cells.BasicLSTMCell(2, seed=8), cells.GRUCell(3, seed=9)
    (of, ob), (_sf, sb) = tf.nn.bidirectional_dynamic_rnn(fw, bw, x, LENS, dtype=np.float64)
    (_of2, ob2), (_sf2, sb2) = tf.nn.bidirectional_dynamic_rnn(
        Plain(fw), Plain(bw), x, LENS, dtype=np.float64
    )
    np.testing.assert_allclose(_data(ob), _data(ob2), atol=1e-12)
    np.testing.assert_allclose(_data(sb), _data(sb2), atol=1e-12)
    # by hand: row 1 has length 2 -> the backward cell reads x[1, 1] then x[1, 0]
    h = np.zeros((1, 3))
    o1, h = bw(x[1:2, 1], h)
    o0, h = bw(x[1:2, 0], _data(h))
    np.testing.assert_allclose(_data(ob)[1, 1], _data(o1)[0], atol=1e-12)
    np.testing.assert_allclose(_data(ob)[1, 0], _data(o0)[0], atol=1e-12)
    assert np.all(_data(ob)[1, 2:] == 0) and np.all(_data(ob)[2] == 0)
    outs, _s_fw, _s_bw = tf.nn.bidirectional_rnn(
        fw, bw, list(np.transpose(x, (1, 0, 2))), dtype=np.float64, sequence_length=LENS
    )
    cat = np.concatenate([_data(of), _data(ob)], -1)
    np.testing.assert_allclose(np.stack([_data(o) for o in outs], 1), cat, atol=1e-12)


def test_raw_rnn_seed_example():
    """The seed's "dynamic_rnn via raw_rnn" example, with inputs_ta.read(time) as inputs[time]."""
    rng = np.random.default_rng(15)
    max_time, batch_size, input_depth, num_units = 4, 3, 2, 5
    inputs = rng.standard_normal((max_time, batch_size, input_depth))
    sequence_length = np.array([4, 1, 3])
    cell = cells.LSTMCell(num_units, seed=16)

    def loop_fn(time, cell_output, cell_state, loop_state):
        emit_output = cell_output  # == None for time == 0
        if cell_output is None:  # time == 0
            next_cell_state = cell.zero_state(batch_size, np.float64)
        else:
            next_cell_state = cell_state
        elements_finished = time >= sequence_length
        finished = bool(np.all(elements_finished))
        next_input = np.zeros((batch_size, input_depth)) if finished else inputs[time]
        next_loop_state = None
        return (elements_finished, next_input, next_cell_state, emit_output, next_loop_state)

    outputs_ta, final_state, _ = tf.nn.raw_rnn(cell, loop_fn)
    outputs = outputs_ta.pack()
    want, want_state = tf.nn.dynamic_rnn(
        cell, inputs, sequence_length, dtype=np.float64, time_major=True
    )
    np.testing.assert_allclose(_data(outputs), _data(want), atol=1e-12)
    np.testing.assert_allclose(_data(final_state.c), _data(want_state.c), atol=1e-12)


def test_raw_rnn_matches_dynamic_rnn():
    rng = np.random.default_rng(5)
    x_tm = rng.standard_normal((T, B, D))
    cell = cells.BasicLSTMCell(3, seed=10)

    def loop_fn(time, out, state, loop_state):
        if out is None:
            state = cell.zero_state(B, np.float64)
            loop_state = 0
        finished = time >= LENS
        nxt = x_tm[min(time, T - 1)]
        return finished, nxt, state, out, loop_state + 1

    ta, st, loops = tf.nn.raw_rnn(cell, loop_fn)
    out, st2 = tf.nn.dynamic_rnn(cell, x_tm, LENS, dtype=np.float64, time_major=True)
    np.testing.assert_allclose(_data(ta.stack()), _data(out), atol=1e-12)
    np.testing.assert_allclose(_data(st.h), _data(st2.h), atol=1e-12)
    assert loops == T + 1


def test_state_saving_rnn_reads_and_saves():
    rng = np.random.default_rng(6)

    class Saver:
        def __init__(self):
            self.d = {"c": rng.standard_normal((B, 2)), "h": rng.standard_normal((B, 2))}

        def state(self, name):
            return self.d[name]

        def save_state(self, name, value):
            self.d[name] = value

    saver = Saver()
    cell = cells.BasicLSTMCell(2, seed=11)
    init = cells.LSTMStateTuple(saver.d["c"], saver.d["h"])
    xs = [rng.standard_normal((B, D)) for _ in range(3)]
    _want_outs, want = tf.nn.rnn(cell, xs, initial_state=init)
    _outs, st = tf.nn.state_saving_rnn(cell, xs, saver, ("c", "h"))
    np.testing.assert_allclose(_data(st.c), _data(want.c), atol=1e-14)
    assert saver.d["c"] is st.c and saver.d["h"] is st.h


def test_weights_are_trainable_variables():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, D))
    cell = cells.BasicLSTMCell(2, seed=12)
    cell(np.zeros((1, D)), cell.zero_state(1, np.float64))  # builds the weights
    k0, b0 = cell.kernel.data.copy(), cell.bias.data.copy()

    def f(k, b, xx):
        cell.kernel, cell.bias = k, b
        out, st = tf.nn.dynamic_rnn(cell, xx, np.array([3, 1]), dtype=np.float64)
        return out, st.c

    check_backward(f, [k0, b0, x], (0, 1, 2), rng)
    cell.kernel = nf.Variable(np.zeros_like(k0), requires_grad=True)  # assignable
    cell.bias = nf.Variable(np.zeros_like(b0), requires_grad=True)
    out, _ = tf.nn.dynamic_rnn(cell, x, dtype=np.float64)
    np.testing.assert_allclose(_data(out), 0.0)


def test_graph_mode_unknown_time_and_batch():
    rng = np.random.default_rng(8)
    cell = cells.LSTMCell(3, seed=13)
    cell(np.zeros((1, D)), cell.zero_state(1, np.float64))
    g = nf.Graph()
    px = g.placeholder("x", (None, None, D), np.float64)
    pl = g.placeholder("len", (None,), np.int64)
    out, st = tf.nn.dynamic_rnn(cell, px, pl, dtype=np.float64)
    xv = rng.standard_normal((2, 6, D))
    lv = np.array([6, 3])
    got = g.run([out, st.h], {"x": xv, "len": lv})
    want, wst = tf.nn.dynamic_rnn(cell, xv, lv, dtype=np.float64)
    np.testing.assert_allclose(got[0], _data(want), atol=1e-12)
    np.testing.assert_allclose(got[1], _data(wst.h), atol=1e-12)


def _loop(*a):
    return np.array([True]), np.zeros((1, 2)), np.zeros((1, 2)), None, None


TABLE = [
    (
        tf.nn.dynamic_rnn,
        (object(), np.zeros((1, 2, 3))),
        {"dtype": np.float64},
        nf.DTypeError,
        "dynamic_rnn: `cell` must be an RNN cell (an object with __call__, state_size and "
        "output_size); received cell='object'.",
    ),
    (
        tf.nn.dynamic_rnn,
        (cells.GRUCell(2), np.zeros((1, 2, 3))),
        {},
        nf.ArgumentError,
        "dynamic_rnn: `dtype` must be given when `initial_state` is None; received dtype=None.",
    ),
    (
        tf.nn.dynamic_rnn,
        (cells.GRUCell(2), np.zeros((2, 3))),
        {"dtype": np.float64},
        nf.ShapeError,
        "dynamic_rnn: `inputs` must have rank 3 (batch, time, depth); "
        "received inputs.shape=(2, 3).",
    ),
    (
        tf.nn.dynamic_rnn,
        (cells.GRUCell(2), np.zeros((2, 3, 1))),
        {"dtype": np.float64, "sequence_length": np.array([1, 4])},
        nf.ArgumentError,
        "dynamic_rnn: `sequence_length` must hold lengths in [0, 3] (the time dimension); "
        "received sequence_length=4.",
    ),
    (
        tf.nn.rnn,
        (cells.GRUCell(2), []),
        {"dtype": np.float64},
        nf.ArgumentError,
        "static_rnn: `inputs` must not be empty; received inputs=[].",
    ),
    (
        tf.nn.rnn,
        (cells.GRUCell(2), None),
        {"dtype": np.float64},
        nf.DTypeError,
        "static_rnn: `inputs` must be a list of tensors (one per time step); "
        "received inputs='NoneType'.",
    ),
    (
        tf.nn.bidirectional_rnn,
        (cells.GRUCell(2), cells.GRUCell(2), []),
        {"dtype": np.float64},
        nf.ArgumentError,
        "static_bidirectional_rnn: `inputs` must not be empty; received inputs=[].",
    ),
    (
        tf.nn.bidirectional_dynamic_rnn,
        (cells.GRUCell(2), "cell", np.zeros((1, 2, 3))),
        {"dtype": np.float64},
        nf.DTypeError,
        "bidirectional_dynamic_rnn: `cell_bw` must be an RNN cell (an object with __call__, "
        "state_size and output_size); received cell_bw='str'.",
    ),
    (
        tf.nn.raw_rnn,
        (cells.GRUCell(2), 3),
        {},
        nf.DTypeError,
        "raw_rnn: `loop_fn` must be callable; received loop_fn='int'.",
    ),
    (
        tf.nn.state_saving_rnn,
        (cells.BasicLSTMCell(2), [np.zeros((1, 2))], object(), "s"),
        {},
        nf.DTypeError,
        "state_saving_rnn: `state_saver` must have state() and save_state() "
        "methods; received state_saver='object'.",
    ),
    (
        cells.BasicLSTMCell,
        (0,),
        {},
        nf.ArgumentError,
        "BasicLSTMCell: `num_units` must be positive; received num_units=0.",
    ),
    (
        cells.GRUCell,
        (2,),
        {"activation": "relu"},
        nf.DTypeError,
        "GRUCell: `activation` must be callable or None; received activation='str'.",
    ),
]


@pytest.mark.parametrize("fn,args,kwargs,exc,message", TABLE)
def test_bad_inputs(fn, args, kwargs, exc, message):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert str(info.value) == message


def test_state_name_arity():
    class Saver:
        def state(self, name):
            return np.zeros((1, 2))

        def save_state(self, name, value):
            pass

    with pytest.raises(nf.ArgumentError) as info:
        tf.nn.state_saving_rnn(cells.BasicLSTMCell(2), [np.zeros((1, 2))], Saver(), "s")
    assert str(info.value) == (
        "state_saving_rnn: `state_name` must be a tuple of 2 names (one per element of "
        "cell.state_size); received state_name='s'."
    )
    assert issubclass(nf.ArgumentError, ValueError) and issubclass(nf.DTypeError, TypeError)


def _symbolic_finished(g, cell):
    def loop_fn(time, out, state, loop_state):
        state = cell.zero_state(2, np.float32) if out is None else state
        x = g.placeholder("x", (2, 4), np.float32)
        return g.placeholder("f", (2,), np.bool_), x, state, out, None

    return loop_fn


# A bad call of each static driver in a graph (ranks that differ between steps, an object that
# is no state saver, a symbolic `finished`): the error names the node the dialect was given.
STATIC_DRIVERS = {
    "rnn": lambda g: tf.nn.rnn(
        cells.BasicRNNCell(2),
        [g.placeholder("a", (2, 3), np.float32), g.placeholder("b", (2, 3, 4), np.float32)],
        dtype=np.float32,
        name="drv",
    ),
    "bidirectional_rnn": lambda g: tf.nn.bidirectional_rnn(
        cells.BasicRNNCell(2),
        cells.BasicRNNCell(2),
        [g.placeholder("a", (2, 3), np.float32), g.placeholder("b", (2, 3, 4), np.float32)],
        dtype=np.float32,
        name="drv",
    ),
    "state_saving_rnn": lambda g: tf.nn.state_saving_rnn(
        cells.BasicRNNCell(2), [g.placeholder("a", (2, 3), np.float32)], object(), "h", name="drv"
    ),
    "raw_rnn": lambda g: tf.nn.raw_rnn(
        cells.BasicRNNCell(2), _symbolic_finished(g, cells.BasicRNNCell(2)), name="drv"
    ),
}


@pytest.mark.parametrize("entry", sorted(STATIC_DRIVERS))
def test_static_drivers_pass_their_name_on(entry):
    g = nf.Graph()
    with pytest.raises(nf.NNFuncError) as info:
        STATIC_DRIVERS[entry](g)
    assert "(node 'drv')" in str(info.value), str(info.value)
