"""DL4J SameDiff dialect: ``sd.nn`` (SDNN) and ``sd.rnn`` (SDRNN).

Java overloads become optional arguments; the optional node name of the ``SDVariable`` forms is
the keyword ``name=``. Usage::

    from nnfunc.compat import samediff
    samediff.nn.relu(x, 0.0)

The examples in the entries' docstrings assume these imports and ``import numpy as np``
(the doctests get them from the repository's ``conftest.py``).
"""

from nnfunc.compat.samediff import nn, rnn

__all__ = ["nn", "rnn"]
