"""nnabla.functions rnn / lstm / gru: packed weights against per-row references, dropout only
when training, the documented errors, and PyTorch as an extra oracle (gate blocks reordered)."""

import importlib.util
import pathlib

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as NF
from nnfunc.testing import assert_raises_both_modes
from nnfunc.testing.gradient_check import check_backward

_spec = importlib.util.spec_from_file_location(
    "rnn_reference", pathlib.Path(__file__).parents[1] / "functions/recurrent/_reference.py"
)
R = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(R)

T, B, I, H = 4, 3, 2, 3  # noqa: E741


def _split(w, n_in, gates):
    """NNabla (G, H, n_in + H) -> canonical w_x (n_in, G*H), w_h (H, G*H)."""
    wx = np.concatenate([w[g][:, :n_in].T for g in range(gates)], axis=1)
    wh = np.concatenate([w[g][:, n_in:].T for g in range(gates)], axis=1)
    return wx, wh


def _run_layers(x, n_layers, n_dirs, run_dir, w0, weight):
    inp = x
    hs = []
    for layer in range(n_layers):
        n_in = inp.shape[2]
        wl = w0 if layer == 0 else weight[layer - 1]
        outs = [run_dir(inp, layer, d, *_split(wl[d], n_in, wl.shape[1])) for d in range(n_dirs)]
        inp = np.concatenate([o[0] for o in outs], axis=-1)
        hs.append([o[1:] for o in outs])
    return inp, hs


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_two_layers(bidirectional):
    rng = np.random.default_rng(0)
    d = 2 if bidirectional else 1
    x = rng.standard_normal((T, B, I))
    h0, c0 = rng.standard_normal((2, d, B, H)), rng.standard_normal((2, d, B, H))
    w0 = rng.standard_normal((d, 4, H, I + H)) * 0.5
    w = rng.standard_normal((1, d, 4, H, d * H + H)) * 0.5
    bias = rng.standard_normal((2, d, 4, H)) * 0.5
    y, hn, cn = NF.lstm(x, h0, c0, w0, w, bias, num_layers=2, bidirectional=bidirectional)

    def run_dir(inp, layer, k, wx, wh):
        return R.lstm_dir(
            inp, wx, wh, bias[layer, k].reshape(-1), h0[layer, k], c0[layer, k], reverse=k == 1
        )

    want, hs = _run_layers(x, 2, d, run_dir, w0, w)
    np.testing.assert_allclose(y, want, atol=1e-12)
    np.testing.assert_allclose(hn, np.array([[s[0] for s in layer] for layer in hs]), atol=1e-12)
    np.testing.assert_allclose(cn, np.array([[s[1] for s in layer] for layer in hs]), atol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_gru_four_bias_slots(bidirectional):
    rng = np.random.default_rng(1)
    d = 2 if bidirectional else 1
    x = rng.standard_normal((T, B, I))
    h0 = rng.standard_normal((1, d, B, H))
    w0 = rng.standard_normal((d, 3, H, I + H)) * 0.5
    bias = rng.standard_normal((1, d, 4, H)) * 0.5
    y, hn = NF.gru(x, h0, w0, bias=bias, bidirectional=bidirectional)

    def run_dir(inp, layer, k, wx, wh):
        bx = bias[layer, k, :3].reshape(-1)
        bh = np.concatenate([np.zeros(2 * H), bias[layer, k, 3]])
        return R.gru_dir(inp, wx, wh, bx, bh, h0[layer, k], reverse=k == 1)

    want, hs = _run_layers(x, 1, d, run_dir, w0, None)
    np.testing.assert_allclose(y, want, atol=1e-12)
    np.testing.assert_allclose(hn, np.array([[s[0] for s in layer] for layer in hs]), atol=1e-12)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_two_layers(nonlinearity):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((T, B, I))
    h0 = rng.standard_normal((2, 1, B, H))
    w0 = rng.standard_normal((1, H, I + H)) * 0.5
    w = rng.standard_normal((1, 1, H, 2 * H)) * 0.5
    bias = rng.standard_normal((2, 1, H)) * 0.5
    y, hn = NF.rnn(x, h0, w0, w, bias, num_layers=2, nonlinearity=nonlinearity)

    def run_dir(inp, layer, k, wx, wh):
        return R.rnn_dir(inp, wx, wh, bias[layer, k], h0[layer, k], relu=nonlinearity == "relu")

    want, hs = _run_layers(x, 2, 1, run_dir, w0[:, None], w[:, :, None])
    np.testing.assert_allclose(y, want, atol=1e-12)
    np.testing.assert_allclose(hn, np.array([[s[0] for s in layer] for layer in hs]), atol=1e-12)


def test_gradients_reach_the_packed_weights():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 2, I))
    h0, c0 = rng.standard_normal((1, 1, 2, H)), rng.standard_normal((1, 1, 2, H))
    w0 = rng.standard_normal((1, 4, H, I + H)) * 0.5
    bias = rng.standard_normal((1, 1, 4, H)) * 0.5
    check_backward(
        lambda *a: NF.lstm(*a[:4], bias=a[4]), [x, h0, c0, w0, bias], (0, 1, 2, 3, 4), rng
    )
    w0g = rng.standard_normal((1, 3, H, I + H)) * 0.5
    check_backward(lambda *a: NF.gru(*a[:3], bias=a[3]), [x, h0, w0g, bias], (0, 1, 2, 3), rng)


