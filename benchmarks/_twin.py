"""A second copy of nnfunc in the same process: before/after comparisons, interleaved.

``load(src, *submodules)`` imports the ``nnfunc`` package found in the directory ``src`` (another
checkout's ``src/``, e.g. ``git archive <base> src | tar -x -C /tmp/base``) with the given
submodules, under the same names, then puts back whatever ``nnfunc`` modules were imported
before: the copy keeps working through the references its modules hold to each other (nnfunc
imports at module level only), and the checkout's own ``nnfunc`` is untouched. Both copies then
run in one process, on the same machine load, round after round.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

__all__ = ["load"]


def _ours(name: str) -> bool:
    return name == "nnfunc" or name.startswith("nnfunc.")


def load(src: str, *submodules: str) -> tuple[ModuleType, ...]:
    """``(nnfunc, *submodules)`` imported from the directory ``src``, kept out of sys.modules."""
    saved = {k: sys.modules.pop(k) for k in [k for k in sys.modules if _ours(k)]}
    sys.path.insert(0, src)
    try:
        mods = [importlib.import_module(m) for m in ("nnfunc", "nnfunc.functions", *submodules)]
    finally:
        sys.path.remove(src)
        for k in [k for k in sys.modules if _ours(k)]:
            del sys.modules[k]
        sys.modules.update(saved)
    return (mods[0], *mods[2:])
