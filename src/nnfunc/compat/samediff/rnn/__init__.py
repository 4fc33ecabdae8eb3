"""DL4J SameDiff `SDRNN` ops (`sd.rnn`) and their configuration and weights classes."""

from . import _core, _rnn
from ._core import *  # noqa: F403
from ._rnn import *  # noqa: F403

__all__ = sorted(
    {
        n
        for m in (
            _core,
            _rnn,
        )
        for n in m.__all__
    }
)
