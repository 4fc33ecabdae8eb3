"""One random-number design for the whole library.

* An explicit seed (a non-negative int) gives a generator of its own: the same call with the same
  seed draws the same values, eagerly and on every graph run.
* Without a seed (``None``, or NNabla's ``-1``) the draw comes from the calling thread's stream of
  one global generator. :func:`seed` resets it, so a whole program is reproducible from one call;
  each thread draws from its own stream, spawned from the global seed, so no two threads ever
  share (or race on) a stream.
* A ``numpy.random.Generator`` may be passed wherever a seed is taken; it is used as given.

Functions that draw take ``seed`` and call :func:`generator` with it when they run (in ``forward``),
never when they are built, so a graph without a seed draws anew on every run.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.errors import ArgumentError

__all__ = ["generator", "seed", "validate_seed"]

_lock = threading.Lock()
_root = np.random.SeedSequence()
_epoch = 0
_local = threading.local()


def seed(n: int | None = None) -> None:
    """Reset the global generator (``None``: fresh entropy from the operating system).

    Args:
        n (int, optional): A non-negative seed.

    Raises:
        ArgumentError: ``n`` is negative or not an integer.

    Examples:
        >>> import nnfunc as nf
        >>> nf.random.seed(0); a = nf.random.generator().random()
        >>> nf.random.seed(0); b = nf.random.generator().random()
        >>> a == b
        True
    """
    global _root, _epoch
    if n is not None:
        n = check.integer("seed", "n", n, min_value=0)
    with _lock:
        _root = np.random.SeedSequence(n)
        _epoch += 1


def validate_seed(op: str, value: Any) -> Any:
    """Check a ``seed`` argument: None, -1 (NNabla's "no seed"), a non-negative int below 2**63,
    or a ``numpy.random.Generator``. Returns None for "no seed", else the value."""
    if value is None or isinstance(value, np.random.Generator):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ArgumentError(
            check.message(op, "seed", "be None, -1, a non-negative int or a Generator", seed=value)
        )
    value = int(value)
    if value == -1:
        return None
    if not 0 <= value < 2**63:
        raise ArgumentError(
            check.message(op, "seed", "be None, -1, a non-negative int or a Generator", seed=value)
        )
    return value


def generator(seed: Any = None) -> np.random.Generator:
    """The generator a draw uses: its own for an explicit seed, else the thread's global stream.

    Args:
        seed: None or -1 (the global stream), a non-negative int, or a Generator (returned as is).

    Returns:
        A ``numpy.random.Generator``.

    Examples:
        >>> import nnfunc as nf
        >>> bool(nf.random.generator(3).random() == nf.random.generator(3).random())
        True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    seed = validate_seed("generator", seed)  # -1 becomes None
    if seed is not None:
        return np.random.default_rng(seed)
    state = getattr(_local, "state", None)
    if state is None or state[0] != _epoch:
        with _lock:
            (child,) = _root.spawn(1)
            state = _local.state = (_epoch, np.random.default_rng(child))
    return state[1]
