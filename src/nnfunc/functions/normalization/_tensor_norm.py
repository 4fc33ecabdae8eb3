"""layer_normalization, instance_normalization, group_normalization, weight_standardization."""

from __future__ import annotations

from typing import Any

from nnfunc.functions.normalization._normalize import (
    GroupNormalize,
    InstanceNormalize,
    LayerNormalize,
    Normalize,
    WeightStandardize,
)

__all__ = [
    "group_normalization",
    "instance_normalization",
    "layer_normalization",
    "weight_standardization",
]


def _run(f: Normalize, x: Any, scale: Any, offset: Any, output_stat: bool, name: Any) -> Any:
    outs = f.apply(x, scale, offset, None, None, name=name)
    return outs if output_stat is True else outs[0]


def layer_normalization(
    x: Any,
    scale: Any = None,
    offset: Any = None,
    *,
    axis: Any = -1,
    eps: float = 1e-5,
    output_stat: bool = False,
    name: str | None = None,
) -> Any:
    """Layer normalization: standardize each sample over ``axis``, then scale and shift.

    .. math::
        y = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} \\gamma + \\beta,
        \\quad \\mu, \\sigma^2 = \\text{mean, biased variance over } axis

    Args:
        x (array, Variable or SymbolicVariable): Input; integers are promoted to float32.
        scale (optional): ``gamma``: shape ``tuple(x.shape[a] for a in axis)`` or any shape of
            x's rank that broadcasts to ``x``. ``None`` omits it.
        offset (optional): ``beta``, same shapes. ``None`` omits it.
        axis (int or tuple of int): The normalized axes. Default -1 (the last axis).
        eps (float): Added to the variance inside the square root, ``>= 0``. Default 1e-5.
        output_stat (bool): Also return the mean and variance (x's rank, 1 on ``axis``).
        name (str, optional): Node name in graph mode.

    Returns:
        ``y`` (shape and floating dtype of ``x``), or ``(y, mean, variance)``.

    Raises:
        ShapeError: an axis is out of range, or a parameter does not fit ``x``.
        ArgumentError: repeated axes, empty ``axis``, ``eps < 0``.

    Notes:
        float16 is normalized with float32 statistics; the variance is a corrected two-pass
        estimate. NNabla ``layer_normalization(x, beta, gamma, batch_axis=0, eps=1e-5,
        output_stat=False)`` normalizes over every axis but ``batch_axis`` and (NNabla 1.39
        behaviour) puts eps inside the square root; SameDiff ``layerNorm(input, gain, bias,
        channelsFirst, dimensions)`` exposes no eps and DL4J's op (libnd4j ``standardize``)
        uses none: the dialect calls this with ``eps=0`` and, as DL4J, turns the NaN of a
        constant slice into 0 before gain and bias. Keras' LayerNormalization layer is the
        same formula with ``epsilon=1e-3``.
        ``eps`` must be >= 0 (a negative eps can make the variance term negative: NaN); PyTorch
        accepts a negative eps.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.layer_normalization(np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 5.0]]), eps=0.0)
        array([[-1.22474487,  0.        ,  1.22474487],
               [-0.70710678, -0.70710678,  1.41421356]])
    """
    f = LayerNormalize("layer_normalization", eps=eps, axis=axis, output_stat=output_stat)
    return _run(f, x, scale, offset, output_stat, name)


def instance_normalization(
    x: Any,
    scale: Any = None,
    offset: Any = None,
    *,
    channel_axis: int = 1,
    batch_axis: Any = 0,
    eps: float = 1e-5,
    output_stat: bool = False,
    name: str | None = None,
) -> Any:
    """Instance normalization: standardize each (sample, channel) over the remaining axes.

    .. math::
        y = \\frac{x - \\mu_{b,c}}{\\sqrt{\\sigma^2_{b,c} + \\epsilon}} \\gamma_c + \\beta_c

    Args:
        x (array, Variable or SymbolicVariable): Input, e.g. ``(B, C, H, W)``.
        scale (optional): ``gamma``: ``(C,)`` or x's rank broadcasting to ``x``.
        offset (optional): ``beta``, same shapes.
        channel_axis (int): Channel axis. Default 1.
        batch_axis (int or tuple of int): Batch axes. Default 0.
        eps (float): Added to the variance inside the square root. Default 1e-5.
        output_stat (bool): Also return mean and variance (``(B, C, 1, 1)``-like).
        name (str, optional): Node name in graph mode.

    Returns:
        ``y``, or ``(y, mean, variance)``.

    Raises:
        ShapeError: axes out of range or parameters not matching the channels.
        ArgumentError: ``channel_axis`` among ``batch_axis``, ``eps < 0``.

    Notes:
        NNabla ``instance_normalization(x, beta, gamma, channel_axis=1, batch_axis=0, eps,
        output_stat)``: NNabla 1.39 puts eps inside the square root (the page writes it on
        the standard deviation) and returns the variance as its second statistic.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[[1.0, 3.0], [0.0, 4.0]]])
        >>> nf.instance_normalization(x, eps=0.0)
        array([[[-1.,  1.],
                [-1.,  1.]]])
    """
    f = InstanceNormalize(
        "instance_normalization",
        eps=eps,
        channel_axis=channel_axis,
        batch_axis=batch_axis,
        output_stat=output_stat,
    )
    return _run(f, x, scale, offset, output_stat, name)


