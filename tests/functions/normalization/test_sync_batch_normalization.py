import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.distributed import InProcessGroup, SingleProcessCommunicator, run_replicas


def _replica_run(x, g, b, rm, rv, w, comm, output_stat):
    xv = nf.Variable(x, requires_grad=True)
    gv = nf.Variable(g, requires_grad=True)
    bv = nf.Variable(b, requires_grad=True)
    kw = {"training": True, "decay": 0.7, "output_stat": output_stat, "axis": 1, "eps": 1e-3}
    if comm is None:
        out = nf.batch_normalization(xv, rm, rv, bv, gv, **kw)
    else:
        out = nf.sync_batch_normalization(xv, rm, rv, bv, gv, comm=comm, **kw)
    if output_stat:
        y, m, v = out
        loss = nf.sum(y * w) + nf.sum(m * 0.3) + nf.sum(v * 0.7)
    else:
        y = out
        loss = nf.sum(y * w)
    gx, gg, gb = nf.grad(loss, [xv, gv, bv])
    return y.data, gx.data, gg.data, gb.data


@pytest.mark.parametrize("output_stat", [False, True])
@pytest.mark.parametrize("sizes", [(2, 5, 1), (3, 3), (3, 0, 2)])
def test_replicas_match_concatenated_batch(sizes, output_stat):
    rng = np.random.default_rng(7)
    xs = [rng.standard_normal((n, 3, 4)) * 3 + 2 for n in sizes]
    ws = [rng.standard_normal(x.shape) for x in xs]
    g, b = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    rms = [np.zeros(3) for _ in sizes]
    rvs = [np.ones(3) for _ in sizes]

    def replica(comm):
        r = comm.rank
        return _replica_run(xs[r], g, b, rms[r], rvs[r], ws[r], comm, output_stat)

    results = run_replicas(replica, InProcessGroup(len(sizes)))

    x = np.concatenate(xs)
    rm, rv = np.zeros(3), np.ones(3)
    y_ref, gx_ref, gg_ref, gb_ref = _replica_run(
        x, g, b, rm, rv, np.concatenate(ws), None, output_stat
    )
    # each replica's sum(m * 0.3) counts the shared statistics once per replica
    if output_stat and len(sizes) > 1:
        xv = nf.Variable(x, requires_grad=True)
        gv = nf.Variable(g, requires_grad=True)
        bv = nf.Variable(b, requires_grad=True)
        y, m, v = nf.batch_normalization(
            xv, None, None, bv, gv, training=True, output_stat=True, eps=1e-3
        )
        k = len(sizes)
        loss = nf.sum(y * np.concatenate(ws)) + k * (nf.sum(m * 0.3) + nf.sum(v * 0.7))
        gx_ref, gg_ref, gb_ref = (a.data for a in nf.grad(loss, [xv, gv, bv]))
    ys = np.concatenate([r[0] for r in results])
    gxs = np.concatenate([r[1] for r in results])
    np.testing.assert_allclose(ys, y_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gxs, gx_ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(sum(r[2] for r in results), gg_ref, rtol=1e-10)
    np.testing.assert_allclose(sum(r[3] for r in results), gb_ref, rtol=1e-10)
    for a, c in zip(rms, rvs, strict=True):
        np.testing.assert_allclose(a, rm, rtol=1e-12)
        np.testing.assert_allclose(c, rv, rtol=1e-12)


def test_replicas_double_backward_matches_concatenated_batch():
    rng = np.random.default_rng(8)
    xs = [rng.standard_normal((n, 2)) for n in (3, 1, 4)]
    ws = [rng.standard_normal(x.shape) for x in xs]

    def run(x, w, comm):
        xv = nf.Variable(x, requires_grad=True)
        if comm is None:
            y = nf.batch_normalization(xv, training=True, eps=1e-2)
        else:
            y = nf.sync_batch_normalization(xv, comm=comm, training=True, eps=1e-2)
        (g,) = nf.grad(nf.sum(y * y * w), [xv], create_graph=True)
        (gg,) = nf.grad(nf.sum(g * g), [xv])
        return g.data, gg.data

    results = run_replicas(lambda c: run(xs[c.rank], ws[c.rank], c), 3)
    g_ref, gg_ref = run(np.concatenate(xs), np.concatenate(ws), None)
    np.testing.assert_allclose(np.concatenate([r[0] for r in results]), g_ref, rtol=1e-9)
    # the double-backward objective sum(g*g) is summed over replicas in the reference
    np.testing.assert_allclose(np.concatenate([r[1] for r in results]), gg_ref, rtol=1e-8)


def _graph_replica(x, w, g0, b0, comm, output_stat):
    """One replica as a Graph: sync BN (BN when comm is None), its gradients, running stats."""
    g = nf.Graph()
    xs = g.placeholder("x", (None, *x.shape[1:]), x.dtype)
    ws = g.placeholder("w", (None, *x.shape[1:]), x.dtype)
    gam, bet = g.parameter("gamma", g0.copy()), g.parameter("beta", b0.copy())
    rm, rv = g.parameter("rm", np.zeros(g0.shape)), g.parameter("rv", np.ones(g0.shape))
    kw = {"training": True, "decay": 0.7, "eps": 1e-3, "output_stat": output_stat, "name": "bn"}
    if comm is None:
        out = nf.batch_normalization(xs, rm, rv, bet, gam, **kw)
    else:
        out = nf.sync_batch_normalization(xs, rm, rv, bet, gam, comm=comm, **kw)
    y = out[0] if output_stat else out
    loss = nf.sum(y * ws)
    if output_stat:
        loss = loss + nf.sum(out[1] * 0.3) + nf.sum(out[2] * 0.7)
    (gx,) = g.grad(nf.sum(y * ws), [xs])
    grads = g.grad(loss, [xs, gam, bet])
    # a second-order term: d/dx sum(gx**2) of the first gradient
    (ggx,) = g.grad(nf.sum(gx * gx), [xs])
    values = g.run([y, *grads, ggx], {"x": x, "w": w})
    return values, g.get_value("rm"), g.get_value("rv")


@pytest.mark.parametrize("output_stat", [False, True])
def test_graph_mode_replicas_match_concatenated_batch(output_stat):
    rng = np.random.default_rng(11)
    sizes = (2, 5, 1)
    xs = [rng.standard_normal((n, 3, 4)) * 3 + 2 for n in sizes]
    ws = [rng.standard_normal(x.shape) for x in xs]
    g0, b0 = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)

    def replica(comm):
        r = comm.rank
        return _graph_replica(xs[r], ws[r], g0, b0, comm, output_stat)

    results = run_replicas(replica, InProcessGroup(len(sizes)))
    x, w = np.concatenate(xs), np.concatenate(ws)
    (y, gx, gg, gb, ggx), rm, rv = _graph_replica(x, w, g0, b0, None, output_stat)
    if output_stat:  # each replica's loss counts the shared statistics once
        xv, gv, bv = (nf.Variable(a, requires_grad=True) for a in (x, g0, b0))
        y_, m_, v_ = nf.batch_normalization(
            xv, None, None, bv, gv, training=True, eps=1e-3, output_stat=True
        )
        loss = nf.sum(y_ * w) + len(sizes) * (nf.sum(m_ * 0.3) + nf.sum(v_ * 0.7))
        gx, gg, gb = (a.data for a in nf.grad(loss, [xv, gv, bv]))
    np.testing.assert_allclose(np.concatenate([r[0][0] for r in results]), y, rtol=1e-10)
    np.testing.assert_allclose(np.concatenate([r[0][1] for r in results]), gx, rtol=1e-9)
    np.testing.assert_allclose(sum(r[0][2] for r in results), gg, rtol=1e-10)
    np.testing.assert_allclose(sum(r[0][3] for r in results), gb, rtol=1e-10)
    np.testing.assert_allclose(np.concatenate([r[0][4] for r in results]), ggx, rtol=1e-8)
    # one update per run, although the run also computes first and second gradients
    np.testing.assert_allclose(rm, 0.3 * x.mean(axis=(0, 2)), rtol=1e-12)
    np.testing.assert_allclose(rv, 0.7 + 0.3 * x.var(axis=(0, 2), ddof=1), rtol=1e-12)
    for _, a, c in results:
        np.testing.assert_allclose(a, rm, rtol=1e-12)
        np.testing.assert_allclose(c, rv, rtol=1e-12)


