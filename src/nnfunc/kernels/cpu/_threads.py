"""Splitting a kernel's rows over threads: the calling thread plus a small shared pool.

The numba kernels of :mod:`nnfunc.kernels.cpu` release the GIL (``nogil=True``) and treat their
rows independently, so a large call can run as a few calls on row ranges, in parallel. This
uses Python threads rather than numba's ``parallel=True``: no second compilation of every
kernel (CI pays for compile time), no dependence on numba's threading layer (OpenMP is not
fork-safe, the workqueue layer aborts on concurrent use), and any thread may call in.

Threads: ``NNFUNC_NUM_THREADS`` when set (1 turns this off), else the CPUs this process may run
on. Calls smaller than :data:`MIN_WORK` elements per thread stay on the calling thread (a pool
round trip costs ~50 us). A parallel call is cut into :data:`RANGES_PER_THREAD` ranges per
thread that the threads take in turn, so that a thread slowed down by other processes on a
shared machine delays the call by one small range, not by a whole share; the calling thread
works too, and pool tasks that have not started when it runs out of ranges are cancelled.
The pool is created on first use and again after a fork.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["MIN_WORK", "RANGES_PER_THREAD", "num_threads", "row_ranges", "run"]

#: Elements (of the largest array a kernel streams) below which a thread gets no share.
MIN_WORK = 1 << 18
#: Ranges per thread of a parallel call (load balancing between unevenly loaded cores).
RANGES_PER_THREAD = 4

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_pid = -1


#: (environment value, pid) -> threads: the last answer of :func:`num_threads`, reused while
#: neither changes (reading the CPU affinity is a system call; kernels ask on every call).
_cached: tuple[str, int, int] = ("", -1, 1)


def num_threads() -> int:
    """Threads a large kernel call uses: ``NNFUNC_NUM_THREADS`` or the usable CPUs."""
    global _cached
    raw = os.environ.get("NNFUNC_NUM_THREADS", "")
    pid = os.getpid()
    if _cached[0] == raw and _cached[1] == pid:
        return _cached[2]
    env = raw.strip()
    try:
        threads = max(1, int(env)) if env else 0
    except ValueError:  # not a number: the CPUs, as when unset
        threads = 0
    if not threads:
        try:
            threads = max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            threads = max(1, os.cpu_count() or 1)
    _cached = (raw, pid, threads)
    return threads


def row_ranges(rows: int, per_row: int, threads: int | None = None) -> list[tuple[int, int]]:
    """Split ``range(rows)`` into contiguous ``(start, stop)`` ranges, one per thread.

    Args:
        rows: Number of rows.
        per_row: Elements per row (the work unit).
        threads: Exact number of ranges wanted (at most ``rows``); None: automatic, one range
            when there are fewer than ``2 * MIN_WORK`` elements, else
            :data:`RANGES_PER_THREAD` per thread of :func:`num_threads` (a thread for each
            :data:`MIN_WORK` elements at most).
    """
    if threads is None:
        work = rows * max(per_row, 1)
        if work < 2 * MIN_WORK:  # one range, on the calling thread: no thread count needed
            return [(0, rows)]
        threads = min(num_threads(), max(1, work // MIN_WORK))
        if threads > 1:
            threads *= RANGES_PER_THREAD
    n = max(1, min(threads, rows))
    return [(rows * k // n, rows * (k + 1) // n) for k in range(n)]


def _get_pool() -> ThreadPoolExecutor:
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            # After a fork the parent's worker threads do not exist here: start a new pool.
            _pool = ThreadPoolExecutor(
                max_workers=max(1, num_threads() - 1), thread_name_prefix="nnfunc-kernel"
            )
            _pool_pid = os.getpid()
        return _pool


def run(fn: Callable[[int, int], Any], ranges: list[tuple[int, int]]) -> list[Any]:
    """``[fn(start, stop) for each range]``, the ranges shared by this thread and the pool."""
    n = len(ranges)
    if n == 1:
        return [fn(*ranges[0])]
    results: list[Any] = [None] * n
    taken = iter(range(n))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                k = next(taken, None)
            if k is None:
                return
            results[k] = fn(*ranges[k])

    pool = _get_pool()
    helpers = [pool.submit(work) for _ in range(min(n, num_threads()) - 1)]
    try:
        work()
    finally:
        for f in helpers:
            if not f.cancel():
                f.result()  # re-raises a helper's exception
    return results
