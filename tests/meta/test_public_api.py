"""The public names resolve, and canonical names come from the catalog."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

import nnfunc
import nnfunc.functions
from nnfunc._cli.coverage import load_catalog

from ._public import DIALECT_MODULES, canonical_names, dialect_functions

# Top-level names that are the engine rather than catalog functions.
ENGINE = {
    "ArgumentError",
    "DTypeError",
    "Function",
    "Graph",
    "GraphError",
    "NNFuncError",
    "ShapeError",
    "SymbolicVariable",
    "TensorSpec",
    "UnsupportedError",
    "Variable",
    "enable_grad",
    "errors",
    "grad",
    "is_grad_enabled",
    "load_graph",
    "no_grad",
    "random",
}
# Canonical functions the engine needs that the catalog has no row for (issue 2's primitives).
ENGINE_FUNCTIONS = {"cast", "expand_dims", "getitem", "matmul", "neg", "squeeze"}


def test_top_level_names_resolve():
    assert len(set(nnfunc.__all__)) == len(nnfunc.__all__), "duplicates in nnfunc.__all__"
    for name in nnfunc.__all__:
        assert getattr(nnfunc, name, None) is not None, name


def test_top_level_is_engine_plus_functions():
    assert set(nnfunc.__all__) == ENGINE | set(canonical_names())


def test_families_are_reexported():
    for family in nnfunc.functions.FAMILIES:
        for name in family.__all__:
            assert getattr(nnfunc, name) is getattr(family, name), name


@pytest.mark.parametrize("module_name", DIALECT_MODULES)
def test_dialect_names_resolve(module_name):
    module = importlib.import_module(module_name)
    assert len(set(module.__all__)) == len(module.__all__), f"duplicates in {module_name}"
    for name in module.__all__:
        assert getattr(module, name, None) is not None, f"{module_name}.{name}"


def test_dialect_packages_reexport_their_modules():
    from nnfunc.compat import keras, nnabla, samediff, tf

    assert tf.nn is importlib.import_module("nnfunc.compat.tf.nn")
    assert keras.ops.nn is importlib.import_module("nnfunc.compat.keras.ops.nn")
    assert nnabla.functions is importlib.import_module("nnfunc.compat.nnabla.functions")
    assert samediff.nn is importlib.import_module("nnfunc.compat.samediff.nn")
    assert samediff.rnn is importlib.import_module("nnfunc.compat.samediff.rnn")
    # keras.ops holds every keras.ops.nn function, as in Keras
    for name in keras.ops.nn.__all__:
        assert getattr(keras.ops, name) is getattr(keras.ops.nn, name), name


def test_canonical_names_are_in_the_catalog():
    catalog = {r.canonical for r in load_catalog()}
    unknown = sorted(set(canonical_names()) - catalog - ENGINE_FUNCTIONS)
    assert not unknown, f"not in the catalog's canonical column: {unknown}"


def _name_parameter(func) -> inspect.Parameter | None:
    return inspect.signature(func).parameters.get("name")


@pytest.mark.parametrize("name", canonical_names())
def test_canonical_function_takes_keyword_name(name):
    param = _name_parameter(getattr(nnfunc, name))
    assert param is not None, f"nnfunc.{name} has no `name` argument"
    assert param.kind is inspect.Parameter.KEYWORD_ONLY and param.default is None, name


@pytest.mark.parametrize(
    ("module", "name", "func"),
    list(dialect_functions()),
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_dialect_function_takes_name(module, name, func):
    params = inspect.signature(func).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        # NNabla documents `f(*x, **kw)` (add_n, concatenate...): `name` travels in **kw.
        with pytest.raises(nnfunc.ArgumentError):
            func(np.ones(2), np.ones(2), not_a_keyword=1)
        return
    param = _name_parameter(func)
    assert param is not None, f"{module}.{name} has no `name` argument"
    assert param.default is None, f"{module}.{name}: `name` must default to None"
