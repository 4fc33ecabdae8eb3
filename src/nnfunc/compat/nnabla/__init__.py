"""NNabla dialect: ``nnabla.functions``.

Usage::

    import nnfunc.compat.nnabla.functions as F
    F.add2(x0, x1)
"""

from nnfunc.compat.nnabla import functions

__all__ = ["functions"]
