"""Every public function documents itself the same way, and its examples are run.

Sections (Google style): ``Args:`` (when the function takes arguments), ``Returns:`` and
``Examples:`` with at least one ``>>>`` doctest; canonical functions also ``Raises:``. The
doctests themselves run through pytest's ``--doctest-modules`` over ``src/nnfunc``.
"""

from __future__ import annotations

import inspect
import re

import pytest

import nnfunc
from nnfunc.core.function import Function

from ._public import all_modules, canonical_names, dialect_functions

SECTION = re.compile(r"^(\w[\w ]*):\s*$", re.MULTILINE)


def sections(doc: str) -> set[str]:
    return set(SECTION.findall(doc))


def takes_arguments(func) -> bool:
    return any(p.name != "name" for p in inspect.signature(func).parameters.values())


def missing_sections(func, *, raises: bool) -> list[str]:
    doc = inspect.getdoc(func) or ""
    have = sections(doc)
    needed = ["Returns", "Examples"]
    if takes_arguments(func):
        needed.insert(0, "Args")
    if raises:
        needed.append("Raises")
    missing = [s + ":" for s in needed if s not in have]
    if "Examples" in have and ">>>" not in doc.split("Examples:", 1)[1]:
        missing.append("a >>> example under Examples:")
    if not doc.strip():
        missing.insert(0, "a docstring")
    return missing


TOP_LEVEL = [
    n
    for n in nnfunc.__all__
    if inspect.isfunction(getattr(nnfunc, n)) and n not in set(canonical_names())
]


@pytest.mark.parametrize("name", canonical_names())
def test_canonical_function_docstring(name):
    missing = missing_sections(getattr(nnfunc, name), raises=True)
    assert not missing, f"nnfunc.{name} docstring lacks {', '.join(missing)}"


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_engine_function_docstring(name):
    missing = missing_sections(getattr(nnfunc, name), raises=False)
    assert not missing, f"nnfunc.{name} docstring lacks {', '.join(missing)}"


@pytest.mark.parametrize(
    ("module", "name", "func"),
    list(dialect_functions()),
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_dialect_function_docstring(module, name, func):
    missing = missing_sections(func, raises=False)
    assert not missing, f"{module}.{name} docstring lacks {', '.join(missing)}"


@pytest.mark.parametrize("name", [n for n in nnfunc.__all__ if inspect.isclass(getattr(nnfunc, n))])
def test_public_class_has_a_docstring(name):
    assert (getattr(nnfunc, name).__doc__ or "").strip(), f"nnfunc.{name} has no docstring"


def _function_classes() -> list[type]:
    for _ in all_modules():
        pass
    found, todo = [], [Function]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def test_no_function_class_documents_its_init():
    # Arguments are documented once, on the public function (Chainer's rule).
    offenders = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _function_classes()
        if "__init__" in vars(cls) and getattr(vars(cls)["__init__"], "__doc__", None)
    ]
    assert not offenders, f"__init__ docstrings on Function classes: {offenders}"


def test_function_classes_are_found():
    names = {cls.__name__ for cls in _function_classes()}
    assert len(names) >= 10


def test_doctests_are_collected_from_the_package(pytestconfig):
    # The examples above are only worth having if pytest runs them.
    assert pytestconfig.getoption("doctestmodules"), "--doctest-modules is not in addopts"
    testpaths = pytestconfig.getini("testpaths")
    assert any(p.rstrip("/").endswith("src/nnfunc") for p in testpaths), testpaths
