"""Comparison and logical functions (catalog family 20)."""

from nnfunc.functions.logical import _compare, _logical
from nnfunc.functions.logical._compare import *  # noqa: F403
from nnfunc.functions.logical._logical import *  # noqa: F403

# Each part lists its functions once, in its own ``__all__``.
__all__ = sorted([*_compare.__all__, *_logical.__all__])
