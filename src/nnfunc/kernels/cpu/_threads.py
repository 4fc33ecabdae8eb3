"""Splitting a kernel's rows over threads: the calling thread plus a small shared pool.

The numba kernels of :mod:`nnfunc.kernels.cpu` release the GIL (``nogil=True``) and treat their
rows independently, so a large call can run as a few calls on row ranges, in parallel. This
uses Python threads rather than numba's ``parallel=True``: no second compilation of every
kernel (CI pays for compile time), no dependence on numba's threading layer (OpenMP is not
fork-safe, the workqueue layer aborts on concurrent use), and any thread may call in.

Threads: ``NNFUNC_NUM_THREADS`` when set (1 turns this off), else the CPUs this process may run
on. Calls smaller than :data:`MIN_WORK` elements per thread stay on the calling thread. A
parallel call is cut into :data:`RANGES_PER_THREAD` ranges per thread that the threads take in
turn, so that a thread slowed down by other processes on a shared machine delays the call by one
small range, not by a whole share; the calling thread works too, and waits at the end only for
the ranges a helper has started (a helper that has not started yet finds nothing left to do).

Wake-up cost. A helper blocked on a lock is woken through the kernel; on a virtual machine whose
idle CPUs halt (no guest halt-polling) that takes ~50-90 us, which is most of the gain of a
~1 ms kernel on two threads. So a helper that has finished its work polls a counter for
:func:`spin_seconds` (``NNFUNC_SPIN_US``, default 500 us; 0: block at once) before it blocks,
with ``sched_yield`` between polls and without the GIL (a numba ``nogil`` loop); the calling
thread publishes a job by bumping that counter and makes a system call only when a helper is
asleep. The calling thread waits for the helpers' last ranges in the same way. Idle, nothing
spins: the poll ends after the window and the helper then sleeps until the next job. Without
numba, and off Linux, the helpers block at once.

The pool is created on first use, grows when more threads are asked for, and is created again
after a fork (the parent's helper threads do not exist in the child).
"""

from __future__ import annotations

import collections
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu._jit import spin_kernels  # numba itself is imported when it compiles

__all__ = ["MIN_WORK", "RANGES_PER_THREAD", "num_threads", "row_ranges", "run", "spin_seconds"]

#: Elements (of the largest array a kernel streams) below which a thread gets no share.
MIN_WORK = 1 << 18
#: Ranges per thread of a parallel call (load balancing between unevenly loaded cores).
RANGES_PER_THREAD = 4
#: Default poll window of an idle helper, in microseconds (``NNFUNC_SPIN_US`` overrides it).
#: 500, not 200: a training step's parallel calls are often more than 200 us apart (the demo CNN
#: step: the second convolution's forward, then ~400 us of small ops before its gradients),
#: and a sleeping helper starts ~25-40 us late (demo CNN step, 2 threads, three alternating
#: runs: 1.56-1.58 ms at 500 vs 1.62-1.65 ms at 200).
SPIN_US = 500

_lock = threading.Lock()


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


_spin_cached: tuple[str, int] = ("", SPIN_US * 1000)


def spin_seconds() -> float:
    """How long an idle helper (or a caller waiting for helpers) polls before it blocks:
    ``NNFUNC_SPIN_US`` microseconds (0 or less: never), else :data:`SPIN_US`."""
    return _spin_ns() / 1e9


def _spin_ns() -> int:
    global _spin_cached
    raw = os.environ.get("NNFUNC_SPIN_US", "")
    if raw == _spin_cached[0]:
        return _spin_cached[1]
    try:
        ns = max(0, int(float(raw) * 1000)) if raw.strip() else SPIN_US * 1000
    except ValueError:
        ns = SPIN_US * 1000
    _spin_cached = (raw, ns)
    return ns


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


def _spinner() -> Callable[[Any, int, int], int] | None:
    """The numba ``nogil`` poll (None without numba, or off Linux: then every wait blocks at
    once). The poll calls libc's ``sched_yield`` and ``clock_gettime(CLOCK_MONOTONIC)`` with
    Linux's clock number and 64-bit ``timespec``; elsewhere it is not built."""
    if not numba_enabled() or not sys.platform.startswith("linux"):
        return None
    try:
        return spin_kernels()["spin_while_equal"]
    except Exception:  # a toolchain that cannot build the intrinsics: block instead of polling
        return None


