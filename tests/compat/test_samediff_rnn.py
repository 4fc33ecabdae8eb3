"""samediff.rnn: the six ops against per-row NumPy references, their config and weight classes,
and the bad-input table (exact messages, eager and graph)."""

import importlib.util
import pathlib

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat.samediff import rnn
from nnfunc.testing import assert_raises_both_modes
from nnfunc.testing.gradient_check import check_backward

_spec = importlib.util.spec_from_file_location(
    "rnn_reference", pathlib.Path(__file__).parents[1] / "functions/recurrent/_reference.py"
)
R = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(R)

T, N, NIN, NOUT = 4, 3, 2, 3
LENS = np.array([4, 2, 0])


def _rng(seed=0):
    return np.random.default_rng(seed)


def _layer_weights(rng, bidir, peep=True):
    d = (2,) if bidir else ()
    return rnn.LSTMLayerWeights(
        inputWeights=rng.standard_normal((*d, NIN, 4 * NOUT)) * 0.5,
        recurrentWeights=rng.standard_normal((*d, NOUT, 4 * NOUT)) * 0.5,
        biases=rng.standard_normal((*d, 4 * NOUT)) * 0.5,
        peepholeWeights=rng.standard_normal((*d, 3 * NOUT)) * 0.5 if peep else None,
    )


TO_TNS = {"TNS": (0, 1, 2), "NTS": (1, 0, 2), "NST": (2, 0, 1), "T2NS": (0, 1, 2)}
FROM_TNS = {"TNS": (0, 1, 2), "NTS": (1, 0, 2), "NST": (1, 2, 0)}


@pytest.mark.parametrize("fmt", ["TNS", "NTS", "NST"])
@pytest.mark.parametrize("mode", ["FWD", "BWD", "BIDIR_SUM", "BIDIR_CONCAT"])
def test_lstm_layer_formats_and_directions(fmt, mode):
    rng = _rng(1)
    bidir = mode.startswith("BIDIR")
    w = _layer_weights(rng, bidir)
    x_tns = rng.standard_normal((T, N, NIN))
    d = (2,) if bidir else ()
    c0 = rng.standard_normal((*d, N, NOUT))
    h0 = rng.standard_normal((*d, N, NOUT))
    cfg = rnn.LSTMLayerConfig(
        LSTMDataFormat=fmt,
        LSTMDirectionMode=mode,
        retFullSequence=True,
        retLastH=True,
        retLastC=True,
        cellClip=0.8,
    )
    x = np.transpose(x_tns, np.argsort(TO_TNS[fmt]))
    y, h_last, c_last = rnn.lstmLayer(x, c0, h0, LENS.astype(np.float64), w, cfg)
    outs = []
    for k in range(2 if bidir else 1):
        sel = (lambda a, k=k: a[k]) if bidir else (lambda a: a)
        outs.append(
            R.lstm_dir(
                x_tns,
                sel(w.inputWeights),
                sel(w.recurrentWeights),
                sel(w.biases),
                sel(h0),
                sel(c0),
                LENS,
                k == 1 or mode == "BWD",
                sel(w.peepholeWeights),
                0.0,
                0.8,
            )
        )
    if mode == "BIDIR_SUM":
        want = outs[0][0] + outs[1][0]
    else:
        want = np.concatenate([o[0] for o in outs], axis=-1)
    np.testing.assert_allclose(y, np.transpose(want, FROM_TNS[fmt]), atol=1e-12)
    hl = np.stack([o[1] for o in outs]) if bidir else outs[0][1]
    cl = np.stack([o[2] for o in outs]) if bidir else outs[0][2]
    np.testing.assert_allclose(h_last, hl, atol=1e-12)
    np.testing.assert_allclose(c_last, cl, atol=1e-12)
    if fmt == "NTS":  # zero past each length
        assert np.all(y[1, 2:] == 0) and np.all(y[2] == 0)


