"""Attention timings and memory side by side with PyTorch CPU in the same process.

Run: ``python benchmarks/bench_attention.py [--repeat N] [--only S] [--no-memory] [--cpu-time]``.

* Time: float32, B=8, 12 heads, T=S=512, head dim 64, the BNTH layout on both sides (PyTorch's
  ``scaled_dot_product_attention`` layout), forward and forward+backward with a random output
  gradient, without and with the causal mask; and the self-attention of a Transformer encoder
  block (``multi_head_attention``, batch 16, T 256, d_model 512, 8 heads, biases) against
  ``torch.nn.functional.multi_head_attention_forward``. Interleaved rounds against PyTorch with 1
  thread and with its default threads (``_paired.py``): median times and the median
  (interquartile range) of the per-round ratios nnfunc / torch.
* Memory: T=S=4096, B=1, 8 heads, head dim 64, causal, forward+backward. Peak of the Python
  allocations (``tracemalloc``, which sees NumPy's buffers, not PyTorch's) and, for both
  libraries, the growth of the peak resident memory (Linux ``VmHWM`` after a reset through
  ``/proc/self/clear_refs``) in a fresh subprocess, against the size of the (B, N, T, S)
  float32 score matrix (512 MiB).
* ``--cpu-time``: instead of wall-clock ratios, the CPU time of each side on one thread
  (steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import torch_or_none
from _paired import Case, run_cases

import nnfunc as nf
from nnfunc.kernels.cpu.blas import one_thread_blas

_SRC = str(Path(__file__).resolve().parents[1] / "src")


def time_cases(repeat: int, only: str | None, cpu_time: bool) -> None:
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
    cases += mha_cases(torch)
    if cpu_time:
        cpu_table(cases, torch, repeat, only)
    else:
        run_cases(cases, torch, repeat, only)


def mha_cases(torch: Any) -> list[Case]:
    """Self-attention of a Transformer encoder block: batch 16, T 256, d_model 512, 8 heads,
    biases, batch-first; the gradients of the input and of the 8 projection parameters."""
    rng = np.random.default_rng(1)
    b, t, e, heads = 16, 256, 512, 8
    x, gy = (rng.standard_normal((b, t, e), dtype=np.float32) for _ in range(2))
    ws = [rng.standard_normal((e, e), dtype=np.float32) / float(np.sqrt(e)) for _ in range(4)]
    bs = [rng.standard_normal(e, dtype=np.float32) * 0.1 for _ in range(4)]

    def ours(backward: bool):
        def call() -> None:
            if not backward:
                nf.multi_head_attention(x, x, x, heads, *ws, *bs)
                return
            vs = [nf.Variable(a, requires_grad=True) for a in (x, *ws, *bs)]
            y = nf.multi_head_attention(vs[0], vs[0], vs[0], heads, *vs[1:])
            nf.grad(y, vs, grad_outputs=[gy])

        return call

    def theirs(backward: bool):
        if torch is None:
            return None
        fn = torch.nn.functional.multi_head_attention_forward
        # torch's packed in-projection weight (3E, E) acts as x @ W^T: ours are (E, E) x @ W
        in_w = torch.from_numpy(np.concatenate([w.T for w in ws[:3]]))
        in_b = torch.from_numpy(np.concatenate(bs[:3]))
        out_w, out_b = torch.from_numpy(ws[3].T.copy()), torch.from_numpy(bs[3])
        tx = torch.from_numpy(x.transpose(1, 0, 2).copy())  # (T, B, E): torch's functional form
        tg = torch.from_numpy(gy.transpose(1, 0, 2).copy())

        def run(xx, iw, ib, ow, ob):
            return fn(xx, xx, xx, e, heads, iw, ib, None, None, False, 0.0, ow, ob,
                      need_weights=False)[0]  # fmt: skip

        leaves = [a.clone().requires_grad_() for a in (tx, in_w, in_b, out_w, out_b)]

        def call() -> None:
            if not backward:
                with torch.no_grad():
                    run(tx, in_w, in_b, out_w, out_b)
                return
            torch.autograd.grad(run(*leaves), leaves, tg)

        return call

    label = f"mha encoder self-attn ({b},{t},{e},{heads}h)"
    return [(f"{label} fwd", ours(False), theirs(False)),
            (f"{label} fwd+bwd", ours(True), theirs(True))]  # fmt: skip


def cpu_table(cases: list[Case], torch: Any, repeat: int, only: str | None) -> None:
    """CPU time (``time.process_time``) of each side on ONE thread, interleaved rounds.

    On a machine shared with other jobs, wall-clock ratios swing with the load; the CPU time
    one thread spends is much steadier (it still feels the shared caches).
    """
    os.environ["NNFUNC_NUM_THREADS"] = "1"
    if torch is not None:
        torch.set_num_threads(1)
    print("CPU time, 1 thread each (NNFUNC_NUM_THREADS=1, OpenBLAS 1, torch.set_num_threads(1))")
    with one_thread_blas():  # the projections' GEMMs too: OpenBLAS's spinning 2nd thread
        _cpu_rows(cases, torch, repeat, only)  # would count as CPU time


def _cpu_rows(cases: list[Case], torch: Any, repeat: int, only: str | None) -> None:
    print(f"{'case':42s} {'nnfunc':>9s} {'torch':>9s} {'ratio (IQR)':>19s}")
    for name, ours, ref in cases:
        if only and only not in name:
            continue
        ours()
        if ref is not None:
            ref()
        t_ours, t_ref = [], []
        for _ in range(repeat):
            t0 = time.process_time()
            ours()
            t_ours.append(time.process_time() - t0)
            if ref is not None:
                t0 = time.process_time()
                ref()
                t_ref.append(time.process_time() - t0)
        a = np.array(t_ours)
        cells = f"{np.median(a) * 1e3:7.1f}ms"
        if t_ref:
            r = a / np.array(t_ref)
            q1, med, q3 = np.percentile(r, [25, 50, 75])
            cells += f" {np.median(t_ref) * 1e3:7.1f}ms {med:5.2f} ({q1:.2f}-{q3:.2f})"
        print(f"{name:42s} {cells}", flush=True)


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
    ap.add_argument(
        "--cpu-time", action="store_true", help="CPU time on one thread each (shared machines)"
    )
    args = ap.parse_args()
    time_cases(args.repeat, args.only, args.cpu_time)
    if not args.no_memory:
        memory_cases()


if __name__ == "__main__":
    main()
