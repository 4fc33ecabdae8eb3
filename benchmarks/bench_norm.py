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

    # Given statistics (the inference form): gradients wrt x, gamma, beta with a random gy.
    m_inf = rng.standard_normal(64).astype(np.float32) * 0.1
    v_inf = rng.uniform(0.5, 1.5, 64).astype(np.float32)
    g_inf = 1 + rng.standard_normal(64).astype(np.float32) * 0.1
    b_inf = rng.standard_normal(64).astype(np.float32) * 0.1

    def nf_bni() -> None:
        nf.batch_normalization(x, m_inf, v_inf, b_inf, g_inf)

    def nf_bni_fb() -> None:
        xv, gv, bv = (nf.Variable(a, requires_grad=True) for a in (x, g_inf, b_inf))
        y = nf.batch_normalization(xv, m_inf, v_inf, bv, gv)
        nf.grad(y, [xv, gv, bv], grad_outputs=[gy])

    def nf_gn() -> None:
        nf.group_normalization(x, 32, g_inf, b_inf)

    def nf_gn_fb() -> None:
        xv, gv, bv = (nf.Variable(a, requires_grad=True) for a in (x, g_inf, b_inf))
        nf.grad(nf.group_normalization(xv, 32, gv, bv), [xv, gv, bv], grad_outputs=[gy])

    def nf_in() -> None:
        nf.instance_normalization(x, g_inf, b_inf)

    def nf_in_fb() -> None:
        xv, gv, bv = (nf.Variable(a, requires_grad=True) for a in (x, g_inf, b_inf))
        nf.grad(nf.instance_normalization(xv, gv, bv), [xv, gv, bv], grad_outputs=[gy])

    def nf_ln() -> None:
        nf.layer_normalization(xl, gl, bl)

    def nf_ln_fb() -> None:
        xv, gv, bv = (nf.Variable(a, requires_grad=True) for a in (xl, gl, bl))
        nf.layer_normalization(xv, gv, bv).backward(gyl)

    refs: list = [None] * 10
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

        ti = [torch.from_numpy(a) for a in (m_inf, v_inf, g_inf, b_inf)]
        leaves_i = [t.clone().requires_grad_() for t in (tx, ti[2], ti[3])]

        def t_bni() -> None:
            with torch.no_grad():
                F.batch_norm(tx, ti[0], ti[1], ti[2], ti[3], training=False)

        def t_bni_fb() -> None:
            a, w, c = leaves_i
            y = F.batch_norm(a, ti[0], ti[1], w, c, training=False)
            torch.autograd.grad(y, leaves_i, tgy)

        def t_gn() -> None:
            with torch.no_grad():
                F.group_norm(tx, 32, ti[2], ti[3])

        def t_gn_fb() -> None:
            a, w, c = leaves_i
            torch.autograd.grad(F.group_norm(a, 32, w, c), leaves_i, tgy)

        def t_in() -> None:
            with torch.no_grad():
                F.instance_norm(tx, weight=ti[2], bias=ti[3])

        def t_in_fb() -> None:
            a, w, c = leaves_i
            torch.autograd.grad(F.instance_norm(a, weight=w, bias=c), leaves_i, tgy)

        refs = [t_bn_fwd, t_bn_fb, t_ln, t_ln_fb, t_bni, t_bni_fb, t_gn, t_gn_fb, t_in, t_in_fb]
    cases: list[Case] = [
        ("batch_norm train fwd (32,64,56,56)", nf_bn_fwd, refs[0]),
        ("batch_norm train fwd+bwd", nf_bn_fb, refs[1]),
        ("layer_norm fwd (64,512,768) last axis", nf_ln, refs[2]),
        ("layer_norm fwd+bwd", nf_ln_fb, refs[3]),
        ("batch_norm given stats fwd (32,64,56,56)", nf_bni, refs[4]),
        ("batch_norm given stats fwd+bwd", nf_bni_fb, refs[5]),
        ("group_norm 32 groups fwd (32,64,56,56)", nf_gn, refs[6]),
        ("group_norm fwd+bwd", nf_gn_fb, refs[7]),
        ("instance_norm fwd (32,64,56,56)", nf_in, refs[8]),
        ("instance_norm fwd+bwd", nf_in_fb, refs[9]),
    ]
    run_cases(cases, torch, args.repeat, args.only)


if __name__ == "__main__":
    main()
