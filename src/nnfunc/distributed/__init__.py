"""Communicators for functions that combine values across processes (synchronized batch norm).

A communicator has a :attr:`~Communicator.size` (number of replicas), a
:attr:`~Communicator.rank` (this replica, ``0 <= rank < size``) and
:meth:`~Communicator.all_reduce` (element-wise sum over every replica, the same result on each).
This package holds the interface, a single-process communicator and an in-process group that
simulates ``N`` replicas on threads (for tests and experiments), and :class:`MPICommunicator`
over ``mpi4py`` for real processes on one or many hosts (``pip install 'nnfunc[mpi]'``). The
data-parallel helpers (:func:`broadcast_parameters`, :func:`all_reduce_gradients`,
:func:`shard`) work with any of them.

:func:`all_reduce` is the differentiable all-reduce used by
:func:`nnfunc.sync_batch_normalization`: its gradient is the all-reduce of the gradients.
"""

from nnfunc.distributed._comm import (
    Communicator,
    InProcessGroup,
    SingleProcessCommunicator,
    all_reduce,
    check_communicator,
    run_replicas,
)
from nnfunc.distributed._data_parallel import (
    all_reduce_gradients,
    broadcast_parameters,
    shard,
)
from nnfunc.distributed._mpi import MPICommunicator

__all__ = [
    "Communicator",
    "InProcessGroup",
    "MPICommunicator",
    "SingleProcessCommunicator",
    "all_reduce",
    "all_reduce_gradients",
    "broadcast_parameters",
    "check_communicator",
    "run_replicas",
    "shard",
]
