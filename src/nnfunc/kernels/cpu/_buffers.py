"""Output buffers of the large element-wise kernels, reused instead of freshly mapped.

NumPy allocates arrays with ``malloc``; glibc serves requests above its mmap ceiling (32 MiB on
64-bit Linux) with a fresh ``mmap`` every time, so each large kernel output is page-faulted and
zeroed by the kernel on first touch: 4.5-7 ms of CPU per 64 MB output on this project's machine,
as much as the tanh-GELU kernel's own work. Smaller blocks come from glibc's heap, but the heap
is trimmed (given back to the system) when its free top passes twice the largest freed block:
two 16 MB arrays made and dropped per call still took ~1000 page faults and 4 ms of system time
per call (softmax forward+backward on 4096x1024: 6-10 ms, 2.4 ms from the pool).

:func:`empty` hands out arrays of :data:`MIN_BYTES` or more from a small pool of blocks that
earlier outputs released: the array's base is a :class:`_Lease` (it does not own its data, like
any view), and when the last array or view on the lease is gone, a ``weakref.finalize``
returns the block to the pool. The pool keeps at most ``NNFUNC_BUFFER_POOL_MB`` MiB (default
256; 0 turns it off), dropping the oldest blocks first; blocks are reused for the same byte size
only. The contents of a returned array are undefined, as for ``numpy.empty``.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from collections import deque
from typing import Any

import numpy as np

__all__ = ["MIN_BYTES", "clear", "empty", "pool_bytes"]

#: Outputs below this size come from ``numpy.empty`` (glibc's heap keeps small blocks).
MIN_BYTES = 4 << 20
_DEFAULT_MB = 256

#: re-entrant: a block may be released (a finalizer) by the thread that holds the lock
_lock = threading.RLock()
#: released blocks, oldest first
_free: deque[Any] = deque()
_held = 0


def pool_bytes() -> int:
    """The most bytes the pool keeps: ``NNFUNC_BUFFER_POOL_MB`` MiB (default 256; 0: off)."""
    raw = os.environ.get("NNFUNC_BUFFER_POOL_MB", "").strip()
    try:
        mb = max(0, int(raw)) if raw else _DEFAULT_MB
    except ValueError:
        mb = _DEFAULT_MB
    return mb << 20


class _Lease:
    """The owner of a pooled block while arrays use it (their ``base``)."""

    __slots__ = ("__array_interface__", "__weakref__", "block")

    def __init__(self, block: Any, shape: tuple[int, ...], dtype: Any) -> None:
        self.block = block
        self.__array_interface__ = {
            "data": (block.__array_interface__["data"][0], False),
            "shape": shape,
            "typestr": dtype.str,
            "version": 3,
        }


def _release(block: Any) -> None:
    global _held
    cap = pool_bytes()
    with _lock:
        _free.append(block)
        _held += block.nbytes
        while _held > cap and _free:
            _held -= _free.popleft().nbytes


def empty(shape: tuple[int, ...], dtype: Any) -> Any:
    """``numpy.empty(shape, dtype)``, from the pool when it is :data:`MIN_BYTES` or more."""
    global _held
    dt = np.dtype(dtype)
    shape = tuple(int(d) for d in shape)
    nbytes = math.prod(shape) * dt.itemsize
    if nbytes < MIN_BYTES or not pool_bytes():
        return np.empty(shape, dt)
    block = None
    with _lock:
        for i in range(len(_free) - 1, -1, -1):  # the most recently released first
            if _free[i].nbytes == nbytes:
                block = _free[i]
                del _free[i]
                _held -= nbytes
                break
    if block is None:
        block = np.empty(nbytes, np.uint8)
    lease = _Lease(block, shape, dt)
    weakref.finalize(lease, _release, block).atexit = False
    return np.asarray(lease)


def clear() -> None:
    """Drop every pooled block (their memory goes back to the system)."""
    global _held
    with _lock:
        _free.clear()
        _held = 0


def _after_fork() -> None:  # a lock held by another thread at fork time would never be released
    global _lock
    _lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
