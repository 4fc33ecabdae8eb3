"""Argument validation helpers.

Every user-facing error message of nnfunc is built here, so that they share one form::

    <op>: `<arg>` must <requirement>; received <arg>=<value>.

Helpers take the operation name first, validate one argument, and return it normalised (an axis
made non-negative, an int expanded to a tuple...). They work on anything with ``.shape`` and
``.dtype`` (arrays and :class:`~nnfunc.core.spec.TensorSpec`), where a dimension may be ``None``
(unknown until a graph runs).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from nnfunc.errors import ArgumentError, DTypeError, NNFuncError, ShapeError

__all__ = [
    "axes",
    "axis",
    "boolean",
    "broadcast_shapes",
    "choice",
    "float_dtype",
    "fmt",
    "int_tuple",
    "integer",
    "message",
    "ndim",
    "ndim_at_least",
    "number",
    "numeric",
    "positive_int",
    "raise_error",
    "real_scalar",
    "same_dtype",
    "tensor",
]


def fmt(value: Any) -> str:
    """Format a received value the way every message shows it."""
    if isinstance(value, np.dtype):
        return str(value)
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, np.ndarray):
        if value.size <= 8:
            return repr(value.tolist())
        return f"array(shape={value.shape}, dtype={value.dtype})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(fmt(v) for v in value)
        if isinstance(value, tuple):
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return f"[{inner}]"
    if isinstance(value, np.generic):
        return repr(value.item())
    return repr(value)


def message(op: str, subject: str, requirement: str, **received: Any) -> str:
    """Build the uniform message.

    ``subject`` is the argument (rendered in backticks) or, when it contains a space, a phrase
    rendered as is (``"output size"``). Keyword arguments are the received values, in order.
    """
    head = f"`{subject}`" if subject and " " not in subject else subject
    parts = ", ".join(f"{k}={fmt(v)}" for k, v in received.items())
    text = f"{op}: {head} must {requirement}"
    return f"{text}; received {parts}." if parts else f"{text}."


def raise_error(
    cls: type[NNFuncError], op: str, subject: str, requirement: str, **received: Any
) -> None:
    """Raise ``cls`` with the uniform message (see :func:`message`)."""
    raise cls(message(op, subject, requirement, **received))


def _scalar(value: Any) -> Any:
    """A 0-d array as its Python scalar (``np.asarray(3)`` is an int where an int goes)."""
    return value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value


def _is_int(value: Any) -> bool:
    if type(value) is int:  # the common case, without the ABC isinstance (~1 us)
        return True
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    t = type(value)
    if t is float or t is int:  # the common cases, without the ABC isinstance
        return True
    return isinstance(value, (numbers.Real, np.number)) and not isinstance(value, (bool, complex))


def integer(op: str, arg: str, value: Any, min_value: int | None = None) -> int:
    """Check that ``value`` is an integer (not a bool), optionally ``>= min_value``."""
    if type(value) is int and (min_value is None or value >= min_value):
        return value
    value = _scalar(value)
    if not _is_int(value):
        raise ArgumentError(message(op, arg, "be an integer", **{arg: value}))
    value = int(value)
    if min_value is not None and value < min_value:
        req = "be positive" if min_value == 1 else f"be >= {min_value}"
        raise ArgumentError(message(op, arg, req, **{arg: value}))
    return value


def positive_int(op: str, arg: str, value: Any) -> int:
    """Check that ``value`` is an integer >= 1."""
    return integer(op, arg, value, min_value=1)


def real_scalar(
    op: str,
    arg: str,
    value: Any,
    *,
    finite: bool = True,
    min_value: float | None = None,
    max_value: float | None = None,
    open_min: bool = False,
    open_max: bool = False,
) -> float:
    """Check that ``value`` is a real number (finite unless ``finite=False``) within bounds."""
    t = type(value)
    if t is not float and t is not int:
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        if not _is_real(value):
            raise ArgumentError(message(op, arg, "be a real number", **{arg: value}))
    value = float(value)
    if finite and not math.isfinite(value):  # (a Python float: math's test, ~10x cheaper)
        raise ArgumentError(message(op, arg, "be finite", **{arg: value}))
    lo_bad = min_value is not None and (value <= min_value if open_min else value < min_value)
    hi_bad = max_value is not None and (value >= max_value if open_max else value > max_value)
    if lo_bad or hi_bad:
        lo = "-inf" if min_value is None else f"{min_value:g}"
        hi = "inf" if max_value is None else f"{max_value:g}"
        interval = f"{'(' if open_min or min_value is None else '['}{lo}, {hi}"
        interval += ")" if open_max or max_value is None else "]"
        raise ArgumentError(message(op, arg, f"be in {interval}", **{arg: value}))
    return value


def number(op: str, arg: str, value: Any) -> int | float:
    """A scalar operand: an int stays a Python int (exact for integer tensors), anything else
    must be a real number (infinite allowed) and becomes a float."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    return real_scalar(op, arg, value, finite=False)


