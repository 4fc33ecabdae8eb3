"""nnabla.functions quantized-network layers (NNabla 1.39).

``binary_weight``, ``alpha``, ``qr_min``/``qr_max`` and ``indicator_fixedweights`` are filled
or updated in place during the forward pass, as NNabla does; the weights of ``inq_*`` are
quantized in place where fixed. Convolutions take NNabla's ``base_axis`` (axes before it are
flattened into one sample axis) and symmetric ``pad``; ``stride``/``dilation`` default to 1.
``n_outputs`` and ``outputs``: see :mod:`nnfunc.compat.nnabla.functions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.compat._docs import shares_args
from nnfunc.compat.nnabla._imperative import canonical_entry, outputs_in_place
from nnfunc.compat.nnabla.functions._conv import _conv_like, convolution
from nnfunc.core import shapes
from nnfunc.functions.signal._common import as_spec, real_input

__all__ = [
    "binary_connect_affine",
    "binary_connect_convolution",
    "binary_sigmoid",
    "binary_tanh",
    "binary_weight_affine",
    "binary_weight_convolution",
    "fixed_point_quantize",
    "inq_affine",
    "inq_convolution",
    "min_max_quantize",
    "pow2_quantize",
    "prune",
]


binary_sigmoid = canonical_entry(
    F.binary_sigmoid,
    """1 where ``x > 0`` else 0; straight-through gradient 1/2 on ``|x| < 1``.

    See :func:`nnfunc.binary_sigmoid`.

    Returns:
        Output, shape of ``x``.

    Examples:
        >>> F.binary_sigmoid(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 1.])
    """,
)


binary_tanh = canonical_entry(
    F.binary_tanh,
    """1 where ``x > 0`` else -1; straight-through gradient 1 on ``|x| < 1``.

    See :func:`nnfunc.binary_tanh`.

    Returns:
        Output, shape of ``x``.

    Examples:
        >>> F.binary_tanh(np.array([-1.0, 0.0, 2.0]))
        array([-1., -1.,  1.])
    """,
)


@outputs_in_place
@tensor_args("x", "weight", "binary_weight")
def binary_connect_affine(
    x: Any,
    weight: Any,
    binary_weight: Any,
    bias: Any = None,
    base_axis: int = 1,
    quantize_zero_to: float = 1.0,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """BinaryConnect affine layer ``y_j = sum_i sign(w_ji) x_i`` (+ bias).

    ``binary_weight`` is filled with ``sign(weight)`` during the forward pass (weights and
    binary weights are in sync only after a forward pass). See
    :func:`nnfunc.binary_connect_affine`.

    Args:
        x: Input; axes from ``base_axis`` on are the features.
        weight: ``(D, L..)`` float weights.
        binary_weight: ``(D, L..)``, written in place.
        bias: ``(L..)`` or None.
        base_axis (int): Default 1.
        quantize_zero_to (float): Value of ``sign(0)``. Default 1.0.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(M.., L..)``.

    Examples:
        >>> wb = np.zeros((2, 1))
        >>> F.binary_connect_affine(np.array([[1.0, 2.0]]), np.array([[0.5], [0.0]]), wb)
        array([[3.]])
    """
    return F.binary_connect_affine(
        x,
        weight,
        binary_weight,
        bias,
        base_axis=base_axis,
        quantize_zero_to=quantize_zero_to,
        name=name,
    )


@shares_args(binary_connect_affine)
@outputs_in_place
@tensor_args("x", "weight", "binary_weight", "alpha")
def binary_weight_affine(
    x: Any,
    weight: Any,
    binary_weight: Any,
    alpha: Any,
    bias: Any = None,
    base_axis: int = 1,
    quantize_zero_to: float = 1.0,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Binary Weight Network affine layer ``y_j = alpha_j sum_i sign(w_ji) x_i`` (+ bias).

    ``alpha_j = mean_i |w_ji|`` (NNabla 1.39's kernel; the page's ``1/||w_j||_1`` is a
    misprint); ``binary_weight`` and ``alpha`` are filled in place. See
    :func:`nnfunc.binary_weight_affine`.

    Args:
        alpha: ``prod(L..)`` elements, written in place.

    Returns:
        ``(M.., L..)``.

    Examples:
        >>> wb, alpha = np.zeros((2, 1)), np.zeros(1)
        >>> F.binary_weight_affine(np.array([[1.0, 2.0]]), np.array([[0.5], [-0.25]]), wb, alpha)
        array([[-0.375]])
        >>> alpha
        array([0.375])
    """
    return F.binary_weight_affine(
        x,
        weight,
        binary_weight,
        alpha,
        bias,
        base_axis=base_axis,
        quantize_zero_to=quantize_zero_to,
        name=name,
    )


def _tensor(op: str, x: Any, name: str | None) -> Any:
    """``x`` checked (a real tensor) before the base-axis flattening reads its shape."""
    with shapes.node_errors(name, x):
        x = as_spec(x)
        real_input(op, "x", x)
    return x


