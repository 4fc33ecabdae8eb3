"""Activation functions (catalog families 1-4)."""

from nnfunc.functions.activation._relu import relu

__all__ = ["relu"]
