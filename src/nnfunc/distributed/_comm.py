"""Communicator interface, single-process and in-process (threaded) communicators, all_reduce."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError

__all__ = [
    "Communicator",
    "InProcessGroup",
    "SingleProcessCommunicator",
    "all_reduce",
    "check_communicator",
    "run_replicas",
]


class Communicator:
    """Interface of a communicator: ``size``, ``rank`` and ``all_reduce``.

    Subclasses implement :meth:`_all_reduce` (sum of equally shaped arrays over every replica of
    a group, returned as a new array, identical on every replica). Every replica must call
    ``all_reduce`` the same number of times in the same order.

    Attributes:
        size (int): Number of replicas.
        rank (int): This replica's index, ``0 <= rank < size``.
        groups (tuple of str): Group names this communicator knows (``"world"`` at least).
    """

    size: int = 1
    rank: int = 0
    groups: tuple[str, ...] = ("world",)

    def all_reduce(self, array: Any, group: str = "world") -> Any:
        """Element-wise sum of ``array`` over the replicas of ``group`` (a new array).

        Args:
            array: A NumPy array; every replica passes the same shape and dtype.
            group (str): Communicator group. Default ``"world"``.

        Returns:
            The sum, with the shape and dtype of ``array``.

        Raises:
            ArgumentError: ``group`` is unknown; (in-process group) the replicas passed
                different shapes or dtypes.
        """
        if group not in self.groups:
            listed = ", ".join(repr(g) for g in self.groups)
            raise ArgumentError(
                check.message("all_reduce", "group", f"be one of {listed}", group=group)
            )
        return self._all_reduce(np.asarray(array), group)

    def _all_reduce(self, array: Any, group: str) -> Any:
        raise NotImplementedError

    # The collectives below are built on all_reduce, so every communicator has them; a
    # communicator over a real engine (MPICommunicator) overrides them with the native calls.
    def broadcast(self, array: Any, root: int = 0, group: str = "world") -> Any:
        """Rank ``root``'s ``array`` on every rank (a new array; same shape everywhere)."""
        root = check.integer("broadcast", "root", root, min_value=0)
        if root >= self.size:
            raise ArgumentError(
                check.message("broadcast", "root", f"be below the size {self.size}", root=root)
            )
        a = np.asarray(array)
        mine = a if self.rank == root else np.zeros_like(a)
        return self.all_reduce(mine, group)

    def all_gather(self, array: Any, group: str = "world") -> list[Any]:
        """Every rank's ``array`` (same shape and dtype everywhere), as a list in rank order."""
        a = np.asarray(array)
        slots = np.zeros((self.size, *a.shape), a.dtype)
        slots[self.rank] = a
        return list(self.all_reduce(slots, group))

    def barrier(self, group: str = "world") -> None:
        """Wait until every rank has reached the barrier."""
        self.all_reduce(np.zeros(1), group)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, rank={self.rank})"


class SingleProcessCommunicator(Communicator):
    """The communicator of a single process: ``size == 1``, ``all_reduce`` is a copy.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.distributed import SingleProcessCommunicator
        >>> SingleProcessCommunicator().all_reduce(np.array([1.0, 2.0]))
        array([1., 2.])
    """

    def _all_reduce(self, array: Any, group: str) -> Any:
        return array.copy()


class _Member(Communicator):
    def __init__(self, group: InProcessGroup, rank: int) -> None:
        self._group = group
        self.size = group.size
        self.rank = rank

    def _all_reduce(self, array: Any, group: str) -> Any:
        return self._group._reduce(self.rank, array)


# Replicas an InProcessGroup simulates at most (one thread each).
MAX_REPLICAS = 1024


class InProcessGroup:
    """``N`` simulated replicas in one process, one communicator per replica (run on threads).

    ``all_reduce`` waits until every replica has contributed, then each receives the sum in rank
    order (so every replica gets bit-identical results). The engine's recording flag is per
    thread, so replicas may run on threads (see :func:`run_replicas`).

    Args:
        size (int): Number of replicas, in ``[1, 1024]`` (each is a thread).
        timeout (float): Seconds a replica waits for the others before failing. Default 60.

    Attributes:
        communicators (list of Communicator): The communicator of each rank.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.distributed import InProcessGroup, run_replicas
        >>> group = InProcessGroup(3)
        >>> run_replicas(lambda comm: comm.all_reduce(np.array([comm.rank])), group)
        [array([3]), array([3]), array([3])]
    """

    def __init__(self, size: int, timeout: float = 60.0) -> None:
        self.size = check.positive_int("InProcessGroup", "size", size)
        if self.size > MAX_REPLICAS:  # one thread each: a bound before creating them
            raise ArgumentError(
                check.message("InProcessGroup", "size", f"be <= {MAX_REPLICAS}", size=size)
            )
        self._timeout = timeout
        self._barrier = threading.Barrier(self.size, timeout=timeout)
        self._slots: list[Any] = [None] * self.size
        self.communicators = [_Member(self, r) for r in range(self.size)]

    def _reduce(self, rank: int, array: Any) -> Any:
        self._slots[rank] = array
        self._barrier.wait()
        # Every replica sees the same slots, so all raise together (nobody is left waiting).
        shapes = [(tuple(a.shape), a.dtype.str) for a in self._slots]
        if any(sd != shapes[0] for sd in shapes):
            raise ArgumentError(
                check.message(
                    "all_reduce",
                    "array",
                    "have the same shape and dtype on every replica",
                    shapes=[sd[0] for sd in shapes],
                    dtypes=[np.dtype(sd[1]).name for sd in shapes],
                )
            )
        total = self._slots[0].copy()
        for a in self._slots[1:]:
            total += a
        # Nobody may overwrite a slot before every replica has summed.
        self._barrier.wait()
        return total

    def abort(self) -> None:
        """Release every waiting replica with an error (used when one replica fails)."""
        self._barrier.abort()


