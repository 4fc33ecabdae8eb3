"""lstm, gru, rnn, sru: values against per-row NumPy loops, gradients (every input, states and
weights included), double backward, graph mode with unknown time and batch, the tape size."""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class

from ._reference import gru_dir, lstm_dir, rnn_dir, sru_seq

T, B, I, H = 3, 2, 3, 2  # noqa: E741
LENS = np.array([3, 1])


def _w(rng, *shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float64)


def _cat(outs, merge="concat"):
    if len(outs) == 1:
        return outs[0]
    if merge == "sum":
        return outs[0] + outs[1]
    return np.concatenate(outs, axis=-1)


# ------------------------------------------------------------------------------------ LSTM
def lstm_fn(x, wx, wh, b, h0, c0, peep, **kw):
    return nf.lstm(x, wx, wh, b, h0, c0, peephole=peep, **kw)


@parametrize_class(
    case=[
        ("forward", None, False),
        ("reverse", LENS, True),
        ("bidirectional", LENS, False),
        ("bidirectional", None, True),
    ],
    dtype=["float64", "float32"],
)
class TestLSTM(FunctionTestCase):
    function = staticmethod(lstm_fn)
    symbolic_dims = ()
    tolerances = {"float32": {"atol": 2e-6, "rtol": 1e-5}}  # noqa: RUF012

    def _d(self):
        return 2 if self.case[0] == "bidirectional" else 1

    def inputs(self, rng):
        d = self._d()
        arrs = (
            _w(rng, T, B, I, scale=1.0),
            _w(rng, d, I, 4 * H),
            _w(rng, d, H, 4 * H),
            _w(rng, d, 4 * H),
            _w(rng, 1, d, B, H),
            _w(rng, 1, d, B, H),
            _w(rng, d, 3 * H),
        )
        return tuple(a.astype(self.dtype) for a in arrs)

    def kwargs(self):
        direction, lengths, extras = self.case
        kw = {"direction": direction, "lengths": lengths}
        if extras:
            kw.update(forget_bias=0.7, cell_clip=0.6)
        return kw

    def expected(self, x, wx, wh, b, h0, c0, peep):
        direction, lengths, extras = self.case
        fb, clip = (0.7, 0.6) if extras else (0.0, 0.0)
        ys, hs, cs = [], [], []
        for d in range(self._d()):
            rev = d == 1 or direction == "reverse"
            y, h, c = lstm_dir(
                x, wx[d], wh[d], b[d], h0[0, d], c0[0, d], lengths, rev, peep[d], fb, clip
            )
            ys.append(y)
            hs.append(h)
            cs.append(c)
        dt = x.dtype
        return (
            _cat(ys).astype(dt),
            np.stack(hs)[None].astype(dt),
            np.stack(cs)[None].astype(dt),
        )


# ------------------------------------------------------------------------------------- GRU
@parametrize_class(
    case=[("forward", None, True), ("reverse", LENS, False), ("bidirectional", LENS, True)],
    dtype=["float64", "float32"],
)
class TestGRU(FunctionTestCase):
    function = staticmethod(nf.gru)
    symbolic_dims = ()
    tolerances = {"float32": {"atol": 2e-6, "rtol": 1e-5}}  # noqa: RUF012

    def _d(self):
        return 2 if self.case[0] == "bidirectional" else 1

    def inputs(self, rng):
        d = self._d()
        arrs = (
            _w(rng, T, B, I, scale=1.0),
            _w(rng, d, I, 3 * H),
            _w(rng, d, H, 3 * H),
            _w(rng, d, 3 * H),
            _w(rng, d, 3 * H),
            _w(rng, 1, d, B, H),
        )
        return tuple(a.astype(self.dtype) for a in arrs)

    def kwargs(self):
        direction, lengths, lbr = self.case
        return {"direction": direction, "lengths": lengths, "linear_before_reset": lbr}

    def expected(self, x, wx, wh, bx, bh, h0):
        direction, lengths, lbr = self.case
        ys, hs = [], []
        for d in range(self._d()):
            rev = d == 1 or direction == "reverse"
            y, h = gru_dir(x, wx[d], wh[d], bx[d], bh[d], h0[0, d], lengths, rev, lbr)
            ys.append(y)
            hs.append(h)
        return _cat(ys).astype(x.dtype), np.stack(hs)[None].astype(x.dtype)


