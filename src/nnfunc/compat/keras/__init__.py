"""Keras 3 dialect: ``keras.ops`` and ``keras.ops.nn`` (NumPy-backend semantics).

Usage::

    from nnfunc.compat import keras
    keras.ops.relu(x)
    keras.ops.nn.relu(x)
"""

from nnfunc.compat.keras import ops

__all__ = ["ops"]
