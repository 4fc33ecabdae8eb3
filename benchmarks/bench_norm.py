"""Normalization timings side by side with PyTorch CPU in the same process.

Run: ``python benchmarks/bench_norm.py [--repeat N] [--only SUBSTRING]``. Interleaved rounds
against PyTorch with 1 thread and with its default thread count; the table gives median times
and the median (interquartile range) of the per-round ratios nnfunc / torch. See
``_paired.py``. Forward-and-backward cases build the graph and call ``backward`` on both sides.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import torch_or_none
from _paired import Case, run_cases

import nnfunc as nf


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--only", default=None, help="run the cases whose name contains this")
    args = ap.parse_args()
    torch = torch_or_none(threads=None)
    rng = np.random.default_rng(0)

    x = rng.standard_normal((32, 64, 56, 56), dtype=np.float32)
    g = np.ones(64, np.float32)
    b = np.zeros(64, np.float32)
    rm, rv = np.zeros(64, np.float32), np.ones(64, np.float32)
    gy = rng.standard_normal(x.shape, dtype=np.float32)
    xl = rng.standard_normal((64, 512, 768), dtype=np.float32)
    gl, bl = np.ones(768, np.float32), np.zeros(768, np.float32)
    gyl = rng.standard_normal(xl.shape, dtype=np.float32)

    def nf_bn_fwd() -> None:
        nf.batch_normalization(x, rm, rv, b, g, training=True)

    def nf_bn_fb() -> None:
        xv, gv, bv = (nf.Variable(a, requires_grad=True) for a in (x, g, b))
        nf.batch_normalization(xv, rm, rv, bv, gv, training=True).backward(gy)

    def nf_ln() -> None:
        nf.layer_normalization(xl, gl, bl)

    def nf_ln_fb() -> None:
        xv, gv, bv = (nf.Variable(a, requires_grad=True) for a in (xl, gl, bl))
        nf.layer_normalization(xv, gv, bv).backward(gyl)

    refs: list = [None] * 4
    if torch is not None:
        F = torch.nn.functional
        tx, tg, tb, tgy = (torch.from_numpy(a) for a in (x, g, b, gy))
        trm, trv = torch.zeros(64), torch.ones(64)
        txl, tgl, tbl, tgyl = (torch.from_numpy(a) for a in (xl, gl, bl, gyl))

        def t_bn_fwd() -> None:
            with torch.no_grad():
                F.batch_norm(tx, trm, trv, tg, tb, training=True)

        # Leaves created once (no per-call copy of the input); their .grad reset every call.
        leaves_bn = [t.clone().requires_grad_() for t in (tx, tg, tb)]
        leaves_ln = [t.clone().requires_grad_() for t in (txl, tgl, tbl)]

        def t_bn_fb() -> None:
            a, w, c = leaves_bn
            for t in leaves_bn:
                t.grad = None
            F.batch_norm(a, trm, trv, w, c, training=True).backward(tgy)

        def t_ln() -> None:
            with torch.no_grad():
                F.layer_norm(txl, (768,), tgl, tbl)

        def t_ln_fb() -> None:
            a, w, c = leaves_ln
            for t in leaves_ln:
                t.grad = None
            F.layer_norm(a, (768,), w, c).backward(tgyl)

        refs = [t_bn_fwd, t_bn_fb, t_ln, t_ln_fb]
    cases: list[Case] = [
        ("batch_norm train fwd (32,64,56,56)", nf_bn_fwd, refs[0]),
        ("batch_norm train fwd+bwd", nf_bn_fb, refs[1]),
        ("layer_norm fwd (64,512,768) last axis", nf_ln, refs[2]),
        ("layer_norm fwd+bwd", nf_ln_fb, refs[3]),
    ]
    run_cases(cases, torch, args.repeat, args.only)


if __name__ == "__main__":
    main()