def test_lstm_layer_t2ns_extra_dim_and_return_flags():
    rng = _rng(2)
    w = _layer_weights(rng, True, peep=False)
    x = rng.standard_normal((T, N, NIN))
    cfg = rnn.LSTMLayerConfig(dataFormat="T2NS", directionMode=4)
    (y,) = rnn.lstmLayer(x, w, cfg)
    assert y.shape == (T, 2, N, NOUT)
    for k in (0, 1):
        ref = R.lstm_dir(
            x, w.inputWeights[k], w.recurrentWeights[k], w.biases[k], None, None, reverse=k == 1
        )
        np.testing.assert_allclose(y[:, k], ref[0], atol=1e-12)
    only_c = rnn.LSTMLayerConfig(retFullSequence=False, retLastC=True)
    w1 = _layer_weights(rng, False)
    (c,) = rnn.lstmLayer(x, w1, only_c)
    assert c.shape == (N, NOUT)


def test_lstm_layer_activations_config():
    rng = _rng(3)
    w = _layer_weights(rng, False, peep=False)
    x = rng.standard_normal((T, N, NIN))
    cfg = rnn.LSTMLayerConfig(
        gateAct="HARD_SIGMOID",
        gateAlpha=0.2,
        gateBeta=0.5,
        cellAct="SOFTSIGN",
        outAct="SCALED_TAHN",
        outAlpha=1.5,
        outBeta=0.5,
    )
    (y,) = rnn.lstmLayer(x, w, cfg)
    want = nf.lstm(
        x,
        w.inputWeights,
        w.recurrentWeights,
        w.biases,
        gate_activation=("hard_sigmoid", 0.2, 0.5),
        cell_activation="softsign",
        output_activation=("scaled_tanh", 1.5, 0.5),
    )[0]
    np.testing.assert_allclose(y, want, atol=1e-14)


def test_lstm_layer_gradients_reach_weights_and_states():
    rng = _rng(4)
    w = _layer_weights(rng, True)
    x = rng.standard_normal((3, 2, NIN))
    c0, h0 = rng.standard_normal((2, 2, NOUT)), rng.standard_normal((2, 2, NOUT))
    cfg = rnn.LSTMLayerConfig(LSTMDirectionMode="BIDIR_CONCAT", retLastH=True)

    def f(x, c0, h0, wx, wr, b, p):
        weights = rnn.LSTMLayerWeights(
            inputWeights=wx, recurrentWeights=wr, biases=b, peepholeWeights=p
        )
        return rnn.lstmLayer(x, c0, h0, np.array([3, 2]), weights, cfg)

    args = [x, c0, h0, w.inputWeights, w.recurrentWeights, w.biases, w.peepholeWeights]
    check_backward(f, args, tuple(range(7)), rng)


def _lstm_weights(rng, n_in=NIN, n=NOUT):
    return rnn.LSTMWeights(
        ruWeight=rng.standard_normal((n_in + n, 4 * n)) * 0.5,
        inputPeepholeWeights=rng.standard_normal(n) * 0.5,
        forgetPeepholeWeights=rng.standard_normal(n) * 0.5,
        outputPeepholeWeights=rng.standard_normal(n) * 0.5,
        bias=rng.standard_normal(4 * n) * 0.5,
    )


def _izfo_to_ifgo(w):
    b = [w[..., k * NOUT : (k + 1) * NOUT] for k in range(4)]  # i z f o
    return np.concatenate([b[0], b[2], b[1], b[3]], axis=-1)


def test_lstm_cell_outputs_in_libnd4j_order():
    rng = _rng(5)
    w = _lstm_weights(rng)
    x, c, y = (
        rng.standard_normal((N, NIN)),
        rng.standard_normal((N, NOUT)),
        rng.standard_normal((N, NOUT)),
    )
    cfg = rnn.LSTMConfiguration(peepHole=True, forgetBias=1.0, clippingCellValue=0.9)
    i, cs, f, o, z, h, yy = rnn.lstmCell(x, c, y, w, cfg)
    ru = _izfo_to_ifgo(w.ruWeight)
    peep = np.concatenate(
        [w.inputPeepholeWeights, w.forgetPeepholeWeights, w.outputPeepholeWeights]
    )
    _, rh, rc = R.lstm_dir(
        x[None], ru[:NIN], ru[NIN:], _izfo_to_ifgo(w.bias), y, c, peep=peep, fb=1.0, clip=0.9
    )
    np.testing.assert_allclose(cs, rc, atol=1e-12)
    np.testing.assert_allclose(yy, rh, atol=1e-12)
    np.testing.assert_allclose(h, np.tanh(rc), atol=1e-12)
    zz = x @ w.ruWeight[:NIN] + y @ w.ruWeight[NIN:] + w.bias
    np.testing.assert_allclose(z, np.tanh(zz[:, NOUT : 2 * NOUT]), atol=1e-12)
    np.testing.assert_allclose(yy, o * h, atol=1e-12)
    assert i.shape == f.shape == (N, NOUT)


