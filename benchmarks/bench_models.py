"""One training step of whole networks, side by side with the same network in PyTorch eager.

Run: ``PYTHONPATH=src python benchmarks/bench_models.py [--repeat N] [--quick] [--cpu-time]``.

A step is forward, loss, backward and a plain SGD update of every parameter, float32:

* ``demo CNN b128``: the network of ``python -m nnfunc demo`` (conv 1->16 3x3, relu, 2x2 max
  pooling, conv 16->32 3x3, relu, 2x2 max pooling, linear 128->10, softmax cross-entropy) on a
  batch of 128 8x8 images;
* ``ResNet basic block``: conv 3x3 -> batch norm (batch statistics) -> relu -> conv 3x3 ->
  batch norm, plus the input (skip), then relu; 64 channels, 56x56, batch 32 (``--quick``: 8);
  the loss is ``mean(y * r)`` with a fixed random ``r``.

Each round runs one nnfunc step then one PyTorch step (same machine load), and the table gives
the median times and the median of the per-round ratios nnfunc / torch with its interquartile
range. ``--cpu-time`` measures process CPU time instead of wall time: on a shared, overloaded
machine, wall time mostly measures the scheduler (give ``NNFUNC_NUM_THREADS=1`` and
``OPENBLAS_NUM_THREADS=1`` so that both frameworks do the same work on one thread).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import _common  # noqa: F401  (puts the checkout's src/ on sys.path)
import numpy as np

import nnfunc as nf
from nnfunc._cli.demo import cnn, init_cnn

LR = 0.01


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


def _sgd_nnfunc(params: list[nf.Variable]) -> None:
    for p in params:
        p.data -= LR * p.grad
        p.zero_grad()


# -------------------------------------------------------------------------------- demo CNN
def demo_cnn(batch: int, torch: Any) -> tuple[Callable[[], Any], Callable[[], Any] | None]:
    rng = np.random.default_rng(0)
    x = rng.random((batch, 64), dtype=np.float32)
    labels = rng.integers(0, 10, batch)
    params = init_cnn(rng, 64, 10)

    def ours() -> None:
        logits = cnn(params, x)
        loss = nf.mean(nf.sparse_softmax_cross_entropy_with_logits(logits, labels))
        loss.backward()
        _sgd_nnfunc(list(params.values()))

    if torch is None:
        return ours, None
    tp = {k: torch.tensor(v.data, requires_grad=True) for k, v in params.items()}
    tx = torch.from_numpy(x).reshape(batch, 1, 8, 8)
    tl = torch.from_numpy(labels)
    F = torch.nn.functional

    def theirs() -> None:
        h = F.max_pool2d(F.relu(F.conv2d(tx, tp["conv1"], tp["bias1"], padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, tp["conv2"], tp["bias2"], padding=1)), 2)
        logits = h.reshape(batch, -1) @ tp["dense"] + tp["bias3"]
        loss = F.cross_entropy(logits, tl)
        loss.backward()
        with torch.no_grad():
            for p in tp.values():
                p -= LR * p.grad
                p.grad = None

    return ours, theirs


# ------------------------------------------------------------------------- ResNet basic block
def resnet_block(batch: int, torch: Any) -> tuple[Callable[[], Any], Callable[[], Any] | None]:
    rng = np.random.default_rng(1)
    c, side = 64, 56
    x = rng.standard_normal((batch, c, side, side), dtype=np.float32)
    r = rng.standard_normal((batch, c, side, side), dtype=np.float32)
    init = {
        "w1": rng.normal(0, np.sqrt(2 / (9 * c)), (c, c, 3, 3)).astype(np.float32),
        "w2": rng.normal(0, np.sqrt(2 / (9 * c)), (c, c, 3, 3)).astype(np.float32),
        "g1": np.ones(c, np.float32),
        "b1": np.zeros(c, np.float32),
        "g2": np.ones(c, np.float32),
        "b2": np.zeros(c, np.float32),
    }
    p = {k: nf.Variable(v.copy(), requires_grad=True) for k, v in init.items()}

    def bn(h: Any, g: Any, b: Any) -> Any:
        return nf.batch_normalization(h, offset=b, scale=g, training=True)

    def ours() -> None:
        h = nf.relu(bn(nf.conv(x, p["w1"], pad=1), p["g1"], p["b1"]))
        h = bn(nf.conv(h, p["w2"], pad=1), p["g2"], p["b2"])
        y = nf.relu(nf.add(h, x))
        loss = nf.mean(nf.mul(y, r))
        loss.backward()
        _sgd_nnfunc(list(p.values()))

    if torch is None:
        return ours, None
    tp = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in init.items()}
    tx, tr = torch.from_numpy(x), torch.from_numpy(r)
    F = torch.nn.functional

    def tbn(h: Any, g: Any, b: Any) -> Any:
        return F.batch_norm(h, None, None, g, b, training=True)

    def theirs() -> None:
        h = F.relu(tbn(F.conv2d(tx, tp["w1"], padding=1), tp["g1"], tp["b1"]))
        h = tbn(F.conv2d(h, tp["w2"], padding=1), tp["g2"], tp["b2"])
        y = F.relu(h + tx)
        loss = (y * tr).mean()
        loss.backward()
        with torch.no_grad():
            for v in tp.values():
                v -= LR * v.grad
                v.grad = None

    return ours, theirs


def paired(ours: Callable, theirs: Callable | None, repeat: int, clock: Callable) -> tuple:
    ours()
    if theirs is not None:
        theirs()
    t_o, t_t = [], []
    for _ in range(repeat):
        t0 = clock()
        ours()
        t_o.append(clock() - t0)
        if theirs is not None:
            t0 = clock()
            theirs()
            t_t.append(clock() - t0)
    a = np.array(t_o)
    if not t_t:
        return float(np.median(a)), None, None
    ratios = np.percentile(a / np.array(t_t), [25, 50, 75])
    return float(np.median(a)), float(np.median(t_t)), tuple(float(q) for q in ratios)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="ResNet block at batch 8")
    ap.add_argument("--cpu-time", action="store_true", help="process CPU time, not wall time")
    args = ap.parse_args()
    torch = _torch()
    clock = time.process_time if args.cpu_time else time.perf_counter
    rb = 8 if args.quick else 32
    cases = [
        ("demo CNN b128 (train step)", demo_cnn(128, torch)),
        (f"ResNet basic block b{rb} 64x56x56 (train step)", resnet_block(rb, torch)),
    ]
    unit = "CPU ms" if args.cpu_time else "ms"
    print(f"torch {torch.__version__ if torch else 'missing'}; {unit}; {args.repeat} rounds")
    print(f"{'case':48s} {'nnfunc':>9s} {'torch':>9s} {'ratio (IQR)':>22s}")
    for name, (ours, theirs) in cases:
        t_o, t_t, q = paired(ours, theirs, args.repeat, clock)
        tt = f"{1e3 * t_t:9.2f}" if t_t is not None else f"{'-':>9s}"
        rq = f"{q[1]:6.2f} ({q[0]:.2f}-{q[2]:.2f})" if q else "-"
        print(f"{name:48s} {1e3 * t_o:9.2f} {tt} {rq:>22s}")


if __name__ == "__main__":
    main()
