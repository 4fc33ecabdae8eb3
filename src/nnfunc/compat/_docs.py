"""Docstrings of dialect entries that share argument descriptions with another function.

Many entries take the arguments of the function they translate to (a tf sampler and its
canonical sampler) or of a sibling entry (NNabla's quantized convolutions and
``convolution``). Their ``Args`` lines were copied from one docstring to the next. With
:func:`shares_args` an entry's docstring holds only what is its own (summary, the arguments it
describes differently, Returns, Raises, Notes, its own example); the lines of the other
arguments are taken, once, from the function named, when the module is imported. The result
is an ordinary ``__doc__`` string (``help()``, mkdocs' inspection and doctests read it); no
code is generated.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["shares_args"]

_T = TypeVar("_T", bound=Callable[..., Any])

# Documented once for the whole NNabla package (its ``__init__`` note), not per entry.
_PACKAGE_NOTES = frozenset({"n_outputs", "outputs"})
_SECTION = re.compile(r"^[A-Z][A-Za-z ]*:$")
_NAMES = re.compile(r"^\**([\w*, ]+?)\s*(?:\(.*?\))?:")


def _split(doc: str) -> tuple[list[str], list[list[str]], list[str]]:
    """(lines before ``Args:``, its entries (each a list of lines), lines after the section).

    With no ``Args:`` section the entries are empty and the section is placed before the
    first other section (``Returns:``, ``Examples:``, ...)."""
    lines = inspect.cleandoc(doc).split("\n")
    if "Args:" in lines:
        start = lines.index("Args:")
        head, rest = lines[:start], lines[start + 1 :]
    else:
        start = next((i for i, s in enumerate(lines) if _SECTION.match(s)), len(lines))
        head, rest = lines[:start], lines[start:]
        if head and head[-1]:
            head.append("")
        return head, [], _trim(rest)
    entries: list[list[str]] = []
    for i, line in enumerate(rest):
        if line and not line.startswith(" "):  # the next section
            return head, entries, _trim(rest[i:])
        if line.startswith("    ") and not line.startswith("     "):
            entries.append([line])
        elif line and entries:
            entries[-1].append(line)
    return head, entries, []


def _trim(tail: list[str]) -> list[str]:
    return ["", *tail] if tail else []


def _names(entry: list[str]) -> list[str]:
    m = _NAMES.match(entry[0].strip())
    return [n.strip().lstrip("*") for n in m.group(1).split(",")] if m else []


def shares_args(source: Callable[..., Any]) -> Callable[[_T], _T]:
    """Decorator: complete the entry's ``Args:`` with ``source``'s lines for each argument of
    the entry that its own docstring does not describe, in the entry's argument order.

    Raises:
        TypeError: an argument of the entry is described by neither docstring (a missing line
            is a bug caught when the module is imported).
    """

    def decorate(entry: _T) -> _T:
        params = [
            p.name
            for p in inspect.signature(entry).parameters.values()
            if p.name not in _PACKAGE_NOTES and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        head, own, tail = _split(entry.__doc__ or "")
        described = {n for e in own for n in _names(e)}
        borrowed = [
            e
            for e in _split(source.__doc__ or "")[1]
            if any(n in params and n not in described for n in _names(e))
        ]
        missing = set(params) - described - {n for e in borrowed for n in _names(e)}
        if missing:
            raise TypeError(
                f"{entry.__name__}: no Args line for {sorted(missing)} in its docstring or "
                f"in {source.__name__}'s."
            )
        order = {n: i for i, n in enumerate(params)}
        entries, last = [], -1.0
        for e in own + borrowed:  # own lines without an argument keep their place
            at = min((order[n] for n in _names(e) if n in order), default=None)
            last = at if at is not None else last + 0.001
            entries.append((last, e))
        entries.sort(key=lambda t: t[0])
        args = ["Args:", *(line for _, e in entries for line in e)]
        doc = "\n".join([*head, *args, *tail])
        obj: Any = entry
        while obj is not None and obj is not source:  # and the functions it wraps (mkdocs and
            obj.__doc__ = doc  # griffe read the innermost one)
            obj = getattr(obj, "__wrapped__", None)
        return entry

    return decorate
