"""Binary activations and binary-weight layers (BinaryConnect, Binary Weight Networks).

The layers binarize the float weight in a small Function (which also fills the caller's
``binary_weight`` and ``alpha`` tensors in place, as NNabla's forward pass does) and then call
the canonical :func:`nnfunc.linear` / :func:`nnfunc.conv`, so layouts, padding rules and
gradients with respect to ``x`` and ``bias`` are theirs. The weight gradient is straight
through the binarization (NNabla's ``sign`` backward is the identity).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ShapeError
from nnfunc.functions.quantization._common import (
    as_spec,
    float_param,
    real_input,
    same_shape,
    work_dtype,
)

__all__ = [
    "binary_connect_affine",
    "binary_connect_convolution",
    "binary_sigmoid",
    "binary_tanh",
    "binary_weight_affine",
    "binary_weight_convolution",
]


class _BinaryActivation(Function):
    """Step forward, clipped straight-through backward (``|x| < 1``)."""

    input_names = ("x",)
    retain_in = (0,)
    low = -1.0
    slope = 1.0

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        self.out_dtype = real_input(self.op_name, "x", x)
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        one = self.out_dtype.type(1)
        low = self.out_dtype.type(self.low)
        return (xp.where(x > 0, one, low).astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (x,) = self.retained_inputs()
        inside = F.cast(F.less_scalar(F.abs(x), 1.0), self.out_dtype)
        gx = grad_outputs[0] * inside
        if self.slope != 1.0:
            gx = gx * self.slope
        dt = np.dtype(self.input_spec(0).dtype)
        return (gx if dt == self.out_dtype or dt.kind != "f" else F.cast(gx, dt),)


class BinarySigmoid(_BinaryActivation):
    """Function node of :func:`nnfunc.binary_sigmoid`."""

    op_name = "binary_sigmoid"
    low = 0.0
    slope = 0.5


class BinaryTanh(_BinaryActivation):
    """Function node of :func:`nnfunc.binary_tanh`."""

    op_name = "binary_tanh"


def binary_sigmoid(x: Any, *, name: str | None = None) -> Any:
    r"""Binary sigmoid: 1 where ``x > 0``, else 0, with a straight-through gradient.

    .. math::
        y = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}, \qquad
        \frac{\partial y}{\partial x} := \begin{cases} 1/2 & |x| < 1 \\ 0 & |x| \ge 1
        \end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input, real dtype.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind and shape as ``x``; x's floating dtype (integers give float32).

    Raises:
        DTypeError: ``x`` is complex, object or string.

    Notes:
        The gradient is NNabla's straight-through approximation (the slope of ``hard_sigmoid``
        with slope 1/2 on ``(-1, 1)``), not the true derivative (0 almost everywhere); at
        ``|x| = 1`` it is 0. NNabla ``binary_sigmoid(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.binary_sigmoid(np.array([-0.5, 0.0, 0.3], np.float32))
        array([0., 0., 1.], dtype=float32)
    """
    return BinarySigmoid().apply1(x, name=name)


def binary_tanh(x: Any, *, name: str | None = None) -> Any:
    r"""Binary tanh: 1 where ``x > 0``, else -1, with a straight-through gradient.

    .. math::
        y = \begin{cases} 1 & x > 0 \\ -1 & \text{otherwise} \end{cases}, \qquad
        \frac{\partial y}{\partial x} := \begin{cases} 1 & |x| < 1 \\ 0 & |x| \ge 1
        \end{cases}

    Args:
        x (array, Variable or SymbolicVariable): Input, real dtype.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind and shape as ``x``; x's floating dtype (integers give float32).

    Raises:
        DTypeError: ``x`` is complex, object or string.

    Notes:
        Straight-through gradient (that of ``hard_tanh``), 0 at ``|x| = 1``. NNabla
        ``binary_tanh(x)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.binary_tanh(np.array([-0.5, 0.0, 0.3], np.float32))
        array([-1., -1.,  1.], dtype=float32)
    """
    return BinaryTanh().apply1(x, name=name)


class BinarizeWeight(Function):
    """``alpha * sign(w)`` (``sign(0) = quantize_zero_to``), filling ``binary_weight`` and
    ``alpha`` in place; the gradient w.r.t. ``w`` is straight through."""

    input_names = ("weight", "binary_weight", "alpha")

    def __init__(self, op: str, zero_to: Any, scaled: bool, out_axis: int) -> None:
        self.op_name = op
        self.zero_to = check.real_scalar(op, "quantize_zero_to", zero_to)
        self.scaled = scaled
        # axis of the weight that indexes outputs: 0 for conv (O, C, k..), the rest (1..) for
        # affine (in, out..); alpha is the mean |w| over the other axes.
        self.out_axis = out_axis

    def _n_out(self, shape: tuple) -> int | None:
        rest = shape[1:] if self.out_axis == 1 else shape[:1]
        return None if None in rest else math.prod(rest)

    def setup(self, w: Any, wb: Any = None, alpha: Any = None) -> tuple[TensorSpec, ...]:
        op = self.op_name
        dtype = real_input(op, "weight", w)
        min_rank = 2 if self.out_axis == 1 else 3
        check.ndim_at_least(op, "weight", w, min_rank)
        if wb is not None:
            float_param(op, "binary_weight", wb)
            same_shape(op, "binary_weight", wb, "weight", w)
        if alpha is not None:
            float_param(op, "alpha", alpha)
            n = self._n_out(tuple(w.shape))
            size = None if None in alpha.shape else math.prod(alpha.shape)
            if n is not None and size is not None and n != size:
                raise ShapeError(
                    check.message(
                        op,
                        "alpha",
                        f"have one element per output ({n})",
                        **{"alpha.shape": tuple(alpha.shape), "weight.shape": tuple(w.shape)},
                    )
                )
        self.out_dtype = dtype
        return (TensorSpec(tuple(w.shape), dtype),)

    def forward(self, xp: Any, w: Any, wb: Any = None, alpha: Any = None) -> tuple[Any, ...]:
        work = work_dtype(self.out_dtype)
        wf = w.astype(work, copy=False)
        b = xp.where(wf > 0, work.type(1), xp.where(wf < 0, work.type(-1), work.type(self.zero_to)))
        if wb is not None:
            wb[...] = b.astype(wb.dtype, copy=False)
        if not self.scaled:
            return (b.astype(self.out_dtype, copy=False),)
        if self.out_axis == 1:  # affine (in, out..): mean over the input axis
            a = xp.abs(wf).mean(axis=0) if wf.shape[0] else xp.zeros(wf.shape[1:], work)
            scaled = b * a[None]
        else:  # conv (O, C, k..): mean over everything but the output axis
            red = tuple(range(1, wf.ndim))
            # No wf[0] / reshape(-1) here: the weight may have 0 output channels.
            per = int(np.prod(wf.shape[1:]))
            a = xp.abs(wf).mean(axis=red) if per else xp.zeros(wf.shape[:1], work)
            scaled = b * a.reshape(wf.shape[:1] + (1,) * (wf.ndim - 1))
        if alpha is not None:
            alpha[...] = a.reshape(alpha.shape).astype(alpha.dtype, copy=False)
        return (scaled.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        g = grad_outputs[0]
        dt = np.dtype(self.input_spec(0).dtype)
        if dt != self.out_dtype and dt.kind == "f":
            g = F.cast(g, dt)
        return (g, None, None)


def _binarized(op, x, weight, binary_weight, alpha, bias, zero_to, scaled, out_axis, name):
    """``weight`` binarized (``binary_weight`` / ``alpha`` written in place when given), with
    ``x`` and the weights checked first under the caller's node name."""
    with shapes.node_errors(name, x, weight, binary_weight, alpha, bias):
        real_input(op, "x", as_spec(x))
        f = BinarizeWeight(op, zero_to, scaled, out_axis)
        binary_weight, alpha = as_spec(binary_weight), as_spec(alpha)
        f.setup(as_spec(weight), binary_weight, alpha)  # errors name the caller's node
        return f.apply1(weight, binary_weight, alpha)


def _affine(op, x, weight, binary_weight, alpha, bias, base_axis, zero_to, scaled, name):
    wq = _binarized(op, x, weight, binary_weight, alpha, bias, zero_to, scaled, 1, name)
    return F.linear(x, wq, bias, base_axis=base_axis, name=name)


def _conv(op, x, weight, binary_weight, alpha, bias, zero_to, scaled, name, **kw):
    wq = _binarized(op, x, weight, binary_weight, alpha, bias, zero_to, scaled, 0, name)
    return F.conv(x, wq, bias, name=name, **kw)


_AFFINE_ARGS = """
    Args:
        x (array, Variable or SymbolicVariable): ``(M_0..M_{B-1}, D_B..D_N)``; the axes from
            ``base_axis`` on are the input features.
        weight: Float weights ``(D_B * ... * D_N, L..)`` (input features first, as
            :func:`nnfunc.linear`)."""


def binary_connect_affine(
    x: Any,
    weight: Any,
    binary_weight: Any = None,
    bias: Any = None,
    *,
    base_axis: int = 1,
    quantize_zero_to: float = 1.0,
    name: str | None = None,
) -> Any:
    r"""BinaryConnect fully connected layer: the weights binarized to their signs.

    .. math::
        y_j = \sum_i \operatorname{sign}(w_{ij})\, x_i + b_j

    Args:
        x (array, Variable or SymbolicVariable): ``(M_0..M_{B-1}, D_B..D_N)``; the axes from
            ``base_axis`` on are the input features.
        weight: Float weights ``(D_B * ... * D_N, L..)`` (input features first).
        binary_weight (optional): A floating tensor of the shape of ``weight``, filled IN PLACE
            with ``sign(weight)`` during the forward pass (NNabla's parameter).
        bias (optional): ``(L..)``.
        base_axis (int): First feature axis of ``x``. Default 1.
        quantize_zero_to (float): Value a zero weight binarizes to. Default 1.0.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(M_0..M_{B-1}, L..)``, the floating result dtype of the inputs.

    Raises:
        ShapeError: ``binary_weight`` does not have the shape of ``weight``; shapes that
            :func:`nnfunc.linear` rejects.
        DTypeError: ``binary_weight`` not floating; complex or object inputs.
        ArgumentError: ``quantize_zero_to`` is not a finite number.

    Notes:
        Gradient w.r.t. ``weight``: straight through the sign (``x^T gy``, the gradient of
        the binarized weight); w.r.t. ``x`` and ``bias``: those of :func:`nnfunc.linear` with
        the binary weights. ``binary_weight`` receives no gradient. In a Graph,
        ``binary_weight`` is updated each time the node runs. NNabla
        ``binary_connect_affine(x, weight, binary_weight, bias, base_axis, quantize_zero_to)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> wb = np.zeros((2, 1), np.float32)
        >>> nf.binary_connect_affine(np.array([[1.0, 2.0]], np.float32),
        ...                          np.array([[0.3], [-0.2]], np.float32), wb)
        array([[-1.]], dtype=float32)
        >>> wb
        array([[ 1.],
               [-1.]], dtype=float32)
    """
    return _affine(
        "binary_connect_affine",
        x,
        weight,
        binary_weight,
        None,
        bias,
        base_axis,
        quantize_zero_to,
        False,
        name,
    )


def binary_weight_affine(
    x: Any,
    weight: Any,
    binary_weight: Any = None,
    alpha: Any = None,
    bias: Any = None,
    *,
    base_axis: int = 1,
    quantize_zero_to: float = 1.0,
    name: str | None = None,
) -> Any:
    r"""Binary Weight Network fully connected layer: signs scaled per output by ``mean |w|``.

    .. math::
        y_j = \alpha_j \sum_i \operatorname{sign}(w_{ij})\, x_i + b_j, \qquad
        \alpha_j = \frac{1}{D} \sum_i |w_{ij}|

    Args:
        x (array, Variable or SymbolicVariable): ``(M_0..M_{B-1}, D_B..D_N)``.
        weight: Float weights ``(D, L..)``, ``D = D_B * ... * D_N``.
        binary_weight (optional): Floating tensor shaped as ``weight``, filled IN PLACE with
            ``sign(weight)``.
        alpha (optional): Floating tensor of ``prod(L..)`` elements, filled IN PLACE with the
            scales ``alpha_j``.
        bias (optional): ``(L..)``.
        base_axis (int): First feature axis of ``x``. Default 1.
        quantize_zero_to (float): Value a zero weight binarizes to. Default 1.0.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(M_0..M_{B-1}, L..)``.

    Raises:
        ShapeError: ``binary_weight`` not shaped as ``weight``; ``alpha`` without one element
            per output; shapes that :func:`nnfunc.linear` rejects.
        DTypeError: ``binary_weight``/``alpha`` not floating; complex or object inputs.
        ArgumentError: ``quantize_zero_to`` is not a finite number.

    Notes:
        ``alpha_j = ||w_j||_1 / D`` as NNabla 1.39 computes it (XNOR-Net); the NNabla page
        writes ``1/||w_j||_1``, which is not what the library does. Gradient w.r.t.
        ``weight``: straight through, the gradient of the scaled binary weight (``x^T gy``,
        no factor ``alpha`` and no term through ``alpha``), as NNabla. NNabla
        ``binary_weight_affine(x, weight, binary_weight, alpha, bias, base_axis,
        quantize_zero_to)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> alpha = np.zeros(1, np.float32)
        >>> nf.binary_weight_affine(np.array([[1.0, 2.0]], np.float32),
        ...                         np.array([[0.3], [-0.1]], np.float32), None, alpha)
        array([[-0.2]], dtype=float32)
        >>> alpha
        array([0.2], dtype=float32)
    """
    return _affine(
        "binary_weight_affine",
        x,
        weight,
        binary_weight,
        alpha,
        bias,
        base_axis,
        quantize_zero_to,
        True,
        name,
    )


def binary_connect_convolution(
    x: Any,
    weight: Any,
    binary_weight: Any = None,
    bias: Any = None,
    *,
    stride: int | Sequence[int] = 1,
    pad: Any = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    quantize_zero_to: float = 1.0,
    name: str | None = None,
) -> Any:
    r"""BinaryConnect convolution: :func:`nnfunc.conv` with the weights' signs.

    .. math::
        y[n, o, \mathbf{p}] = b_o + \sum_{c, \mathbf{k}} \operatorname{sign}(W[o, c,
            \mathbf{k}])\, x_{pad}[n, c, \mathbf{s} \mathbf{p} + \mathbf{d} \mathbf{k}]

    Args:
        x (array, Variable or SymbolicVariable): ``(N, C, L..)``.
        weight: Float weights ``(O, C // groups, K..)``.
        binary_weight (optional): Floating tensor shaped as ``weight``, filled IN PLACE with
            ``sign(weight)``.
        bias (optional): ``(O,)``.
        stride, pad, dilation, groups: As :func:`nnfunc.conv`.
        quantize_zero_to (float): Value a zero weight binarizes to. Default 1.0.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(N, O, L'..)``.

    Raises:
        ShapeError: ``binary_weight`` not shaped as ``weight``; what :func:`nnfunc.conv`
            rejects.
        DTypeError: ``binary_weight`` not floating; complex or object inputs.
        ArgumentError: ``quantize_zero_to`` is not a finite number; bad conv options.

    Notes:
        Weight gradient straight through the sign. NNabla
        ``binary_connect_convolution(x, weight, binary_weight, bias, base_axis, pad, stride,
        dilation, group, quantize_zero_to)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.binary_connect_convolution(np.ones((1, 1, 3), np.float32),
        ...                               np.array([[[0.5, -0.1]]], np.float32))
        array([[[0., 0.]]], dtype=float32)
    """
    return _conv(
        "binary_connect_convolution",
        x,
        weight,
        binary_weight,
        None,
        bias,
        quantize_zero_to,
        False,
        name,
        stride=stride,
        pad=pad,
        dilation=dilation,
        groups=groups,
    )


def binary_weight_convolution(
    x: Any,
    weight: Any,
    binary_weight: Any = None,
    alpha: Any = None,
    bias: Any = None,
    *,
    stride: int | Sequence[int] = 1,
    pad: Any = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    quantize_zero_to: float = 1.0,
    name: str | None = None,
) -> Any:
    r"""Binary Weight Network convolution: signs scaled per output map by ``mean |w|``.

    .. math::
        y[n, o, \mathbf{p}] = b_o + \alpha_o \sum_{c, \mathbf{k}} \operatorname{sign}(W[o, c,
            \mathbf{k}])\, x_{pad}[\ldots], \qquad \alpha_o = \operatorname{mean}_{c,
            \mathbf{k}} |W[o, c, \mathbf{k}]|

    Args:
        x (array, Variable or SymbolicVariable): ``(N, C, L..)``.
        weight: Float weights ``(O, C // groups, K..)``.
        binary_weight (optional): Floating tensor shaped as ``weight``, filled IN PLACE.
        alpha (optional): Floating tensor of ``O`` elements, filled IN PLACE with ``alpha_o``.
        bias (optional): ``(O,)``.
        stride, pad, dilation, groups: As :func:`nnfunc.conv`.
        quantize_zero_to (float): Value a zero weight binarizes to. Default 1.0.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(N, O, L'..)``.

    Raises:
        ShapeError: ``binary_weight`` not shaped as ``weight``; ``alpha`` without ``O``
            elements; what :func:`nnfunc.conv` rejects.
        DTypeError: ``binary_weight``/``alpha`` not floating; complex or object inputs.
        ArgumentError: ``quantize_zero_to`` is not a finite number; bad conv options.

    Notes:
        ``alpha_o = ||W_o||_1 / n`` as NNabla 1.39 computes it (the page's ``1/||W_o||_1`` is
        a misprint). Weight gradient straight through (the gradient of the scaled binary
        weight). NNabla ``binary_weight_convolution(x, weight, binary_weight, alpha, bias,
        base_axis, pad, stride, dilation, group, quantize_zero_to)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.binary_weight_convolution(np.ones((1, 1, 3), np.float32),
        ...                              np.array([[[0.5, -0.1]]], np.float32))
        array([[[0., 0.]]], dtype=float32)
    """
    return _conv(
        "binary_weight_convolution",
        x,
        weight,
        binary_weight,
        alpha,
        bias,
        quantize_zero_to,
        True,
        name,
        stride=stride,
        pad=pad,
        dilation=dilation,
        groups=groups,
    )
