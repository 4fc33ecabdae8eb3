"""Helpers shared by the loss and validation families and their dialect entries (private).

Shape checks that accept unknown (``None``) dimensions, class-index validation with the position
of the first bad label, the take/put-along-axis pair used to pick the target class, the stable
softmax shift, and a few element-wise helpers for the composite losses.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core.backend import get_array_module
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError

__all__ = [
    "PutAlongAxis",
    "TakeAlongAxis",
    "as_tensor",
    "check_labels",
    "clip",
    "label_dtype",
    "label_layout",
    "require_shape",
    "same_shape",
    "shapes_match",
    "shifted_logits",
    "to_dtype",
]


def as_tensor(x: Any) -> Any:
    """``x`` itself when it has a shape and dtype (array, Variable, symbolic), else an array."""
    if isinstance(x, np.generic):
        # A NumPy scalar would be taken for a Python number (and take its partners' dtype).
        return np.asarray(x)
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return x
    arr = np.asarray(x)
    if arr.dtype == object:
        raise DTypeError(f"nnfunc: inputs must be arrays, Variables or numbers; received {x!r}.")
    return arr


def same_shape(op: str, names: tuple[str, str], a: Any, b: Any) -> tuple[int | None, ...]:
    """Check that two tensors have the same shape (unknown dims match anything)."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    ok = len(sa) == len(sb) and all(p is None or q is None or p == q for p, q in zip(sa, sb))
    if not ok:
        subject = f"`{names[0]}` and `{names[1]}`"
        raise ShapeError(
            check.message(
                op,
                subject,
                "have the same shape",
                **{f"{names[0]}.shape": sa, f"{names[1]}.shape": sb},
            )
        )
    return tuple(q if p is None else p for p, q in zip(sa, sb))


@shapes.register_check("labels.same_shape")
def _same_shape_at_run(a: Any, b: Any, *, op: str, names: tuple[str, str]) -> None:
    same_shape(op, tuple(names), a, b)


def same_shape_now_and_at_run(op: str, names: tuple[str, str], a: Any, b: Any) -> tuple[Any, Any]:
    """:func:`same_shape`, and again when a graph runs where a size is unknown now (a composite
    has no node of its own that would repeat it): returns ``a, b`` to use from here on."""
    same_shape(op, names, a, b)
    return shapes.recheck(op, "labels.same_shape", (a, b), op=op, names=names)


def shapes_match(shape: tuple, want: tuple) -> bool:
    """Equal ranks and sizes, an unknown (``None``) size matching any."""
    return len(shape) == len(want) and all(
        p is None or q is None or p == q for p, q in zip(shape, want)
    )


def require_shape(
    op: str, arg: str, got: tuple, want: tuple, requirement: str, received: dict[str, Any]
) -> None:
    """Raise the ShapeError ``<op>: `<arg>` must <requirement>; received ...`` (``received``:
    the message's values) unless ``got`` matches ``want`` (:func:`shapes_match`)."""
    if not shapes_match(got, want):
        raise ShapeError(check.message(op, arg, requirement, **received))


def label_dtype(op: str, labels: Any, label_name: str = "labels") -> None:
    """Raise a DTypeError unless the class-index labels have an integer dtype."""
    if np.dtype(labels.dtype).kind not in "iu":
        raise DTypeError(
            check.message(
                op,
                label_name,
                "have an integer dtype",
                **{f"{label_name}.dtype": np.dtype(labels.dtype)},
            )
        )


def label_layout(
    op: str, x: Any, labels: Any, ax: int, x_name: str = "x", label_name: str = "labels"
) -> bool:
    """Check integer class-index labels against predictions ``x`` with classes on axis ``ax``.

    ``labels`` has the shape of ``x`` without the class axis, or the shape of ``x`` with the
    class axis of size 1. Returns True for the second (keepdims) layout.
    """
    label_dtype(op, labels, label_name)
    xs, ls = tuple(x.shape), tuple(labels.shape)
    if shapes_match(ls, xs[:ax] + xs[ax + 1 :]):
        return False
    if shapes_match(ls, xs[:ax] + (1,) + xs[ax + 1 :]):
        return True
    raise ShapeError(
        check.message(
            op,
            label_name,
            f"have the shape of `{x_name}` without the class axis {ax} (or with it of size 1)",
            **{f"{label_name}.shape": ls, f"{x_name}.shape": xs},
        )
    )


@shapes.register_check("labels.layout")
def _layout_at_run(x: Any, labels: Any, *, op: str, ax: int, names: tuple[str, str]) -> None:
    label_layout(op, x, labels, ax, *names)


def label_layout_now_and_at_run(
    op: str, x: Any, labels: Any, ax: int, x_name: str = "x", label_name: str = "labels"
) -> tuple[bool, Any, Any]:
    """:func:`label_layout`, and again when a graph runs where a size is unknown now (for the
    composites, which have no node of their own): returns ``kept, x, labels``."""
    kept = label_layout(op, x, labels, ax, x_name, label_name)
    x, labels = shapes.recheck(
        op, "labels.layout", (x, labels), op=op, ax=ax, names=(x_name, label_name)
    )
    return kept, x, labels


def check_labels(op: str, labels: Any, num_classes: int | None, name: str = "labels") -> None:
    """Raise if a concrete label array holds an index outside ``[0, num_classes)``.

    Names the first bad value (in C order) and its position. Specs (graph construction) and
    unknown class counts are skipped: the check runs again with the values when the graph runs.
    """
    if isinstance(labels, TensorSpec) or num_classes is None or labels.size == 0:
        return
    if getattr(labels, "_is_symbolic", False):
        return
    # The array module's own argwhere (no host conversion), so CuPy labels get this same error.
    xp = get_array_module(labels)
    bad = (labels < 0) | (labels >= num_classes)
    if not bool(bad.any()):
        return
    pos = tuple(int(i) for i in xp.argwhere(bad)[0].tolist())
    value = int(labels[pos])
    where = f"{name}[{', '.join(str(i) for i in pos)}]" if pos else name
    raise ArgumentError(
        check.message(op, name, f"hold class indices in [0, {num_classes})", **{where: value})
    )


