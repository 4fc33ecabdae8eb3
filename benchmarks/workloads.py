"""The standard side-by-side workloads of ``python -m nnfunc bench``.

The table of the performance issue (the peer harness's workloads) in the project's own terms:
each workload forward, and forward+backward as a vector-Jacobian product with a random output
gradient (``nnfunc.grad(y, inputs, grad_outputs=gy)`` against ``torch.autograd.grad``), float32.
``quick`` shrinks every size so the whole set runs in well under two minutes.

Other ``bench_*.py`` scripts may define ``workloads(quick)`` too; the command collects them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import _common  # noqa: F401  (puts the checkout's src/ on sys.path)
import numpy as np

import nnfunc as nf
from nnfunc._cli.bench import Workload


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


def _pair(
    group: str,
    name: str,
    arrays: Callable[[], list[np.ndarray]],
    ours: Callable[..., Any],
    theirs: Callable[..., Any] | None,
    differentiable: int | None = None,
) -> list[Workload]:
    """Forward and forward+backward workloads of one case.

    ``arrays()`` makes the float32 inputs; ``ours(*inputs)`` / ``theirs(torch, *inputs)`` compute
    the output; the first ``differentiable`` inputs (default all) get gradients.
    """

    def make_fwd() -> tuple:
        xs = arrays()
        torch = _torch()
        ref = None
        if torch is not None and theirs is not None:
            ts = [torch.from_numpy(x) for x in xs]

            def ref() -> None:
                with torch.no_grad():
                    theirs(torch, *ts)

        return (lambda: ours(*xs)), ref

    def make_bwd() -> tuple:
        xs = arrays()
        n = len(xs) if differentiable is None else differentiable
        y = ours(*xs)
        gy = np.random.default_rng(1).standard_normal(np.shape(y)).astype(np.float32)

        def ours_fb() -> None:
            vs = [nf.Variable(x, requires_grad=i < n) for i, x in enumerate(xs)]
            nf.grad(ours(*vs), vs[:n], grad_outputs=gy)

        torch = _torch()
        ref = None
        if torch is not None and theirs is not None:
            tgy = torch.from_numpy(gy)

            def ref() -> None:
                ts = [torch.from_numpy(x).requires_grad_(i < n) for i, x in enumerate(xs)]
                torch.autograd.grad(theirs(torch, *ts), ts[:n], tgy)

        return ours_fb, ref

    return [Workload(group, name, "fwd", make_fwd), Workload(group, name, "fwd+bwd", make_bwd)]


def _randn(*shapes: tuple[int, ...]) -> Callable[[], list[np.ndarray]]:
    def make() -> list[np.ndarray]:
        rng = np.random.default_rng(0)
        return [rng.standard_normal(s, dtype=np.float32) for s in shapes]

    return make


def workloads(quick: bool) -> list[Workload]:
    """The workloads of the performance table (smaller with ``quick``)."""
    n = 4 if quick else 32
    side = 28 if quick else 56
    big = (n, 64, side, side)
    rows = 512 if quick else 4096
    out: list[Workload] = []
    out += _pair(
        "conv",
        f"conv2d {n}x64x{side}x{side}, 64->64, 3x3 pad 1",
        _randn(big, (64, 64, 3, 3)),
        lambda x, w: nf.conv(x, w, pad=1),
        lambda t, x, w: t.nn.functional.conv2d(x, w, padding=1),
    )
    out += _pair(
        "conv",
        "conv2d 8x3x32x32, 3->16, 3x3",
        _randn((8, 3, 32, 32), (16, 3, 3, 3)),
        lambda x, w: nf.conv(x, w),
        lambda t, x, w: t.nn.functional.conv2d(x, w),
    )
    out += _pair(
        "conv",
        f"depthwise 3x3 {n}x64x{side}x{side}",
        _randn(big, (64, 1, 3, 3)),
        lambda x, w: nf.conv(x, w, pad=1, groups=64),
        lambda t, x, w: t.nn.functional.conv2d(x, w, padding=1, groups=64),
    )
    out += _pair(
        "pool",
        f"max_pool 2x2/2 on {n}x64x{side}x{side}",
        _randn(big),
        lambda x: nf.max_pool(x, 2),
        lambda t, x: t.nn.functional.max_pool2d(x, 2),
    )
    out += _pair(
        "softmax",
        f"softmax {rows}x1024",
        _randn((rows, 1024)),
        lambda x: nf.softmax(x, axis=-1),
        lambda t, x: t.softmax(x, -1),
    )
    out += _pair(
        "softmax",
        f"log_softmax {rows}x1024",
        _randn((rows, 1024)),
        lambda x: nf.log_softmax(x, axis=-1),
        lambda t, x: t.log_softmax(x, -1),
    )
    ln = (8, 128, 768) if quick else (64, 512, 768)
    out += _pair(
        "norm",
        "layer_norm {}x{}x{}".format(*ln),
        _randn(ln, (768,), (768,)),
        lambda x, g, b: nf.layer_normalization(x, g, b),
        lambda t, x, g, b: t.nn.functional.layer_norm(x, (768,), g, b),
    )

    def bn_arrays() -> list[np.ndarray]:
        x, g, b, m = _randn(big, (64,), (64,), (64,))()
        return [x, g, b, m, np.abs(m) + 0.5]

    out += _pair(
        "norm",
        f"batch_norm given statistics {n}x64x{side}x{side}",
        bn_arrays,
        lambda x, g, b, m, v: nf.batch_normalization(x, m, v, b, g),
        lambda t, x, g, b, m, v: t.nn.functional.batch_norm(x, m, v, g, b),
        differentiable=3,
    )
    gelu_n = 1 << 20 if quick else 1 << 24
    out += _pair(
        "gelu",
        f"gelu (tanh) {gelu_n >> 20}M",
        _randn((gelu_n,)),
        lambda x: nf.gelu(x, "tanh"),
        lambda t, x: t.nn.functional.gelu(x, approximate="tanh"),
    )
    mm = 512 if quick else 2048
    out += _pair(
        "matmul",
        f"matmul {mm}^3",
        _randn((mm, mm), (mm, mm)),
        lambda a, b: nf.matmul(a, b),
        lambda t, a, b: t.matmul(a, b),
    )

    def ce_arrays() -> list[np.ndarray]:
        (x,) = _randn((rows, 1024))()
        return [x, np.random.default_rng(2).integers(0, 1024, rows)]

    out += _pair(
        "loss",
        f"sparse softmax cross-entropy {rows}x1024",
        ce_arrays,
        lambda x, t: nf.sparse_softmax_cross_entropy_with_logits(x, t),
        lambda t, x, lab: t.nn.functional.cross_entropy(x, lab, reduction="none"),
        differentiable=1,
    )
    out += _sequence_workloads(quick)
    return out


def _lstm_torch(t: Any, x: Any, wih: Any, whh: Any, b: Any) -> Any:
    z = x.new_zeros((1, x.shape[1], whh.shape[1]))
    flat = [wih, whh, b, t.zeros_like(b)]
    return t.lstm(x, (z, z), flat, True, 1, 0.0, False, False, False)[0]


def _ctc_torch(t: Any, logits: Any, labels: Any) -> Any:
    steps, n, _ = logits.shape
    f = t.nn.functional
    return f.ctc_loss(
        f.log_softmax(logits, -1),
        labels.long(),
        t.full((n,), steps, dtype=t.long),
        t.full((n,), labels.shape[1], dtype=t.long),
        blank=0,
        reduction="none",
    )


def _sequence_workloads(quick: bool) -> list[Workload]:
    """LSTM, attention and CTC: the peer harness's ``lstm``, ``sdpa`` and ``ctc_loss`` shapes.

    The inputs are in PyTorch's layouts (as the harness gives them); nnfunc reads them through
    its own arguments: ``lstm`` with the weights transposed (``(I, 4H)``, gates ``ifgo``),
    ``dot_product_attention`` with ``layout="BNTH"``, ``ctc_loss`` time-major, blank 0.
    """
    out: list[Workload] = []
    steps, batch, size, hidden = (20, 8, 64, 64) if quick else (100, 32, 256, 256)

    def lstm_arrays() -> list[np.ndarray]:
        rng = np.random.default_rng(0)
        s = np.float32(1 / np.sqrt(hidden))
        return [
            rng.standard_normal((steps, batch, size), dtype=np.float32),
            rng.standard_normal((4 * hidden, size), dtype=np.float32) * s,
            rng.standard_normal((4 * hidden, hidden), dtype=np.float32) * s,
            rng.standard_normal(4 * hidden, dtype=np.float32) * np.float32(0.1),
        ]

    out += _pair(
        "lstm",
        f"lstm T{steps} B{batch} I{size} H{hidden}, time-major",
        lstm_arrays,
        lambda x, wih, whh, b: nf.lstm(x, nf.transpose(wih), nf.transpose(whh), b)[0],
        _lstm_torch,
    )
    b, heads, seq, dim = (2, 4, 128, 32) if quick else (8, 12, 512, 64)
    qkv = (b, heads, seq, dim)
    out += _pair(
        "attention",
        f"sdpa {b}x{heads}x{seq}x{dim} (batch, heads, seq, dim)",
        _randn(qkv, qkv, qkv),
        lambda q, k, v: nf.dot_product_attention(q, k, v, layout="BNTH"),
        lambda t, q, k, v: t.nn.functional.scaled_dot_product_attention(q, k, v),
    )
    # own names: the closures above read steps/batch when they run
    frames, n, classes, length = (50, 4, 16, 10) if quick else (200, 16, 32, 50)

    def ctc_arrays() -> list[np.ndarray]:
        rng = np.random.default_rng(0)
        logits = rng.standard_normal((frames, n, classes), dtype=np.float32)
        return [logits, rng.integers(1, classes, (n, length)).astype(np.int32)]

    out += _pair(
        "ctc",
        f"ctc_loss T{frames} N{n} C{classes} L{length}, time-major",
        ctc_arrays,
        lambda lg, lab: nf.ctc_loss(
            lab,
            lg,
            np.full(n, length, np.int32),
            np.full(n, frames, np.int32),
            logits_time_major=True,
        ),
        _ctc_torch,
        differentiable=1,
    )
    return out
