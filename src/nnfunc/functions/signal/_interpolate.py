"""Linear and nearest-neighbour resizing of the trailing 1-3 spatial dimensions.

Resizing is separable: each spatial axis is resampled with two taps per output point (linear;
one for nearest): the numba kernel of :mod:`nnfunc.kernels.cpu.interpolate` (one pass, rows over
threads), or without numba a small dense ``(out, in)`` GEMM (axes with ``in * out`` up to
``DENSE_LIMIT``) or the kernel module's NumPy twin (gather / segmented sums). The gradient is the
adjoint resampling with the same taps, so forward and backward cost the same and are each
other's adjoint: the gradient Function's own backward is the forward resampling again (any order
of derivatives).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.signal._common import real_input, work_dtype
from nnfunc.kernels.cpu import interpolate as resample

__all__ = ["interpolate"]

#: largest ``in * out`` resampled by a dense matrix; larger axes use gather / segmented sums
DENSE_LIMIT = 1 << 20
#: largest number of output elements interpolate will allocate
MAX_ELEMENTS = 1 << 31


def source_plan(
    n_in: int,
    n_out: int,
    mode: str,
    align_corners: bool,
    half_pixel: bool,
    half_pixel_for_nn: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(i0, i1, w1)``: output ``o`` is ``(1 - w1[o]) * x[i0[o]] + w1[o] * x[i1[o]]``.

    NNabla's coordinate rules (``scale`` is 0 when ``n_out == 1``): linear ``fx = s*o`` or, with
    ``half_pixel``, ``max(0, s*(o + 0.5) - 0.5)``, ``s = (in - 1)/(out - 1)`` with
    ``align_corners`` else ``in/out``; ``i0 = floor(fx)``, ``i1 = min(i0 + 1, in - 1)``.
    Nearest: ``i0 = min(floor(fx), in - 1)`` with ``fx = (o + 0.5)*in/out`` under
    ``half_pixel_for_nn``, else as linear; evaluated in exact integer arithmetic.
    """
    o = np.arange(n_out, dtype=np.int64)
    if mode == "nearest":
        if half_pixel_for_nn:
            i0 = ((2 * o + 1) * n_in) // (2 * n_out)
        elif n_out == 1:
            i0 = np.zeros(1, np.int64)
        elif align_corners:
            i0 = (o * (n_in - 1)) // (n_out - 1)
        elif half_pixel:
            i0 = np.maximum(((2 * o + 1) * n_in - n_out) // (2 * n_out), 0)
        else:
            i0 = (o * n_in) // n_out
        i0 = np.minimum(i0, n_in - 1)
        return i0, i0, np.zeros(n_out)
    if n_out == 1:
        scale = 0.0
    elif align_corners:
        scale = (n_in - 1) / (n_out - 1)
    else:
        scale = n_in / n_out
    if half_pixel:
        fx = np.maximum(scale * (o + 0.5) - 0.5, 0.0)
    else:
        fx = scale * o
    i0 = np.minimum(np.floor(fx).astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, fx - i0


def _matrix(plan: tuple, n_in: int, dtype: Any) -> np.ndarray:
    i0, i1, w1 = plan
    m = np.zeros((len(i0), n_in), dtype=np.float64)
    rows = np.arange(len(i0))
    np.add.at(m, (rows, i0), 1.0 - w1)
    np.add.at(m, (rows, i1), w1)
    return m.astype(dtype)


def _view3(x: Any, axis: int) -> tuple[Any, tuple]:
    shape = x.shape
    return x.reshape(math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])), shape


