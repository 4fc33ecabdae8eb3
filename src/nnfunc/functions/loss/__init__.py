"""Losses (catalog family 13): cross-entropies on logits and probabilities, regression losses."""

from nnfunc.functions.loss._categorical import (
    categorical_cross_entropy,
    softmax_cross_entropy_with_logits,
    sparse_categorical_cross_entropy,
    sparse_softmax_cross_entropy_with_logits,
)
from nnfunc.functions.loss._logistic import (
    binary_cross_entropy,
    sigmoid_cross_entropy_with_logits,
    weighted_cross_entropy_with_logits,
)
from nnfunc.functions.loss._regression import (
    absolute_error,
    epsilon_insensitive_loss,
    huber_loss,
    kl_multinomial,
    l2_loss,
    log_poisson_loss,
    squared_error,
)

__all__ = [
    "absolute_error",
    "binary_cross_entropy",
    "categorical_cross_entropy",
    "epsilon_insensitive_loss",
    "huber_loss",
    "kl_multinomial",
    "l2_loss",
    "log_poisson_loss",
    "sigmoid_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits",
    "sparse_categorical_cross_entropy",
    "sparse_softmax_cross_entropy_with_logits",
    "squared_error",
    "weighted_cross_entropy_with_logits",
]
