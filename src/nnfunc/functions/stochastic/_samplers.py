"""Random samplers (NNabla's rand, randint, randn, rand_binomial, rand_beta, rand_gamma) and
weighted sampling from populations (random_choice).

Every draw goes through :func:`nnfunc.random.generator` when the function runs: an explicit
seed gives the same values at every call and every graph run; ``None`` (or NNabla's ``-1``)
draws from the global stream that :func:`nnfunc.random.seed` resets.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfunc import random
from nnfunc.core import check, shapes
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.stochastic._common import (
    MAX_ELEMENTS,
    Gather,
    as_tensor,
    emit,
    graph_node_errors,
    sample_shape,
)

__all__ = ["rand", "rand_beta", "rand_binomial", "rand_gamma", "randint", "randn", "random_choice"]

_F32 = np.dtype(np.float32)
_I32 = np.dtype(np.int32)


def _draw_rand(rng: np.random.Generator, s: tuple, lo: float, hi: float, top: Any) -> Any:
    y = (lo + (hi - lo) * rng.random(s)).astype(np.float32)
    return np.minimum(y, top, out=y) if y.ndim else np.minimum(y, top)


def _draw_randint(rng: np.random.Generator, s: tuple, lo: int, hi: int) -> Any:
    return rng.integers(lo, hi, size=s, dtype=np.int64)


def _draw_randn(rng: np.random.Generator, s: tuple, m: float, s_: float) -> Any:
    z = rng.standard_normal(s, dtype=np.float32)
    if not z.ndim:
        return np.float32(m) + np.float32(s_) * z
    if s_ != 1:
        z *= np.float32(s_)
    if m != 0:
        z += np.float32(m)
    return z


def _draw_binomial(rng: np.random.Generator, s: tuple, k: int, q: float) -> Any:
    return rng.binomial(k, q, size=s)


def _draw_beta(rng: np.random.Generator, s: tuple, a: float, b: float) -> Any:
    return rng.beta(a, b, size=s)


def _draw_gamma(rng: np.random.Generator, s: tuple, kk: float, t: float) -> Any:
    return rng.gamma(kk, t, size=s)


# op -> draw(rng, shape, *params): a node keeps its op and params (plain data, so a graph that
# holds it can be saved, see nnfunc.core.serialize), not a closure
_DRAWS: dict[str, Callable[..., Any]] = {
    "rand": _draw_rand,
    "randint": _draw_randint,
    "randn": _draw_randn,
    "rand_binomial": _draw_binomial,
    "rand_beta": _draw_beta,
    "rand_gamma": _draw_gamma,
}


class _Sample(Function):
    """An input-less draw of a fixed shape (the input is an empty anchor, see ``emit``):
    ``_DRAWS[op](rng, shape, *params)``."""

    input_names = ("anchor",)

    def __init__(self, op: str, shape: tuple, dtype: np.dtype, seed: Any, params: tuple) -> None:
        self.op_name = op
        self.shape, self.dtype, self.seed, self.params = shape, dtype, seed, params

    def setup(self, anchor: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(self.shape, self.dtype),)

    def forward(self, xp: Any, anchor: Any) -> tuple[Any, ...]:
        values = _DRAWS[self.op_name](random.generator(self.seed), self.shape, *self.params)
        return (xp.asarray(np.asarray(values).astype(self.dtype, copy=False)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


def _real(op: str, arg: str, value: Any, **bounds: Any) -> float:
    return check.real_scalar(op, arg, value, **bounds)


def _sampled(
    op: str, shape: Any, seed: Any, params: tuple, name: str | None, dtype: np.dtype = _F32
) -> Any:
    """The node (or eager result) of one sampler: its draw (chosen by ``op``) with ``params``,
    cast to ``dtype``; ``shape`` and ``seed`` checked here (in that order) for every sampler.
    The parameters stay plain data so that the node saves with its graph."""
    shp = sample_shape(op, shape)
    return emit(_Sample(op, shp, dtype, random.validate_seed(op, seed), params), name)


def _below(high: float) -> np.float32:
    """The largest float32 strictly below ``high`` (a float64 draw may round up to it)."""
    h = np.float32(high)
    return h if float(h) < high else np.nextafter(h, np.float32(-np.inf))


@graph_node_errors
def rand(
    low: float = 0,
    high: float = 1,
    shape: Any = (),
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Uniform samples in ``[low, high)``.

    .. math::
        y_i \\sim U[\\mathrm{low}, \\mathrm{high})

    Args:
        low (float): Lower bound (included). Default ``0``.
        high (float): Upper bound (excluded), ``> low``. Default ``1``.
        shape (sequence of int): Shape of the result; ``()`` (default, NNabla's ``[]``) gives a
            0-d array.
        seed (int, numpy.random.Generator or None): An int gives the same values at every call
            and every graph run; ``None`` or ``-1`` draws from the global stream
            (:mod:`nnfunc.random`).
        name (str, optional): Node name inside ``with nf.Graph():``.

    Returns:
        float32 array of ``shape`` (inside ``with nf.Graph():`` a node that draws at every run).

    Raises:
        ArgumentError: ``high <= low``, a bound is not finite, ``shape`` is not a sequence of
            non-negative ints (or holds more than 2**28 elements), ``seed`` is invalid.

    Notes:
        Not differentiable. Drawn in float64 on the host, then rounded to float32 (never up to
        ``high``). Equivalent to ``nnabla.functions.rand(low, high, shape, seed)``.

    Examples:
        >>> import nnfunc as nf
        >>> y = nf.rand(2, 3, shape=(2, 3), seed=0)
        >>> y.shape, y.dtype, bool(((y >= 2) & (y < 3)).all())
        ((2, 3), dtype('float32'), True)
        >>> nf.rand(seed=0).shape
        ()
    """
    op = "rand"
    lo, hi = _real(op, "low", low), _real(op, "high", high)
    if not hi > lo:
        raise ArgumentError(check.message(op, "high", "be greater than `low`", low=lo, high=hi))
    top = _below(hi)
    return _sampled(op, shape, seed, (lo, hi, top), name)


