"""Patch correlation of two feature maps over a range of displacements (FlowNet correlation)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nnfunc.core import check, shapes
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.functions._labels import require_shape
from nnfunc.kernels.cpu import correlation as kernel

__all__ = ["patch_correlation"]

_OP = "patch_correlation"

#: Input names of the three nodes: the correlation and its two input gradients.
_NAMES = (("x1", "x2"), ("x2", "grad_output"), ("x1", "grad_output"))


class PatchCorrelation(Function):
    """One partial derivative of the trilinear form ``T(x1, x2, g) = <g, corr(x1, x2)>``.

    ``mode`` 0: ``(x1, x2) -> corr`` (``dT/dg``); 1: ``(x2, g) -> dT/dx1``; 2: ``(x1, g) ->
    dT/dx2``. The derivative of each mode is given by the other two, so gradients of every
    order come from this one node kind.
    """

    op_name = _OP
    retain_in = (0, 1)

    def __init__(
        self,
        mode: int,
        patch: Any = 1,
        shift: Any = 0,
        patch_step: Any = 1,
        shift_step: Any = 1,
        pad: Any = 0,
        channel_last: bool = False,
    ) -> None:
        self.mode = mode
        self.input_names = _NAMES[mode]
        self._raw = (patch, shift, patch_step, shift_step, pad, channel_last)

    def _again(self, mode: int) -> PatchCorrelation:
        return PatchCorrelation(mode, *self._raw)

    def _geometry(self, shape: Sequence[Any]) -> tuple[Any, ...]:
        """Resolve the arguments for an input of ``shape``; the spatial output sizes."""
        patch, shift, patch_step, shift_step, pad, channel_last = self._raw
        self.channel_last = check.boolean(_OP, "channel_last", channel_last)
        self.patch = check.int_tuple(_OP, "patch", patch, 2, min_value=1)
        self.shift = check.int_tuple(_OP, "shift", shift, 2, min_value=0)
        self.patch_step = check.int_tuple(_OP, "patch_step", patch_step, 2, min_value=1)
        self.shift_step = check.int_tuple(_OP, "shift_step", shift_step, 2, min_value=1)
        sizes = tuple(shape[1:3]) if self.channel_last else tuple(shape[2:4])
        self.pads = shapes.resolve_padding(_OP, pad, sizes, self.patch, self.patch_step)
        out = []
        for i in range(2):
            n = None
            if sizes[i] is not None and None not in self.pads[i]:
                n = shapes.conv_out_size(sizes[i], self.patch[i], self.patch_step[i], self.pads[i])
            shapes.check_out_size(
                _OP,
                i,
                n,
                input=sizes[i],
                patch=self.patch[i],
                pad=shapes.show_pad(self.pads[i]),
                patch_step=self.patch_step[i],
            )
            out.append(n)
        self.sizes = sizes
        self.out = tuple(out)
        self.n_shift = tuple(
            2 * s // t + 1 for s, t in zip(self.shift, self.shift_step, strict=True)
        )
        if None not in self.out:
            # the kernel copies the input into its padded, shifted region before any output:
            # bound it (per sample while the batch is unknown; setup runs again at run time)
            used = (
                (o - 1) * st + p + 2 * sh
                for o, st, p, sh in zip(self.out, self.patch_step, self.patch, self.shift)
            )
            n, c = shape[0], shape[3] if self.channel_last else shape[1]
            shapes.check_padded_input(
                _OP,
                (n, c, *used),
                np.dtype(accumulation_dtype(self.out_dtype)).itemsize,
                patch=self.patch,
                patch_step=self.patch_step,
                pad=pad,
            )
        return self.out

    def setup(self, first: Any, second: Any) -> tuple[TensorSpec, ...]:
        if self.mode == 0:
            check.ndim(_OP, "x1", first, 4)
            check.ndim(_OP, "x2", second, 4)
            s1, s2 = tuple(first.shape), tuple(second.shape)
            received = {"x1.shape": s1, "x2.shape": s2}
            require_shape(_OP, "x2", s1, s2, "have the shape of `x1`", received)
            dtype = check.same_dtype(_OP, ["x1", "x2"], [first, second])
        else:
            dtype = np.result_type(first.dtype, second.dtype)
        self.out_dtype = real_dtype(dtype)
        out = self._geometry(first.shape)
        if self.mode:
            return (TensorSpec(tuple(first.shape), self.out_dtype),)
        n, (cy, cx) = first.shape[0], self.n_shift
        shape = (n, *out, cy, cx) if self.channel_last else (n, cy, cx, *out)
        return (TensorSpec(shape, self.out_dtype),)

    # ------------------------------------------------------------------ layouts
    def _nhwc(self, xp: Any, x: Any) -> Any:
        return x if self.channel_last else x.transpose(0, 2, 3, 1)

    def _from_nhwc(self, xp: Any, x: Any) -> Any:
        return x if self.channel_last else xp.ascontiguousarray(x.transpose(0, 3, 1, 2))

    def _to_disp(self, xp: Any, y: Any) -> Any:
        """Output layout -> ``(D, N, Ho, Wo)``."""
        d = self.n_shift[0] * self.n_shift[1]
        if self.channel_last:
            n, ho, wo = y.shape[:3]
            return y.reshape(n, ho, wo, d).transpose(3, 0, 1, 2)
        n, _, _, ho, wo = y.shape
        return y.reshape(n, d, ho, wo).transpose(1, 0, 2, 3)

    def _from_disp(self, xp: Any, y: Any) -> Any:
        """``(D, N, Ho, Wo)`` -> output layout."""
        (cy, cx), (_, n, ho, wo) = self.n_shift, y.shape
        y = y.reshape(cy, cx, n, ho, wo)
        y = y.transpose(2, 3, 4, 0, 1) if self.channel_last else y.transpose(2, 0, 1, 3, 4)
        return xp.ascontiguousarray(y)

    def forward(self, xp: Any, first: Any, second: Any) -> tuple[Any, ...]:
        geo = kernel.Geometry(
            self.sizes,
            self.patch,
            self.shift,
            self.patch_step,
            self.shift_step,
            self.pads,
            self.out,
        )
        acc = accumulation_dtype(self.out_dtype)
        if self.mode == 0:
            y = kernel.forward(xp, self._nhwc(xp, first), self._nhwc(xp, second), geo, acc)
            y = self._from_disp(xp, y)
        else:
            grad = kernel.grad_a if self.mode == 1 else kernel.grad_b
            y = grad(xp, self._nhwc(xp, first), self._to_disp(xp, second), geo, acc)
            y = self._from_nhwc(xp, y)
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        first, second = self.retained_inputs()
        (h,) = grad_outputs
        g0 = g1 = None
        if self.mode == 0:  # (x1, x2)
            if 0 in target_indexes:
                g0 = self._again(1).apply1(second, h)
            if 1 in target_indexes:
                g1 = self._again(2).apply1(first, h)
        elif self.mode == 1:  # (x2, g), h has the shape of x1
            if 0 in target_indexes:
                g0 = self._again(2).apply1(h, second)
            if 1 in target_indexes:
                g1 = self._again(0).apply1(h, first)
        else:  # (x1, g), h has the shape of x2
            if 0 in target_indexes:
                g0 = self._again(1).apply1(h, second)
            if 1 in target_indexes:
                g1 = self._again(0).apply1(first, h)
        return (g0, g1)


def patch_correlation(
    x1: Any,
    x2: Any,
    *,
    patch: int | Sequence[int] = 1,
    shift: int | Sequence[int] = 0,
    patch_step: int | Sequence[int] = 1,
    shift_step: int | Sequence[int] = 1,
    pad: Any = 0,
    channel_last: bool = False,
    name: str | None = None,
) -> Any:
    """Correlation of patches of ``x1`` with displaced patches of ``x2`` (FlowNetC layer).

    .. math::
        y[n, i, j, h, w] = \\sum_c \\sum_{k_h < P_h} \\sum_{k_w < P_w}
            x_1[n, c, u + k_h, v + k_w]\\, x_2[n, c, u + k_h + s_i, v + k_w + t_j],
        \\quad u = h \\cdot \\mathrm{patch\\_step}_h - \\mathrm{pad}_{top},\\;
        v = w \\cdot \\mathrm{patch\\_step}_w - \\mathrm{pad}_{left}

    with vertical displacements ``s_i = -shift_h + i * shift_step_h`` (``i < C_y``) and
    horizontal ``t_j`` likewise; both inputs read as zero outside the image (no normalisation
    by ``C``). ``C_y = floor(2 * shift_h / shift_step_h) + 1``; ``H_o = floor((H + top + bottom
    - P_h) / patch_step_h) + 1`` (``C_x``, ``W_o`` likewise).

    Args:
        x1 (array, Variable or SymbolicVariable): ``(N, C, H, W)`` (``channel_last``:
            ``(N, H, W, C)``).
        x2: Same shape and dtype as ``x1``.
        patch (int or pair): Patch height and width.
        shift (int or pair): Largest vertical and horizontal displacement (>= 0).
        patch_step (int or pair): Step between patch origins.
        shift_step (int or pair): Step between displacements.
        pad: Zero padding of both inputs: an int, ``(pad_h, pad_w)``, ``((top, bottom), (left,
            right))``, ``"valid"`` or ``"same"`` (TensorFlow's rule with the patch as kernel).
        channel_last (bool): Inputs NHWC, output ``(N, H_o, W_o, C_y, C_x)``.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(N, C_y, C_x, H_o, W_o)`` (``channel_last``: ``(N, H_o, W_o, C_y, C_x)``), dtype of
        ``x1`` (integers give float32).

    Raises:
        ShapeError: ranks other than 4, ``x1`` and ``x2`` of different shapes, an empty output
            (patch larger than the padded input).
        ArgumentError: a patch, patch step or shift step below 1, a negative shift or pad, a
            bad ``pad`` form.
        DTypeError: ``x1`` and ``x2`` dtypes differ.

    Notes:
        Computed with a loop over the ``C_y * C_x`` displacements only: one channel contraction
        per displacement over whole maps, then one separable patch sum over all of them.
        float16 is accumulated in float32. Gradients: ``dy/dx1`` and ``dy/dx2`` are the two
        other contractions of the same trilinear form (a correlation with the output gradient
        spread over each patch), themselves differentiable, so every order is available.
        Equivalents: ``nnabla.functions.patch_correlation`` (``padding`` as ``(top, bottom,
        left, right)``); TensorFlow, Keras and SameDiff document no such function.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.ones((1, 2, 3, 4))
        >>> nf.patch_correlation(x, x, patch=(3, 4))
        array([[[[[24.]]]]])
        >>> nf.patch_correlation(x, x, patch=(3, 1), shift=(0, 1))[0, 0]
        array([[[0., 6., 6., 6.]],
        <BLANKLINE>
               [[6., 6., 6., 6.]],
        <BLANKLINE>
               [[6., 6., 6., 0.]]])
    """
    fn = PatchCorrelation(0, patch, shift, patch_step, shift_step, pad, channel_last)
    return fn.apply1(x1, x2, name=name)
