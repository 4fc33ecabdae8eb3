"""``python -m nnfunc demo --distributed``: the demo CNN trained data-parallel over MPI.

Run it as ``mpiexec -n 2 python -m nnfunc demo --distributed`` (any number of ranks; one rank
also works without ``mpiexec``). Each rank holds a full copy of the parameters, takes its shard
of every global minibatch, and the ranks average their gradients (weighted by shard size) before
each identical update; batch normalization is synchronized, so its statistics are those of the
whole global batch. N ranks therefore compute the same training run as one process on the same
global batches (to float rounding), and reach the same accuracy.

The model is the demo CNN with a (synchronized) batch normalization after each convolution:
conv -> BN -> relu -> max_pool, twice, then linear.
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np

import nnfunc as nf
import nnfunc._cli.demo as demo

try:  # comes with scikit-learn (the demo extra); the CLI must import without it
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

from nnfunc.distributed import (
    MPICommunicator,
    SingleProcessCommunicator,
    all_reduce_gradients,
    broadcast_parameters,
    shard,
)

__all__ = ["cnn_bn", "init_cnn_bn", "run_distributed", "train_data_parallel"]

Params = dict[str, nf.Variable]


def init_cnn_bn(
    rng: np.random.Generator, n_features: int, n_classes: int, channels: tuple[int, int] = (16, 32)
) -> tuple[Params, dict[str, np.ndarray]]:
    """Parameters and running statistics of the CNN with batch normalization."""
    side = math.isqrt(n_features)
    c1, c2 = channels

    def he(shape: tuple[int, ...], fan_in: int) -> nf.Variable:
        w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape).astype(np.float32)
        return nf.Variable(w, requires_grad=True)

    def const(size: int, value: float) -> nf.Variable:
        return nf.Variable(np.full(size, value, np.float32), requires_grad=True)

    flat = c2 * (side // 4) ** 2
    params = {
        "conv1": he((c1, 1, 3, 3), 9),
        "gamma1": const(c1, 1.0),
        "beta1": const(c1, 0.0),
        "conv2": he((c2, c1, 3, 3), 9 * c1),
        "gamma2": const(c2, 1.0),
        "beta2": const(c2, 0.0),
        "dense": he((flat, n_classes), flat),
        "bias3": const(n_classes, 0.0),
    }
    stats = {
        "mean1": np.zeros(c1, np.float32),
        "var1": np.ones(c1, np.float32),
        "mean2": np.zeros(c2, np.float32),
        "var2": np.ones(c2, np.float32),
    }
    return params, stats


def cnn_bn(params: Any, stats: dict[str, np.ndarray], x: Any, comm: Any, training: bool) -> Any:
    """Logits of conv -> sync BN -> relu -> max_pool (twice) -> linear.

    In training the batch statistics are combined over ``comm`` and the running statistics in
    ``stats`` are updated in place (identically on every rank); in evaluation they are used.
    """
    side = math.isqrt(x.shape[1])
    h = nf.reshape(x, (-1, 1, side, side))
    for i in (1, 2):
        h = nf.conv(h, params[f"conv{i}"], pad=1)
        h = nf.sync_batch_normalization(
            h,
            stats[f"mean{i}"],
            stats[f"var{i}"],
            params[f"beta{i}"],
            params[f"gamma{i}"],
            comm=comm,
            training=training,
        )
        h = nf.max_pool(nf.relu(h), 2)
    h = nf.reshape(h, (h.shape[0], -1))
    return nf.linear(h, params["dense"], params["bias3"])


def train_data_parallel(
    comm: Any,
    data: tuple[np.ndarray, ...],
    *,
    epochs: int = 10,
    batch_size: int = 32,
    lr: float = 0.05,
    momentum: float = 0.9,
    seed: int = 0,
    progress: bool = False,
    log: Any = None,
) -> dict[str, Any]:
    """Train the CNN with BN data-parallel over ``comm``; every rank returns the same figures.

    ``batch_size`` is the global minibatch: each rank computes on its shard of it. Every rank
    draws the same permutation (same ``seed``), so the global batches are those of a single
    process with the same seed.
    """
    from tqdm import tqdm  # the demo extra; the library itself never needs it

    x_train, x_test, y_train, y_test = data
    rng = np.random.default_rng(seed)
    params, stats = init_cnn_bn(rng, x_train.shape[1], int(y_train.max()) + 1)
    broadcast_parameters(params, comm)  # start from rank 0's values, whatever each drew
    velocity = {k: np.zeros_like(p.data) for k, p in params.items()}
    n_batches = -(-x_train.shape[0] // batch_size)
    seen = 0
    compute = 0.0
    for epoch in range(1, epochs + 1):
        order = rng.permutation(x_train.shape[0])
        bar = tqdm(
            range(n_batches),
            desc=f"rank {comm.rank} epoch {epoch}/{epochs}",
            leave=False,
            disable=not progress,
        )
        losses = []
        for b in bar:
            idx = order[b * batch_size : (b + 1) * batch_size]
            local = idx[shard(idx.size, comm)]
            start = time.perf_counter()
            logits = cnn_bn(params, stats, x_train[local], comm, training=True)
            loss = demo.softmax_cross_entropy(logits, y_train[local])
            loss.backward()
            all_reduce_gradients(params, comm, weight=local.size)
            for k, p in params.items():
                velocity[k] = momentum * velocity[k] - lr * p.grad
                p.data += velocity[k]
                p.zero_grad()
            compute += time.perf_counter() - start
            seen += local.size
            losses.append(float(loss.data))
        if log is not None:
            arrays = {k: p.data for k, p in params.items()}
            test_acc = demo.accuracy(cnn_bn(arrays, stats, x_test, comm, training=False), y_test)
            log(
                f"epoch {epoch:>3}/{epochs}  loss (rank {comm.rank} shard) "
                f"{np.mean(losses):.4f}  test accuracy {100 * test_acc:6.2f}%"
            )
    arrays = {k: p.data for k, p in params.items()}
    return {
        "params": arrays,
        "stats": stats,
        "train_accuracy": demo.accuracy(cnn_bn(arrays, stats, x_train, comm, False), y_train),
        "test_accuracy": demo.accuracy(cnn_bn(arrays, stats, x_test, comm, False), y_test),
        "images_per_second": seen / compute if compute else float("nan"),
    }


def run_distributed(args: Any) -> int:
    """Entry point of ``demo --distributed`` (under ``mpiexec`` or alone)."""
    comm = MPICommunicator()
    # Ranks on one host share its cores: without a limit each rank's BLAS and kernel threads
    # would oversubscribe them (2 ranks on 2 cores ran 7x slower).
    share = max(1, len(os.sched_getaffinity(0)) // comm.local_size)
    os.environ.setdefault("NNFUNC_NUM_THREADS", str(share))
    if threadpool_limits is None:
        return _run(comm, args)
    with threadpool_limits(limits=share):
        return _run(comm, args)


def _run(comm: Any, args: Any) -> int:
    start = time.perf_counter()
    data = demo.load_digits_split(seed=args.seed)
    root = comm.rank == 0
    if root:
        print(
            f"digits: {data[0].shape[0]} training and {data[1].shape[0]} test images; "
            f"CNN with synchronized batch norm, data-parallel over {comm.size} MPI rank(s), "
            f"global batch {args.batch_size}",
            flush=True,
        )
    result = train_data_parallel(
        comm if comm.size > 1 else SingleProcessCommunicator(),
        data,
        **demo.training_options(args),
        progress=False,
        log=print if root and not args.no_progress else None,
    )
    rates = comm.all_gather(np.asarray(result["images_per_second"], np.float64))
    if root:
        per_rank = ", ".join(f"rank {r}: {float(v):.0f}" for r, v in enumerate(rates))
        print(f"throughput (training images per second of compute): {per_rank}")
        print(
            f"final test accuracy: {100 * result['test_accuracy']:.2f}% "
            f"({data[1].shape[0]} images, {time.perf_counter() - start:.1f} s, "
            f"{comm.size} rank(s))",
            flush=True,
        )
    return 0
