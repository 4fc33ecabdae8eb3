"""Every op of the library either exports to ONNX or says why it cannot.

The ops are found two ways, so that a new op has to choose (an entry in ``EXPORTERS`` with its
sample, or a reason in ``NO_ONNX_EQUIVALENT``):

* the class-level ``op_name`` of every Function class of the library;
* the op names of the nodes that the harness's test classes (every ``FunctionTestCase`` under
  ``tests/``) put in a graph, forward and through ``Graph.grad``: this finds the op names a
  Function takes per instance (``ELU(op="celu")``, ``Concatenate(op="crelu")``, the gradient
  nodes), which no class attribute shows.
"""

from __future__ import annotations

import importlib
import pathlib
import pkgutil
import re
import sys

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core.function import Function
from nnfunc.core.onnx_export import EXPORTERS, NO_ONNX_EQUIVALENT
from nnfunc.core.serialize import function_classes
from nnfunc.testing.function_test import FunctionTestCase

_TESTS = pathlib.Path(__file__).resolve().parents[1]
# a module with harness classes: it names the base class, or declares a class's `function`
_CASE = re.compile(r"FunctionTestCase|^\s+function = ", re.MULTILINE)


def _import_library() -> None:
    """Import every module of nnfunc, so that every Function class exists."""
    for info in pkgutil.walk_packages(nf.__path__, prefix="nnfunc."):
        if not info.name.startswith(("nnfunc.__main__", "nnfunc._cli")):
            importlib.import_module(info.name)


def _harness_classes() -> list[type]:
    """Every FunctionTestCase subclass defined in a test module under tests/."""
    found: list[type] = []
    root = str(_TESTS.parent)
    sys.path.insert(0, root)  # test modules import their helpers relatively (tests.<...>)
    try:
        for path in sorted(_TESTS.rglob("test_*.py")):
            text = path.read_text(encoding="utf-8")
            if path.parent.name == "export" or not _CASE.search(text):
                continue
            name = ".".join(path.relative_to(_TESTS.parent).with_suffix("").parts)
            module = sys.modules.get(name) or importlib.import_module(name)
            for obj in vars(module).values():
                if (
                    isinstance(obj, type)
                    and issubclass(obj, FunctionTestCase)
                    and obj is not FunctionTestCase
                    and obj.__module__ == module.__name__
                    and hasattr(obj, "function")
                ):
                    found.append(obj)
    finally:
        sys.path.remove(root)
    return found


def _params(cls: type) -> list[dict]:
    """The parameter combinations of ``parametrize_class`` (one empty one without)."""
    fixture = getattr(cls, "_nnfunc_params", None)
    marker = getattr(fixture, "_fixture_function_marker", None) or getattr(
        fixture, "_pytestfixturefunction", None
    )
    params = getattr(marker, "params", None)
    return [dict(p) for p in params] if params else [{}]


def _graph_ops(cls: type, params: dict) -> set[str]:
    """The op names of the nodes one case of ``cls`` builds, forward and gradient."""
    case = cls()
    for k, v in params.items():
        setattr(case, k, v)
    inputs = case._inputs()
    g = nf.Graph()
    phs = [g.placeholder(f"in{i}", x.shape, x.dtype) for i, x in enumerate(inputs)]
    outs = case._call(*phs, name="out")
    floats = [p for p in phs if p.dtype.kind == "f"]
    fouts = [o for o in outs if o.dtype.kind == "f"]
    if floats and fouts and case.differentiable:
        g.grad(fouts[0], floats)
    return {v.creator.op_name for v in g._order if v.creator is not None}


@pytest.fixture(scope="module")
def harness_classes() -> list[type]:
    classes = _harness_classes()
    assert len(classes) > 200, "the harness walk found too few test classes"
    return classes


@pytest.fixture(scope="module")
def all_ops(harness_classes) -> set[str]:
    _import_library()
    ops = {cls.op_name for cls in function_classes().values() if cls.op_name != Function.op_name}
    for cls in harness_classes:
        for params in _params(cls):
            with np.errstate(all="ignore"):
                ops |= _graph_ops(cls, params)
    return ops


