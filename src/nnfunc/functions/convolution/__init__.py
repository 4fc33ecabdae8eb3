"""Convolution family: conv, transposed, depthwise and separable forms, adaptive and patch ops."""

from nnfunc.functions.convolution._adaptive import adaptive_separable_convolution
from nnfunc.functions.convolution._conv import (
    conv,
    conv_transpose,
    depthwise_conv,
    depthwise_conv_transpose,
    separable_conv,
)
from nnfunc.functions.convolution._correlation import patch_correlation

__all__ = [
    "adaptive_separable_convolution",
    "conv",
    "conv_transpose",
    "depthwise_conv",
    "depthwise_conv_transpose",
    "patch_correlation",
    "separable_conv",
]