# ------------------------------------------------------------------------------------- RNN
@parametrize_class(
    case=[("forward", None, "tanh"), ("bidirectional", LENS, "relu")],
    dtype=["float64", "float32"],
)
class TestRNN(FunctionTestCase):
    function = staticmethod(nf.rnn)
    symbolic_dims = ()
    kinks = (0.0,)
    tolerances = {"float32": {"atol": 2e-6, "rtol": 1e-5}}  # noqa: RUF012

    def _d(self):
        return 2 if self.case[0] == "bidirectional" else 1

    def inputs(self, rng):
        d = self._d()
        arrs = (
            _w(rng, T, B, I, scale=1.0),
            _w(rng, d, I, H),
            _w(rng, d, H, H),
            _w(rng, d, H),
            _w(rng, 1, d, B, H),
        )
        return tuple(a.astype(self.dtype) for a in arrs)

    def kwargs(self):
        direction, lengths, nl = self.case
        return {"direction": direction, "lengths": lengths, "nonlinearity": nl}

    def expected(self, x, wx, wh, b, h0):
        direction, lengths, nl = self.case
        ys, hs = [], []
        for d in range(self._d()):
            rev = d == 1 or direction == "reverse"
            y, h = rnn_dir(x, wx[d], wh[d], b[d], h0[0, d], lengths, rev, nl == "relu")
            ys.append(y)
            hs.append(h)
        return _cat(ys).astype(x.dtype), np.stack(hs)[None].astype(x.dtype)


# ------------------------------------------------------------------------------------- SRU
def sru_fn(x, w, b, c0, mask, **kw):
    return nf.sru(x, w, b, c0, mask=mask, **kw)


@parametrize_class(lengths=[None, LENS])
class TestSRU(FunctionTestCase):
    function = staticmethod(sru_fn)
    symbolic_dims = ()

    def inputs(self, rng):
        return (
            _w(rng, T, B, I, scale=1.0),
            _w(rng, I, 3 * I),
            _w(rng, 2 * I),
            _w(rng, B, I),
            rng.uniform(0.5, 1.5, (B, I)),
        )

    def kwargs(self):
        return {"lengths": self.lengths}

    def expected(self, x, w, b, c0, mask):
        return sru_seq(x, w, b, c0, mask, self.lengths)


def test_sru_in_a_graph_with_every_size_unknown():
    # the weight shapes are (n_in, 3 n_in) and (2 n_in,) from x's unknown input size: checked
    # when the graph runs (`3 * None` was a raw TypeError when it was built)
    rng = np.random.default_rng(0)
    x, w, b = _w(rng, T, B, I, scale=1.0), _w(rng, I, 3 * I), _w(rng, 2 * I)
    g = nf.Graph()
    with g:
        px = g.placeholder("x", (None, None, None), np.float64)
        pw = g.placeholder("w", (None, None), np.float64)
        pb = g.placeholder("b", (None,), np.float64)
        y, c = nf.sru(px, pw, pb, name="s")
    got_y, got_c = g.run([y, c], {"x": x, "w": w, "b": b})
    want_y, want_c = sru_seq(x, w, b, None)
    np.testing.assert_allclose(got_y, want_y, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got_c, want_c, rtol=1e-10, atol=1e-12)
    with pytest.raises(nf.ShapeError, match=r"sru \(node '.*'\): `b` must have shape"):
        g.run(y, {"x": x, "w": w, "b": b[:-1]})


# ------------------------------------------------------------------------------- the rest
def _lstm_args(rng, d=1, n_in=I):
    return (
        _w(rng, T, B, n_in, scale=1.0),
        _w(rng, d, n_in, 4 * H),
        _w(rng, d, H, 4 * H),
        _w(rng, d, 4 * H),
    )


