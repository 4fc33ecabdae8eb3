"""The README's python blocks run as doctests, so the tour cannot drift from the code."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def python_blocks() -> list[str]:
    return [m.group(1) for m in FENCE.finditer(README.read_text(encoding="utf-8"))]


def python_blocks_with_lines() -> list[tuple[str, int]]:
    """(block, 0-based line of its first line in README.md)."""
    text = README.read_text(encoding="utf-8")
    return [(m.group(1), text.count("\n", 0, m.start(1))) for m in FENCE.finditer(text)]


def test_readme_has_the_tour():
    blocks = python_blocks()
    assert len(blocks) >= 4
    text = "\n".join(blocks)
    for needed in ("backward()", "nf.Graph()", "placeholder(", "None", "g.run(", "g.grad("):
        assert needed in text, needed
    for dialect in ("tf.nn.", "keras.ops.", "nnabla.functions.", "samediff.nn."):
        assert dialect in text, dialect


def test_readme_states_the_setup_commands_exactly():
    text = README.read_text(encoding="utf-8")
    assert 'pip install ".[demo]" && python -m nnfunc demo' in text
    assert 'pip install -e ".[test]" && python -m pytest' in text


def test_readme_python_blocks_run():
    # One namespace for all blocks: later blocks use what earlier ones defined, as a reader would.
    globs: dict = {"__name__": "README"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for i, (block, line) in enumerate(python_blocks_with_lines()):
        test = parser.get_doctest(block, globs, f"README block {i + 1}", str(README), line)
        if not test.examples:
            pytest.fail(f"README python block {i + 1} has no >>> examples")
        runner.run(test, out=report.append, clear_globs=False)
        globs = test.globs  # DocTest copies its globals
    assert runner.failures == 0, "".join(report)
