"""The one aggregator of the dialect packages (``tf.nn``, ``keras.ops.nn``,
``nnabla.functions``, ``samediff.nn``, ``samediff.rnn``).

A dialect package is a folder of part modules (``_activation.py``, ``_conv.py``, ...), each
listing its entries in ``__all__``. The package's ``__init__`` calls :func:`gather`, which
imports every part module of the folder and re-exports its entries: adding a part is adding a
file, with no line to change elsewhere. A module without ``__all__`` (a private helper) exports
nothing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any

__all__ = ["gather"]


def gather(package: str, path: Iterable[str], namespace: dict[str, Any]) -> list[str]:
    """Import the ``_*`` modules of ``package`` (found on ``path``), copy their ``__all__``
    names into ``namespace`` and return the sorted names (the package's ``__all__``).

    Raises:
        ImportError: two parts export the same name (one entry, one home).
    """
    owner: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(list(path)), key=lambda m: m.name):
        if not info.name.startswith("_") or info.name.startswith("__"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        for name in getattr(module, "__all__", ()):
            if name in owner:
                raise ImportError(
                    f"{package}: `{name}` is exported by both {owner[name]} and {info.name}."
                )
            owner[name] = info.name
            namespace[name] = getattr(module, name)
    return sorted(owner)
