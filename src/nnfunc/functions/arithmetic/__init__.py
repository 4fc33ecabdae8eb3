"""Element-wise arithmetic (catalog family 19)."""

from nnfunc.functions.arithmetic._nary import (
    add_n,
    add_scalar,
    maximum_scalar,
    minimum_scalar,
    mul_n,
    mul_scalar,
    pow_scalar,
    r_div_scalar,
    r_pow_scalar,
    r_sub_scalar,
)
from nnfunc.functions.arithmetic._operators import add, div, maximum, minimum, mul, neg, pow, sub

__all__ = [
    "add",
    "add_n",
    "add_scalar",
    "div",
    "maximum",
    "maximum_scalar",
    "minimum",
    "minimum_scalar",
    "mul",
    "mul_n",
    "mul_scalar",
    "neg",
    "pow",
    "pow_scalar",
    "r_div_scalar",
    "r_pow_scalar",
    "r_sub_scalar",
    "sub",
]
