# ruff: noqa: E501  (a table of exact messages)
"""Bad inputs of the canonical recurrent functions: class and EXACT message, on arrays and in a
graph (the node name is added there), plus a sweep of junk values that must raise NNFuncError."""

import contextlib

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import assert_raises_both_modes

T, B, I, H = 3, 2, 3, 2  # noqa: E741
x = np.zeros((T, B, I))
wx = np.zeros((I, 4 * H))
wh = np.zeros((H, 4 * H))

TABLE = [
    (
        nf.lstm,
        (x, np.zeros((4, 4 * H)), wh),
        {},
        nf.ShapeError,
        "lstm: `w_x` must have shape (1, 3, 8) or (3, 8) (num_directions 1 from direction='forward', input size 3 from x, 4*hidden 8); received w_x.shape=(4, 8).",
    ),
    (
        nf.lstm,
        (x, wx, np.zeros((H, 3 * H))),
        {},
        nf.ShapeError,
        "lstm: `w_h` must have shape (1, 2, 8) or (2, 8) (hidden 2 from w_h); received w_h.shape=(2, 6).",
    ),
    (
        nf.lstm,
        (x, wx, wh),
        {"direction": "bidirectional"},
        nf.ShapeError,
        "lstm: `w_x` must have shape (2, 3, 8) (num_directions 2 from direction='bidirectional', input size 3 from x, 4*hidden 8); received w_x.shape=(3, 8).",
    ),
    (
        nf.lstm,
        (x, wx, wh, np.zeros(4 * H + 1)),
        {},
        nf.ShapeError,
        "lstm: `b` must have shape (1, 8) or (8,) (4*hidden 8); received b.shape=(9,).",
    ),
    (
        nf.lstm,
        (x, wx, wh, None, np.zeros((B, H + 1))),
        {},
        nf.ShapeError,
        "lstm: `h0` must have shape (num_layers, num_directions, batch, hidden) = (1, 1, 2, 2); received h0.shape=(2, 3).",
    ),
    (
        nf.lstm,
        (x, wx, wh),
        {"lengths": np.array([4, 1])},
        nf.ArgumentError,
        "lstm: `lengths` must hold lengths in [0, 3] (the time dimension); received lengths=4.",
    ),
    (
        nf.lstm,
        (x, wx, wh),
        {"lengths": np.array([1.0, 2.0])},
        nf.DTypeError,
        "lstm: `lengths` must have an integer dtype; received lengths.dtype=float64.",
    ),
    (
        nf.lstm,
        (x, wx, wh),
        {"lengths": np.array([1, 2, 3])},
        nf.ShapeError,
        "lstm: `lengths` must have shape (2,) (the batch size of x); received lengths.shape=(3,).",
    ),
    (
        nf.lstm,
        (x, wx, wh),
        {"direction": "both"},
        nf.ArgumentError,
        "lstm: `direction` must be one of 'forward', 'reverse', 'bidirectional'; received direction='both'.",
    ),
    (
        nf.lstm,
        (x, wx, wh),
        {"layout": "NTC"},
        nf.ArgumentError,
        "lstm: `layout` must be one of 'TBF', 'BTF', 'BFT'; received layout='NTC'.",
    ),
    (
        nf.lstm,
        (x, wx, wh),
        {"gate_order": "ifgg"},
        nf.ArgumentError,
        "lstm: `gate_order` must be a permutation of 'ifgo' (z, c or j may stand for g); received gate_order='ifgg'.",
    ),
    (
        nf.lstm,
        (x, wx, wh),
        {"gate_activation": "swish"},
        nf.ArgumentError,
        "lstm: `gate_activation` must be one of 'tanh', 'relu', 'sigmoid', 'affine', 'leaky_relu', 'thresholded_relu', 'scaled_tanh', 'hard_sigmoid', 'elu', 'softsign', 'softplus'; received gate_activation='swish'.",
    ),
    (
        nf.lstm,
        (x, wx, wh),
        {"cell_clip": -1.0},
        nf.ArgumentError,
        "lstm: `cell_clip` must be in [0, inf); received cell_clip=-1.0.",
    ),
    (
        nf.lstm,
        (x, wx, wh),
        {"peephole": np.zeros(2 * H)},
        nf.ShapeError,
        "lstm: `peephole` must have shape (1, 6) or (6,) (3*hidden 6, blocks [i, f, o]); received peephole.shape=(4,).",
    ),
    (
        nf.lstm,
        (x[0], wx, wh),
        {},
        nf.ShapeError,
        "lstm: `x` must have rank 3 (layout 'TBF'); received x.shape=(2, 3).",
    ),
    (
        nf.lstm,
        (x, [wx, np.zeros((H, 4 * H))], [wh]),
        {},
        nf.ArgumentError,
        "lstm: `w_h` must hold one tensor per layer (2 layers from w_x); received len(w_h)=1.",
    ),
    (
        nf.lstm,
        (x, [wx, np.zeros((H, 4 * H))], wh),
        {},
        nf.ArgumentError,
        "lstm: `w_h` must be a sequence of 2 tensors (one per layer); received w_h.shape=(2, 8).",
    ),
    (
        nf.gru,
        (x, np.zeros((I, 3 * H)), np.zeros((H, 3 * H))),
        {"linear_before_reset": 1},
        nf.ArgumentError,
        "gru: `linear_before_reset` must be a bool; received linear_before_reset=1.",
    ),
    (
        nf.gru,
        (x, np.zeros((I, 3 * H)), np.zeros((H, 3 * H)), np.zeros(2 * H)),
        {},
        nf.ShapeError,
        "gru: `b_x` must have shape (1, 6) or (6,) (3*hidden 6); received b_x.shape=(4,).",
    ),
    (
        nf.rnn,
        (x, np.zeros((I, H)), np.zeros((H, H))),
        {"nonlinearity": "gelu"},
        nf.ArgumentError,
        "rnn: `nonlinearity` must be one of 'tanh', 'relu'; received nonlinearity='gelu'.",
    ),
    (
        nf.rnn,
        (x, np.zeros((I, H)), np.zeros((H, H))),
        {"dropout": 1.0},
        nf.ArgumentError,
        "rnn: `dropout` must be in [0, 1); received dropout=1.0.",
    ),
    (
        nf.sru,
        (x, np.zeros((I, 2 * I)), np.zeros(2 * I)),
        {},
        nf.ShapeError,
        "sru: `w` must have shape (3, 9) (input size 3 from x, blocks [x~, f, r]); received w.shape=(3, 6).",
    ),
    (
        nf.lstm_block,
        (x, np.zeros((I + H + 1, 4 * H))),
        {},
        nf.ShapeError,
        "lstm_block: `w` must have shape (input + hidden, 4*hidden) with input 3 from x; received w.shape=(6, 8).",
    ),
    (
        nf.lstm_block,
        (x, np.zeros((I + H, 4 * H))),
        {"w_ci": np.zeros(H)},
        nf.ArgumentError,
        "lstm_block: w_ci, w_cf and w_co must be given together; received given=['w_ci'].",
    ),
    (
        nf.lstm_cell,
        (x[0], np.zeros((B, H)), np.zeros((B, H + 1)), wx, wh),
        {},
        nf.ShapeError,
        "lstm_cell: `c` must have shape (2, 2) (batch from x, hidden 2 from w_h); received c.shape=(2, 3).",
    ),
    (
        nf.gru_cell,
        (x[0], np.zeros((B, H)), np.zeros((I + 1, 3 * H)), np.zeros((H, 3 * H))),
        {},
        nf.ShapeError,
        "gru_cell: `w_x` must have shape (3, 6) (input size 3 from x, hidden 2 from w_h); received w_x.shape=(4, 6).",
    ),
    (
        nf.sru_cell,
        (x[0], np.zeros((B, I)), np.zeros((I, 3 * I)), np.zeros(I)),
        {},
        nf.ShapeError,
        "sru_cell: `b` must have shape (6,) (input size 3 from x, blocks [f, r]); received b.shape=(3,).",
    ),
]


