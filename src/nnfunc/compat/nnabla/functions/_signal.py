"""nnabla.functions signal-processing entries (NNabla 1.39): interpolate, fft, ifft, stft, istft.

Complex tensors use NNabla's real layout (a trailing axis of 2: real, imaginary). NNabla's
``n_outputs`` and ``outputs``: see :mod:`nnfunc.compat.nnabla.functions`.
"""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.compat._common import same_as, tensor_args
from nnfunc.compat.nnabla._imperative import outputs_in_place

__all__ = ["fft", "ifft", "interpolate", "istft", "stft"]


interpolate = same_as(
    F.interpolate,
    """Resize the last ``nd`` dimensions (``nd = len(scale)`` or ``len(output_size)``).

    See :func:`nnfunc.interpolate` for the coordinate rules (the page's table, with
    ``align_corners`` and ``half_pixel`` both True not supported).

    Returns:
        The resized array.

    Examples:
        The page's shapes (a graph placeholder: nothing is computed):

        >>> g = nf.Graph()
        >>> x = g.placeholder("x", (64, 3, 224, 224), np.float32)
        >>> F.interpolate(x, scale=(2, 2), mode='linear').shape
        (64, 3, 448, 448)
        >>> F.interpolate(x, output_size=(320, 257), mode='linear').shape
        (64, 3, 320, 257)
        >>> F.interpolate(np.array([[0.0, 1.0]], np.float32), scale=(2,), half_pixel=True)
        array([[0.  , 0.25, 0.75, 1.  ]], dtype=float32)
    """,
    positional=True,
)


@outputs_in_place
@tensor_args("x")
def fft(
    x: Any,
    signal_ndim: int,
    normalized: bool = False,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Complex-to-complex DFT over the last ``signal_ndim`` signal axes (see :func:`nnfunc.fft`).

    Args:
        x: ``(..., N_1, .., N_d, 2)`` with ``x[..., 0]`` real and ``x[..., 1]`` imaginary.
        signal_ndim (int): 1, 2 or 3.
        normalized (bool): Orthonormal scaling. Default False.
        name (str, optional): Node name in graph mode.

    Returns:
        The transform, same shape.

    Examples:
        The page's batched 2-D FFT and IFFT (batch 2, data 4x3):

        >>> x_data = np.random.rand(2, 4, 3) + 1j * np.random.rand(2, 4, 3)
        >>> x = np.stack([np.real(x_data), np.imag(x_data)], axis=3)
        >>> y = F.fft(x, signal_ndim=2, normalized=True)
        >>> z = F.ifft(y, signal_ndim=2, normalized=True)
        >>> np.allclose(z[..., 0] + 1j*z[..., 1], x_data)
        True
    """
    return F.fft(x, signal_ndim, normalized=normalized, name=name)


@outputs_in_place
@tensor_args("x")
def ifft(
    x: Any,
    signal_ndim: int,
    normalized: bool = False,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Inverse complex-to-complex DFT (``1/prod N`` unnormalized); see :func:`nnfunc.ifft`.

    Args:
        x: ``(..., N_1, .., N_d, 2)``, real/imaginary layout.
        signal_ndim (int): 1, 2 or 3.
        normalized (bool): Orthonormal scaling. Default False.
        name (str, optional): Node name in graph mode.

    Returns:
        The inverse transform, same shape.

    Examples:
        >>> F.ifft(np.array([[4.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]), 1)
        array([[1., 0.],
               [1., 0.],
               [1., 0.],
               [1., 0.]])
    """
    return F.ifft(x, signal_ndim, normalized=normalized, name=name)


stft = same_as(
    F.stft,
    """Short-time Fourier transform of ``(batch_size, sample_size)`` signals.

    See :func:`nnfunc.stft` (periodic window centred in ``fft_size``; ``center`` pads by
    ``fft_size // 2`` with ``pad_mode``).

    Returns:
        ``(y_r, y_i)``, each ``(batch_size, fft_size // 2 + 1, frames)``.

    Examples:
        >>> y_r, y_i = F.stft(np.zeros((2, 100), np.float32), 32, 8, 32)
        >>> y_r.shape, y_i.shape
        ((2, 17, 13), (2, 17, 13))
    """,
    positional=True,
    tensors=("x",),
)


istft = same_as(
    F.istft,
    """Inverse STFT with NNabla's constant square inverse window (see :func:`nnfunc.istft`).

    The first and last ``fft_size - stride`` samples are not perfectly reconstructed.

    Returns:
        ``(batch_size, sample_size)``.

    Examples:
        >>> x = np.random.default_rng(0).standard_normal((1, 96))
        >>> y = F.istft(*F.stft(x, 32, 8, 32), 32, 8, 32)
        >>> bool(np.allclose(y[:, 24:-24], x[:, 24:-24]))
        True
    """,
    positional=True,
    tensors=("y_r", "y_i"),
)
