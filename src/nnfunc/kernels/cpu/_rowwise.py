"""The threaded call of a row-wise gradient kernel (:func:`nnfunc.kernels.cpu._jit.
rowwise_grad_kernels`), shared by the loss and dropout kernels' numba paths."""

from __future__ import annotations

from typing import Any

from nnfunc.kernels.cpu._jit import rowwise_grad_kernels
from nnfunc.kernels.cpu._threads import row_ranges, run

__all__ = ["run_rows"]


def run_rows(
    name: str, ins: tuple[Any, ...], consts: tuple[Any, ...], out: Any, per_row: int, threads: Any
) -> None:
    """Fill ``out`` by ``kernel(*ins, *consts, out)`` (the kernel ``name``), split into ranges
    of the first axis that every array shares (flattened arrays: elements; ``per_row``: the
    work of one row, for :func:`~nnfunc.kernels.cpu._threads.row_ranges`). Nothing runs, and
    nothing is compiled, when an input is empty: ``out`` keeps what the caller put there."""
    if any(a.size == 0 for a in ins):
        return
    kernel = rowwise_grad_kernels()[name]
    ranges = row_ranges(out.shape[0], per_row, threads)
    run(lambda a, b: kernel(*[x[a:b] for x in ins], *consts, out[a:b]), ranges)
