"""Comparison and logical functions (catalog family 20)."""

from nnfunc.functions.logical._compare import (
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    not_equal,
    where,
)

__all__ = ["equal", "greater", "greater_equal", "less", "less_equal", "not_equal", "where"]
