"""Attention in graph mode with every dimension unknown, up to the second derivative.

Only the ranks are known when the graph is built: the numbers of query and key heads (grouped
queries), the head size H (the default scale ``1 / sqrt(H)``) and the projected size E of
multi-head attention come from the run. Before, the second order raised a raw TypeError
(``N // K`` of two None) and an unknown H or E silently gave the scale 1 (wrong outputs of
multi-head attention, wrong second derivatives of a one-head layout). Each case compares the
graph's outputs, first and second derivatives with eager mode (whose derivatives the harness
checks against numerical ones).
"""

from __future__ import annotations

import numpy as np
import pytest

import nnfunc as nf


def _outs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def _dot(ys, ws):
    total = None
    for y, w in zip(ys, ws, strict=True):
        t = nf.sum(y * w)
        total = t if total is None else total + t
    return total


def _derivatives(fn, inputs, graph):
    """Outputs, first and second derivatives (w.r.t. the float inputs) in graph or eager mode."""
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(o.shape) for o in _outs(fn(*inputs))]
    floats = [i for i, a in enumerate(inputs) if a.dtype.kind == "f"]
    upstream = [rng.standard_normal(inputs[i].shape) for i in floats]
    if graph:
        g = nf.Graph()
        xs = [g.placeholder(f"in{i}", (None,) * a.ndim, a.dtype) for i, a in enumerate(inputs)]
        ys = _outs(fn(*xs))
        first = g.grad(_dot(ys, weights), [xs[i] for i in floats])
        second = g.grad(_dot(first, upstream), [xs[i] for i in floats])
        feeds = {f"in{i}": a for i, a in enumerate(inputs)}
        return g.run([*ys, *first, *second], feeds)
    xs = [nf.Variable(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    ys = _outs(fn(*xs))
    first = nf.grad(_dot(ys, weights), [xs[i] for i in floats], create_graph=True)
    second = nf.grad(_dot(first, upstream), [xs[i] for i in floats])
    return [v.data for v in (*ys, *first, *second)]


def _mha(need_weights):
    def fn(q, k, v, wq, wk, wv, wo):
        return nf.multi_head_attention(q, k, v, 2, wq, wk, wv, wo, need_weights=need_weights)

    return fn


CASES = {
    # 4 query heads reading 2 key heads; default scale 1 / sqrt(3)
    "grouped_query": (
        lambda q, k, v: nf.dot_product_attention(q, k, v),
        ((2, 3, 4, 3), (2, 5, 2, 3), (2, 5, 2, 2)),
    ),
    "grouped_query_causal_lengths": (
        lambda q, k, v, n: nf.dot_product_attention(q, k, v, is_causal=True, key_lengths=n),
        ((2, 3, 4, 3), (2, 5, 2, 3), (2, 5, 2, 2), np.array([5, 2], np.int32)),
    ),
    # one head (a rank-3 layout): the head axis is known, H is not
    "one_head_BHT": (
        lambda q, k, v: nf.dot_product_attention(q, k, v, layout="BHT"),
        ((2, 4, 3), (2, 4, 5), (2, 4, 5)),
    ),
    # E = 4 unknown: scale 1 / sqrt(E / N) from the run, kernel and explicit paths
    "multi_head": (_mha(False), ((2, 3, 5), (2, 4, 6), (2, 4, 7), (5, 4), (6, 4), (7, 6), (6, 3))),
    "multi_head_weights": (
        _mha(True),
        ((2, 3, 5), (2, 4, 6), (2, 4, 7), (5, 4), (6, 4), (7, 6), (6, 3)),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_second_order_graph_with_every_dim_unknown_matches_eager(case):
    fn, shapes = CASES[case]
    rng = np.random.default_rng(0)
    inputs = [s if isinstance(s, np.ndarray) else rng.standard_normal(s) * 0.7 for s in shapes]
    got = _derivatives(fn, inputs, graph=True)
    want = _derivatives(fn, inputs, graph=False)
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert a.shape == b.shape and a.dtype == b.dtype, (
            f"{case} value {i}: {a.shape} vs {b.shape}"
        )
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11, err_msg=f"{case} value {i}")