@pytest.mark.parametrize("fmt", ["TNS", "NTS", "NST"])
def test_lstmblock_overloads(fmt):
    rng = _rng(6)
    w = _lstm_weights(rng)
    x_tns = rng.standard_normal((T, N, NIN))
    x = np.transpose(x_tns, np.argsort(TO_TNS[fmt]))
    c0, y0 = rng.standard_normal((N, NOUT)), rng.standard_normal((N, NOUT))
    cfg = rnn.LSTMConfiguration(RnnDataFormat=fmt, peepHole=True, forgetBias=0.5)
    y = rnn.lstmblock(np.full(N, T), x, c0, y0, w, cfg)
    ru = _izfo_to_ifgo(w.ruWeight)
    peep = np.concatenate(
        [w.inputPeepholeWeights, w.forgetPeepholeWeights, w.outputPeepholeWeights]
    )
    ref = R.lstm_dir(x_tns, ru[:NIN], ru[NIN:], _izfo_to_ifgo(w.bias), y0, c0, peep=peep, fb=0.5)
    np.testing.assert_allclose(y, np.transpose(ref[0], FROM_TNS[fmt]), atol=1e-12)
    y_short = rnn.lstmblock(x, w, rnn.LSTMConfiguration(RnnDataFormat=fmt))
    assert y_short.shape == x.shape[:-1] + (NOUT,) if fmt != "NST" else y_short.shape[1] == NOUT


def test_gru_is_one_cho_step():
    rng = _rng(7)
    x, h = rng.standard_normal((N, NIN)), rng.standard_normal((N, NOUT))
    w = rnn.GRUWeights(
        ruWeight=rng.standard_normal((NIN + NOUT, 2 * NOUT)),
        cWeight=rng.standard_normal((NIN + NOUT, NOUT)),
        ruBias=rng.standard_normal(2 * NOUT),
        cBias=rng.standard_normal(NOUT),
    )
    r, u, c, hh = rnn.gru(x, h, w)
    ru = R.sig(np.concatenate([x, h], 1) @ w.ruWeight + w.ruBias)
    rr, uu = ru[:, :NOUT], ru[:, NOUT:]
    cc = np.tanh(np.concatenate([x, rr * h], 1) @ w.cWeight + w.cBias)
    for got, want in ((r, rr), (u, uu), (c, cc), (hh, (1 - uu) * cc + uu * h)):
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_sru_sequence_and_cell():
    rng = _rng(8)
    k = 3
    x_nst = rng.standard_normal((N, k, T))
    c0 = rng.standard_normal((N, k))
    mask = rng.uniform(0, 2, (N, k))
    w_seq = rnn.SRUWeights(weights=rng.standard_normal((3 * k, k)), bias=rng.standard_normal(2 * k))
    h = rnn.sru(x_nst, c0, mask, w_seq)
    ref, _ = R.sru_seq(np.transpose(x_nst, (2, 0, 1)), w_seq.weights.T, w_seq.bias, c0, mask)
    np.testing.assert_allclose(h, np.transpose(ref, (1, 2, 0)), atol=1e-12)
    h2 = rnn.sru("named", x_nst, c0, w_seq)
    ref2, _ = R.sru_seq(np.transpose(x_nst, (2, 0, 1)), w_seq.weights.T, w_seq.bias, c0)
    np.testing.assert_allclose(h2, np.transpose(ref2, (1, 2, 0)), atol=1e-12)
    w_cell = rnn.SRUWeights(weights=w_seq.weights.T.copy(), bias=w_seq.bias)
    hc = rnn.sruCell(x_nst[..., 0], c0, w_cell)
    np.testing.assert_allclose(hc, ref2[0], atol=1e-12)