def test_every_op_exports_or_says_why_not(all_ops):
    missing = sorted(all_ops - set(EXPORTERS) - set(NO_ONNX_EQUIVALENT))
    assert not missing, (
        "ops with neither an ONNX mapping (EXPORTERS) nor a reason (NO_ONNX_EQUIVALENT) in "
        f"nnfunc/core/onnx_export.py: {missing}"
    )


def test_no_op_is_both_mapped_and_refused():
    both = sorted(set(EXPORTERS) & set(NO_ONNX_EQUIVALENT))
    assert not both, f"ops both mapped and declared without ONNX equivalent: {both}"


def test_reasons_are_sentences():
    for op, reason in NO_ONNX_EQUIVALENT.items():
        assert isinstance(reason, str) and len(reason) > 15, op


def test_table_has_no_stale_names(all_ops):
    """Every name in the tables is an op the library has (a renamed op is noticed)."""
    stale = sorted((set(EXPORTERS) | set(NO_ONNX_EQUIVALENT)) - all_ops)
    assert not stale, f"names in the ONNX tables that no Function reports: {stale}"


def test_coverage_figures(all_ops, capsys):
    """The figures the note reports (printed with -s)."""
    mapped = len(all_ops & set(EXPORTERS))
    with capsys.disabled():
        print(f"\nONNX: {mapped} of {len(all_ops)} ops mapped, "
              f"{len(all_ops & set(NO_ONNX_EQUIVALENT))} without ONNX equivalent")  # fmt: skip
    assert mapped + len(all_ops & set(NO_ONNX_EQUIVALENT)) == len(all_ops)


def _close(got: np.ndarray, expected: np.ndarray) -> bool:
    if got.shape != expected.shape or got.dtype != expected.dtype:
        return False
    if expected.dtype.kind in "fc":
        tol = {"float16": 1e-3, "float32": 2e-4}.get(expected.dtype.name, 1e-8)
        return bool(np.allclose(got, expected, rtol=tol, atol=tol, equal_nan=True))
    return bool(np.array_equal(got, expected))


def test_every_harness_case_that_exports_matches_onnx_runtime(harness_classes):
    """Beyond the one sample per op: every case of every harness class (all its options,
    dtypes and layouts) is exported; a case either raises UnsupportedError (an op or option
    without ONNX form, with its reason) or loads in ONNX Runtime and gives Graph.run's values.
    The only other outcome tolerated is ONNX Runtime lacking a kernel (NOT_IMPLEMENTED, e.g.
    float64 Softplus on CPU): the model is valid, the runtime cannot run it."""
    ort = pytest.importorskip("onnxruntime")
    counts = {"match": 0, "unsupported": 0, "no kernel": 0}
    wrong = []
    for cls in harness_classes:
        for params in _params(cls):
            case = cls()
            for k, v in params.items():
                setattr(case, k, v)
            with np.errstate(all="ignore"):
                inputs = case._inputs()
                g = nf.Graph()
                phs = [g.placeholder(f"in{i}", x.shape, x.dtype) for i, x in enumerate(inputs)]
                names = [o.name for o in case._call(*phs, name="out")]
                feeds = {f"in{i}": x for i, x in enumerate(inputs)}
                expected = g.run(names, feeds)
            try:
                model = g.export_onnx(None, names)
            except nf.UnsupportedError:
                counts["unsupported"] += 1
                continue
            try:
                session = ort.InferenceSession(
                    model.SerializeToString(), providers=["CPUExecutionProvider"]
                )
                used = {i.name for i in model.graph.input}
                got = session.run(None, {k: v for k, v in feeds.items() if k in used})
            except Exception as exc:  # sorted below: a missing kernel or a real failure
                if "NOT_IMPLEMENTED" in str(exc) or "does not support double" in str(exc):
                    counts["no kernel"] += 1
                    continue
                wrong.append(f"{cls.__name__} {params}: {str(exc)[:200]}")
                continue
            if all(_close(a, np.asarray(b)) for a, b in zip(got, expected, strict=True)):
                counts["match"] += 1
            else:
                wrong.append(f"{cls.__name__} {params}: values differ from Graph.run")
    assert not wrong, "\n".join(wrong)
    assert counts["match"] > 1500, counts
