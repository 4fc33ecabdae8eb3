"""``import nnfunc`` stays light: no numba, cupy, torch or scikit-learn at import time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nnfunc

SRC = Path(nnfunc.__file__).resolve().parents[1]
HEAVY = ("numba", "llvmlite", "cupy", "torch", "sklearn", "scipy", "tqdm")

PROBE = """
import json, sys, time
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "modules": sorted(sys.modules)}}))
"""


def import_in_fresh_interpreter(module: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "module",
    [
        "nnfunc",
        "nnfunc.compat.tf",
        "nnfunc.compat.keras",
        "nnfunc.compat.nnabla.functions",
        "nnfunc.compat.samediff",
    ],
)
def test_import_pulls_in_no_heavy_dependency(module):
    result = import_in_fresh_interpreter(module)
    loaded = {m.split(".")[0] for m in result["modules"]}
    print(f"import {module}: {result['seconds']:.3f} s")
    assert not loaded & set(HEAVY), f"import {module} imported {sorted(loaded & set(HEAVY))}"


WALK = """
import importlib, json, pkgutil, sys
import nnfunc
names = []
for info in pkgutil.walk_packages(nnfunc.__path__, prefix="nnfunc."):
    if info.name.startswith(("nnfunc.__main__", "nnfunc._cli")):
        continue
    importlib.import_module(info.name)
    names.append(info.name)
print(json.dumps({"imported": names, "modules": sorted(sys.modules)}))
"""


def test_no_module_of_the_package_imports_heavy_dependencies_at_import_time():
    # pytest --doctest-modules imports every module of src/nnfunc: numba and cupy must wait
    # until a kernel runs (imported inside functions), or collection would pay for them.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run(
        [sys.executable, "-c", WALK],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "nnfunc.core.function" in result["imported"]
    loaded = {m.split(".")[0] for m in result["modules"]} & set(HEAVY)
    assert not loaded, f"importing nnfunc's modules imported {sorted(loaded)}"


def test_every_source_folder_is_a_regular_package():
    # setuptools' find_packages skips folders without __init__.py: a namespace folder would
    # work from the checkout but be missing from an installed wheel.
    root = Path(nnfunc.__file__).parent
    missing = [
        str(d.relative_to(root))
        for d in root.rglob("*")
        if d.is_dir() and any(d.glob("*.py")) and not (d / "__init__.py").exists()
    ]
    assert missing == []
