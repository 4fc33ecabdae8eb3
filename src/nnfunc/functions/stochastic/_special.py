"""Family 26 (special use): vat_noise, sink, warp_by_flow.

They live beside the random functions (vat_noise is the noise layer of virtual adversarial
training) rather than in a package of their own.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.stochastic._common import as_tensor
from nnfunc.kernels.cpu.resample import bilinear

__all__ = ["sink", "vat_noise", "warp_by_flow"]

#: NNabla's constant under the square root of vat_noise.
_VAT_C = 1e-8


# ----------------------------------------------------------------------------- vat_noise
class _VatNoise(Function):
    op_name = "vat_noise"
    input_names = ("x", "w")

    def __init__(self, base_axis: Any, eps: Any) -> None:
        self.raw = (base_axis, eps)

    def setup(self, x: Any, w: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        base_axis, eps = self.raw
        ndim = len(x.shape)
        b = check.integer(op, "base_axis", base_axis)
        if not 0 < b < max(ndim, 1) or ndim < 2:
            raise ShapeError(
                check.message(
                    op, "base_axis", f"be in [1, {ndim - 1}] (x has rank {ndim})", base_axis=b
                )
            )
        self.eps = check.real_scalar(op, "eps", eps)
        if tuple(x.shape) != tuple(w.shape):
            raise ShapeError(
                check.message(
                    op,
                    "`x` and `w`",
                    "have the same shape",
                    **{"x.shape": tuple(x.shape), "w.shape": tuple(w.shape)},
                )
            )
        self.axes = tuple(range(b, ndim))
        self.dtype = real_dtype(x.dtype)
        return (TensorSpec(tuple(x.shape), self.dtype),)

    def forward(self, xp: Any, x: Any, w: Any) -> tuple[Any, ...]:
        acc = np.float64 if self.dtype == np.float64 else np.float32
        xa = x.astype(acc, copy=False)
        norm = xp.sqrt((xa * xa).sum(axis=self.axes, keepdims=True) + acc(_VAT_C))
        return ((acc(self.eps) * xa / norm).astype(self.dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        gy = grad_outputs[0]
        gw = F.mul_scalar(gy, self.eps) if 1 in target_indexes else None
        gx = F.mul_scalar(gy, 0.0) if 0 in target_indexes else None
        return (gx, gw)


def vat_noise(
    x: Any, w: Any, base_axis: int = 1, eps: float = 1.0, *, name: str | None = None
) -> Any:
    """Virtual adversarial training noise: ``x`` scaled to L2 norm ``eps`` per sample.

    .. math::
        y_i = \\frac{\\epsilon x_i}{\\sqrt{\\sum_k x_k^2 + c}}, \\quad c = 10^{-8}
        \\qquad \\text{backward:} \\quad \\delta x = 0, \\quad \\delta w = \\epsilon \\delta y

    Args:
        x (array, Variable or SymbolicVariable): The noise (standard Gaussian at first, then
            the fed-back gradient); dims before ``base_axis`` are samples, the norm is taken
            over the others.
        w (array, Variable or SymbolicVariable): Same shape as ``x``: the holder of the
            gradient (not read by the forward pass).
        base_axis (int): In ``[1, x.ndim - 1]``. Default ``1``.
        eps (float): Norm of the result. Default ``1.0``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ShapeError: ``x`` and ``w`` differ in shape, ``base_axis`` is out of range.
        ArgumentError: ``eps`` is not a finite number.

    Notes:
        Gradient (as NNabla documents it): zero for ``x``; ``eps * gy`` for ``w``. NNabla
        WRITES ``eps * gy`` into ``w``'s data during backward; here it is ``w``'s gradient
        (read it from ``w.grad`` and feed it back as the next ``x``), because nnfunc functions
        never write into their inputs. Equivalent to ``nnabla.functions.vat_noise(x, w,
        base_axis, eps)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> y = nf.vat_noise(np.array([[3.0, 4.0]]), np.zeros((1, 2)), eps=2.0)
        >>> np.round(y, 6)
        array([[1.2, 1.6]])
    """
    with shapes.node_errors(name, x, w):
        x = as_tensor("vat_noise", "x", x)
        w = as_tensor("vat_noise", "w", w)
    return _VatNoise(base_axis, eps).apply1(x, w, name=name)


# ----------------------------------------------------------------------------- sink
class _Sink(Function):
    op_name = "sink"

    def __init__(self, n: int, one_input_grad: bool) -> None:
        self.input_names = tuple(f"x{i}" for i in range(n))
        self.one_input_grad = one_input_grad

    def setup(self, *xs: Any) -> tuple[TensorSpec, ...]:
        for i, x in enumerate(xs):
            if x is None or np.dtype(x.dtype).kind not in "biuf":
                raise ArgumentError(
                    check.message(
                        self.op_name,
                        f"x{i}",
                        "be a real array, Variable or graph node",
                        **{f"x{i}": x if x is None else np.dtype(x.dtype)},
                    )
                )
        return (TensorSpec((), np.dtype(np.float32)),)

    def forward(self, xp: Any, *xs: Any) -> tuple[Any, ...]:
        return (xp.zeros((), np.float32),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        if not self.one_input_grad:
            return (None,) * len(self.input_names)
        gy = grad_outputs[0]
        out = []
        for i in range(len(self.input_names)):
            if i not in target_indexes:
                out.append(None)
                continue
            dtype = self.input_spec(i).dtype
            g = gy if dtype == np.float32 else F.cast(gy, dtype)
            out.append(self.broadcast_to_input(g, i))
        return tuple(out)


def sink(*x: Any, one_input_grad: bool = True, name: str | None = None) -> Any:
    """A dummy 0-d node over any number of inputs, to run their forward and backward at once.

    .. math::
        y = 0, \\qquad \\frac{\\partial y}{\\partial x_i} = 1 \\text{ (one\\_input\\_grad)}

    Args:
        *x (arrays, Variables or SymbolicVariables): Any number (>= 1) of real tensors of any
            shape.
        one_input_grad (bool): Backward gives every input a gradient of ones (times the
            output gradient, 1 for ``y.backward()``). Default ``True``. ``False``: no gradient
            flows (NNabla then leaves gradients preset by the user untouched).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        A 0-d float32 zero (Variable / SymbolicVariable when the inputs are).

    Raises:
        ArgumentError: no input, an input that is not a real tensor, ``one_input_grad`` not a
            bool.

    Notes:
        The forward does nothing (every input is already computed when the sink runs).
        Running a graph's sink evaluates all its inputs: ``graph.run(s)``. Equivalent to
        ``nnabla.functions.sink(*x, one_input_grad=True)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> a = nf.Variable(np.ones(3), requires_grad=True)
        >>> b = nf.Variable(np.ones((2, 2)), requires_grad=True)
        >>> nf.sink(a * 2, b + 1).backward()
        >>> a.grad, b.grad
        (array([2., 2., 2.]), array([[1., 1.],
               [1., 1.]]))
    """
    op = "sink"
    if not x:
        raise ArgumentError(check.message(op, "x", "hold at least one input", x=()))
    with shapes.node_errors(name, *x):
        flag = check.boolean(op, "one_input_grad", one_input_grad)
        xs = tuple(as_tensor(op, f"x{i}", v) for i, v in enumerate(x))
    return _Sink(len(xs), flag).apply1(*xs, name=name)


# ----------------------------------------------------------------------------- warp_by_flow
def _warp_shapes(op: str, data: Any, flow: Any) -> tuple:
    """Check that ``flow`` is (N, 2, H, W) for ``data`` (N, C, H, W) where sizes are known
    (the wrapper when a graph is built, the node again when it runs); return data's shape."""
    ds, fs = tuple(data.shape), tuple(flow.shape)
    same = all(a is None or b is None or a == b for a, b in zip(ds[:1] + ds[2:], fs[:1] + fs[2:]))
    if fs[1] not in (2, None) or not same:
        raise ShapeError(
            check.message(
                op,
                "flow",
                "have shape (N, 2, H, W) for data of shape (N, C, H, W)",
                **{"data.shape": ds, "flow.shape": fs},
            )
        )
    return ds


