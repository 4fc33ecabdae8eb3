"""NNabla's ``outputs=`` argument: results written into arrays the caller gives.

In NNabla's imperative mode ``F.relu(x, outputs=[y])`` computes into ``y``. Every
``nnabla.functions`` entry that has the argument is decorated with :func:`outputs_in_place`,
which runs the entry, then (when ``outputs`` is given) copies each result into the matching
array and returns those arrays.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfunc.compat._common import same_as
from nnfunc.core import check
from nnfunc.core.variable import Variable
from nnfunc.errors import ArgumentError, DTypeError, ShapeError

__all__ = ["canonical_entry", "outputs_in_place", "write_outputs"]

# The two trailing arguments of every NNabla entry (the package note documents them).
_TRAILING = (
    inspect.Parameter(
        "n_outputs", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=1, annotation="int"
    ),
    inspect.Parameter(
        "outputs", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation="Any"
    ),
)


def write_outputs(op: str, result: Any, outputs: Any) -> Any:
    """Copy ``result`` (one output or a tuple) into ``outputs`` (an array or a sequence of
    them, one per output) and return them (the array itself when there is one output).

    Raises:
        ArgumentError: not one NumPy array per output, a read-only array, or the results are
            Variables or symbolic (``outputs`` is for array inputs).
        ShapeError: an array's shape is not its output's.
        DTypeError: a result cannot be cast to its array's dtype (``same_kind``).
    """
    results = result if isinstance(result, tuple) else (result,)
    dest = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    if len(dest) != len(results):
        raise ArgumentError(
            check.message(
                op, "outputs", f"hold one array per output ({len(results)})", outputs=outputs
            )
        )
    for i, (o, r) in enumerate(zip(dest, results, strict=True)):
        if isinstance(r, Variable) or getattr(r, "_is_symbolic", False):
            raise ArgumentError(
                check.message(
                    op,
                    "outputs",
                    "be None when the inputs are Variables or symbolic (it takes arrays, "
                    "for array inputs)",
                    **{f"type(outputs[{i}])": type(o).__name__},
                )
            )
        if type(o) is not np.ndarray:
            raise ArgumentError(
                check.message(
                    op,
                    "outputs",
                    "be NumPy arrays, one per output",
                    **{f"type(outputs[{i}])": type(o).__name__},
                )
            )
        r = np.asarray(r)
        if o.shape != r.shape:
            raise ShapeError(
                check.message(
                    op,
                    "outputs",
                    "have the shape of each output",
                    **{f"outputs[{i}].shape": o.shape, f"output[{i}].shape": r.shape},
                )
            )
        if not np.can_cast(r.dtype, o.dtype, "same_kind"):
            raise DTypeError(
                check.message(
                    op,
                    "outputs",
                    "have dtypes the outputs cast to (same kind)",
                    **{f"outputs[{i}].dtype": o.dtype, f"output[{i}].dtype": r.dtype},
                )
            )
        if not o.flags.writeable:
            raise ArgumentError(
                check.message(op, "outputs", "be writeable arrays", **{f"outputs[{i}]": o})
            )
        np.copyto(o, r, casting="same_kind")
    return dest[0] if len(dest) == 1 else tuple(dest)


def outputs_in_place(entry: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``entry`` honour its ``outputs`` argument (positional or keyword, or in ``**kw``)."""
    params = inspect.signature(entry).parameters
    p = params.get("outputs")
    pos = (
        list(params).index("outputs")
        if p is not None and p.kind is p.POSITIONAL_OR_KEYWORD
        else None
    )
    op = entry.__name__

    @functools.wraps(entry)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outputs = args[pos] if pos is not None and len(args) > pos else kwargs.get("outputs")
        result = entry(*args, **kwargs)
        return result if outputs is None else write_outputs(op, result, outputs)

    return wrapper


def canonical_entry(
    canonical: Callable[..., Any],
    doc: str,
    *,
    module: str | None = None,
    tensors: tuple[str, ...] | None = None,
    defaults: dict[str, Any] | None = None,
    op: str | None = None,
) -> Callable[..., Any]:
    """An NNabla entry that is ``canonical`` with NNabla's trailing ``n_outputs=1,
    outputs=None`` (``outputs`` honoured: :func:`outputs_in_place`) and every argument but
    ``name`` positional; see :func:`nnfunc.compat._common.same_as` for the others."""
    entry = same_as(
        canonical,
        doc,
        module=module or sys._getframe(1).f_globals["__name__"],
        tensors=tensors,
        extra=_TRAILING,
        positional=True,
        defaults=defaults,
        op=op,
    )
    return outputs_in_place(entry)
