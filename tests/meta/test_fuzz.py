"""The fuzz test of issue 17: every public function returns or raises an NNFuncError.

Every public function of ``nnfunc`` and of the dialects (from their ``__all__``) is called from a
valid call (its docstring example or a registered sample) with one argument at a time replaced by
an awkward value (:mod:`nnfunc.testing.fuzz`), in a worker subprocess under a memory limit and a
per-call time limit. CI runs a fixed sample (two values per argument, one of them also with
Variables and a backward pass; in graph mode each function's valid call and two (argument,
value) pairs); ``NNFUNC_FUZZ_FULL=1`` runs every value in every mode. Graph mode builds the call
on placeholders (unknown batch), feeds the awkward values, runs, differentiates, and compares
with eager (``mismatch:`` outcomes are failures).

Known failures are listed in ``fuzz_baseline.tsv`` (one line per function, argument, value, mode
and outcome). A failure not in the list fails the test; so does a listed case that no longer
fails as listed (delete its line): the list can only shrink.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import fuzz

BASELINE = Path(__file__).with_name("fuzz_baseline.tsv")
FULL = os.environ.get("NNFUNC_FUZZ_FULL") == "1"


@pytest.fixture(scope="module")
def report() -> fuzz.Report:
    return fuzz.run(full=FULL)


def test_every_public_function_has_a_sample(report):
    assert report.functions > 400
    assert report.no_sample == [], (
        "no valid call to start from (add a docstring example or fuzz.register_sample): "
        + ", ".join(report.no_sample)
    )


def test_no_failure_beyond_the_baseline(report):
    baseline = fuzz.read_baseline(str(BASELINE))
    new = {k: o for k, o in report.failures().items() if baseline.get(k) != o}
    lines = "\n".join(f"{k}\t{o}" for k, o in sorted(new.items()))
    assert not new, f"{len(new)} new failures (function, arg, value, mode, outcome):\n{lines}"


def test_baseline_only_lists_current_failures(report):
    baseline = fuzz.read_baseline(str(BASELINE))
    # A sampled run checks the listed cases it made; the full run checks every line.
    stale = {
        k: o
        for k, o in baseline.items()
        if (FULL or k in report.outcomes) and report.outcomes.get(k) != o
    }
    lines = "\n".join(
        f"{k}\t{o} -> {report.outcomes.get(k, 'not run')}" for k, o in sorted(stale.items())
    )
    assert not stale, f"{len(stale)} baseline lines no longer fail so: delete them\n{lines}"


def test_outcomes_are_classified():
    assert fuzz.is_failure("raw:TypeError")
    assert fuzz.is_failure("mutated:x")
    assert fuzz.is_failure("hang")
    assert fuzz.is_failure("graph-accepts:ShapeError")  # a silent wrong result in a graph
    assert fuzz.is_failure("mismatch:values")
    assert not fuzz.is_failure("ok")
    assert not fuzz.is_failure("nnfunc:DTypeError")


def test_call_case_sees_raw_errors_and_writes():
    def writes(x):
        """Writes into its input."""
        x[...] = 0
        return x

    def raw(x):
        """Raises a raw error."""
        raise TypeError("raw")

    sample = {"x": np.ones(3)}

    def reads(x):
        """Returns its input."""
        return x

    assert fuzz.call_case(reads, sample, fuzz.Case("t:o", "x", "list", "eager")) == "ok"
    assert fuzz.call_case(writes, sample, fuzz.Case("t:w", "x", "nan", "eager")) == "mutated:x"
    assert fuzz.call_case(raw, sample, fuzz.Case("t:r", "x", "0d", "var")) == "raw:TypeError"


def _relu_or_neg(x):
    """Relu in eager, but neg in a graph: a graph that differs from eager."""
    return nf.neg(x) if getattr(x, "_is_symbolic", False) else nf.relu(x)


def _raw_in_graph(x):
    """A raw error while the graph is built."""
    if getattr(x, "_is_symbolic", False):
        raise ValueError("raw")
    return nf.relu(x)


def _eager_only_check(x):
    """An nnfunc error in eager mode only: the graph accepts what eager refuses."""
    if not getattr(x, "_is_symbolic", False):
        raise nf.ShapeError("eager_only_check: `x` is refused")
    return nf.relu(x)


def _relu(x):
    """Relu."""
    return nf.relu(x)


@pytest.mark.parametrize(
    "func, arg, value, outcome",
    [
        (_relu, "*", "valid", "ok"),
        (_relu, "x", "empty", "ok"),  # a batch of 0 through the unknown batch dimension
        (_relu, "x", "nan", "ok"),
        (_relu, "x", "list", "ok"),  # a list fed to the placeholder
        (_relu, "x", "dict", "nnfunc:DTypeError"),  # the graph's feed check
        (_relu, "x", "0d", "ok"),  # a 0-d placeholder
        (_relu, "x", "complex", "nnfunc:DTypeError"),  # fed to the float32 placeholder
        (_relu_or_neg, "*", "valid", "mismatch:values"),
        (_raw_in_graph, "*", "valid", "raw:ValueError"),
        (_eager_only_check, "*", "valid", "graph-accepts:ShapeError"),
    ],
)
def test_graph_case(func, arg, value, outcome):
    sample = {"x": np.array([[-1.0, 2.0]], np.float32)}
    assert fuzz.call_case(func, sample, fuzz.Case("t:g", arg, value, "graph")) == outcome


def test_graph_cases_are_planned():
    sample = {"x": np.ones((2, 3), np.float32)}
    sampled = fuzz.cases("t:g", _relu, sample, per_arg=2, graph_per_fn=fuzz.GRAPH_PER_FN)
    graph = [c for c in sampled if c.mode == "graph"]
    assert graph[0] == fuzz.Case("t:g", "*", "valid", "graph")
    assert len(graph) == 1 + fuzz.GRAPH_PER_FN
    full = fuzz.cases("t:g", _relu, sample, per_arg=None, graph_per_fn=None)
    assert len([c for c in full if c.mode == "graph"]) == 1 + len(fuzz.VALUE_LABELS)
    assert not [
        c for c in fuzz.cases("t:g", _relu, sample, per_arg=2, graph=False) if c.mode == "graph"
    ]
