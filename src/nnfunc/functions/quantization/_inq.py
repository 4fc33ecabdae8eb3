"""Incremental Network Quantization layers (Zhou et al., 2017), as NNabla implements them.

A small Function quantizes the weight before the canonical :func:`nnfunc.linear` /
:func:`nnfunc.conv` runs. Its state is a call counter plus copies of the weights and fixed-weight
indicator of the previous call, kept per indicator tensor (the same array across calls: a
Variable's data or a Graph parameter), so each forward pass on the same parameters advances the
schedule, as each ``forward()`` of an NNabla graph does. Each pass:

1. restores the fixed weights from the previous pass (an optimizer step on them is undone);
2. at a call count listed in ``inq_iterations``, fixes half of the learnable weights (largest
   ``|w|`` first, or each with probability 1/2 for ``"random"``), or all of them at the last
   listed count; the indicator is updated IN PLACE;
3. rounds every fixed weight to a power of two (or 0) IN PLACE, with the exponent range
   ``[n2, n1]`` set by ``num_bits`` and ``max |w|``.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc import random as nf_random
from nnfunc.core import check, shapes
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError
from nnfunc.functions.quantization._common import as_spec, float_param, real_input, same_shape

__all__ = ["inq_affine", "inq_convolution"]

_LOG2_1_5 = math.log2(1.5)
_STATES: dict[int, dict[str, Any]] = {}


def _state(indicator: Any) -> dict[str, Any]:
    """The schedule state attached to this indicator array (created on first use)."""
    key = id(indicator)
    st = _STATES.get(key)
    if st is None:
        st = {"counter": 0, "weights": None, "indicators": None}
        _STATES[key] = st
        weakref.finalize(indicator, _STATES.pop, key, None)
    return st


def reset_state(indicator: Any) -> None:
    """Forget the call counter and saved copies attached to ``indicator`` (a fresh schedule)."""
    data = (
        indicator.data if hasattr(indicator, "data") and hasattr(indicator, "grad") else indicator
    )
    _STATES.pop(id(data), None)


def quantize_fixed(w: np.ndarray, fixed: np.ndarray, num_bits: int, op: str = "inq") -> None:
    """Round the fixed entries of ``w`` to ``±2^e`` (``e`` in ``[n2, n1]``) or 0, in place."""
    a = np.abs(w)
    max_abs = float(a.max()) if a.size else 0.0
    if not math.isfinite(max_abs):  # no power-of-two grid for NaN/inf weights
        raise ArgumentError(check.message(op, "weight", "be finite", **{"weight.max_abs": max_abs}))
    if max_abs == 0.0:
        max_abs = 1.0
    lg = math.log2(max_abs)
    n1 = math.floor(lg) + int(lg - math.floor(lg) >= _LOG2_1_5)
    n2 = n1 + 1 - 2 ** (num_bits - 2)
    sel = fixed.astype(bool)
    if not sel.any():
        return
    v = w[sel].astype(np.float64)
    av = np.abs(v)
    with np.errstate(divide="ignore"):
        b = np.log2(av)
    fb = np.floor(b)
    e = np.clip(fb + (b - fb >= _LOG2_1_5), n2, n1)
    q = np.where(av < 2.0 ** (n2 - 1), 0.0, np.where(v < 0, -1.0, 1.0) * np.exp2(e))
    w[sel] = q.astype(w.dtype)


class INQWeight(Function):
    """The weight of an INQ layer after this pass's schedule step (straight-through gradient)."""

    input_names = ("weight", "indicator_fixedweights")

    def __init__(self, op: str, num_bits: Any, inq_iterations: Any, algo: Any, seed: Any) -> None:
        self.op_name = op
        self.num_bits = check.integer(op, "num_bits", num_bits)
        if not 2 <= self.num_bits <= 64:
            raise ArgumentError(
                check.message(
                    op,
                    "num_bits",
                    "be in [2, 64] (zero and sign take a bit each)",
                    num_bits=self.num_bits,
                )
            )
        sequence = (
            isinstance(inq_iterations, (Sequence, np.ndarray))
            and not isinstance(inq_iterations, (str, bytes))
            and not (isinstance(inq_iterations, np.ndarray) and inq_iterations.ndim != 1)
        )
        its = tuple(inq_iterations) if sequence else ()
        if not sequence or not all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) and i >= 0 for i in its
        ):
            raise ArgumentError(
                check.message(
                    op,
                    "inq_iterations",
                    "be a sequence of non-negative ints",
                    inq_iterations=inq_iterations,
                )
            )
        self.iterations = tuple(int(i) for i in its)
        self.algo = check.choice(op, "selection_algorithm", algo, ("largest_abs", "random"))
        self.seed = nf_random.validate_seed(op, seed)

    def setup(self, w: Any, ind: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        dtype = real_input(op, "weight", w)
        float_param(op, "weight", w)
        real_input(op, "indicator_fixedweights", ind)
        same_shape(op, "indicator_fixedweights", ind, "weight", w)
        self.out_dtype = dtype
        return (TensorSpec(tuple(w.shape), dtype),)

    def forward(self, xp: Any, w: Any, ind: Any) -> tuple[Any, ...]:
        st = _state(ind)
        if st["indicators"] is not None and st["indicators"].shape == w.shape:
            old = st["indicators"] == 1
            w[old] = st["weights"][old]
        count = st["counter"]
        if count in self.iterations and w.size:
            learnable = ind == 0
            if count == self.iterations[-1]:
                ind[...] = 1
            elif self.algo == "largest_abs":
                order = np.argsort(-np.abs(w).reshape(-1), kind="stable")
                flat = ind.reshape(-1)
                half = int(learnable.sum()) // 2
                free = order[flat[order] == 0]
                if half == 0:
                    # NNabla's loop fixes the largest weight when it is learnable, then stops
                    chosen = order[:1][flat[order[:1]] == 0]
                else:
                    chosen = free[:half]
                flat[chosen] = 1
                ind[...] = flat.reshape(ind.shape)
            else:
                draw = nf_random.generator(self.seed).random(w.shape) < 0.5
                ind[...] = np.where(learnable, draw, ind).astype(ind.dtype)
        quantize_fixed(w, ind == 1, self.num_bits, self.op_name)
        st["counter"] = count + 1
        st["weights"] = w.copy()
        st["indicators"] = ind.copy()
        return (w.astype(self.out_dtype, copy=True),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (grad_outputs[0], None)


def _inq(op, x, weight, indicator, bias, num_bits, its, algo, seed, name, layer):
    with shapes.node_errors(name, x, weight, indicator, bias):
        real_input(op, "x", as_spec(x))
        f = INQWeight(op, num_bits, its, algo, seed)
        indicator = as_spec(indicator)
        f.setup(as_spec(weight), indicator)  # errors name the caller's node
        wq = f.apply1(weight, indicator)
    return layer(x, wq, bias, name)


def inq_affine(
    x: Any,
    weight: Any,
    indicator_fixedweights: Any,
    bias: Any = None,
    *,
    base_axis: int = 1,
    num_bits: int = 4,
    inq_iterations: Sequence[int] = (),
    selection_algorithm: str = "largest_abs",
    seed: int | None = None,
    name: str | None = None,
) -> Any:
    r"""Fully connected layer with Incremental Network Quantization of its weights.

    .. math::
        y_j = \sum_i \hat w_{ij} x_i + b_j, \qquad
        \hat w = \begin{cases} \pm 2^{e} \text{ or } 0 & \text{fixed weights} \\
            w & \text{learnable weights} \end{cases}

    For fixed weights, ``e = clip(floor(b) + [b - floor(b) >= log2 1.5], n2, n1)`` with
    ``b = log2 |w|`` (the arithmetic mean of neighbouring powers as threshold), ``n1`` the same
    rounding of ``log2 max|w|``, ``n2 = n1 + 1 - 2^(num_bits - 2)``; ``|w| < 2^(n2 - 1)``
    gives 0.

    Args:
        x (array, Variable or SymbolicVariable): ``(M_0..M_{B-1}, D_B..D_N)``.
        weight: Floating weights ``(D, L..)`` (input features first), quantized IN PLACE where
            fixed (and fixed weights restored from the previous pass).
        indicator_fixedweights: Same shape; 1 = fixed, 0 = learnable; updated IN PLACE at the
            listed iterations.
        bias (optional): ``(L..)``.
        base_axis (int): First feature axis of ``x``. Default 1.
        num_bits (int): Bits per weight (>= 2: zero and sign). Default 4.
        inq_iterations (sequence of int): Call counts (0-based, counted per indicator tensor)
            at which half of the learnable weights are fixed; at the last one all are.
            Default ``()``: no schedule (only already fixed weights are quantized).
        selection_algorithm (str): ``"largest_abs"`` (default; ties to the lowest index) or
            ``"random"`` (each learnable weight fixed with probability 1/2).
        seed (int, optional): Seed of ``"random"`` (None or -1: the global generator; an
            explicit seed draws the same selection every time, as NNabla's copied generator).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(M_0..M_{B-1}, L..)``.

    Raises:
        ArgumentError: ``num_bits < 2``; an unknown ``selection_algorithm``; bad
            ``inq_iterations`` or ``seed``.
        ShapeError: indicator not shaped as ``weight``; what :func:`nnfunc.linear` rejects.
        DTypeError: ``weight`` not floating; complex or object inputs.

    Notes:
        Gradient w.r.t. ``weight``: the gradient of :func:`nnfunc.linear` w.r.t. the quantized
        weight, for every weight (NNabla keeps fixed weights fixed by restoring them in the
        next forward pass); none w.r.t. the indicator. :func:`reset_state` (in
        ``nnfunc.functions.quantization._inq``) restarts a schedule. NNabla ``inq_affine(x,
        weight, indicator_fixedweights, bias, base_axis, num_bits=4, inq_iterations=(),
        selection_algorithm='largest_abs', seed=-1)``.

    References:
        Zhou et al., *Incremental Network Quantization*, 2017. https://arxiv.org/abs/1702.03044

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> w = np.array([[0.3], [-0.9]], np.float32)
        >>> ind = np.zeros((2, 1), np.int32)
        >>> nf.inq_affine(np.array([[1.0, 1.0]], np.float32), w, ind, inq_iterations=(0,))
        array([[-0.75]], dtype=float32)
        >>> w.ravel(), ind.ravel()
        (array([ 0.25, -1.  ], dtype=float32), array([1, 1], dtype=int32))
    """

    def layer(x, wq, b, nm):
        return F.linear(x, wq, b, base_axis=base_axis, name=nm)

    return _inq(
        "inq_affine",
        x,
        weight,
        indicator_fixedweights,
        bias,
        num_bits,
        inq_iterations,
        selection_algorithm,
        seed,
        name,
        layer,
    )


def inq_convolution(
    x: Any,
    weight: Any,
    indicator_fixedweights: Any,
    bias: Any = None,
    *,
    stride: int | Sequence[int] = 1,
    pad: Any = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    num_bits: int = 4,
    inq_iterations: Sequence[int] = (),
    selection_algorithm: str = "largest_abs",
    seed: int | None = None,
    name: str | None = None,
) -> Any:
    r"""Convolution with Incremental Network Quantization of its weights.

    :func:`nnfunc.conv` with the INQ weights of :func:`nnfunc.inq_affine` (same schedule,
    power-of-two rounding and in-place updates).

    Args:
        x (array, Variable or SymbolicVariable): ``(N, C, L..)``.
        weight: Floating weights ``(O, C // groups, K..)``, quantized IN PLACE where fixed.
        indicator_fixedweights: Same shape; 1 = fixed; updated IN PLACE.
        bias (optional): ``(O,)``.
        stride, pad, dilation, groups: As :func:`nnfunc.conv`.
        num_bits (int): Bits per weight (>= 2). Default 4.
        inq_iterations (sequence of int): Schedule (see :func:`nnfunc.inq_affine`).
        selection_algorithm (str): ``"largest_abs"`` (default) or ``"random"``.
        seed (int, optional): Seed of ``"random"``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(N, O, L'..)``.

    Raises:
        ArgumentError: ``num_bits < 2``; an unknown ``selection_algorithm``; bad
            ``inq_iterations``/``seed``; bad conv options.
        ShapeError: indicator not shaped as ``weight``; what :func:`nnfunc.conv` rejects.
        DTypeError: ``weight`` not floating; complex or object inputs.

    Notes:
        Gradients as :func:`nnfunc.inq_affine`. NNabla ``inq_convolution(x, weight,
        indicator_fixedweights, bias, base_axis, pad, stride, dilation, group, num_bits=4,
        inq_iterations=(), selection_algorithm='largest_abs', seed=-1)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> w = np.array([[[0.3, -0.9]]], np.float32)
        >>> ind = np.ones_like(w)
        >>> nf.inq_convolution(np.ones((1, 1, 3), np.float32), w, ind)
        array([[[-0.75, -0.75]]], dtype=float32)
    """

    def layer(x, wq, b, nm):
        return F.conv(x, wq, b, stride=stride, pad=pad, dilation=dilation, groups=groups, name=nm)

    return _inq(
        "inq_convolution",
        x,
        weight,
        indicator_fixedweights,
        bias,
        num_bits,
        inq_iterations,
        selection_algorithm,
        seed,
        name,
        layer,
    )
