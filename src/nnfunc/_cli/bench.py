"""``python -m nnfunc bench``: the side-by-side benchmarks as one table, a JSON file and a chart.

Workloads come from the checkout's ``benchmarks/`` folder: every ``bench_*.py`` (and
``workloads.py``) there that defines ``workloads(quick: bool) -> list[Workload]`` contributes. A
:class:`Workload` names its group (what ``--only`` selects: ``conv``, ``softmax``...), its case,
its pass (``fwd`` or ``fwd+bwd``) and a ``make()`` that allocates the inputs and returns the
nnfunc call and the PyTorch call (or None), so only the selected workloads allocate anything.

Each workload is timed with interleaved rounds (one nnfunc call, one PyTorch call, repeated) after
a warm-up call, and reports the medians and their ratio nnfunc / PyTorch: below 1, nnfunc is
faster. The library itself never prints; this command is the only place that shows progress.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

import nnfunc as nf
from nnfunc.kernels.cpu._threads import num_threads

__all__ = ["Result", "Workload", "add_parser", "draw_chart", "find_workloads", "run", "time_pair"]

Call = Callable[[], Any]


@dataclass(frozen=True)
class Workload:
    """One benchmark case: ``make()`` returns ``(nnfunc_call, torch_call_or_None)``."""

    group: str
    name: str
    pass_: str
    make: Callable[[], tuple[Call, Call | None]]


@dataclass
class Result:
    """The medians of one workload (milliseconds) and their ratio."""

    group: str
    name: str
    pass_: str
    nnfunc_ms: float
    torch_ms: float | None
    ratio: float | None
    rounds: int


def default_dir() -> Path:
    """``benchmarks/`` of the checkout this nnfunc was imported from."""
    return Path(nf.__file__).resolve().parents[2] / "benchmarks"


def find_workloads(directory: Path, quick: bool) -> list[Workload]:
    """Import the benchmark modules of ``directory`` and collect their workloads."""
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))  # the scripts import their siblings (_common...)
    found: list[Workload] = []
    for path in sorted(directory.glob("*.py")):
        if not (path.name.startswith("bench_") or path.name == "workloads.py"):
            continue
        spec = importlib.util.spec_from_file_location(f"_nnfunc_bench_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        make = getattr(module, "workloads", None)
        if callable(make):
            found.extend(make(quick))
    return found


def time_pair(ours: Call, ref: Call | None, rounds: int, min_seconds: float) -> tuple:
    """Medians (seconds) of ``ours`` and ``ref`` over interleaved rounds, after a warm-up.

    Rounds continue past ``rounds`` until ``min_seconds`` have been spent (at most 4x rounds),
    so very fast workloads get enough samples.
    """
    ours()
    if ref is not None:
        ref()
    t_ours: list[float] = []
    t_ref: list[float] = []
    start = time.perf_counter()
    while len(t_ours) < rounds or (
        time.perf_counter() - start < min_seconds and len(t_ours) < 4 * rounds
    ):
        t0 = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - t0)
        if ref is not None:
            t0 = time.perf_counter()
            ref()
            t_ref.append(time.perf_counter() - t0)
    return (
        float(np.median(t_ours)),
        float(np.median(t_ref)) if t_ref else None,
        len(t_ours),
    )


def machine() -> dict[str, Any]:
    """What the figures were taken on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    info: dict[str, Any] = {
        "cpu": cpu,
        "usable_cpus": usable,
        "nnfunc": nf.__version__,
        "nnfunc_threads": num_threads(),
        "numpy": np.__version__,
        "python": platform.python_version(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    torch = _torch()
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def _torch() -> Any:
    try:
        import torch  # optional: only the reference column needs it
    except ImportError:
        return None
    return torch


def format_table(results: Sequence[Result], info: dict[str, Any]) -> str:
    """The results as a text table with a header that says what machine ran them."""
    lines = [
        f"{info['cpu']}; {info['usable_cpus']} usable CPUs; nnfunc {info['nnfunc']} "
        f"(kernels on {info['nnfunc_threads']} threads); "
        + (
            f"PyTorch {info['torch']} ({info['torch_threads']} threads)"
            if "torch" in info
            else "PyTorch not installed"
        ),
        f"{'workload':<44} {'pass':<8} {'nnfunc':>10} {'PyTorch':>10} {'ratio':>7}",
    ]
    for r in results:
        theirs = f"{r.torch_ms:8.3f}ms" if r.torch_ms is not None else f"{'-':>10}"
        ratio = f"{r.ratio:7.2f}" if r.ratio is not None else f"{'-':>7}"
        lines.append(f"{r.name:<44} {r.pass_:<8} {r.nnfunc_ms:8.3f}ms {theirs} {ratio}")
    ratios = [r.ratio for r in results if r.ratio]
    if ratios:
        lines.append(
            f"geometric mean of the ratios: {float(np.exp(np.mean(np.log(ratios)))):.2f} "
            f"over {len(ratios)} workloads (below 1: nnfunc faster)"
        )
    return "\n".join(lines)


def draw_chart(results: Sequence[Result], path: Path, title: str) -> None:
    """A horizontal bar chart of the ratios on a log scale, with the 1.0 line marked."""
    import matplotlib  # optional: only the chart needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results if r.ratio]
    fig, ax = plt.subplots(figsize=(9, 0.34 * max(len(rows), 1) + 1.6))
    labels = [f"{r.name} ({r.pass_})" for r in rows]
    ratios = [r.ratio for r in rows]
    colors = ["#2b8a3e" if v <= 1.0 else "#c92a2a" for v in ratios]
    ax.barh(range(len(rows)), ratios, color=colors)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xlabel("time nnfunc / time PyTorch (log scale; left of the line: nnfunc faster)")
    ax.set_title(title, fontsize=9)
    for i, v in enumerate(ratios):
        ax.text(v, i, f" {v:.2f}", va="center", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def compare(results: Sequence[Result], old_path: Path) -> str:
    """A table of the ratios of an earlier run next to this run's."""
    old = {(r["name"], r["pass_"]): r for r in json.loads(old_path.read_text())["results"]}
    lines = [f"{'workload':<44} {'pass':<8} {'old ratio':>9} {'new ratio':>9} {'speed-up':>8}"]
    for r in results:
        o = old.get((r.name, r.pass_))
        if o is None:
            lines.append(f"{r.name:<44} {r.pass_:<8} {'-':>9} {r.ratio or 0:9.2f} {'-':>8}")
            continue
        gain = o["nnfunc_ms"] / r.nnfunc_ms if r.nnfunc_ms else float("nan")
        old_ratio = f"{o['ratio']:9.2f}" if o.get("ratio") else f"{'-':>9}"
        new_ratio = f"{r.ratio:9.2f}" if r.ratio else f"{'-':>9}"
        lines.append(f"{r.name:<44} {r.pass_:<8} {old_ratio} {new_ratio} {gain:7.2f}x")
    return "\n".join(lines)


def run(args: Any) -> int:
    """Entry point of ``python -m nnfunc bench``."""
    from tqdm import tqdm  # the demo extra: progress bars

    directory = Path(args.dir) if args.dir else default_dir()
    if not directory.is_dir():
        print(
            f"nnfunc bench: no benchmarks folder at {directory}; run it from a checkout of "
            "nnfunc or pass --dir",
            file=sys.stderr,
        )
        return 2
    workloads = find_workloads(directory, args.quick)
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        workloads = [w for w in workloads if any(k == w.group or k in w.name for k in wanted)]
    if not workloads:
        print("nnfunc bench: no workload matches --only", file=sys.stderr)
        return 2
    torch = _torch()
    if args.threads is not None:
        os.environ["NNFUNC_NUM_THREADS"] = str(args.threads)
        if torch is not None:
            torch.set_num_threads(args.threads)
    info = machine()
    rounds = args.repeat or (3 if args.quick else 9)
    min_seconds = 0.05 if args.quick else 0.5
    results: list[Result] = []
    bar = tqdm(workloads, unit="workload", disable=args.no_progress, file=sys.stderr)
    for w in bar:
        bar.set_description(f"{w.name} {w.pass_}")
        ours, ref = w.make()
        if torch is None:
            ref = None
        t_ours, t_ref, n = time_pair(ours, ref, rounds, min_seconds)
        results.append(
            Result(
                w.group,
                w.name,
                w.pass_,
                t_ours * 1e3,
                None if t_ref is None else t_ref * 1e3,
                None if t_ref is None else t_ours / t_ref,
                n,
            )
        )
        del ours, ref
    table = format_table(results, info)
    print(table)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "bench.json"
    json_path.write_text(
        json.dumps(
            {"machine": info, "quick": args.quick, "results": [asdict(r) for r in results]},
            indent=1,
        )
    )
    print(f"wrote {json_path}")
    if not args.no_chart:
        png = out / "bench.png"
        title = f"nnfunc / PyTorch on {info['cpu']} ({info['usable_cpus']} CPUs)" + (
            ", quick sizes" if args.quick else ""
        )
        draw_chart(results, png, title)
        print(f"wrote {png}")
    if args.compare:
        print(compare(results, Path(args.compare)))
    return 0


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``bench`` subcommand."""
    p = subparsers.add_parser(
        "bench",
        help="time nnfunc side by side with PyTorch; table, JSON and chart",
        description=(
            "Run the side-by-side benchmarks of the checkout's benchmarks/ folder against "
            "PyTorch (when installed); print a table of medians and ratios, write bench.json "
            "and a bar chart bench.png of the ratios."
        ),
    )
    p.add_argument(
        "--only", default=None, help="comma-separated groups or name parts: conv,softmax"
    )
    p.add_argument("--quick", action="store_true", help="small sizes (about a minute in all)")
    p.add_argument("--repeat", type=int, default=None, help="rounds per workload")
    p.add_argument("--output", default="bench-results", help="folder for bench.json and bench.png")
    p.add_argument("--compare", default=None, help="an earlier bench.json to compare with")
    p.add_argument("--dir", default=None, help="the benchmarks folder (default: the checkout's)")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for both libraries (nnfunc's kernels and PyTorch's intra-op pool)",
    )
    p.add_argument("--no-chart", action="store_true", help="skip the PNG (no matplotlib needed)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(run=run)
    return p
