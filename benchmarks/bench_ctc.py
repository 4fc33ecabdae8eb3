"""CTC loss and beam search: nnfunc next to PyTorch CPU, in one process, as time ratios.

Run: ``python benchmarks/bench_ctc.py [--repeat N] [--only SUBSTRING] [--beam-seqs K]``.
Interleaved rounds against ``torch.nn.functional.ctc_loss`` with 1 thread and with its default
thread count (see ``_paired.py``). nnfunc takes logits, PyTorch log-probabilities, so the
PyTorch side is ``log_softmax`` + ``ctc_loss``. Forward-and-backward cases differentiate the
per-sequence losses with a random output gradient (``nnfunc.grad(y, [x], grad_outputs=[gy])``).
The beam search (width 100) has no PyTorch counterpart: its time per sequence is printed.

``--cpu``: one thread each (``NNFUNC_NUM_THREADS=1`` is set by the script, PyTorch 1 thread),
timed with ``time.thread_time`` (CPU time of the calling thread, best of ``--repeat``): on a
machine shared with other jobs this is far steadier than wall-clock time.
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

SIZES = [(200, 16, 32, 50), (1000, 32, 64, 200)]  # (T, N, C, L)


def _case(rng: np.random.Generator, size: tuple[int, int, int, int], torch: Any) -> list[Case]:
    t, n, c, m = size
    x = rng.normal(0, 1, (t, n, c)).astype(np.float32)  # time-major, as torch
    labels = rng.integers(1, c, (n, m))
    ll = np.full(n, m)
    il = np.full(n, t)
    gy = rng.normal(size=n).astype(np.float32)

    def fwd() -> Any:
        return nf.ctc_loss(labels, x, ll, il, logits_time_major=True)

    def fwd_bwd() -> Any:
        v = nf.Variable(x, requires_grad=True)
        return nf.grad(nf.ctc_loss(labels, v, ll, il, logits_time_major=True), [v], [gy])

    refs: list[Callable[[], Any] | None] = [None, None]
    if torch is not None:
        F = torch.nn.functional
        tx, tlab = torch.from_numpy(x), torch.from_numpy(labels)
        til, tll, tgy = torch.from_numpy(il), torch.from_numpy(ll), torch.from_numpy(gy)
        leaf = tx.clone().requires_grad_(True)

        def t_fwd() -> Any:
            with torch.no_grad():
                return F.ctc_loss(F.log_softmax(tx, 2), tlab, til, tll, reduction="none")

        def t_fwd_bwd() -> Any:
            leaf.grad = None
            loss = F.ctc_loss(F.log_softmax(leaf, 2), tlab, til, tll, reduction="none")
            loss.backward(tgy)
            return leaf.grad

        refs = [t_fwd, t_fwd_bwd]
    tag = f"T={t} N={n} C={c} L={m}"
    return [(f"ctc_loss fwd {tag}", fwd, refs[0]), ("ctc_loss fwd+bwd", fwd_bwd, refs[1])]


def _beam(rng: np.random.Generator, seqs: int) -> None:
    t, n, c = 200, 16, 32
    x = rng.normal(0, 2, (n, t, c)).astype(np.float32)
    n = min(n, seqs)
    t0 = time.perf_counter()
    c0 = time.thread_time()
    nf.ctc_beam_search_decoder(x[:n], np.full(n, t), beam_width=100, top_paths=1)
    cpu = (time.thread_time() - c0) / n
    dt = (time.perf_counter() - t0) / n
    print(
        f"ctc_beam_search_decoder width 100, T={t} C={c}: {dt * 1e3:.1f} ms per sequence "
        f"(CPU {cpu * 1e3:.1f} ms)"
    )


def _cpu_times(cases: list[Case], repeat: int) -> None:
    """Best CPU time of the calling thread, interleaved, one thread each."""
    print(f"{'case (1 thread, CPU time)':42s} {'nnfunc':>9s} {'torch':>9s} {'ratio':>6s}")
    for name, ours, ref in cases:
        if ref is None:
            continue
        ours(), ref()
        best = [np.inf, np.inf]
        for _ in range(repeat):
            for k, f in enumerate((ours, ref)):
                t0 = time.thread_time()
                f()
                best[k] = min(best[k], time.thread_time() - t0)
        ms = f"{best[0] * 1e3:7.1f}ms {best[1] * 1e3:7.1f}ms"
        print(f"{name:42s} {ms} {best[0] / best[1]:6.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default=None, help="run the cases whose name contains this")
    parser.add_argument("--beam-seqs", type=int, default=4, help="sequences beam-searched")
    parser.add_argument("--cpu", action="store_true", help="1 thread each, CPU time")
    args = parser.parse_args()
    if args.cpu:
        os.environ["NNFUNC_NUM_THREADS"] = "1"
    torch = torch_or_none(threads=1 if args.cpu else None)
    rng = np.random.default_rng(0)
    cases: list[Case] = []
    for size in SIZES:
        cases += _case(rng, size, torch)
    if args.cpu:
        _cpu_times([c for c in cases if not args.only or args.only in c[0]], args.repeat)
    else:
        run_cases(cases, torch, args.repeat, args.only)
    if args.beam_seqs > 0:
        _beam(rng, args.beam_seqs)


if __name__ == "__main__":
    main()
