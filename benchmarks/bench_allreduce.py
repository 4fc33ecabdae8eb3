"""All-reduce between MPI ranks: nnfunc's MPICommunicator against mpi4py's raw ``Allreduce``.

Run: ``python benchmarks/bench_allreduce.py`` (it starts itself under ``mpiexec -n 2``), or
``mpiexec -n N python benchmarks/bench_allreduce.py``. Needs the mpi extra.

Each round times one nnfunc call and one raw call on the same buffer, interleaved, after a
barrier; the table gives medians, the effective bandwidth (the algorithm bandwidth
``bytes / time``) and the ratio nnfunc / raw. nnfunc's layer adds one small ``Allgather`` of
shape metadata (the mismatch check) and an output allocation; ``check_shapes=False`` removes the
first. The last rows time the gradient synchronisation of the distributed demo's CNN per step
(``all_reduce_gradients``: packing, one call, unpacking) against one raw ``Allreduce`` of a flat
buffer of the same size. "new result" rows compare a call that returns a fresh array with a raw
call into a fresh ``np.empty_like``; "out=" rows reuse one output buffer on both sides.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import _common  # noqa: F401  (puts the checkout's src/ on sys.path)
import numpy as np

import nnfunc as nf
from nnfunc.distributed import MPICommunicator, all_reduce_gradients


def _median_pair(comm, ours, raw, repeat):
    t_ours, t_raw = [], []
    ours()
    raw()
    for _ in range(repeat):
        comm.barrier()
        t0 = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - t0)
        comm.barrier()
        t0 = time.perf_counter()
        raw()
        t_raw.append(time.perf_counter() - t0)
    # the slowest rank decides a collective's time
    med = np.array([np.median(t_ours), np.median(t_raw)])
    every = comm.all_gather(med)
    worst = np.max(np.stack(every), axis=0)
    return float(worst[0]), float(worst[1])


def main() -> None:
    comm = MPICommunicator()
    if comm.size == 1 and not os.environ.get("NNFUNC_BENCH_CHILD"):
        mpiexec = Path(sys.executable).with_name("mpiexec")
        env = dict(os.environ, NNFUNC_BENCH_CHILD="1")
        sys.exit(
            subprocess.call(
                [
                    str(mpiexec) if mpiexec.exists() else "mpiexec",
                    "-n",
                    "2",
                    sys.executable,
                    __file__,
                ],
                env=env,
            )
        )
    MPI = comm.MPI
    rows = []
    for mb in (1, 16, 64):
        n = mb * (1 << 20) // 4
        x = np.random.default_rng(comm.rank).random(n, dtype=np.float32)
        out = np.empty_like(x)
        repeat = 30 if mb == 1 else 10
        cases = [
            (
                "new result",
                lambda x=x: comm.all_reduce(x),
                lambda x=x: comm.comm.Allreduce(x, np.empty_like(x), op=MPI.SUM),
            ),
            (
                "out=",
                lambda x=x, out=out: comm.all_reduce(x, out=out),
                lambda x=x, out=out: comm.comm.Allreduce(x, out, op=MPI.SUM),
            ),
        ]
        for checked in (True, False):
            comm.check_shapes = checked
            for how, ours, raw in cases:
                t_ours, t_raw = _median_pair(comm, ours, raw, repeat)
                label = f"all_reduce {mb} MB float32, {how}" + (
                    "" if checked else ", check_shapes=False"
                )
                rows.append((label, t_ours, t_raw, x.nbytes))
    comm.check_shapes = True

    from nnfunc._cli.demo_distributed import init_cnn_bn

    params, _ = init_cnn_bn(np.random.default_rng(0), 64, 10)
    for p in params.values():
        p.grad = np.ones_like(p.data)
    flat = np.ones(sum(p.data.size for p in params.values()), np.float32)
    flat_out = np.empty_like(flat)

    def sync():
        all_reduce_gradients(params, comm)

    for checked in (True, False):
        comm.check_shapes = checked
        t_ours, t_raw = _median_pair(
            comm, sync, lambda: comm.comm.Allreduce(flat, flat_out, op=MPI.SUM), 50
        )
        rows.append(
            (
                f"demo CNN gradient sync ({len(params)} params, {flat.nbytes // 1024} KB)"
                + ("" if checked else ", check_shapes=False"),
                t_ours,
                t_raw,
                flat.nbytes,
            )
        )
    if comm.rank == 0:
        print(f"{comm.size} ranks, nnfunc {nf.__version__}, MPI {MPI.Get_library_version()[:40]!r}")
        print(f"{'case':<52} {'nnfunc':>10} {'mpi4py':>10} {'GB/s':>7} {'ratio':>6}")
        for label, a, b, nbytes in rows:
            print(
                f"{label:<52} {a * 1e3:8.3f}ms {b * 1e3:8.3f}ms "
                f"{nbytes / a / 1e9:7.2f} {a / b:6.2f}"
            )


if __name__ == "__main__":
    main()
