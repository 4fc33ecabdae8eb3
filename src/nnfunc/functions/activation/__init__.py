"""Activation functions (catalog families 1-4)."""

from nnfunc.functions.activation._basic import sigmoid, softplus, tanh
from nnfunc.functions.activation._relu import relu
from nnfunc.functions.activation._softmax import log_softmax, softmax

__all__ = ["log_softmax", "relu", "sigmoid", "softmax", "softplus", "tanh"]
