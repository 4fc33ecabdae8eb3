"""Reductions (catalog family 18)."""

from nnfunc.functions.reduction._sum import mean, sum

__all__ = ["mean", "sum"]
