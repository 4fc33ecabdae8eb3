"""Complex-to-complex DFTs on NNabla's real layout (a trailing axis of 2: real, imaginary).

``numpy.fft`` (pocketfft) does the transforms. With ``x`` viewed as complex, the DFT is a
complex-linear map ``A``; for a real loss the gradient of its real/imaginary view is ``A^H`` of
the output gradient, again a DFT: the adjoint of ``fft`` is the inverse transform with the dual
normalisation (``"backward"`` <-> ``"forward"``, ``"ortho"`` stays), and vice versa. One
Function with the sign and normalisation as attributes therefore serves both transforms and all
their derivatives.
"""

from __future__ import annotations

from typing import Any

from nnfunc.core import check
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.signal._common import real_input, work_dtype

__all__ = ["fft", "ifft"]

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


class DFT(Function):
    """Function node of :func:`nnfunc.fft` and :func:`nnfunc.ifft`."""

    input_names = ("x",)

    def __init__(self, op: str, signal_ndim: Any, inverse: bool, norm: str) -> None:
        self.op_name = op
        self.signal_ndim = check.integer(op, "signal_ndim", signal_ndim)
        if not 1 <= self.signal_ndim <= 3:
            check.raise_error(
                ArgumentError,
                op,
                "signal_ndim",
                "be 1, 2 or 3",
                signal_ndim=self.signal_ndim,
            )
        self.inverse = inverse
        self.norm = norm

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        self.out_dtype = real_input(op, "x", x)
        nd = len(x.shape)
        if nd < self.signal_ndim + 1:
            raise ShapeError(
                check.message(
                    op,
                    "x",
                    f"have rank >= signal_ndim + 1 = {self.signal_ndim + 1}",
                    **{"x.shape": tuple(x.shape), "signal_ndim": self.signal_ndim},
                )
            )
        if x.shape[-1] is not None and x.shape[-1] != 2:
            raise ShapeError(
                check.message(
                    op,
                    "x",
                    "have a last axis of size 2 (real, imaginary)",
                    **{"x.shape": tuple(x.shape)},
                )
            )
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        work = work_dtype(self.out_dtype)
        z = x[..., 0].astype(work) + 1j * x[..., 1].astype(work)
        axes = tuple(range(-self.signal_ndim, 0))
        if z.size == 0:
            out = z
        else:
            f = xp.fft.ifftn if self.inverse else xp.fft.fftn
            out = f(z, axes=axes, norm=self.norm)
        y = xp.stack([out.real, out.imag], axis=-1)
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        op = "ifft" if self.op_name == "fft" else "fft"
        adj = DFT(op, self.signal_ndim, not self.inverse, _DUAL[self.norm])
        return (adj.apply1(grad_outputs[0]),)


def fft(x: Any, signal_ndim: int = 1, *, normalized: bool = False, name: str | None = None) -> Any:
    r"""Complex-to-complex discrete Fourier transform over the last 1-3 signal axes.

    .. math::
        X_{k_1..k_d} = c \sum_{n_1..n_d} x_{n_1..n_d}
            \exp\left(-2\pi j \sum_i \frac{k_i n_i}{N_i}\right)

    with ``c = 1`` (``normalized=False``) or ``1/sqrt(prod N_i)`` (orthonormal). Complex
    values are stored as a real tensor whose last axis has size 2 (``x[..., 0]`` real,
    ``x[..., 1]`` imaginary); the signal axes are the ``signal_ndim`` axes before it, any
    axes before them are batch axes.

    Args:
        x (array, Variable or SymbolicVariable): ``(*batch, N_1, .., N_d, 2)``, real dtype.
        signal_ndim (int): Number of signal axes ``d``: 1, 2 or 3. Default 1.
        normalized (bool): Orthonormal scaling. Default False.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind and shape as ``x``; x's floating dtype (integers give float32).

    Raises:
        ArgumentError: ``signal_ndim`` is not 1, 2 or 3.
        ShapeError: ``x`` has fewer than ``signal_ndim + 1`` axes or a last axis other than 2.
        DTypeError: ``x`` is complex, object or string (use the real/imaginary layout).

    Notes:
        Computed by ``numpy.fft.fftn`` (pocketfft) in the input precision (float16 in float32).
        Gradient: the adjoint transform ``A^H`` (``N * ifft`` unnormalized, ``ifft`` when
        normalized), itself differentiable. NNabla ``fft(x, signal_ndim, normalized=False)``;
        ``fft`` then ``ifft`` with the same ``normalized`` is the identity.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.fft(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], np.float32))
        array([[1., 0.],
               [1., 0.],
               [1., 0.],
               [1., 0.]], dtype=float32)
    """
    with node_errors(name, x):  # options are checked when the Function is built
        norm = "ortho" if check.boolean("fft", "normalized", normalized) else "backward"
        f = DFT("fft", signal_ndim, False, norm)
    return f.apply1(x, name=name)


def ifft(x: Any, signal_ndim: int = 1, *, normalized: bool = False, name: str | None = None) -> Any:
    r"""Inverse complex-to-complex discrete Fourier transform over the last 1-3 signal axes.

    .. math::
        x_{n_1..n_d} = c \sum_{k_1..k_d} X_{k_1..k_d}
            \exp\left(2\pi j \sum_i \frac{k_i n_i}{N_i}\right)

    with ``c = 1/prod N_i`` (``normalized=False``) or ``1/sqrt(prod N_i)``. Layout as
    :func:`nnfunc.fft` (last axis of 2: real, imaginary).

    Args:
        x (array, Variable or SymbolicVariable): ``(*batch, N_1, .., N_d, 2)``, real dtype.
        signal_ndim (int): Number of signal axes: 1, 2 or 3. Default 1.
        normalized (bool): Orthonormal scaling. Default False.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind and shape as ``x``; x's floating dtype.

    Raises:
        ArgumentError: ``signal_ndim`` is not 1, 2 or 3.
        ShapeError: ``x`` has fewer than ``signal_ndim + 1`` axes or a last axis other than 2.
        DTypeError: ``x`` is complex, object or string.

    Notes:
        ``numpy.fft.ifftn``. Gradient: the adjoint transform (``fft / N`` unnormalized, ``fft``
        normalized). NNabla ``ifft(x, signal_ndim, normalized=False)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.random.default_rng(0).standard_normal((2, 4, 3, 2))
        >>> bool(np.allclose(nf.ifft(nf.fft(x, 2), 2), x))
        True
    """
    with node_errors(name, x):  # options are checked when the Function is built
        norm = "ortho" if check.boolean("ifft", "normalized", normalized) else "backward"
        f = DFT("ifft", signal_ndim, True, norm)
    return f.apply1(x, name=name)
