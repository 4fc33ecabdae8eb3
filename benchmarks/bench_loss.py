"""Losses and top-k: nnfunc next to PyTorch CPU, in one process, as time ratios.

Run: ``PYTHONPATH=src python benchmarks/bench_loss.py`` (``--repeat N`` for more samples).
Each line prints the median time of nnfunc and of PyTorch and their ratio (nnfunc / torch).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

import nnfunc as nf


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm up (numba compilation, allocator)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _paired(fn: Callable[[], object], ref: Callable[[], object], repeat: int) -> tuple:
    """Median times and the median of per-pair ratios, the two runs interleaved.

    The machine is shared and its speed drifts; timing both sides back to back in every
    repetition keeps the ratio meaningful.
    """
    fn()
    ref()
    a, b = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        ref()
        t2 = time.perf_counter()
        a.append(t1 - t0)
        b.append(t2 - t1)
    ratio = float(np.median(np.array(a) / np.array(b)))
    return float(np.median(a)), float(np.median(b)), ratio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    rng = np.random.default_rng(0)
    n, c = 4096, 1000
    logits = rng.normal(0, 3, (n, c)).astype(np.float32)
    labels = rng.integers(0, c, n)
    dense = rng.dirichlet(np.ones(c), n).astype(np.float32)
    big = rng.normal(0, 4, 16 * 2**20).astype(np.float32)
    big_t = rng.uniform(0, 1, big.size).astype(np.float32)

    def sparse_fwd_bwd() -> None:
        v = nf.Variable(logits, requires_grad=True)
        nf.sum(nf.sparse_softmax_cross_entropy_with_logits(v, labels)).backward()

    def dense_fwd_bwd() -> None:
        v = nf.Variable(logits, requires_grad=True)
        nf.sum(nf.softmax_cross_entropy_with_logits(v, dense)).backward()

    def sigmoid_fwd_bwd() -> None:
        v = nf.Variable(big, requires_grad=True)
        nf.sum(nf.sigmoid_cross_entropy_with_logits(v, big_t)).backward()

    cases: list[tuple[str, Callable[[], object], Callable[[], object] | None]] = [
        (
            "sparse softmax CE fwd (4096, 1000) f32",
            lambda: nf.sparse_softmax_cross_entropy_with_logits(logits, labels),
            None,
        ),
        ("sparse softmax CE fwd+bwd", sparse_fwd_bwd, None),
        (
            "dense softmax CE fwd (4096, 1000) f32",
            lambda: nf.softmax_cross_entropy_with_logits(logits, dense),
            None,
        ),
        ("dense softmax CE fwd+bwd", dense_fwd_bwd, None),
        (
            "sigmoid CE fwd (16M) f32",
            lambda: nf.sigmoid_cross_entropy_with_logits(big, big_t),
            None,
        ),
        ("sigmoid CE fwd+bwd (16M)", sigmoid_fwd_bwd, None),
        ("top_k k=5 (4096, 1000) f32", lambda: nf.top_k(logits, 5), None),
    ]
    if torch is not None:
        F = torch.nn.functional
        tl, tlab, td = torch.from_numpy(logits), torch.from_numpy(labels), torch.from_numpy(dense)
        tb, tbt = torch.from_numpy(big), torch.from_numpy(big_t)

        def t_bwd(make: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> None:
            v = x.clone().requires_grad_(True)
            make(v).sum().backward()

        torch_fns = [
            lambda: F.cross_entropy(tl, tlab, reduction="none"),
            lambda: t_bwd(lambda v: F.cross_entropy(v, tlab, reduction="none"), tl),
            lambda: F.cross_entropy(tl, td, reduction="none"),
            lambda: t_bwd(lambda v: F.cross_entropy(v, td, reduction="none"), tl),
            lambda: F.binary_cross_entropy_with_logits(tb, tbt, reduction="none"),
            lambda: t_bwd(
                lambda v: F.binary_cross_entropy_with_logits(v, tbt, reduction="none"), tb
            ),
            lambda: torch.topk(tl, 5),
        ]
        cases = [(name, fn, tf) for (name, fn, _), tf in zip(cases, torch_fns, strict=True)]
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for name, fn, ref in cases:
        if ref is None:
            t = _median_time(fn, args.repeat)
            print(f"{name:42s} nnfunc {t * 1e3:8.2f} ms")
            continue
        t, tr, ratio = _paired(fn, ref, args.repeat)
        print(f"{name:42s} nnfunc {t * 1e3:8.2f} ms  torch {tr * 1e3:8.2f} ms  ratio {ratio:5.2f}")


if __name__ == "__main__":
    main()
