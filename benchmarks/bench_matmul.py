"""Matrix products side by side with PyTorch CPU in the same process: matmul, linear, batch_matmul.

Run: ``python benchmarks/bench_matmul.py [--repeat N] [--only S] [--cpu-time] [--backward-paths]``.

* Time: float32, forward and forward+backward (the gradients of every input with a random
  output gradient, ``nnfunc.grad(y, inputs, grad_outputs=gy)``): the peer harness's
  ``matmul`` 2048^3, a dense layer (4096 x 1024 -> 1024, with bias) and a batched product
  (128 x (256 x 64) @ (64 x 256), the attention score shape); and the matmul's two gradients
  from a ``Graph`` (which skips the product they do not need, as a jitted VJP does).
  Interleaved rounds against PyTorch with 1 thread and with its default threads
  (``_paired.py``): median times and the median (interquartile range) of the per-round ratios
  nnfunc / torch.
* ``--cpu-time``: the CPU time of each side on one thread instead (steadier on a shared
  machine; it cannot show what running the two gradient GEMMs at once gains).
* ``--backward-paths``: the matmul 2048^3 forward+backward four ways, interleaved, wall
  clock: the two gradient GEMMs as two nnfunc products (the way before ``MatMulGrad``),
  ``MatMulGrad`` as configured (``blas.CONCURRENT``, off by default: one after the other on
  BLAS's own threads), at once on the kernel threads with one-thread BLAS, and each of them
  cut into 2 row blocks (4 tasks). Prints the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import torch_or_none
from _paired import Case, run_cases, run_cases_cpu_time

import nnfunc as nf
from nnfunc.functions.math import _exp_log_matmul as mm
from nnfunc.kernels.cpu import blas


def _cases(torch: Any) -> list[Case]:
    rng = np.random.default_rng(0)

    def pair(label: str, fn: Any, tfn: Any, arrays: list[np.ndarray]) -> list[Case]:
        y = fn(*arrays)
        gy = rng.standard_normal(np.shape(y)).astype(np.float32)

        def fwd() -> None:
            fn(*arrays)

        def bwd() -> None:
            vs = [nf.Variable(a, requires_grad=True) for a in arrays]
            nf.grad(fn(*vs), vs, grad_outputs=gy)

        if torch is None:
            return [(f"{label} fwd", fwd, None), (f"{label} fwd+bwd", bwd, None)]
        ts = [torch.from_numpy(a) for a in arrays]
        tg = torch.from_numpy(gy)
        leaves = [t.clone().requires_grad_() for t in ts]

        def tfwd() -> None:
            with torch.no_grad():
                tfn(*ts)

        def tbwd() -> None:
            torch.autograd.grad(tfn(*leaves), leaves, tg)

        return [(f"{label} fwd", fwd, tfwd), (f"{label} fwd+bwd", bwd, tbwd)]

    def f32(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape).astype(np.float32)

    n = 2048
    cases = pair("matmul 2048^3", nf.matmul, lambda a, b: a @ b, [f32(n, n), f32(n, n)])
    tlin = (lambda x, w, b: torch.nn.functional.linear(x, w.T, b)) if torch else None
    cases += pair("linear 4096x1024->1024", nf.linear, tlin, [f32(4096, 1024), f32(1024, 1024),
                                                              f32(1024)])  # fmt: skip
    cases.append(_graph_gradients(torch, f32(n, n), f32(n, n), f32(n, n)))
    cases += pair(
        "batch_matmul 128x(256x64)@(64x256)",
        nf.matmul,
        lambda a, b: a @ b,
        [f32(128, 256, 64), f32(128, 64, 256)],
    )
    return cases


def _graph_gradients(torch: Any, a: np.ndarray, b: np.ndarray, gy: np.ndarray) -> Case:
    """matmul 2048^3: the two gradients from a Graph that runs only what they need.

    ``Graph.run`` evaluates the nodes its fetches depend on, and ``MatMulGrad`` needs ``a``,
    ``b`` and ``gy`` but not the product: two GEMMs, as a jitted VJP whose primal output is
    dropped runs in JAX or a ``tf.function`` in TF. PyTorch's column is its eager
    forward+backward (three GEMMs).
    """
    g = nf.Graph()
    pa, pb, pg = (g.placeholder(k, a.shape, np.float32) for k in ("a", "b", "gy"))
    grads = g.grad(nf.matmul(pa, pb), [pa, pb], pg)
    feed = {"a": a, "b": b, "gy": gy}

    def run() -> None:
        g.run(grads, feed)

    if torch is None:
        return ("matmul 2048^3 grads only (Graph)", run, None)
    leaves = [torch.from_numpy(v).requires_grad_() for v in (a, b)]
    tg = torch.from_numpy(gy)

    def tbwd() -> None:
        torch.autograd.grad(leaves[0] @ leaves[1], leaves, tg)

    return ("matmul 2048^3 grads only (Graph)", run, tbwd)


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def backward_paths(repeat: int) -> None:
    """matmul 2048^3 forward+backward: sequential BLAS-threaded vs the MatMulGrad splits."""
    rng = np.random.default_rng(0)
    a, b, gy = (rng.standard_normal((2048, 2048)).astype(np.float32) for _ in range(3))
    real_grad, real_mm = mm.MatMulGrad, mm.matmuls

    class Sequential:  # the two products as separate nnfunc matmuls (BLAS's own threads)
        def apply(self, a: Any, b: Any, gy: Any) -> tuple[Any, Any]:
            return mm.matmul(gy, mm._swap_last(b)), mm.matmul(mm._swap_last(a), gy)

    def variant(grad: Any, parts: int, concurrent: bool) -> Any:
        def call() -> None:
            mm.MatMulGrad = grad
            mm.matmuls = lambda jobs: blas.matmuls(jobs, parts)
            saved, blas.CONCURRENT = blas.CONCURRENT, concurrent
            try:
                va, vb = nf.Variable(a, requires_grad=True), nf.Variable(b, requires_grad=True)
                nf.grad(nf.matmul(va, vb), [va, vb], grad_outputs=gy)
            finally:
                mm.MatMulGrad, mm.matmuls, blas.CONCURRENT = real_grad, real_mm, saved

        return call

    paths = {
        "sequential (BLAS threads)": variant(Sequential, 1, False),
        "MatMulGrad (default)": variant(real_grad, 1, blas.CONCURRENT),
        "at once, 2 tasks": variant(real_grad, 1, True),
        "at once, 4 tasks": variant(real_grad, 2, True),
    }
    print(f"load average {_load()}")
    times: dict[str, list[float]] = {k: [] for k in paths}
    for f in paths.values():
        f()
    for _ in range(repeat):
        for k, f in paths.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    base = np.array(times["sequential (BLAS threads)"])
    for k, t in times.items():
        arr = np.array(t)
        q1, med, q3 = np.percentile(arr / base, [25, 50, 75])
        print(
            f"{k:28s} median {np.median(arr) * 1e3:7.1f} ms  min {arr.min() * 1e3:7.1f} ms  "
            f"/ sequential {med:.3f} ({q1:.3f}-{q3:.3f})"
        )
    print(f"load average {_load()}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default=None, help="run the cases whose name contains this")
    ap.add_argument(
        "--cpu-time", action="store_true", help="CPU time on one thread each (shared machines)"
    )
    ap.add_argument("--backward-paths", action="store_true", help="compare the backward paths")
    args = ap.parse_args()
    if args.backward_paths:
        backward_paths(args.repeat)
        return
    if args.cpu_time:
        os.environ["NNFUNC_NUM_THREADS"] = "1"
    torch = torch_or_none(threads=None)
    cases = _cases(torch)
    if args.cpu_time:
        with blas.one_thread_blas():  # NumPy's BLAS on one thread too, like torch here
            run_cases_cpu_time(cases, torch, args.repeat, args.only)
    else:
        run_cases(cases, torch, args.repeat, args.only)


if __name__ == "__main__":
    main()
