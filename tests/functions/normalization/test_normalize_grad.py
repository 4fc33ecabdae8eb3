"""Second derivatives through NormalizeGrad (the fused first-order gradient of the
normalizations), on every path its forward takes: the row kernel, the channel kernel, NumPy
with groups, statistics outputs and a communicator. Reference: central differences of the
first-order gradients, in float64."""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.distributed import SingleProcessCommunicator


def _weighted(outs, r):
    if isinstance(outs, tuple):  # (y, mean, variance): weight every output
        return nf.sum(outs[0] * r) + nf.sum(outs[1] * 1.3) + nf.sum(outs[2] * 0.7)
    return nf.sum(outs * r)


def _first(fn, arrays, r):
    vs = [nf.Variable(a, requires_grad=True) for a in arrays]
    return vs, nf.grad(_weighted(fn(*vs), r), vs, create_graph=True)


CASES = {
    "layer_rows": (lambda x, g, b: nf.layer_normalization(x, g, b, axis=(1, 2)), (2, 3, 4), 4),
    "batch_channels": (
        lambda x, g, b: nf.batch_normalization(x, None, None, b, g, training=True),
        (3, 2, 4, 5),
        2,
    ),
    "batch_stats": (
        lambda x, g, b: nf.batch_normalization(
            x, None, None, b, g, training=True, output_stat=True
        ),
        (4, 3),
        3,
    ),
    "group_view": (lambda x, g, b: nf.group_normalization(x, 2, g, b), (2, 4, 3), 4),
    "sync_stats": (
        lambda x, g, b: nf.sync_batch_normalization(
            x, None, None, b, g, comm=SingleProcessCommunicator(), training=True, output_stat=True
        ),
        (4, 3),
        3,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_second_derivatives_match_central_differences(case):
    fn, shape, c = CASES[case]
    rng = np.random.default_rng(5)
    param_shape = (shape[1], shape[2]) if case == "layer_rows" else (c,)
    arrays = [rng.standard_normal(shape), rng.standard_normal(param_shape) + 2.0]
    arrays.append(rng.standard_normal(param_shape))
    r = rng.standard_normal(shape)
    ws = [rng.standard_normal(a.shape) for a in arrays]
    vs, gs = _first(fn, arrays, r)
    hs = nf.grad(sum(nf.sum(g * w) for g, w in zip(gs, ws, strict=True)), vs)
    h = 1e-6
    for k, a in enumerate(arrays):
        num = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            for sign in (1.0, -1.0):
                moved = [b.copy() for b in arrays]
                moved[k][idx] += sign * h
                _, g2 = _first(fn, moved, r)
                val = sum(float(np.sum(g.data * w)) for g, w in zip(g2, ws, strict=True))
                num[idx] += sign * val / (2 * h)
        np.testing.assert_allclose(hs[k].data, num, rtol=1e-5, atol=1e-6, err_msg=f"input {k}")


def test_graph_mode_recomputes_the_statistics():
    """Graph.grad has no forward statistics to reuse; the result equals the eager one."""
    rng = np.random.default_rng(6)
    x, gy = rng.standard_normal((3, 2, 4, 5)), rng.standard_normal((3, 2, 4, 5))
    xv = nf.Variable(x, requires_grad=True)
    nf.batch_normalization(xv, None, None, None, None, training=True).backward(gy)
    graph = nf.Graph()
    xs = graph.placeholder("x", (None, 2, 4, 5), np.float64)
    gys = graph.placeholder("gy", (None, 2, 4, 5), np.float64)
    y = nf.batch_normalization(xs, None, None, None, None, training=True)
    (gx,) = graph.grad(y, [xs], [gys])
    np.testing.assert_allclose(graph.run(gx, {"x": x, "gy": gy}), xv.grad.data, rtol=1e-10)