def test_lstm_two_layers_bidirectional_matches_stacked_reference():
    rng = np.random.default_rng(1)
    x, wx0, wh0, b0 = _lstm_args(rng, 2)
    _, wx1, wh1, b1 = _lstm_args(rng, 2, 2 * H)
    y, h, c = nf.lstm(x, [wx0, wx1], [wh0, wh1], [b0, b1], direction="bidirectional")
    layer_in = x
    hs, cs = [], []
    for wx, wh, b in ((wx0, wh0, b0), (wx1, wh1, b1)):
        outs = [lstm_dir(layer_in, wx[d], wh[d], b[d], None, None, reverse=d == 1) for d in (0, 1)]
        layer_in = np.concatenate([o[0] for o in outs], axis=-1)
        hs.append([o[1] for o in outs])
        cs.append([o[2] for o in outs])
    np.testing.assert_allclose(y, layer_in, atol=1e-12)
    np.testing.assert_allclose(h, np.array(hs), atol=1e-12)
    np.testing.assert_allclose(c, np.array(cs), atol=1e-12)


@pytest.mark.parametrize("merge", ["sum", "stack"])
def test_lstm_merge_modes(merge):
    rng = np.random.default_rng(2)
    x, wx, wh, b = _lstm_args(rng, 2)
    y, _, _ = nf.lstm(x, wx, wh, b, direction="bidirectional", merge=merge)
    outs = [lstm_dir(x, wx[d], wh[d], b[d], None, None, reverse=d == 1)[0] for d in (0, 1)]
    want = outs[0] + outs[1] if merge == "sum" else np.stack(outs, axis=1)
    np.testing.assert_allclose(y, want, atol=1e-12)


@pytest.mark.parametrize("layout", ["BTF", "BFT"])
def test_layouts_transpose_input_and_output(layout):
    rng = np.random.default_rng(3)
    x, wx, wh, b = _lstm_args(rng)
    perm = (1, 0, 2) if layout == "BTF" else (1, 2, 0)
    y_t, h_t, _ = nf.lstm(x, wx, wh, b)
    y, h, _ = nf.lstm(np.transpose(x, perm), wx, wh, b, layout=layout)
    np.testing.assert_allclose(y, np.transpose(y_t, perm), atol=1e-12)
    np.testing.assert_allclose(h, h_t, atol=1e-12)


def test_gate_order_reorders_blocks():
    rng = np.random.default_rng(4)
    x, wx, wh, b = _lstm_args(rng)
    blocks = [slice(k * H, (k + 1) * H) for k in range(4)]  # i f g o

    def izfo(w):  # canonical -> [i, g, f, o]
        return np.concatenate([w[..., blocks[k]] for k in (0, 2, 1, 3)], axis=-1)

    want = nf.lstm(x, wx, wh, b)[0]
    got = nf.lstm(x, izfo(wx), izfo(wh), izfo(b), gate_order="izfo")[0]
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_lstm_other_activations_match_reference():
    rng = np.random.default_rng(5)
    x, wx, wh, b = _lstm_args(rng)
    y, _h, c = nf.lstm(
        x,
        wx,
        wh,
        b,
        gate_activation=("hard_sigmoid", 0.2, 0.5),
        cell_activation="softsign",
        output_activation=("scaled_tanh", 1.5, 0.5),
    )
    hh, cc = np.zeros((B, H)), np.zeros((B, H))
    for t in range(T):
        z = x[t] @ wx[0] + hh @ wh[0] + b[0]
        i, f, g, o = (z[:, k * H : (k + 1) * H] for k in range(4))
        i, f, o = (np.clip(0.2 * v + 0.5, 0, 1) for v in (i, f, o))
        g = g / (1 + np.abs(g))
        cc = f * cc + i * g
        hh = o * 1.5 * np.tanh(0.5 * cc)
        np.testing.assert_allclose(y[t], hh, atol=1e-12)
    np.testing.assert_allclose(c[0, 0], cc, atol=1e-12)


