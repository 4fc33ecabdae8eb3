"""``python -m nnfunc coverage``: how much of each seed page the dialects implement.

The catalog of documented functions ships inside the package (``nnfunc/_data/functions.tsv``, a
copy of the project catalog), so the report works after ``pip install``. A documented function is
*covered* when its dialect module lists its seed name in ``__all__``; names documented twice on a
page (Java overloads, repeated entries) count once.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

__all__ = [
    "CatalogRow",
    "PageReport",
    "add_parser",
    "canonical_report",
    "dialect_module",
    "load_catalog",
    "page_reports",
    "run",
]

# framework column of the catalog -> dialect module
FRAMEWORK_MODULES = {
    "samediff-nn": "nnfunc.compat.samediff.nn",
    "samediff-rnn": "nnfunc.compat.samediff.rnn",
    "keras-ops-nn": "nnfunc.compat.keras.ops.nn",
    "tf-nn": "nnfunc.compat.tf.nn",
    "nnabla": "nnfunc.compat.nnabla.functions",
}


@dataclass(frozen=True)
class CatalogRow:
    """One row of the catalog (only the columns the report reads)."""

    seed_file: str
    framework: str
    name_in_seed: str
    signature: str
    canonical: str


@dataclass
class PageReport:
    """Coverage of one seed page: documented names, and those with a dialect entry."""

    seed_file: str
    framework: str
    modules: list[str]
    documented: list[str] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """Documented names without a dialect entry, in catalog order."""
        have = set(self.covered)
        return [n for n in self.documented if n not in have]


def load_catalog() -> list[CatalogRow]:
    """The catalog rows, read from the copy inside the package."""
    text = resources.files("nnfunc").joinpath("_data/functions.tsv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text), delimiter="\t")
    return [
        CatalogRow(
            seed_file=r["seed_file"],
            framework=r["framework"],
            name_in_seed=r["name_in_seed"],
            signature=r["signature"],
            canonical=r["canonical"],
        )
        for r in reader
    ]


def dialect_module(row: CatalogRow) -> str:
    """Dotted name of the module that should hold ``row``'s dialect entry.

    The tf.nn page also documents a few top-level functions (``tf.sigmoid(x, name=None)``); their
    signature says so, and they belong to ``nnfunc.compat.tf``.
    """
    if row.framework == "tf-nn":
        qualified = row.signature.split("(", 1)[0].strip()
        if qualified.startswith("tf.") and not qualified.startswith("tf.nn."):
            return "nnfunc.compat.tf"
    try:
        return FRAMEWORK_MODULES[row.framework]
    except KeyError:
        raise ValueError(f"coverage: unknown framework {row.framework!r} in the catalog") from None


def _exported(module_name: str, cache: dict[str, set[str]]) -> set[str]:
    if module_name not in cache:
        module = importlib.import_module(module_name)
        cache[module_name] = {
            n for n in getattr(module, "__all__", ()) if getattr(module, n, None) is not None
        }
    return cache[module_name]


def page_reports(rows: list[CatalogRow] | None = None) -> list[PageReport]:
    """One :class:`PageReport` per (seed page, framework), in catalog order."""
    rows = load_catalog() if rows is None else rows
    cache: dict[str, set[str]] = {}
    reports: dict[tuple[str, str], PageReport] = {}
    seen: set[tuple[str, str, str]] = set()
    for row in rows:
        key = (row.seed_file, row.framework)
        report = reports.setdefault(key, PageReport(row.seed_file, row.framework, []))
        if (*key, row.name_in_seed) in seen:
            continue
        seen.add((*key, row.name_in_seed))
        module = dialect_module(row)
        if module not in report.modules:
            report.modules.append(module)
        report.documented.append(row.name_in_seed)
        if row.name_in_seed in _exported(module, cache):
            report.covered.append(row.name_in_seed)
    return list(reports.values())


def canonical_report(rows: list[CatalogRow] | None = None) -> tuple[list[str], list[str]]:
    """(catalog canonical names, those exported as ``nnfunc.<name>``), sorted."""
    import nnfunc

    rows = load_catalog() if rows is None else rows
    names = sorted({r.canonical for r in rows if r.canonical})
    exported = set(nnfunc.__all__)
    return names, [n for n in names if n in exported]


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:5.1f}%" if whole else "    -"


def _print_pages(reports: list[PageReport], show_missing: bool) -> None:
    modules = [", ".join(m.removeprefix("nnfunc.compat.") for m in r.modules) for r in reports]
    w_page = max(len("seed page"), *(len(r.seed_file) for r in reports))
    w_mod = max(len("dialect"), *(len(m) for m in modules))
    header = f"{'seed page':<{w_page}}  {'dialect':<{w_mod}}  documented  covered       %"
    print(header)
    print("-" * len(header))
    total_doc = total_cov = 0
    for r, mod in zip(reports, modules, strict=True):
        n_doc, n_cov = len(r.documented), len(r.covered)
        total_doc += n_doc
        total_cov += n_cov
        print(
            f"{r.seed_file:<{w_page}}  {mod:<{w_mod}}  {n_doc:>10}  {n_cov:>7}  "
            f"{_percent(n_cov, n_doc)}"
        )
    print("-" * len(header))
    print(
        f"{'total':<{w_page}}  {'':<{w_mod}}  {total_doc:>10}  {total_cov:>7}  "
        f"{_percent(total_cov, total_doc)}"
    )
    if show_missing:
        for r, mod in zip(reports, modules, strict=True):
            if r.missing:
                print(f"\nmissing from {mod} ({r.seed_file}, {len(r.missing)}):")
                print("  " + " ".join(r.missing))


def _print_canonical(show_missing: bool) -> None:
    names, present = canonical_report()
    print(
        f"canonical names exported as nnfunc.<name>: {len(present)} of {len(names)} "
        f"({_percent(len(present), len(names)).strip()})"
    )
    if show_missing:
        have = set(present)
        missing = [n for n in names if n not in have]
        if missing:
            print(f"\nmissing canonical functions ({len(missing)}):")
            print("  " + " ".join(missing))


def run(args: Any) -> int:
    """Print the coverage report; ``args`` has the booleans ``missing`` and ``canonical``."""
    if args.canonical:
        _print_canonical(args.missing)
    else:
        _print_pages(page_reports(), args.missing)
    return 0


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``coverage`` subcommand."""
    p = subparsers.add_parser(
        "coverage",
        help="how many documented functions of each seed page have a dialect entry",
        description=(
            "Per seed page, count the documented functions (unique names) that have an entry "
            "in their nnfunc.compat dialect module."
        ),
    )
    p.add_argument("--missing", action="store_true", help="also list the names still missing")
    p.add_argument(
        "--canonical",
        action="store_true",
        help="report the catalog's canonical names exported as nnfunc.<name> instead",
    )
    p.set_defaults(run=run)
    return p
