"""OpenBLAS on one thread, and independent GEMMs split over the kernel threads (switchable).

Large kernels that run many small BLAS calls (attention tiles) split them over
:mod:`nnfunc.kernels.cpu._threads` with OpenBLAS on ONE thread meanwhile: OpenBLAS's own
threads spin-wait between calls and hand every call to the second thread and wait for it; on
a loaded machine (or beside our threads) a descheduled spinner stalls each call (measured: up
to 10x slower for small GEMMs). Python threads on one-thread BLAS take the calls in turn
instead (a slow core delays one call, not every call). For LARGE independent products
(:func:`matmuls`, the two gradients of a matrix product) that was measured slower here than
one product after the other on BLAS's own threads: :data:`CONCURRENT` is off.

The thread count of OpenBLAS (the library NumPy's wheels ship, found in ``/proc/self/maps``)
is set through its own ``openblas_set_num_threads`` (~7 us for a set and a restore, against
~50 us through ``threadpoolctl``). The limit is process-wide while it holds: nested and
concurrent users share one count, the first entry sets it, the last exit restores it.
Another BLAS (MKL, BLIS, ...) is limited through ``threadpoolctl`` when it is installed; without
either the limit is a no-op and the callers run the same code (:func:`can_limit` says which).
This is the one place that sets BLAS threads: attention, the recurrent layers' time loops and
Winograd's parallel chunks use it.

OpenBLAS's idle threads poll for 2**28 CPU cycles (~0.1 s) after each threaded call before they
sleep (``OPENBLAS_THREAD_TIMEOUT``, read when the library loads). Beside nnfunc's own kernel
threads that is a core taken for 0.1 s after every large GEMM: in a Transformer training step
the attention and GELU kernels that follow the projections ran at one-thread speed (2 threads,
b16 T256 d512: 571-581 ms a step, 488-495 with a short poll; PyTorch 515-550).
:func:`shorten_idle_spin` (run when ``nnfunc`` is imported) sets the poll to 2**20 cycles
(~0.3 ms, of the order of the kernel threads' own) unless the user set
``OPENBLAS_THREAD_TIMEOUT``: OpenBLAS re-reads its environment and stops its threads, which
start again, with the new poll, at the next threaded call (the path OpenBLAS itself takes
after a fork).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from nnfunc.kernels.cpu._threads import num_threads, run

try:  # optional: limits a BLAS other than OpenBLAS (MKL, BLIS)
    import threadpoolctl
except ImportError:  # pragma: no cover - a declared dependency; without it: OpenBLAS only
    threadpoolctl = None

__all__ = [
    "CONCURRENT",
    "MIN_PARALLEL_WORK",
    "can_limit",
    "matmuls",
    "one_thread_blas",
    "openblas",
    "shorten_idle_spin",
]

#: Whether :func:`matmuls` runs independent products at once on the kernel threads (each on
#: one-thread BLAS). Off: measured on this project's 2-core machine, two different 2048^3
#: SGEMMs at once on one thread each took 1.22-1.26x the time of the two one after the other
#: on 2-thread OpenBLAS (three runs, load 1.0-3.5; per core ~80 instead of ~103 GFLOP/s:
#: two independent GEMMs stream twice the packed panels), and the peer harness's matmul
#: fwd+bwd went 258 -> 299 ms (best, quiet rounds) with it on; for mid-size products the
#: ratio swung 0.4-2.0 with the load. Kept switchable for machines where it pays.
CONCURRENT = False

#: Multiply-adds (summed over the products of one call) below which :func:`matmuls` runs the
#: products one after the other on BLAS's own threads (a thread hand-off costs ~50 us; a
#: 2**24 multiply-add GEMM takes ~0.2 ms on one core here).
MIN_PARALLEL_WORK = 1 << 24
#: Most row blocks per product when the kernel threads outnumber the products; with more
#: threads than this many blocks per product, :func:`matmuls` leaves the threading to BLAS.
#: 1: each block packs the product's shared operand again (BLAS's own threads share it), and
#: a product cut in 2 row blocks on one-thread BLAS ran 1.1-1.5x slower than one 2-thread
#: OpenBLAS call (2048^3, 4096x512x2048, 4096x512x512, 1024^3; 2 cores, load ~3), while two
#: different products at once ran 0.37-1.03x the time of the two one after the other.
MAX_PARTS = 1

_lock = threading.Lock()
_users = 0
_saved = 0
_api: Any = None
_lib: Any = None  # the OpenBLAS library of _api

#: OpenBLAS's idle poll set by :func:`shorten_idle_spin`, as log2 of CPU cycles (4-30; 18-22
#: measured alike on the Transformer step, 28 is OpenBLAS's default).
IDLE_SPIN_LOG2 = 20


def openblas() -> Any:
    """``(set_num_threads, get_num_threads)`` of the OpenBLAS NumPy loaded, or None."""
    global _api, _lib
    if _api is None:
        _api = False
        try:
            with open("/proc/self/maps", encoding="utf-8") as maps:
                paths = {ln.split()[-1] for ln in maps if "openblas" in ln.lower()}
        except OSError:
            paths = set()
        for path in sorted(paths):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            names = (("scipy_openblas", "64_"), ("openblas", "64_"), ("openblas", ""))
            for prefix, suffix in names:
                set_fn = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                get_fn = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if set_fn is not None and get_fn is not None:
                    set_fn.argtypes = [ctypes.c_int]
                    get_fn.restype = ctypes.c_int
                    _api = (set_fn, get_fn)
                    _lib = lib
                    break
            if _api:
                break
    return _api or None


def shorten_idle_spin() -> bool:
    """Make OpenBLAS's idle threads poll for ``2**IDLE_SPIN_LOG2`` cycles instead of its default
    ``2**28`` (see the module doc); False, changing nothing, when ``OPENBLAS_THREAD_TIMEOUT``
    is set (the user's choice) or NumPy's BLAS is not an OpenBLAS that exports
    ``openblas_read_env`` and ``blas_thread_shutdown_``."""
    if "OPENBLAS_THREAD_TIMEOUT" in os.environ or openblas() is None:
        return False
    read_env = getattr(_lib, "openblas_read_env", None)
    shutdown = getattr(_lib, "blas_thread_shutdown_", None)
    if read_env is None or shutdown is None:
        return False
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(IDLE_SPIN_LOG2)
    read_env()
    shutdown()  # the threads start again at the next threaded call, reading the new poll
    return True


_fallback: Any = None  # a threadpoolctl controller of the BLAS libraries (False: none seen)


def _controller() -> Any:
    """threadpoolctl's view of the loaded BLAS libraries (None: not installed or none seen)."""
    global _fallback
    if _fallback is None:
        _fallback = False
        if threadpoolctl is not None:
            found = threadpoolctl.ThreadpoolController().select(user_api="blas")
            _fallback = found if found.lib_controllers else False
    return _fallback or None


def can_limit() -> bool:
    """Whether :func:`one_thread_blas` can set the BLAS NumPy uses to one thread."""
    return openblas() is not None or _controller() is not None


@contextlib.contextmanager
def one_thread_blas(active: bool = True) -> Iterator[None]:
    """BLAS on one thread while the block runs (when ``active`` and :func:`can_limit`)."""
    global _users, _saved
    api = openblas() if active else None
    tpc = _controller() if active and api is None else None
    if api is None and tpc is None:
        yield
        return
    with _lock:
        if _users == 0:
            if api is not None:
                _saved = api[1]()
                api[0](1)
            else:
                _saved = tpc.limit(limits=1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                if api is not None:
                    api[0](_saved)
                else:
                    _saved.restore_original_limits()


def matmuls(jobs: Sequence[tuple[Any, Any, Any]], parts: int = 1) -> None:
    """``np.matmul(x, y, out=out)`` for each ``(x, y, out)`` job, at once when it pays.

    With :data:`CONCURRENT` (off by default), large NumPy jobs with several kernel threads
    (at most :data:`MAX_PARTS` per job): each job is cut into ``max(parts, threads / jobs)``
    blocks of rows of ``out`` (the second-to-last axis; every output element is computed by
    the same BLAS call shape as without the cut, so the values do not depend on the split),
    and the blocks are shared by the kernel threads, each on one-thread BLAS. Otherwise the
    jobs run one after the other (BLAS uses its own threads). ``out`` must be a NumPy array
    whose rows BLAS can write directly (C-contiguous, or a row range of one); transposed
    operands are passed as strided views (no copy: BLAS reads them transposed).
    """
    work = 0
    plain = True
    for x, y, out in jobs:
        if type(out) is not np.ndarray or type(x) is not np.ndarray or type(y) is not np.ndarray:
            plain = False
            break
        work += out.size * x.shape[-1]
    threads = num_threads() if CONCURRENT and plain and work >= MIN_PARALLEL_WORK else 1
    if threads <= 1 or threads > MAX_PARTS * len(jobs):
        for x, y, out in jobs:
            np.matmul(x, y, out=out)
        return
    parts = max(parts, -(-threads // len(jobs)))
    blocks: list[tuple[Any, Any, Any]] = []
    for x, y, out in jobs:
        rows = out.shape[-2]
        n = max(1, min(parts, rows))
        for i in range(n):
            r0, r1 = rows * i // n, rows * (i + 1) // n
            if r1 > r0:
                blocks.append((x[..., r0:r1, :], y, out[..., r0:r1, :]))

    def work_on(i0: int, i1: int) -> None:
        for x, y, out in blocks[i0:i1]:
            np.matmul(x, y, out=out)

    with one_thread_blas():
        run(work_on, [(i, i + 1) for i in range(len(blocks))])
