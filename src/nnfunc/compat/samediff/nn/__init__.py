"""DL4J SameDiff `SDNN` ops (`sd.nn`): names, arguments and layouts as documented."""

from nnfunc.compat._parts import gather

__all__ = gather(__name__, __path__, globals())
