"""mean_subtraction: subtract a running mean of the samples, updated in place."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.normalization._common import reduced_count

__all__ = ["mean_subtraction"]


class MeanSubtraction(Function):
    """``x - running_mean`` with the running mean (and counter) updated in place."""

    op_name = "mean_subtraction"
    input_names = ("x", "mean", "t")
    retain_in = (0, 2)

    def __init__(self, base_axis: Any, update: Any) -> None:
        self.base_axis_raw = base_axis
        self.update_raw = update

    def setup(self, x: Any, mean: Any, t: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        self.update = check.boolean(op, "update_running_mean", self.update_raw)
        ndim = len(x.shape)
        b = check.integer(op, "base_axis", self.base_axis_raw, min_value=0)
        if b >= ndim:
            raise ShapeError(
                check.message(
                    op,
                    "base_axis",
                    f"be in [0, {ndim}) for an input of rank {ndim}",
                    base_axis=b,
                )
            )
        self.base_axis = b
        want = tuple(x.shape[b:])
        ms = tuple(mean.shape)
        if len(ms) != len(want) or any(
            m is not None and w is not None and m != w for m, w in zip(ms, want, strict=True)
        ):
            raise ShapeError(
                check.message(
                    op,
                    "mean",
                    f"have the shape of `x` from base_axis {b} on",
                    **{"mean.shape": ms, "x.shape": tuple(x.shape)},
                )
            )
        if self.update:
            if t is None:
                raise ArgumentError(
                    check.message(op, "t", "be given when update_running_mean=True", t=None)
                )
            if math.prod(d if d is not None else 2 for d in t.shape) != 1:
                raise ShapeError(
                    check.message(
                        op, "t", "have exactly one element", **{"t.shape": tuple(t.shape)}
                    )
                )
        self.out_dtype = real_dtype(np.result_type(x.dtype, mean.dtype))
        return (TensorSpec(tuple(x.shape), self.out_dtype),)

    def forward(self, xp: Any, x: Any, mean: Any, t: Any) -> tuple[Any, ...]:
        count = float(t.reshape(())) if self.update else 0.0
        if self.update and not count >= 0:  # NaN too: the running mean would divide by 0
            raise ArgumentError(
                check.message(self.op_name, "t", "be a count >= 0", t=t.reshape(()))
            )
        if self.update and x.size:  # an empty batch leaves the running mean as it is
            acc = accumulation_dtype(self.out_dtype)
            m = x.mean(axis=tuple(range(self.base_axis)), dtype=acc)
            coef = 1.0 / (count + 1.0)
            mean[...] = (mean + (m - mean) * coef).astype(mean.dtype)
            t[...] = t + 1
        y = x - mean.astype(self.out_dtype, copy=False)
        return (y.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        gx = gy
        if self.update:
            x, t = self.retained_inputs()
            shape = tuple(self.input_spec(0).shape)
            n = reduced_count(x, shape, tuple(range(self.base_axis)), self.out_dtype, None, "world")
            tt = F.reshape(F.cast(t, self.out_dtype), ())
            # NNabla's approximation: only the latest mini-batch's share of the running mean.
            gx = gy * (1.0 - 1.0 / (tt * n))
        dt = self.input_spec(0).dtype
        if np.dtype(dt) != self.out_dtype:
            gx = F.cast(gx, dt)
        return (gx, None, None)


def mean_subtraction(
    x: Any,
    mean: Any,
    t: Any = None,
    *,
    base_axis: int = 1,
    update_running_mean: bool = True,
    name: str | None = None,
) -> Any:
    """Subtract the running mean of the samples, updating it in place while training.

    .. math::
        \\bar\\mu \\leftarrow \\bar\\mu + \\frac{\\mu_B - \\bar\\mu}{t + 1}, \\quad
        t \\leftarrow t + 1, \\quad y = x - \\bar\\mu

    ``mu_B`` is the mean of the batch over the sample axes ``0 .. base_axis - 1`` (the running
    mean is the average of every batch mean seen so far).

    Args:
        x (array, Variable or SymbolicVariable): Input.
        mean: Running mean, shape ``x.shape[base_axis:]`` (updated in place when training).
        t: Iteration counter, one element (updated in place); may be ``None`` when not
            updating.
        base_axis (int): Axes before it are sample axes. Default 1.
        update_running_mean (bool): Update ``mean`` and ``t`` (training). Default True; with
            False ``y = x - mean``.
        name (str, optional): Node name in graph mode.

    Returns:
        Shape of ``x``.

    Raises:
        ShapeError: ``mean`` does not match ``x.shape[base_axis:]``, ``base_axis`` out of
            range, ``t`` not one element. ArgumentError: ``t`` missing while updating.

    Notes:
        Gradient (NNabla's documented approximation, only the latest mini-batch): ``gx = gy *
        (1 - 1 / (t * M))`` with the updated ``t`` and ``M`` samples; ``gy`` when not
        updating. No gradient to ``mean`` or ``t``. In a Graph give ``mean`` and ``t`` as
        parameters: they are updated each time the graph runs the node. NNabla
        ``mean_subtraction(x, mean, t, base_axis=1, update_running_mean=True)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> rm, t = np.zeros(2), np.array([1])
        >>> nf.mean_subtraction(np.array([[1.0, 2.0], [3.0, 6.0]]), rm, t)
        array([[0., 0.],
               [2., 4.]])
        >>> rm, t
        (array([1., 2.]), array([2]))
    """
    return MeanSubtraction(base_axis, update_running_mean).apply1(x, mean, t, name=name)