def run_replicas(fn: Callable[[Communicator], Any], group: InProcessGroup | int) -> list[Any]:
    """Run ``fn(comm)`` once per replica of ``group`` on threads; return the results by rank.

    Args:
        fn: Called with each replica's communicator.
        group (InProcessGroup or int): The group, or a size to create one.

    Returns:
        list: ``fn``'s result for rank 0, 1, ...

    Raises:
        The first exception a replica raised (the others are released; a group released so
            can run again).
    """
    if not callable(fn):
        raise ArgumentError(
            check.message("run_replicas", "fn", "be callable (with a communicator)", fn=fn)
        )
    if not isinstance(group, InProcessGroup):
        group = InProcessGroup(group)
    elif group._barrier.broken:  # released by an earlier failed run: usable again
        group._barrier.reset()
    results: list[Any] = [None] * group.size
    errors: list[BaseException | None] = [None] * group.size

    def work(rank: int) -> None:
        try:
            results[rank] = fn(group.communicators[rank])
        except BaseException as exc:
            errors[rank] = exc
            group.abort()

    threads = [threading.Thread(target=work, args=(r,)) for r in range(group.size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = [e for e in errors if e is not None and not isinstance(e, threading.BrokenBarrierError)]
    if first:
        raise first[0]
    if any(e is not None for e in errors):
        raise next(e for e in errors if e is not None)
    return results


def check_communicator(op: str, comm: Any, group: Any = "world") -> Any:
    """Validate a communicator (size >= 1, 0 <= rank < size, known group); return it."""
    size = getattr(comm, "size", None)
    rank = getattr(comm, "rank", None)
    if size is None or rank is None or not callable(getattr(comm, "all_reduce", None)):
        raise ArgumentError(
            check.message(op, "comm", "be a communicator with size, rank and all_reduce", comm=comm)
        )
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
        raise ArgumentError(check.message(op, "comm", "have size >= 1", **{"comm.size": size}))
    if not isinstance(rank, (int, np.integer)) or isinstance(rank, bool) or not 0 <= rank < size:
        raise ArgumentError(
            check.message(
                op,
                "comm",
                "have a rank in [0, size)",
                **{"comm.rank": rank, "comm.size": size},
            )
        )
    groups = getattr(comm, "groups", ("world",))
    if not isinstance(group, str) or group not in groups:
        listed = ", ".join(repr(g) for g in groups)
        raise ArgumentError(check.message(op, "group", f"be one of {listed}", group=group))
    return comm


class AllReduce(Function):
    """Sum over replicas; the gradient is the sum of the replicas' gradients."""

    op_name = "all_reduce"

    def __init__(self, comm: Any, group: str = "world") -> None:
        self.comm = comm
        self.group = group

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        check_communicator(self.op_name, self.comm, self.group)
        return (TensorSpec(tuple(x.shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (xp.asarray(self.comm.all_reduce(x, self.group), dtype=x.dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (AllReduce(self.comm, self.group).apply1(grad_outputs[0]),)


def all_reduce(x: Any, comm: Communicator, group: str = "world", *, name: str | None = None) -> Any:
    """Differentiable element-wise sum of ``x`` over every replica of ``comm``.

    .. math::
        y = \\sum_{r=0}^{size-1} x^{(r)}

    Args:
        x (array, Variable or SymbolicVariable): This replica's value (same shape everywhere).
        comm (Communicator): The communicator.
        group (str): Communicator group. Default ``"world"``.
        name (str, optional): Node name in graph mode.

    Returns:
        The sum, shape and dtype of ``x``.

    Raises:
        ArgumentError: ``comm`` is not a valid communicator or ``group`` is unknown.

    Notes:
        The gradient of each replica's input is the all-reduce of the replicas' output
        gradients (every replica must run its backward pass). NNabla's ``comm.all_reduce``
        works in place on a list of arrays and averages optionally; this one returns a new sum.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.distributed import SingleProcessCommunicator, all_reduce
        >>> all_reduce(np.array([1.0, 2.0]), SingleProcessCommunicator())
        array([1., 2.])
    """
    return AllReduce(comm, group).apply1(x, name=name)
