"""MPI communicator and data-parallel helpers.

The unit tests run everywhere on the in-process group (a fake N-rank communicator on threads);
the tests marked ``mpi`` launch real processes with ``mpiexec`` and skip where it is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnfunc as nf
from nnfunc._cli import demo
from nnfunc._cli.demo_distributed import train_data_parallel
from nnfunc.distributed import (
    InProcessGroup,
    SingleProcessCommunicator,
    all_reduce_gradients,
    broadcast_parameters,
    run_replicas,
    shard,
)
from nnfunc.errors import ArgumentError

WORKER = Path(__file__).with_name("mpi_worker.py")


def _mpiexec() -> str | None:
    here = Path(sys.executable).with_name("mpiexec")  # the mpich wheel installs it beside python
    return str(here) if here.exists() else shutil.which("mpiexec")


def _have_mpi4py() -> bool:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


needs_mpi = pytest.mark.skipif(
    _mpiexec() is None or not _have_mpi4py(), reason="mpiexec or mpi4py not installed"
)


class Counting(SingleProcessCommunicator):
    def __init__(self):
        self.calls = 0

    def _all_reduce(self, array, group):
        self.calls += 1
        return array.copy()


# ------------------------------------------------------------------ helpers on a fake group
def test_shard_covers_every_item_once():
    for size in (1, 2, 3, 7):
        for n in (0, 1, 5, 10, 13):
            parts = [shard(n, c) for c in InProcessGroup(size).communicators]
            items = np.concatenate([np.arange(n)[s] for s in parts])
            np.testing.assert_array_equal(items, np.arange(n))
            sizes = [len(range(n)[s]) for s in parts]
            assert max(sizes) - min(sizes) <= 1


def test_gradients_packed_into_one_call_per_dtype():
    comm = Counting()
    params = [nf.Variable(np.ones((3, 4), np.float32), requires_grad=True) for _ in range(20)]
    params += [nf.Variable(np.ones(2), requires_grad=True)]
    for p in params:
        p.grad = np.full(p.shape, 2.0, p.data.dtype)
    all_reduce_gradients(params, comm)
    assert comm.calls == 2  # float32 and float64
    for p in params:
        np.testing.assert_array_equal(p.grad, np.full(p.shape, 2.0))
        assert p.grad.dtype == p.data.dtype
    comm.calls = 0
    all_reduce_gradients(params[:20], comm, bucket_bytes=100)  # 48 bytes each: 2 per bucket
    assert comm.calls == 10


def test_weighted_average_equals_the_global_mean_gradient():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 3))
    w0 = rng.normal(size=3)

    def grad_of(rows):
        w = nf.Variable(w0.copy(), requires_grad=True)
        nf.mean(nf.matmul(x[rows], w) ** 2).backward()
        return w

    full = grad_of(np.arange(7)).grad

    def replica(comm):
        rows = np.arange(7)[shard(7, comm)]
        w = grad_of(rows)
        all_reduce_gradients([w], comm, weight=len(rows))
        return w.grad

    for out in run_replicas(replica, InProcessGroup(3)):
        np.testing.assert_allclose(out, full, rtol=1e-12)


def test_missing_gradient_counts_as_zero_and_sum_mode():
    def replica(comm):
        p = nf.Variable(np.zeros(2), requires_grad=True)
        if comm.rank == 0:
            p.grad = np.array([4.0, 2.0])
        all_reduce_gradients([p], comm, average=False)
        return p.grad

    for out in run_replicas(replica, InProcessGroup(2)):
        np.testing.assert_array_equal(out, [4.0, 2.0])


def test_broadcast_parameters_from_root():
    def replica(comm):
        ps = {
            "a": nf.Variable(np.full((2, 2), comm.rank, np.float32)),
            "b": nf.Variable(np.full(3, 10.0 * comm.rank)),
        }
        broadcast_parameters(ps, comm, root=1)
        return ps["a"].data, ps["b"].data

    for a, b in run_replicas(replica, InProcessGroup(3)):
        np.testing.assert_array_equal(a, np.ones((2, 2)))
        np.testing.assert_array_equal(b, np.full(3, 10.0))


@pytest.mark.parametrize(
    ("call", "cls", "message"),
    [
        (
            lambda: all_reduce_gradients(np.ones(2), SingleProcessCommunicator()),
            ArgumentError,
            "all_reduce_gradients: `params` must be a list or dict of Variables; "
            "received params='ndarray'.",
        ),
        (
            lambda: all_reduce_gradients([np.ones(2)], SingleProcessCommunicator()),
            ArgumentError,
            "all_reduce_gradients: `params` must hold only Variables; "
            "received params[0]='ndarray'.",
        ),
        (
            lambda: all_reduce_gradients(
                [nf.Variable(np.ones(2))], SingleProcessCommunicator(), weight=-1.0
            ),
            ArgumentError,
            "all_reduce_gradients: `weight` must be finite and >= 0; received weight=-1.0.",
        ),
        (
            lambda: all_reduce_gradients(
                [nf.Variable(np.ones(2))], SingleProcessCommunicator(), weight=0.0
            ),
            ArgumentError,
            "all_reduce_gradients: `weight` must sum to a positive total; received total=0.0.",
        ),
        (
            lambda: all_reduce_gradients([], object()),
            ArgumentError,
            "all_reduce_gradients: `comm` must be a communicator with size, rank and "
            "all_reduce; received comm=",
        ),
        (
            lambda: shard(-1, SingleProcessCommunicator()),
            ArgumentError,
            "shard: `n` must be >= 0; received n=-1.",
        ),
        (
            lambda: SingleProcessCommunicator().broadcast(np.ones(1), root=1),
            ArgumentError,
            "broadcast: `root` must be below the size 1; received root=1.",
        ),
    ],
)
def test_bad_input(call, cls, message):
    with pytest.raises(cls) as info:
        call()
    assert str(info.value).startswith(message), str(info.value)


def _small_digits():
    x_train, x_test, y_train, y_test = demo.load_digits_split(seed=0)
    return x_train[:96], x_test[:64], y_train[:96], y_test[:64]


def test_data_parallel_training_equals_one_process():
    """N replicas on 1/N of each batch (sync BN) end with one process's parameters."""
    data = _small_digits()
    kw = {"epochs": 1, "batch_size": 30, "seed": 3}  # 96 = 3 full batches + 6: unequal shards
    single = train_data_parallel(SingleProcessCommunicator(), data, **kw)
    replicas = run_replicas(lambda c: train_data_parallel(c, data, **kw), InProcessGroup(3))
    for rep in replicas:
        for k, v in single["params"].items():
            np.testing.assert_allclose(rep["params"][k], v, rtol=2e-4, atol=2e-5, err_msg=k)
        for k, v in single["stats"].items():
            np.testing.assert_allclose(rep["stats"][k], v, rtol=2e-4, atol=2e-5, err_msg=k)


