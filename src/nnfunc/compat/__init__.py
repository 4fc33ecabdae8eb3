"""The four dialects of nnfunc, each matching its seed page exactly.

A dialect function only translates names, arguments, defaults and layouts, then calls canonical
functions; it holds no math of its own.
"""

import importlib

__all__ = ["keras", "nnabla", "samediff", "tf"]


def __getattr__(name: str):
    if name in __all__:
        return importlib.import_module(f"nnfunc.compat.{name}")
    raise AttributeError(name)
