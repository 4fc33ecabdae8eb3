"""Griffe extension: turn the docstrings' reST ``.. math::`` blocks into MathJax blocks.

The docstrings write display formulas as Sphinx does (``.. math::`` then an indented formula),
which reads well in ``help()``. Markdown would mangle the LaTeX (``\\\\`` becomes ``\\``), so the
block is rewritten to ``\\[ ... \\]`` before rendering; pymdownx.arithmatex then protects it.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)\.\. math::[ \t]*\n(?P<body>(?:(?P=indent)[ \t]+.*\n?|[ \t]*\n)+)", re.M
)


def rewrite(text: str) -> str:
    """The docstring with every ``.. math::`` block as a ``\\[ ... \\]`` block."""

    def block(m: re.Match) -> str:
        indent = m.group("indent")
        lines = [line.strip() for line in m.group("body").splitlines() if line.strip()]
        return (
            f"{indent}\\[\n" + "".join(f"{indent}{line}\n" for line in lines) + f"{indent}\\]\n\n"
        )

    return _BLOCK.sub(block, text)


class MathBlocks(griffe.Extension):
    """Rewrite ``.. math::`` blocks in every docstring griffe loads."""

    def on_instance(self, *, node: Any, obj: Any, agent: Any, **kwargs: Any) -> None:
        if obj.docstring is not None and ".. math::" in obj.docstring.value:
            obj.docstring.value = rewrite(obj.docstring.value)