class _WarpTaps(Function):
    """From the flow: the pixel index (into an ``H * W`` plane) of each of the 4 taps of every
    output pixel and, per axis, ``(offset, inside)``: the fractional part of the (clamped)
    coordinate is ``inside * (flow - offset)``. No gradient: the fractional parts carry it."""

    op_name = "warp_by_flow"
    input_names = ("data", "flow")

    def setup(self, data: Any, flow: Any) -> tuple[TensorSpec, ...]:
        n, _, h, w = data.shape
        one = (n, 1, h, w)
        i64, d = np.dtype(np.int64), real_dtype(flow.dtype)
        return (*(TensorSpec(one, i64) for _ in range(4)), *(TensorSpec(one, d) for _ in range(4)))

    def forward(self, xp: Any, data: Any, flow: Any) -> tuple[Any, ...]:
        _, _, h, w = data.shape
        d = real_dtype(flow.dtype)
        wd = np.float64 if d == np.float64 else np.float32
        f = flow.astype(wd, copy=False)
        gx = xp.arange(w, dtype=wd)[None, None, None, :]
        gy = xp.arange(h, dtype=wd)[None, None, :, None]
        u = gx + f[:, 0:1]
        v = gy + f[:, 1:2]
        bad = xp.isnan(u) | xp.isnan(v)
        x0 = xp.floor(xp.clip(xp.where(bad, 0, u), 0, w - 1)).astype(np.int64)
        y0 = xp.floor(xp.clip(xp.where(bad, 0, v), 0, h - 1)).astype(np.int64)
        x1 = xp.minimum(x0 + 1, w - 1)
        r0, r1 = y0 * w, xp.minimum(y0 + 1, h - 1) * w
        taps = (r0 + x0, r0 + x1, r1 + x0, r1 + x1)
        in_x = ((u > 0) & (u < w - 1)).astype(d)
        in_y = ((v > 0) & (v < h - 1)).astype(d)
        # inside: coordinate - x0 = flow - (x0 - grid); NaN flows stay NaN through the offset
        off_x = xp.where(bad, np.nan, x0 - gx).astype(d)
        off_y = xp.where(bad, np.nan, y0 - gy).astype(d)
        return (*taps, off_x, in_x, off_y, in_y)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