def test_single_process_equals_batch_normalization():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((4, 3))
    y = nf.sync_batch_normalization(x, comm=SingleProcessCommunicator(), training=True)
    np.testing.assert_allclose(y, nf.batch_normalization(x, training=True), rtol=1e-12)


class _CountingComm(SingleProcessCommunicator):
    calls = 0

    def all_reduce(self, array, group="world"):
        self.calls += 1
        return super().all_reduce(array, group)


def test_no_communication_without_batch_statistics():
    comm = _CountingComm()
    x = nf.Variable(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = nf.sync_batch_normalization(x, np.zeros(3), np.ones(3), comm=comm, training=False)
    nf.sum(y * y).backward()
    assert comm.calls == 0
    np.testing.assert_allclose(y.data, x.data / np.sqrt(1 + 1e-5))
    nf.sync_batch_normalization(x.data, comm=comm, training=True)
    assert comm.calls == 2


def test_no_communication_without_batch_statistics_in_graph():
    comm = _CountingComm()
    g = nf.Graph()
    x = g.placeholder("x", (None, 3), np.float64)
    y = nf.sync_batch_normalization(x, np.zeros(3), np.ones(3), comm=comm, name="bn")
    (gx,) = g.grad(nf.sum(y * y), [x])
    g.run([y, gx], {"x": np.ones((4, 3))})
    assert comm.calls == 0


class _BadComm:
    def __init__(self, size, rank):
        self.size, self.rank = size, rank

    def all_reduce(self, a, group="world"):
        return a


@pytest.mark.parametrize(
    "comm, kwargs, exc, message",
    [
        (
            _BadComm(0, 0),
            {},
            nf.ArgumentError,
            "sync_batch_normalization: `comm` must have size >= 1; received comm.size=0.",
        ),
        (
            _BadComm(2, 2),
            {},
            nf.ArgumentError,
            "sync_batch_normalization: `comm` must have a rank in [0, size); received "
            "comm.rank=2, comm.size=2.",
        ),
        (
            object(),
            {},
            nf.ArgumentError,
            "sync_batch_normalization: `comm` must be a communicator with size, rank and "
            "all_reduce; received comm=",
        ),
        (
            SingleProcessCommunicator(),
            {"group": "node"},
            nf.ArgumentError,
            "sync_batch_normalization: `group` must be one of 'world'; received group='node'.",
        ),
        (
            SingleProcessCommunicator(),
            {"mean": None, "training": False},
            nf.ArgumentError,
            "sync_batch_normalization: `mean` must be given when training=False",
        ),
    ],
)
def test_bad_input(comm, kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        nf.sync_batch_normalization(np.ones((2, 3)), comm=comm, **{"training": True, **kwargs})
    g = nf.Graph()
    x = g.placeholder("x", (None, 3), np.float64)
    op, _, rest = message.partition(": ")
    with pytest.raises(exc, match=re.escape(f"{op} (node 'sbn'): {rest}")):
        nf.sync_batch_normalization(x, comm=comm, name="sbn", **{"training": True, **kwargs})
