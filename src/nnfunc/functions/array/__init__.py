"""Array manipulation (catalog family 22) and the shape primitives of the engine."""

from nnfunc.functions.array._getitem import getitem
from nnfunc.functions.array._shape_ops import (
    broadcast_to,
    cast,
    expand_dims,
    reshape,
    squeeze,
    transpose,
)

__all__ = ["broadcast_to", "cast", "expand_dims", "getitem", "reshape", "squeeze", "transpose"]
