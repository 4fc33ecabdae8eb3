"""Activation functions (catalog families 1-3): rectifiers, smooth activations, softmax."""

from nnfunc.functions.activation._derivatives import (
    hard_tanh_derivative,
    leaky_relu_derivative,
    sigmoid_derivative,
    softmax_derivative,
    softsign_derivative,
)
from nnfunc.functions.activation._relu import crelu, leaky_relu, prelu, relu, relu6
from nnfunc.functions.activation._sigmoid_tanh_softplus import sigmoid, softplus, tanh
from nnfunc.functions.activation._smooth import (
    concat_elu,
    elu,
    gelu,
    hard_sigmoid,
    hard_silu,
    hard_tanh,
    log_sigmoid,
    selu,
    silu,
    sinc,
    softsign,
    tanh_shrink,
)
from nnfunc.functions.activation._softmax import log_softmax, softmax

__all__ = [
    "concat_elu",
    "crelu",
    "elu",
    "gelu",
    "hard_sigmoid",
    "hard_silu",
    "hard_tanh",
    "hard_tanh_derivative",
    "leaky_relu",
    "leaky_relu_derivative",
    "log_sigmoid",
    "log_softmax",
    "prelu",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "sigmoid_derivative",
    "silu",
    "sinc",
    "softmax",
    "softmax_derivative",
    "softplus",
    "softsign",
    "softsign_derivative",
    "tanh",
    "tanh_shrink",
]
