"""image_augmentation: one random affine transform (scale, aspect ratio, rotation, translation,
flips, lens distortion) per image, bilinear resampling, then brightness, contrast and noise."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc import random
from nnfunc.core import check, shapes
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.stochastic._augment import is_seq
from nnfunc.functions.stochastic._common import as_tensor
from nnfunc.kernels.cpu.resample import bilinear

__all__ = ["image_augmentation"]


class _ImageAugmentation(Function):
    op_name = "image_augmentation"
    input_names = ("x",)

    def __init__(self, out_hw: tuple[int, int], p: dict) -> None:
        self.out_hw, self.p = out_hw, p

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        shape = tuple(x.shape[:-2]) + self.out_hw
        return (TensorSpec(shape, real_dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        p = self.p
        shape = tuple(x.shape)
        h_in, w_in = shape[-2:]
        ch = shape[-3] if len(shape) >= 3 else 1
        n = int(math.prod(shape[:-3])) if len(shape) >= 3 else 1
        h_out, w_out = self.out_hw
        dtype = real_dtype(x.dtype)
        if n * ch * h_out * w_out == 0:
            return (xp.zeros(shape[:-2] + self.out_hw, dtype),)
        if h_in * w_in == 0:
            raise ShapeError(
                check.message(self.op_name, "x", "have non-empty images", **{"x.shape": shape})
            )
        rng = random.generator(p["seed"])
        u = rng.random((n, 7))  # scale, aspect, angle, centre x, centre y, then 2 spare
        lo, hi = p["min_scale"], p["max_scale"]
        scale = lo * np.exp(u[:, 0] * math.log(hi / lo))
        la = math.log(p["aspect_ratio"])
        scale_x = np.exp(-0.5 * la + u[:, 1] * la)
        scale_y = 1.0 / scale_x
        angle = p["angle"] * (2.0 * u[:, 2] - 1.0)
        w_scaled = (w_in + 2 * p["pad"][1]) * scale * scale_x
        h_scaled = (h_in + 2 * p["pad"][0]) * scale * scale_y
        cx, cy = (w_out - 1) * 0.5, (h_out - 1) * 0.5
        cx_s = u[:, 3] * (w_scaled - w_out) + cx
        cy_s = u[:, 4] * (h_scaled - h_out) + cy
        flip_lr = rng.random(n) < 0.5 if p["flip_lr"] else np.zeros(n, bool)
        flip_ud = rng.random(n) < 0.5 if p["flip_ud"] else np.zeros(n, bool)
        isx, isy = 1.0 / (scale * scale_x), 1.0 / (scale * scale_y)
        cos, sin = np.cos(angle), np.sin(angle)
        x_ax = np.where(flip_lr, -cos, cos) * isx
        y_ax = np.where(flip_lr, sin, -sin) * isy
        x_ay = np.where(flip_ud, -sin, sin) * isx
        y_ay = np.where(flip_ud, -cos, cos) * isy
        x0 = cx_s * isx - (x_ax * cx + y_ax * cy) - p["pad"][1]
        y0 = cy_s * isy - (x_ay * cx + y_ay * cy) - p["pad"][0]
        # output pixel grid, optionally through the radial distortion (per image)
        gx = np.arange(w_out, dtype=np.float64)[None, None, :]
        gy = np.arange(h_out, dtype=np.float64)[None, :, None]
        d = p["distortion"]
        if d != 0.0:
            dist = np.exp(rng.random(n) * 2.0 * d - d) - 1.0
            wh, hh = w_out * 0.5, h_out * 0.5
            dx, dy = (gx - wh) / wh, (gy - hh) / hh
            r2 = dx * dx + dy * dy
            k = dist[:, None, None]
            gx = (dx + dx * k * r2) * wh / (1.0 + k) + wh
            gy = (dy + dy * k * r2) * hh / (1.0 + k) + hh

        def col(a: Any) -> Any:
            return a[:, None, None]

        wdt = np.float64 if dtype == np.float64 else np.float32
        xs = (col(x0) + gx * col(x_ax) + gy * col(y_ax)).astype(wdt)
        ys = (col(y0) + gx * col(x_ay) + gy * col(y_ay)).astype(wdt)
        src = xp.asarray(x).reshape(n, ch, h_in, w_in)
        if src.dtype != wdt:
            src = src.astype(wdt)
        y = bilinear(src, xp.asarray(xs), xp.asarray(ys))
        b, c_ = p["brightness"], p["contrast"]
        if b != 0.0 or c_ != 1.0 or p["contrast_center"] != 0.0:
            bright = b * (2.0 * rng.random((n, ch if p["brightness_each"] else 1)) - 1.0)
            lc = math.log(c_)
            contrast = np.exp(rng.random((n, ch if p["contrast_each"] else 1)) * 2.0 * lc) / c_
            cc = p["contrast_center"]
            add = xp.asarray((bright - cc)[:, :, None, None].astype(wdt))
            mul = xp.asarray(contrast[:, :, None, None].astype(wdt))
            y = (y + add) * mul + wdt(cc)
        if p["noise"] > 0.0:
            sigma = (rng.random(n) * p["noise"]).astype(wdt)
            z = rng.standard_normal(y.shape, dtype=wdt)
            y = y + xp.asarray(z * sigma[:, None, None, None])
        return (y.reshape(shape[:-2] + self.out_hw).astype(dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


def image_augmentation(
    x: Any,
    shape: Any = None,
    pad: Any = (0, 0),
    min_scale: float = 1.0,
    max_scale: float = 1.0,
    angle: float = 0.0,
    aspect_ratio: float = 1.0,
    distortion: float = 0.0,
    flip_lr: bool = False,
    flip_ud: bool = False,
    brightness: float = 0.0,
    brightness_each: bool = False,
    contrast: float = 1.0,
    contrast_center: float = 0.0,
    contrast_each: bool = False,
    noise: float = 0.0,
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Random image augmentation: one affine transform per image, bilinear resampling, then
    brightness, contrast and Gaussian noise.

    For each image (the last two dims are ``(H, W)``, the one before them channels, all
    others images), with ``U`` a fresh uniform draw in ``[0, 1)``:

    .. math::
        s = s_{min} (s_{max}/s_{min})^U, \\quad a_x = a^{U - 1/2}, a_y = 1/a_x, \\quad
        \\phi = \\mathrm{angle}\\,(2U - 1), \\\\
        (x_{in}, y_{in}) = o + R_\\phi^{flip} \\, \\mathrm{diag}(1/(s a_x), 1/(s a_y)) \\,
        (x_{out}, y_{out}), \\\\
        y = (\\mathrm{bilinear}(x, x_{in}, y_{in}) + b - c_0) \\, k + c_0 + \\sigma z

    where the offset ``o`` places the output window uniformly inside the scaled, padded input
    (``pad`` pixels on each side), ``b ~ U(-brightness, brightness)``, ``k = contrast^(2U - 1)``
    (in ``[1/contrast, contrast]``), ``c_0 = contrast_center``, ``sigma ~ U(0, noise)`` per
    image and ``z ~ N(0, 1)`` per pixel.

    Args:
        x (array, Variable or SymbolicVariable): Images ``(..., C, H, W)`` (rank >= 2).
        shape (sequence of int, optional): Output size of the trailing dims (at least
            ``(H_out, W_out)``; dims before them must equal ``x``'s). Default: ``x.shape``.
        pad (pair of int): Padding per side of ``(H, W)``, widening the range of random
            translations. Default ``(0, 0)``.
        min_scale, max_scale (float): Scale range (log-uniform), ``> 0``. Default ``1.0``.
        angle (float): Rotation range in radians, uniform in ``[-angle, angle]``.
        aspect_ratio (float): Aspect deformation range ``[1/aspect_ratio, aspect_ratio]``
            (log-uniform), ``> 0``. Default ``1.0``.
        distortion (float): Radial distortion range, ``k = exp(U(-d, d)) - 1``.
            Default ``0.0``.
        flip_lr, flip_ud (bool): Flip horizontally / vertically with probability 1/2.
        brightness (float): Added value range ``[-brightness, brightness]``.
        brightness_each (bool): One brightness draw per channel (else one per image).
        contrast (float): Contrast factor range ``[1/contrast, contrast]``, ``> 0``.
        contrast_center (float): Intensity centre of the contrast change. Default ``0.0``.
        contrast_each (bool): One contrast draw per channel (else one per image).
        noise (float): Largest standard deviation of the added Gaussian noise (drawn per
            image in ``[0, noise]``, as NNabla 1.39 does), ``>= 0``.
        seed (int, numpy.random.Generator or None): An int gives the same augmentation at
            every call and every graph run; ``None`` or ``-1`` draws from the global stream.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: ``x.shape[:-2] + shape[-2:]``, the floating dtype of ``x``.

    Raises:
        ArgumentError: a range is not a finite number of the documented sign, ``pad`` is not
            two non-negative ints, a flag is not a bool, ``seed`` is invalid.
        ShapeError: ``x`` has rank < 2, ``shape`` has fewer than 2 entries, more than
            ``x.ndim``, a non-positive size, or changes a dim before ``(H, W)``.

    Notes:
        Not differentiable (no gradient flows to ``x``, as in NNabla). Sampling coordinates
        are clamped to the image (the border pixels repeat outside). With every range at its
        identity value and ``shape = x.shape`` the result equals ``x``. Vectorised: the
        coordinates of the whole batch are computed at once and one fused bilinear kernel
        resamples them (:mod:`nnfunc.kernels.cpu.resample`). NNabla draws its uniforms in
        steps of 0.001; these are continuous. Equivalent to
        ``nnabla.functions.image_augmentation(...)`` with the same arguments.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.random.default_rng(0).random((2, 3, 8, 8)).astype(np.float32)
        >>> bool((nf.image_augmentation(x, seed=0) == x).all())
        True
        >>> nf.image_augmentation(x, (3, 6, 6), angle=0.3, min_scale=0.8, seed=0).shape
        (2, 3, 6, 6)
    """
    op = "image_augmentation"
    with shapes.node_errors(name, x):
        x = as_tensor(op, "x", x)
        ndim = check.ndim_at_least(op, "x", x, 2)
        xs = tuple(x.shape)
        if shape is None:
            out = xs
        else:
            if not is_seq(shape):
                raise ArgumentError(
                    check.message(op, "shape", "be a sequence of ints", shape=shape)
                )
            out = tuple(shape)
            if not all(
                isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                for v in out
            ):
                raise ArgumentError(
                    check.message(op, "shape", "be a sequence of ints", shape=shape)
                )
            out = tuple(int(v) for v in out)
            if not 2 <= len(out) <= ndim or any(v < 1 for v in out[-2:]):
                raise ShapeError(
                    check.message(
                        op,
                        "shape",
                        f"have 2 to {ndim} entries, (H, W) positive",
                        shape=out,
                        **{"x.shape": xs},
                    )
                )
            lead = xs[ndim - len(out) : ndim - 2]
            if any(a is not None and a != b for a, b in zip(lead, out[:-2], strict=True)):
                raise ShapeError(
                    check.message(
                        op,
                        "shape",
                        "keep the dims before (H, W) of `x`",
                        shape=out,
                        **{"x.shape": xs},
                    )
                )
        out_hw = tuple(out[-2:])
        if None not in out_hw and math.prod(out_hw) > 2**28:
            raise ArgumentError(
                check.message(op, "shape", "give images of at most 2**28 pixels", shape=out)
            )
        if any(v is None for v in out_hw):
            raise ShapeError(
                check.message(op, "x", "have known (H, W) when `shape` is None", **{"x.shape": xs})
            )
        if not is_seq(pad) or len(pad) != 2:
            raise ArgumentError(check.message(op, "pad", "be two non-negative ints", pad=pad))
        pads = tuple(check.integer(op, "pad", v, min_value=0) for v in pad)
        if max(pads) > 2**20:
            raise ArgumentError(check.message(op, "pad", "be at most 2**20", pad=pads))

        def real(arg: str, v: Any, **kw: Any) -> float:
            return check.real_scalar(op, arg, v, **kw)

        p = {
            "pad": pads,
            "min_scale": real("min_scale", min_scale, min_value=0.0, open_min=True),
            "max_scale": real("max_scale", max_scale, min_value=0.0, open_min=True),
            "angle": real("angle", angle),
            "aspect_ratio": real("aspect_ratio", aspect_ratio, min_value=0.0, open_min=True),
            "distortion": real("distortion", distortion),
            "flip_lr": check.boolean(op, "flip_lr", flip_lr),
            "flip_ud": check.boolean(op, "flip_ud", flip_ud),
            "brightness": real("brightness", brightness),
            "brightness_each": check.boolean(op, "brightness_each", brightness_each),
            "contrast": real("contrast", contrast, min_value=0.0, open_min=True),
            "contrast_center": real("contrast_center", contrast_center),
            "contrast_each": check.boolean(op, "contrast_each", contrast_each),
            "noise": real("noise", noise, min_value=0.0),
            "seed": random.validate_seed(op, seed),
        }
        if abs(p["distortion"]) > 50:
            raise ArgumentError(
                check.message(op, "distortion", "be in [-50, 50]", distortion=p["distortion"])
            )
    return _ImageAugmentation(out_hw, p).apply1(x, name=name)
