"""Subcommands of ``python -m nnfunc`` (one module each, with ``add_parser`` and ``run``)."""
