"""Java overloads of SameDiff entries as one Python signature.

An entry whose overloads differ in their trailing parameters takes them as ``*args`` and also
by name (keywords defaulting to :data:`UNSET`), and binds both with :func:`overload`::

    def layerNorm(input, gain, *args, bias=UNSET, channelsFirst=UNSET, dimensions=UNSET, ...):
        bias, cf, dims = overload("layerNorm", args, {"bias": bias, ...}, forms)
"""

from __future__ import annotations

from typing import Any

from nnfunc.errors import ArgumentError

__all__ = ["UNSET", "OverloadError", "overload"]


class OverloadError(ArgumentError, TypeError):
    """No overload takes these arguments: an nnfunc error, and a TypeError as Python's own
    arity errors are."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: Default of an overload's by-name parameters: "not given" (None can be a given value).
UNSET: Any = _Unset()


def overload(op: str, args: tuple, given: dict[str, Any], forms: tuple[tuple[str, ...], ...]):
    """Bind positional ``args`` and keyword ``given`` to the first Java overload they fill.

    ``forms`` lists the overloads' parameter names after the leading fixed ones; the
    positional arguments fill a form's first slots, the keywords (those not ``UNSET``) must be
    exactly the rest. Returns the form's values by name (absent names: None).
    """
    kw = {k: v for k, v in given.items() if v is not UNSET}
    for form in forms:
        if len(args) <= len(form) and set(form[len(args) :]) == set(kw):
            bound = dict(zip(form, args, strict=False)) | kw
            return tuple(bound.get(n) for n in given)
    shown = " or ".join(f"({', '.join(f)})" for f in forms)
    raise OverloadError(
        f"{op}: expected the trailing arguments {shown}, by position or by name; received "
        f"{len(args)} positional and the keywords {sorted(kw)}."
    )
