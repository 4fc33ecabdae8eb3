"""The documentation site's generated pages and the benchmark command.

The site itself is built with ``mkdocs build --strict`` by ``.ci/run``; these tests check what
the generator puts in it without MkDocs: every public function and every dialect entry appears.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import nnfunc
from nnfunc.__main__ import main
from nnfunc._cli.coverage import dialect_module, load_catalog

ROOT = Path(__file__).resolve().parents[2]


def _hooks():
    spec = importlib.util.spec_from_file_location("nnfunc_docs_hooks", ROOT / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pages():
    return _hooks().reference_pages()


def test_every_public_function_has_a_reference_section(pages):
    text = "\n".join(v for k, v in pages.items() if k.startswith("reference/"))
    functions = list(nnfunc.functions.__all__)
    missing = [n for n in functions if f"heading: 'nnfunc.{n}'" not in text]
    assert not missing, f"functions without a reference section: {missing}"
    assert "reference/index.md" in pages


def test_every_dialect_entry_is_listed_with_its_status(pages):
    hooks = _hooks()
    for slug, (_, frameworks, _) in hooks.DIALECTS.items():
        page = pages[f"dialects/{slug}.md"]
        for row in load_catalog():
            if row.framework in frameworks:
                module = importlib.import_module(dialect_module(row))
                status = "covered" if row.name_in_seed in module.__all__ else "**missing**"
                assert f"| `{row.name_in_seed}` |" in page, (slug, row.name_in_seed)
                line = next(
                    x for x in page.splitlines() if x.startswith(f"| `{row.name_in_seed}` |")
                )
                assert line.endswith(f"| {status} |"), line


def test_migration_pages_carry_the_catalog_sections():
    hooks = _hooks()
    tf = hooks.migration_catalog_section("tf")
    assert "## How the conventions map (from the catalog)" in tf
    assert "## Errata of the page that nnfunc corrects" in tf
    nnabla = hooks.migration_catalog_section("nnabla")
    assert "## Behaviours checked against the real system" in nnabla
    for slug in hooks.DIALECTS:
        text = (ROOT / "docs" / "migration" / f"{slug}.md").read_text()
        assert "{{ catalog }}" in text


def test_benchmark_table_from_json(tmp_path):
    data = {
        "machine": {
            "date": "today",
            "cpu": "cpu",
            "usable_cpus": 2,
            "load_average": [1.0, 2.0, 3.0],
            "nnfunc": "0",
            "nnfunc_threads": 2,
            "torch": "2",
            "torch_threads": 2,
        },
        "quick": True,
        "results": [
            {"name": "relu", "pass_": "fwd", "nnfunc_ms": 1.0, "torch_ms": 2.0, "ratio": 0.5},
            {"name": "relu", "pass_": "fwd+bwd", "nnfunc_ms": 3.0, "torch_ms": None, "ratio": None},
        ],
    }
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(data))
    table = _hooks().benchmark_table(path)
    assert "| relu | fwd | 1.000 | 2.000 | 0.50 |" in table
    assert "| relu | fwd+bwd | 3.000 | - | - |" in table
    assert "quick sizes" in table


def test_bench_quick_writes_table_json_and_chart(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    args = ["bench", "--quick", "--repeat", "1", "--output", str(tmp_path), "--no-progress"]
    assert main([*args, "--only", "pool,matmul"]) == 0
    out = capsys.readouterr().out
    assert "usable CPUs" in out and "max_pool 2x2/2" in out and "geometric mean" in out
    data = json.loads((tmp_path / "bench.json").read_text())
    names = {(r["name"], r["pass_"]) for r in data["results"]}
    assert names == {
        ("max_pool 2x2/2 on 4x64x28x28", "fwd"),
        ("max_pool 2x2/2 on 4x64x28x28", "fwd+bwd"),
        ("matmul 512^3", "fwd"),
        ("matmul 512^3", "fwd+bwd"),
    }
    assert all(r["nnfunc_ms"] > 0 for r in data["results"])
    png = (tmp_path / "bench.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # a second run compares with the first
    assert (
        main([*args, "--only", "matmul", "--no-chart", "--compare", str(tmp_path / "bench.json")])
        == 0
    )
    assert "speed-up" in capsys.readouterr().out


def test_every_quick_workload_runs_once():
    from nnfunc._cli.bench import default_dir, find_workloads

    workloads = find_workloads(default_dir(), quick=True)
    groups = {w.group for w in workloads}
    assert {"conv", "pool", "softmax", "norm", "gelu", "matmul", "loss"} <= groups
    assert {"lstm", "attention", "ctc"} <= groups  # the peer harness's sequence workloads
    for w in workloads:
        if w.group in ("conv", "matmul", "gelu") and w.pass_ == "fwd+bwd":
            continue  # the slowest; their forward pass is run below and their grads elsewhere
        ours, ref = w.make()
        ours()
        if ref is not None:
            ref()


def test_packaged_unified_catalog_is_current():
    shared = ROOT.parent / "shared" / "catalog" / "unified.md"
    if not shared.exists():
        pytest.skip("shared/ is not beside this checkout (the packaged copy is all there is)")
    packaged = Path(nnfunc.__file__).resolve().parent / "_data" / "unified.md"
    assert packaged.read_text() == shared.read_text(), (
        "src/nnfunc/_data/unified.md is stale: copy shared/catalog/unified.md over it"
    )
