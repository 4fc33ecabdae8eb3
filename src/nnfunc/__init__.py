"""nnfunc: neural-network functions on NumPy arrays, with reverse-mode autodiff of any order.

Every function works on arrays (arrays out), on :class:`Variable` (eager, with gradients) and
on symbolic variables of a :class:`Graph` (named nodes, run later). Dialects matching the seed
systems live in :mod:`nnfunc.compat` (``tf``, ``keras``, ``nnabla``, ``samediff``).
"""

import contextlib as _contextlib

from nnfunc import errors, random
from nnfunc.core import (
    Function,
    Graph,
    SymbolicVariable,
    TensorSpec,
    Variable,
    enable_grad,
    grad,
    is_grad_enabled,
    load_graph,
    no_grad,
)
from nnfunc.errors import (
    ArgumentError,
    DTypeError,
    GraphError,
    NNFuncError,
    ShapeError,
    UnsupportedError,
)
from nnfunc.functions import *  # noqa: F403
from nnfunc.functions import __all__ as _function_names
from nnfunc.kernels.cpu import blas as _blas

__version__ = "0.1.0"

__all__ = [
    "ArgumentError",
    "DTypeError",
    "Function",
    "Graph",
    "GraphError",
    "NNFuncError",
    "ShapeError",
    "SymbolicVariable",
    "TensorSpec",
    "UnsupportedError",
    "Variable",
    "enable_grad",
    "errors",
    "grad",
    "is_grad_enabled",
    "load_graph",
    "no_grad",
    "random",
    *_function_names,
]


# OpenBLAS's idle threads would take a core for ~0.1 s after every large GEMM, away from
# nnfunc's kernel threads (kernels/cpu/blas.py shorten_idle_spin); never fail the import.
with _contextlib.suppress(Exception):
    _blas.shorten_idle_spin()