def boolean(op: str, arg: str, value: Any) -> bool:
    """Check that ``value`` is a bool (NumPy bools accepted)."""
    if value is True or value is False:
        return value
    value = _scalar(value)
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentError(message(op, arg, "be a bool", **{arg: value}))
    return bool(value)


def choice(op: str, arg: str, value: Any, choices: Sequence[Any]) -> Any:
    """Check that ``value`` is one of ``choices``."""
    if not isinstance(value, (str, int, float, type(None))) or value not in choices:
        listed = ", ".join(fmt(c) for c in choices)
        raise ArgumentError(message(op, arg, f"be one of {listed}", **{arg: value}))
    return value


def int_tuple(
    op: str, arg: str, value: Any, n: int, min_value: int | None = None
) -> tuple[int, ...]:
    """Expand an int or a sequence of ``n`` ints to a tuple of ``n`` ints."""
    # The common case (a plain int, or a tuple of n plain ints, each in bounds) without
    # generator frames; anything else, or a bound broken, takes the checks below.
    lo = -(2**63) if min_value is None else max(min_value, -(2**63))
    if type(value) is int:
        if lo <= value < 2**63:
            return (value,) * n
    elif type(value) is tuple and len(value) == n:
        for v in value:
            if type(v) is not int or not lo <= v < 2**63:
                break
        else:
            return value
    value = _scalar(value)
    if _is_int(value):
        items = (int(value),) * n
    elif isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        items = tuple(value)
        if len(items) != n or not all(_is_int(v) for v in items):
            raise ArgumentError(
                message(op, arg, f"be an int or a sequence of {n} ints", **{arg: value})
            )
        items = tuple(int(v) for v in items)
    else:
        raise ArgumentError(
            message(op, arg, f"be an int or a sequence of {n} ints", **{arg: value})
        )
    if min_value is not None and any(v < min_value for v in items):
        req = "be positive" if min_value == 1 else f"be >= {min_value}"
        raise ArgumentError(message(op, arg, f"{req} in every dimension", **{arg: value}))
    if any(not -(2**63) <= v < 2**63 for v in items):  # sizes are int64 downstream
        raise ArgumentError(message(op, arg, "fit in int64 in every dimension", **{arg: value}))
    return items


def axis(op: str, arg: str, value: Any, ndim: int) -> int:
    """Normalise one axis into ``[0, ndim)``; out of range is a :class:`ShapeError`."""
    if type(value) is int and -ndim <= value < ndim:
        return value % ndim
    value = _scalar(value)
    if not _is_int(value):
        raise ArgumentError(message(op, arg, "be an integer", **{arg: value}))
    value = int(value)
    if not -ndim <= value < ndim:
        raise ShapeError(
            message(op, arg, f"be in [-{ndim}, {ndim}) for an input of rank {ndim}", **{arg: value})
        )
    return value % ndim


def axes(op: str, arg: str, value: Any, ndim: int) -> tuple[int, ...]:
    """Normalise ``None`` (all axes), an int or a sequence of ints to a sorted tuple of axes."""
    t = type(value)
    if t is int:
        if -ndim <= value < ndim:
            return (value % ndim,)
    elif t is tuple:  # plain ints in range and distinct: the checks below, without frames
        out = []
        for v in value:
            if type(v) is not int or not -ndim <= v < ndim:
                break
            out.append(v % ndim)
        else:
            if len(set(out)) == len(out):
                out.sort()
                return tuple(out)
    value = _scalar(value)
    if value is None:
        return tuple(range(ndim))
    if _is_int(value):
        return (axis(op, arg, value, ndim),)
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        items = tuple(value)
        if not all(_is_int(v) for v in items):
            raise ArgumentError(
                message(op, arg, "be None, an int or a sequence of ints", **{arg: value})
            )
        out = tuple(axis(op, arg, v, ndim) for v in items)
        if len(set(out)) != len(out):
            raise ArgumentError(message(op, arg, "not repeat an axis", **{arg: value}))
        return tuple(sorted(out))
    raise ArgumentError(message(op, arg, "be None, an int or a sequence of ints", **{arg: value}))


def numeric(op: str, arg: str, spec: Any) -> np.dtype:
    """Check that a tensor has a bool, integer or floating dtype (not complex, string, object...).

    The one dtype gate of the element-wise and reduction functions; returns the dtype.
    """
    dtype = np.dtype(spec.dtype)
    if dtype.kind not in "biuf":
        # the engine's input gate words it the same way: complex is numeric, but not real
        wanted = "have a real dtype" if dtype.kind == "c" else "have a numeric dtype"
        raise DTypeError(message(op, arg, wanted, **{f"{arg}.dtype": dtype}))
    return dtype


def float_dtype(op: str, arg: str, spec: Any) -> np.dtype:
    """Check that a tensor has a floating dtype."""
    dtype = np.dtype(spec.dtype)
    if dtype.kind != "f":
        raise DTypeError(message(op, arg, "have a floating dtype", **{f"{arg}.dtype": dtype}))
    return dtype


