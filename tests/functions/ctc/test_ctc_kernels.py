"""The numba CTC kernels and their NumPy twins agree (float32), and the dispatch honours
NNFUNC_DISABLE_NUMBA."""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import ctc as K

pytestmark = pytest.mark.skipif(not numba_enabled(), reason="numba is not installed")


@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("threads", [1, 3])
def test_numba_matches_numpy(merge, threads):
    rng = np.random.default_rng(0)
    n, t, c, m = 7, 40, 6, 12
    x = rng.normal(0, 3, (n, t, c)).astype(np.float32)
    labels = rng.integers(1, c, (n, m))
    labels[:, 1] = labels[:, 0]
    ll = rng.integers(0, m + 1, n)
    il = rng.integers(0, t + 1, n)
    il[0], ll[0] = t, m
    il[1], ll[1] = 3, m  # infeasible
    ext, el = K.extend_labels(np, labels, ll, 0)
    n1, a1, l1 = K.ctc_forward_numpy(x.astype(np.float64), ext, el, il, 0, merge)
    n2, a2, l2 = K.ctc_forward_numba(x, ext, el, il, 0, merge, threads=threads)
    assert n2.dtype == np.float32 and n2[1] == np.inf
    np.testing.assert_allclose(n2, n1, rtol=2e-6)
    gy = rng.normal(size=n)
    g1 = K.ctc_grad_numpy(x.astype(np.float64), ext, el, il, 0, merge, a1, l1, n1, gy)
    g2 = K.ctc_grad_numba(
        x, ext, el, il, 0, merge, a2, l2, n2, gy.astype(np.float32), threads=threads
    )
    np.testing.assert_allclose(g2, g1, atol=2e-5)
    assert (g2[1] == 0).all()


def test_time_major_strided_views(monkeypatch):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(9, 4, 5)).astype(np.float32)  # (T, N, C)
    labels, ll, il = rng.integers(1, 5, (4, 3)), np.array([3, 2, 0, 1]), np.array([9, 5, 2, 9])
    outs = []
    for disable in ("0", "1"):
        monkeypatch.setenv("NNFUNC_DISABLE_NUMBA", disable)
        v = nf.Variable(x, requires_grad=True)
        loss = nf.ctc_loss(labels, v, ll, il, logits_time_major=True)
        (g,) = nf.grad(nf.sum(loss), [v])
        outs.append((loss.data, g.data))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=2e-6)
    np.testing.assert_allclose(outs[0][1], outs[1][1], atol=2e-6)
