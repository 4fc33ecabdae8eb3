"""DL4J SameDiff dialect: ``sd.nn`` (SDNN) and ``sd.rnn`` (SDRNN).

Java overloads become optional arguments; the optional node name of the ``SDVariable`` forms is
the keyword ``name=``. Usage::

    from nnfunc.compat import samediff
    samediff.nn.relu(x, 0.0)
"""

from nnfunc.compat.samediff import nn, rnn

__all__ = ["nn", "rnn"]