class _Resample:
    """The per-axis plans of one interpolation (sizes known).

    Per axis: the numba two-tap kernel (:mod:`nnfunc.kernels.cpu.interpolate`) when it applies;
    else a dense GEMM for small NumPy axes; else the NumPy twin (gather / segmented sums).
    """

    def __init__(self, axes: tuple[int, ...], n_in: tuple, n_out: tuple, opts: tuple) -> None:
        self.axes = axes
        self.n_in = n_in
        self.n_out = n_out
        self.plans = [source_plan(i, o, *opts) for i, o in zip(n_in, n_out, strict=True)]

    def _fused(self, x: Any) -> bool:
        """Whether the last two resized axes go through the fused two-axis numba kernel."""
        return len(self.axes) >= 2 and self.axes[-1] == x.ndim - 1 and resample._use_numba(x)

    def forward(self, xp: Any, x: Any) -> Any:
        fused = self._fused(x)
        last = len(self.axes) - 2 if fused else len(self.axes)
        items = list(zip(self.axes, self.n_in, self.plans, strict=True))
        for ax, ni, plan in items[:last]:
            x3, shape = _view3(x, ax)
            if xp is np and not resample._use_numba(x3) and ni * len(plan[0]) <= DENSE_LIMIT:
                y3 = np.matmul(_matrix(plan, ni, x.dtype), x3)
            else:
                y3 = resample.resample_axis(x3, *plan)
            x = y3.reshape((*shape[:ax], len(plan[0]), *shape[ax + 1 :]))
        if fused:
            lead = x.shape[:-2]
            y3 = resample.resample_2d(x.reshape(-1, *x.shape[-2:]), self.plans[-2], self.plans[-1])
            x = y3.reshape((*lead, *y3.shape[1:]))
        return x

    def adjoint(self, xp: Any, g: Any) -> Any:
        items = list(zip(self.axes, self.n_in, self.plans, strict=True))
        if self._fused(g):
            lead = g.shape[:-2]
            n_y, n_x = self.n_in[-2], self.n_in[-1]
            r3 = resample.resample_2d_adjoint(
                g.reshape(-1, *g.shape[-2:]), self.plans[-2], self.plans[-1], n_y, n_x
            )
            g = r3.reshape((*lead, n_y, n_x))
            items = items[:-2]
        for ax, ni, plan in reversed(items):
            g3, shape = _view3(g, ax)
            if xp is np and not resample._use_numba(g3) and ni * len(plan[0]) <= DENSE_LIMIT:
                r3 = np.matmul(np.ascontiguousarray(_matrix(plan, ni, g.dtype).T), g3)
            else:
                r3 = resample.resample_axis_adjoint(g3, *plan, ni)
            g = r3.reshape((*shape[:ax], ni, *shape[ax + 1 :]))
        return g


def _sizes_arg(op: str, arg: str, value: Any, integral: bool) -> tuple:
    bad = isinstance(value, np.ndarray) and value.ndim != 1
    if bad or isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
        raise ArgumentError(
            check.message(op, arg, "be a sequence of 1 to 3 numbers", **{arg: value})
        )
    items = tuple(value.tolist() if isinstance(value, np.ndarray) else value)
    if not 1 <= len(items) <= 3:
        raise ArgumentError(check.message(op, arg, "have 1 to 3 entries", **{arg: value}))
    out = []
    for v in items:
        if integral:
            if not isinstance(v, numbers.Integral | np.integer) or isinstance(v, bool):
                raise ArgumentError(
                    check.message(op, arg, "hold positive integers", **{arg: value})
                )
            if not 1 <= int(v) <= MAX_ELEMENTS:
                raise ArgumentError(
                    check.message(op, arg, f"hold integers in [1, {MAX_ELEMENTS}]", **{arg: value})
                )
            out.append(int(v))
        else:
            if not check._is_real(v) or not math.isfinite(float(v)) or float(v) <= 0:
                raise ArgumentError(
                    check.message(op, arg, "hold positive finite numbers", **{arg: value})
                )
            out.append(float(v))
    return tuple(out)