def test_graph_mode_named_overload():
    rng = _rng(9)
    w = _layer_weights(rng, False)
    g = nf.Graph()
    px = g.placeholder("x", (None, None, NIN), np.float64)
    cfg = rnn.LSTMLayerConfig(LSTMDataFormat="NTS", retLastH=True)
    y, h = rnn.lstmLayer("layer", px, w, cfg)
    xv = rng.standard_normal((2, 5, NIN))
    got = g.run([y, h], {"x": xv})
    want = rnn.lstmLayer(xv, w, cfg)
    np.testing.assert_allclose(got[0], want[0], atol=1e-14)
    np.testing.assert_allclose(got[1], want[1], atol=1e-14)
    assert "layer:0" in g


def test_config_classes_enums_and_aliases():
    cfg = rnn.LSTMLayerConfig(
        lstmdataformat=rnn.LSTMDataFormat.NST, directionMode=rnn.LSTMDirectionMode.BWD
    )
    assert cfg.dataFormat is rnn.LSTMDataFormat.NST
    assert cfg.directionMode is rnn.LSTMDirectionMode.BWD
    assert (cfg.gateAct, cfg.cellAct, cfg.outAct) == (
        rnn.LSTMActivations.SIGMOID,
        rnn.LSTMActivations.TANH,
        rnn.LSTMActivations.TANH,
    )
    c = rnn.LSTMConfiguration(rnnDataFormat="NTS", clippingCellValue=2.0)
    assert c.RnnDataFormat is rnn.RnnDataFormat.NTS and c.clippingCellValue == 2.0
    assert rnn.LSTMConfiguration(dataFormat=rnn.RnnDataFormat.NST).RnnDataFormat.name == "NST"


A = nf.ArgumentError
S = nf.ShapeError
D = nf.DTypeError

CONFIG_TABLE = [
    (
        lambda: rnn.LSTMLayerConfig(LSTMDataFormat="TSN"),
        A,
        "LSTMLayerConfig: `LSTMDataFormat` must be one of 'TNS', 'NST', 'NTS', 'T2NS'; "
        "received LSTMDataFormat='TSN'.",
    ),
    (
        lambda: rnn.LSTMLayerConfig(LSTMDirectionMode="BIDIR"),
        A,
        "LSTMLayerConfig: `LSTMDirectionMode` must be one of 'FWD', 'BWD', 'BIDIR_SUM', "
        "'BIDIR_CONCAT', 'BIDIR_EXTRA_DIM'; received LSTMDirectionMode='BIDIR'.",
    ),
    (
        lambda: rnn.LSTMLayerConfig(gateAct="SWISH"),
        A,
        "LSTMLayerConfig: `gateAct` must be one of 'TANH', 'RELU', 'SIGMOID', 'AFFINE', "
        "'LEAKY_RELU', 'THRESHHOLD_RELU', 'SCALED_TAHN', 'HARD_SIGMOID', 'ELU', 'SOFTSIGN', "
        "'SOFTPLUS'; received gateAct='SWISH'.",
    ),
    (
        lambda: rnn.LSTMConfiguration(RnnDataFormat="T2NS"),
        A,
        "LSTMConfiguration: `RnnDataFormat` must be one of 'TNS', 'NST', 'NTS'; "
        "received RnnDataFormat='T2NS'.",
    ),
    (
        lambda: rnn.LSTMLayerConfig(dataFormat="TNS", LSTMDataFormat="NTS"),
        A,
        "LSTMLayerConfig: `LSTMDataFormat` must be given once (its aliases: dataFormat, "
        "lstmdataformat); received given=['LSTMDataFormat', 'dataFormat'].",
    ),
    (
        lambda: rnn.LSTMLayerConfig(cellClip=-1.0),
        A,
        "LSTMLayerConfig: `cellClip` must be in [0, inf); received cellClip=-1.0.",
    ),
    (
        lambda: rnn.LSTMLayerConfig(retFullSequence=False),
        A,
        "LSTMLayerConfig: retFullSequence, retLastH or retLastC must be True; received "
        "retFullSequence=False, retLastH=False, retLastC=False.",
    ),
]


