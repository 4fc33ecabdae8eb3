"""The exception classes of nnfunc.

Every error a user can provoke with a documented misuse is one of these classes; the messages are
built by :mod:`nnfunc.core.check` so they share one form:
``<op>: `<arg>` must <requirement>; received <arg>=<value>.``
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "DTypeError",
    "GraphError",
    "NNFuncError",
    "ShapeError",
    "UnsupportedError",
]


class NNFuncError(Exception):
    """Base class of every error raised by nnfunc for invalid use."""


class ArgumentError(NNFuncError, ValueError):
    """A non-tensor argument is invalid (a slope, a stride, a padding string, an axis)."""


class ShapeError(NNFuncError, ValueError):
    """Tensor ranks or shapes are incompatible, or an output would be empty."""


class DTypeError(NNFuncError, TypeError):
    """A tensor has the wrong dtype, or dtypes that must agree do not."""


class UnsupportedError(NNFuncError, NotImplementedError):
    """Documented by a seed system but not available here (a layout, a mode, a device)."""


class GraphError(NNFuncError):
    """Misuse of graph mode or of the tape: duplicate names, missing feeds, mixed graphs."""
