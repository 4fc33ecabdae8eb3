"""Normalization in graph mode with unknown dimensions, up to the second derivative.

Each case builds ``y = f(x, params)`` on placeholders whose sizes (batch, channels, and the
parameters' own sizes) are unknown when the graph is built, then ``Graph.grad`` of
``sum(y * G)`` and the gradient of ``sum(g * U)`` over those gradients, runs it, and compares
every value and shape with the same computation in eager mode (whose first and second
derivatives the harness checks against numerical ones). A parameter of x's rank with an
unknown size may be 1 or x's size there: the gradients must come back in the parameter's
run-time shape (an offset gradient once came back with x's batch size).
"""

from __future__ import annotations

import numpy as np
import pytest

import nnfunc as nf


def _rng(seed=0):
    return np.random.default_rng(seed)


def _second_order_graph(fn, inputs, shapes):
    """Outputs, first and second derivatives through a graph with placeholders of ``shapes``."""
    rng = _rng(1)
    weights = [rng.standard_normal(o.shape) for o in _outs(fn(*inputs))]
    g = nf.Graph()
    phs = [g.placeholder(f"in{i}", s, a.dtype) for i, (a, s) in enumerate(zip(inputs, shapes))]
    ys = _outs(fn(*phs))
    first = g.grad(_dot(ys, weights), phs)
    upstream = [rng.standard_normal(a.shape) for a in inputs]
    second = g.grad(_dot(first, upstream), phs)
    feeds = {f"in{i}": a.copy() for i, a in enumerate(inputs)}
    return g.run([*ys, *first, *second], feeds)


def _second_order_eager(fn, inputs):
    rng = _rng(1)
    weights = [rng.standard_normal(o.shape) for o in _outs(fn(*inputs))]
    vs = [nf.Variable(a.copy(), requires_grad=True) for a in inputs]
    ys = _outs(fn(*vs))
    first = nf.grad(_dot(ys, weights), vs, create_graph=True)
    upstream = [rng.standard_normal(a.shape) for a in inputs]
    second = nf.grad(_dot(first, upstream), vs)
    return [v.data for v in (*ys, *first, *second)]


def _outs(y):
    return list(y) if isinstance(y, (tuple, list)) else [y]


def _dot(ys, ws):
    total = None
    for y, w in zip(ys, ws, strict=True):
        t = nf.sum(y * w)
        total = t if total is None else total + t
    return total


def _unknown(a):
    return (None,) * a.ndim


CASES = {
    # layer norm over (1, 2) with parameters of x's rank (1, 4, 5), every size unknown
    "layer_norm_full_rank_params": (
        lambda x, s, o: nf.layer_normalization(x, s, o, axis=(1, 2), eps=1e-3),
        lambda r: (
            r.standard_normal((3, 4, 5)),
            r.uniform(0.5, 1.5, (1, 4, 5)),
            r.standard_normal((1, 4, 5)),
        ),
        "all",
    ),
    # compact (4, 5) parameters with both sizes unknown: inserted axes, no -1 possible
    "layer_norm_compact_params": (
        lambda x, s, o: nf.layer_normalization(x, s, o, axis=(1, 2), eps=1e-3),
        lambda r: (
            r.standard_normal((3, 4, 5)),
            r.uniform(0.5, 1.5, (4, 5)),
            r.standard_normal((4, 5)),
        ),
        "all",
    ),
    # group norm (N, C, H, W): the view allows one unknown size of x (the batch); parameters
    # (1, C, 1, 1) and (C,) with every size unknown
    "group_norm_images": (
        lambda x, s, o: nf.group_normalization(x, 3, s, o, eps=1e-3),
        lambda r: (
            r.standard_normal((2, 6, 3, 4)) * 2 + 5,
            r.uniform(0.5, 1.5, (1, 6, 1, 1)),
            r.standard_normal(6),
        ),
        "batch",
    ),
    # batch norm with given statistics: compact, x's rank, two kept axes (compact (3, 2))
    "bn_given_compact": (
        lambda x, m, v, o, s: nf.batch_normalization(x, m, v, o, s, axis=1),
        lambda r: (r.standard_normal((2, 3, 4, 5)), *_stats(r, (3,))),
        "all",
    ),
    "bn_given_full_rank": (
        lambda x, m, v, o, s: nf.batch_normalization(x, m, v, o, s, axis=1),
        lambda r: (r.standard_normal((2, 3, 4, 5)), *_stats(r, (1, 3, 1, 1))),
        "all",
    ),
    "bn_given_two_axes": (
        lambda x, m, v, o, s: nf.batch_normalization(x, m, v, o, s, axis=(1, 3)),
        lambda r: (r.standard_normal((2, 3, 4, 2)), *_stats(r, (3, 2))),
        "all",
    ),
    "fused_bn_inference": (
        lambda x, m, v, o, s, z: nf.fused_batch_normalization(x, m, v, o, s, z, eps=1e-3),
        lambda r: (r.standard_normal((5, 3)), *_stats(r, (3,)), r.standard_normal((5, 3))),
        "all",
    ),
    # batch norm in training with its statistics as outputs; offset of x's rank (1, 2, 1, 2)
    "bn_training_output_stat": (
        lambda x, s, o: nf.batch_normalization(
            x, None, None, o, s, training=True, axis=(1, 3), eps=1e-2, output_stat=True
        ),
        lambda r: (
            r.standard_normal((3, 2, 4, 2)),
            r.uniform(0.5, 1.5, (2, 2)),
            r.standard_normal((1, 2, 1, 2)),
        ),
        "all",
    ),
}


def _stats(r, shape):
    """mean, variance, offset, scale."""
    return (
        r.standard_normal(shape),
        r.uniform(0.5, 1.5, shape),
        r.standard_normal(shape),
        r.uniform(0.5, 1.5, shape),
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_second_order_graph_with_unknown_dims_matches_eager(case):
    fn, make, which = CASES[case]
    inputs = make(_rng())
    if which == "all":
        shapes = [_unknown(a) for a in inputs]
    else:  # x's batch only (a group norm view holds one unknown size), every parameter size
        shapes = [(None, *inputs[0].shape[1:])] + [_unknown(a) for a in inputs[1:]]
    got = _second_order_graph(fn, inputs, shapes)
    want = _second_order_eager(fn, inputs)
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert a.shape == b.shape and a.dtype == b.dtype, (
            f"{case} value {i}: {a.shape} vs {b.shape}"
        )
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{case} value {i}")


def test_offset_gradient_takes_the_offset_shape_of_the_run():
    # A (None, 4, 5) offset fed as (1, 4, 5): 1 or the batch size is only known at run time.
    rng = _rng(2)
    x, o = rng.standard_normal((3, 4, 5)), rng.standard_normal((1, 4, 5))
    g = nf.Graph()
    px, po = g.placeholder("x", (None, 4, 5)), g.placeholder("o", (None, 4, 5))
    y = nf.layer_normalization(px, None, po, axis=(1, 2))
    (go,) = g.grad(nf.sum(y * y), [po])
    got = g.run(go, {"x": x.astype(np.float32), "o": o.astype(np.float32)})
    x64 = x - x.mean((1, 2), keepdims=True)
    yr = x64 / np.sqrt((x64**2).mean((1, 2), keepdims=True) + 1e-5) + o
    np.testing.assert_allclose(got, (2 * yr).sum(0, keepdims=True), rtol=1e-5, atol=1e-5)
