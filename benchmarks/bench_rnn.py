"""Recurrent layers: nnfunc next to PyTorch CPU (``torch.lstm`` / ``torch.gru``), float32.

Run: ``python benchmarks/bench_rnn.py [--repeat N] [--only SUBSTRING]``. Cases of the issue:
LSTM and GRU with 1 layer, T=100, B=32, input = hidden = 256, time-major; a 2-layer
bidirectional LSTM with T=50, B=16, input = hidden = 128. Forward, and forward + backward with a
random output gradient (``nnfunc.grad(y, inputs, grad_outputs=gy)`` / ``torch.autograd.grad``)
for the input, every weight and bias. Interleaved rounds against PyTorch with 1 thread and with
its default threads (``_paired.py``). Then the peak memory (tracemalloc) of one LSTM
forward + backward next to the size of what its forward keeps for the backward pass.

``--cpu-time``: process CPU time on one thread instead (nnfunc and torch interleaved; for a
loaded machine, run with ``NNFUNC_NUM_THREADS=1``). ``--threads``: nnfunc alone, one thread
against ``NNFUNC_NUM_THREADS`` threads (default 2) in interleaved rounds, wall and CPU time and
the load average: what the batch-sliced time loop and the row-split GEMMs gain (only a machine
with idle cores can show it).
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from typing import Any

import numpy as np
from _common import torch_or_none
from _paired import Case, run_cases, run_cases_cpu_time

import nnfunc as nf


def _weights(rng: np.random.Generator, layers: int, dirs: int, n_in: int, h: int, g: int):
    """Canonical per-layer weights (D, I, G*H), (D, H, G*H), biases (D, G*H)."""
    wx, wh, bx, bh = [], [], [], []
    s = 1 / np.sqrt(h)
    for layer in range(layers):
        i = n_in if layer == 0 else dirs * h
        wx.append(rng.uniform(-s, s, (dirs, i, g * h)).astype(np.float32))
        wh.append(rng.uniform(-s, s, (dirs, h, g * h)).astype(np.float32))
        bx.append(rng.uniform(-s, s, (dirs, g * h)).astype(np.float32))
        bh.append(rng.uniform(-s, s, (dirs, g * h)).astype(np.float32))
    return wx, wh, bx, bh


def _case(torch: Any, kind: str, t: int, b: int, h: int, layers: int, dirs: int):
    rng = np.random.default_rng(0)
    g = 4 if kind == "lstm" else 3
    x = rng.standard_normal((t, b, h)).astype(np.float32)
    wx, wh, bx, bh = _weights(rng, layers, dirs, h, h, g)
    gy = rng.standard_normal((t, b, dirs * h)).astype(np.float32)
    direction = "bidirectional" if dirs == 2 else "forward"

    def ours(vs: list[Any]) -> Any:
        n = len(wx)
        if kind == "lstm":
            b_sum = [a + c for a, c in zip(vs[1 + 2 * n :][:n], vs[1 + 3 * n :][:n], strict=True)]
            return nf.lstm(vs[0], vs[1 : 1 + n], vs[1 + n : 1 + 2 * n], b_sum, direction=direction)[
                0
            ]
        return nf.gru(
            vs[0],
            vs[1 : 1 + n],
            vs[1 + n : 1 + 2 * n],
            vs[1 + 2 * n : 1 + 3 * n],
            vs[1 + 3 * n :],
            direction=direction,
        )[0]

    arrays = [x, *wx, *wh, *bx, *bh]

    def fwd() -> None:
        ours(arrays)

    def fwd_bwd() -> None:
        vs = [nf.Variable(a, requires_grad=True) for a in arrays]
        nf.grad(ours(vs), vs, grad_outputs=gy)

    t_fwd = t_bwd = None
    if torch is not None:
        tx = torch.from_numpy(x)
        params = []
        for layer in range(layers):
            for d in range(dirs):
                # torch: weight_ih (G*H, I), weight_hh (G*H, H), b_ih, b_hh
                params += [
                    torch.from_numpy(np.ascontiguousarray(wx[layer][d].T)),
                    torch.from_numpy(np.ascontiguousarray(wh[layer][d].T)),
                    torch.from_numpy(bx[layer][d]),
                    torch.from_numpy(bh[layer][d]),
                ]
        zeros = torch.zeros(layers * dirs, b, h)
        tgy = torch.from_numpy(gy)
        leaves = [p.clone().requires_grad_(True) for p in [tx, *params]]

        def run(ins: list[Any]) -> Any:
            if kind == "lstm":
                return torch.lstm(
                    ins[0], (zeros, zeros), ins[1:], True, layers, 0.0, False, dirs == 2, False
                )[0]
            return torch.gru(ins[0], zeros, ins[1:], True, layers, 0.0, False, dirs == 2, False)[0]

        def t_fwd() -> None:
            with torch.no_grad():
                run([tx, *params])

        def t_bwd() -> None:
            torch.autograd.grad(run(leaves), leaves, grad_outputs=tgy)

    name = f"{kind} L{layers} D{dirs} T{t} B{b} H{h}"
    return [(f"{name} fwd", fwd, t_fwd), (f"{name} fwd+bwd", fwd_bwd, t_bwd)]


def memory_report() -> None:
    """Peak traced memory of one LSTM forward + backward vs. the activations it keeps."""
    t, b, h = 100, 32, 256
    rng = np.random.default_rng(1)
    x = rng.standard_normal((t, b, h)).astype(np.float32)
    wx, wh, bx, _ = _weights(rng, 1, 1, h, h, 4)
    gy = rng.standard_normal((t, b, h)).astype(np.float32)
    vs = [
        nf.Variable(a[0] if isinstance(a, list) else a, requires_grad=True) for a in (x, wx, wh, bx)
    ]
    nf.grad(nf.lstm(*vs)[0], vs, grad_outputs=gy)  # warm-up (numba compilation)
    tracemalloc.start()
    y = nf.lstm(*vs)[0]
    _, peak_fwd = tracemalloc.get_traced_memory()
    nf.grad(y, vs, grad_outputs=gy)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = 4 * (t * b * 4 * h + 2 * (t + 1) * b * h)  # gates, h and c states (float32)
    io = 4 * (x.size + y.size)
    print(
        f"\nLSTM T={t} B={b} H={h} fwd+bwd: peak traced memory {peak / 2**20:.1f} MiB "
        f"(after forward {peak_fwd / 2**20:.1f} MiB); activations kept for backward "
        f"{kept / 2**20:.1f} MiB (gates {4 * t * b * 4 * h / 2**20:.1f} MiB + states); "
        f"x and y {io / 2**20:.1f} MiB"
    )


def threads_report(cases: list[Case], threads: str, repeat: int, only: str | None) -> None:
    """nnfunc with 1 thread and with ``threads`` threads, interleaved: wall and CPU medians."""
    print(f"nnfunc 1 thread vs {threads} threads; load average {os.getloadavg()}")
    print(f"{'case':40s} {'wall 1':>8s} {'wall n':>8s} {'cpu 1':>8s} {'cpu n':>8s} {'1/n':>5s}")
    for name, ours, _ in cases:
        if only and only not in name:
            continue
        got: dict[str, list[tuple[float, float]]] = {"1": [], threads: []}
        for n in got:
            os.environ["NNFUNC_NUM_THREADS"] = n
            ours()  # warm-up
        for _ in range(repeat):
            for n, rows in got.items():
                os.environ["NNFUNC_NUM_THREADS"] = n
                w0, c0 = time.perf_counter(), time.process_time()
                ours()
                rows.append((time.perf_counter() - w0, time.process_time() - c0))
        (w1, c1), (wn, cn) = (np.median(np.array(v), axis=0) * 1e3 for v in got.values())
        print(f"{name:40s} {w1:6.1f}ms {wn:6.1f}ms {c1:6.1f}ms {cn:6.1f}ms {w1 / wn:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--only", default=None, help="run the cases whose name contains this")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--cpu-time", action="store_true", help="one-thread CPU time")
    parser.add_argument("--threads", default=None, help="nnfunc 1 vs this many threads")
    args = parser.parse_args()
    torch = torch_or_none(threads=None)
    cases: list[Case] = []
    for spec in (
        ("lstm", 100, 32, 256, 1, 1),
        ("gru", 100, 32, 256, 1, 1),
        ("lstm", 50, 16, 128, 2, 2),
    ):
        cases += _case(torch, *spec)
    if args.threads:
        threads_report(cases, args.threads, args.repeat, args.only)
        return
    if args.cpu_time:
        run_cases_cpu_time(cases, torch, args.repeat, args.only)
    else:
        run_cases(cases, torch, args.repeat, args.only)
    if not args.no_memory:
        memory_report()


if __name__ == "__main__":
    main()