# ------------------------------------------------------------------ real processes
def _launch(n: int, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    src = str(Path(nf.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    env.setdefault("NNFUNC_NUM_THREADS", "1")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return subprocess.run(
        [_mpiexec(), "-n", str(n), sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.mpi
@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_mpi_collectives_sync_bn_and_data_parallel_step(n):
    res = _launch(n, str(WORKER))
    assert res.returncode == 0, res.stdout + res.stderr
    for scenario in ("collectives", "mismatch", "sync_bn", "data_parallel_step"):
        assert f"OK {scenario} size={n}" in res.stdout, res.stdout + res.stderr


@pytest.mark.mpi
@needs_mpi
def test_mpi_rank_failure_aborts_every_rank():
    # a hang would hit the timeout (generous: two interpreters start on a loaded 2-core machine)
    res = _launch(2, str(WORKER), "abort", timeout=240)
    assert res.returncode != 0, res.stdout + res.stderr
    assert (
        "nnfunc: rank 1 raised RuntimeError: rank 1 fails before the collective; aborting every "
        "rank." in res.stderr
    ), res.stderr


@pytest.mark.mpi
@needs_mpi
def test_mpi_distributed_demo_reaches_single_process_accuracy():
    args = ["-m", "nnfunc", "demo", "--distributed", "--epochs", "3", "--no-progress"]
    res = _launch(2, *args, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r"throughput .*rank 0: \d+, rank 1: \d+", res.stdout), res.stdout
    two = float(re.search(r"final test accuracy: ([\d.]+)%", res.stdout).group(1))
    one = _launch(1, *args, timeout=300)
    single = float(re.search(r"final test accuracy: ([\d.]+)%", one.stdout).group(1))
    assert two >= single - 1.0 and two > 90.0, (two, single)