class _Pool:
    """Helper threads that take jobs from a queue; ``bell[0]`` counts the jobs published."""

    def __init__(self, spin: Callable[[Any, int, int], int] | None) -> None:
        self.pid = os.getpid()
        self.spin = spin
        self.bell = np.zeros(1, np.int64)
        self.jobs: collections.deque[Callable[[], None]] = collections.deque()
        self.cond = threading.Condition(threading.Lock())
        self.sleeping = 0  # helpers blocked on `cond` (read without the lock: a hint, see post)
        self.helpers: list[threading.Thread] = []

    def grow(self, n: int) -> None:
        while len(self.helpers) < n:
            t = threading.Thread(
                target=self._loop, name=f"nnfunc-kernel_{len(self.helpers)}", daemon=True
            )
            t.start()
            self.helpers.append(t)

    def post(self, job: Callable[[], None], copies: int) -> None:
        """Queue ``copies`` entries of ``job`` and wake the helpers (no system call when they
        are polling). A helper counts itself in ``sleeping`` before it checks the bell for the
        last time, and this reads ``sleeping`` after ringing: one of the two sees the other
        (both run under the GIL), so no job waits for a helper that went to sleep. Two callers
        may lose one increment between them; harmless: the jobs are queued before the bell
        rings, so a helper woken by either ring runs both, and a caller never waits for a
        job to start (it runs every range nobody took)."""
        for _ in range(copies):
            self.jobs.append(job)
        self.bell[0] += 1
        if self.sleeping:
            with self.cond:
                self.cond.notify_all()

    def _loop(self) -> None:
        seen = int(self.bell[0])
        bell, cond, jobs = self.bell, self.cond, self.jobs
        while True:
            rung = int(bell[0])
            if rung == seen and self.spin is not None:
                ns = _spin_ns()
                if ns:
                    rung = int(self.spin(bell, seen, ns))
            if rung == seen:
                with cond:
                    self.sleeping += 1
                    while int(bell[0]) == seen:
                        cond.wait()
                    self.sleeping -= 1
            seen = int(bell[0])
            while True:
                try:
                    job = jobs.popleft()
                except IndexError:
                    break
                job()


_pool: _Pool | None = None


def _get_pool(helpers: int) -> _Pool:
    global _pool
    pool = _pool
    if pool is None or pool.pid != os.getpid() or len(pool.helpers) < helpers:
        with _lock:
            if _pool is None or _pool.pid != os.getpid():
                # After a fork the parent's helper threads do not exist here: a new pool.
                _pool = _Pool(_spinner())
            _pool.grow(helpers)
            pool = _pool
    return pool


class _Call:
    """One parallel call: ranges handed out in turn, completions counted in ``done[0]``."""

    __slots__ = ("done", "error", "fn", "lock", "next", "ranges", "results", "waiter")

    def __init__(self, fn: Callable[[int, int], Any], ranges: list[tuple[int, int]]) -> None:
        self.fn = fn
        self.ranges = ranges
        self.results: list[Any] = [None] * len(ranges)
        self.lock = threading.Lock()
        self.next = 0  # ranges handed out (frozen once the caller has run out of them)
        self.done = np.zeros(1, np.int64)  # ranges finished (an array: the caller polls it)
        self.error: BaseException | None = None
        self.waiter: threading.Lock | None = None  # held while the caller is blocked

    def help(self) -> None:
        """A helper's share: as :meth:`work`, an exception kept for the caller to raise."""
        self.work(own=False)

    def work(self, own: bool = True) -> None:
        n = len(self.ranges)
        while True:
            with self.lock:
                k = self.next
                if k >= n or self.error is not None:  # all handed out, or one failed
                    return
                self.next = k + 1
            try:
                self.results[k] = self.fn(*self.ranges[k])
            except BaseException as exc:
                with self.lock:
                    if self.error is None:
                        self.error = exc  # and hand out nothing more
                    self._finish()
                if own:
                    raise
                return  # a helper's: run() raises it in the calling thread
            with self.lock:
                self._finish()

    def _finish(self) -> None:  # under self.lock
        self.done[0] += 1
        if self.waiter is not None and int(self.done[0]) == self.next:
            self.waiter.release()
            self.waiter = None

    def wait(self, spin: Callable[[Any, int, int], int] | None) -> None:
        """Return once every range handed out has finished (the caller has run out of ranges:
        ``next`` no longer changes)."""
        done = self.done
        if int(done[0]) == self.next:
            return
        if spin is not None:
            ns = _spin_ns()
            while ns and int(done[0]) != self.next:
                seen = int(done[0])
                if int(spin(done, seen, ns)) == seen:
                    break  # a whole window without progress: block
        with self.lock:
            if int(done[0]) == self.next:
                return
            waiter = threading.Lock()
            waiter.acquire()
            self.waiter = waiter
        waiter.acquire()  # released by the helper that finishes the last range


def run(fn: Callable[[int, int], Any], ranges: list[tuple[int, int]]) -> list[Any]:
    """``[fn(start, stop) for each range]``, the ranges shared by this thread and the pool.

    An exception of any range is raised here (the calling thread's own first, else a
    helper's), after every range already started has finished. ``fn`` may itself call
    :func:`run` (a nested call never waits for a helper that has not started)."""
    n = len(ranges)
    if n == 1:
        return [fn(*ranges[0])]
    helpers = min(n, num_threads()) - 1
    if helpers < 1:
        return [fn(a, b) for a, b in ranges]
    pool = _get_pool(helpers)
    call = _Call(fn, ranges)
    pool.post(call.help, helpers)
    try:
        call.work()
    finally:
        call.wait(pool.spin)
        # A helper that has not popped its queued entry yet would keep `fn` (and the arrays
        # its closure holds) alive until it wakes: drop them now (it then finds no range).
        call.fn, call.ranges = None, ()
    if call.error is not None:
        raise call.error
    return call.results


def _after_fork() -> None:  # a lock held by another thread at fork time would never be released
    global _lock, _pool
    _lock = threading.Lock()
    _pool = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