def test_cells_are_one_step_of_the_layers():
    rng = np.random.default_rng(6)
    x, wx, wh, b = _lstm_args(rng)
    h0, c0 = _w(rng, B, H), _w(rng, B, H)
    y, _, c = nf.lstm(x[:1], wx[0], wh[0], b[0], h0, c0)
    hc, cc = nf.lstm_cell(x[0], h0, c0, wx[0], wh[0], b[0])
    np.testing.assert_allclose(hc, y[0], atol=1e-14)
    np.testing.assert_allclose(cc, c[0, 0], atol=1e-14)
    gx, gh, gb = _w(rng, I, 3 * H), _w(rng, H, 3 * H), _w(rng, 3 * H)
    for lbr in (True, False):
        y, _ = nf.gru(x[:1], gx, gh, gb, gb, h0, linear_before_reset=lbr)
        got = nf.gru_cell(x[0], h0, gx, gh, gb, gb, linear_before_reset=lbr)
        np.testing.assert_allclose(got, y[0], atol=1e-14)
    w, bb = _w(rng, I, 3 * I), _w(rng, 2 * I)
    ys, _ = nf.sru(x[:1], w, bb, x[1])
    hs, _ = nf.sru_cell(x[0], x[1], w, bb)
    np.testing.assert_allclose(hs, ys[0], atol=1e-14)


def test_lstm_block_matches_lstm_with_concatenated_weights():
    rng = np.random.default_rng(7)
    x, wx, wh, b = _lstm_args(rng)
    peeps = [_w(rng, H) for _ in range(3)]
    w = np.concatenate([wx[0], wh[0]], axis=0)  # gate order i f g o ... pass as "ifgo"
    y, h, c = nf.lstm_block(
        x,
        w,
        b[0],
        w_ci=peeps[0],
        w_cf=peeps[1],
        w_co=peeps[2],
        forget_bias=1.0,
        gate_order="ifgo",
        lengths=LENS,
    )
    ry, rh, rc = lstm_dir(
        x, wx[0], wh[0], b[0], None, None, LENS, False, np.concatenate(peeps), 1.0
    )
    np.testing.assert_allclose(y, ry, atol=1e-12)
    np.testing.assert_allclose(h, rh, atol=1e-12)
    np.testing.assert_allclose(c, rc, atol=1e-12)


def test_graph_mode_unknown_time_and_batch():
    rng = np.random.default_rng(8)
    _x, wx, wh, b = _lstm_args(rng, 2)
    g = nf.Graph()
    px = g.placeholder("x", (None, None, I), np.float64)
    plen = g.placeholder("len", (None,), np.int64)
    y, h, _c = nf.lstm(px, wx, wh, b, direction="bidirectional", lengths=plen, name="l")
    assert y.shape == (None, None, 2 * H)
    assert h.shape == (1, 2, None, H)
    for t_len, lens in ((3, np.array([3, 1])), (5, np.array([2, 5, 4]))):
        xv = rng.standard_normal((t_len, len(lens), I))
        got = g.run([y, h], {"x": xv, "len": lens})
        want = [lstm_dir(xv, wx[d], wh[d], b[d], None, None, lens, d == 1) for d in (0, 1)]
        np.testing.assert_allclose(got[0], np.concatenate([w[0] for w in want], -1), atol=1e-12)
        np.testing.assert_allclose(got[1][0], np.stack([w[1] for w in want]), atol=1e-12)
        (gx,) = g.run(g.grad(nf.sum(y * y), [px]), {"x": xv, "len": lens})
        assert gx.shape == xv.shape


def test_one_node_per_layer_direction_on_the_tape():
    rng = np.random.default_rng(9)
    x = nf.Variable(rng.standard_normal((200, 2, I)), requires_grad=True)
    wx, wh = _w(rng, I, 4 * H), _w(rng, H, 4 * H)
    y, _, _ = nf.lstm(x, wx, wh)
    creator = y.node().creator
    assert creator.op_name == "lstm"
    assert creator.inputs[0] is x.node()  # x feeds the layer Function directly


