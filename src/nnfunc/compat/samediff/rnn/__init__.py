"""DL4J SameDiff `SDRNN` ops (`sd.rnn`) and their configuration and weights classes."""

from nnfunc.compat._parts import gather

__all__ = gather(__name__, __path__, globals())
