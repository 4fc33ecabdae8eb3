"""``python -m nnfunc coverage`` and ``python -m nnfunc demo``, run as a user runs them."""

from __future__ import annotations

import csv
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nnfunc
from nnfunc._cli import coverage

SRC = Path(nnfunc.__file__).resolve().parents[1]
PACKAGED_CATALOG = Path(nnfunc.__file__).resolve().parent / "_data" / "functions.tsv"
SHARED_CATALOG = SRC.parent.parent / "shared" / "catalog" / "functions.tsv"
PAGES = (
    "000_166acf4a6c5da776.txt",
    "001_f52807e098628ebd.txt",
    "002_b06de53e7c6fe92b.txt",
    "003_87102768da1af1ca.txt",
    "004_a80c1cfb810d86d9.txt",
)


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run(
        [sys.executable, "-m", "nnfunc", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def catalog_rows() -> list[dict[str, str]]:
    with PACKAGED_CATALOG.open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


# ------------------------------------------------------------------------------------ coverage
def test_packaged_catalog_is_the_project_catalog():
    if not SHARED_CATALOG.exists():
        pytest.skip("the project's shared/ catalog is not beside this checkout")
    assert PACKAGED_CATALOG.read_bytes() == SHARED_CATALOG.read_bytes(), (
        "src/nnfunc/_data/functions.tsv is stale: copy shared/catalog/functions.tsv over it"
    )


def test_catalog_is_read_through_the_package():
    rows = coverage.load_catalog()
    assert len(rows) == len(catalog_rows())
    assert {r.seed_file for r in rows} == set(PAGES)


@pytest.mark.parametrize(
    ("framework", "name", "signature", "module"),
    [
        ("tf-nn", "relu", "tf.nn.relu(features, name=None)", "nnfunc.compat.tf.nn"),
        ("tf-nn", "sigmoid", "tf.sigmoid(x, name=None)", "nnfunc.compat.tf"),
        ("keras-ops-nn", "relu", "keras.ops.relu(x)", "nnfunc.compat.keras.ops.nn"),
        ("nnabla", "add2", "add2(x0, x1)", "nnfunc.compat.nnabla.functions"),
        ("samediff-nn", "relu", "INDArray relu(...)", "nnfunc.compat.samediff.nn"),
        ("samediff-rnn", "gru", "INDArray[] gru(...)", "nnfunc.compat.samediff.rnn"),
    ],
)
def test_dialect_module_of_each_framework(framework, name, signature, module):
    row = coverage.CatalogRow("page.txt", framework, name, signature, name)
    assert coverage.dialect_module(row) == module
    importlib.import_module(module)


def test_unknown_framework_is_an_error():
    row = coverage.CatalogRow("page.txt", "caffe", "relu", "relu()", "relu")
    with pytest.raises(ValueError, match="unknown framework 'caffe'"):
        coverage.dialect_module(row)


def test_page_reports_count_unique_names_and_real_entries():
    rows = coverage.load_catalog()
    reports = {r.seed_file: r for r in coverage.page_reports()}
    assert set(reports) == set(PAGES)
    for page, report in reports.items():
        module_of = {
            r.name_in_seed: coverage.dialect_module(r) for r in rows if r.seed_file == page
        }
        assert sorted(report.documented) == sorted(module_of)
        for n, module in module_of.items():
            mod = importlib.import_module(module)
            assert (n in report.covered) == (n in mod.__all__ and callable(getattr(mod, n))), n
    # The engine's own dialect entries (issue 2) are counted.
    assert "relu" in reports["003_87102768da1af1ca.txt"].covered
    assert {"add2", "add_scalar", "relu"} <= set(reports["004_a80c1cfb810d86d9.txt"].covered)
    # logSoftmax is documented twice (two Java overloads) and counts once.
    assert reports["000_166acf4a6c5da776.txt"].documented.count("logSoftmax") == 1


def _table(stdout: str) -> dict[str, tuple[int, int]]:
    found = {}
    for line in stdout.splitlines():
        m = re.match(r"^(\S+)\s+.*?\s(\d+)\s+(\d+)\s+[\d.]+%$", line)
        if m:
            found[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return found


def test_coverage_command_prints_every_page_and_the_total():
    proc = run_cli("coverage")
    assert proc.returncode == 0, proc.stderr
    table = _table(proc.stdout)
    reports = coverage.page_reports()
    for r in reports:
        assert table[r.seed_file] == (len(r.documented), len(r.covered))
    assert table["total"] == (
        sum(len(r.documented) for r in reports),
        sum(len(r.covered) for r in reports),
    )
    assert "tf.nn, tf" in proc.stdout


def test_coverage_missing_lists_exactly_the_absent_names():
    proc = run_cli("coverage", "--missing")
    assert proc.returncode == 0, proc.stderr
    listed: dict[str, list[str]] = {}
    lines = proc.stdout.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^missing from .* \((\S+), (\d+)\):$", line)
        if m:
            names = lines[i + 1].split()
            assert len(names) == int(m.group(2))
            listed[m.group(1)] = names
    for r in coverage.page_reports():
        assert listed.get(r.seed_file, []) == r.missing
        assert not set(r.missing) & set(r.covered)
        assert len(r.missing) + len(r.covered) == len(r.documented)


def test_coverage_canonical_counts_exported_functions():
    proc = run_cli("coverage", "--canonical", "--missing")
    assert proc.returncode == 0, proc.stderr
    names = {r["canonical"] for r in catalog_rows()}
    present = {n for n in names if callable(getattr(nnfunc, n, None))}
    m = re.search(r"exported as nnfunc\.<name>: (\d+) of (\d+)", proc.stdout)
    assert m, proc.stdout
    assert (int(m.group(1)), int(m.group(2))) == (len(present), len(names))
    assert {"add", "relu", "matmul"} & names <= present
    missing_line = proc.stdout.split("missing canonical functions")[-1]
    for n in present:
        assert f" {n} " not in f" {missing_line.split(':', 1)[-1].strip()} "


def test_no_command_prints_usage_and_fails():
    proc = run_cli()
    assert proc.returncode == 2
    assert "usage: python -m nnfunc" in proc.stderr


# ------------------------------------------------------------------------------------ demo
def _final_accuracy(stdout: str) -> float:
    m = re.search(r"final test accuracy: ([\d.]+)%", stdout)
    assert m, stdout
    return float(m.group(1))


def test_demo_short_run_trains_and_reports_accuracy():
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    proc = run_cli("demo", "--epochs", "2")
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"epoch +2/2 +loss [\d.]+ +train accuracy", proc.stdout), proc.stdout
    # tqdm draws its per-epoch bar on stderr
    assert "batch" in proc.stderr
    assert _final_accuracy(proc.stdout) > 80.0


def test_demo_default_cnn_reaches_97_percent():
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    proc = run_cli("demo", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "model 'cnn'" in proc.stdout
    assert _final_accuracy(proc.stdout) >= 97.0


def test_demo_mlp_reaches_95_percent():
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    proc = run_cli("demo", "--no-progress", "--model", "mlp")
    assert proc.returncode == 0, proc.stderr
    assert _final_accuracy(proc.stdout) >= 95.0


def test_cnn_gradients_match_central_differences():
    np = pytest.importorskip("numpy")
    from nnfunc._cli.demo import MODELS, softmax_cross_entropy
    from nnfunc.testing import check_backward

    rng = np.random.default_rng(1)
    params = MODELS["cnn"].init(rng, 64, 10)
    names = sorted(params)
    x = rng.normal(size=(3, 64))
    labels = np.array([1, 7, 3])

    def loss(*arrays):
        p = dict(zip(names, arrays, strict=True))
        return softmax_cross_entropy(MODELS["cnn"].forward(p, x), labels)

    arrays = [params[n].data.astype(np.float64) for n in names]
    check_backward(loss, arrays, tuple(range(len(arrays))), rng)


def test_demo_rejects_a_bad_epoch_count():
    proc = run_cli("demo", "--epochs", "0")
    assert proc.returncode == 2
    assert "must be a positive integer" in proc.stderr


def test_demo_loss_matches_a_float64_reference():
    np = pytest.importorskip("numpy")
    from nnfunc._cli.demo import softmax_cross_entropy

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, 4)) * 30  # large logits: the max shift must keep exp finite
    labels = np.array([0, 3, 1, 1, 2])
    z = logits - logits.max(axis=1, keepdims=True)
    ref = -np.mean(z[np.arange(5), labels] - np.log(np.exp(z).sum(axis=1)))
    x = nnfunc.Variable(logits, requires_grad=True)
    loss = softmax_cross_entropy(x, labels)
    np.testing.assert_allclose(loss.data, ref, rtol=1e-12)
    loss.backward()
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p[np.arange(5), labels] -= 1
    np.testing.assert_allclose(x.grad, p / 5, rtol=1e-10, atol=1e-14)
