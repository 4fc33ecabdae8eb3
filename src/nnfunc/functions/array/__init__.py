"""Array manipulation (catalog family 22) and the shape primitives of the engine."""

from nnfunc.functions.array._getitem import getitem
from nnfunc.functions.array._join import concatenate, split, stack
from nnfunc.functions.array._nd import gather_nd, scatter_nd
from nnfunc.functions.array._shape_ops import (
    broadcast_to,
    cast,
    expand_dims,
    reshape,
    squeeze,
    transpose,
)
from nnfunc.functions.array._slice_pad_tile import assign, broadcast, flip, pad, shift, slice, tile
from nnfunc.functions.array._sort import sort, top_k_data

__all__ = [
    "assign",
    "broadcast",
    "broadcast_to",
    "cast",
    "concatenate",
    "expand_dims",
    "flip",
    "gather_nd",
    "getitem",
    "pad",
    "reshape",
    "scatter_nd",
    "shift",
    "slice",
    "sort",
    "split",
    "squeeze",
    "stack",
    "tile",
    "top_k_data",
    "transpose",
]
