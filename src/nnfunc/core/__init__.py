"""The nnfunc engine: specs, Functions, Variables, the tape and graphs."""

from nnfunc.core.autograd import backward, enable_grad, grad, is_grad_enabled, no_grad
from nnfunc.core.function import Function
from nnfunc.core.graph import Graph, SymbolicVariable
from nnfunc.core.serialize import load_graph
from nnfunc.core.spec import TensorSpec
from nnfunc.core.variable import Variable

__all__ = [
    "Function",
    "Graph",
    "SymbolicVariable",
    "TensorSpec",
    "Variable",
    "backward",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "load_graph",
    "no_grad",
]
