"""Independent float64 references of a 2-d convolution (sliding windows and a scatter), shared
by the direct-kernel tests: forward, input gradient, weight gradient; zero padding, where a
negative high pad crops."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _padded(x, lows, highs):
    """Zero padding; a negative high pad crops."""
    xp = np.pad(x, ((0, 0), (0, 0), (lows[0], max(highs[0], 0)), (lows[1], max(highs[1], 0))))
    return xp[:, :, : xp.shape[2] + min(highs[0], 0), : xp.shape[3] + min(highs[1], 0)]


def ref_forward(x, w, lows, highs, dil):
    kh, kw = w.shape[2:]
    xp = _padded(x.astype(np.float64), lows, highs)
    win = sliding_window_view(xp, (dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1), axis=(2, 3))
    win = win[..., :: dil[0], :: dil[1]]
    return np.einsum("nchwkl,ockl->nohw", win, w.astype(np.float64))


def ref_grad_input(gy, w, lows, highs, dil, size):
    n, _, ho, wo = gy.shape
    kh, kw = w.shape[2:]
    big = (size[0] + lows[0] + abs(highs[0]), size[1] + lows[1] + abs(highs[1]))
    buf = np.zeros((n, w.shape[1], *big))
    for a in range(kh):
        for b in range(kw):
            r, s = a * dil[0], b * dil[1]
            buf[:, :, r : r + ho, s : s + wo] += np.einsum(
                "nohw,oc->nchw", gy.astype(np.float64), w[:, :, a, b].astype(np.float64)
            )
    return buf[:, :, lows[0] : lows[0] + size[0], lows[1] : lows[1] + size[1]]


def ref_grad_weight(x, gy, kernel, lows, highs, dil):
    kh, kw = kernel
    xp = _padded(x.astype(np.float64), lows, highs)
    win = sliding_window_view(xp, (dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1), axis=(2, 3))
    win = win[..., :: dil[0], :: dil[1]]
    return np.einsum("nchwkl,nohw->ockl", win, gy.astype(np.float64))


def _rel(a, b):
    if not b.size:
        return 0.0
    scale = max(float(np.abs(b).max()), 1e-30)
    return float(np.abs(np.asarray(a, np.float64) - b).max() / scale)