def shifted_logits(xp: Any, x: Any, ax: int) -> Any:
    """``x - max(x)`` along ``ax`` (a new array), taking the limit for infinite logits.

    A slice whose maximum is ``+inf`` puts all its mass on its ``+inf`` entries (0 there,
    ``-inf`` elsewhere), the limit of the softmax; a slice of ``-inf`` only stays ``-inf``.
    """
    if x.size == 0:
        return x.copy()
    m = x.max(axis=ax, keepdims=True)
    finite = xp.isfinite(m)
    if bool(finite.all()):
        return x - m
    z = x - xp.where(finite, m, 0)
    posinf = m == xp.inf
    return xp.where(posinf, xp.where(x == xp.inf, 0, -xp.inf).astype(x.dtype), z)


class TakeAlongAxis(Function):
    """``x`` at class indices along ``axis``.

    ``indices`` has size 1 on ``axis``, or lacks that axis when ``expand`` (it is inserted).
    With ``check_op``, the indices are validated against the class count (concrete values only,
    so in eager mode and when a graph runs) and errors carry that op's name.
    """

    op_name = "take_along_axis"
    input_names = ("x", "indices")
    retain_in = (1,)

    def __init__(
        self,
        axis: int,
        expand: bool = False,
        check_op: str | None = None,
        label_name: str = "labels",
    ) -> None:
        self.axis = axis
        self.expand = expand
        self.label_name = label_name
        if check_op is not None:
            self.op_name = check_op
        self.check_op = check_op

    def setup(self, x: Any, idx: Any) -> tuple[TensorSpec, ...]:
        if self.check_op is not None:
            check_labels(self.check_op, idx, x.shape[self.axis], self.label_name)
        shape = tuple(idx.shape)
        if self.expand:
            shape = shape[: self.axis] + (1,) + shape[self.axis :]
        if len(shape) == len(x.shape):
            # Outside the axis, NumPy broadcasts the two: sizes unknown when a graph was built
            # (where the callers' checks could not compare them) are checked here when it runs.
            ax = self.axis % len(shape)
            out = list(shape)
            for i, (d, e) in enumerate(zip(x.shape, shape, strict=True)):
                if i == ax or d is None or e is None or d == e:
                    continue
                if e != 1 and d != 1:
                    raise ShapeError(
                        check.message(
                            self.op_name,
                            self.label_name,
                            f"have the shape of `x` outside axis {ax}",
                            **{f"{self.label_name}.shape": tuple(idx.shape)},
                            **{"x.shape": tuple(x.shape)},
                        )
                    )
                out[i] = d if e == 1 else e
            shape = tuple(out)
        return (TensorSpec(shape, np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any, idx: Any) -> tuple[Any, ...]:
        idx = idx.astype(np.intp, copy=False)
        if self.expand:
            idx = xp.expand_dims(idx, self.axis)
        return (xp.take_along_axis(x, idx, axis=self.axis),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (idx,) = self.retained_inputs()
        g = put_along_axis(grad_outputs[0], idx, self.axis, self._shape_target(0), self.expand)
        return (g, None)


class PutAlongAxis(Function):
    """Zeros with ``g`` written at class indices along ``axis`` (TakeAlongAxis's gradient)."""

    op_name = "put_along_axis"
    input_names = ("g", "indices", "ref")
    retain_in = (1,)

    def __init__(self, axis: int, shape: Any, expand: bool = False) -> None:
        self.axis = axis
        self.shape = shape
        self.expand = expand

    def setup(self, g: Any, idx: Any, ref: Any = None) -> tuple[TensorSpec, ...]:
        shape = tuple(ref.shape) if ref is not None else self.shape
        return (TensorSpec(shape, np.dtype(g.dtype)),)

    def forward(self, xp: Any, g: Any, idx: Any, ref: Any = None) -> tuple[Any, ...]:
        shape = ref.shape if ref is not None else self.shape
        out = xp.zeros(shape, dtype=g.dtype)
        idx = idx.astype(np.intp, copy=False)
        if self.expand:
            idx = xp.expand_dims(idx, self.axis)
        xp.put_along_axis(out, idx, g, axis=self.axis)
        return (out,)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (idx,) = self.retained_inputs()
        return (TakeAlongAxis(self.axis, self.expand).apply1(grad_outputs[0], idx), None, None)


def put_along_axis(g: Any, idx: Any, axis: int, target: Any, expand: bool = False) -> Any:
    """:class:`PutAlongAxis` into a shape (tuple) or the shape of a symbolic reference."""
    if isinstance(target, tuple):
        return PutAlongAxis(axis, target, expand).apply1(g, idx)
    return PutAlongAxis(axis, None, expand).apply1(g, idx, target)


def to_dtype(x: Any, dtype: np.dtype) -> Any:
    """Cast ``x`` to ``dtype`` only when it differs (differentiable between float dtypes)."""

    return x if np.dtype(x.dtype) == dtype else F.cast(x, dtype)


def clip(x: Any, lo: float | None, hi: float | None) -> Any:
    """``x`` limited to ``[lo, hi]``; gradient 1 inside (bounds included), 0 outside."""

    if lo is not None:
        x = F.where(F.less(x, lo), lo, x)
    if hi is not None:
        x = F.where(F.greater(x, hi), hi, x)
    return x