@pytest.mark.parametrize("fn,args,kwargs,exc,message", TABLE)
def test_bad_input(fn, args, kwargs, exc, message):
    assert_raises_both_modes(fn, args, kwargs, exc, message)


JUNK = [
    None,
    "s",
    {"a": 1},
    np.array([object()]),
    np.ones(2) * 1j,
    np.zeros((0,)),
    np.array(1.0),
    np.nan,
    2**63,
    -1,
    10**9,
    [1.0, 2.0],
    np.ones((2, 2)),
]


def _calls():
    rng = np.random.default_rng(0)
    r = rng.standard_normal
    return [
        (
            nf.lstm,
            [r((T, B, I)), r((I, 4 * H)), r((H, 4 * H)), r(4 * H), r((B, H)), r((B, H))],
            {
                "lengths": np.array([3, 1]),
                "peephole": np.zeros(3 * H),
                "forget_bias": 0.0,
                "cell_clip": 0.0,
                "dropout": 0.0,
                "gate_order": "ifgo",
            },
        ),
        (
            nf.gru,
            [r((T, B, I)), r((I, 3 * H)), r((H, 3 * H)), r(3 * H), r(3 * H), r((B, H))],
            {"lengths": np.array([3, 1]), "linear_before_reset": True},
        ),
        (nf.rnn, [r((T, B, I)), r((I, H)), r((H, H)), r(H), r((B, H))], {"nonlinearity": "tanh"}),
        (nf.sru, [r((T, B, I)), r((I, 3 * I)), r(2 * I), r((B, I))], {"mask": np.ones((B, I))}),
        (nf.lstm_block, [r((T, B, I)), r((I + H, 4 * H)), r(4 * H)], {"cell_clip": 0.0}),
        (
            nf.lstm_cell,
            [r((B, I)), r((B, H)), r((B, H)), r((I, 4 * H)), r((H, 4 * H))],
            {"return_gates": False},
        ),
        (nf.gru_cell, [r((B, I)), r((B, H)), r((I, 3 * H)), r((H, 3 * H))], {}),
        (nf.sru_cell, [r((B, I)), r((B, I)), r((I, 3 * I)), r(2 * I)], {}),
    ]


@pytest.mark.parametrize("k", range(8))
def test_junk_arguments_raise_nnfunc_errors(k):
    fn, args, kwargs = _calls()[k]
    fn(*args, **kwargs)
    slots = [("arg", i) for i in range(len(args))] + [("kw", name) for name in kwargs]
    for kind, key in slots:
        for bad in JUNK:
            a, kw = list(args), dict(kwargs)
            if kind == "arg":
                a[key] = bad
            else:
                kw[key] = bad
            with contextlib.suppress(nf.NNFuncError):
                fn(*a, **kw)
