"""One training step of whole networks, side by side with the same network in PyTorch eager.

Run: ``PYTHONPATH=src python benchmarks/bench_models.py [--repeat N] [--steps S] [--quick]
[--cpu-time] [--only cnn|resnet|transformer] [--baseline DIR]``. ``--baseline DIR`` also times
the nnfunc found in ``DIR`` (another checkout's ``src/``, see ``_twin.py``) in the same rounds:
before/after on one load.

A step is forward, loss, backward and a plain SGD update of every parameter, float32:

* ``demo CNN b128``: the network of ``python -m nnfunc demo`` (conv 1->16 3x3, relu, 2x2 max
  pooling, conv 16->32 3x3, relu, 2x2 max pooling, linear 128->10, softmax cross-entropy) on a
  batch of 128 8x8 images;
* ``ResNet basic block``: conv 3x3 -> batch norm (batch statistics) -> relu -> conv 3x3 ->
  batch norm, plus the input (skip), then relu; 64 channels, 56x56, batch 32 (``--quick``: 8);
  the loss is ``mean(y * r)`` with a fixed random ``r``;
* ``Transformer block``: a pre-norm encoder block (layer norm -> multi-head self-attention with
  biases -> residual; layer norm -> linear 512->2048 -> exact GELU -> linear 2048->512 ->
  residual), d_model 512, 8 heads, T 256, batch 16 (``--quick``: 4), loss ``mean(y * r)``; one
  step of each framework is compared first (losses and gradients from the same weights).

Each round runs one nnfunc step then one PyTorch step (same machine load; ``--steps S``: S of
each, timed together; the order rotates every round), and the table gives
the median times and the median of the per-round ratios nnfunc / torch with its interquartile
range. ``--cpu-time`` measures process CPU time instead of wall time: on a shared, overloaded
machine, wall time mostly measures the scheduler (give ``NNFUNC_NUM_THREADS=1`` and
``OPENBLAS_NUM_THREADS=1`` so that both frameworks do the same work on one thread).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import _common  # noqa: F401  (puts the checkout's src/ on sys.path)
import _twin
import numpy as np

import nnfunc as nf
from nnfunc._cli import demo

LR = 0.01


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


def _sgd_nnfunc(params: list[Any]) -> None:
    for p in params:
        p.data -= LR * p.grad
        p.zero_grad()


# -------------------------------------------------------------------------------- demo CNN
def demo_cnn(
    batch: int, torch: Any, nf: Any = nf, demo: Any = demo
) -> tuple[Callable[[], Any], Callable[[], Any] | None]:
    rng = np.random.default_rng(0)
    x = rng.random((batch, 64), dtype=np.float32)
    labels = rng.integers(0, 10, batch)
    params = demo.init_cnn(rng, 64, 10)
    cnn = demo.cnn

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
def resnet_block(
    batch: int, torch: Any, nf: Any = nf
) -> tuple[Callable[[], Any], Callable[[], Any] | None]:
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


# ---------------------------------------------------------------------- Transformer encoder block
D_MODEL, HEADS, D_FF = 512, 8, 2048
# nnfunc weights are [in, out] (nf.linear); PyTorch's copies are transposed to its [out, in]
_LINEARS = ("wq", "wk", "wv", "wo", "w1", "w2")


def transformer_block(
    batch: int, torch: Any, nf: Any = nf, seq: int = 256, check: bool = False
) -> tuple[Callable[[], Any], Callable[[], Any] | None]:
    """Pre-norm encoder block: ``h = x + MHA(LN1(x))``, ``y = h + W2 gelu(W1 LN2(h) + b1) + b2``.

    Multi-head self-attention is ``nf.multi_head_attention`` (projections with biases, the
    attention through ``nf.dot_product_attention``), GELU is the exact (erf) form; PyTorch:
    ``F.layer_norm``, ``F.linear``, ``F.scaled_dot_product_attention``, ``F.gelu``. The loss is
    ``mean(y * r)`` with a fixed random ``r``. With ``check``, one step of each is run first and
    the losses and gradients are compared (float32, relative to the largest gradient entry).
    """
    rng = np.random.default_rng(2)
    d, ff = D_MODEL, D_FF
    x = rng.standard_normal((batch, seq, d), dtype=np.float32)
    r = rng.standard_normal((batch, seq, d), dtype=np.float32)

    def w(fan_in: int, fan_out: int) -> np.ndarray:
        return rng.normal(0, np.sqrt(1 / fan_in), (fan_in, fan_out)).astype(np.float32)

    def b(size: int) -> np.ndarray:
        return rng.normal(0, 0.02, size).astype(np.float32)

    init = {
        "ln1_g": 1 + b(d),
        "ln1_b": b(d),
        "wq": w(d, d),
        "bq": b(d),
        "wk": w(d, d),
        "bk": b(d),
        "wv": w(d, d),
        "bv": b(d),
        "wo": w(d, d),
        "bo": b(d),
        "ln2_g": 1 + b(d),
        "ln2_b": b(d),
        "w1": w(d, ff),
        "b1": b(ff),
        "w2": w(ff, d),
        "b2": b(d),
    }
    p = {k: nf.Variable(v.copy(), requires_grad=True) for k, v in init.items()}

    def loss_ours() -> Any:
        a = nf.layer_normalization(x, p["ln1_g"], p["ln1_b"])
        att = nf.multi_head_attention(
            a, a, a, HEADS, p["wq"], p["wk"], p["wv"], p["wo"], p["bq"], p["bk"], p["bv"], p["bo"]
        )
        h = nf.add(x, att)
        a = nf.layer_normalization(h, p["ln2_g"], p["ln2_b"])
        f = nf.linear(nf.gelu(nf.linear(a, p["w1"], p["b1"])), p["w2"], p["b2"])
        return nf.mean(nf.mul(nf.add(h, f), r))

    def ours() -> None:
        loss_ours().backward()
        _sgd_nnfunc(list(p.values()))

    if torch is None:
        return ours, None
    tp = {
        k: torch.tensor(v.T.copy() if k in _LINEARS else v.copy(), requires_grad=True)
        for k, v in init.items()
    }
    tx, tr = torch.from_numpy(x), torch.from_numpy(r)
    F = torch.nn.functional

    def heads(t: Any) -> Any:  # (B, T, E) -> (B, N, T, E/N)
        return t.view(batch, seq, HEADS, d // HEADS).transpose(1, 2)

    def loss_theirs() -> Any:
        a = F.layer_norm(tx, (d,), tp["ln1_g"], tp["ln1_b"])
        q, k, v = (heads(F.linear(a, tp["w" + c], tp["b" + c])) for c in "qkv")
        o = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(batch, seq, d)
        h = tx + F.linear(o, tp["wo"], tp["bo"])
        a = F.layer_norm(h, (d,), tp["ln2_g"], tp["ln2_b"])
        f = F.linear(F.gelu(F.linear(a, tp["w1"], tp["b1"])), tp["w2"], tp["b2"])
        return ((h + f) * tr).mean()

    def theirs() -> None:
        loss_theirs().backward()
        with torch.no_grad():
            for v in tp.values():
                v -= LR * v.grad
                v.grad = None

    if check:
        _check_step(loss_ours, p, loss_theirs, tp)
    return ours, theirs


def _check_step(loss_ours: Callable, p: dict, loss_theirs: Callable, tp: dict) -> None:
    """One step of each from the same weights: losses and gradients must agree (float32).

    Gradient differences are relative to the largest gradient entry of all parameters (the key
    bias's gradient is zero in exact arithmetic: softmax ignores a shift shared by all keys).
    """
    lo = loss_ours()
    lo.backward()
    lt = loss_theirs()
    lt.backward()
    pairs = []
    for k, v in p.items():
        theirs = tp[k].grad.numpy()
        pairs.append(
            (np.asarray(getattr(v.grad, "data", v.grad)), theirs.T if k in _LINEARS else theirs)
        )
        v.zero_grad()
        tp[k].grad = None
    scale = max(float(np.abs(t).max()) for _, t in pairs)
    worst = max(float(np.abs(o - t).max()) for o, t in pairs) / scale
    dl = abs(float(lo.data) - float(lt.item()))
    print(
        f"check: loss {float(lo.data):.6g}, torch {float(lt.item()):.6g} (diff {dl:.2g}); ", end=""
    )
    print(f"gradients: max |diff| / max |grad| = {worst:.2g} over {len(p)} parameters")
    if dl > 1e-4 * max(1.0, abs(float(lt.item()))) or worst > 1e-3:
        raise SystemExit("the nnfunc and PyTorch steps disagree")


def paired(
    fns: list[Callable | None], repeat: int, clock: Callable, steps: int = 1
) -> list[tuple | None]:
    """Round-robin timing: each round runs every step ``steps`` times, in turn (same machine
    load), starting one further along the list each round (no slot is always right after the
    same other one: the first slot after torch's call measured ~4 % slower in an A/A run).

    For each step: its median time (per step) and the quartiles (25/50/75) of its per-round
    ratio to the last step (PyTorch), or None where there is no such step.
    """
    live = [k for k, f in enumerate(fns) if f is not None]
    for k in live:
        fns[k]()
    times: list[list[float]] = [[] for _ in fns]
    for r in range(repeat):
        for k in live[r % len(live) :] + live[: r % len(live)]:
            f = fns[k]
            t0 = clock()
            for _ in range(steps):
                f()
            times[k].append((clock() - t0) / steps)
    ref = np.array(times[-1]) if fns[-1] is not None else None
    out: list[tuple | None] = []
    for f, t in zip(fns, times, strict=True):
        if f is None:
            out.append(None)
            continue
        q = None if ref is None else tuple(np.percentile(np.array(t) / ref, [25, 50, 75]))
        out.append((float(np.median(t)), q))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument(
        "--steps", type=int, default=1, help="steps timed together in each round (small steps)"
    )
    ap.add_argument(
        "--quick", action="store_true", help="ResNet block at batch 8, Transformer at batch 4"
    )
    ap.add_argument("--cpu-time", action="store_true", help="process CPU time, not wall time")
    ap.add_argument(
        "--baseline",
        metavar="DIR",
        help="also time the nnfunc found in DIR (another checkout's src/), rounds interleaved",
    )
    ap.add_argument(
        "--only", choices=["cnn", "resnet", "transformer"], help="one of the three networks"
    )
    args = ap.parse_args()
    base = _twin.load(args.baseline, "nnfunc._cli.demo") if args.baseline else None
    torch = _torch()
    clock = time.process_time if args.cpu_time else time.perf_counter
    rb = 8 if args.quick else 32
    cases = []
    if args.only in (None, "cnn"):
        make = [demo_cnn(128, torch)]
        if base is not None:
            make.append(demo_cnn(128, torch, base[0], base[1]))
        cases.append(("demo CNN b128 (train step)", make))
    if args.only in (None, "resnet"):
        make = [resnet_block(rb, torch)]
        if base is not None:
            make.append(resnet_block(rb, torch, base[0]))
        cases.append((f"ResNet basic block b{rb} 64x56x56 (train step)", make))
    if args.only in (None, "transformer"):
        tb = 4 if args.quick else 16
        make = [transformer_block(tb, torch, check=True)]
        if base is not None:
            make.append(transformer_block(tb, torch, base[0]))
        name = f"Transformer block b{tb} T256 d512 (train step)"
        cases.append((name, make))
    unit = "CPU ms" if args.cpu_time else "ms"
    version = torch.__version__ if torch else "missing"
    print(f"torch {version}; {unit}; {args.repeat} rounds x {args.steps} steps", end="")
    print(f"; load average {os.getloadavg()[0]:.2f}")
    cols = ["nnfunc"] + (["before"] if base is not None else []) + ["torch"]
    head = f"{'case':48s}" + "".join(f" {c:>9s}" for c in cols) + f" {'ratio (IQR)':>22s}"
    if base is not None:
        head += f" {'before ratio (IQR)':>22s}"
    print(head)
    for name, made in cases:
        fns = [ours for ours, _ in made] + [made[0][1]]
        res = paired(fns, args.repeat, clock, args.steps)
        line = f"{name:48s}"
        for r in res:
            line += f" {1e3 * r[0]:9.2f}" if r is not None else f" {'-':>9s}"
        for r in res[:-1]:
            q = r[1]
            line += f" {f'{q[1]:6.2f} ({q[0]:.2f}-{q[2]:.2f})' if q else '-':>22s}"
        print(line)
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