@pytest.mark.parametrize("t_len,batch", [(0, 2), (3, 0)])
def test_empty_time_or_batch(t_len, batch):
    rng = np.random.default_rng(10)
    x = nf.Variable(np.zeros((t_len, batch, I)), requires_grad=True)
    wx = nf.Variable(_w(rng, I, 4 * H), requires_grad=True)
    h0 = nf.Variable(_w(rng, batch, H), requires_grad=True)
    y, h, _c = nf.lstm(x, wx, _w(rng, H, 4 * H), None, h0)
    assert y.shape == (t_len, batch, H) and h.shape == (1, 1, batch, H)
    gx, gw, gh = nf.grad(nf.sum(y) + nf.sum(h), [x, wx, h0])
    assert gx.shape == x.shape and gw.shape == wx.shape
    if t_len == 0:
        np.testing.assert_allclose(h.data[0, 0], h0.data)
        np.testing.assert_allclose(gh.data, np.ones((batch, H)))


def test_numba_and_numpy_kernels_agree(monkeypatch):
    from nnfunc.kernels.cpu import rnn as K

    rng = np.random.default_rng(11)
    args = [a.astype(np.float32) for a in _lstm_args(rng, 1)]
    gy = rng.standard_normal((T, B, H)).astype(np.float32)

    def run():
        vs = [nf.Variable(a, requires_grad=True) for a in args]
        y, _, _ = nf.lstm(*vs, lengths=LENS)
        yg, _ = nf.gru(args[0], args[1][..., : 3 * H], args[2][..., : 3 * H], lengths=LENS)
        yr, _ = nf.rnn(args[0], args[1][..., :H], args[2][..., :H], lengths=LENS)
        return [y.data, yg, yr, *(g.data for g in nf.grad(y, vs, grad_outputs=gy))]

    fast = run()
    monkeypatch.setattr(K, "_use_numba", lambda *a: False)
    slow = run()
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_allclose(a, b, atol=2e-6, rtol=1e-5)


def test_graph_double_backward_equals_eager():
    rng = np.random.default_rng(12)
    x, wx, wh = rng.standard_normal((3, 2, 2)), _w(rng, 2, 4 * H), _w(rng, H, 4 * H)
    g = nf.Graph()
    px = g.placeholder("x", (None, None, 2), np.float64)
    pw = g.placeholder("w", (2, 4 * H), np.float64)
    y = nf.lstm(px, pw, wh, lengths=LENS)[0]
    (gx,) = g.grad(nf.sum(y * y), [px])
    (gw,) = g.grad(nf.sum(gx * gx), [pw])
    got = g.run(gw, {"x": x, "w": wx})
    vx, vw = nf.Variable(x, requires_grad=True), nf.Variable(wx, requires_grad=True)
    y = nf.lstm(vx, vw, wh, lengths=LENS)[0]
    (ex,) = nf.grad(nf.sum(y * y), [vx], create_graph=True)
    (ew,) = nf.grad(nf.sum(ex * ex), [vw])
    np.testing.assert_allclose(got, ew.data, atol=1e-12)
    assert np.abs(ew.data).max() > 0


@pytest.mark.parametrize("fn,g", [(nf.lstm, 4), (nf.gru, 3), (nf.rnn, 1)])
def test_float16_is_computed_in_float32(fn, g):
    rng = np.random.default_rng(13)
    x, wx, wh = rng.standard_normal((5, 2, I)), _w(rng, I, g * H), _w(rng, H, g * H)
    want = fn(x, wx, wh)[0]
    vs = [nf.Variable(a.astype(np.float16), requires_grad=True) for a in (x, wx, wh)]
    y = fn(*vs)[0]
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.data, want, atol=2e-3)
    grads = nf.grad(nf.sum(y * y), vs)
    assert all(gr.dtype == np.float16 and np.all(np.isfinite(gr.data)) for gr in grads)


