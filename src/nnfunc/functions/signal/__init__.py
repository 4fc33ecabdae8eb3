"""Signal processing (catalog family 24): resizing, FFTs and short-time Fourier transforms."""

from nnfunc.functions.signal._fft import fft, ifft
from nnfunc.functions.signal._interpolate import interpolate
from nnfunc.functions.signal._stft import istft, stft

__all__ = ["fft", "ifft", "interpolate", "istft", "stft"]
