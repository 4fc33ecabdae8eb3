"""Quantization (catalog family 25): simulated low-precision layers and quantizers."""

from nnfunc.functions.quantization import _binary, _inq, _quantize
from nnfunc.functions.quantization._binary import *  # noqa: F403
from nnfunc.functions.quantization._inq import *  # noqa: F403
from nnfunc.functions.quantization._quantize import *  # noqa: F403

# Each part lists its functions once, in its own ``__all__``.
__all__ = sorted([*_binary.__all__, *_inq.__all__, *_quantize.__all__])
