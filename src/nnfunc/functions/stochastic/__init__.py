"""Stochastic functions (catalog family 17): dropout, samplers, augmentation; and the special
layers of family 26 (vat_noise, sink, warp_by_flow), which live here with the random functions."""

from nnfunc.functions.stochastic._augment import (
    random_crop,
    random_erase,
    random_flip,
    random_shift,
)
from nnfunc.functions.stochastic._dropout import dropout
from nnfunc.functions.stochastic._image_augmentation import image_augmentation
from nnfunc.functions.stochastic._samplers import (
    rand,
    rand_beta,
    rand_binomial,
    rand_gamma,
    randint,
    randn,
    random_choice,
)
from nnfunc.functions.stochastic._special import sink, vat_noise, warp_by_flow

__all__ = [
    "dropout",
    "image_augmentation",
    "rand",
    "rand_beta",
    "rand_binomial",
    "rand_gamma",
    "randint",
    "randn",
    "random_choice",
    "random_crop",
    "random_erase",
    "random_flip",
    "random_shift",
    "sink",
    "vat_noise",
    "warp_by_flow",
]
