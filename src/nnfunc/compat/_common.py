"""What the dialect entries share with the canonical families, in one place.

The dialects validate some arguments before they call a canonical function (so the error names
the dialect's own arguments). The checks that the loss family defines are re-exported here:
the dialect parts import them from this module only, so that the canonical side can move them
without touching any part.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfunc.compat._docs import shares_args
from nnfunc.core import check
from nnfunc.functions.loss._common import as_tensor, label_layout, same_shape

__all__ = [
    "as_tensor",
    "keras_tensor",
    "label_layout",
    "positional_name",
    "same_as",
    "same_shape",
    "scalar_value",
    "tensor_args",
]


def scalar_value(op: str, val: Any) -> int | float:
    """A scalar operand ``val``: a Python int stays an int (weak dtype), else a real number."""
    if isinstance(val, (numbers.Integral, np.integer)) and not isinstance(val, (bool, np.bool_)):
        return int(val)
    return check.real_scalar(op, "val", val, finite=False)


def keras_tensor(x: Any) -> Any:
    """``keras.ops.convert_to_tensor`` for Python data: floats give float32, ints int32;
    tensors (arrays, Variables, symbolic variables) as they are."""
    if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.generic):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind == "f":
        return arr.astype(np.float32)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int32)
    return arr


def tensor_args(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator of a dialect entry: its tensor arguments ``names`` go through
    :func:`nnfunc.core.check.tensor` (the input gate, issue 17) before the body touches
    ``.shape``: lists become arrays; None (unless the default is None or the name ends with
    ``?``: an optional tensor), strings, dicts, object and complex arrays raise the standard
    DTypeError named after the entry. Arrays and Variables pass untouched (one type test
    each)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        params = inspect.signature(func).parameters
        order = list(params)
        op = func.__name__
        slots = tuple((n, order.index(n), params[n].default is None) for n in names if n in params)

        @functools.wraps(func)
        def entry(*args: Any, **kwargs: Any) -> Any:
            for arg, pos, optional in slots:
                if pos < len(args):
                    v = args[pos]
                    if type(v) is not np.ndarray and not (v is None and optional):
                        args = (*args[:pos], _gate(op, arg, v), *args[pos + 1 :])
                elif arg in kwargs:
                    v = kwargs[arg]
                    if type(v) is not np.ndarray and not (v is None and optional):
                        kwargs[arg] = _gate(op, arg, v)
            return func(*args, **kwargs)

        return entry

    return decorate


def _gate(op: str, arg: str, value: Any) -> Any:
    if getattr(value, "_is_symbolic", False):
        return value
    return check.tensor(op, arg, value)


def positional_name(
    canonical: Callable[..., Any],
    doc: str,
    *,
    module: str | None = None,
    absent: tuple[str, ...] = (),
    tensors: tuple[str, ...] | None = None,
) -> Callable[..., Any]:
    """A dialect entry that is ``canonical`` with ``name`` as its last positional argument
    (TensorFlow's signatures), for the entries whose arguments are otherwise the canonical
    function's, in its order and with its defaults. The arguments in ``absent`` (which the
    seed does not have) keep the canonical default and are not accepted.

    ``doc`` is the entry's own docstring (summary, Returns, example); the ``Args`` lines of the
    arguments it does not describe come from ``canonical``'s (:func:`shares_args`). The entry
    is a plain function of ``module`` (default: the caller's) with the seed's signature
    (``inspect.signature``); ``tensors`` go through the input gate (see :func:`same_as`).
    """
    sig = inspect.signature(canonical)
    params = [p for p in sig.parameters.values() if p.name not in (*absent, "name")]
    last = sig.parameters["name"].replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD)
    n, refused = len(params), frozenset(absent)
    op = canonical.__name__
    module = module or sys._getframe(1).f_globals["__name__"]
    tensors = _required(params) if tensors is None else tensors

    def entry(*args: Any, **kwargs: Any) -> Any:
        if len(args) > n + 1 or (len(args) == n + 1 and "name" in kwargs):
            raise TypeError(f"{op}() takes at most {n + 1} positional arguments (name last)")
        if len(args) == n + 1:
            *args, kwargs["name"] = args
        if kwargs and not refused.isdisjoint(kwargs):
            raise TypeError(
                f"{op}() got an unexpected keyword argument {min(refused & kwargs.keys())!r}"
            )
        return canonical(*args, **kwargs)

    entry.__name__ = entry.__qualname__ = op
    entry.__module__ = module
    entry.__doc__ = doc
    entry.__code__ = entry.__code__.replace()  # its own code object (profilers, the fuzz)
    entry.__signature__ = sig.replace(parameters=[*params, last])  # type: ignore[attr-defined]
    return shares_args(canonical)(tensor_args(*tensors)(entry) if tensors else entry)


def same_as(
    canonical: Callable[..., Any],
    doc: str,
    *,
    module: str | None = None,
    tensors: tuple[str, ...] | None = None,
    extra: tuple[inspect.Parameter, ...] = (),
    positional: bool = False,
    defaults: dict[str, Any] | None = None,
    op: str | None = None,
) -> Callable[..., Any]:
    """A dialect entry whose arguments are ``canonical``'s (names, order, defaults, keyword-only
    ``name``), plus the seed's ``extra`` arguments after the positional ones (accepted, by
    position or by name, and not passed on: NNabla's ``n_outputs``/``outputs``, whose
    decorator reads them). The body of such an entry is only the call of ``canonical``; this
    gives it once, so that the entry is its docstring.

    ``positional``: the canonical keyword-only arguments (but ``name``) are positional too, in
    their order (NNabla has no keyword-only arguments). ``defaults``: the seed's own default of
    an argument where it differs from the canonical one (passed on when the caller omits it).
    ``doc`` is the entry's own docstring (summary, Returns, its example); the ``Args`` lines of
    the arguments it does not describe come from ``canonical``'s (:func:`shares_args`).
    ``tensors`` go through the input gate (:func:`tensor_args`), named after the entry; by
    default the positional arguments without a default. ``module``: the entry's module, by
    default the caller's. ``op``: the entry's name where the seed's differs from the canonical
    one (NNabla's ``sub2`` is ``nnfunc.sub``).
    """
    sig = inspect.signature(canonical)
    by_position = inspect.Parameter.POSITIONAL_OR_KEYWORD
    fill = dict(defaults or {})
    params = list(sig.parameters.values())
    n = sum(p.kind is by_position for p in params)
    lead = [
        p.replace(kind=by_position, default=fill.get(p.name, p.default))
        for p in params
        if p.kind is by_position or (positional and p.name != "name")
    ]
    names = [p.name for p in (*lead, *extra)]
    rest = [p for p in params if p.name not in names]
    at = {k: names.index(k) for k in fill}
    extras = frozenset(p.name for p in extra)
    op = op or canonical.__name__
    module = module or sys._getframe(1).f_globals["__name__"]
    tensors = _required(params) if tensors is None else tensors

    def entry(*args: Any, **kwargs: Any) -> Any:
        given = len(args)
        if given > n:
            if given > len(names):
                raise TypeError(f"{op}() takes at most {len(names)} positional arguments")
            for k, v in zip(names[n:], args[n:]):
                if k in kwargs:
                    raise TypeError(f"{op}() got multiple values for argument {k!r}")
                kwargs[k] = v
            args = args[:n]
        for k, i in at.items():
            if i >= given and k not in kwargs:
                kwargs[k] = fill[k]
        if kwargs and not extras.isdisjoint(kwargs):
            kwargs = {k: v for k, v in kwargs.items() if k not in extras}
        return canonical(*args, **kwargs)

    entry.__name__ = entry.__qualname__ = op
    entry.__module__ = module
    entry.__doc__ = doc
    entry.__code__ = entry.__code__.replace()  # its own code object (profilers, the fuzz)
    entry.__signature__ = sig.replace(parameters=[*lead, *extra, *rest])  # type: ignore[attr-defined]
    return shares_args(canonical)(tensor_args(*tensors)(entry) if tensors else entry)


def _required(params: list[inspect.Parameter]) -> tuple[str, ...]:
    """The positional arguments without a default (an entry's tensors unless it says)."""
    return tuple(
        p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty
    )