@pytest.mark.parametrize("make,exc,message", CONFIG_TABLE)
def test_config_bad_values(make, exc, message):
    with pytest.raises(exc) as info:
        make()
    assert str(info.value) == message


_RNG = _rng(10)
_X = _RNG.standard_normal((T, N, NIN))
_W = _layer_weights(_RNG, False)
_WB = _layer_weights(_RNG, True)
_FWD = rnn.LSTMLayerConfig()
_LW = _lstm_weights(_RNG)

OP_TABLE = [
    (
        rnn.lstmLayer,
        (
            _X,
            rnn.LSTMLayerWeights(
                inputWeights=_W.inputWeights,
                recurrentWeights=np.zeros((NIN, 4 * NOUT)),
                biases=_W.biases,
            ),
            _FWD,
        ),
        S,
        "lstmLayer: `recurrentWeights` must have shape (2, 8) (LSTMDirectionMode FWD; "
        "[nOut, 4*nOut] with nOut 2 (the seed's [nIn, 4*nOut] is a documentation error)); "
        "received recurrentWeights.shape=(2, 12).",
    ),
    (
        rnn.lstmLayer,
        (_X, _W, rnn.LSTMLayerConfig(LSTMDirectionMode="BIDIR_CONCAT")),
        S,
        "lstmLayer: `recurrentWeights` must have rank 3 (LSTMDirectionMode BIDIR_CONCAT is "
        "bidirectional); received recurrentWeights.shape=(3, 12).",
    ),
    (
        rnn.lstmLayer,
        (_X[..., :1], _W, _FWD),
        S,
        "lstmLayer: `inputWeights` must have shape (1, 12) (LSTMDirectionMode FWD; nIn 1 from x, "
        "nOut 3 from recurrentWeights); received inputWeights.shape=(2, 12).",
    ),
    (
        rnn.lstmLayer,
        (
            _X,
            rnn.LSTMLayerWeights(
                inputWeights=_W.inputWeights,
                recurrentWeights=_W.recurrentWeights,
                peepholeWeights=np.zeros(6),
            ),
            rnn.LSTMLayerConfig(LSTMDirectionMode="BWD"),
        ),
        S,
        "lstmLayer: `peepholeWeights` must have shape (9,) (directionMode 1 < 2; nOut 3 from "
        "recurrentWeights); received peepholeWeights.shape=(6,).",
    ),
    (
        rnn.lstmLayer,
        (_X, _W, rnn.LSTMLayerConfig(LSTMDataFormat="T2NS")),
        A,
        "lstmLayer: LSTMDataFormat T2NS must go with LSTMDirectionMode BIDIR_EXTRA_DIM (and "
        "BIDIR_EXTRA_DIM with T2NS); received LSTMDataFormat='T2NS', LSTMDirectionMode='FWD'.",
    ),
    (
        rnn.lstmLayer,
        (_X, _WB, rnn.LSTMLayerConfig(LSTMDirectionMode="BIDIR_EXTRA_DIM")),
        A,
        "lstmLayer: LSTMDataFormat T2NS must go with LSTMDirectionMode BIDIR_EXTRA_DIM (and "
        "BIDIR_EXTRA_DIM with T2NS); received LSTMDataFormat='TNS', "
        "LSTMDirectionMode='BIDIR_EXTRA_DIM'.",
    ),
    (
        rnn.lstmLayer,
        (_X, np.zeros((N, 2)), None, None, _W, _FWD),
        S,
        "lstmLayer: `cLast` must have shape (3, 3) (LSTMDirectionMode FWD; batch from x, nOut 3 "
        "from recurrentWeights); received cLast.shape=(3, 2).",
    ),
    (
        rnn.lstmLayer,
        (_X, _FWD, _W),
        D,
        "lstmLayer: `LSTMLayerWeights` must be a LSTMLayerWeights; "
        "received LSTMLayerWeights='LSTMLayerConfig'.",
    ),
    (
        rnn.lstmLayer,
        (_X, _W),
        A,
        "lstmLayer: number of arguments must be 3 or 6 (besides the name); received count=2.",
    ),
    (
        rnn.lstmCell,
        (
            _X[0],
            np.zeros((N, NOUT)),
            np.zeros((N, NOUT)),
            rnn.LSTMWeights(ruWeight=np.zeros((4, 12))),
            rnn.LSTMConfiguration(),
        ),
        S,
        "lstmCell: `ruWeight` must have shape [(inSize + numUnits), 4*numUnits] with inSize 2 "
        "from x; received ruWeight.shape=(4, 12).",
    ),
    (
        rnn.lstmCell,
        (
            _X[0],
            np.zeros((N, NOUT)),
            np.zeros((N, NOUT)),
            rnn.LSTMWeights(ruWeight=_LW.ruWeight),
            rnn.LSTMConfiguration(peepHole=True),
        ),
        D,
        "lstmCell: `inputPeepholeWeights` must be a tensor (LSTMConfiguration peepHole is True); "
        "received inputPeepholeWeights=None.",
    ),
    (
        rnn.lstmCell,
        (_X[0], np.zeros((N, 2)), np.zeros((N, NOUT)), _LW, rnn.LSTMConfiguration()),
        S,
        "lstmCell: `cLast` must have shape (3, 3) (batch from x, numUnits 3 from ruWeight); "
        "received cLast.shape=(3, 2).",
    ),
    (
        rnn.gru,
        (
            _X[0],
            np.zeros((N, NOUT)),
            rnn.GRUWeights(
                ruWeight=np.zeros((5, 4)),
                cWeight=np.zeros((5, 3)),
                ruBias=np.zeros(6),
                cBias=np.zeros(3),
            ),
        ),
        S,
        "gru: `ruWeight` must have shape (5, 6) (inSize 2 from x, numUnits 3 from hLast); "
        "received ruWeight.shape=(5, 4).",
    ),
    (
        rnn.sru,
        (
            np.zeros((N, 2, T)),
            np.zeros((N, 2)),
            rnn.SRUWeights(weights=np.zeros((2, 6)), bias=np.zeros(4)),
        ),
        S,
        "sru: `weights` must have shape (6, 2) ([3*inSize, inSize], inSize 2 from x); "
        "received weights.shape=(2, 6).",
    ),
    (
        rnn.sruCell,
        (
            np.zeros((N, 2)),
            np.zeros((N, 3)),
            rnn.SRUWeights(weights=np.zeros((2, 6)), bias=np.zeros(4)),
        ),
        S,
        "sru_cell: `c` must have shape (3, 2) (batch and input size 2 from x); "
        "received c.shape=(3, 3).",
    ),
]


@pytest.mark.parametrize("fn,args,exc,message", OP_TABLE)
def test_op_bad_inputs(fn, args, exc, message):
    assert_raises_both_modes(fn, args, {}, exc, message)


@pytest.mark.parametrize("lengths,bad", [([4, 5, 1], 5), ([4, -1, 1], -1)])
def test_max_ts_length_outside_the_sequence(lengths, bad):
    with pytest.raises(A) as info:
        rnn.lstmLayer(_X, None, None, np.array(lengths), _W, _FWD)
    assert str(info.value) == (
        "lstmLayer: `maxTSLength` must hold lengths in [0, 4] (the time dimension); "
        f"received maxTSLength={bad}."
    )
    # in a graph the values are known when it runs: the layer node checks them then
    g = nf.Graph()
    pl = g.placeholder("len", (N,), np.int64)
    (y,) = rnn.lstmLayer("bad", _X, None, None, pl, _W, _FWD)
    with pytest.raises(A) as info:
        g.run(y, {"len": np.array(lengths)})
    assert str(info.value) == (
        "lstm (node 'bad.l0'): `lengths` must hold lengths in [0, 4] (the time dimension); "
        f"received lengths={bad}."
    )
