"""A communicator over MPI (``mpi4py``): real processes, on one host or many.

``mpi4py`` is imported when a :class:`MPICommunicator` is made, never by ``import nnfunc``.
Arrays travel through MPI's buffer interface (``Allreduce``, ``Allgather``, ``Bcast`` on
contiguous NumPy arrays); nothing is pickled except group bookkeeping.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.distributed._comm import Communicator
from nnfunc.errors import ArgumentError, UnsupportedError

__all__ = ["MPICommunicator", "install_abort_hook"]

_OP = "MPICommunicator"
# Metadata exchanged before every reduction: ndim, dtype code, then up to _MAX_DIMS sizes.
_MAX_DIMS = 14
_DTYPES = (
    np.float16,
    np.float32,
    np.float64,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.bool_,
    np.complex64,
    np.complex128,
)
_CODE = {np.dtype(d): i for i, d in enumerate(_DTYPES)}
_hook_lock = threading.Lock()
_hook_installed = False


def _contiguous(a: np.ndarray) -> np.ndarray:
    # np.ascontiguousarray would turn a 0-d array into a 1-d one.
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def _import_mpi() -> Any:
    try:
        from mpi4py import MPI  # optional: loaded on first use
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise UnsupportedError(
            "MPICommunicator: `mpi4py` must be installed (pip install 'nnfunc[mpi]'); "
            f"received ImportError: {exc}."
        ) from None
    return MPI


def install_abort_hook(comm: Any) -> None:
    """Make an uncaught exception on any rank abort every rank (no silent hang).

    Without it, a rank that dies before a collective leaves the others waiting in it forever.
    The hook writes the rank, the exception and its traceback, then calls ``MPI_Abort`` on
    ``comm``.
    """
    global _hook_installed
    with _hook_lock:
        if _hook_installed:
            return

        def hook(exc_type: Any, exc: Any, tb: Any) -> None:
            # One write of the whole report, then a moment for mpiexec to forward it: MPI_Abort
            # kills the job at once and can cut a report written in pieces.
            text = "".join(traceback.format_exception(exc_type, exc, tb))
            head = f"nnfunc: rank {comm.Get_rank()} raised {exc_type.__name__}: {exc}; "
            os.write(2, (head + "aborting every rank.\n" + text).encode(errors="replace"))
            time.sleep(0.5)
            comm.Abort(1)

        sys.excepthook = hook
        _hook_installed = True


class MPICommunicator(Communicator):
    """A communicator over an ``mpi4py`` communicator (``MPI.COMM_WORLD`` by default).

    Start the program with ``mpiexec -n N python script.py``; every rank makes the communicator
    and calls the same collectives in the same order. It works with every function that takes a
    communicator (:func:`nnfunc.sync_batch_normalization`, :func:`nnfunc.distributed.all_reduce`,
    the data-parallel helpers) and offers NNabla's group interface (``new_group``,
    ``list_groups``, ``find_group``).

    Args:
        comm: An ``mpi4py.MPI.Comm``; default ``MPI.COMM_WORLD``.
        abort_on_exception (bool): Install a ``sys.excepthook`` that aborts every rank when one
            rank ends with an uncaught exception (default True), so no rank waits forever in a
            collective that a dead rank will never join.
        check_shapes (bool): Before each reduction, exchange the shape and dtype of every rank's
            array (one small ``Allgather``) and raise ``ArgumentError`` on all ranks alike when
            they differ (default True).

    Attributes:
        size (int): Number of processes in the world group.
        rank (int): This process's rank in the world group.
        local_rank (int): This process's rank among the processes of its host.
        groups (tuple of str): The group names (``"world"`` and those made with ``new_group``).

    Raises:
        UnsupportedError: ``mpi4py`` is not installed.

    Examples:
        A single process (``python script.py`` without ``mpiexec``) is a world of size 1:

        >>> import numpy as np
        >>> from nnfunc.distributed import MPICommunicator
        >>> comm = MPICommunicator(abort_on_exception=False)  # doctest: +SKIP
        >>> comm.all_reduce(np.array([1.0, 2.0]))  # doctest: +SKIP
        array([1., 2.])
    """

    def __init__(
        self, comm: Any = None, *, abort_on_exception: bool = True, check_shapes: bool = True
    ) -> None:
        self.MPI = MPI = _import_mpi()
        self.comm = MPI.COMM_WORLD if comm is None else comm
        if not isinstance(self.comm, MPI.Comm):
            raise ArgumentError(
                check.message(_OP, "comm", "be an mpi4py communicator", comm=type(comm))
            )
        self.size = self.comm.Get_size()
        self.rank = self.comm.Get_rank()
        node = self.comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank = node.Get_rank()
        self.local_size = node.Get_size()
        node.Free()
        self.check_shapes = check.boolean(_OP, "check_shapes", check_shapes)
        self._comms: dict[str, Any] = {"world": self.comm}
        self._ranks: dict[str, list[int]] = {"world": list(range(self.size))}
        if check.boolean(_OP, "abort_on_exception", abort_on_exception) and self.size > 1:
            install_abort_hook(self.comm)

    # ------------------------------------------------------------------ groups (NNabla's API)
    @property
    def groups(self) -> tuple[str, ...]:  # type: ignore[override]
        """Names of the groups this rank belongs to."""
        return tuple(self._comms)

    def new_group(self, name: str, ranks: Any) -> str:
        """Create the group ``name`` of the world ranks ``ranks`` (every rank must call it).

        Returns:
            The name. Ranks outside the group do not get it in :attr:`groups`.

        Raises:
            ArgumentError: the name is taken, or ``ranks`` is empty, repeats or is out of range.
        """
        if not isinstance(name, str) or name in self._ranks:
            raise ArgumentError(
                check.message("new_group", "name", "be a new group name (a str)", name=name)
            )
        ranks_list = [int(r) for r in np.asarray(ranks, dtype=np.int64).reshape(-1)]
        if (
            not ranks_list
            or len(set(ranks_list)) != len(ranks_list)
            or any(not 0 <= r < self.size for r in ranks_list)
        ):
            raise ArgumentError(
                check.message(
                    "new_group",
                    "ranks",
                    f"be distinct ranks in [0, {self.size})",
                    ranks=ranks_list,
                )
            )
        mpi_group = self.comm.Get_group().Incl(ranks_list)
        sub = self.comm.Create(mpi_group)  # collective over the whole world
        mpi_group.Free()
        self._ranks[name] = ranks_list
        if sub != self.MPI.COMM_NULL:
            self._comms[name] = sub
        return name

    def list_groups(self) -> dict[str, list[int]]:
        """Every group this process knows, with its world ranks (as NNabla's communicator)."""
        return {k: list(v) for k, v in self._ranks.items()}

    def find_group(self, name: str) -> list[int]:
        """The world ranks of group ``name``."""
        if name not in self._ranks:
            raise ArgumentError(
                check.message("find_group", "name", f"be one of {sorted(self._ranks)}", name=name)
            )
        return list(self._ranks[name])

    # ------------------------------------------------------------------ collectives
    def _comm_of(self, op: str, group: str) -> Any:
        comm = self._comms.get(group) if isinstance(group, str) else None
        if comm is None:
            listed = ", ".join(repr(g) for g in self._comms)
            raise ArgumentError(check.message(op, "group", f"be one of {listed}", group=group))
        return comm

    def _check_same(self, op: str, comm: Any, array: np.ndarray) -> None:
        """Raise on every rank alike when the ranks' shapes or dtypes differ."""
        if array.ndim > _MAX_DIMS or array.dtype not in _CODE:
            raise ArgumentError(
                check.message(
                    op,
                    "array",
                    f"have at most {_MAX_DIMS} dims and a numeric dtype",
                    shape=array.shape,
                    dtype=array.dtype,
                )
            )
        meta = np.zeros(_MAX_DIMS + 2, np.int64)
        meta[0] = array.ndim
        meta[1] = _CODE[array.dtype]
        meta[2 : 2 + array.ndim] = array.shape
        every = np.empty((comm.Get_size(), meta.size), np.int64)
        comm.Allgather(meta, every)
        differs = np.nonzero((every != every[0]).any(axis=1))[0]
        if differs.size:
            r = int(differs[0])

            def shape_of(row: np.ndarray) -> tuple[int, ...]:
                return tuple(int(d) for d in row[2 : 2 + int(row[0])])

            raise ArgumentError(
                check.message(
                    op,
                    "array",
                    "have the same shape and dtype on every rank",
                    **{
                        "rank 0 shape": shape_of(every[0]),
                        "rank 0 dtype": np.dtype(_DTYPES[int(every[0, 1])]).name,
                        f"rank {r} shape": shape_of(every[r]),
                        f"rank {r} dtype": np.dtype(_DTYPES[int(every[r, 1])]).name,
                    },
                )
            )

    def _all_reduce(self, array: Any, group: str, out: Any = None) -> Any:
        comm = self._comm_of("all_reduce", group)
        send = _contiguous(array)
        if self.check_shapes:
            self._check_same("all_reduce", comm, send)
        if out is None:
            out = np.empty_like(send)
        elif (
            not isinstance(out, np.ndarray)
            or out.shape != send.shape
            or out.dtype != send.dtype
            or not out.flags.c_contiguous
            or not out.flags.writeable
        ):
            raise ArgumentError(
                check.message(
                    "all_reduce",
                    "out",
                    "be a writeable C-contiguous array of the shape and dtype of `array`",
                    out=type(out).__name__ if not isinstance(out, np.ndarray) else out.shape,
                    array=send.shape,
                )
            )
        comm.Allreduce(send, out, op=self.MPI.SUM)
        return out

    def all_reduce(self, array: Any, group: str = "world", out: Any = None) -> Any:
        """Element-wise sum of ``array`` over the ranks of ``group``.

        Args:
            array: A NumPy array of the same shape and dtype on every rank.
            group (str): The group. Default ``"world"``.
            out (numpy.ndarray, optional): A C-contiguous array of the same shape and dtype that
                receives the sum (and is returned); reusing one saves the allocation of a fresh
                result on every call, which dominates for buffers of a few MB.

        Returns:
            The sum (``out`` when given, else a new array), identical on every rank.

        Raises:
            ArgumentError: the group is unknown, ``out`` does not fit, or (with
                ``check_shapes``) the ranks passed different shapes or dtypes: every rank
                raises, naming the first rank that differs from rank 0 and both shapes.
        """
        self._comm_of("all_reduce", group)
        return self._all_reduce(np.asarray(array), group, out)

    def all_gather(self, array: Any, group: str = "world") -> list[np.ndarray]:
        """Every rank's ``array`` (same shape and dtype on each), as a list in rank order."""
        comm = self._comm_of("all_gather", group)
        send = _contiguous(np.asarray(array))
        if self.check_shapes:
            self._check_same("all_gather", comm, send)
        out = np.empty((comm.Get_size(), *send.shape), send.dtype)
        comm.Allgather(send, out)
        return list(out)

    def broadcast(self, array: Any, root: int = 0, group: str = "world") -> np.ndarray:
        """Rank ``root``'s ``array`` on every rank (a new array; each rank passes its own of the
        same shape and dtype)."""
        comm = self._comm_of("broadcast", group)
        root = check.integer("broadcast", "root", root, min_value=0)
        if root >= comm.Get_size():
            raise ArgumentError(
                check.message(
                    "broadcast", "root", f"be below the group size {comm.Get_size()}", root=root
                )
            )
        buf = np.array(array, copy=True, order="C")
        if self.check_shapes:
            self._check_same("broadcast", comm, buf)
        comm.Bcast(buf, root=root)
        return buf

    def barrier(self, group: str = "world") -> None:
        """Wait until every rank of ``group`` has reached the barrier."""
        self._comm_of("barrier", group).Barrier()

    def abort(self, code: int = 1) -> None:
        """Terminate every rank (``MPI_Abort``)."""
        self.comm.Abort(code)
