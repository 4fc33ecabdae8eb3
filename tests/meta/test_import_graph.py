"""The import graph of nnfunc runs one way, and every import is at module level (issue 10).

Layers: ``errors``/``core`` -> ``kernels`` -> ``functions`` -> ``compat``. A module imports only
from its own layer or the layers before it (``core`` never names ``functions/``; the helpers it
needs from there are late-bound in ``core.variable.OPS``). Imports inside functions are not
used to dodge cycles: the families call each other through ``import nnfunc.functions as F``
(resolved at call time) or import from the defining module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nnfunc

SRC = Path(nnfunc.__file__).resolve().parent

# Layer of a module, by its dotted name under nnfunc (first match wins).
LAYERS = (
    ("nnfunc.errors", 0),
    ("nnfunc.core", 0),
    ("nnfunc.kernels", 1),
    ("nnfunc.distributed", 1),
    ("nnfunc.random", 1),
    ("nnfunc.functions", 2),
    ("nnfunc.testing", 3),
    ("nnfunc.compat", 3),
)

# Function-local imports that stay, and why.
LOCAL_IMPORT_EXCEPTIONS = {
    # Optional, heavy dependencies imported only when used: `import nnfunc` must not load them
    # (tests/meta/test_import.py).
    "numba",
    "numba.core",
    "numba.extending",
    "llvmlite",
    "cupyx",
    "cupy",
    "torch",
    "sklearn.datasets",
    "sklearn.model_selection",
    "tqdm",
    "resource",  # POSIX only: the fuzz worker's memory limit (nnfunc.testing.fuzz)
    "onnx",  # Graph.export_onnx
    "mpi4py",  # MPICommunicator
    "matplotlib",  # python -m nnfunc bench draws its chart
    "matplotlib.pyplot",
    # The command line (python -m nnfunc) loads its subcommands on demand.
    "nnfunc._cli",
    "nnfunc",
}

# Parts not built by this consolidation yet (other branches own them); checked once they land.
NOT_YET: tuple[str, ...] = ()


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        yield path, name, ast.parse(path.read_text())


def _layer(name: str) -> int | None:
    for prefix, layer in LAYERS:
        if name == prefix or name.startswith(prefix + "."):
            return layer
    return None


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def test_imports_run_core_kernels_functions_compat():
    back = []
    for _, name, tree in _modules():
        mine = _layer(name)
        if mine is None:
            continue
        for node in ast.walk(tree):
            for target in _imported(node):
                theirs = _layer(target)
                if theirs is not None and theirs > mine:
                    back.append(f"{name} imports {target}")
    assert not back, "imports against the layering:\n" + "\n".join(back)


def test_no_function_local_imports():
    local = []
    for path, name, tree in _modules():
        if any(part in str(path).replace("\\", "/") for part in NOT_YET):
            continue
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                for target in _imported(node):
                    if target not in LOCAL_IMPORT_EXCEPTIONS:
                        local.append(f"{name}:{node.lineno} imports {target} inside {fn.name}")
    assert not local, "function-local imports:\n" + "\n".join(local)
