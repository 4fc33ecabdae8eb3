"""Per-call overhead of nnfunc: the cost of one call on a 1-element array, where the arithmetic
is free and everything measured is Python dispatch.

Cases: ``add`` in array mode (vs ``numpy.add``), with two same-shape arrays and with an array and
a Python scalar (the general path: the scalar is converted, shapes broadcast); ``add`` on
Variables without and with gradient recording (vs ``torch.add`` on tensors without and with
``requires_grad``); a recorded Variable times a Python scalar; a 10-op chain recorded, and
recorded then differentiated with ``backward()`` (vs the same chain in PyTorch eager).

Targets (issue 21): array mode within 3x of ``numpy.add``; Variable mode within 2x of PyTorch's
eager overhead.

Run: ``python benchmarks/bench_overhead.py [--repeat N] [--cpu-time] [--baseline DIR]
[--profile]``.
``--baseline DIR`` also times the nnfunc found in ``DIR`` (another checkout's ``src/``, e.g.
``git archive main src | tar -x -C /tmp/base`` then ``--baseline /tmp/base/src``) in the same
process, its rounds interleaved with the others': a before/after comparison on the same machine
load. ``--profile`` prints a cProfile of array-mode and recorded ``add`` and of the chain's
``backward()``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time
from collections.abc import Callable
from typing import Any

import _twin
import numpy as np
from _common import format_seconds, torch_or_none

import nnfunc as nf

CHAIN = 10
A = np.array([1.5], dtype=np.float32)
B = np.array([0.5], dtype=np.float32)


def chain(lib: Any, x: Any, c: Any) -> Any:
    """The 10-op chain: add and mul alternately (``lib`` is nnfunc or torch)."""
    y = x
    for i in range(CHAIN):
        y = lib.add(y, c) if i % 2 == 0 else lib.mul(y, c)
    return y


def nnfunc_cases(nf: Any) -> dict[str, Callable[[], Any]]:
    """The timed calls of one copy of nnfunc."""
    a, b = A.copy(), B.copy()
    va, vb = nf.Variable(a), nf.Variable(b)
    ga, gb = nf.Variable(a.copy(), requires_grad=True), nf.Variable(b.copy(), requires_grad=True)

    def chain_backward() -> None:
        chain(nf, ga, gb).backward()

    return {
        "add, arrays": lambda: nf.add(a, b),
        "add, array + Python scalar": lambda: nf.add(a, 0.5),
        "add, Variables, no grad": lambda: nf.add(va, vb),
        "add, Variables, recording": lambda: nf.add(ga, gb),
        "Variable * Python scalar, recording": lambda: ga * 2.0,
        f"{CHAIN}-op chain, recording": lambda: chain(nf, ga, gb),
        f"{CHAIN}-op chain + backward()": chain_backward,
    }


def reference_cases(torch: Any) -> dict[str, Callable[[], Any] | None]:
    """The same calls in NumPy (array mode) and PyTorch eager (Variables)."""
    a, b = A.copy(), B.copy()
    refs: dict[str, Callable[[], Any] | None] = {
        "add, arrays": lambda: np.add(a, b),
        "add, array + Python scalar": lambda: np.add(a, 0.5),
    }
    if torch is None:
        return refs
    ta, tb = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
    gta = torch.from_numpy(a.copy()).requires_grad_()
    gtb = torch.from_numpy(b.copy()).requires_grad_()

    def chain_backward() -> None:
        chain(torch, gta, gtb).backward()

    refs.update(
        {
            "add, Variables, no grad": lambda: torch.add(ta, tb),
            "add, Variables, recording": lambda: torch.add(gta, gtb),
            "Variable * Python scalar, recording": lambda: gta * 2.0,
            f"{CHAIN}-op chain, recording": lambda: chain(torch, gta, gtb),
            f"{CHAIN}-op chain + backward()": chain_backward,
        }
    )
    return refs


def best_of_each(
    fns: list[Callable[[], Any] | None], repeat: int, clock: Callable[[], float]
) -> list[float | None]:
    """Seconds per call of each function: the best round, rounds interleaved (each round calls
    every function in turn, for about 20 ms each), so all see the same machine load."""
    live = [(k, f) for k, f in enumerate(fns) if f is not None]
    counts = {}
    for k, f in live:
        f()
        n = 1
        while True:  # calls per round: about 20 ms
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            if time.perf_counter() - t0 >= 0.02:
                break
            n *= 2
        counts[k] = n
    best: list[float | None] = [None] * len(fns)
    for _ in range(repeat):
        for k, f in live:
            n = counts[k]
            t0 = clock()
            for _ in range(n):
                f()
            t = (clock() - t0) / n
            best[k] = t if best[k] is None else min(best[k], t)
    return best


def ratio(x: float | None, y: float | None) -> str:
    return "-" if x is None or y is None else f"{x / y:.2f}x"


def profile(nf: Any) -> None:
    """cProfile (tottime) of the array-mode and recorded ``add`` and of the chain's backward."""
    a, b = A.copy(), B.copy()
    ga, gb = nf.Variable(a.copy(), requires_grad=True), nf.Variable(b.copy(), requires_grad=True)
    runs = (
        ("array-mode adds", 20000, lambda: nf.add(a, b)),
        ("recorded adds", 20000, lambda: nf.add(ga, gb)),
        ("chains + backward()", 2000, lambda: chain(nf, ga, gb).backward()),
    )
    for label, n, fn in runs:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(n):
            fn()
        profiler.disable()
        print(f"\ncProfile of {n} {label} (tottime):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(14)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9, help="interleaved rounds per case")
    parser.add_argument("--baseline", metavar="DIR", help="also time the nnfunc found in DIR")
    parser.add_argument("--profile", action="store_true", help="cProfile add and backward()")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="process CPU time rather than wall time (steadier on a loaded machine)",
    )
    args = parser.parse_args()

    base = _twin.load(args.baseline)[0] if args.baseline else None
    torch = torch_or_none()
    ours = nnfunc_cases(nf)
    before = nnfunc_cases(base) if base is not None else {}
    refs = reference_cases(torch)

    print(f"nnfunc {nf.__version__}, numpy {np.__version__}", end="")
    print(f", torch {torch.__version__}" if torch is not None else ", torch not installed")
    clock = time.process_time if args.cpu_time else time.perf_counter
    print(f"load average at start: {os.getloadavg()[0]:.2f}; best of {args.repeat} rounds", end="")
    print("; process CPU time" if args.cpu_time else "; wall time")
    times = {}
    for case, fn in ours.items():
        fns = [fn, before.get(case), refs.get(case)]
        times[case] = best_of_each(fns, args.repeat, clock)
    # backward alone = (chain + backward) - chain
    rec, both = times[f"{CHAIN}-op chain, recording"], times[f"{CHAIN}-op chain + backward()"]
    times["backward() alone (difference)"] = [
        None if x is None or y is None else y - x for x, y in zip(rec, both, strict=True)
    ]
    print(f"load average at end: {os.getloadavg()[0]:.2f}\n")
    head = ["case", "nnfunc", "reference", "ratio"]
    if base is not None:
        head[2:2] = ["before"]
        head.append("ratio before")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for case, (t, t_before, t_ref) in times.items():
        cells = [case, format_seconds(t), format_seconds(t_ref), ratio(t, t_ref)]
        if base is not None:
            cells[2:2] = [format_seconds(t_before)]
            cells.append(ratio(t_before, t_ref))
        print("| " + " | ".join(cells) + " |")
    print(
        "\nreference: numpy.add for arrays, torch eager for Variables; "
        "targets: arrays <= 3x, Variables <= 2x"
    )

    if args.profile:
        profile(nf)


if __name__ == "__main__":
    main()
