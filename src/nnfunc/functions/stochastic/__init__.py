"""Stochastic functions (catalog family 17): dropout, samplers, augmentation; and the special
layers of family 26 (vat_noise, sink, warp_by_flow), which live here with the random functions."""

from nnfunc.functions.stochastic._dropout import dropout
from nnfunc.functions.stochastic._samplers import (
    rand,
    rand_beta,
    rand_binomial,
    rand_gamma,
    randint,
    randn,
    random_choice,
)

__all__ = [
    "dropout",
    "rand",
    "rand_beta",
    "rand_binomial",
    "rand_gamma",
    "randint",
    "randn",
    "random_choice",
]
