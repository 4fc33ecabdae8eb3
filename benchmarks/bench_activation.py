"""Activation and softmax timings, side by side with PyTorch CPU in the same process.

Run: ``PYTHONPATH=src python benchmarks/bench_activation.py``. Prints the best of several runs
for each function and the ratio nnfunc / torch (below 1: nnfunc is faster). Timings drift over
minutes on a shared machine: compare ratios from one run only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

import nnfunc as nf


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    try:
        import torch
        import torch.nn.functional as tf
    except ImportError:  # pragma: no cover
        torch = None
    rng = np.random.default_rng(0)
    x = rng.standard_normal(16_000_000).astype(np.float32)
    m = rng.standard_normal((4096, 1024)).astype(np.float32)
    cases = [
        ("gelu none (16M f32)", lambda: nf.gelu(x), "gelu", x, {}),
        (
            "gelu tanh (16M f32)",
            lambda: nf.gelu(x, approximate="tanh"),
            "gelu",
            x,
            {"approximate": "tanh"},
        ),
        ("silu (16M f32)", lambda: nf.silu(x), "silu", x, {}),
        ("softplus (16M f32)", lambda: nf.softplus(x), "softplus", x, {}),
        ("log_sigmoid (16M f32)", lambda: nf.log_sigmoid(x), "logsigmoid", x, {}),
        ("softmax (4096x1024 f32)", lambda: nf.softmax(m), "softmax", m, {"dim": -1}),
        ("log_softmax (4096x1024 f32)", lambda: nf.log_softmax(m), "log_softmax", m, {"dim": -1}),
    ]
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'function':30s} {'nnfunc ms':>10s} {'torch ms':>10s} {'ratio':>7s}")
    for label, ours, tname, arr, kw in cases:
        t_ours = best(ours)
        if torch is None:
            print(f"{label:30s} {t_ours * 1e3:10.2f}")
            continue
        xt = torch.from_numpy(arr)
        t_torch = best(lambda tname=tname, xt=xt, kw=kw: getattr(tf, tname)(xt, **kw))
        print(f"{label:30s} {t_ours * 1e3:10.2f} {t_torch * 1e3:10.2f} {t_ours / t_torch:7.2f}")


if __name__ == "__main__":
    main()
