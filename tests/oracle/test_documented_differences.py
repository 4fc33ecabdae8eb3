"""Every deliberate difference the oracle suites list is stated in the affected docstrings.

``_differences.DOCUMENTED`` is the one table of nnfunc's deliberate differences from PyTorch
and Keras (the oracle suites name its keys). Each entry names the canonical functions whose
docstring Notes section must state it and a phrase those Notes contain. Needs neither torch nor
Keras, so it runs everywhere and the list and the docstrings cannot drift apart.
"""

from __future__ import annotations

import importlib.util
import inspect
import pathlib
import re

import pytest

import nnfunc

_spec = importlib.util.spec_from_file_location(
    "oracle_differences", pathlib.Path(__file__).with_name("_differences.py")
)
_differences = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_differences)
DOCUMENTED = _differences.DOCUMENTED

SECTION = re.compile(r"^\w[\w ]*:\s*$", re.MULTILINE)


def _flat(text: str) -> str:
    """Backticks dropped, whitespace collapsed, lower case: line wrapping does not matter."""
    return " ".join(text.replace("`", "").split()).lower()


def notes(func) -> str:
    """The Notes section of ``func``'s docstring (empty when it has none)."""
    doc = inspect.getdoc(func) or ""
    start = re.search(r"^Notes:\s*$", doc, re.MULTILINE)
    if not start:
        return ""
    rest = doc[start.end() :]
    end = SECTION.search(rest)
    return rest[: end.start()] if end else rest


CASES = [pytest.param(key, fn, id=f"{key}-{fn}") for key, d in DOCUMENTED.items() for fn in d.fns]


@pytest.mark.parametrize("key, fn", CASES)
def test_docstring_notes_state_the_difference(key, fn):
    d = DOCUMENTED[key]
    assert hasattr(nnfunc, fn), f"{key}: nnfunc.{fn} is not a public function"
    text = _flat(notes(getattr(nnfunc, fn)))
    assert _flat(d.doc) in text, f"nnfunc.{fn} Notes do not state {key!r} ({d.doc!r})"
    assert d.system.lower() in text, f"nnfunc.{fn} Notes do not name {d.system}"


def test_the_table_is_well_formed():
    assert len(DOCUMENTED) >= 20
    for key, d in DOCUMENTED.items():
        assert d.fns and d.doc and d.reason, key
        assert d.system in ("PyTorch", "Keras"), key


def test_notes_extraction_stops_at_the_next_section():
    text = notes(nnfunc.softplus)
    assert "gradient" in text.lower()
    assert ">>>" not in text
