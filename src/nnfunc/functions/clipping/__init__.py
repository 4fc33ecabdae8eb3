"""Clipping and gradient control (catalog family 9)."""

from nnfunc.functions.clipping import _clip
from nnfunc.functions.clipping._clip import *  # noqa: F403

# The part lists its functions once, in its own ``__all__``.
__all__ = sorted(_clip.__all__)
