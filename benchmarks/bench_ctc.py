"""CTC loss and beam search: nnfunc next to PyTorch CPU, in one process, as time ratios.

Run: ``python benchmarks/bench_ctc.py [--repeat N] [--only SUBSTRING] [--beam-seqs K]``.
Interleaved rounds against ``torch.nn.functional.ctc_loss`` with 1 thread and with its default
thread count (see ``_paired.py``). nnfunc takes logits, PyTorch log-probabilities, so the
PyTorch side is ``log_softmax`` + ``ctc_loss``. Forward-and-backward cases differentiate the
per-sequence losses with a random output gradient (``nnfunc.grad(y, [x], grad_outputs=[gy])``).
The beam search (width 100) has no PyTorch counterpart: its time per sequence is printed.
"""

from __future__ import annotations

import argparse
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
    nf.ctc_beam_search_decoder(x[:n], np.full(n, t), beam_width=100, top_paths=1)
    dt = (time.perf_counter() - t0) / n
    print(f"ctc_beam_search_decoder width 100, T={t} C={c}: {dt * 1e3:.1f} ms per sequence")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", default=None, help="run the cases whose name contains this")
    parser.add_argument("--beam-seqs", type=int, default=4, help="sequences beam-searched")
    args = parser.parse_args()
    torch = torch_or_none(threads=None)
    rng = np.random.default_rng(0)
    cases: list[Case] = []
    for size in SIZES:
        cases += _case(rng, size, torch)
    run_cases(cases, torch, args.repeat, args.only)
    if args.beam_seqs > 0:
        _beam(rng, args.beam_seqs)


if __name__ == "__main__":
    main()
