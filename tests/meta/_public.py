"""What counts as public in nnfunc, shared by the meta-tests."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import nnfunc
import nnfunc.functions

# Each dialect module with a public __all__ (the packages above them re-export these).
DIALECT_MODULES = (
    "nnfunc.compat.tf",
    "nnfunc.compat.tf.nn",
    "nnfunc.compat.keras.ops",
    "nnfunc.compat.keras.ops.nn",
    "nnfunc.compat.nnabla.functions",
    "nnfunc.compat.samediff.nn",
    "nnfunc.compat.samediff.rnn",
)

# Modules that need an optional dependency or are not part of the library proper.
SKIP_MODULE_PREFIXES = ("nnfunc.__main__", "nnfunc._cli")


def canonical_names() -> list[str]:
    """Every canonical function exported from the family packages."""
    return list(nnfunc.functions.__all__)


def dialect_functions() -> Iterator[tuple[str, str, Any]]:
    """(module, name, function) for every function in a dialect's ``__all__``."""
    for module_name in DIALECT_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield module_name, name, obj


def all_modules() -> Iterator[ModuleType]:
    """Import and yield every module of the nnfunc package (so every Function class exists)."""
    yield nnfunc
    for info in pkgutil.walk_packages(nnfunc.__path__, prefix="nnfunc."):
        if info.name.startswith(SKIP_MODULE_PREFIXES):
            continue
        yield importlib.import_module(info.name)
