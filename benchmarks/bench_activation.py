"""Activation and softmax timings, side by side with PyTorch CPU in the same process.

Run: ``python benchmarks/bench_activation.py [--repeat N] [--only SUBSTRING] [--small-only]``,
or ``--cpu N`` for a one-thread CPU-time table of the activations on N elements (steadier than
wall time on a loaded machine).
Interleaved rounds against PyTorch with 1 thread and with its default thread count; the table
gives median times and the median (interquartile range) of the per-round ratios nnfunc / torch.
See ``_paired.py``.

Every element-wise activation is timed forward and forward+backward, the backward a
vector-Jacobian product with a random output gradient: ``nnfunc.grad(y, [x],
grad_outputs=[gy])`` against ``torch.autograd.grad(y, [x], gy)``, on 16M float32 elements (the
size of issue 21's table) and on a small 256x256 case (below the size where kernels thread).
Where PyTorch has no such function, the PyTorch column is the same formula written with its ops
(``gelu sigmoid``) or its function with other constants (``hard_sigmoid`` is timed with
PyTorch's slope 1/6).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import torch_or_none
from _paired import Case, run_cases

import nnfunc as nf

#: (name, nnfunc function of x, PyTorch function of a tensor or None)
Act = tuple[str, Callable[[Any], Any], Callable[[Any], Any] | None]


def _activations(torch: Any) -> list[Act]:
    F = torch.nn.functional if torch is not None else None

    def t(fn: Callable[[Any], Any]) -> Callable[[Any], Any] | None:
        return None if torch is None else fn

    return [
        ("sigmoid", nf.sigmoid, t(lambda a: torch.sigmoid(a))),
        ("tanh", nf.tanh, t(lambda a: torch.tanh(a))),
        ("gelu none", nf.gelu, t(lambda a: F.gelu(a))),
        (
            "gelu tanh",
            lambda a: nf.gelu(a, approximate="tanh"),
            t(lambda a: F.gelu(a, approximate="tanh")),
        ),
        (
            "gelu sigmoid",
            lambda a: nf.gelu(a, approximate="sigmoid"),
            t(lambda a: a * torch.sigmoid(1.702 * a)),
        ),
        ("silu", nf.silu, t(lambda a: F.silu(a))),
        ("softplus", nf.softplus, t(lambda a: F.softplus(a))),
        ("elu", nf.elu, t(lambda a: F.elu(a))),
        ("selu", nf.selu, t(lambda a: F.selu(a))),
        ("relu", nf.relu, t(lambda a: F.relu(a))),
        ("leaky_relu", lambda a: nf.leaky_relu(a, 0.01), t(lambda a: F.leaky_relu(a, 0.01))),
        ("relu6", nf.relu6, t(lambda a: F.relu6(a))),
        (
            "hard_sigmoid 1/6",
            lambda a: nf.hard_sigmoid(a, 1 / 6, 0.5),
            t(lambda a: F.hardsigmoid(a)),
        ),
        ("hard_silu", nf.hard_silu, t(lambda a: F.hardswish(a))),
        ("log_sigmoid", nf.log_sigmoid, t(lambda a: F.logsigmoid(a))),
        ("softsign", nf.softsign, t(lambda a: F.softsign(a))),
    ]


def _cases(torch: Any, x: np.ndarray, gy: np.ndarray, label: str) -> list[Case]:
    cases: list[Case] = []
    tx = tgy = leaf = None
    if torch is not None:
        tx, tgy = torch.from_numpy(x), torch.from_numpy(gy)
        leaf = tx.clone().requires_grad_()  # created once: no per-call copy of the input
    for name, fn, tfn in _activations(torch):

        def nf_fwd(fn: Callable[[Any], Any] = fn) -> None:
            fn(x)

        def nf_fb(fn: Callable[[Any], Any] = fn) -> None:
            xv = nf.Variable(x, requires_grad=True)
            nf.grad(fn(xv), [xv], grad_outputs=[gy])

        t_fwd = t_fb = None
        if tfn is not None:

            def t_fwd(tfn: Callable[[Any], Any] = tfn) -> None:
                with torch.no_grad():
                    tfn(tx)

            def t_fb(tfn: Callable[[Any], Any] = tfn) -> None:
                torch.autograd.grad(tfn(leaf), [leaf], tgy)

        cases.append((f"{name} fwd ({label})", nf_fwd, t_fwd))
        cases.append((f"{name} fwd+bwd ({label})", nf_fb, t_fb))
    return cases


def cpu_table(torch: Any, n: int, repeat: int, only: str | None) -> None:
    """One thread each, CPU time (``time.process_time``, min over interleaved rounds): on a
    shared, loaded machine CPU time is far steadier than wall time. Prints forward and
    forward+backward times, their ratio, and the ratios to PyTorch."""
    os.environ["NNFUNC_NUM_THREADS"] = "1"  # read by the kernels at each call
    if torch is not None:
        torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(np.float32)
    gy = rng.standard_normal(n).astype(np.float32)
    tx = tgy = leaf = None
    if torch is not None:
        tx, tgy = torch.from_numpy(x), torch.from_numpy(gy)
        leaf = tx.clone().requires_grad_()
    print(f"n = {n} float32, 1 thread each, min CPU ms of {repeat} interleaved rounds")
    print(
        f"{'case':17s} {'fwd':>8s} {'fwd+bwd':>8s} {'fb/fwd':>6s} {'torch fwd':>9s} "
        f"{'torch fb':>8s} {'fwd/torch':>9s} {'fb/torch':>8s}"
    )
    for name, fn, tfn in _activations(torch):
        if only and only not in name:
            continue

        def fb(fn: Callable[[Any], Any] = fn) -> None:
            xv = nf.Variable(x, requires_grad=True)
            nf.grad(fn(xv), [xv], grad_outputs=[gy])

        calls: list[Callable[[], Any]] = [lambda fn=fn: fn(x), fb]
        if tfn is not None:

            def t_fwd(tfn: Callable[[Any], Any] = tfn) -> None:
                with torch.no_grad():
                    tfn(tx)

            def t_fb(tfn: Callable[[Any], Any] = tfn) -> None:
                torch.autograd.grad(tfn(leaf), [leaf], tgy)

            calls += [t_fwd, t_fb]
        for c in calls:
            c()  # warm-up: numba compilation, allocator
        best = [float("inf")] * len(calls)
        for _ in range(repeat):
            for k, c in enumerate(calls):
                t0 = time.process_time()
                c()
                best[k] = min(best[k], time.process_time() - t0)
        ms = [b * 1e3 for b in best]
        line = f"{name:17s} {ms[0]:8.3f} {ms[1]:8.3f} {ms[1] / ms[0]:6.2f}"
        if len(ms) == 4:
            line += f" {ms[2]:9.3f} {ms[3]:8.3f} {ms[0] / ms[2]:9.2f} {ms[1] / ms[3]:8.2f}"
        print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--only", default=None, help="run the cases whose name contains this")
    ap.add_argument("--small-only", action="store_true", help="skip the 16M-element cases")
    ap.add_argument(
        "--cpu",
        type=int,
        default=0,
        metavar="N",
        help="instead: the activations on N elements, one thread each, in CPU time",
    )
    args = ap.parse_args()
    torch = torch_or_none(threads=None)
    if args.cpu:
        cpu_table(torch, args.cpu, args.repeat, args.only)
        return
    rng = np.random.default_rng(0)
    m = rng.standard_normal((4096, 1024)).astype(np.float32)
    F = torch.nn.functional if torch is not None else None
    tm = torch.from_numpy(m) if torch is not None else None

    def t(fn: str, arg: object, **kw: object) -> object:
        return None if F is None else (lambda: getattr(F, fn)(arg, **kw))

    cases: list[Case] = []
    if not args.small_only:
        x = rng.standard_normal(16_000_000).astype(np.float32)
        gy = rng.standard_normal(x.shape).astype(np.float32)
        cases += _cases(torch, x, gy, "16M f32")
    xs = rng.standard_normal((256, 256)).astype(np.float32)
    gys = rng.standard_normal(xs.shape).astype(np.float32)
    cases += _cases(torch, xs, gys, "256x256 f32")
    if not args.small_only:
        cases += [
            ("softmax (4096x1024 f32)", lambda: nf.softmax(m), t("softmax", tm, dim=-1)),
            (
                "log_softmax (4096x1024 f32)",
                lambda: nf.log_softmax(m),
                t("log_softmax", tm, dim=-1),
            ),
        ]
    run_cases(cases, torch, args.repeat, args.only)


if __name__ == "__main__":
    main()
