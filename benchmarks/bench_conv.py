"""Convolution and pooling timings, side by side with PyTorch CPU (same process, ratios).

Run: ``PYTHONPATH=src python benchmarks/bench_conv.py [--repeat N] [--quick]``.
Prints, for each case, the best-of-N time of the forward and of forward+backward for nnfunc and
PyTorch and their ratio (ours / torch), and the peak memory of the big convolution's
forward+backward (tracemalloc, NumPy allocations).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

import nnfunc as nf


def best(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def cases(quick):
    n = 8 if quick else 32
    rng = np.random.default_rng(0)
    x1 = rng.standard_normal((n, 64, 56, 56), dtype=np.float32)
    w1 = rng.standard_normal((64, 64, 3, 3), dtype=np.float32) * 0.05
    x2 = rng.standard_normal((8, 3, 32, 32), dtype=np.float32)
    w2 = rng.standard_normal((16, 3, 3, 3), dtype=np.float32)
    wd = rng.standard_normal((64, 1, 3, 3), dtype=np.float32)
    c1 = rng.standard_normal((1, 256, 44, 60), dtype=np.float32)
    c2 = rng.standard_normal((1, 256, 44, 60), dtype=np.float32)
    return [
        (f"conv2d {n}x64x56x56 64->64 3x3 p1", "conv", (x1, w1), {"pad": 1}, {"padding": 1}),
        ("conv2d 8x3x32x32 3->16 3x3", "conv", (x2, w2), {}, {}),
        (f"depthwise 3x3 {n}x64x56x56", "dw", (x1, wd), {"pad": 1}, {"padding": 1, "groups": 64}),
        (f"max_pool 2x2/2 {n}x64x56x56", "max", (x1,), {}, {}),
        (f"avg_pool 3x3/1 p1 {n}x64x56x56", "avg", (x1,), {}, {}),
        # FlowNetC's correlation (the NNabla page's example); PyTorch has no such function
        ("patch_corr 1x256x44x60 shift 20/2", "corr", (c1, c2), {}, None),
    ]


def ours(kind, arrays, kw):
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


def fwd_bwd_ours(fn, arrays):
    vs = [nf.Variable(a, requires_grad=True) for a in arrays]
    y = fn(*vs)
    nf.sum(y).backward()


def fwd_bwd_torch(torch, fn, arrays):
    ts = [torch.from_numpy(a).requires_grad_() for a in arrays]
    fn(*ts).sum().backward()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads (match OPENBLAS_NUM_THREADS)"
    )
    parser.add_argument("--only", default="", help="run the cases whose label contains this")
    args = parser.parse_args()
    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    print(f"{'case':38s} {'pass':9s} {'ours ms':>9s} {'torch ms':>9s} {'ratio':>6s}")
    for label, kind, arrays, kw, tkw in cases(args.quick):
        if args.only not in label:
            continue
        f = ours(kind, arrays, kw)
        rows = [
            ("fwd", lambda f=f, a=arrays: f(*a), None),
            ("fwd+bwd", lambda f=f, a=arrays: fwd_bwd_ours(f, a), None),
        ]
        if torch is not None and tkw is not None:
            g = theirs(torch, kind, tkw)
            ts = [torch.from_numpy(a) for a in arrays]
            rows[0] = ("fwd", rows[0][1], lambda g=g, ts=ts: g(*ts))
            rows[1] = ("fwd+bwd", rows[1][1], lambda g=g, a=arrays: fwd_bwd_torch(torch, g, a))
        for name, mine, other in rows:
            t_ours = best(mine, args.repeat)
            if other is None:
                print(f"{label:38s} {name:9s} {t_ours * 1e3:9.1f}")
                continue
            with torch.no_grad() if name == "fwd" else _Null():
                t_torch = best(other, args.repeat)
            print(
                f"{label:38s} {name:9s} {t_ours * 1e3:9.1f} {t_torch * 1e3:9.1f} "
                f"{t_ours / t_torch:6.2f}"
            )
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


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


if __name__ == "__main__":
    main()
