"""Stochastic functions (catalog family 17)."""

from nnfunc.functions.stochastic._dropout import dropout

__all__ = ["dropout"]
