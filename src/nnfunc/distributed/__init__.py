"""Communicators for functions that combine values across processes (synchronized batch norm).

A communicator has a :attr:`~Communicator.size` (number of replicas), a
:attr:`~Communicator.rank` (this replica, ``0 <= rank < size``) and
:meth:`~Communicator.all_reduce` (element-wise sum over every replica, the same result on each).
This package holds the interface, a single-process communicator and an in-process group that
simulates ``N`` replicas on threads (for tests and experiments); a communicator over an existing
distributed engine can implement the same three members.

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

__all__ = [
    "Communicator",
    "InProcessGroup",
    "SingleProcessCommunicator",
    "all_reduce",
    "check_communicator",
    "run_replicas",
]
