"""Element-wise math and linear algebra (catalog family 21)."""

from nnfunc.functions.math._basic import exp, log, matmul

__all__ = ["exp", "log", "matmul"]