def _binary_conv(
    canonical,
    op,
    x,
    weight,
    extra,
    bias,
    base_axis,
    pad,
    stride,
    dilation,
    group,
    quantize_zero_to,
    name,
):
    def fn(xf, w, b, **kw):
        return canonical(xf, w, *extra, b, quantize_zero_to=quantize_zero_to, groups=group, **kw)

    x = _tensor(op, x, name)
    return _conv_like(op, fn, x, weight, bias, base_axis, pad, stride, dilation, name)


@shares_args(convolution)
@outputs_in_place
@tensor_args("x", "weight", "binary_weight")
def binary_connect_convolution(
    x: Any,
    weight: Any,
    binary_weight: Any,
    bias: Any = None,
    base_axis: int = 1,
    pad: Sequence[int] | None = None,
    stride: Sequence[int] | None = None,
    dilation: Sequence[int] | None = None,
    group: int = 1,
    quantize_zero_to: float = 1.0,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """BinaryConnect convolution: convolution with ``sign(weight)``.

    ``binary_weight`` is filled in place. See :func:`nnfunc.binary_connect_convolution`.

    Args:
        x: ``(M.., C, L..)``.
        weight: ``(C', C/group, K..)`` float weights.
        binary_weight: Same shape, written in place.
        pad, stride, dilation (tuple of int): Per spatial axis (defaults 0, 1, 1).
        group (int): Default 1.
        quantize_zero_to (float): Value of ``sign(0)``. Default 1.0.

    Returns:
        ``(M.., C', L'..)``.

    Examples:
        >>> wb = np.zeros((1, 1, 2))
        >>> F.binary_connect_convolution(np.ones((1, 1, 3)), np.array([[[0.3, -0.7]]]), wb,
        ...                              pad=(1,))
        array([[[-1.,  0.,  0.,  1.]]])
    """
    return _binary_conv(
        F.binary_connect_convolution,
        "binary_connect_convolution",
        x,
        weight,
        (binary_weight,),
        bias,
        base_axis,
        pad,
        stride,
        dilation,
        group,
        quantize_zero_to,
        name,
    )


@shares_args(binary_connect_convolution)
@outputs_in_place
@tensor_args("x", "weight", "binary_weight", "alpha")
def binary_weight_convolution(
    x: Any,
    weight: Any,
    binary_weight: Any,
    alpha: Any,
    bias: Any = None,
    base_axis: int = 1,
    pad: Sequence[int] | None = None,
    stride: Sequence[int] | None = None,
    dilation: Sequence[int] | None = None,
    group: int = 1,
    quantize_zero_to: float = 1.0,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Binary Weight Network convolution: ``alpha_n * conv(x, sign(w))``.

    ``alpha_n = mean |w_n|`` per output map (NNabla 1.39's kernel); ``binary_weight`` and
    ``alpha`` are filled in place. See :func:`nnfunc.binary_weight_convolution`.

    Args:
        alpha: ``(C',)``, written in place.

    Returns:
        ``(M.., C', L'..)``.

    Examples:
        >>> wb, alpha = np.zeros((1, 1, 2)), np.zeros(1)
        >>> F.binary_weight_convolution(np.ones((1, 1, 3)), np.array([[[0.5, 0.25]]]), wb, alpha)
        array([[[0.75, 0.75]]])
    """
    return _binary_conv(
        F.binary_weight_convolution,
        "binary_weight_convolution",
        x,
        weight,
        (binary_weight, alpha),
        bias,
        base_axis,
        pad,
        stride,
        dilation,
        group,
        quantize_zero_to,
        name,
    )


@outputs_in_place
@tensor_args("x")
def fixed_point_quantize(
    x: Any,
    sign: bool = True,
    n: int = 8,
    delta: float = 0.0625,
    quantize: bool = True,
    ste_fine_grained: bool = True,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Fixed-point quantization (see :func:`nnfunc.fixed_point_quantize`).

    Args:
        x: Input.
        sign (bool): Signed. Default True.
        n (int): Bit width. Default 8.
        delta (float): Step. Default 0.0625.
        quantize (bool): False: identity. Default True.
        ste_fine_grained (bool): Clipped straight-through gradient. Default True.
        name (str, optional): Node name in graph mode.

    Returns:
        Quantized values (float).

    Examples:
        >>> F.fixed_point_quantize(np.array([0.1, 0.2, 100.0]))
        array([0.125 , 0.1875, 7.9375])
    """
    return F.fixed_point_quantize(
        x,
        sign=sign,
        n=n,
        delta=delta,
        quantize=quantize,
        ste_fine_grained=ste_fine_grained,
        name=name,
    )


@shares_args(fixed_point_quantize)
@outputs_in_place
@tensor_args("x", "qr_min", "qr_max", "ql_min", "ql_max")
def min_max_quantize(
    x: Any,
    qr_min: Any,
    qr_max: Any,
    ql_min: Any,
    ql_max: Any,
    decay: float = 0.999,
    x_min_max: bool = False,
    ema: bool = False,
    ste_fine_grained: bool = True,
    eps: float = 0.01,
    quantize: bool = True,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Min-max quantization with zero-point nudging (see :func:`nnfunc.min_max_quantize`).

    ``qr_min``/``qr_max`` (x's rank, size 1 on the reduced axes) are modified in place.

    Args:
        qr_min, qr_max: Quantization range (modified during forward execution).
        ql_min, ql_max: Quantization levels (typically 0 and 255).
        decay (float): EMA decay. Default 0.999.
        x_min_max (bool): Range from ``x``. Default False.
        ema (bool): Moving average of the range. Default False.
        eps (float): Smallest range. Default 0.01.

    Returns:
        Quantized values (float).

    Examples:
        >>> lo, hi = np.zeros((1, 1)), np.zeros((1, 1))
        >>> F.min_max_quantize(np.array([[0.0, 0.3, 1.0]]), lo, hi, np.zeros((1, 1)),
        ...                    np.full((1, 1), 255.0), x_min_max=True)
        array([[0.        , 0.30196078, 1.        ]])
        >>> hi
        array([[1.]])
    """
    return F.min_max_quantize(
        x,
        qr_min,
        qr_max,
        ql_min,
        ql_max,
        decay=decay,
        x_min_max=x_min_max,
        ema=ema,
        ste_fine_grained=ste_fine_grained,
        eps=eps,
        quantize=quantize,
        name=name,
    )


@shares_args(fixed_point_quantize)
@outputs_in_place
@tensor_args("x")
def pow2_quantize(
    x: Any,
    sign: bool = True,
    with_zero: bool = True,
    n: int = 8,
    m: int = 1,
    quantize: bool = True,
    ste_fine_grained: bool = True,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Power-of-two quantization (see :func:`nnfunc.pow2_quantize`).

    Args:
        with_zero (bool): Zero representable. Default True.
        m (int): ``2^m`` is the upper bound. Default 1.

    Returns:
        Quantized values (float).

    Examples:
        >>> F.pow2_quantize(np.array([0.3, -0.7, 5.0]))
        array([ 0.25, -0.5 ,  2.  ])
    """
    return F.pow2_quantize(
        x,
        sign=sign,
        with_zero=with_zero,
        n=n,
        m=m,
        quantize=quantize,
        ste_fine_grained=ste_fine_grained,
        name=name,
    )


prune = canonical_entry(
    F.prune,
    """Zero the smallest-magnitude fraction ``rate`` of ``x`` (see :func:`nnfunc.prune`).

    Threshold ``np.sort(np.abs(x).ravel())[int((x.size - 1) * rate)]``.

    Returns:
        Pruned array, shape of ``x``.

    Examples:
        >>> F.prune(np.array([0.1, -2.0, 0.5, 3.0]), rate=0.5)
        array([ 0. , -2. ,  0.5,  3. ])
    """,
)


inq_affine = canonical_entry(
    F.inq_affine,
    """INQ affine layer (see :func:`nnfunc.inq_affine`).

    Returns:
        ``(M.., L..)``.

    Examples:
        >>> w, ind = np.array([[0.3], [-0.9]]), np.ones((2, 1))
        >>> F.inq_affine(np.array([[1.0, 1.0]]), w, ind)
        array([[-0.75]])
    """,
    defaults={"seed": -1},
)


@shares_args(binary_connect_convolution)
@outputs_in_place
@tensor_args("x", "weight", "indicator_fixedweights")
def inq_convolution(
    x: Any,
    weight: Any,
    indicator_fixedweights: Any,
    bias: Any = None,
    base_axis: int = 1,
    pad: Sequence[int] | None = None,
    stride: Sequence[int] | None = None,
    dilation: Sequence[int] | None = None,
    group: int = 1,
    num_bits: int = 4,
    inq_iterations: Sequence[int] = (),
    selection_algorithm: str = "largest_abs",
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """INQ convolution (see :func:`nnfunc.inq_convolution`).

    Args:
        weight: ``(C', C/group, K..)``, quantized in place where fixed.
        indicator_fixedweights: Same shape; updated in place.
        num_bits (int): Default 4.
        inq_iterations (tuple of int): Schedule. Default ().
        selection_algorithm (str): ``'largest_abs'`` (default) or ``'random'``.
        seed (int): -1 (default): the global generator.

    Returns:
        ``(M.., C', L'..)``.

    Examples:
        >>> w, ind = np.array([[[0.3, -0.9]]]), np.ones((1, 1, 2))
        >>> F.inq_convolution(np.ones((1, 1, 3)), w, ind)
        array([[[-0.75, -0.75]]])
    """

    def fn(xf, w, b, **kw):
        return F.inq_convolution(
            xf,
            w,
            indicator_fixedweights,
            b,
            groups=group,
            num_bits=num_bits,
            inq_iterations=inq_iterations,
            selection_algorithm=selection_algorithm,
            seed=seed,
            **kw,
        )

    x = _tensor("inq_convolution", x, name)
    return _conv_like(
        "inq_convolution", fn, x, weight, bias, base_axis, pad, stride, dilation, name
    )
