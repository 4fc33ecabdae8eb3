"""Command line: ``python -m nnfunc coverage``, ``demo`` and ``bench``.

Run ``python -m nnfunc --help`` for the options. The subcommands live in :mod:`nnfunc._cli`
and import their heavier dependencies (scikit-learn, tqdm) only when they run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m nnfunc``."""
    from nnfunc._cli import bench, coverage, demo

    parser = argparse.ArgumentParser(
        prog="python -m nnfunc",
        description="nnfunc: neural-network functions on NumPy arrays with autodiff.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    coverage.add_parser(sub)
    demo.add_parser(sub)
    bench.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (``sys.argv[1:]`` by default); return the exit code."""
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
