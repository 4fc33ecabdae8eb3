"""The new convolution and pooling paths against the ones they replace, in one process.

Run: ``PYTHONPATH=src python benchmarks/bench_conv_paths.py [--repeat N] [--batch N] [--cpu-time]``.

Each round times one call with the new path and one with the old path (same machine load):

* conv2d 3x3 stride 1, 64 -> 64 on ``batch x 64 x 56 x 56`` float32: Winograd F(2x2, 3x3)
  against the patch GEMM (``winograd.MIN_CHANNELS`` raised out of reach turns Winograd off);
* depthwise 3x3 on the same input: the numba plane kernels against the NumPy shifted products
  (``depthwise.applies`` answering False for the old path);
* max_pool 2x2/2 and avg_pool 3x3/1 on the same input: the numba plane kernels against the
  NumPy per-offset passes
  (``pool2d.applies`` answering False for the old path).

Forward, and forward+backward as ``nnfunc.grad(y, inputs, grad_outputs=gy)``. ``--cpu-time``
measures process CPU time (use with ``NNFUNC_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1``): on an
overloaded shared machine, wall time mostly measures the scheduler.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import _common  # noqa: F401  (puts the checkout's src/ on sys.path)
import numpy as np

import nnfunc as nf
from nnfunc.kernels.cpu import depthwise, pool2d, winograd


def _winograd(on: bool) -> None:
    winograd.MIN_CHANNELS = 16 if on else 1 << 62


_APPLIES = pool2d.applies
_DW_APPLIES = depthwise.applies


def _depthwise(on: bool) -> None:
    depthwise.applies = _DW_APPLIES if on else (lambda *args: False)


def _numba(on: bool) -> None:
    pool2d.applies = _APPLIES if on else (lambda x, kernel: False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--cpu-time", action="store_true")
    args = ap.parse_args()
    clock = time.process_time if args.cpu_time else time.perf_counter
    rng = np.random.default_rng(0)
    n = args.batch
    x = rng.standard_normal((n, 64, 56, 56), dtype=np.float32)
    w = rng.standard_normal((64, 64, 3, 3), dtype=np.float32) * 0.05
    gy_conv = rng.standard_normal((n, 64, 56, 56), dtype=np.float32)
    gy_pool = rng.standard_normal((n, 64, 28, 28), dtype=np.float32)

    def conv_f() -> None:
        nf.conv(x, w, pad=1)

    def conv_fb() -> None:
        xv, wv = nf.Variable(x, requires_grad=True), nf.Variable(w, requires_grad=True)
        nf.grad(nf.conv(xv, wv, pad=1), [xv, wv], grad_outputs=gy_conv)

    wd = rng.standard_normal((64, 1, 3, 3), dtype=np.float32)

    def dw_f() -> None:
        nf.depthwise_conv(x, wd, pad=1)

    def dw_fb() -> None:
        xv, wv = nf.Variable(x, requires_grad=True), nf.Variable(wd, requires_grad=True)
        nf.grad(nf.depthwise_conv(xv, wv, pad=1), [xv, wv], grad_outputs=gy_conv)

    def pool_f() -> None:
        nf.max_pool(x, (2, 2))

    def pool_fb() -> None:
        xv = nf.Variable(x, requires_grad=True)
        nf.grad(nf.max_pool(xv, (2, 2)), [xv], grad_outputs=gy_pool)

    def avg_f() -> None:
        nf.avg_pool(x, (3, 3), stride=1, pad=1)

    def avg_fb() -> None:
        xv = nf.Variable(x, requires_grad=True)
        nf.grad(nf.avg_pool(xv, (3, 3), stride=1, pad=1), [xv], grad_outputs=gy_conv)

    cases: list[tuple[str, Callable[[], None], Callable[[bool], None]]] = [
        (f"conv2d {n}x64x56x56 64->64 3x3 fwd", conv_f, _winograd),
        (f"conv2d {n}x64x56x56 64->64 3x3 fwd+bwd", conv_fb, _winograd),
        (f"depthwise 3x3 p1 {n}x64x56x56 fwd", dw_f, _depthwise),
        (f"depthwise 3x3 p1 {n}x64x56x56 fwd+bwd", dw_fb, _depthwise),
        (f"max_pool 2x2/2 {n}x64x56x56 fwd", pool_f, _numba),
        (f"max_pool 2x2/2 {n}x64x56x56 fwd+bwd", pool_fb, _numba),
        (f"avg_pool 3x3/1 p1 {n}x64x56x56 fwd", avg_f, _numba),
        (f"avg_pool 3x3/1 p1 {n}x64x56x56 fwd+bwd", avg_fb, _numba),
    ]
    unit = "CPU ms" if args.cpu_time else "ms"
    print(f"{unit}, {args.repeat} interleaved rounds; ratio = new / old (IQR)")
    print(f"{'case':44s} {'new':>9s} {'old':>9s} {'ratio (IQR)':>20s}")
    for name, fn, switch in cases:
        t = {True: [], False: []}
        for on in (True, False):  # warm-up (numba compilation)
            switch(on)
            fn()
        for _ in range(args.repeat):
            for on in (True, False):
                switch(on)
                t0 = clock()
                fn()
                t[on].append(clock() - t0)
        switch(True)
        new, old = np.array(t[True]), np.array(t[False])
        q = np.percentile(new / old, [25, 50, 75])
        print(
            f"{name:44s} {1e3 * np.median(new):9.1f} {1e3 * np.median(old):9.1f} "
            f"{q[1]:7.2f} ({q[0]:.2f}-{q[2]:.2f})"
        )


if __name__ == "__main__":
    main()