@graph_node_errors
def randint(
    low: int = 0,
    high: int = 1,
    shape: Any = (),
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Uniform random integers in ``[low, high)``, int32.

    .. math::
        y_i \\sim U\\{\\mathrm{low}, \\ldots, \\mathrm{high} - 1\\}

    Args:
        low (int): Lowest value (included), ``>= -2**31``. Default ``0``.
        high (int): Upper bound (excluded), ``> low`` and ``<= 2**31``. Default ``1`` (so the
            defaults always give 0, as in NNabla).
        shape (sequence of int): Shape of the result; ``()`` gives a 0-d array.
        seed (int, numpy.random.Generator or None): As in :func:`rand`.
        name (str, optional): Node name inside ``with nf.Graph():``.

    Returns:
        int32 array of ``shape``.

    Raises:
        ArgumentError: ``high <= low``, a bound is not an int or outside the int32 range,
            ``shape`` or ``seed`` is invalid.

    Notes:
        Not differentiable. Equivalent to ``nnabla.functions.randint(low, high, shape, seed)``.

    Examples:
        >>> import nnfunc as nf
        >>> y = nf.randint(-2, 3, shape=(1000,), seed=0)
        >>> y.dtype, int(y.min()), int(y.max())
        (dtype('int32'), -2, 2)
    """
    op = "randint"
    lo, hi = check.integer(op, "low", low), check.integer(op, "high", high)
    if not -(2**31) <= lo < 2**31:
        raise ArgumentError(check.message(op, "low", "be in the int32 range", low=lo))
    if not hi <= 2**31:
        raise ArgumentError(check.message(op, "high", "be <= 2**31", high=hi))
    if not hi > lo:
        raise ArgumentError(check.message(op, "high", "be greater than `low`", low=lo, high=hi))
    return _sampled(op, shape, seed, (lo, hi), name, _I32)


@graph_node_errors
def randn(
    mu: float = 0,
    sigma: float = 1,
    shape: Any = (),
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Normal samples with mean ``mu`` and STANDARD DEVIATION ``sigma``.

    .. math::
        y_i \\sim \\mathcal{N}(\\mu, \\sigma^2)

    Args:
        mu (float): Mean. Default ``0``.
        sigma (float): Standard deviation (not the variance), ``>= 0``. Default ``1``.
        shape (sequence of int): Shape of the result; ``()`` gives a 0-d array.
        seed (int, numpy.random.Generator or None): As in :func:`rand`.
        name (str, optional): Node name inside ``with nf.Graph():``.

    Returns:
        float32 array of ``shape``.

    Raises:
        ArgumentError: ``sigma < 0``, an argument is not finite, ``shape`` or ``seed`` is
            invalid.

    Notes:
        Not differentiable. Drawn with NumPy's float32 ziggurat (``standard_normal(dtype=
        float32)``), then ``mu + sigma * z`` in place. Equivalent to
        ``nnabla.functions.randn(mu, sigma, shape, seed)``.

    Examples:
        >>> import nnfunc as nf
        >>> y = nf.randn(10.0, 2.0, shape=(100000,), seed=0)
        >>> round(float(y.mean()), 1), round(float(y.std()), 1)
        (10.0, 2.0)
    """
    op = "randn"
    m = _real(op, "mu", mu)
    s_ = _real(op, "sigma", sigma, min_value=0.0)

    return _sampled(op, shape, seed, (m, s_), name)


@graph_node_errors
def rand_binomial(
    n: int = 1,
    p: float = 0.5,
    shape: Any = (),
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Binomial samples: successes in ``n`` trials of probability ``p``.

    .. math::
        y_i \\sim B(n, p)

    Args:
        n (int): Number of trials, ``>= 0``. Default ``1`` (Bernoulli).
        p (float): Success probability in ``[0, 1]``. Default ``0.5``.
        shape (sequence of int): Shape of the result; ``()`` gives a 0-d array.
        seed (int, numpy.random.Generator or None): As in :func:`rand`.
        name (str, optional): Node name inside ``with nf.Graph():``.

    Returns:
        float32 array of ``shape`` (integer values).

    Raises:
        ArgumentError: ``n`` is negative or not an int, ``p`` is outside ``[0, 1]``, ``shape``
            or ``seed`` is invalid.

    Notes:
        Not differentiable. Equivalent to ``nnabla.functions.rand_binomial(n, p, shape,
        seed)``.

    Examples:
        >>> import nnfunc as nf
        >>> y = nf.rand_binomial(10, 0.3, shape=(100000,), seed=0)
        >>> round(float(y.mean()), 1)
        3.0
    """
    op = "rand_binomial"
    k = check.integer(op, "n", n, min_value=0)
    if k >= 2**62:
        raise ArgumentError(check.message(op, "n", "be < 2**62", n=k))
    q = _real(op, "p", p, min_value=0.0, max_value=1.0)
    return _sampled(op, shape, seed, (k, q), name)


@graph_node_errors
def rand_beta(
    alpha: float = 0.5,
    beta: float = 0.5,
    shape: Any = (),
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Beta samples.

    .. math::
        y_i \\sim \\mathrm{Beta}(\\alpha, \\beta), \\qquad
        p(y) = \\frac{y^{\\alpha - 1} (1 - y)^{\\beta - 1}}{B(\\alpha, \\beta)}

    Args:
        alpha (float): ``alpha > 0``. Default ``0.5``.
        beta (float): ``beta > 0``. Default ``0.5``.
        shape (sequence of int): Shape of the result; ``()`` gives a 0-d array.
        seed (int, numpy.random.Generator or None): As in :func:`rand`.
        name (str, optional): Node name inside ``with nf.Graph():``.

    Returns:
        float32 array of ``shape``, values in ``[0, 1]``.

    Raises:
        ArgumentError: ``alpha`` or ``beta`` is not a finite positive number, ``shape`` or
            ``seed`` is invalid.

    Notes:
        Not differentiable. Equivalent to ``nnabla.functions.rand_beta(alpha, beta, shape,
        seed)``.

    Examples:
        >>> import nnfunc as nf
        >>> y = nf.rand_beta(2.0, 6.0, shape=(100000,), seed=0)
        >>> round(float(y.mean()), 2)
        0.25
    """
    op = "rand_beta"
    a = _real(op, "alpha", alpha, min_value=0.0, open_min=True)
    b = _real(op, "beta", beta, min_value=0.0, open_min=True)
    return _sampled(op, shape, seed, (a, b), name)


@graph_node_errors
def rand_gamma(
    k: float = 0.5,
    theta: float = 1,
    shape: Any = (),
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Gamma samples with shape ``k`` and SCALE ``theta`` (mean ``k * theta``).

    .. math::
        y_i \\sim \\Gamma(k, \\theta), \\qquad
        p(y) = \\frac{y^{k - 1} e^{-y / \\theta}}{\\Gamma(k) \\theta^k}

    Args:
        k (float): Shape, ``> 0``. Default ``0.5``.
        theta (float): Scale (not the rate), ``> 0``. Default ``1``.
        shape (sequence of int): Shape of the result; ``()`` gives a 0-d array.
        seed (int, numpy.random.Generator or None): As in :func:`rand`.
        name (str, optional): Node name inside ``with nf.Graph():``.

    Returns:
        float32 array of ``shape``.

    Raises:
        ArgumentError: ``k`` or ``theta`` is not a finite positive number, ``shape`` or
            ``seed`` is invalid.

    Notes:
        Not differentiable. Equivalent to ``nnabla.functions.rand_gamma(k, theta, shape,
        seed)``.

    Examples:
        >>> import nnfunc as nf
        >>> y = nf.rand_gamma(3.0, 2.0, shape=(100000,), seed=0)
        >>> round(float(y.mean()), 1)
        6.0
    """
    op = "rand_gamma"
    kk = _real(op, "k", k, min_value=0.0, open_min=True)
    t = _real(op, "theta", theta, min_value=0.0, open_min=True)
    return _sampled(op, shape, seed, (kk, t), name)


# ----------------------------------------------------------------------------- random_choice
class _ChoiceIndex(Function):
    """Flat indices (into ``x``) of the drawn members: ``outer dims + shape``, int64."""

    op_name = "random_choice"
    input_names = ("w",)

    def __init__(self, shape: tuple, replace: bool, seed: Any) -> None:
        self.shape, self.replace, self.seed = shape, replace, seed

    def setup(self, w: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(w.shape[:-1]) + self.shape, np.dtype(np.int64)),)

    def forward(self, xp: Any, w: Any) -> tuple[Any, ...]:
        w = np.asarray(w, dtype=np.float64)
        pop = w.shape[-1]
        rows = w.reshape(-1, pop)
        k = math.prod(self.shape)
        outer = rows.shape[0]
        if (rows < 0).any() or np.isnan(rows).any():
            raise ArgumentError(
                check.message(
                    self.op_name, "w", "hold weights >= 0", **{"min(w)": float(np.nanmin(rows))}
                )
            )
        total = rows.sum(axis=1)
        if outer and not (total > 0).all():
            raise ArgumentError(
                check.message(
                    self.op_name,
                    "w",
                    "have a positive sum in every population",
                    **{"min(sum(w))": float(total.min())},
                )
            )
        rng = random.generator(self.seed)
        if self.replace:
            # Inverse CDF on one increasing array: population r's normalised cumulative
            # weights shifted by r, so one searchsorted serves every population.
            cum = np.cumsum(rows / total[:, None], axis=1)
            cum[:, -1] = 1.0
            cum += np.arange(outer)[:, None]
            u = rng.random((outer, k)) + np.arange(outer)[:, None]
            idx = np.searchsorted(cum.reshape(-1), u.reshape(-1), side="right").reshape(outer, k)
            idx = np.minimum(idx, (np.arange(outer)[:, None] + 1) * pop - 1)
        else:
            positive = (rows > 0).sum(axis=1)
            if outer and positive.min() < k:
                raise ArgumentError(
                    check.message(
                        self.op_name,
                        "w",
                        "have at least prod(shape) non-zero weights in every population when "
                        "replace=False",
                        **{"prod(shape)": k, "min non-zero weights": int(positive.min())},
                    )
                )
            # Efraimidis-Spirakis: the k largest keys log(u) / w are a weighted draw without
            # replacement, in the order successive draws would give (zero weights never win).
            with np.errstate(divide="ignore"):
                keys = np.log(rng.random((outer, pop))) / rows
            keys[rows == 0] = -np.inf
            order = np.argsort(-keys, axis=1, kind="stable")[:, :k]
            idx = order + (np.arange(outer) * pop)[:, None]
        return (xp.asarray(idx.reshape(tuple(w.shape[:-1]) + self.shape).astype(np.int64)),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


@shapes.register_check("stochastic.random_choice")
def _choice_shapes(x: Any, w: Any) -> None:
    if len(x.shape) == 0 or tuple(x.shape) != tuple(w.shape):
        raise ShapeError(
            check.message(
                "random_choice",
                "`x` and `w`",
                "have one shape of rank >= 1",
                **{"x.shape": tuple(x.shape), "w.shape": tuple(w.shape)},
            )
        )


def random_choice(
    x: Any,
    w: Any,
    shape: Any = (),
    replace: bool = True,
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Weighted samples from populations held on the innermost axis.

    .. math::
        y[o, s] = x[o, j_{o,s}], \\qquad P(j_{o,s} = j) = \\frac{w[o, j]}{\\sum_i w[o, i]}

    Args:
        x (array, Variable or SymbolicVariable): Populations, ``(..., P)``: the innermost axis
            holds the members, the outer dims index independent populations.
        w (array, Variable or SymbolicVariable): Weights of the same shape, ``>= 0`` with a
            positive sum per population (checked when the function runs).
        shape (sequence of int): Number and shape of samples per population. Default ``()``:
            one sample, kept as a trailing axis of length 1 (NNabla's ``(2, 3) -> (2, 1)``).
        replace (bool): With replacement (default). ``False``: each member at most once,
            which needs at least ``prod(shape)`` non-zero weights per population.
        seed (int, numpy.random.Generator or None): As in :func:`rand`.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape ``x.shape[:-1] + shape`` (``+ (1,)`` for ``shape=()``),
        dtype of ``x``.

    Raises:
        ShapeError: ``x`` and ``w`` differ in shape, or are 0-d.
        ArgumentError: ``shape``, ``replace`` or ``seed`` is invalid; when run: a negative
            weight, a population with zero total weight, too few non-zero weights for
            ``replace=False``.
        DTypeError: ``x`` or ``w`` is not real.

    Notes:
        Gradient (as NNabla defines it): ``gy`` is added to ``x`` AND to ``w`` at the chosen
        positions (a straight-through estimate for the weights). Without replacement the
        draw is Efraimidis-Spirakis (the largest ``log(u) / w``), distributed as successive
        weighted draws. Equivalent to ``nnabla.functions.random_choice(x, w, shape, replace,
        seed)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[11, 22, 33], [110, 220, 330]])
        >>> w = np.array([[10, 20, 70], [70, 20, 10]])
        >>> nf.random_choice(x, w, seed=0).shape
        (2, 1)
        >>> nf.random_choice(x, w, shape=(3, 4), seed=0).shape
        (2, 3, 4)
    """
    op = "random_choice"
    with shapes.node_errors(name, x, w):
        x = as_tensor(op, "x", x)
        w = as_tensor(op, "w", w)
        _choice_shapes(x, w)
        x, w = shapes.recheck(op, "stochastic.random_choice", (x, w))  # unknown sizes: at run
        shp = sample_shape(op, shape) or (1,)
        rep = check.boolean(op, "replace", replace)
        sd = random.validate_seed(op, seed)
        outer = x.shape[:-1]
        if None not in outer and math.prod(outer) * math.prod(shp) > MAX_ELEMENTS:
            raise ArgumentError(
                check.message(op, "shape", "give at most 2**28 samples in all", shape=shp)
            )
    index = _ChoiceIndex(shp, rep, sd).apply1(w)
    wg = w if np.dtype(w.dtype).kind == "f" else None
    return Gather(op).apply1(x, index, wg, name=name)
