"""Keras 3 `keras.ops.nn`: names, arguments, defaults and layouts as documented."""

from nnfunc.compat._parts import gather

__all__ = gather(__name__, __path__, globals())
