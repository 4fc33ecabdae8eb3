"""Graph gradients (first and second order) of every pooling function when the placeholder's
batch and spatial sizes are unknown: gradient nodes size themselves when the graph runs."""

import numpy as np
import pytest

import nnfunc as nf

CASES = {
    "max_pool same": lambda t: nf.max_pool(t, 3, stride=2, pad="same"),
    "avg_pool excluding pad": lambda t: nf.avg_pool(
        t, (3, 2), stride=1, pad=1, including_pad=False
    ),
    "avg_pool partial windows": lambda t: nf.avg_pool(t, (3, 2), stride=2, ignore_border=False),
    "sum_pool": lambda t: nf.sum_pool(t, 2, ignore_border=False),
    "global_avg_pool": nf.global_avg_pool,
    "global_avg_pool flat": lambda t: nf.global_avg_pool(t, keepdims=False),
    "unpool": lambda t: nf.unpool(t, (2, 2)),
    "max_pool_with_argmax": lambda t: nf.max_pool_with_argmax(t, 2)[0],
    "dilation2d": lambda t: nf.dilation2d(t, np.linspace(0, 1, 12).reshape(3, 2, 2), pad="same"),
    "erosion2d": lambda t: nf.erosion2d(t, np.linspace(0, 1, 12).reshape(3, 2, 2)),
}


@pytest.mark.parametrize("fn", list(CASES.values()), ids=list(CASES))
def test_graph_gradients_with_unknown_sizes(fn):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    graph = nf.Graph()
    p = graph.placeholder("x", (None, 3, None, None), np.float64)
    (gx,) = graph.grad(nf.sum(fn(p) ** 2), [p])
    (ggx,) = graph.grad(nf.sum(gx * gx), [p])
    got = graph.run([gx, ggx], {"x": x})
    v = nf.Variable(x, requires_grad=True)
    (e,) = nf.grad(nf.sum(fn(v) ** 2), [v], create_graph=True)
    (ee,) = nf.grad(nf.sum(e * e), [v])
    np.testing.assert_allclose(got[0], e.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], ee.data, rtol=1e-12, atol=1e-12)
