"""Reductions (catalog family 18)."""

from nnfunc.functions.reduction._minmax import max, min, prod
from nnfunc.functions.reduction._sum import mean, sum

__all__ = ["max", "mean", "min", "prod", "sum"]
