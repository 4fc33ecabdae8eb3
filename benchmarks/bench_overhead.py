"""Per-call overhead of nnfunc: the cost of one call on a 1-element array, where the arithmetic
is free and everything measured is Python dispatch.

Cases: ``add`` in array mode (vs ``numpy.add``); ``add`` on Variables without and with gradient
recording (vs ``torch.add`` on tensors without and with ``requires_grad``); a 10-op chain
recorded and differentiated with ``backward()`` (vs the same chain in PyTorch eager).

Targets (issue 2): array mode within 3x of ``numpy.add``; Variable mode within 2x of PyTorch's
eager overhead.

Run: ``python benchmarks/bench_overhead.py`` (add ``--profile`` for a cProfile of the recorded
``add``).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

import numpy as np
from _common import Row, best_of_each, print_table, torch_or_none

import nnfunc as nf

CHAIN = 10


def chain_nnfunc(x, c):
    y = x
    for i in range(CHAIN):
        y = nf.add(y, c) if i % 2 == 0 else nf.mul(y, c)
    return y


def chain_torch(torch, x, c):
    y = x
    for i in range(CHAIN):
        y = torch.add(y, c) if i % 2 == 0 else torch.mul(y, c)
    return y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--profile", action="store_true", help="cProfile add in array mode and recorded"
    )
    args = parser.parse_args()

    torch = torch_or_none()
    a = np.array([1.5], dtype=np.float32)
    b = np.array([0.5], dtype=np.float32)
    va, vb = nf.Variable(a), nf.Variable(b)
    ga, gb = nf.Variable(a.copy(), requires_grad=True), nf.Variable(b.copy(), requires_grad=True)

    def nnfunc_backward():
        chain_nnfunc(ga, gb).backward()

    cases = [
        ("add, Variables, no grad", lambda: nf.add(va, vb)),
        ("add, Variables, recording", lambda: nf.add(ga, gb)),
        (f"{CHAIN}-op chain, recording", lambda: chain_nnfunc(ga, gb)),
        (f"{CHAIN}-op chain + backward()", nnfunc_backward),
    ]
    others = [None] * len(cases)
    if torch is not None:
        ta, tb = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
        gta = torch.from_numpy(a.copy()).requires_grad_()
        gtb = torch.from_numpy(b.copy()).requires_grad_()

        def torch_backward():
            chain_torch(torch, gta, gtb).backward()

        others = [
            lambda: torch.add(ta, tb),
            lambda: torch.add(gta, gtb),
            lambda: chain_torch(torch, gta, gtb),
            torch_backward,
        ]

    vs_numpy = [Row("add, arrays", *best_of_each([lambda: nf.add(a, b), lambda: np.add(a, b)]))]
    rows = [
        Row(case, *best_of_each([fn, other]))
        for (case, fn), other in zip(cases, others, strict=True)
    ]
    # backward alone = (chain + backward) - chain
    fwd, both = rows[2], rows[3]
    rows.append(
        Row(
            "backward() alone (difference)",
            both.nnfunc - fwd.nnfunc,
            None if torch is None else both.other - fwd.other,
        )
    )

    print(f"nnfunc {nf.__version__}, numpy {np.__version__}", end="")
    print(f", torch {torch.__version__}" if torch is not None else ", torch not installed")
    print_table(vs_numpy, title="Array mode (target: within 3x of numpy.add)", other="numpy")
    print_table(rows, title="Variable mode (target: within 2x of PyTorch eager)", other="torch")

    if args.profile:
        for label, x, y in (("array-mode", a, b), ("recorded", ga, gb)):
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(20000):
                nf.add(x, y)
            profiler.disable()
            print(f"\ncProfile of 20000 {label} adds (tottime):")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
