"""Short-time Fourier transform and its inverse (NNabla's definitions).

Two linear primitives do the work, each the other's adjoint:

* analysis ``(B, L) -> (B, K, F)`` (real and imaginary parts): frames of ``n_fft`` samples every
  ``hop`` samples, times a window, real FFT (``numpy.fft.rfft``), times a per-bin coefficient;
* synthesis ``(B, K, F) -> (B, L)``: per-bin coefficient, inverse real FFT (``irfft``), times a
  window, overlap-add.

``stft`` is padding followed by analysis; ``istft`` is synthesis (NNabla's coefficients and its
constant-square inverse window) followed by removing the centre padding. The gradient of each
primitive is the other one with the same window and coefficients, so derivatives of any order
come from the same two Functions. Work is done in batch chunks so that the framed signal stays
in cache-sized pieces.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.signal._common import as_spec, real_input, work_dtype
from nnfunc.kernels.cpu._threads import row_ranges, run

__all__ = ["istft", "stft"]

_WINDOWS = ("hanning", "hamming", "rectangular", None)
#: largest ``fft_size`` / ``window_size`` accepted (the window and one frame are allocated)
MAX_FFT = 1 << 24
#: elements of framed signal handled per chunk
_CHUNK = 1 << 20


def window(window_type: str | None, window_size: int, fft_size: int) -> np.ndarray:
    """NNabla's analysis window: periodic Hann/Hamming (or ones) of ``window_size`` samples,
    zero-padded to ``fft_size`` with ``(fft_size - window_size) // 2`` zeros on the left."""
    i = np.arange(window_size)
    if window_type == "hanning":
        w = 0.5 - 0.5 * np.cos(2.0 * np.pi * i / window_size)
    elif window_type == "hamming":
        w = 0.54 - 0.46 * np.cos(2.0 * np.pi * i / window_size)
    else:
        w = np.ones(window_size)
    out = np.zeros(fft_size)
    left = (fft_size - window_size) // 2
    out[left : left + window_size] = w
    return out


def _check_common(
    op: str, window_size: Any, stride: Any, fft_size: Any, window_type: Any
) -> tuple[int, int, int]:
    window_size = check.positive_int(op, "window_size", window_size)
    stride = check.positive_int(op, "stride", stride)
    fft_size = check.positive_int(op, "fft_size", fft_size)
    for arg, v in (("window_size", window_size), ("fft_size", fft_size), ("stride", stride)):
        if v > MAX_FFT:
            raise ArgumentError(check.message(op, arg, f"be <= {MAX_FFT}", **{arg: v}))
    if window_size > fft_size:
        raise ArgumentError(
            check.message(
                op, "window_size", "be <= fft_size", window_size=window_size, fft_size=fft_size
            )
        )
    check.choice(op, "window_type", window_type, _WINDOWS)
    return window_size, stride, fft_size


def _split_rows(xp: Any, fn: Any, rows: int, per_row: int) -> None:
    """``fn(start, stop)`` over batch-row ranges, on the kernel thread pool for NumPy arrays
    (pocketfft releases the GIL; each range writes only its own rows)."""
    if xp is np:
        run(fn, row_ranges(rows, per_row))
    else:
        fn(0, rows)


def _hermitian_weights(n_fft: int) -> np.ndarray:
    """``m_k``: how often bin ``k`` of a real FFT counts in the full spectrum (1 for DC and
    Nyquist, 2 otherwise), the factor ``irfft`` applies."""
    k = n_fft // 2 + 1
    m = np.full(k, 2.0)
    m[0] = 1.0
    if n_fft % 2 == 0:
        m[-1] = 1.0
    return m


class _Frames:
    """Shared parameters of the two primitives."""

    def __init__(self, win: np.ndarray, hop: int, coef: np.ndarray) -> None:
        self.win = win
        self.n_fft = len(win)
        self.hop = hop
        self.coef = coef
        self.bins = self.n_fft // 2 + 1


