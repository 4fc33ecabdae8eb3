"""nnabla.functions samplers, augmentation and special-use layers (NNabla 1.39 signatures).

The page lost its minus signs: every ``seed=1`` it shows is ``seed=-1``, NNabla's "no seed",
which here draws from nnfunc's global stream (:mod:`nnfunc.random`; ``nnfunc.random.seed(n)``
makes a whole program reproducible). A seed ``>= 0`` gives the same values at every call and at
every run of a graph. ``n_outputs`` and ``outputs``: see :mod:`nnfunc.compat.nnabla.functions`.
"""

from __future__ import annotations

from typing import Any

import nnfunc.functions as F
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


rand = canonical_entry(
    F.rand,
    """Uniform samples ``x ~ U(low, high)`` of ``shape`` (float32).

    Returns:
        float32 array of ``shape``. See :func:`nnfunc.rand`.

    Examples:
        >>> F.rand(shape=(2, 3), seed=0).shape
        (2, 3)
    """,
    defaults={"shape": [], "seed": -1},
)


randint = canonical_entry(
    F.randint,
    """Uniform integers in ``[low, high)`` of ``shape``, int32 (the defaults always give 0).

    Returns:
        int32 array of ``shape``. See :func:`nnfunc.randint`.

    Examples:
        >>> F.randint(shape=(3,)).tolist()
        [0, 0, 0]
    """,
    defaults={"shape": [], "seed": -1},
)


randn = canonical_entry(
    F.randn,
    """Normal samples ``x ~ N(mu, sigma)``, ``sigma`` the STANDARD DEVIATION (float32).

    Returns:
        float32 array of ``shape``. See :func:`nnfunc.randn`.

    Examples:
        >>> y = F.randn(0, 3, shape=(100000,), seed=1)
        >>> round(float(y.std()), 1)
        3.0
    """,
    defaults={"shape": [], "seed": -1},
)


rand_binomial = canonical_entry(
    F.rand_binomial,
    """Binomial samples ``x ~ B(n, p)`` (``n = 1``: Bernoulli), float32.

    Returns:
        float32 array of ``shape``. See :func:`nnfunc.rand_binomial`.

    Examples:
        >>> sorted(set(F.rand_binomial(shape=(100,), seed=0).tolist()))
        [0.0, 1.0]
    """,
    defaults={"shape": [], "seed": -1},
)


rand_beta = canonical_entry(
    F.rand_beta,
    """Beta samples ``x ~ Beta(alpha, beta)``, float32.

    Returns:
        float32 array of ``shape``. See :func:`nnfunc.rand_beta`.

    Examples:
        >>> y = F.rand_beta(shape=(1000,), seed=0)
        >>> bool(((y >= 0) & (y <= 1)).all())
        True
    """,
    defaults={"shape": [], "seed": -1},
)


rand_gamma = canonical_entry(
    F.rand_gamma,
    """Gamma samples with shape ``k`` and SCALE ``theta`` (density ``x^(k-1) e^(-x/theta) /
    (Gamma(k) theta^k)``), float32.

    Returns:
        float32 array of ``shape``. See :func:`nnfunc.rand_gamma`.

    Examples:
        >>> round(float(F.rand_gamma(2.0, 3.0, shape=(100000,), seed=0).mean()))
        6
    """,
    defaults={"shape": [], "seed": -1},
)


random_choice = canonical_entry(
    F.random_choice,
    """Samples from the populations on the innermost axis of ``x``, weighted by ``w``.

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
    """,
    defaults={"shape": [], "seed": -1},
)


random_crop = canonical_entry(
    F.random_crop,
    """Randomly extract a portion of ``shape`` of each sample (``(3, 48, 48)`` out of
    ``(N, 3, 64, 64)``).

    Returns:
        The crops. See :func:`nnfunc.random_crop`.

    Examples:
        >>> F.random_crop(np.zeros((2, 3, 64, 64)), (3, 48, 48)).shape
        (2, 3, 48, 48)
    """,
    defaults={"seed": -1},
)


random_erase = canonical_entry(
    F.random_erase,
    """Random Erasing of patches replaced by random values in ``replacements``.

    The page is contradictory on two defaults: ``n`` is ``None`` in the signature and
    ``[default=1]`` in the text (both mean one patch); ``share`` says "Default is False" in the
    text but ``True`` in the signature and ``[default=True]`` (True is used).

    Returns:
        The erased input. See :func:`nnfunc.random_erase`.

    Examples:
        >>> y = F.random_erase(np.zeros((1, 3, 32, 32)), prob=1.0, seed=0)
        >>> bool((y > 0).any())
        True
    """,
    defaults={"seed": -1},
)


random_flip = canonical_entry(
    F.random_flip,
    """Reverse each sample along each of ``axes`` with probability 1/2 (``(2, 3)`` for the H
    and W of ``(100, 3, 24, 32)`` images).

    Returns:
        The flipped input. See :func:`nnfunc.random_flip`.

    Examples:
        >>> F.random_flip(np.zeros((100, 3, 24, 32)), (2, 3)).shape
        (100, 3, 24, 32)
    """,
    defaults={"seed": -1},
)


random_shift = canonical_entry(
    F.random_shift,
    """Shift each sample randomly within ``+-shifts`` (``(3, 2)``: +-3 rows, +-2 columns).

    Returns:
        The shifted input. See :func:`nnfunc.random_shift`.

    Examples:
        >>> F.random_shift(np.zeros((4, 3, 8, 8)), (3, 2), border_mode="reflect").shape
        (4, 3, 8, 8)
    """,
    defaults={"seed": -1},
)


image_augmentation = canonical_entry(
    F.image_augmentation,
    """Random image augmentation (scale, rotation, aspect ratio, distortion, flips,
    brightness, contrast, noise), one transform per image.

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
    """,
    defaults={"seed": -1},
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
)
