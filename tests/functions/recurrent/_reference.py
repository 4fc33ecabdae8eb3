"""Independent float64 references of the recurrent layers: per-step, per-row NumPy loops.

Nothing here calls nnfunc. Each row of the batch is run on its own, skipping the steps past its
length, so the masking logic is not shared with the implementation.
"""

import numpy as np


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _order(t_len, reverse):
    return range(t_len - 1, -1, -1) if reverse else range(t_len)


def lstm_dir(x, wx, wh, b, h0, c0, lengths=None, reverse=False, peep=None, fb=0.0, clip=0.0):
    """One direction, time-major: y (T, B, H), h (B, H), c (B, H)."""
    x = np.asarray(x, np.float64)
    t_len, batch, _ = x.shape
    hs = wh.shape[0]
    y = np.zeros((t_len, batch, hs))
    h_out, c_out = np.zeros((batch, hs)), np.zeros((batch, hs))
    p = np.zeros(3 * hs) if peep is None else peep
    for r in range(batch):
        h = np.zeros(hs) if h0 is None else h0[r].astype(np.float64)
        c = np.zeros(hs) if c0 is None else c0[r].astype(np.float64)
        n = t_len if lengths is None else lengths[r]
        for t in _order(t_len, reverse):
            if t >= n:
                continue
            z = x[t, r] @ wx + h @ wh + (0 if b is None else b)
            i = sig(z[:hs] + p[:hs] * c)
            f = sig(z[hs : 2 * hs] + p[hs : 2 * hs] * c + fb)
            g = np.tanh(z[2 * hs : 3 * hs])
            c = f * c + i * g
            if clip > 0:
                c = np.clip(c, -clip, clip)
            o = sig(z[3 * hs :] + p[2 * hs :] * c)
            h = o * np.tanh(c)
            y[t, r] = h
        h_out[r], c_out[r] = h, c
    return y, h_out, c_out


def gru_dir(x, wx, wh, bx, bh, h0, lengths=None, reverse=False, lbr=True):
    x = np.asarray(x, np.float64)
    t_len, batch, _ = x.shape
    hs = wh.shape[0]
    bx = np.zeros(3 * hs) if bx is None else bx
    bh = np.zeros(3 * hs) if bh is None else bh
    y = np.zeros((t_len, batch, hs))
    h_out = np.zeros((batch, hs))
    for r in range(batch):
        h = np.zeros(hs) if h0 is None else h0[r].astype(np.float64)
        n_len = t_len if lengths is None else lengths[r]
        for t in _order(t_len, reverse):
            if t >= n_len:
                continue
            a = x[t, r] @ wx + bx
            rr = sig(a[:hs] + h @ wh[:, :hs] + bh[:hs])
            z = sig(a[hs : 2 * hs] + h @ wh[:, hs : 2 * hs] + bh[hs : 2 * hs])
            if lbr:
                n = np.tanh(a[2 * hs :] + rr * (h @ wh[:, 2 * hs :] + bh[2 * hs :]))
            else:
                n = np.tanh(a[2 * hs :] + (rr * h) @ wh[:, 2 * hs :] + bh[2 * hs :])
            h = (1 - z) * n + z * h
            y[t, r] = h
        h_out[r] = h
    return y, h_out


def rnn_dir(x, wx, wh, b, h0, lengths=None, reverse=False, relu=False):
    x = np.asarray(x, np.float64)
    t_len, batch, _ = x.shape
    hs = wh.shape[0]
    y = np.zeros((t_len, batch, hs))
    h_out = np.zeros((batch, hs))
    for r in range(batch):
        h = np.zeros(hs) if h0 is None else h0[r].astype(np.float64)
        n_len = t_len if lengths is None else lengths[r]
        for t in _order(t_len, reverse):
            if t >= n_len:
                continue
            z = x[t, r] @ wx + h @ wh + (0 if b is None else b)
            h = np.maximum(z, 0) if relu else np.tanh(z)
            y[t, r] = h
        h_out[r] = h
    return y, h_out


def sru_seq(x, w, b, c0, mask=None, lengths=None):
    x = np.asarray(x, np.float64)
    t_len, batch, n = x.shape
    y = np.zeros((t_len, batch, n))
    c_out = np.zeros((batch, n))
    for r in range(batch):
        c = np.zeros(n) if c0 is None else c0[r].astype(np.float64)
        m = np.ones(n) if mask is None else mask[r]
        n_len = t_len if lengths is None else lengths[r]
        for t in range(t_len):
            if t >= n_len:
                continue
            z = x[t, r] @ w
            f = sig(z[n : 2 * n] + b[:n])
            rr = sig(z[2 * n :] + b[n:])
            c = f * c + (1 - f) * z[:n]
            y[t, r] = rr * np.tanh(c) * m + (1 - rr) * x[t, r]
        c_out[r] = c
    return y, c_out
