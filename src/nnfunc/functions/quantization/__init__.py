"""Quantization (catalog family 25): simulated low-precision layers and quantizers."""

from nnfunc.functions.quantization._binary import (
    binary_connect_affine,
    binary_connect_convolution,
    binary_sigmoid,
    binary_tanh,
    binary_weight_affine,
    binary_weight_convolution,
)
from nnfunc.functions.quantization._inq import inq_affine, inq_convolution
from nnfunc.functions.quantization._quantize import (
    fixed_point_quantize,
    min_max_quantize,
    pow2_quantize,
    prune,
)

__all__ = [
    "binary_connect_affine",
    "binary_connect_convolution",
    "binary_sigmoid",
    "binary_tanh",
    "binary_weight_affine",
    "binary_weight_convolution",
    "fixed_point_quantize",
    "inq_affine",
    "inq_convolution",
    "min_max_quantize",
    "pow2_quantize",
    "prune",
]
