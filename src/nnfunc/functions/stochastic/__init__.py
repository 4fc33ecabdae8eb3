"""Stochastic functions (catalog family 17): dropout, samplers, augmentation; and the special
layers of family 26 (vat_noise, sink, warp_by_flow), which live here with the random functions."""

from nnfunc.functions.stochastic import (
    _augment,
    _dropout,
    _image_augmentation,
    _samplers,
    _special,
)
from nnfunc.functions.stochastic._augment import *  # noqa: F403
from nnfunc.functions.stochastic._dropout import *  # noqa: F403
from nnfunc.functions.stochastic._image_augmentation import *  # noqa: F403
from nnfunc.functions.stochastic._samplers import *  # noqa: F403
from nnfunc.functions.stochastic._special import *  # noqa: F403

# Each part lists its functions once, in its own ``__all__``.
__all__ = sorted(
    [
        *_augment.__all__,
        *_dropout.__all__,
        *_image_augmentation.__all__,
        *_samplers.__all__,
        *_special.__all__,
    ]
)
