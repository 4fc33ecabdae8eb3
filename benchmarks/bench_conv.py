"""Convolution and pooling timings, side by side with PyTorch CPU (same process, ratios).

Run: ``PYTHONPATH=src python benchmarks/bench_conv.py [--repeat N] [--quick] [--cpu-time]
[--baseline DIR]``. Prints, for each case, the best-of-N time of the forward and of
forward+backward for nnfunc and PyTorch and their ratio (ours / torch), and the peak memory of
the big convolution's forward+backward (tracemalloc, NumPy allocations). The rounds of the
frameworks are interleaved (one call of each in turn, same machine load). ``--cpu-time``: process
CPU time instead of wall time (a shared machine; give ``NNFUNC_NUM_THREADS=1`` and
``OPENBLAS_NUM_THREADS=1`` with ``--threads 1``). ``--baseline DIR`` also times the nnfunc found
in ``DIR`` (another checkout's ``src/``, see ``_twin.py``) in the same rounds.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import _common  # noqa: F401  (puts the checkout's src/ on sys.path)
import _twin
import numpy as np

import nnfunc as nf

CLOCK = time.perf_counter


def best_each(fns, repeat):
    """Best time of each of ``fns``, the calls interleaved round by round (None stays None)."""
    live = [f for f in fns if f is not None]
    for f in live:
        f()  # warm-up
    times = [[] for _ in fns]
    for _ in range(repeat):
        for k, f in enumerate(fns):
            if f is not None:
                t0 = CLOCK()
                f()
                times[k].append(CLOCK() - t0)
    return [min(t) if t else None for t in times]


def cases(quick):
    n = 8 if quick else 32
    rng = np.random.default_rng(0)
    x1 = rng.standard_normal((n, 64, 56, 56), dtype=np.float32)
    w1 = rng.standard_normal((64, 64, 3, 3), dtype=np.float32) * 0.05
    x2 = rng.standard_normal((8, 3, 32, 32), dtype=np.float32)
    w2 = rng.standard_normal((16, 3, 3, 3), dtype=np.float32)
    x3 = rng.standard_normal((128, 16, 4, 4), dtype=np.float32)
    w3 = rng.standard_normal((32, 16, 3, 3), dtype=np.float32) * 0.1
    wd = rng.standard_normal((64, 1, 3, 3), dtype=np.float32)
    c1 = rng.standard_normal((1, 256, 44, 60), dtype=np.float32)
    c2 = rng.standard_normal((1, 256, 44, 60), dtype=np.float32)
    return [
        (f"conv2d {n}x64x56x56 64->64 3x3 p1", "conv", (x1, w1), {"pad": 1}, {"padding": 1}),
        ("conv2d 8x3x32x32 3->16 3x3", "conv", (x2, w2), {}, {}),
        # the peer harness's conv2d_small (pad 1) and the demo CNN's second convolution
        ("conv2d 8x3x32x32 3->16 3x3 p1", "conv", (x2, w2), {"pad": 1}, {"padding": 1}),
        ("conv2d 128x16x4x4 16->32 3x3 p1", "conv", (x3, w3), {"pad": 1}, {"padding": 1}),
        (f"depthwise 3x3 {n}x64x56x56", "dw", (x1, wd), {"pad": 1}, {"padding": 1, "groups": 64}),
        (f"max_pool 2x2/2 {n}x64x56x56", "max", (x1,), {}, {}),
        (f"avg_pool 3x3/1 p1 {n}x64x56x56", "avg", (x1,), {}, {}),
        # FlowNetC's correlation (the NNabla page's example); PyTorch has no such function
        ("patch_corr 1x256x44x60 shift 20/2", "corr", (c1, c2), {}, None),
    ]


def ours(kind, arrays, kw, nf=nf):
    if kind == "conv":
        return lambda *a: nf.conv(*a, **kw)
    if kind == "dw":
        return lambda *a: nf.depthwise_conv(*a, **kw)
    if kind == "max":
        return lambda x: nf.max_pool(x, (2, 2))
    if kind == "corr":
        return lambda a, b: nf.patch_correlation(a, b, shift=20, shift_step=2)
    return lambda x: nf.avg_pool(x, (3, 3), stride=1, pad=1)


def theirs(torch, kind, kw):
    F = torch.nn.functional
    if kind in ("conv", "dw"):
        return lambda *a: F.conv2d(*a, **kw)
    if kind == "max":
        return lambda x: F.max_pool2d(x, 2)
    return lambda x: F.avg_pool2d(x, 3, 1, 1)


def fwd_bwd_ours(fn, arrays, nf=nf):
    vs = [nf.Variable(a, requires_grad=True) for a in arrays]
    y = fn(*vs)
    nf.sum(y).backward()


def fwd_bwd_torch(torch, fn, arrays):
    ts = [torch.from_numpy(a).requires_grad_() for a in arrays]
    fn(*ts).sum().backward()


def main():
    global CLOCK
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads (match OPENBLAS_NUM_THREADS)"
    )
    parser.add_argument("--only", default="", help="run the cases whose label contains this")
    parser.add_argument("--cpu-time", action="store_true", help="process CPU time, not wall")
    parser.add_argument("--baseline", metavar="DIR", help="also time the nnfunc in DIR")
    args = parser.parse_args()
    if args.cpu_time:
        CLOCK = time.process_time
    base = _twin.load(args.baseline)[0] if args.baseline else None
    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    extra = f" {'before ms':>9s} {'b/torch':>7s}" if base is not None else ""
    print(f"{'case':38s} {'pass':9s} {'ours ms':>9s} {'torch ms':>9s} {'ratio':>6s}{extra}")
    for label, kind, arrays, kw, tkw in cases(args.quick):
        if args.only not in label:
            continue
        f = ours(kind, arrays, kw)
        fb = ours(kind, arrays, kw, base) if base is not None else None
        g = ts = None
        if torch is not None and tkw is not None:
            g = theirs(torch, kind, tkw)
            ts = [torch.from_numpy(a) for a in arrays]
        rows = [
            (
                "fwd",
                lambda f=f, a=arrays: f(*a),
                None if fb is None else (lambda f=fb, a=arrays: f(*a)),
                None if g is None else (lambda g=g, ts=ts: g(*ts)),
            ),
            (
                "fwd+bwd",
                lambda f=f, a=arrays: fwd_bwd_ours(f, a),
                None if fb is None else (lambda f=fb, a=arrays: fwd_bwd_ours(f, a, base)),
                None if g is None else (lambda g=g, a=arrays: fwd_bwd_torch(torch, g, a)),
            ),
        ]
        for name, mine, before, other in rows:
            if other is not None and name == "fwd":

                def other(other=other):
                    with torch.no_grad():
                        other()

            t_ours, t_before, t_torch = best_each([mine, before, other], args.repeat)
            line = f"{label:38s} {name:9s} {t_ours * 1e3:9.3f}"
            if t_torch is not None:
                line += f" {t_torch * 1e3:9.3f} {t_ours / t_torch:6.2f}"
            elif t_before is not None:
                line += f" {'-':>9s} {'-':>6s}"
            if t_before is not None:
                ratio = f"{t_before / t_torch:7.2f}" if t_torch is not None else f"{'-':>7s}"
                line += f" {t_before * 1e3:9.3f} {ratio}"
            print(line)
    label, kind, arrays, kw, _ = cases(args.quick)[0]
    f = ours(kind, arrays, kw)
    tracemalloc.start()
    fwd_bwd_ours(f, arrays)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    inputs = sum(a.nbytes for a in arrays)
    print(
        f"peak memory of '{label}' forward+backward: {peak / 2**20:.0f} MiB "
        f"(inputs {inputs / 2**20:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
