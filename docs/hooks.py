"""MkDocs hook: generate the API reference and the dialect pages from the catalog.

Nothing in ``docs/reference/`` or ``docs/dialects/`` is written by hand: at build time this hook
reads the packaged catalog (``nnfunc/_data/functions.tsv`` and ``unified.md``) and the live
package, and adds

* ``reference/index.md`` and one page per family (``reference/<family>.md``), one section per
  canonical function rendered by mkdocstrings from its docstring;
* ``dialects/<dialect>.md``: every documented entry of the seed page with its seed signature, its
  canonical function and whether nnfunc covers it, followed by the rendered docstrings;
* the generated half of each migration page (``migration/<dialect>.md``): the catalog's
  reconciled conflicts, errata and checked behaviours for that dialect;
* ``benchmarks.md``'s table, from the JSON that ``python -m nnfunc bench`` wrote.

``reference_pages()`` is importable without MkDocs (the tests use it to check coverage).
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import nnfunc
import nnfunc.functions as F
from nnfunc._cli.coverage import FRAMEWORK_MODULES, dialect_module, load_catalog

DIALECTS = {
    # page slug: (title, frameworks of the catalog, how the catalog's texts name the system)
    "tf": ("TensorFlow 1.x tf.nn", ("tf-nn",), ("TF", "TensorFlow", "tf.")),
    "keras": ("Keras 3 keras.ops.nn", ("keras-ops-nn",), ("Keras",)),
    "nnabla": ("NNabla nnabla.functions", ("nnabla",), ("NNabla",)),
    "samediff": ("DL4J SameDiff", ("samediff-nn", "samediff-rnn"), ("SameDiff", "samediff")),
}
ERRATA_KEYS = {"tf": "tf-nn", "keras": "keras-ops-nn", "nnabla": "nnabla", "samediff": "samediff"}


def _family_name(module: Any) -> str:
    return module.__name__.rsplit(".", 1)[-1]


def _first_line(obj: Any) -> str:
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else ""


def _path_of(fn: Any) -> str:
    """Dotted path of the module that defines ``fn`` (what mkdocstrings loads)."""
    return f"{fn.__module__}.{fn.__name__}"


def _unified() -> str:
    return resources.files("nnfunc").joinpath("_data/unified.md").read_text(encoding="utf-8")


def _section(text: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    return m.group(1) if m else ""


def family_pages() -> dict[str, str]:
    """``reference/<family>.md`` for every family, and the index."""
    pages: dict[str, str] = {}
    index = [
        "# API reference",
        "",
        "Every canonical function, one page per family of the catalog. Each function is also "
        "`nnfunc.<name>`; the dialects call these (see the dialect pages).",
        "",
        "| family | functions |",
        "| --- | --- |",
    ]
    for fam in F.FAMILIES:
        names = sorted(fam.__all__)
        if not names:
            continue
        slug = _family_name(fam)
        index.append(f"| [{slug}]({slug}.md) | {len(names)} |")
        lines = [f"# {slug.capitalize()}", "", _first_line(fam), ""]
        for name in names:
            fn = getattr(nnfunc, name)
            lines += [
                f"::: {_path_of(fn)}",
                "    options:",
                f"      heading: 'nnfunc.{name}'",
                "      show_root_heading: true",
                "      show_root_toc_entry: true",
                "      heading_level: 2",
                "",
            ]
        pages[f"reference/{slug}.md"] = "\n".join(lines)
    pages["reference/index.md"] = "\n".join(index) + "\n"
    return pages


def _sig_cell(text: str) -> str:
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`" if text else ""


def dialect_pages() -> dict[str, str]:
    """``dialects/<dialect>.md``: every documented entry with its coverage."""
    rows = load_catalog()
    canon = set(nnfunc.__all__)
    pages: dict[str, str] = {}
    for slug, (title, frameworks, _) in DIALECTS.items():
        lines = [
            f"# {title}: every documented entry",
            "",
            "Generated from the catalog: the seed page's name and signature, the canonical "
            "function it calls, and whether nnfunc implements it. See also the "
            f"[migration page](../migration/{slug}.md).",
            "",
        ]
        rendered: list[str] = []
        for fw in frameworks:
            mine = [r for r in rows if r.framework == fw]
            modules = {r.name_in_seed: importlib.import_module(dialect_module(r)) for r in mine}
            covered = sum(1 for n, m in modules.items() if n in m.__all__)
            lines += [
                f"## `{FRAMEWORK_MODULES[fw]}`",
                "",
                f"{covered} of {len(modules)} documented entries covered.",
                "",
                "| entry | seed signature | canonical | status |",
                "| --- | --- | --- | --- |",
            ]
            seen = set()
            for r in mine:
                if r.name_in_seed in seen:
                    continue
                seen.add(r.name_in_seed)
                module = modules[r.name_in_seed]
                fam = _family_of(r.canonical) if r.canonical in canon else None
                target = (
                    f"[`{r.canonical}`](../reference/{fam}.md#"
                    f"{_path_of(getattr(nnfunc, r.canonical))})"
                    if fam
                    else f"`{r.canonical}`"
                )
                ok = r.name_in_seed in module.__all__
                lines.append(
                    f"| `{r.name_in_seed}` | {_sig_cell(r.signature)} | {target} | "
                    f"{'covered' if ok else '**missing**'} |"
                )
                if ok:
                    fn = getattr(module, r.name_in_seed)
                    if callable(fn) and hasattr(fn, "__module__"):
                        rendered += [
                            f"::: {fn.__module__}.{fn.__qualname__}",
                            "    options:",
                            f"      heading: '{module.__name__.split('compat.', 1)[1]}."
                            f"{r.name_in_seed}'",
                            "      show_root_heading: true",
                            "      show_root_toc_entry: false",
                            "      heading_level: 3",
                            "",
                        ]
            lines.append("")
        lines += ["## Entries", "", *rendered]
        pages[f"dialects/{slug}.md"] = "\n".join(lines)
    return pages


_FAMILY_OF: dict[str, str] = {}


def _family_of(name: str) -> str | None:
    if not _FAMILY_OF:
        for fam in F.FAMILIES:
            for n in fam.__all__:
                _FAMILY_OF[n] = _family_name(fam)
    return _FAMILY_OF.get(name)


def migration_catalog_section(slug: str) -> str:
    """The generated half of a migration page: conflicts, errata and checked behaviours."""
    _, frameworks, names = DIALECTS[slug]
    text = _unified()
    out = ["## How the conventions map (from the catalog)", ""]
    conflicts = _section(text, "Semantic conflicts")
    for item in re.split(r"\n(?=\d+\. )", conflicts):
        item = item.strip()
        if re.match(r"\d+\. ", item) and any(n in item for n in names):
            out += [_plain_stars(item.replace("\n", " ")), ""]
    errata = _section(text, "Seed documentation errata")
    key = ERRATA_KEYS[slug]
    lines = [e for e in errata.splitlines() if e.startswith(f"- {key}")]
    if lines:
        out += ["## Errata of the page that nnfunc corrects", ""]
        out += [_plain_stars(line.replace(f"- {key}", "-", 1)) for line in lines]
        out.append("")
    checked = [
        r
        for r in load_catalog_notes()
        if r["framework"] in frameworks and re.search(r"BEHAVIOUR|DECISION|CORRECTION", r["notes"])
    ]
    if checked:
        out += [
            "## Behaviours checked against the real system",
            "",
            "Where the page and the real system disagree or the page is silent, the catalog "
            "records what was checked (BEHAVIOUR), corrected (CORRECTION) or decided (DECISION):",
            "",
        ]
        for r in checked:
            out += [f"- **`{r['name_in_seed']}`**: {_plain_stars(r['notes'])}", ""]
    return "\n".join(out)


def _plain_stars(text: str) -> str:
    """Escape the catalog's arithmetic ``*`` (``x*relu6(x)``) so Markdown keeps it, but keep its
    ``**title**`` and ``*Reconcile:*`` emphasis; likewise ``_`` between word characters is safe."""
    text = text.replace("*Reconcile:*", "\x00R\x00").replace("**", "\x00B\x00")
    text = text.replace("*", "\\*")
    return text.replace("\x00R\x00", "*Reconcile:*").replace("\x00B\x00", "**")


def load_catalog_notes() -> list[dict[str, str]]:
    """Catalog rows with their notes (the coverage loader keeps only five columns)."""
    raw = resources.files("nnfunc").joinpath("_data/functions.tsv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(raw), delimiter="\t"))


def benchmark_table(json_path: Path) -> str:
    """The latest ``python -m nnfunc bench`` results as a Markdown table."""
    if not json_path.exists():
        return "*No results yet: run the command above.*"
    data = json.loads(json_path.read_text())
    m = data["machine"]
    head = (
        f"Taken {m['date']} on {m['cpu']} ({m['usable_cpus']} usable CPUs, load average "
        f"{', '.join(f'{v:.1f}' for v in m.get('load_average') or [])}); nnfunc {m['nnfunc']} "
        f"with kernels on {m['nnfunc_threads']} threads, PyTorch {m.get('torch', '-')} "
        f"with {m.get('torch_threads', '-')} threads"
        + (" — quick sizes." if data.get("quick") else ".")
    )
    rows = [
        "| workload | pass | nnfunc (ms) | PyTorch (ms) | ratio |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for r in data["results"]:
        theirs = f"{r['torch_ms']:.3f}" if r["torch_ms"] is not None else "-"
        ratio = f"{r['ratio']:.2f}" if r["ratio"] is not None else "-"
        rows.append(f"| {r['name']} | {r['pass_']} | {r['nnfunc_ms']:.3f} | {theirs} | {ratio} |")
    return head + "\n\n" + "\n".join(rows) + "\n"


def reference_pages() -> dict[str, str]:
    """Every generated page: path inside docs/ -> Markdown."""
    return {**family_pages(), **dialect_pages()}


# ------------------------------------------------------------------ MkDocs events
def on_config(config: Any) -> Any:
    families = [
        {_family_name(f).capitalize(): f"reference/{_family_name(f)}.md"}
        for f in F.FAMILIES
        if f.__all__
    ]
    config["nav"] = [
        {"Getting started": "index.md"},
        {"Calling modes": "calling-modes.md"},
        {"Architecture": "ARCHITECTURE.md"},
        {"Coming from…": [{DIALECTS[s][0]: f"migration/{s}.md"} for s in DIALECTS]},
        {"API reference": [{"Overview": "reference/index.md"}, *families]},
        {"Dialect entries": [{DIALECTS[s][0]: f"dialects/{s}.md"} for s in DIALECTS]},
        {"Benchmarks": "benchmarks.md"},
    ]
    return config


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for path, content in reference_pages().items():
        files.append(File.generated(config, path, content=content))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    src = page.file.src_uri
    if src.startswith("migration/"):
        slug = Path(src).stem
        return markdown.replace("{{ catalog }}", migration_catalog_section(slug))
    if src == "benchmarks.md":
        table = benchmark_table(Path(config["docs_dir"]) / "assets" / "bench" / "bench.json")
        return markdown.replace("{{ bench_table }}", table)
    return markdown