class _PixelGather(Function):
    """``y[n, c, i, j] = data[n, c].ravel()[pix[n, 0, i, j]]``; gradient: scatter-add back."""

    op_name = "warp_by_flow"
    input_names = ("data", "pix")
    retain_in = (0, 1)

    def setup(self, data: Any, pix: Any) -> tuple[TensorSpec, ...]:
        n, c = data.shape[:2]
        return (TensorSpec((n, c, *pix.shape[2:]), np.dtype(data.dtype)),)

    def forward(self, xp: Any, data: Any, pix: Any) -> tuple[Any, ...]:
        n, c = data.shape[:2]
        flat = data.reshape(n, c, -1)
        idx = xp.broadcast_to(pix.reshape(n, 1, -1), (n, c, pix[0, 0].size))
        return (xp.take_along_axis(flat, idx, axis=2).reshape((n, c, *pix.shape[2:])),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        data, pix = self.retained_inputs()
        return (_PixelScatter().apply1(grad_outputs[0], pix, data), None)


class _PixelScatter(Function):
    """The adjoint of :class:`_PixelGather`: ``z[n, c].ravel()[pix] += g[n, c]``."""

    op_name = "warp_by_flow"
    input_names = ("g", "pix", "like")
    retain_in = (1,)

    def setup(self, g: Any, pix: Any, like: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(like.shape), real_dtype(like.dtype)),)

    def forward(self, xp: Any, g: Any, pix: Any, like: Any) -> tuple[Any, ...]:
        n, c = like.shape[:2]
        plane = int(math.prod(like.shape[2:]))
        base = (xp.arange(n * c, dtype=np.int64) * plane).reshape(n, c, 1)
        idx = (base + pix.reshape(n, 1, -1)).reshape(-1)
        flat = xp.bincount(idx, weights=g.reshape(-1), minlength=n * c * plane)
        return (flat.astype(real_dtype(like.dtype), copy=False).reshape(like.shape),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (pix,) = self.retained_inputs()
        return (_PixelGather().apply1(grad_outputs[0], pix), None, None)


class _Warp(Function):
    """Forward: one fused bilinear kernel on the coordinates ``grid + flow``. Backward: the
    derivatives written with nnfunc functions over the taps (:class:`_WarpTaps`), so every
    order of differentiation works."""

    op_name = "warp_by_flow"
    input_names = ("data", "flow")
    retain_in = (0, 1)

    def setup(self, data: Any, flow: Any) -> tuple[TensorSpec, ...]:
        _warp_shapes(self.op_name, data, flow)
        return (TensorSpec(tuple(data.shape), real_dtype(data.dtype)),)

    def forward(self, xp: Any, data: Any, flow: Any) -> tuple[Any, ...]:
        out = real_dtype(data.dtype)
        wd = np.float64 if out == np.float64 else np.float32
        n, _, h, w = data.shape
        xs = xp.arange(w, dtype=wd) + flow[:, 0].astype(wd, copy=False)
        ys = xp.arange(h, dtype=wd)[:, None] + flow[:, 1].astype(wd, copy=False)
        y = bilinear(data.astype(wd, copy=False), xs.reshape(n, h, w), ys.reshape(n, h, w))
        return (y.astype(out, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        data, flow = self.retained_inputs()
        (gy,) = grad_outputs
        dt = real_dtype(self.input_spec(0).dtype)
        p00, p01, p10, p11, off_x, in_x, off_y, in_y = _WarpTaps().apply(data, flow)
        fx = F.mul(in_x, F.sub(F.getitem(flow, (slice(None), slice(0, 1))), off_x))
        fy = F.mul(in_y, F.sub(F.getitem(flow, (slice(None), slice(1, 2))), off_y))
        if np.dtype(self.input_spec(1).dtype) != dt:
            fx, fy, in_x, in_y = (F.cast(v, dt) for v in (fx, fy, in_x, in_y))
        gx_ = gy_ = None
        if 0 in target_indexes:
            ex, ey = F.sub(1.0, fx), F.sub(1.0, fy)
            weights = (F.mul(ex, ey), F.mul(fx, ey), F.mul(ex, fy), F.mul(fx, fy))
            parts = [
                _PixelScatter().apply1(F.mul(gy, wk), pk, data)
                for wk, pk in zip(weights, (p00, p01, p10, p11), strict=True)
            ]
            gx_ = F.add(F.add(parts[0], parts[1]), F.add(parts[2], parts[3]))
        if 1 in target_indexes:
            d = [_PixelGather().apply1(data, pk) for pk in (p00, p01, p10, p11)]
            if np.dtype(self.input_spec(0).dtype) != dt:
                d = [F.cast(t, dt) for t in d]
            slope_x = F.add(F.mul(F.sub(1.0, fy), F.sub(d[1], d[0])), F.mul(fy, F.sub(d[3], d[2])))
            slope_y = F.add(F.mul(F.sub(1.0, fx), F.sub(d[2], d[0])), F.mul(fx, F.sub(d[3], d[1])))
            gfx = F.mul(in_x, F.sum(F.mul(gy, slope_x), axis=1, keepdims=True))
            gfy = F.mul(in_y, F.sum(F.mul(gy, slope_y), axis=1, keepdims=True))
            gy_ = F.concatenate(gfx, gfy, axis=1)
            fdt = np.dtype(self.input_spec(1).dtype)
            if fdt != dt and fdt.kind == "f":
                gy_ = F.cast(gy_, fdt)
        return (gx_, gy_)


def warp_by_flow(data: Any, flow: Any, *, name: str | None = None) -> Any:
    """Backward warping of images by a flow field, bilinear, border pixels repeated outside.

    .. math::
        y_{n,c,i,j} = \\mathrm{data}_{n,c,i',j'}, \\qquad
        i' = i + \\mathrm{flow}_{n,1,i,j}, \\quad j' = j + \\mathrm{flow}_{n,0,i,j}

    with ``data`` at the fractional ``(i', j')`` interpolated bilinearly between its 4
    nearest pixels, the coordinates clamped to ``[0, H - 1] x [0, W - 1]``.

    Args:
        data (array, Variable or SymbolicVariable): Images ``(N, C, H, W)``.
        flow (array, Variable or SymbolicVariable): Displacements ``(N, 2, H, W)``: channel 0
            horizontal (x), channel 1 vertical (y), in pixels.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``data``: ``(N, C, H, W)``, the floating dtype of ``data``.

    Raises:
        ShapeError: ``data`` or ``flow`` is not 4-D, ``flow`` does not have 2 channels or
            differs from ``data`` in ``N``, ``H`` or ``W``.
        DTypeError: an input is not real.

    Notes:
        Gradients of every order, for ``data`` (the bilinear weights, scatter-added) and for
        ``flow`` (the slope of the interpolation: ``(1 - f_y)(d_{01} - d_{00}) + f_y (d_{11}
        - d_{10})`` for the x component). Where a coordinate is clamped (outside the image or
        exactly on its last row/column) the flow gradient of that component is 0. At integer
        coordinates the slope of the cell to the right/below is used. Forward: one fused
        bilinear kernel (:mod:`nnfunc.kernels.cpu.resample`); backward written with nnfunc
        functions (a tap-index node, per-pixel gathers/scatters shared by the channels).
        Equivalent to ``nnabla.functions.warp_by_flow(data, flow)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> data = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> flow = np.zeros((1, 2, 4, 4)); flow[:, 0] = 0.5      # half a pixel to the right
        >>> nf.warp_by_flow(data, flow)[0, 0]
        array([[ 0.5,  1.5,  2.5,  3. ],
               [ 4.5,  5.5,  6.5,  7. ],
               [ 8.5,  9.5, 10.5, 11. ],
               [12.5, 13.5, 14.5, 15. ]])
    """
    op = "warp_by_flow"
    with shapes.node_errors(name, data, flow):
        data = as_tensor(op, "data", data)
        flow = as_tensor(op, "flow", flow)
        check.ndim(op, "data", data, 4)
        check.ndim(op, "flow", flow, 4)
        ds = _warp_shapes(op, data, flow)
        if None not in ds and math.prod(ds) > 2**28:
            raise ShapeError(
                check.message(op, "data", "hold at most 2**28 elements", **{"data.shape": ds})
            )
    return _Warp().apply1(data, flow, name=name)