def check_spectra(op: str, p: _Frames, present: list) -> None:
    """``(name, spec)`` pairs of the spectra: rank 3, ``fft_size // 2 + 1`` bins, same shape."""
    for n, s in present:
        check.ndim(op, n, s, 3)
        if s.shape[1] is not None and s.shape[1] != p.bins:
            raise ShapeError(
                check.message(
                    op,
                    n,
                    f"have fft_size // 2 + 1 = {p.bins} frequency bins on axis 1",
                    **{f"{n}.shape": tuple(s.shape)},
                )
            )
    if len(present) == 2:
        a, b = present[0][1].shape, present[1][1].shape
        if any(u is not None and v is not None and u != v for u, v in zip(a, b, strict=True)):
            raise ShapeError(
                check.message(
                    op,
                    "`y_r` and `y_i`",
                    "have the same shape",
                    **{"y_r.shape": tuple(a), "y_i.shape": tuple(b)},
                )
            )


class STFTAnalysis(Function):
    """Windowed frames -> real FFT -> per-bin coefficient (real and imaginary parts)."""

    op_name = "stft"
    input_names = ("x",)

    def __init__(self, p: _Frames, n_frames: int | None = None) -> None:
        self.p = p
        self.n_frames = n_frames

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        self.out_dtype = real_input(op, "x", x)
        check.ndim(op, "x", x, 2)
        b, n = x.shape
        p = self.p
        frames = self.n_frames
        if n is not None:
            if n < p.n_fft:
                raise ShapeError(
                    check.message(
                        op,
                        "x",
                        "have at least fft_size samples after padding",
                        samples=n,
                        fft_size=p.n_fft,
                    )
                )
            avail = (n - p.n_fft) // p.hop + 1
            frames = avail if frames is None else min(frames, avail)
            self.extra = n - ((frames - 1) * p.hop + p.n_fft)
        elif frames is None:
            self.retain_inputs(0)  # graph mode: the gradient takes the length from x
        self.frames = frames
        spec = TensorSpec((b, p.bins, frames), self.out_dtype)
        return (spec, spec)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        p = self.p
        work = work_dtype(self.out_dtype)
        bsz = x.shape[0]
        yr = xp.empty((bsz, p.bins, self.frames), dtype=self.out_dtype)
        yi = xp.empty_like(yr)
        if yr.size == 0:
            return (yr, yi)
        xw = x.astype(work, copy=False)
        view = xp.lib.stride_tricks.sliding_window_view(xw, p.n_fft, axis=-1)
        view = view[:, :: p.hop][:, : self.frames]
        win = xp.asarray(p.win, dtype=work)
        coef = None if np.all(p.coef == 1.0) else xp.asarray(p.coef, dtype=work)
        step = max(1, _CHUNK // (self.frames * p.n_fft))

        def rows(r0: int, r1: int) -> None:
            for b0 in range(r0, r1, step):
                b1 = min(r1, b0 + step)
                spec = xp.fft.rfft(view[b0:b1] * win, axis=-1)
                if coef is not None:
                    spec *= coef
                yr[b0:b1] = spec.real.transpose(0, 2, 1)
                yi[b0:b1] = spec.imag.transpose(0, 2, 1)

        _split_rows(xp, rows, bsz, self.frames * p.n_fft)
        return (yr, yi)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        like = self.retained_inputs()[0] if self.retain_in else None
        extra = getattr(self, "extra", 0)
        syn = STFTSynthesis(self.p, extra, self.input_spec(0).dtype)
        gr, gi = grad_outputs
        return (syn.apply1(gr, gi, like),)


class STFTSynthesis(Function):
    """Per-bin coefficient -> inverse real FFT -> window -> overlap-add."""

    op_name = "istft"
    input_names = ("y_r", "y_i", "x")

    def __init__(self, p: _Frames, extra: int = 0, out_dtype: Any = None) -> None:
        self.p = p
        self.extra = extra
        self.req_dtype = out_dtype

    def setup(self, yr: Any, yi: Any, like: Any = None) -> tuple[TensorSpec, ...]:
        op = self.op_name
        p = self.p
        present = [(n, s) for n, s in (("y_r", yr), ("y_i", yi)) if s is not None]
        dtypes = [real_input(op, n, s) for n, s in present]
        dtype = np.result_type(*dtypes) if dtypes else np.dtype(np.float32)
        if self.req_dtype is not None and np.dtype(self.req_dtype).kind == "f":
            dtype = np.dtype(self.req_dtype)
        self.out_dtype = dtype
        check_spectra(op, p, present)
        ref = present[0][1].shape
        bsz, frames = ref[0], ref[2]
        if frames is not None and frames < 1:
            raise ShapeError(
                check.message(op, present[0][0], "have at least one frame", frames=frames)
            )
        if like is not None:
            length = like.shape[-1]
        elif frames is None:
            length = None
        else:
            length = (frames - 1) * p.hop + p.n_fft + self.extra
        self.frames = frames
        self.length = length
        return (TensorSpec((bsz, length), self.out_dtype),)

    def forward(self, xp: Any, yr: Any, yi: Any, like: Any = None) -> tuple[Any, ...]:
        p = self.p
        work = work_dtype(self.out_dtype)
        ref = yr if yr is not None else yi
        bsz = ref.shape[0]
        frames = self.frames
        out = xp.zeros((bsz, self.length), dtype=work)
        if out.size == 0 or frames == 0:
            return (out.astype(self.out_dtype, copy=False),)
        hcoef = xp.asarray(p.coef * p.n_fft / _hermitian_weights(p.n_fft), dtype=work)
        win = xp.asarray(p.win, dtype=work)
        r = -(-p.n_fft // p.hop)
        blocks = frames + r - 1
        step = max(1, _CHUNK // (frames * r * p.hop))

        def rows(r0: int, r1: int) -> None:
            for b0 in range(r0, r1, step):
                b1 = min(r1, b0 + step)
                self._chunk(xp, yr, yi, b0, b1, hcoef, win, r, blocks, work, out)

        _split_rows(xp, rows, bsz, frames * p.n_fft)
        return (out.astype(self.out_dtype, copy=False),)

    def _chunk(self, xp, yr, yi, b0, b1, hcoef, win, r, blocks, work, out) -> None:
        p, frames = self.p, self.frames
        spec = xp.zeros((b1 - b0, frames, p.bins), dtype=np.result_type(work, np.complex64))
        if yr is not None:
            spec.real = yr[b0:b1].transpose(0, 2, 1)
        if yi is not None:
            spec.imag = yi[b0:b1].transpose(0, 2, 1)
        spec *= hcoef
        fr = xp.fft.irfft(spec, n=p.n_fft, axis=-1).astype(work, copy=False)
        fr *= win
        if r * p.hop != p.n_fft:
            pad = xp.zeros((*fr.shape[:2], r * p.hop - p.n_fft), dtype=work)
            fr = xp.concatenate([fr, pad], axis=-1)
        fr = fr.reshape(b1 - b0, frames, r, p.hop)
        acc = xp.zeros((b1 - b0, blocks, p.hop), dtype=work)
        for j in range(r):
            acc[:, j : j + frames] += fr[:, :, j]
        flat = acc.reshape(b1 - b0, blocks * p.hop)
        n = min(self.length, flat.shape[1])
        out[b0:b1, :n] = flat[:, :n]

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        ana = STFTAnalysis(self.p, self.frames)
        gr, gi = ana.apply(grad_outputs[0])
        return (gr if 0 in target_indexes else None, gi if 1 in target_indexes else None, None)


def stft(
    x: Any,
    window_size: int,
    stride: int,
    fft_size: int,
    *,
    window_type: str | None = "hanning",
    center: bool = True,
    pad_mode: str = "reflect",
    name: str | None = None,
) -> tuple[Any, Any]:
    r"""Short-time Fourier transform of a batch of signals (NNabla's definition).

    .. math::
        Y[b, k, f] = \sum_{t=0}^{N-1} w[t]\, x_p[b, f s + t]\, e^{-2\pi j k t / N},
        \quad k = 0 .. N/2

    ``N = fft_size``, ``s = stride``; ``w`` is the periodic Hann (``0.5 - 0.5 cos(2 pi i /
    W)``), Hamming (``0.54 - 0.46 cos(2 pi i / W)``) or rectangular window of ``W =
    window_size`` samples, zero-padded to ``N`` with ``(N - W) // 2`` zeros on the left;
    ``x_p`` is ``x`` padded by ``N // 2`` on both sides when ``center`` (``pad_mode``
    ``"reflect"``, no edge repetition, or ``"constant"`` zeros). Frames:
    ``F = (L_p - N) // s + 1``.

    Args:
        x (array, Variable or SymbolicVariable): ``(batch, samples)``, real dtype.
        window_size (int): Window length ``W`` (<= ``fft_size``).
        stride (int): Hop size ``s``.
        fft_size (int): FFT size ``N``.
        window_type (str or None): ``"hanning"`` (default), ``"hamming"``, ``"rectangular"``
            (or None).
        center (bool): Pad by ``N // 2`` on both sides. Default True.
        pad_mode (str): ``"reflect"`` (default) or ``"constant"``.
        name (str, optional): Node name in graph mode (the two outputs are ``name:0`` and
            ``name:1``); ignored in eager mode.

    Returns:
        ``(y_r, y_i)``: real and imaginary parts, each ``(batch, N // 2 + 1, F)``, x's floating
        dtype.

    Raises:
        ArgumentError: non-positive or non-integer sizes; ``window_size > fft_size``; an
            unknown ``window_type`` or ``pad_mode``; sizes above ``2**24``.
        ShapeError: ``x`` is not 2-D; fewer than ``fft_size`` samples after padding; reflect
            padding longer than the signal allows.
        DTypeError: ``x`` is complex, object or string.

    Notes:
        ``numpy.fft.rfft`` on windowed frames (no hand-written DFT). Gradient: the adjoint
        (inverse real FFT of the bin-weighted gradient, windowed and overlap-added, then the
        padding's adjoint), differentiable again. NNabla ``stft(x, window_size, stride,
        fft_size, window_type='hanning', center=True, pad_mode='reflect')``; equals
        ``torch.stft(x, fft_size, stride, window_size, torch.hann_window(window_size),
        center, pad_mode, return_complex=True)`` (PyTorch's window is periodic and centred
        the same way).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> yr, yi = nf.stft(np.ones((1, 8), np.float32), 4, 2, 4, window_type="rectangular")
        >>> yr
        array([[[4., 4., 4., 4., 4.],
                [0., 0., 0., 0., 0.],
                [0., 0., 0., 0., 0.]]], dtype=float32)
    """
    op = "stft"
    with shapes.node_errors(name, x):
        window_size, stride, fft_size = _check_common(
            op, window_size, stride, fft_size, window_type
        )
        center = check.boolean(op, "center", center)
        pad_mode = check.choice(op, "pad_mode", pad_mode, ("reflect", "constant"))
        p = _Frames(window(window_type, window_size, fft_size), stride, np.ones(fft_size // 2 + 1))
        if center and fft_size // 2 > 0:
            spec_shape = getattr(x, "shape", np.shape(x))
            if len(spec_shape) == 2:
                n = spec_shape[1]
                if pad_mode == "reflect" and n is not None and n <= fft_size // 2:
                    raise ShapeError(
                        check.message(
                            op,
                            "x",
                            "have more than fft_size // 2 samples for reflect padding",
                            samples=n,
                            fft_size=fft_size,
                        )
                    )
                x = F.pad(x, (fft_size // 2, fft_size // 2), mode=pad_mode)
    return STFTAnalysis(p).apply(x, name=name)


def istft(
    y_r: Any,
    y_i: Any,
    window_size: int,
    stride: int,
    fft_size: int,
    *,
    window_type: str | None = "hanning",
    center: bool = True,
    name: str | None = None,
) -> Any:
    r"""Inverse short-time Fourier transform with NNabla's constant-square inverse window.

    .. math::
        x_p[b, f s + t] \mathrel{+}= \frac{w[t]}{v[t]} \sum_{k=0}^{N/2} \alpha_k
            \left(Y_r[b,k,f] \cos\frac{2\pi k t}{N} - Y_i[b,k,f] \sin\frac{2\pi k t}{N}\right)

    with ``alpha_k = 1/N`` for ``k = 0`` and (even ``N``) ``k = N / 2``, ``2/N`` otherwise;
    ``w`` the analysis window of :func:`nnfunc.stft`, and ``v[t] = sum_{i = 0, s, 2s, ..< N}
    w[(t - i) mod N]^2`` the overlapped squared window, assumed constant along the signal. The
    result is ``x_p`` of length ``(F - 1) s + N``, without its first and last ``N // 2``
    samples when ``center``. Samples covered by fewer than ``N / s`` frames (the first and last
    ``N - s``) are not perfectly reconstructed.

    Args:
        y_r (array, Variable or SymbolicVariable): Real part ``(batch, N // 2 + 1, F)``.
        y_i (array, Variable or SymbolicVariable): Imaginary part, same shape.
        window_size (int): Window length (<= ``fft_size``).
        stride (int): Hop size; must divide ``fft_size``.
        fft_size (int): FFT size ``N``.
        window_type (str or None): ``"hanning"`` (default), ``"hamming"``, ``"rectangular"``
            (or None).
        center (bool): The frames were centred (``stft(center=True)``). Default True.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(batch, (F - 1) * stride + N - 2 * (N // 2))`` (``center``) or ``(batch, (F - 1) *
        stride + N)``, the inputs' floating dtype.

    Raises:
        ArgumentError: non-positive sizes; ``window_size > fft_size``; ``fft_size`` not a
            multiple of ``stride``; an unknown ``window_type``.
        ShapeError: inputs not 3-D, of different shapes, or without ``N // 2 + 1`` bins.
        DTypeError: complex, object or string inputs.

    Notes:
        ``numpy.fft.irfft`` per frame, windowed, overlap-added (no hand-written DFT); where
        ``v`` is 0 the synthesis window is 0. For an odd ``fft_size`` NNabla 1.39 weights the
        last bin by ``1/N`` as if it were a Nyquist bin, so its own round trip is inexact; this
        implementation uses ``2/N`` there (identical results for even sizes). Gradient: the
        adjoint (the analysis transform with the synthesis window and the ``alpha_k``),
        differentiable again. NNabla
        ``istft(y_r, y_i, window_size, stride, fft_size, window_type='hanning', center=True)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.random.default_rng(0).standard_normal((1, 64))
        >>> y = nf.istft(*nf.stft(x, 16, 4, 16), 16, 4, 16)
        >>> y.shape, bool(np.allclose(y[:, 12:-12], x[:, 12:-12]))
        ((1, 64), True)
    """
    op = "istft"
    with shapes.node_errors(name, y_r, y_i):
        window_size, stride, fft_size = _check_common(
            op, window_size, stride, fft_size, window_type
        )
        center = check.boolean(op, "center", center)
        if fft_size % stride:
            raise ArgumentError(
                check.message(op, "stride", "divide fft_size", stride=stride, fft_size=fft_size)
            )
        w = window(window_type, window_size, fft_size)
        sq = w * w
        v = sum(np.roll(sq, s) for s in range(0, fft_size, stride))
        with np.errstate(divide="ignore", invalid="ignore"):
            syn = np.where(v > 0, w / np.where(v > 0, v, 1.0), 0.0)
        # 1/N for DC and (even N) Nyquist, 2/N otherwise. NNabla 1.39 also gives bin N // 2 of
        # an ODD N the weight 1/N, which breaks its own reconstruction; we use 2/N there.
        coef = _hermitian_weights(fft_size) / fft_size
        p = _Frames(syn, stride, coef)
        specs = [("y_r", as_spec(y_r)), ("y_i", as_spec(y_i))]
        check_spectra(op, p, [(n, s) for n, s in specs if s is not None])
    half = fft_size // 2
    if not center or half == 0:
        return STFTSynthesis(p).apply1(y_r, y_i, name=name)
    x = STFTSynthesis(p).apply1(y_r, y_i)
    return F.getitem(x, (slice(None), slice(half, -half)), name=name)
