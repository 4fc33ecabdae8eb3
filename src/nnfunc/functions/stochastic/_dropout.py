"""Inverted dropout with an explicit, reproducible seed."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from nnfunc import random
from nnfunc.core import check, shapes
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError
from nnfunc.kernels.cpu.dropout import dropout_mask, mask_mul

__all__ = ["dropout"]


def _valid_rate(r: float) -> bool:
    return 0.0 <= r < 1.0  # False for NaN


def _rate_error(r: float) -> ArgumentError:
    return ArgumentError(check.message("dropout", "rate", "be in [0, 1)", rate=r))


def is_tensor_rate(rate: Any) -> bool:
    """Whether ``rate`` is a tensor read when the function runs (a Variable, a graph node, a
    non-0-d array), rather than a number checked at once (Python/NumPy scalars, 0-d arrays)."""
    if isinstance(rate, (numbers.Number, np.generic)):
        return False
    if isinstance(rate, np.ndarray) and rate.ndim == 0:
        return False
    return hasattr(rate, "shape") and hasattr(rate, "dtype")


class DropoutMask(Function):
    """The scaled keep mask ``[u >= rate] / (1 - rate)`` of shape ``noise_shape`` (no gradient).

    ``rate`` is a number, or (``rate=None``) the 0-d tensor input ``rate``, read at run time.
    """

    op_name = "dropout"
    input_names = ("x", "rate")

    def __init__(self, rate: Any, noise_shape: Any, seed: Any) -> None:
        op = self.op_name
        self.rate = (
            None
            if rate is None
            else check.real_scalar(op, "rate", rate, min_value=0.0, max_value=1.0, open_max=True)
        )
        if noise_shape is not None:
            if not isinstance(noise_shape, (tuple, list, np.ndarray)) or not all(
                d is None
                or (isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0)
                for d in noise_shape
            ):
                raise ArgumentError(
                    check.message(
                        op,
                        "noise_shape",
                        "be None or a sequence of non-negative ints",
                        noise_shape=noise_shape,
                    )
                )
            noise_shape = tuple(None if d is None else int(d) for d in noise_shape)
        self.noise_shape = noise_shape
        self.seed = random.validate_seed(op, seed)

    def setup(self, x: Any, rate: Any = None) -> tuple[TensorSpec, ...]:
        # Lenient: the noise shape and a tensor rate's value are checked by Dropout, the
        # named node.
        self.out_dtype = real_dtype(x.dtype)
        return (TensorSpec(_noise_shape(self.noise_shape, tuple(x.shape)), self.out_dtype),)

    def forward(self, xp: Any, x: Any, rate: Any = None) -> tuple[Any, ...]:
        shape = _noise_shape(self.noise_shape, x.shape)
        r = self.rate if rate is None else float(rate)
        if not _valid_rate(r):
            # Dropout (the named node) raises; no mask is drawn, nothing divides by 1 - r.
            return (xp.zeros(shape, self.out_dtype),)
        rng = random.generator(self.seed)
        # Drawn on the host in float64 so a seed gives the same mask on every backend.
        u = rng.random(shape)
        mask = dropout_mask(u, r, 1.0 / (1.0 - r), self.out_dtype)
        return (xp.asarray(mask),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


def _noise_shape(ns: Any, xs: tuple) -> tuple:
    if ns is None:
        return tuple(xs)
    tail = xs[max(len(xs) - len(ns), 0) :]
    pad = (1,) * (len(ns) - len(tail))
    return tuple(d if n is None else n for n, d in zip(ns, pad + tuple(tail), strict=True))


class Dropout(Function):
    """``x * mask``: checks the noise shape against ``x``; the gradient is ``gy * mask``."""

    op_name = "dropout"
    input_names = ("x", "mask", "rate")

    def __init__(self, noise_shape: Any) -> None:
        self.noise_shape = noise_shape

    def setup(self, x: Any, mask: Any, rate: Any = None) -> tuple[TensorSpec, ...]:
        xs = tuple(x.shape)
        ns = self.noise_shape
        if ns is not None:
            bad = len(ns) > len(xs) or any(
                n is not None and d is not None and n not in (1, d)
                for n, d in zip(ns, xs[len(xs) - len(ns) :], strict=False)
            )
            if bad:
                raise ShapeError(
                    check.message(
                        self.op_name,
                        "noise_shape",
                        "broadcast to the shape of `x` (each entry 1 or the size of x)",
                        noise_shape=ns,
                        **{"x.shape": xs},
                    )
                )
        self.out_dtype = real_dtype(x.dtype)
        self.retain_inputs(1)
        return (TensorSpec(xs, self.out_dtype),)

    def forward(self, xp: Any, x: Any, mask: Any, rate: Any = None) -> tuple[Any, ...]:
        if rate is not None and not _valid_rate(float(rate)):
            raise _rate_error(float(rate))
        return (mask_mul(x, mask, self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (mask,) = self.retained_inputs()
        return (_DropoutGrad().apply1(grad_outputs[0], mask), None, None)


class _DropoutGrad(Function):
    """``gy * mask``, the input gradient of dropout, in one pass (the mask holds the scale).

    Its own backward is ``ggx * mask`` (the mask gets none: it is drawn, not computed).
    """

    op_name = "dropout_grad"
    input_names = ("gy", "mask")
    retain_in = (1,)

    def setup(self, gy: Any, mask: Any) -> tuple[TensorSpec, ...]:
        self.out_dtype = real_dtype(gy.dtype)
        return (TensorSpec(tuple(gy.shape), self.out_dtype),)

    def forward(self, xp: Any, gy: Any, mask: Any) -> tuple[Any, ...]:
        return (mask_mul(gy, mask, self.out_dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (mask,) = self.retained_inputs()
        return (_DropoutGrad().apply1(grad_outputs[0], mask), None)


def dropout(
    x: Any,
    rate: float,
    noise_shape: Any = None,
    seed: Any = None,
    *,
    name: str | None = None,
) -> Any:
    """Inverted dropout: zero each element with probability ``rate``, scale the rest.

    .. math::
        y = x \\cdot \\frac{[u \\ge r]}{1 - r}, \\qquad u \\sim U[0, 1)

    Args:
        x (array, Variable or SymbolicVariable): Input of any shape; integer and bool inputs
            give float32.
        rate (float or 0-d tensor): Drop probability ``r`` in ``[0, 1)``. A number (or 0-d
            array) is checked at once; a Variable or graph node (e.g. a placeholder fed 0.5 in
            training and 0 at test time) is read, and checked, whenever the function runs.
        noise_shape (sequence of int, optional): Shape of the random keep/drop decisions; it
            must broadcast to ``x`` (right-aligned; each entry 1 or the size of ``x``, ``None``
            meaning that size): size-1 axes share one decision. Default: the shape of ``x``.
        seed (int or numpy.random.Generator, optional): The same int gives the same mask on
            every call, every graph run and every backend. ``None`` (or ``-1``) draws from the
            global stream (:mod:`nnfunc.random`): a fresh mask at every call and at every run
            of a graph, reproducible after ``nnfunc.random.seed(n)``. A Generator is advanced
            by each call.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape of ``x``, its floating dtype.

    Raises:
        ArgumentError: ``rate`` is not in ``[0, 1)`` (a tensor rate: when its value is known,
            eagerly or when a graph runs), ``seed`` or ``noise_shape`` is invalid.
        ShapeError: ``noise_shape`` does not broadcast to ``x``; a tensor ``rate`` is not 0-d.
        DTypeError: a tensor ``rate`` whose dtype is not real.

    Notes:
        Always active (apply it in training only). Built as ``x * mask`` with a mask node
        (auto-named), so the gradient ``gy * mask`` uses exactly the forward's mask, in eager
        and graph mode.
        Dialects: ``tf.nn.dropout(x, keep_prob, noise_shape, seed)`` and SameDiff
        ``nn.dropout(input, inputRetainProbability)`` take the KEEP probability (``rate = 1 -
        keep_prob``); ``nnabla.functions.dropout(x, p=0.5, seed=-1)`` takes the drop
        probability (``seed=-1`` means ``None``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> y = nf.dropout(np.ones(8, np.float32), 0.5, seed=0)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
        >>> bool((y == nf.dropout(np.ones(8, np.float32), 0.5, seed=0)).all())
        True
    """
    if rate is None:  # a float in [0, 1) is required (the mask's own check takes None)
        raise ArgumentError(
            check.message("dropout", "rate", "be a real number in [0, 1)", rate=None)
        )
    if isinstance(noise_shape, np.ndarray) and noise_shape.ndim == 0:
        noise_shape = (noise_shape.item(),)
    if not is_tensor_rate(rate):
        mask_fn = DropoutMask(rate, noise_shape, seed)
        return Dropout(mask_fn.noise_shape).apply1(x, mask_fn.apply1(x), name=name)
    with shapes.node_errors(name, x, rate):
        if tuple(rate.shape) != ():
            raise ShapeError(
                check.message(
                    "dropout", "rate", "be a scalar (0-d)", **{"rate.shape": tuple(rate.shape)}
                )
            )
        if np.dtype(rate.dtype).kind not in "iuf":
            raise DTypeError(
                check.message("dropout", "rate", "have a real dtype", **{"rate.dtype": rate.dtype})
            )
    mask_fn = DropoutMask(None, noise_shape, seed)
    return Dropout(mask_fn.noise_shape).apply1(x, mask_fn.apply1(x, rate), rate, name=name)
