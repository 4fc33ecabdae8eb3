"""TensorFlow 1.x dialect: ``tf.nn`` plus the top-level ``tf.sigmoid`` and ``tf.tanh``.

Usage::

    from nnfunc.compat import tf
    tf.nn.relu(features)

The examples in the entries' docstrings assume these imports and ``import numpy as np``
(the doctests get them from the repository's ``conftest.py``).
"""

from nnfunc.compat.tf import nn
from nnfunc.compat.tf._sparse import SparseTensor, sparse_tensor_to_dense
from nnfunc.compat.tf._toplevel import *  # noqa: F403
from nnfunc.compat.tf._toplevel import __all__ as _top

__all__ = ["SparseTensor", "nn", "sparse_tensor_to_dense", *_top]
