"""Timings of the element-wise, reduction and array families, side by side with PyTorch (CPU).

Run: ``PYTHONPATH=src python benchmarks/bench_elementwise.py`` (add ``--quick`` for fewer
repeats). Prints milliseconds and the ratio nnfunc / reference (NumPy call or PyTorch) for each
case, then the scatter-add kernel comparison (numba vs NumPy twin vs ``np.add.at``). Timings
drift on a shared machine: compare ratios taken in the same run.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

import nnfunc as nf
from nnfunc.kernels.cpu.scatter_nd import scatter_add_rows_numba, scatter_add_rows_numpy

REPEAT = 5 if "--quick" in sys.argv else 20


def timeit(fn: Callable[[], object]) -> float:
    fn()
    best = float("inf")
    for _ in range(REPEAT):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1e3


def row(label: str, ours: float, ref: float, ref_name: str) -> None:
    print(f"{label:38s} nnfunc {ours:8.3f} ms   {ref_name} {ref:8.3f} ms   ratio {ours / ref:5.2f}")


def main() -> None:
    rng = np.random.default_rng(0)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        torch = None
    x = rng.standard_normal((1000, 1000)).astype(np.float32)
    y = rng.standard_normal((1000, 1000)).astype(np.float32)
    small = np.ones(8, np.float32)
    print("== element-wise and reductions (1000x1000 float32), vs NumPy")
    cases = [
        ("add", lambda: nf.add(x, y), lambda: np.add(x, y)),
        ("mul scalar", lambda: nf.mul(x, 2.0), lambda: np.multiply(x, np.float32(2.0))),
        ("sin", lambda: nf.sin(x), lambda: np.sin(x)),
        ("abs", lambda: nf.abs(x), lambda: np.abs(x)),
        ("round (half away from zero) vs rint", lambda: nf.round(x), lambda: np.rint(x)),
        ("floor", lambda: nf.floor(x), lambda: np.floor(x)),
        ("where", lambda: nf.where(x > 0, x, y), lambda: np.where(x > 0, x, y)),
        ("greater", lambda: nf.greater(x, y), lambda: np.greater(x, y)),
        ("sum axis=1", lambda: nf.sum(x, axis=1), lambda: x.sum(axis=1)),
        ("max axis=1", lambda: nf.max(x, axis=1), lambda: x.max(axis=1)),
        ("prod axis=1", lambda: nf.prod(x, axis=1), lambda: x.prod(axis=1)),
        ("sort axis=-1", lambda: nf.sort(x), lambda: np.sort(x)),
        (
            "add, tiny arrays (call overhead)",
            lambda: nf.add(small, small),
            lambda: np.add(small, small),
        ),
    ]
    for label, ours, ref in cases:
        row(label, timeit(ours), timeit(ref), "numpy")
    data = rng.standard_normal((100000, 16)).astype(np.float32)
    idx = rng.integers(0, 100000, (1, 200000))
    row(
        "gather_nd 200k rows of 16",
        timeit(lambda: nf.gather_nd(data, idx)),
        timeit(lambda: data[idx[0]]),
        "numpy",
    )
    src = rng.standard_normal((200000, 16)).astype(np.float32)

    def scatter_ref() -> None:
        out = np.zeros((100000, 16), np.float32)
        out[idx[0]] = src

    row(
        "scatter_nd 200k rows of 16",
        timeit(lambda: nf.scatter_nd(src, idx, shape=(100000, 16))),
        timeit(scatter_ref),
        "numpy",
    )

    def scatter_add_ref() -> None:
        out = np.zeros((100000, 16), np.float32)
        np.add.at(out, idx[0], src)

    row(
        "scatter_nd add=True (vs np.add.at)",
        timeit(lambda: nf.scatter_nd(src, idx, shape=(100000, 16), add=True)),
        timeit(scatter_add_ref),
        "numpy",
    )
    a = rng.standard_normal((64, 128, 128)).astype(np.float32)
    row(
        "batch_matmul 64x128x128 (transpose_b)",
        timeit(lambda: nf.batch_matmul(a, a, transpose_b=True)),
        timeit(lambda: np.matmul(a, np.swapaxes(a, -1, -2))),
        "numpy",
    )
    if torch is not None:
        print("== vs PyTorch CPU (1 thread)")
        tx, ty, ta = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(a)
        row("add", timeit(lambda: nf.add(x, y)), timeit(lambda: tx + ty), "torch")
        row("sum axis=1", timeit(lambda: nf.sum(x, axis=1)), timeit(lambda: tx.sum(1)), "torch")
        row("sort axis=-1", timeit(lambda: nf.sort(x)), timeit(lambda: torch.sort(tx)), "torch")
        row(
            "batch_matmul",
            timeit(lambda: nf.batch_matmul(a, a, transpose_b=True)),
            timeit(lambda: torch.bmm(ta, ta.transpose(1, 2))),
            "torch",
        )
        tdata, tidx = torch.from_numpy(data), torch.from_numpy(idx[0])
        row(
            "gather_nd 200k rows of 16",
            timeit(lambda: nf.gather_nd(data, idx)),
            timeit(lambda: tdata[tidx]),
            "torch",
        )
        v = nf.Variable(data, requires_grad=True)
        w = np.ones((200000, 16), np.float32)

        def grad_ours() -> None:
            nf.grad(nf.sum(nf.gather_nd(v, idx) * w), v)

        tv = tdata.clone().requires_grad_(True)
        tw = torch.from_numpy(w)

        def grad_torch() -> None:
            torch.autograd.grad((tv[tidx] * tw).sum(), tv)

        row("gather_nd forward+backward", timeit(grad_ours), timeit(grad_torch), "torch")
    print("== scatter-add kernel: out[rows[i]] += src[i] (float32)")
    for p, r, n in [(10000, 1, 100000), (1000, 64, 20000), (100000, 16, 100000)]:
        out = np.zeros((p, r), np.float32)
        rows = rng.integers(0, p, n)
        src = rng.standard_normal((n, r)).astype(np.float32)
        args = (out, rows, src)
        t_numba = timeit(lambda a=args: scatter_add_rows_numba(*a))
        t_twin = timeit(lambda a=args: scatter_add_rows_numpy(*a))
        t_at = timeit(lambda a=args: np.add.at(*a))
        print(
            f"P={p:6d} R={r:3d} L={n:6d}   numba {t_numba:7.3f} ms   numpy twin {t_twin:7.3f} ms"
            f"   np.add.at {t_at:7.3f} ms   add.at/numba {t_at / t_numba:6.1f}x"
        )


if __name__ == "__main__":
    main()
