"""nnabla.functions samplers, augmentation and special-use layers (NNabla 1.39 signatures).

The page lost its minus signs: every ``seed=1`` it shows is ``seed=-1``, NNabla's "no seed",
which here draws from nnfunc's global stream (:mod:`nnfunc.random`; ``nnfunc.random.seed(n)``
makes a whole program reproducible). A seed ``>= 0`` gives the same values at every call and at
every run of a graph. ``n_outputs`` and ``outputs``: see :mod:`nnfunc.compat.nnabla.functions`.
"""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
from nnfunc.compat._common import tensor_args
from nnfunc.compat._docs import shares_args
from nnfunc.compat.nnabla._imperative import canonical_entry, outputs_in_place
from nnfunc.core import check
from nnfunc.errors import ArgumentError

__all__ = [
    "image_augmentation",
    "rand",
    "rand_beta",
    "rand_binomial",
    "rand_gamma",
    "randint",
    "randn",
    "random_choice",
    "random_crop",
    "random_erase",
    "random_flip",
    "random_shift",
    "sink",
    "vat_noise",
    "warp_by_flow",
]


@outputs_in_place
def rand(
    low: float = 0,
    high: float = 1,
    shape: Any = [],  # noqa: B006 - NNabla's documented default, never mutated
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Uniform samples ``x ~ U(low, high)`` of ``shape`` (float32).

    Args:
        low (float): Lowest value. Default ``0``.
        high (float): Upper bound (excluded). Default ``1``.
        shape (tuple of int): Shape of the result; ``[]`` (default) gives a 0-d array.
        seed (int): ``-1`` (default): the global stream; ``>= 0``: the same values every call.
        name (str, optional): Node name inside ``with nnfunc.Graph():``.

    Returns:
        float32 array of ``shape``. See :func:`nnfunc.rand`.

    Examples:
        >>> F.rand(shape=(2, 3), seed=0).shape
        (2, 3)
    """
    return F.rand(low, high, shape, seed, name=name)


@outputs_in_place
def randint(
    low: int = 0,
    high: int = 1,
    shape: Any = [],  # noqa: B006
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Uniform integers in ``[low, high)`` of ``shape``, int32 (the defaults always give 0).

    Args:
        low (int): Lowest value. Default ``0``.
        high (int): Upper bound (excluded). Default ``1``.
        shape (tuple of int): Shape of the result; ``[]`` gives a 0-d array.
        seed (int): ``-1`` (default): the global stream; ``>= 0``: reproducible.
        name (str, optional): Node name inside ``with nnfunc.Graph():``.

    Returns:
        int32 array of ``shape``. See :func:`nnfunc.randint`.

    Examples:
        >>> F.randint(shape=(3,)).tolist()
        [0, 0, 0]
    """
    return F.randint(low, high, shape, seed, name=name)


@shares_args(randint)
@outputs_in_place
def randn(
    mu: float = 0,
    sigma: float = 1,
    shape: Any = [],  # noqa: B006
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Normal samples ``x ~ N(mu, sigma)``, ``sigma`` the STANDARD DEVIATION (float32).

    Args:
        mu (float): Mean. Default ``0``.
        sigma (float): Standard deviation. Default ``1``.

    Returns:
        float32 array of ``shape``. See :func:`nnfunc.randn`.

    Examples:
        >>> y = F.randn(0, 3, shape=(100000,), seed=1)
        >>> round(float(y.std()), 1)
        3.0
    """
    return F.randn(mu, sigma, shape, seed, name=name)


@shares_args(randint)
@outputs_in_place
def rand_binomial(
    n: int = 1,
    p: float = 0.5,
    shape: Any = [],  # noqa: B006
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Binomial samples ``x ~ B(n, p)`` (``n = 1``: Bernoulli), float32.

    Args:
        n (int): Number of trials. Default ``1``.
        p (float): Success probability. Default ``0.5``.

    Returns:
        float32 array of ``shape``. See :func:`nnfunc.rand_binomial`.

    Examples:
        >>> sorted(set(F.rand_binomial(shape=(100,), seed=0).tolist()))
        [0.0, 1.0]
    """
    return F.rand_binomial(n, p, shape, seed, name=name)


@shares_args(randint)
@outputs_in_place
def rand_beta(
    alpha: float = 0.5,
    beta: float = 0.5,
    shape: Any = [],  # noqa: B006
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Beta samples ``x ~ Beta(alpha, beta)``, float32.

    Args:
        alpha (float): ``> 0``. Default ``0.5``.
        beta (float): ``> 0``. Default ``0.5``.

    Returns:
        float32 array of ``shape``. See :func:`nnfunc.rand_beta`.

    Examples:
        >>> y = F.rand_beta(shape=(1000,), seed=0)
        >>> bool(((y >= 0) & (y <= 1)).all())
        True
    """
    return F.rand_beta(alpha, beta, shape, seed, name=name)


@shares_args(randint)
@outputs_in_place
def rand_gamma(
    k: float = 0.5,
    theta: float = 1,
    shape: Any = [],  # noqa: B006
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Gamma samples with shape ``k`` and SCALE ``theta`` (density ``x^(k-1) e^(-x/theta) /
    (Gamma(k) theta^k)``), float32.

    Args:
        k (float): Shape, ``> 0``. Default ``0.5``.
        theta (float): Scale, ``> 0``. Default ``1``.

    Returns:
        float32 array of ``shape``. See :func:`nnfunc.rand_gamma`.

    Examples:
        >>> round(float(F.rand_gamma(2.0, 3.0, shape=(100000,), seed=0).mean()))
        6
    """
    return F.rand_gamma(k, theta, shape, seed, name=name)


@shares_args(randint)
@outputs_in_place
@tensor_args("x", "w")
def random_choice(
    x: Any,
    w: Any,
    shape: Any = [],  # noqa: B006
    replace: bool = True,
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Samples from the populations on the innermost axis of ``x``, weighted by ``w``.

    Args:
        x: Populations ``(..., P)``.
        w: Weights of the same shape (``>= 0``, positive sum per population).
        shape (tuple of int): Samples per population. Default ``[]``: one, shape ``(..., 1)``.
        replace (bool): With replacement. Default ``True``.

    Returns:
        ``x.shape[:-1] + shape``. See :func:`nnfunc.random_choice` (the gradient goes to ``x``
        and ``w`` at the chosen positions, as in NNabla).

    Examples:
        The page's example:

        >>> x = np.array([[11, 22, 33], [110, 220, 330]])
        >>> w = np.array([[10, 20, 70], [70, 20, 10]])
        >>> F.random_choice(x, w).shape
        (2, 1)
        >>> F.random_choice(x, w, shape=(3, 4)).shape
        (2, 3, 4)
        >>> w = np.array([1, 2, 3, 2, 1])
        >>> int(F.random_choice(np.arange(0, 5), w, seed=0)[0]) in range(5)
        True
    """
    return F.random_choice(x, w, shape, replace, seed, name=name)


@shares_args(randint)
@outputs_in_place
@tensor_args("x")
def random_crop(
    x: Any,
    shape: Any = None,
    base_axis: int = 1,
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Randomly extract a portion of ``shape`` of each sample (``(3, 48, 48)`` out of
    ``(N, 3, 64, 64)``).

    Args:
        x: Input; dims before ``base_axis`` are samples.
        shape (tuple of int): Size to extract on the trailing dims. Default ``x.shape``.
        base_axis (int): Default ``1``.

    Returns:
        The crops. See :func:`nnfunc.random_crop`.

    Examples:
        >>> F.random_crop(np.zeros((2, 3, 64, 64)), (3, 48, 48)).shape
        (2, 3, 48, 48)
    """
    return F.random_crop(x, shape, base_axis, seed, name=name)


@shares_args(randint)
@outputs_in_place
@tensor_args("x")
def random_erase(
    x: Any,
    prob: float = 0.5,
    area_ratios: Any = (0.02, 0.4),
    aspect_ratios: Any = (0.3, 3.3333),
    replacements: Any = (0.0, 255.0),
    n: int | None = None,
    share: bool = True,
    inplace: bool = False,
    base_axis: int = 1,
    seed: int = -1,
    channel_last: bool = False,
    ste_fine_grained: bool = True,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Random Erasing of patches replaced by random values in ``replacements``.

    The page is contradictory on two defaults: ``n`` is ``None`` in the signature and
    ``[default=1]`` in the text (both mean one patch); ``share`` says "Default is False" in the
    text but ``True`` in the signature and ``[default=True]`` (True is used).

    Args:
        x: Input (``(..., C, H, W)``, or ``(..., H, W, C)`` with ``channel_last``).
        prob (float): Probability to erase each patch. Default ``0.5``.
        area_ratios (pair): Patch area over the image area. Default ``(0.02, 0.4)``.
        aspect_ratios (pair): Patch height over width. Default ``(0.3, 3.3333)``.
        replacements (pair): Range of the replacement values. Default ``(0.0, 255.0)``.
        n (int): Max number of patches. Default ``None`` (1).
        share (bool): One box for all channels. Default ``True``.
        inplace (bool): Accepted; the result never aliases ``x``.
        base_axis (int): Default ``1``.
        channel_last (bool): Default ``False``.
        ste_fine_grained (bool): Gradient only outside the patches (default) or everywhere.

    Returns:
        The erased input. See :func:`nnfunc.random_erase`.

    Examples:
        >>> y = F.random_erase(np.zeros((1, 3, 32, 32)), prob=1.0, seed=0)
        >>> bool((y > 0).any())
        True
    """
    return F.random_erase(
        x,
        prob,
        area_ratios,
        aspect_ratios,
        replacements,
        n,
        share,
        inplace,
        base_axis,
        seed,
        channel_last,
        ste_fine_grained,
        name=name,
    )


@shares_args(randint)
@outputs_in_place
@tensor_args("x")
def random_flip(
    x: Any,
    axes: Any = None,
    base_axis: int = 1,
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Reverse each sample along each of ``axes`` with probability 1/2 (``(2, 3)`` for the H
    and W of ``(100, 3, 24, 32)`` images).

    Args:
        x: Input.
        axes (tuple of int): Default ``[len(x.shape) - 1]``.
        base_axis (int): Default ``1``.

    Returns:
        The flipped input. See :func:`nnfunc.random_flip`.

    Examples:
        >>> F.random_flip(np.zeros((100, 3, 24, 32)), (2, 3)).shape
        (100, 3, 24, 32)
    """
    return F.random_flip(x, axes, base_axis, seed, name=name)


@shares_args(randint)
@outputs_in_place
@tensor_args("x")
def random_shift(
    x: Any,
    shifts: Any = None,
    border_mode: str = "nearest",
    base_axis: int = 1,
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Shift each sample randomly within ``+-shifts`` (``(3, 2)``: +-3 rows, +-2 columns).

    Args:
        x: Input.
        shifts (tuple of int): Largest shift per trailing axis. Default ``(0,) * len(x.shape)``.
        border_mode (str): ``'nearest'`` (default) or ``'reflect'``.
        base_axis (int): Default ``1``.

    Returns:
        The shifted input. See :func:`nnfunc.random_shift`.

    Examples:
        >>> F.random_shift(np.zeros((4, 3, 8, 8)), (3, 2), border_mode="reflect").shape
        (4, 3, 8, 8)
    """
    return F.random_shift(x, shifts, border_mode, base_axis, seed, name=name)


@shares_args(randint)
@outputs_in_place
@tensor_args("x")
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
    seed: int = -1,
    n_outputs: int = 1,
    outputs: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Random image augmentation (scale, rotation, aspect ratio, distortion, flips,
    brightness, contrast, noise), one transform per image.

    Args:
        x: Images ``(..., C, H, W)``.
        shape (tuple of int): Output size. Default ``x.shape``.
        pad (tuple of int): Border padding of each spatial axis. Default ``(0, 0)``.
        min_scale, max_scale (float): Scale range. Default ``1.0``.
        angle (float): Rotation range in radians (``0.26``: +-15 degrees). Default ``0.0``.
        aspect_ratio (float): Aspect ratio range (``1.3``: 1:1.3 to 1.3:1). Default ``1.0``.
        distortion (float): Distortion range. Default ``0.0``.
        flip_lr, flip_ud (bool): Random flips. Default ``False``.
        brightness (float): Added range (``0.05``: -0.05 to +0.05). Default ``0.0``.
        brightness_each (bool): Per channel. Default ``False``.
        contrast (float): Factor range (``1.1``: 0.91 to 1.1 times). Default ``1.0``.
        contrast_center (float): Intensity centre. Default ``0.0``.
        contrast_each (bool): Per channel. Default ``False``.
        noise (float): Sigma of the added normal noise. Default ``0.0``.

    Returns:
        The augmented images. See :func:`nnfunc.image_augmentation`.

    Examples:
        NNabla's own test call:

        >>> x = np.random.default_rng(313).standard_normal((16, 3, 8, 8)).astype(np.float32)
        >>> F.image_augmentation(x).shape
        (16, 3, 8, 8)
        >>> F.image_augmentation(x, shape=(3, 5, 8), pad=(2, 2), min_scale=0.8, max_scale=1.2,
        ...     angle=0.2, aspect_ratio=1.1, distortion=0.1, flip_lr=True, flip_ud=False,
        ...     brightness=0.1, brightness_each=True, contrast=1.1, contrast_center=0.5,
        ...     contrast_each=True, noise=0.1, seed=0).shape
        (16, 3, 5, 8)
    """
    return F.image_augmentation(
        x,
        shape,
        pad,
        min_scale,
        max_scale,
        angle,
        aspect_ratio,
        distortion,
        flip_lr,
        flip_ud,
        brightness,
        brightness_each,
        contrast,
        contrast_center,
        contrast_each,
        noise,
        seed,
        name=name,
    )


vat_noise = canonical_entry(
    F.vat_noise,
    """Noise of virtual adversarial training: ``y = eps * x / sqrt(sum x^2 + c)`` per sample.

    NNabla writes ``eps * dy`` into ``w``'s DATA in backward; here that value is ``w``'s
    gradient (``w.grad``), and ``x`` gets a zero gradient.

    Returns:
        See :func:`nnfunc.vat_noise`.

    Examples:
        >>> np.round(F.vat_noise(np.array([[3.0, 4.0]]), np.zeros((1, 2))), 6)
        array([[0.6, 0.8]])
    """,
    module=__name__,
    tensors=("x", "w"),
)


@outputs_in_place
def sink(*x: Any, **kw: Any) -> Any:
    """A dummy 0-d variable taking any number of inputs, to run their forward and backward
    at once; keyword ``one_input_grad`` (default ``True``): backward sets the input gradients
    to 1.

    Args:
        *x: Any number of inputs.
        **kw: ``one_input_grad`` (bool), ``name`` (node name in graph mode); ``n_outputs``
            and ``outputs`` are ignored; any other keyword is an ArgumentError.

    Returns:
        See :func:`nnfunc.sink`.

    Examples:
        >>> a = nf.Variable(np.zeros(2), requires_grad=True)
        >>> F.sink(a * 3).backward()
        >>> a.grad
        array([3., 3.])
    """
    extra = set(kw) - {"name", "n_outputs", "outputs", "one_input_grad"}
    if extra:
        raise ArgumentError(
            check.message("sink", "kw", "hold only the documented keywords", kw=sorted(extra))
        )
    return F.sink(*x, one_input_grad=kw.get("one_input_grad", True), name=kw.get("name"))


warp_by_flow = canonical_entry(
    F.warp_by_flow,
    """Warp ``data`` (N, C, H, W) by ``flow`` (N, 2, H, W): ``out[n, c, y, x] = data[n, c,
    y + flow[n, 1, y, x], x + flow[n, 0, y, x]]``, bilinear, border pixels repeated outside.

    Returns:
        ``(N, C, H, W)``. See :func:`nnfunc.warp_by_flow`.

    Examples:
        >>> data = np.arange(4.0).reshape(1, 1, 2, 2)
        >>> F.warp_by_flow(data, np.ones((1, 2, 2, 2)))[0, 0]
        array([[3., 3.],
               [3., 3.]])
    """,
    module=__name__,
    tensors=("data", "flow"),
)