class Interpolate(Function):
    """Function node of :func:`nnfunc.interpolate`."""

    op_name = "interpolate"
    input_names = ("x",)

    def __init__(
        self,
        scale: Any,
        output_size: Any,
        mode: Any,
        align_corners: Any,
        half_pixel: Any,
        half_pixel_for_nn: Any,
        channel_last: Any,
    ) -> None:
        op = self.op_name
        if (scale is None) == (output_size is None):
            raise ArgumentError(
                check.message(
                    op,
                    "exactly one of `scale` and `output_size`",
                    "be given",
                    scale=scale,
                    output_size=output_size,
                )
            )
        self.scale = None if scale is None else _sizes_arg(op, "scale", scale, False)
        self.output_size = (
            None if output_size is None else _sizes_arg(op, "output_size", output_size, True)
        )
        self.mode = check.choice(op, "mode", mode, ("linear", "nearest"))
        self.align_corners = check.boolean(op, "align_corners", align_corners)
        self.half_pixel = check.boolean(op, "half_pixel", half_pixel)
        self.half_pixel_for_nn = check.boolean(op, "half_pixel_for_nn", half_pixel_for_nn)
        self.channel_last = check.boolean(op, "channel_last", channel_last)
        if self.align_corners and self.half_pixel:
            raise ArgumentError(
                check.message(
                    op,
                    "`align_corners` and `half_pixel`",
                    "not both be True",
                    align_corners=True,
                    half_pixel=True,
                )
            )
        self.nd = len(self.scale if self.scale is not None else self.output_size)

    def _opts(self) -> tuple:
        return (self.mode, self.align_corners, self.half_pixel, self.half_pixel_for_nn)

    def _axes(self, ndim: int) -> tuple[int, ...]:
        first = ndim - self.nd - (1 if self.channel_last else 0)
        return tuple(range(first, first + self.nd))

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        self.out_dtype = real_input(op, "x", x)
        ndim = check.ndim_at_least(op, "x", x, self.nd + (1 if self.channel_last else 0))
        self.sp_axes = self._axes(ndim)
        shape = list(x.shape)
        n_out = []
        for k, ax in enumerate(self.sp_axes):
            n = shape[ax]
            if self.output_size is not None:
                o = self.output_size[k]
            elif n is None:
                o = None
            else:
                o = math.floor(self.scale[k] * n)
                if o < 1:
                    raise ShapeError(
                        check.message(
                            op,
                            "output size",
                            f"be positive in spatial dim {k}",
                            input=n,
                            scale=self.scale[k],
                        )
                    )
            if o is not None and n == 0:
                raise ShapeError(
                    check.message(
                        op, "x", "have non-empty spatial dims", **{"x.shape": tuple(x.shape)}
                    )
                )
            n_out.append(o)
            shape[ax] = o
        if None not in shape and math.prod(shape) > MAX_ELEMENTS:
            raise ArgumentError(
                check.message(
                    op,
                    "output",
                    f"have at most {MAX_ELEMENTS} elements",
                    **{"output shape": tuple(shape)},
                )
            )
        self.n_in = tuple(x.shape[ax] for ax in self.sp_axes)
        self.n_out = tuple(n_out)
        if None in self.n_in:  # graph mode: the gradient takes the spatial sizes from x
            self.retain_inputs(0)
        return (TensorSpec(tuple(shape), self.out_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        work = work_dtype(self.out_dtype)
        r = _Resample(self.sp_axes, self.n_in, self.n_out, self._opts())
        y = r.forward(xp, x.astype(work, copy=False))
        return (xp.ascontiguousarray(y.astype(self.out_dtype, copy=False)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        like = self.retained_inputs()[0] if self.retain_in else None
        grad = InterpolateGrad(self, self.input_spec(0).dtype)
        return (grad.apply1(grad_outputs[0], like),)


class InterpolateGrad(Function):
    """Adjoint resampling: the gradient of :func:`nnfunc.interpolate` w.r.t. ``x``."""

    op_name = "interpolate_grad"
    input_names = ("gy", "x")

    def __init__(self, fwd: Interpolate, x_dtype: Any) -> None:
        self.fwd = fwd
        self.x_dtype = np.dtype(x_dtype)

    def setup(self, gy: Any, like: Any = None) -> tuple[TensorSpec, ...]:
        f = self.fwd
        shape = list(gy.shape)
        n_in = list(f.n_in)
        for k, ax in enumerate(f.sp_axes):
            if n_in[k] is None and like is not None:
                n_in[k] = like.shape[ax]
            shape[ax] = n_in[k]
        self.n_in = tuple(n_in)
        self.n_out = tuple(gy.shape[ax] for ax in f.sp_axes)
        dtype = self.x_dtype if self.x_dtype.kind == "f" else f.out_dtype
        return (TensorSpec(tuple(shape), dtype),)

    def forward(self, xp: Any, gy: Any, like: Any = None) -> tuple[Any, ...]:
        f = self.fwd
        work = work_dtype(gy.dtype)
        r = _Resample(f.sp_axes, self.n_in, self.n_out, f._opts())
        g = r.adjoint(xp, gy.astype(work, copy=False))
        dtype = self.x_dtype if self.x_dtype.kind == "f" else f.out_dtype
        return (xp.ascontiguousarray(g.astype(dtype, copy=False)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        f = self.fwd
        sizes = f.output_size
        if sizes is None:
            sizes = f.n_out if None not in f.n_out else None
        again = Interpolate(
            f.scale if sizes is None else None,
            sizes,
            f.mode,
            f.align_corners,
            f.half_pixel,
            f.half_pixel_for_nn,
            f.channel_last,
        )
        return (again.apply1(grad_outputs[0]), None)


def interpolate(
    x: Any,
    *,
    scale: Sequence[float] | None = None,
    output_size: Sequence[int] | None = None,
    mode: str = "linear",
    align_corners: bool = False,
    half_pixel: bool = False,
    half_pixel_for_nn: bool = False,
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    r"""Resize the trailing 1-3 spatial dimensions by linear or nearest-neighbour interpolation.

    .. math::
        y[\ldots, o] = (1 - w_o)\, x[\ldots, i_0(o)] + w_o\, x[\ldots, i_1(o)]

    applied along each spatial axis in turn (multi-linear). With ``f`` the source coordinate of
    output ``o`` (input size ``n``, output size ``m``, ``s`` = ``(n - 1)/(m - 1)`` when
    ``align_corners`` else ``n/m``, ``s = 0`` when ``m == 1``):

    =============  ==========  ===========================================
    align_corners  half_pixel  f
    =============  ==========  ===========================================
    False          False       ``o * n / m``
    True           False       ``o * (n - 1) / (m - 1)``
    False          True        ``max(0, (o + 0.5) * n / m - 0.5)``
    True           True        not supported (``ArgumentError``)
    =============  ==========  ===========================================

    linear: ``i_0 = floor(f)``, ``i_1 = min(i_0 + 1, n - 1)``, ``w = f - i_0``; nearest:
    ``x[min(floor(f), n - 1)]``, where ``half_pixel_for_nn=True`` (NNabla's pre-1.8 nearest)
    uses ``f = (o + 0.5) * n / m``. ``output_size[i] = floor(scale[i] * n_i)``.

    Args:
        x (array, Variable or SymbolicVariable): Input, real dtype; the last ``nd`` axes
            (``channel_last``: the ``nd`` axes before the last) are resized.
        scale (sequence of float, optional): Scale factors, ``nd = len(scale)`` (1 to 3).
        output_size (sequence of int, optional): Output sizes (exactly one of ``scale`` and
            ``output_size``).
        mode (str): ``"linear"`` (default) or ``"nearest"``.
        align_corners (bool): Align the corner pixels. Default False.
        half_pixel (bool): Half-pixel centres. Default False.
        half_pixel_for_nn (bool): NNabla's legacy nearest rule. Default False.
        channel_last (bool): Channels on the last axis. Default False.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: the spatial axes resized; x's floating dtype (integers give
        float32).

    Raises:
        ArgumentError: both or neither of ``scale`` and ``output_size``; more than 3 or no
            sizes; non-positive sizes or scales; an unknown ``mode``; ``align_corners`` and
            ``half_pixel`` both True; more than ``2**31`` output elements.
        ShapeError: ``x`` has fewer axes than the resize needs; a scale gives an empty output.
        DTypeError: ``x`` is complex, object or string.

    Notes:
        Gradient: the adjoint resampling (each output's gradient spread back to its source
        pixels with the same weights), a gradient Function whose own backward is the forward
        resampling, so derivatives of any order work. The weights do not depend on ``x``, so
        the function is linear and its gradient exact everywhere. Nearest coordinates are
        computed in exact integer arithmetic (NNabla computes them in float32, which can land
        one pixel lower at exact ties). Float16 is computed in float32.

        Dialects: NNabla ``interpolate(x, scale, output_size, mode, align_corners, half_pixel,
        half_pixel_for_nn, channel_last)``. PyTorch ``F.interpolate`` ``"bilinear"`` with
        ``align_corners=False`` equals ``half_pixel=True`` (up-sampling), with
        ``align_corners=True`` equals ``align_corners=True``; its ``"nearest"`` equals
        ``mode="nearest"``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.interpolate(np.array([[0.0, 1.0, 2.0]], np.float32), output_size=(5,),
        ...                align_corners=True)
        array([[0. , 0.5, 1. , 1.5, 2. ]], dtype=float32)
        >>> nf.interpolate(np.arange(4.0).reshape(1, 1, 2, 2), scale=(2, 2),
        ...                mode="nearest")[0, 0]
        array([[0., 0., 1., 1.],
               [0., 0., 1., 1.],
               [2., 2., 3., 3.],
               [2., 2., 3., 3.]])
    """
    with node_errors(name, x):  # options are checked when the Function is built
        f = Interpolate(
            scale, output_size, mode, align_corners, half_pixel, half_pixel_for_nn, channel_last
        )
    return f.apply1(x, name=name)
