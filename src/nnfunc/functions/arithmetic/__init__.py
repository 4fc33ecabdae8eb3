"""Element-wise arithmetic (catalog family 19)."""

from nnfunc.functions.arithmetic._basic import add, div, maximum, minimum, mul, neg, pow, sub

__all__ = ["add", "div", "maximum", "minimum", "mul", "neg", "pow", "sub"]
