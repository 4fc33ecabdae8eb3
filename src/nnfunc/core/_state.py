"""Per-thread autograd state: whether operations on Variables are recorded."""

from __future__ import annotations

import threading

__all__ = ["STATE"]


class _State(threading.local):
    """``grad_enabled`` is per thread so simulated replicas on threads do not interfere."""

    grad_enabled = True


STATE = _State()