def group_normalization(
    x: Any,
    num_groups: int,
    scale: Any = None,
    offset: Any = None,
    *,
    channel_axis: int = 1,
    batch_axis: Any = 0,
    eps: float = 1e-5,
    output_stat: bool = False,
    name: str | None = None,
) -> Any:
    """Group normalization: standardize each (sample, group of channels), then per channel affine.

    .. math::
        y = \\frac{x - \\mu_{b,g}}{\\sqrt{\\sigma^2_{b,g} + \\epsilon}} \\gamma_c + \\beta_c

    ``x`` of shape ``(B, C, H, W)`` is viewed as ``(B, G, C/G, H, W)``; statistics are taken
    per ``(B, G)``.

    Args:
        x (array, Variable or SymbolicVariable): Input.
        num_groups (int): ``G``; must divide the number of channels.
        scale (optional): ``gamma``: ``(C,)`` or x's rank broadcasting to ``x``.
        offset (optional): ``beta``, same shapes.
        channel_axis (int): Channel axis. Default 1.
        batch_axis (int or tuple of int): Batch axes. Default 0.
        eps (float): Added to the variance inside the square root. Default 1e-5.
        output_stat (bool): Also return mean and variance in the grouped layout
            (``(B, G, 1, 1, 1)`` for the example above).
        name (str, optional): Node name in graph mode.

    Returns:
        ``y``, or ``(y, mean, variance)``.

    Raises:
        ArgumentError: ``num_groups`` not a positive integer dividing the channels.
        ShapeError: axes out of range, parameters not matching the channels.

    Notes:
        NNabla ``group_normalization(x, beta, gamma, num_groups, ...)``; eps inside the square
        root as NNabla 1.39 computes it.
        ``eps`` must be >= 0 (a negative eps can make the variance term negative: NaN); PyTorch
        accepts a negative eps.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[1.0, 3.0, 10.0, 30.0]])
        >>> nf.group_normalization(x, 2, eps=0.0)
        array([[-1.,  1., -1.,  1.]])
    """
    f = GroupNormalize(
        "group_normalization",
        eps=eps,
        channel_axis=channel_axis,
        batch_axis=batch_axis,
        num_groups=num_groups,
        output_stat=output_stat,
    )
    return _run(f, x, scale, offset, output_stat, name)


def weight_standardization(
    w: Any,
    *,
    channel_axis: int = 0,
    eps: float = 1e-5,
    output_stat: bool = False,
    name: str | None = None,
) -> Any:
    """Standardize a weight tensor per output channel.

    .. math::
        \\hat W_{i\\cdot} = \\frac{W_{i\\cdot} - \\mu_i}{\\sqrt{\\sigma_i^2 + \\epsilon}}

    Args:
        w (array, Variable or SymbolicVariable): Weight, e.g. a conv weight
            ``(out_channels, in_channels, kh, kw)``.
        channel_axis (int): The output-channel axis. Default 0.
        eps (float): Added to the variance inside the square root. Default 1e-5.
        output_stat (bool): Also return mean and variance (1 except on ``channel_axis``).
        name (str, optional): Node name in graph mode.

    Returns:
        ``w_hat``, or ``(w_hat, mean, variance)``.

    Raises:
        ShapeError: ``channel_axis`` out of range.
        ArgumentError: ``eps < 0``.

    Notes:
        NNabla ``weight_standardization(w, channel_axis=0, eps=1e-5, output_stat=False)``;
        eps inside the square root as NNabla 1.39 computes it (the page writes it on the
        standard deviation).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.weight_standardization(np.array([[1.0, 3.0], [2.0, 2.0]]), eps=1.0)
        array([[-0.70710678,  0.70710678],
               [ 0.        ,  0.        ]])
    """
    f = WeightStandardize(
        "weight_standardization",
        eps=eps,
        channel_axis=channel_axis,
        output_stat=output_stat,
    )
    return _run(f, w, None, None, output_stat, name)