def same_dtype(op: str, names: Sequence[str], specs: Sequence[Any]) -> np.dtype:
    """Check that every tensor has the same dtype; return it."""
    dtypes = [np.dtype(s.dtype) for s in specs]
    if any(d != dtypes[0] for d in dtypes):
        subject = " and ".join(f"`{n}`" for n in names)
        received = {f"{n}.dtype": d for n, d in zip(names, dtypes, strict=True)}
        raise DTypeError(message(op, subject, "have the same dtype", **received))
    return dtypes[0]


def _shape_of(op: str, arg: str, spec: Any) -> tuple:
    # A value without a shape (None, a number, a list a composite did not convert) is not a
    # tensor here: the standard DTypeError rather than an AttributeError.
    shape = getattr(spec, "shape", None)
    if shape is None:
        raise not_a_tensor(op, arg, spec)
    return shape


def ndim(op: str, arg: str, spec: Any, expected: int | Sequence[int]) -> int:
    """Check a tensor's rank against one value or a set of allowed values."""
    n = len(_shape_of(op, arg, spec))
    allowed = (expected,) if isinstance(expected, int) else tuple(expected)
    if n not in allowed:
        want = str(allowed[0]) if len(allowed) == 1 else " or ".join(str(a) for a in allowed)
        raise ShapeError(
            message(op, arg, f"have rank {want}", **{f"{arg}.shape": tuple(spec.shape)})
        )
    return n


def ndim_at_least(op: str, arg: str, spec: Any, minimum: int) -> int:
    """Check that a tensor has rank ``>= minimum``."""
    n = len(_shape_of(op, arg, spec))
    if n < minimum:
        raise ShapeError(
            message(op, arg, f"have rank >= {minimum}", **{f"{arg}.shape": tuple(spec.shape)})
        )
    return n


def broadcast_shapes(
    op: str, names: Sequence[str], shapes: Sequence[Sequence[int | None]]
) -> tuple[int | None, ...]:
    """NumPy broadcasting of shapes whose dimensions may be ``None`` (unknown).

    An unknown dimension against 1 stays unknown; against a known size ``n > 1`` it becomes ``n``
    (the run-time feed check makes sure the fed size is ``n`` or 1... any other size fails then).
    """
    rank = max((len(s) for s in shapes), default=0)
    out: list[int | None] = []
    for i in range(rank):
        known: int | None = 1
        unknown = False
        for s in shapes:
            j = len(s) - rank + i
            if j < 0:
                continue
            d = s[j]
            if d is None:
                unknown = True
            elif d != 1:
                if known not in (1, d):
                    subject = " and ".join(f"`{n}`" for n in names)
                    received = {f"{n}.shape": tuple(s) for n, s in zip(names, shapes, strict=True)}
                    raise ShapeError(message(op, subject, "have broadcastable shapes", **received))
                known = d
        out.append(None if unknown and known == 1 else known)
    return tuple(out)


# dtype kinds a tensor input may have: bool, signed and unsigned integers, floats.
_TENSOR_KINDS = frozenset("biuf")
_NDARRAY = np.ndarray


def tensor_dtype(op: str, arg: str, value: Any, *, complex_ok: bool = False) -> None:
    """Raise the standard DTypeError when an array's dtype is not a tensor dtype: bool, integer
    or floating (complex only with ``complex_ok``). Messages: complex -> "must have a real
    dtype"; object, string, bytes, datetime -> "must have a numeric dtype"."""
    kind = value.dtype.kind
    if kind not in _TENSOR_KINDS and not (complex_ok and kind == "c"):
        # Complex is "not real"; object, string, bytes, datetime are "not numeric".
        want = "have a real dtype" if kind == "c" else "have a numeric dtype"
        raise DTypeError(message(op, arg, want, **{f"{arg}.dtype": value.dtype}))


def not_a_tensor(op: str, arg: str, value: Any) -> DTypeError:
    """The standard DTypeError for a value that is not a tensor at all (None, a string...)."""
    return DTypeError(message(op, arg, "be an array, a Variable or a number", **{arg: value}))


def tensor(op: str, arg: str, value: Any, *, complex_ok: bool = False) -> Any:
    """The input gate of wrappers and composites: call it before touching ``.shape``.

    Arrays, Variables and symbolic variables pass through (their dtype checked); anything
    ``numpy.asarray`` makes a numeric array of (lists, tuples, scalars) is converted; None,
    strings, dicts, object, string and (unless ``complex_ok``) complex arrays raise
    :class:`DTypeError` with the standard message.
    """
    if type(value) is _NDARRAY and value.dtype.kind in "biuf":  # the common case, first
        return value
    if value is None or isinstance(value, (str, bytes, dict)):
        raise not_a_tensor(op, arg, value)
    if not (isinstance(value, np.ndarray) or (hasattr(value, "dtype") and hasattr(value, "shape"))):
        try:
            value = np.asarray(value)
        except (ValueError, TypeError):  # ragged nested lists and the like
            raise not_a_tensor(op, arg, value) from None
    tensor_dtype(op, arg, value, complex_ok=complex_ok)
    return value
