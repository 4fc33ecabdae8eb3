"""Runs under ``mpiexec -n N`` (launched by test_mpi.py); prints one ``OK <scenario>`` per check.

Every rank runs the same scenarios in the same order; a failed check raises, and the abort hook
of MPICommunicator takes every rank down with it (the launcher sees a non-zero exit).
"""

from __future__ import annotations

import sys

import numpy as np

import nnfunc as nf
from nnfunc.distributed import (
    MPICommunicator,
    SingleProcessCommunicator,
    all_reduce_gradients,
    broadcast_parameters,
    shard,
)
from nnfunc.errors import ArgumentError


def collectives(comm: MPICommunicator) -> None:
    r, n = comm.rank, comm.size
    total = comm.all_reduce(np.arange(5, dtype=np.float32) * (r + 1))
    np.testing.assert_array_equal(total, np.arange(5, dtype=np.float32) * n * (n + 1) / 2)
    assert total.dtype == np.float32
    zero_d = comm.all_reduce(np.asarray(float(r)))
    assert zero_d.shape == () and float(zero_d) == n * (n - 1) / 2
    gathered = comm.all_gather(np.array([r, 2 * r]))
    assert [g.tolist() for g in gathered] == [[k, 2 * k] for k in range(n)]
    np.testing.assert_array_equal(comm.broadcast(np.full(3, r), root=n - 1), np.full(3, n - 1))
    comm.barrier()
    comm.new_group("firsttwo", [0, 1])
    assert comm.find_group("firsttwo") == [0, 1]
    assert comm.list_groups()["world"] == list(range(n))
    if r < 2:
        assert "firsttwo" in comm.groups
        np.testing.assert_array_equal(comm.all_reduce(np.ones(2), "firsttwo"), [2.0, 2.0])
    else:
        assert "firsttwo" not in comm.groups


def mismatch(comm: MPICommunicator) -> None:
    shape = (2, 3) if comm.rank != 1 else (3, 2)
    try:
        comm.all_reduce(np.zeros(shape, np.float32))
    except ArgumentError as exc:
        expected = (
            "all_reduce: `array` must have the same shape and dtype on every rank; received "
            "rank 0 shape=(2, 3), rank 0 dtype='float32', rank 1 shape=(3, 2), "
            "rank 1 dtype='float32'."
        )
        assert str(exc) == expected, str(exc)
    else:
        raise AssertionError("no ArgumentError for mismatched shapes")
    try:
        comm.all_reduce(np.zeros(3, np.float32 if comm.rank == 0 else np.float64))
    except ArgumentError as exc:
        assert "rank 1 dtype='float64'" in str(exc), str(exc)
    else:
        raise AssertionError("no ArgumentError for mismatched dtypes")


def sync_bn(comm: MPICommunicator) -> None:
    rng = np.random.default_rng(0)
    sizes = [3 + k for k in range(comm.size)]  # unequal shards
    full = rng.normal(size=(sum(sizes), 4, 5)).astype(np.float64)
    gamma = rng.normal(size=4)
    beta = rng.normal(size=4)
    gy_full = rng.normal(size=full.shape)
    start = sum(sizes[: comm.rank])
    part = slice(start, start + sizes[comm.rank])

    def run(x, communicator, gy):
        xv = nf.Variable(x, requires_grad=True)
        g = nf.Variable(gamma, requires_grad=True)
        b = nf.Variable(beta, requires_grad=True)
        mean, var = np.zeros(4), np.ones(4)
        y = nf.sync_batch_normalization(xv, mean, var, b, g, comm=communicator, training=True)
        gx, gg, gb = nf.grad(y, [xv, g, b], grad_outputs=gy)
        return y.data, gx.data, gg.data, gb.data, mean, var

    mine = run(full[part], comm, gy_full[part])
    ref = run(full, SingleProcessCommunicator(), gy_full)
    np.testing.assert_allclose(mine[0], ref[0][part], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mine[1], ref[1][part], rtol=1e-9, atol=1e-12)
    # parameter gradients: each rank holds its shard's part; their sum is the full gradient
    np.testing.assert_allclose(comm.all_reduce(mine[2]), ref[2], rtol=1e-9)
    np.testing.assert_allclose(comm.all_reduce(mine[3]), ref[3], rtol=1e-9)
    np.testing.assert_allclose(mine[4], ref[4], rtol=1e-10)  # running statistics
    np.testing.assert_allclose(mine[5], ref[5], rtol=1e-10)


def data_parallel_step(comm: MPICommunicator) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(10, 6))
    labels = rng.integers(0, 3, size=10)
    w0 = rng.normal(size=(6, 3))
    gamma0 = np.ones(6)

    def step(communicator, rows):
        w = nf.Variable(w0 + communicator.rank, requires_grad=True)  # rank 0's values must win
        g = nf.Variable(gamma0.copy(), requires_grad=True)
        broadcast_parameters([w, g], communicator)
        h = nf.sync_batch_normalization(
            x[rows], None, None, None, g, comm=communicator, axis=1, training=True
        )
        loss = nf.mean(nf.sparse_softmax_cross_entropy_with_logits(nf.matmul(h, w), labels[rows]))
        loss.backward()
        all_reduce_gradients([w, g], communicator, weight=len(x[rows]))
        return w.data - 0.1 * w.grad, g.data - 0.1 * g.grad

    mine = step(comm, np.arange(10)[shard(10, comm)])
    ref = step(SingleProcessCommunicator(), np.arange(10))
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def main() -> None:
    comm = MPICommunicator()
    if sys.argv[1:] == ["abort"]:
        if comm.rank == 1:
            raise RuntimeError("rank 1 fails before the collective")
        comm.all_reduce(np.ones(1))  # would wait forever without the abort hook
        return
    for scenario in (collectives, mismatch, sync_bn, data_parallel_step):
        scenario(comm)
        comm.barrier()
        if comm.rank == 0:
            print(f"OK {scenario.__name__} size={comm.size}", flush=True)


if __name__ == "__main__":
    main()
