"""Dense layers and bias addition (catalog family 4)."""

from nnfunc.functions.linear._dense import bias_add, linear, relu_layer

__all__ = ["bias_add", "linear", "relu_layer"]
