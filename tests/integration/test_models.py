"""Families working together: a CNN with batch norm, in the three calling modes."""

import numpy as np
import pytest

import nnfunc as nf


def make_params(rng):
    return {
        "w1": rng.normal(0, 0.5, (4, 1, 3, 3)),
        "b1": rng.normal(0, 0.1, 4),
        "gamma": rng.uniform(0.5, 1.5, 4),
        "beta": rng.normal(0, 0.1, 4),
        "w2": rng.normal(0, 0.3, (4 * 2 * 2, 3)),
        "b2": rng.normal(0, 0.1, 3),
    }


def model(p, x, labels):
    h = nf.conv(x, p["w1"], p["b1"], pad=1)
    mean = nf.mean(h, axis=(0, 2, 3), keepdims=True)
    var = nf.mean((h - mean) ** 2, axis=(0, 2, 3), keepdims=True)
    h = nf.batch_normalization(
        h,
        mean,
        var,
        nf.reshape(p["beta"], (1, 4, 1, 1)),
        nf.reshape(p["gamma"], (1, 4, 1, 1)),
        eps=1e-5,
    )
    h = nf.max_pool(nf.relu(h), 2)
    h = nf.reshape(h, (-1, 16))
    logits = nf.linear(h, p["w2"], p["b2"])
    return nf.mean(nf.sparse_softmax_cross_entropy_with_logits(logits, labels))


def reference_loss(p, x, labels):
    # Plain float64 NumPy, written without nnfunc.
    n, _, hh, ww = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    h = np.zeros((n, 4, hh, ww))
    for i in range(3):
        for j in range(3):
            h += np.einsum("nchw,oc->nohw", xp[:, :, i : i + hh, j : j + ww], p["w1"][:, :, i, j])
    h += p["b1"][None, :, None, None]
    mean = h.mean(axis=(0, 2, 3), keepdims=True)
    var = ((h - mean) ** 2).mean(axis=(0, 2, 3), keepdims=True)
    h = (h - mean) / np.sqrt(var + 1e-5) * p["gamma"][None, :, None, None]
    h = np.maximum(h + p["beta"][None, :, None, None], 0)
    h = h.reshape(n, 4, hh // 2, 2, ww // 2, 2).max(axis=(3, 5)).reshape(n, -1)
    z = h @ p["w2"] + p["b2"]
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(n), labels].mean()


@pytest.fixture
def setup():
    rng = np.random.default_rng(0)
    return make_params(rng), rng.normal(size=(5, 1, 4, 4)), np.array([0, 2, 1, 1, 0])


def test_arrays_match_reference(setup):
    p, x, labels = setup
    np.testing.assert_allclose(model(p, x, labels), reference_loss(p, x, labels), rtol=1e-10)


def test_eager_gradients_match_numerical(setup):
    from nnfunc.testing import check_backward

    p, x, labels = setup
    names = sorted(p)
    rng = np.random.default_rng(1)

    def loss(*arrays):
        return model(dict(zip(names, arrays, strict=True)), x, labels)

    check_backward(loss, [p[k] for k in names], tuple(range(len(names))), rng, rtol=1e-4)


def test_graph_gradients_equal_eager_for_two_batch_sizes(setup):
    p, x, labels = setup
    vs = {k: nf.Variable(v, requires_grad=True) for k, v in p.items()}
    g = nf.Graph()
    px = g.placeholder("x", (None, 1, 4, 4), np.float64)
    pl = g.placeholder("labels", (None,), np.int64)
    params = {k: g.parameter(k, v) for k, v in p.items()}
    loss = model(params, px, pl)
    names = sorted(p)
    grads = g.grad(loss, [params[k] for k in names])
    for n in (5, 3):
        feeds = {"x": x[:n], "labels": labels[:n]}
        values = g.run([loss, *grads], feeds)
        eager = nf.grad(model(vs, x[:n], labels[:n]), [vs[k] for k in names])
        np.testing.assert_allclose(values[0], reference_loss(p, x[:n], labels[:n]), rtol=1e-10)
        for got, want in zip(values[1:], eager, strict=True):
            np.testing.assert_allclose(got, want.data, rtol=1e-9, atol=1e-12)


def test_second_order_through_the_model(setup):
    # Hessian-vector product by double backward equals the difference of gradients.
    p, x, labels = setup
    names = sorted(p)
    rng = np.random.default_rng(2)
    v = {k: rng.normal(size=p[k].shape) for k in names}

    def grads(arrays, create_graph=False):
        vs = {k: nf.Variable(a, requires_grad=True) for k, a in arrays.items()}
        gs = nf.grad(model(vs, x, labels), [vs[k] for k in names], create_graph=create_graph)
        return vs, gs

    vs, gs = grads(p, create_graph=True)
    dot = sum(nf.sum(g * v[k]) for g, k in zip(gs, names, strict=True))
    hv = nf.grad(dot, [vs[k] for k in names])
    eps = 1e-6
    _, gp = grads({k: p[k] + eps * v[k] for k in names})
    _, gm = grads({k: p[k] - eps * v[k] for k in names})
    for h, a, b in zip(hv, gp, gm, strict=True):
        np.testing.assert_allclose(h.data, (a.data - b.data) / (2 * eps), rtol=1e-4, atol=1e-6)
