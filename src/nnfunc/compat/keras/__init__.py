"""Keras 3 dialect: ``keras.ops`` and ``keras.ops.nn`` (NumPy-backend semantics).

Usage::

    from nnfunc.compat import keras
    keras.ops.relu(x)
    keras.ops.nn.relu(x)

The examples in the entries' docstrings assume these imports and ``import numpy as np``
(the doctests get them from the repository's ``conftest.py``).
"""

from nnfunc.compat.keras import ops

__all__ = ["ops"]
