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
