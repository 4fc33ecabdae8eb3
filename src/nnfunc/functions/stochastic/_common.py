"""Pieces the random functions share: argument checks, graph emission of input-less samplers,
and the flat gather / scatter-add pair through which crop, flip, shift and random_choice pass
gradients back to the positions they read.

A random function that must pass a gradient is split in two nodes (as dropout is): a node that
draws (an index map or a mask, no gradient) and a deterministic node that applies it. The
gradient then reads exactly what the forward drew, in eager mode and on every graph run.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function, node_errors
from nnfunc.core.graph import Graph
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError

__all__ = [
    "MAX_ELEMENTS",
    "Gather",
    "ScatterAdd",
    "as_tensor",
    "emit",
    "graph_node_errors",
    "n_samples",
    "sample_shape",
    "sample_split",
]

#: Largest number of elements a sampler may be asked for (rejected before allocating).
MAX_ELEMENTS = 2**28


def sample_shape(op: str, shape: Any) -> tuple[int, ...]:
    """``shape`` (an int, a sequence of non-negative ints, ``[]`` for a 0-d result) as a tuple."""
    dims = (
        (shape,) if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool) else shape
    )

    def bad() -> ArgumentError:
        return ArgumentError(
            check.message(op, "shape", "be a sequence of non-negative ints", shape=shape)
        )

    if isinstance(dims, (str, bytes, dict)) or not isinstance(dims, (Sequence, np.ndarray)):
        raise bad()
    if isinstance(dims, np.ndarray) and dims.ndim != 1:
        raise bad()
    items = list(dims)
    if not all(
        isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_)) for d in items
    ):
        raise bad()
    out = tuple(int(d) for d in items)
    if any(d < 0 for d in out):
        raise bad()
    if math.prod(out) > MAX_ELEMENTS:
        raise ArgumentError(
            check.message(op, "shape", f"hold at most 2**28 = {MAX_ELEMENTS} elements", shape=out)
        )
    return out


def emit(fn: Function, name: str | None) -> Any:
    """Run an input-less sampler: an array, or inside ``with Graph():`` a node of that graph
    that draws at every run. The node reads an empty constant (the engine places a node in a
    graph through its inputs)."""
    graph = Graph.current()
    if graph is None:
        return fn.apply1(np.empty(0, np.float32))
    return fn.apply1(graph.constant(np.empty(0, np.float32)), name=name)


# Stands for the node an input-less sampler becomes inside ``with Graph():`` (it has no tensor
# argument that ``node_errors`` could recognise as symbolic).
_GRAPH_NODE = SimpleNamespace(_is_symbolic=True)


def graph_node_errors(sampler: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate an input-less sampler: inside ``with Graph():`` it is a node (see ``emit``), so
    the errors of its argument checks name that node, as ``setup`` errors do."""

    @functools.wraps(sampler)
    def call(*args: Any, name: str | None = None, **kwargs: Any) -> Any:
        if name is None or Graph.current() is None:
            return sampler(*args, name=name, **kwargs)
        with node_errors(name, _GRAPH_NODE):
            return sampler(*args, name=name, **kwargs)

    return call


def as_tensor(op: str, arg: str, value: Any) -> Any:
    """``value`` as something with ``.shape`` and a real ``.dtype`` (Variables and graph nodes
    as they are; lists and numbers through ``numpy.asarray``); else a DTypeError."""

    def bad() -> DTypeError:  # the message formats the value: only build it on failure
        return DTypeError(
            check.message(op, arg, "be a real array, Variable or graph node", **{arg: value})
        )

    if value is None or isinstance(value, (str, bytes, dict)):
        raise bad()
    if not (hasattr(value, "shape") and hasattr(value, "dtype")):
        try:
            value = np.asarray(value)
        except (TypeError, ValueError):
            raise bad() from None
    if np.dtype(value.dtype).kind not in "biuf":
        raise DTypeError(
            check.message(op, arg, "have a real dtype", **{f"{arg}.dtype": np.dtype(value.dtype)})
        )
    return value


def sample_split(op: str, spec: Any, base_axis: Any, min_rest: int = 0) -> tuple[int, int]:
    """Check ``base_axis`` against a tensor: dims before it are samples. Returns
    ``(base_axis, ndim)``; at least ``min_rest`` dims must follow the sample dims."""
    ndim = len(spec.shape)
    b = check.integer(op, "base_axis", base_axis)
    if not 0 <= b <= ndim - min_rest:
        raise ShapeError(
            check.message(
                op,
                "base_axis",
                f"be in [0, {ndim - min_rest}] for an input of rank {ndim}",
                base_axis=b,
            )
        )
    return b, ndim


def n_samples(shape: Sequence[int], base_axis: int) -> int:
    """Number of samples (product of the dims before ``base_axis``)."""
    return int(math.prod(shape[:base_axis]))


class Gather(Function):
    """``y = x.ravel()[index]`` (plus an optional ``w`` that receives the same gradient as ``x``,
    random_choice's straight-through weight gradient). The gradient scatter-adds ``gy`` back."""

    input_names = ("x", "index", "w")

    def __init__(self, op: str) -> None:
        self.op_name = op

    def setup(self, x: Any, index: Any, w: Any = None) -> tuple[TensorSpec, ...]:
        if isinstance(index, np.ndarray) and index.size and None not in x.shape:
            # the draws index the weights: x must be as large (a graph checks it only here,
            # when it runs, since its sizes may be unknown when it is built)
            drawn = int(index.max()) + 1
            if drawn > math.prod(x.shape):
                raise ShapeError(
                    check.message(
                        self.op_name,
                        "x",
                        f"have the shape of `w` (the draws index {drawn} elements)",
                        **{"x.shape": tuple(x.shape)},
                    )
                )
        if w is None:
            self.retain_inputs(0, 1)
        else:
            self.retain_inputs(0, 1, 2)
        return (TensorSpec(tuple(index.shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any, index: Any, w: Any = None) -> tuple[Any, ...]:
        return (x.reshape(-1)[index],)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, index, *rest = self.retained_inputs()
        w = rest[0] if rest else None
        (gy,) = grad_outputs
        gx = ScatterAdd(self.op_name).apply1(gy, index, x) if 0 in target_indexes else None
        gw = (
            ScatterAdd(self.op_name).apply1(gy, index, w)
            if w is not None and 2 in target_indexes
            else None
        )
        return (gx, None, gw)


class ScatterAdd(Function):
    """``z = zeros_like(like); z.ravel()[index] += g`` (the adjoint of :class:`Gather`)."""

    input_names = ("g", "index", "like")
    retain_in = (1,)

    def __init__(self, op: str) -> None:
        self.op_name = op

    def setup(self, g: Any, index: Any, like: Any) -> tuple[TensorSpec, ...]:
        self.out_dtype = real_dtype(like.dtype)
        return (TensorSpec(tuple(like.shape), self.out_dtype),)

    def forward(self, xp: Any, g: Any, index: Any, like: Any) -> tuple[Any, ...]:
        size = int(math.prod(like.shape))
        flat = xp.bincount(index.reshape(-1), weights=g.reshape(-1), minlength=size)
        return (flat.astype(self.out_dtype, copy=False).reshape(like.shape),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (index,) = self.retained_inputs()
        return (Gather(self.op_name).apply1(grad_outputs[0], index), None, None)
