"""Activation and softmax timings, side by side with PyTorch CPU in the same process.

Run: ``python benchmarks/bench_activation.py [--repeat N] [--only SUBSTRING]``. Interleaved
rounds against PyTorch with 1 thread and with its default thread count; the table gives median
times and the median (interquartile range) of the per-round ratios nnfunc / torch. See
``_paired.py``.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import torch_or_none
from _paired import Case, run_cases

import nnfunc as nf


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--only", default=None, help="run the cases whose name contains this")
    args = ap.parse_args()
    torch = torch_or_none(threads=None)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(16_000_000).astype(np.float32)
    m = rng.standard_normal((4096, 1024)).astype(np.float32)
    F = torch.nn.functional if torch is not None else None
    tx = torch.from_numpy(x) if torch is not None else None
    tm = torch.from_numpy(m) if torch is not None else None

    def t(fn: str, arg: object, **kw: object) -> object:
        return None if F is None else (lambda: getattr(F, fn)(arg, **kw))

    cases: list[Case] = [
        ("gelu none (16M f32)", lambda: nf.gelu(x), t("gelu", tx)),
        (
            "gelu tanh (16M f32)",
            lambda: nf.gelu(x, approximate="tanh"),
            t("gelu", tx, approximate="tanh"),
        ),
        ("silu (16M f32)", lambda: nf.silu(x), t("silu", tx)),
        ("softplus (16M f32)", lambda: nf.softplus(x), t("softplus", tx)),
        ("log_sigmoid (16M f32)", lambda: nf.log_sigmoid(x), t("logsigmoid", tx)),
        ("softmax (4096x1024 f32)", lambda: nf.softmax(m), t("softmax", tm, dim=-1)),
        ("log_softmax (4096x1024 f32)", lambda: nf.log_softmax(m), t("log_softmax", tm, dim=-1)),
    ]
    run_cases(cases, torch, args.repeat, args.only)


if __name__ == "__main__":
    main()
