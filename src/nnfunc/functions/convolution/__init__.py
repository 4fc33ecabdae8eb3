"""Convolution family: conv, transposed, depthwise and separable forms, adaptive and patch ops."""

from nnfunc.functions.convolution._conv import (
    conv,
    conv_transpose,
    depthwise_conv,
    depthwise_conv_transpose,
    separable_conv,
)

__all__ = [
    "conv",
    "conv_transpose",
    "depthwise_conv",
    "depthwise_conv_transpose",
    "separable_conv",
]
