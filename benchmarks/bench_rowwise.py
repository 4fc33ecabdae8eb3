"""Row-wise functions (softmax, log_softmax) and dropout: nnfunc next to PyTorch CPU, as ratios.

Run: ``python benchmarks/bench_rowwise.py [--repeat N] [--only SUBSTRING]``. Interleaved rounds
against PyTorch with 1 thread and with its default thread count (see ``_paired.py``): median
times and the median (interquartile range) of the per-round ratios nnfunc / torch.
Forward-and-backward cases are a vector-Jacobian product with a fixed random output gradient:
``nnfunc.grad(y, [x], grad_outputs=[gy])`` against ``torch.autograd.grad(y, x, gy)``.
Dropout compares the whole call (mask draw included) with ``torch.nn.functional.dropout``.

``--cpu-time``: on a loaded machine wall-clock times mostly measure the other processes. This
mode times both libraries on ONE thread (set ``NNFUNC_NUM_THREADS=1``; torch is set to 1) with
``time.process_time`` (this process's CPU time), interleaved, and prints the medians, the
ratio nnfunc / torch and each library's forward+backward / forward.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import torch_or_none
from _paired import Case, run_cases, run_cases_cpu_time

import nnfunc as nf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default=None, help="run the cases whose name contains this")
    parser.add_argument("--cpu-time", action="store_true", help="one thread, process CPU time")
    args = parser.parse_args()
    torch = torch_or_none(threads=None)
    rng = np.random.default_rng(0)
    x = rng.normal(0, 3, (4096, 1024)).astype(np.float32)
    gy = rng.normal(0, 1, x.shape).astype(np.float32)
    big = rng.normal(0, 1, 16 * 2**20).astype(np.float32)
    gbig = rng.normal(0, 1, big.size).astype(np.float32)

    def vjp(fn: Callable[[Any], Any], a: np.ndarray, g: np.ndarray) -> Callable[[], Any]:
        def call() -> Any:
            v = nf.Variable(a, requires_grad=True)
            return nf.grad(fn(v), [v], grad_outputs=[g])

        return call

    def t_vjp(fn: Callable[[Any], Any], a: Any, g: Any) -> Callable[[], Any]:
        leaf = a.clone().requires_grad_(True)

        def call() -> Any:
            return torch.autograd.grad(fn(leaf), leaf, g)

        return call

    specs: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any] | None, Any, Any]] = [
        ("softmax (4096, 1024) f32 axis -1", lambda v: nf.softmax(v), None, x, gy),
        ("log_softmax (4096, 1024) f32 axis -1", lambda v: nf.log_softmax(v), None, x, gy),
        ("softmax (4096, 1024) f32 axis 0", lambda v: nf.softmax(v, axis=0), None, x, gy),
        ("log_softmax (4096, 1024) f32 axis 0", lambda v: nf.log_softmax(v, axis=0), None, x, gy),
        ("dropout 0.5 (16M) f32", lambda v: nf.dropout(v, 0.5, seed=0), None, big, gbig),
    ]
    refs: list[Callable[[Any], Any] | None] = [None] * len(specs)
    if torch is not None:
        tf = torch.nn.functional
        refs = [
            lambda t: torch.softmax(t, -1),
            lambda t: torch.log_softmax(t, -1),
            lambda t: torch.softmax(t, 0),
            lambda t: torch.log_softmax(t, 0),
            lambda t: tf.dropout(t, 0.5, training=True),
        ]
    cases: list[Case] = []
    for (name, fn, _, a, g), ref in zip(specs, refs, strict=True):
        ta = tg = None
        if torch is not None:
            ta, tg = torch.from_numpy(a), torch.from_numpy(g)
        cases.append(
            (
                f"{name} fwd",
                lambda fn=fn, a=a: fn(a),
                None if ref is None else (lambda ref=ref, ta=ta: ref(ta)),
            )
        )
        cases.append(
            (
                f"{name} fwd+bwd",
                vjp(fn, a, g),
                None if ref is None else t_vjp(ref, ta, tg),
            )
        )
    if args.cpu_time:
        run_cases_cpu_time(cases, torch, args.repeat, args.only)
    else:
        run_cases(cases, torch, args.repeat, args.only)


if __name__ == "__main__":
    main()
