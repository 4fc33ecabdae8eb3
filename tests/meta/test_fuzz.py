"""The fuzz test of issue 17: every public function returns or raises an NNFuncError.

Every public function of ``nnfunc`` and of the dialects (from their ``__all__``) is called from a
valid call (its docstring example or a registered sample) with one argument at a time replaced by
an awkward value (:mod:`nnfunc.testing.fuzz`), in a worker subprocess under a memory limit and a
per-call time limit. CI runs a fixed sample (two values per argument, one of them also with
Variables and a backward pass); ``NNFUNC_FUZZ_FULL=1`` runs every value in both modes.

Known failures are listed in ``fuzz_baseline.tsv`` (one line per function, argument, value, mode
and outcome). A failure not in the list fails the test; so does a listed case that no longer
fails as listed (delete its line): the list can only shrink.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

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