@pytest.mark.parametrize(
    ("direction", "dtype"),
    [("forward", "float32"), ("bidirectional", "float32"), ("reverse", "float64")],
)
def test_lstm_batch_slices_on_threads_match_reference_and_one_thread(monkeypatch, direction, dtype):
    # The time loop run on batch slices in parallel and the row-split GEMMs (thresholds lowered
    # so that this small case takes that path; uneven slices of 7 rows over 3 threads).
    from nnfunc.functions.recurrent import _layers as L

    rng = np.random.default_rng(21)
    t_len, batch, hid, d = 4, 7, 3, 2 if direction == "bidirectional" else 1
    x = rng.standard_normal((t_len, batch, I)).astype(dtype)
    wx, wh, b = (_w(rng, d, *s).astype(dtype) for s in ((I, 4 * hid), (hid, 4 * hid), (4 * hid,)))
    h0, c0 = (_w(rng, 1, d, batch, hid).astype(dtype) for _ in range(2))
    peep = _w(rng, d, 3 * hid).astype(dtype)
    lens = np.array([4, 1, 3, 0, 2, 4, 4])
    gy = rng.standard_normal((t_len, batch, d * hid)).astype(dtype)
    kw = {"lengths": lens, "forget_bias": 0.7, "cell_clip": 0.6}
    kw["direction"] = direction

    def run():
        vs = [nf.Variable(a, requires_grad=True) for a in (x, wx, wh, b, h0, c0, peep)]
        y, h, c = nf.lstm(*vs[:6], peephole=vs[6], **kw)
        return [y.data, h.data, c.data, *(g.data for g in nf.grad(y, vs, grad_outputs=gy))]

    monkeypatch.setenv("NNFUNC_NUM_THREADS", "1")
    one = run()
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "3")
    monkeypatch.setattr(L, "_MIN_ROWS", 2)
    monkeypatch.setattr(L, "_MIN_STEP_WORK", 1)
    monkeypatch.setattr(L, "_MIN_GEMM_WORK", 1)
    assert len(L._batch_ranges(np, batch, batch * hid * 4 * hid)) == 3
    many = run()
    rev = [direction == "reverse", True]
    for r in range(d):
        want = lstm_dir(x, wx[r], wh[r], b[r], h0[0, r], c0[0, r], lens, rev[r], peep[r], 0.7, 0.6)
        np.testing.assert_allclose(many[0][..., r * hid : (r + 1) * hid], want[0], atol=1e-5)
        np.testing.assert_allclose(many[1][0, r], want[1], atol=1e-5)
        np.testing.assert_allclose(many[2][0, r], want[2], atol=1e-5)
    for a, e in zip(many, one, strict=True):
        np.testing.assert_allclose(a, e, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_gru_batch_slices_on_threads_match_reference_and_one_thread(monkeypatch, direction):
    from nnfunc.functions.recurrent import _layers as L

    rng = np.random.default_rng(22)
    t_len, batch, hid, d = 4, 7, 3, 2 if direction == "bidirectional" else 1
    x = rng.standard_normal((t_len, batch, I)).astype(np.float32)
    shapes = ((I, 3 * hid), (hid, 3 * hid), (3 * hid,), (3 * hid,))
    wx, wh, bx, bh = (_w(rng, d, *s).astype(np.float32) for s in shapes)
    h0 = _w(rng, 1, d, batch, hid).astype(np.float32)
    lens = np.array([4, 1, 3, 0, 2, 4, 4])
    gy = rng.standard_normal((t_len, batch, d * hid)).astype(np.float32)

    def run():
        vs = [nf.Variable(a, requires_grad=True) for a in (x, wx, wh, bx, bh, h0)]
        y, h = nf.gru(*vs, lengths=lens, direction=direction)
        return [y.data, h.data, *(g.data for g in nf.grad(y, vs, grad_outputs=gy))]

    monkeypatch.setenv("NNFUNC_NUM_THREADS", "1")
    one = run()
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "3")
    monkeypatch.setattr(L, "_MIN_ROWS", 2)
    monkeypatch.setattr(L, "_MIN_STEP_WORK", 1)
    monkeypatch.setattr(L, "_MIN_GEMM_WORK", 1)
    assert len(L._batch_ranges(np, batch, batch * hid * 3 * hid)) == 3
    many = run()
    for r in range(d):
        want = gru_dir(x, wx[r], wh[r], bx[r], bh[r], h0[0, r], lens, r == 1)
        np.testing.assert_allclose(many[0][..., r * hid : (r + 1) * hid], want[0], atol=1e-5)
        np.testing.assert_allclose(many[1][0, r], want[1], atol=1e-5)
    for a, e in zip(many, one, strict=True):
        np.testing.assert_allclose(a, e, atol=1e-6, rtol=1e-6)