def test_dropout_between_layers_only_when_training():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((T, B, I))
    w0 = rng.standard_normal((1, H, I + H))
    w = rng.standard_normal((1, 1, H, 2 * H))
    plain = NF.rnn(x, None, w0, w, num_layers=2)[0]
    off = NF.rnn(x, None, w0, w, num_layers=2, dropout=0.9, training=False)[0]
    np.testing.assert_array_equal(plain, off)
    nf.random.seed(0)
    on = NF.rnn(x, None, w0, w, num_layers=2, dropout=0.9, training=True)[0]
    assert not np.allclose(on, plain)
    one_layer = NF.rnn(x, None, w0, dropout=0.9)[0]  # nothing between layers to drop
    np.testing.assert_array_equal(one_layer, NF.rnn(x, None, w0)[0])


@pytest.mark.oracle
def test_oracle_torch_lstm_gru_rnn():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((T, B, I))
    for kind in ("LSTM", "GRU", "RNN"):
        mod = getattr(torch.nn, kind)(I, H, num_layers=2, bidirectional=True).double()
        with torch.no_grad():
            ty = mod(torch.from_numpy(x))[0].numpy()
        {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
        wxs, whs, bxs, bhs = [], [], [], []
        for layer in range(2):
            sfx = [f"_l{layer}", f"_l{layer}_reverse"]
            p = {n: t.detach().numpy() for n, t in mod.named_parameters()}
            wxs.append(np.stack([p["weight_ih" + s].T for s in sfx]))  # torch (G*H, I) -> (I, G*H)
            whs.append(np.stack([p["weight_hh" + s].T for s in sfx]))
            bxs.append(np.stack([p["bias_ih" + s] for s in sfx]))
            bhs.append(np.stack([p["bias_hh" + s] for s in sfx]))
        if kind == "LSTM":  # torch gate order i, f, g, o = canonical
            y = nf.lstm(x, wxs, whs, [a + b for a, b in zip(bxs, bhs)], direction="bidirectional")[
                0
            ]
        elif kind == "GRU":  # torch r, z, n with the reset after the product
            y = nf.gru(x, wxs, whs, bxs, bhs, direction="bidirectional")[0]
        else:
            y = nf.rnn(x, wxs, whs, [a + b for a, b in zip(bxs, bhs)], direction="bidirectional")[0]
        np.testing.assert_allclose(y, ty, atol=1e-12, err_msg=kind)


_X = np.zeros((T, B, I))
A, S = nf.ArgumentError, nf.ShapeError

TABLE = [
    (
        NF.lstm,
        (_X, None, None, np.zeros((1, 4, H, I + H))),
        {"num_layers": 2},
        A,
        "lstm: `weight` must be given when num_layers > 1; received num_layers=2.",
    ),
    (
        NF.lstm,
        (_X, None, None, np.zeros((1, 4, H, I + 2))),
        {},
        S,
        "lstm: `weight_l0` must have shape (1, 4, 3, 5) (D 1 from bidirectional=False, I 2 from "
        "x, H 3 from weight_l0); received weight_l0.shape=(1, 4, 3, 4).",
    ),
    (
        NF.lstm,
        (_X, None, None, np.zeros((1, 4, H, I + H))),
        {"bidirectional": True},
        S,
        "lstm: `weight_l0` must have shape (2, 4, 3, 5) (D 2 from bidirectional=True, I 2 from "
        "x, H 3 from weight_l0); received weight_l0.shape=(1, 4, 3, 5).",
    ),
    (
        NF.gru,
        (_X, None, np.zeros((1, 3, H, I + H)), np.zeros((1, 1, 3, H, 5))),
        {"num_layers": 2},
        S,
        "gru: `weight` must have shape (1, 1, 3, 3, 6) (L-1 = 1 from num_layers, D 1, H 3 from "
        "weight_l0); received weight.shape=(1, 1, 3, 3, 5).",
    ),
    (
        NF.gru,
        (_X, None, np.zeros((1, 3, H, I + H))),
        {"bias": np.zeros((1, 1, 3, H))},
        S,
        "gru: `bias` must have shape (1, 1, 4, 3) (L 1, D 1, H 3 from weight_l0); "
        "received bias.shape=(1, 1, 3, 3).",
    ),
    (
        NF.rnn,
        (_X, np.zeros((1, 1, B, 2)), np.zeros((1, H, I + H))),
        {},
        S,
        "rnn: `h` must have shape (1, 1, 3, 3) (L 1, D 1, B from x, H 3 from weight_l0); "
        "received h.shape=(1, 1, 3, 2).",
    ),
    (
        NF.rnn,
        (_X, None, np.zeros((1, H, I + H))),
        {"nonlinearity": "sigmoid"},
        A,
        "rnn: `nonlinearity` must be one of 'tanh', 'relu'; received nonlinearity='sigmoid'.",
    ),
    (
        NF.rnn,
        (_X, None, np.zeros((1, H, I + H))),
        {"num_layers": 0},
        A,
        "rnn: `num_layers` must be positive; received num_layers=0.",
    ),
]


@pytest.mark.parametrize("fn,args,kwargs,exc,message", TABLE)
def test_bad_inputs(fn, args, kwargs, exc, message):
    assert_raises_both_modes(fn, args, kwargs, exc, message)
