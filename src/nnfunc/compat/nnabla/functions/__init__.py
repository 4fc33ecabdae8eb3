"""NNabla `nnabla.functions` (NNabla 1.39): names, arguments, defaults and layouts as documented.

NNabla's two trailing arguments, the same for every entry (and not repeated in each docstring):

* ``n_outputs``: NNabla's count of outputs. Each function's is fixed by the function, so the
  value is accepted and ignored.
* ``outputs``: NNabla's imperative-mode destination. Arrays given there (an array, or a list
  with one array per output, each of its output's shape and of a dtype the result casts to
  within its kind) receive the results in place and are returned, as NNabla does. It takes
  arrays for array inputs: with Variables or symbolic inputs it must be None (ArgumentError).

Examples assume ``import numpy as np`` and ``import nnfunc.compat.nnabla.functions as F``, as
NNabla's own examples do.
"""

from nnfunc.compat._parts import gather

__all__ = gather(__name__, __path__, globals())
