"""Attention timings and memory side by side with PyTorch CPU in the same process.

Run: ``python benchmarks/bench_attention.py [--repeat N] [--only SUBSTRING] [--no-memory]``.

* Time: float32, B=8, 12 heads, T=S=512, head dim 64, the BNTH layout on both sides (PyTorch's
  ``scaled_dot_product_attention`` layout), forward and forward+backward with a random output
  gradient, without and with the causal mask. Interleaved rounds against PyTorch with 1
  thread and with its default threads (``_paired.py``): median times and the median
  (interquartile range) of the per-round ratios nnfunc / torch.
* Memory: T=S=4096, B=1, 8 heads, head dim 64, causal, forward+backward. Peak of the Python
  allocations (``tracemalloc``, which sees NumPy's buffers, not PyTorch's) and, for both
  libraries, the growth of the peak resident memory (Linux ``VmHWM`` after a reset through
  ``/proc/self/clear_refs``) in a fresh subprocess, against the size of the (B, N, T, S)
  float32 score matrix (512 MiB).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
from _common import torch_or_none
from _paired import Case, run_cases

import nnfunc as nf

_SRC = str(Path(__file__).resolve().parents[1] / "src")


def time_cases(repeat: int, only: str | None) -> None:
    torch = torch_or_none(threads=None)
    rng = np.random.default_rng(0)
    b, n, t, h = 8, 12, 512, 64
    q, k, v, gy = (rng.standard_normal((b, n, t, h), dtype=np.float32) for _ in range(4))

    def ours(causal: bool, backward: bool):
        def call() -> None:
            if not backward:
                nf.dot_product_attention(q, k, v, is_causal=causal, layout="BNTH")
                return
            ins = [nf.Variable(x, requires_grad=True) for x in (q, k, v)]
            y = nf.dot_product_attention(*ins, is_causal=causal, layout="BNTH")
            nf.grad(y, ins, grad_outputs=[gy])

        return call

    def theirs(causal: bool, backward: bool):
        if torch is None:
            return None
        sdpa = torch.nn.functional.scaled_dot_product_attention
        tq, tk, tv, tg = (torch.from_numpy(x) for x in (q, k, v, gy))
        leaves = [x.clone().requires_grad_() for x in (tq, tk, tv)]

        def call() -> None:
            if not backward:
                with torch.no_grad():
                    sdpa(tq, tk, tv, is_causal=causal)
                return
            torch.autograd.grad(sdpa(*leaves, is_causal=causal), leaves, tg)

        return call

    cases: list[Case] = []
    for causal in (False, True):
        for backward in (False, True):
            label = f"sdpa {'causal ' if causal else ''}{'fwd+bwd' if backward else 'fwd'}"
            cases.append(
                (f"{label} (8,12,512,64)", ours(causal, backward), theirs(causal, backward))
            )
    run_cases(cases, torch, repeat, only)


_MEMORY = """
import sys, tracemalloc
sys.path.insert(0, {src!r})
import numpy as np
which = {which!r}
b, n, t, h = 1, 8, 4096, 64
rng = np.random.default_rng(0)
q, k, v, gy = (rng.standard_normal((b, n, t, h), dtype=np.float32) for _ in range(4))
if which == "torch":
    import torch
    sdpa = torch.nn.functional.scaled_dot_product_attention
    leaves = [torch.from_numpy(x).requires_grad_() for x in (q, k, v)]
    def run():
        torch.autograd.grad(sdpa(*leaves, is_causal=True), leaves, torch.from_numpy(gy))
else:
    import nnfunc as nf
    ins = [nf.Variable(x, requires_grad=True) for x in (q, k, v)]
    def run():
        y = nf.dot_product_attention(*ins, is_causal=True, layout="BNTH")
        nf.grad(y, ins, grad_outputs=[gy])
def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
run()  # warm-up: numba compilation, torch's first-call setup
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak resident size (VmHWM) to the current one
base = status("VmRSS")
tracemalloc.start()
run()
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(peak, status("VmHWM") - base)
"""


def memory_cases() -> None:
    scores = 1 * 8 * 4096 * 4096 * 4
    print(f"\nmemory, causal fwd+bwd (1,8,4096,64) float32; score matrix {scores / 2**20:.0f} MiB")
    print(f"{'library':10s} {'tracemalloc peak':>18s} {'peak RSS growth':>16s}")
    for which in ("nnfunc", "torch"):
        code = textwrap.dedent(_MEMORY.format(src=_SRC, which=which))
        res = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        if res.returncode:
            print(f"{which:10s} failed: {res.stderr.strip().splitlines()[-1:]}")
            continue
        peak, grown = (int(x) for x in res.stdout.split())
        shown = f"{peak / 2**20:14.1f} MiB" if which == "nnfunc" else f"{'(not seen)':>18s}"
        print(f"{which:10s} {shown:>18s} {grown / 2**20:12.1f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default=None, help="run the cases whose name contains this")
    ap.add_argument("--no-memory", action="store_true", help="skip the T=4096 memory case")
    args = ap.parse_args()
    time_cases(args.repeat, args.only)
    if not args.no_memory:
        memory_cases()


if __name__ == "__main__":
    main()
