"""Embedding lookup and sampled softmax: nnfunc next to PyTorch CPU, in one process, as ratios.

Run: ``python benchmarks/bench_embedding.py [--repeat N] [--only SUBSTRING] [--small]``.

* ``embedding_lookup`` of 1M ids into a (1M, 64) float32 table, forward and forward+backward
  with a random output gradient (``nf.grad(y, [table], grad_outputs=[gy])``), next to
  ``torch.nn.functional.embedding`` with a dense gradient and with ``sparse=True``.
* ``sampled_softmax_loss`` over 1M classes, 64 sampled classes, batch 512, dim 64: time per
  training step (forward + backward to weights, biases and inputs; candidates drawn by the
  log-uniform sampler), next to the same computation written in PyTorch (``index_select`` of
  the true and sampled rows, ``matmul``, ``cross_entropy``; dense gradient), and the peak of
  traced memory during one nnfunc step against the size of one (batch, classes) float32 matrix.

Interleaved rounds against PyTorch with 1 thread and its default thread count (``_paired.py``);
``--small`` divides the sizes by 16 (a quick look on a busy machine).
"""

from __future__ import annotations

import argparse
import tracemalloc

import numpy as np
from _common import torch_or_none
from _paired import Case, run_cases

import nnfunc as nf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default=None, help="run the cases whose name contains this")
    parser.add_argument("--small", action="store_true", help="sizes / 16")
    args = parser.parse_args()
    torch = torch_or_none(threads=None)
    rng = np.random.default_rng(0)
    scale = 16 if args.small else 1
    n_rows, n_ids, dim = 2**20 // scale, 2**20 // scale, 64
    table = rng.normal(size=(n_rows, dim)).astype(np.float32)
    ids = rng.integers(0, n_rows, n_ids)
    gy = rng.normal(size=(n_ids, dim)).astype(np.float32)
    leaf = nf.Variable(table, requires_grad=True)

    def nf_fwd_bwd() -> None:
        y = nf.embedding_lookup(leaf, ids)
        nf.grad(y, [leaf], grad_outputs=[gy])

    classes, batch, sampled = 2**20 // scale, 512, 64
    w = nf.Variable(rng.normal(0, 0.05, (classes, dim)).astype(np.float32), requires_grad=True)
    b = nf.Variable(np.zeros(classes, np.float32), requires_grad=True)
    x = nf.Variable(rng.normal(size=(batch, dim)).astype(np.float32), requires_grad=True)
    labels = rng.integers(0, classes, (batch, 1))
    sample_rng = np.random.default_rng(1)

    def nf_step() -> None:
        loss = nf.sum(nf.sampled_softmax_loss(w, b, x, labels, sampled, classes, seed=sample_rng))
        nf.grad(loss, [w, b, x])

    refs: list = [None] * 4
    if torch is not None:
        F = torch.nn.functional
        t_ids = torch.from_numpy(ids)
        t_gy = torch.from_numpy(gy)
        t_leaf = torch.from_numpy(table.copy()).requires_grad_(True)

        def t_fwd_bwd(sparse: bool) -> None:
            t_leaf.grad = None
            F.embedding(t_ids, t_leaf, sparse=sparse).backward(t_gy)

        tw = torch.from_numpy(w.data.copy()).requires_grad_(True)
        tb = torch.from_numpy(b.data.copy()).requires_grad_(True)
        tx = torch.from_numpy(x.data.copy()).requires_grad_(True)
        t_lab = torch.from_numpy(labels[:, 0])
        cand = nf.log_uniform_candidate_sampler(labels, 1, sampled, True, classes, seed=0)
        t_s, t_tq, t_sq = (torch.from_numpy(np.asarray(c)) for c in cand)

        def t_step() -> None:
            # the same logits as TensorFlow's sampled softmax, in PyTorch (no hit removal)
            for p in (tw, tb, tx):
                p.grad = None
            all_ids = torch.cat([t_s, t_lab])
            rows = tw.index_select(0, all_ids)
            bias = tb.index_select(0, all_ids)
            s_logits = tx @ rows[:sampled].T + bias[:sampled] - torch.log(t_sq)
            t_logits = (tx * rows[sampled:]).sum(1, keepdim=True) + bias[sampled:, None]
            logits = torch.cat([t_logits - torch.log(t_tq), s_logits], 1)
            F.cross_entropy(
                logits, torch.zeros(batch, dtype=torch.long), reduction="sum"
            ).backward()

        refs = [
            lambda: F.embedding(t_ids, t_leaf),
            lambda: t_fwd_bwd(False),
            lambda: t_fwd_bwd(True),
            t_step,
        ]
    tag = f"{n_ids // 1024}K ids, ({n_rows // 1024}K, {dim}) f32"
    cases: list[Case] = [
        (f"embedding_lookup fwd {tag}", lambda: nf.embedding_lookup(table, ids), refs[0]),
        ("embedding_lookup fwd+bwd vs torch dense", nf_fwd_bwd, refs[1]),
        ("embedding_lookup fwd+bwd vs torch sparse", nf_fwd_bwd, refs[2]),
        (f"sampled_softmax step {classes // 1024}K cls b{batch} s{sampled}", nf_step, refs[3]),
    ]
    run_cases(cases, torch, args.repeat, args.only)

    if args.only is None or "sampled" in args.only:
        tracemalloc.start()
        nf_step()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        full = batch * classes * 4
        grad_w = classes * dim * 4
        print(
            f"sampled_softmax step: peak traced memory {peak / 2**20:.0f} MiB; one (batch, "
            f"classes) float32 matrix would be {full / 2**20:.0f} MiB; the weight gradient "
            f"(classes, dim) is {grad_w / 2**20:.0f} MiB"
        )


if __name__ == "__main__":
    main()
