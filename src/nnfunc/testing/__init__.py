"""Test utilities: the function test harness and gradient checks."""

from nnfunc.testing.function_test import (
    TOLERANCES,
    FunctionTestCase,
    assert_raises_both_modes,
    parametrize_class,
)
from nnfunc.testing.gradient_check import (
    check_backward,
    check_double_backward,
    directional_derivative,
)

__all__ = [
    "TOLERANCES",
    "FunctionTestCase",
    "assert_raises_both_modes",
    "check_backward",
    "check_double_backward",
    "directional_derivative",
    "parametrize_class",
]
