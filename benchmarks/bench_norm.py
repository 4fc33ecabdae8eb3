"""Normalization timings side by side with PyTorch CPU (ratios; run: PYTHONPATH=src python
benchmarks/bench_norm.py [--repeat N])."""

from __future__ import annotations

import argparse
import time

import numpy as np

import nnfunc as nf


def best(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    rng = np.random.default_rng(0)
    rows = []

    x = rng.standard_normal((32, 64, 56, 56), dtype=np.float32)
    g = np.ones(64, np.float32)
    b = np.zeros(64, np.float32)
    rm, rv = np.zeros(64, np.float32), np.ones(64, np.float32)
    gy = rng.standard_normal(x.shape, dtype=np.float32)

    def nf_bn_fwd():
        nf.batch_normalization(x, rm, rv, b, g, training=True)

    def nf_bn_fb():
        xv, gv, bv = (nf.Variable(a, requires_grad=True) for a in (x, g, b))
        y = nf.batch_normalization(xv, rm, rv, bv, gv, training=True)
        y.backward(gy)

    rows.append(("batch_norm train fwd (32,64,56,56)", best(nf_bn_fwd, args.repeat), None))
    rows.append(("batch_norm train fwd+bwd", best(nf_bn_fb, args.repeat), None))

    xl = rng.standard_normal((64, 512, 768), dtype=np.float32)
    gl, bl = np.ones(768, np.float32), np.zeros(768, np.float32)

    def nf_ln():
        nf.layer_normalization(xl, gl, bl)

    rows.append(("layer_norm fwd (64,512,768) last axis", best(nf_ln, args.repeat), None))

    if torch is not None:
        tx, tg, tb = torch.tensor(x), torch.tensor(g), torch.tensor(b)
        trm, trv = torch.zeros(64), torch.ones(64)
        tgy = torch.tensor(gy)

        def t_bn_fwd():
            with torch.no_grad():
                torch.nn.functional.batch_norm(tx, trm, trv, tg, tb, training=True)

        def t_bn_fb():
            a = tx.clone().requires_grad_()
            w = tg.clone().requires_grad_()
            c = tb.clone().requires_grad_()
            torch.nn.functional.batch_norm(a, trm, trv, w, c, training=True).backward(tgy)

        txl, tgl, tbl = torch.tensor(xl), torch.tensor(gl), torch.tensor(bl)

        def t_ln():
            with torch.no_grad():
                torch.nn.functional.layer_norm(txl, (768,), tgl, tbl)

        for i, fn in enumerate((t_bn_fwd, t_bn_fb, t_ln)):
            name, ours, _ = rows[i]
            rows[i] = (name, ours, best(fn, args.repeat))
        print(f"torch threads: {torch.get_num_threads()}")

    for name, ours, theirs in rows:
        if theirs is None:
            print(f"{name:42s} nnfunc {ours * 1e3:8.1f} ms")
        else:
            print(
                f"{name:42s} nnfunc {ours * 1e3:8.1f} ms  torch {theirs * 1e3:8.1f} ms  "
                f"ratio {ours / theirs:5.2f}x"
            )


if __name__ == "__main__":
    main()
