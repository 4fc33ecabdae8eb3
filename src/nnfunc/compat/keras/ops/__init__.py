"""``keras.ops``: every ``keras.ops.nn`` function is also available here, as in Keras."""

from nnfunc.compat.keras.ops import nn
from nnfunc.compat.keras.ops.nn import *  # noqa: F403
from nnfunc.compat.keras.ops.nn import __all__ as _nn_names

__all__ = ["nn", *_nn_names]
