"""Losses and top-k: nnfunc next to PyTorch CPU, in one process, as time ratios.

Run: ``python benchmarks/bench_loss.py [--repeat N] [--only SUBSTRING]``. Interleaved rounds
against PyTorch with 1 thread and with its default thread count; the table gives median times
and the median (interquartile range) of the per-round ratios nnfunc / torch. See
``_paired.py``. Forward-and-backward cases differentiate the sum of the per-example losses;
the ``vjp`` cases are a vector-Jacobian product with a fixed random output gradient
(``nnfunc.grad(loss, [x], grad_outputs=[gy])`` against ``torch.autograd.grad(loss, x, gy)``).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import torch_or_none
from _paired import Case, run_cases, run_cases_cpu_time

import nnfunc as nf


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default=None, help="run the cases whose name contains this")
    parser.add_argument(
        "--cpu-time", action="store_true", help="one thread, process CPU time (see _paired.py)"
    )
    args = parser.parse_args()
    torch = torch_or_none(threads=None)
    rng = np.random.default_rng(0)
    n, c = 4096, 1000
    logits = rng.normal(0, 3, (n, c)).astype(np.float32)
    labels = rng.integers(0, c, n)
    dense = rng.dirichlet(np.ones(c), n).astype(np.float32)
    big = rng.normal(0, 4, 16 * 2**20).astype(np.float32)
    big_t = rng.uniform(0, 1, big.size).astype(np.float32)

    def sparse_fwd_bwd() -> None:
        v = nf.Variable(logits, requires_grad=True)
        nf.sum(nf.sparse_softmax_cross_entropy_with_logits(v, labels)).backward()

    def dense_fwd_bwd() -> None:
        v = nf.Variable(logits, requires_grad=True)
        nf.sum(nf.softmax_cross_entropy_with_logits(v, dense)).backward()

    def sigmoid_fwd_bwd() -> None:
        v = nf.Variable(big, requires_grad=True)
        nf.sum(nf.sigmoid_cross_entropy_with_logits(v, big_t)).backward()

    refs: list[Callable[[], Any] | None] = [None] * 7
    if torch is not None:
        F = torch.nn.functional
        tl, tlab, td = torch.from_numpy(logits), torch.from_numpy(labels), torch.from_numpy(dense)
        tb, tbt = torch.from_numpy(big), torch.from_numpy(big_t)
        # Leaves created once (no per-call copy of the input); their .grad reset every call.
        leaf_l = tl.clone().requires_grad_(True)
        leaf_b = tb.clone().requires_grad_(True)

        def t_bwd(make: Callable[[Any], Any], leaf: Any) -> None:
            leaf.grad = None
            make(leaf).sum().backward()

        refs = [
            lambda: F.cross_entropy(tl, tlab, reduction="none"),
            lambda: t_bwd(lambda v: F.cross_entropy(v, tlab, reduction="none"), leaf_l),
            lambda: F.cross_entropy(tl, td, reduction="none"),
            lambda: t_bwd(lambda v: F.cross_entropy(v, td, reduction="none"), leaf_l),
            lambda: F.binary_cross_entropy_with_logits(tb, tbt, reduction="none"),
            lambda: t_bwd(
                lambda v: F.binary_cross_entropy_with_logits(v, tbt, reduction="none"), leaf_b
            ),
            lambda: torch.topk(tl, 5),
        ]
    cases: list[Case] = [
        (
            "sparse softmax CE fwd (4096, 1000) f32",
            lambda: nf.sparse_softmax_cross_entropy_with_logits(logits, labels),
            refs[0],
        ),
        ("sparse softmax CE fwd+bwd", sparse_fwd_bwd, refs[1]),
        (
            "dense softmax CE fwd (4096, 1000) f32",
            lambda: nf.softmax_cross_entropy_with_logits(logits, dense),
            refs[2],
        ),
        ("dense softmax CE fwd+bwd", dense_fwd_bwd, refs[3]),
        (
            "sigmoid CE fwd (16M) f32",
            lambda: nf.sigmoid_cross_entropy_with_logits(big, big_t),
            refs[4],
        ),
        ("sigmoid CE fwd+bwd (16M)", sigmoid_fwd_bwd, refs[5]),
        ("top_k k=5 (4096, 1000) f32", lambda: nf.top_k(logits, 5), refs[6]),
    ]
    cases += _vjp_cases(torch, rng, logits, labels, dense, big, big_t)
    if args.cpu_time:
        run_cases_cpu_time(cases, torch, args.repeat, args.only)
    else:
        run_cases(cases, torch, args.repeat, args.only)


def _vjp_cases(
    torch: Any, rng: Any, logits: Any, labels: Any, dense: Any, big: Any, big_t: Any
) -> list[Case]:
    """Forward and forward+VJP (random output gradient) of every cross-entropy."""
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    pbig = (1 / (1 + np.exp(-big))).astype(np.float32)
    g_rows = rng.normal(0, 1, logits.shape[0]).astype(np.float32)
    g_big = rng.normal(0, 1, big.size).astype(np.float32)
    # (name, nnfunc loss of the differentiated input, torch loss, input, output gradient)
    specs: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any] | None, Any, Any]] = [
        (
            "sparse softmax CE (4096, 1000)",
            lambda v: nf.sparse_softmax_cross_entropy_with_logits(v, labels),
            None,
            logits,
            g_rows,
        ),
        (
            "dense softmax CE (4096, 1000)",
            lambda v: nf.softmax_cross_entropy_with_logits(v, dense),
            None,
            logits,
            g_rows,
        ),
        (
            "sigmoid CE (16M)",
            lambda v: nf.sigmoid_cross_entropy_with_logits(v, big_t),
            None,
            big,
            g_big,
        ),
        (
            "binary CE probs (16M)",
            lambda v: nf.binary_cross_entropy(v, big_t),
            None,
            pbig,
            g_big,
        ),
        (
            "categorical CE probs (4096, 1000)",
            lambda v: nf.categorical_cross_entropy(v, dense),
            None,
            probs,
            g_rows,
        ),
        (
            "sparse categorical CE probs (4096, 1000)",
            lambda v: nf.sparse_categorical_cross_entropy(v, labels),
            None,
            probs,
            g_rows,
        ),
    ]
    refs: list[Callable[[Any], Any] | None] = [None] * len(specs)
    if torch is not None:
        F = torch.nn.functional
        tlab, td, tbt = torch.from_numpy(labels), torch.from_numpy(dense), torch.from_numpy(big_t)
        eps = 1e-7  # the clipping nnfunc and Keras apply to probabilities
        refs = [
            lambda t: F.cross_entropy(t, tlab, reduction="none"),
            lambda t: F.cross_entropy(t, td, reduction="none"),
            lambda t: F.binary_cross_entropy_with_logits(t, tbt, reduction="none"),
            lambda t: F.binary_cross_entropy(t.clamp(eps, 1 - eps), tbt, reduction="none"),
            lambda t: -(td * t.clamp(eps, 1 - eps).log()).sum(-1),
            lambda t: -t.gather(1, tlab[:, None]).clamp(eps, 1 - eps).log()[:, 0],
        ]
    cases: list[Case] = []
    for (name, fn, _, a, g), ref in zip(specs, refs, strict=True):

        def ours(fn: Callable[[Any], Any] = fn, a: Any = a, g: Any = g) -> Any:
            v = nf.Variable(a, requires_grad=True)
            return nf.grad(fn(v), [v], grad_outputs=[g])

        theirs = None
        if ref is not None:
            leaf = torch.from_numpy(a).clone().requires_grad_(True)
            tg = torch.from_numpy(g)

            def theirs(ref: Callable[[Any], Any] = ref, leaf: Any = leaf, tg: Any = tg) -> Any:
                return torch.autograd.grad(ref(leaf), leaf, tg)

        ta = None if torch is None else torch.from_numpy(a)
        cases.append(
            (
                f"{name} fwd",
                lambda fn=fn, a=a: fn(a),
                None if ref is None else (lambda ref=ref, ta=ta: ref(ta)),
            )
        )
        cases.append((f"{name} vjp", ours, theirs))
    return cases


if __name__ == "__main__":
    main()
