"""Interleaved timing against PyTorch with 1 thread and with its default threads, as ratios.

Used by ``bench_activation.py``, ``bench_norm.py`` and ``bench_loss.py``. Each round calls the
nnfunc case once, then each PyTorch reference once, so all of them see the same machine load;
a case reports the median times and the median of the per-round ratios nnfunc / torch with
their interquartile range, which shows the noise of a shared machine. The two torch columns
are PyTorch with 1 intra-op thread and with its default count. nnfunc's large kernels split
their rows over ``NNFUNC_NUM_THREADS`` threads (default: the usable CPUs; the header says how
many): run with ``NNFUNC_NUM_THREADS=1`` to compare one thread with one thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import _common  # noqa: F401  (puts the checkout's src/ on sys.path)
import numpy as np

__all__ = ["Case", "run_cases", "run_cases_cpu_time"]

Case = tuple[str, Callable[[], Any], Callable[[], Any] | None]


def paired(
    ours: Callable[[], Any], refs: list[Callable[[], Any]], repeat: int
) -> tuple[float, list[float], list[tuple[float, float, float]]]:
    """Median time of ``ours`` and of each ref, and (q1, median, q3) of the per-round ratios."""
    for f in (ours, *refs):
        f()  # warm-up: numba compilation, allocator
    t_ours: list[float] = []
    t_refs: list[list[float]] = [[] for _ in refs]
    for _ in range(repeat):
        t0 = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - t0)
        for k, f in enumerate(refs):
            t0 = time.perf_counter()
            f()
            t_refs[k].append(time.perf_counter() - t0)
    a = np.array(t_ours)
    quart = [tuple(float(q) for q in np.percentile(a / np.array(t), [25, 50, 75])) for t in t_refs]
    return float(np.median(a)), [float(np.median(t)) for t in t_refs], quart


def run_cases(cases: list[Case], torch: Any, repeat: int, only: str | None = None) -> None:
    """Time every case (name, nnfunc call, torch call or None) and print one table line each.

    ``torch`` is the module or None; its default thread count is read once and restored after
    every case.
    """
    try:
        from nnfunc.kernels.cpu._threads import num_threads

        print(f"nnfunc: kernels on up to {num_threads()} threads (NNFUNC_NUM_THREADS)")
    except ImportError:  # a checkout before the thread pool: one thread
        print("nnfunc: kernels on 1 thread")
    threads = torch.get_num_threads() if torch is not None else 0
    if torch is not None:
        print(f"torch {torch.__version__}; torch columns: 1 thread and {threads} threads")
    head = ["nnfunc", "torch1", f"torch{threads}", "ratio1 (IQR)", f"ratio{threads} (IQR)"]
    print(
        f"{'case':42s} "
        + " ".join(f"{h:>9s}" if i < 3 else f"{h:>19s}" for i, h in enumerate(head))
    )
    for name, ours, ref in cases:
        if only and only not in name:
            continue
        refs: list[Callable[[], Any]] = []
        if torch is not None and ref is not None:

            def with_threads(n: int, ref: Callable[[], Any] = ref) -> Callable[[], Any]:
                def call() -> Any:
                    torch.set_num_threads(n)
                    return ref()

                return call

            refs = [with_threads(1), with_threads(threads)]
        t, trefs, quart = paired(ours, refs, repeat)
        if torch is not None:
            torch.set_num_threads(threads)
        cells = [f"{t * 1e3:7.2f}ms"] + [f"{r * 1e3:7.2f}ms" for r in trefs]
        cells += [f"{q[1]:5.2f} ({q[0]:.2f}-{q[2]:.2f})" for q in quart]
        print(
            f"{name:42s} "
            + " ".join(f"{c:>9s}" if i < 3 else f"{c:>19s}" for i, c in enumerate(cells)),
            flush=True,
        )


def run_cases_cpu_time(cases: list[Case], torch: Any, repeat: int, only: str | None) -> None:
    """Median process CPU time of each case on one thread, nnfunc and torch interleaved.

    For a loaded machine, where wall-clock times mostly measure the other processes: run with
    ``NNFUNC_NUM_THREADS=1`` (torch is set to 1 thread here). Prints the medians, the ratio
    nnfunc / torch and, on a ``... fwd+bwd`` (or ``... vjp``) line that follows its ``... fwd``
    line, each library's forward+backward / forward.
    """
    if torch is not None:
        torch.set_num_threads(1)
    print(
        f"{'case':46s} {'nnfunc':>9s} {'torch':>9s} {'ratio':>6s} {'nf f+b/f':>9s} {'pt f+b/f':>9s}"
    )
    fwd: dict[str, tuple[float, float]] = {}
    for name, ours, ref in cases:
        if only and only not in name:
            continue
        fns = [ours] + ([ref] if ref is not None else [])
        for f in fns:
            f()
        times: list[list[float]] = [[] for _ in fns]
        for _ in range(repeat):
            for k, f in enumerate(fns):
                t0 = time.process_time()
                f()
                times[k].append(time.process_time() - t0)
        med = [float(np.median(t)) for t in times]
        t_ref = med[1] if len(med) > 1 else float("nan")
        base = name.rsplit(" ", 1)[0]
        cells = f"{name:46s} {med[0] * 1e3:7.2f}ms {t_ref * 1e3:7.2f}ms {med[0] / t_ref:9.2f}"
        if name.endswith(" fwd"):
            fwd[base] = (med[0], t_ref)
        elif base in fwd:
            cells += f" {med[0] / fwd[base][0]:9.2f} {t_ref / fwd[base][1]:9.2f}"
        print(cells, flush=True)
