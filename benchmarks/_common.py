"""Shared helpers of the benchmarks: best-of-N timing and a side-by-side table.

Every benchmark script times nnfunc and, when it is installed, PyTorch on the CPU in the same
process, and prints ``case | nnfunc | torch | ratio`` (ratio = nnfunc time / torch time, so
below 1 means nnfunc is faster). Usage::

    from _common import Row, best_of, print_table, torch_or_none

    torch = torch_or_none()
    rows = [Row("relu 1000", best_of(lambda: nf.relu(x)),
                best_of(lambda: torch.relu(t)) if torch else None)]
    print_table(rows, title="relu")

Run a benchmark from the repository root: ``python benchmarks/bench_<part>.py``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

# Benchmarks run from a checkout: use its sources even when nnfunc is not installed.
_SRC = Path(__file__).resolve().parents[1] / "src"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

__all__ = ["Row", "best_of", "best_of_each", "format_seconds", "print_table", "torch_or_none"]


def torch_or_none(threads: int | None = 1) -> Any:
    """The ``torch`` module, or None when it is not installed.

    Args:
        threads: Intra-op threads for PyTorch (1 by default, like NumPy on small arrays, so that
            ratios compare the libraries rather than thread pools); None leaves its default.
    """
    try:
        import torch
    except ImportError:
        return None
    if threads is not None:
        torch.set_num_threads(threads)
    return torch


def _calls_per_round(fn: Callable[[], Any], min_time: float) -> int:
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        if time.perf_counter() - start >= min_time:
            return number
        number *= 2


def _round(fn: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def best_of(
    fn: Callable[[], Any], *, repeat: int = 9, min_time: float = 0.02, number: int | None = None
) -> float:
    """Seconds per call of ``fn``: the best, over ``repeat`` rounds, of a round's mean.

    Each round calls ``fn`` ``number`` times; by default ``number`` grows until a round lasts at
    least ``min_time`` seconds (as :mod:`timeit` does), so that timer resolution does not matter.
    The minimum over rounds is the least disturbed by the rest of the machine.
    """
    return best_of_each([fn], repeat=repeat, min_time=min_time, number=number)[0]


def best_of_each(
    fns: Sequence[Callable[[], Any] | None],
    *,
    repeat: int = 9,
    min_time: float = 0.02,
    number: int | None = None,
) -> list[float | None]:
    """:func:`best_of` for several functions, their rounds interleaved.

    On a shared machine the load changes over seconds; alternating the rounds of the functions
    compared lets each see the same quiet moments, which keeps their ratio steadier than timing
    one after the other. ``None`` entries give ``None``.
    """
    live = [(i, f) for i, f in enumerate(fns) if f is not None]
    for _, f in live:
        f()  # warm-up: imports, caches, lazy compilation
    counts = {i: number or _calls_per_round(f, min_time) for i, f in live}
    best: list[float | None] = [None] * len(fns)
    for _ in range(repeat):
        for i, f in live:
            t = _round(f, counts[i])
            best[i] = t if best[i] is None else min(best[i], t)
    return best


def format_seconds(seconds: float | None) -> str:
    """A duration with a readable unit (``12.3 us``), or ``-`` for None."""
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


@dataclass
class Row:
    """One line of a table: a case, nnfunc's time and the other library's (None if absent)."""

    case: str
    nnfunc: float
    other: float | None = None

    @property
    def ratio(self) -> float | None:
        """nnfunc time / other time."""
        return None if self.other is None else self.nnfunc / self.other


def print_table(
    rows: Sequence[Row],
    *,
    title: str | None = None,
    other: str = "torch",
    file: TextIO | None = None,
) -> None:
    """Print ``case | nnfunc | <other> | ratio`` as a Markdown table."""
    file = file or sys.stdout
    cells = [
        (
            r.case,
            format_seconds(r.nnfunc),
            format_seconds(r.other),
            "-" if r.ratio is None else f"{r.ratio:.2f}x",
        )
        for r in rows
    ]
    header = ("case", "nnfunc", other, "ratio")
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
    if title:
        print(f"\n{title}\n", file=file)

    def line(values: Sequence[str]) -> str:
        first = values[0].ljust(widths[0])
        rest = [v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True)]
        return "| " + " | ".join([first, *rest]) + " |"

    print(line(header), file=file)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=file)
    for c in cells:
        print(line(c), file=file)
