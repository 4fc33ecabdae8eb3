"""Output sizes and padding of convolution and pooling windows.

Every function here works on one spatial dimension at a time (``resolve_padding`` on all of them)
and lets an unknown size (``None``, graph mode) pass through as ``None``. Padding is always
returned as explicit ``(low, high)`` pairs: the pads actually used.

Formulas (``L`` input size, ``k`` kernel, ``s`` stride, ``d`` dilation, ``lo``/``hi`` pads):

* convolution: ``floor((L + lo + hi - d*(k-1) - 1) / s) + 1``;
* transposed convolution: ``s*(L-1) - lo - hi + d*(k-1) + 1 + output_padding``;
* pooling: as convolution with ``d = 1``; with NNabla's ``ignore_border=False``
  ``floor((L + lo - 1) / s) + 1`` (windows may hang over the end of the input);
* ``"same"`` (TensorFlow): ``total = max(0, (ceil(L/s) - 1)*s + d*(k-1) + 1 - L)``,
  ``lo = total // 2``, ``hi = total - lo`` (the extra pixel at the end); output ``ceil(L/s)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core import function as _function
from nnfunc.core.function import node_errors  # re-exported: the one helper lives there
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, NNFuncError, ShapeError

__all__ = [
    "check_out_size",
    "conv_out_size",
    "conv_transpose_out_size",
    "node_errors",
    "pad_pair",
    "pool_out_size",
    "resolve_padding",
    "same_pads",
    "show_pad",
]

Pair = tuple[int | None, int | None]


def _is_int(v: Any) -> bool:
    if type(v) is int:  # the common case, without the ABC isinstance
        return True
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)


def pad_pair(pad: int | Sequence[int]) -> tuple[int, int]:
    """``pad`` as a ``(low, high)`` pair (an int pads both sides)."""
    if _is_int(pad):
        return (int(pad), int(pad))
    lo, hi = pad
    return (int(lo), int(hi))


def conv_out_size(
    size: int | None,
    kernel: int,
    stride: int = 1,
    pad: int | Sequence[int] = 0,
    dilation: int = 1,
) -> int | None:
    """Output size of a convolution along one dimension (may be <= 0: callers check).

    >>> conv_out_size(5, 3), conv_out_size(5, 3, pad=1), conv_out_size(7, 3, 2, 1, 2)
    (3, 5, 3)
    >>> conv_out_size(None, 3) is None
    True
    """
    if size is None:
        return None
    lo, hi = pad_pair(pad)
    return (size + lo + hi - dilation * (kernel - 1) - 1) // stride + 1


def conv_transpose_out_size(
    size: int | None,
    kernel: int,
    stride: int = 1,
    pad: int | Sequence[int] = 0,
    dilation: int = 1,
    output_padding: int = 0,
) -> int | None:
    """Output size of a transposed convolution along one dimension.

    >>> conv_transpose_out_size(3, 3), conv_transpose_out_size(3, 3, 2, 1, 1, 1)
    (5, 6)
    """
    if size is None:
        return None
    lo, hi = pad_pair(pad)
    return stride * (size - 1) - lo - hi + dilation * (kernel - 1) + 1 + output_padding


def pool_out_size(
    size: int | None,
    kernel: int,
    stride: int | None = None,
    pad: int | Sequence[int] = 0,
    ignore_border: bool = True,
) -> int | None:
    """Output size of a pooling window along one dimension (``stride=None``: the kernel).

    ``ignore_border=False`` is NNabla's rule ``floor((L + lo - 1)/s) + 1``: every window that
    starts inside the (low-padded) input gives an output, clipped at the end.

    >>> pool_out_size(5, 2), pool_out_size(5, 2, ignore_border=False)
    (2, 3)
    >>> pool_out_size(4, 3, 1, 1), pool_out_size(4, 3, 1, 1, ignore_border=False)
    (4, 5)
    """
    if size is None:
        return None
    stride = kernel if stride is None else stride
    lo, hi = pad_pair(pad)
    if ignore_border:
        return (size + lo + hi - kernel) // stride + 1
    return (size + lo - 1) // stride + 1


def same_pads(size: int | None, kernel: int, stride: int = 1, dilation: int = 1) -> Pair:
    """TensorFlow ``"SAME"`` pads ``(low, high)``: the odd pixel goes to the end.

    >>> same_pads(5, 3), same_pads(4, 3, 2), same_pads(6, 1, 2), same_pads(None, 3)
    ((1, 1), (0, 1), (0, 0), (None, None))
    """
    if size is None or kernel is None:
        return (None, None)
    out = -(-size // stride)
    total = max(0, (out - 1) * stride + dilation * (kernel - 1) + 1 - size)
    return (total // 2, total - total // 2)


_PAD_REQ = (
    "be an int, a sequence of {n} ints, a sequence of {n} (low, high) pairs of non-negative "
    "ints, 'valid' or 'same'"
)


def resolve_padding(
    op: str,
    pad: Any,
    sizes: Sequence[int | None],
    kernels: Sequence[int],
    strides: Sequence[int] | None = None,
    dilations: Sequence[int] | None = None,
    arg: str = "pad",
) -> tuple[Pair, ...]:
    """The ``(low, high)`` pads used in every spatial dimension.

    ``pad``: an int (all sides), a per-dimension sequence of ints (both sides), a sequence of
    per-dimension ``(low, high)`` pairs, ``"valid"`` (no padding) or ``"same"`` (TensorFlow's
    rule; case-insensitive). With one spatial dimension, two ints are its ``(low, high)`` pair.
    With ``"same"`` an unknown size gives ``(None, None)``.

    Raises:
        ArgumentError: anything else, or a negative pad.

    >>> resolve_padding("conv", 1, [5, 5], [3, 3])
    ((1, 1), (1, 1))
    >>> resolve_padding("conv", [(0, 1), 2], [5, 5], [3, 3])
    ((0, 1), (2, 2))
    >>> resolve_padding("conv", "SAME", [4, None], [3, 3], [2, 1])
    ((0, 1), (None, None))
    """
    n = len(sizes)
    strides = tuple(strides) if strides is not None else (1,) * n
    dilations = tuple(dilations) if dilations is not None else (1,) * n
    if isinstance(pad, str):
        mode = pad.lower()
        if mode == "valid":
            return ((0, 0),) * n
        if mode == "same":
            return tuple(
                same_pads(sz, k, s, d)
                for sz, k, s, d in zip(sizes, kernels, strides, dilations, strict=True)
            )
        raise ArgumentError(check.message(op, arg, _PAD_REQ.format(n=n), **{arg: pad}))
    if _is_int(pad):
        if pad < 0:
            raise ArgumentError(check.message(op, arg, "be non-negative", **{arg: pad}))
        return ((int(pad), int(pad)),) * n
    items = None
    if isinstance(pad, Sequence) or (isinstance(pad, np.ndarray) and pad.ndim):  # not 0-d
        items = list(pad)
        if n == 1 and len(items) == 2 and all(_is_int(v) for v in items):
            items = [tuple(items)]  # one dimension: two ints are its (low, high) pair
    if items is None or len(items) != n:
        raise ArgumentError(check.message(op, arg, _PAD_REQ.format(n=n), **{arg: pad}))
    out: list[Pair] = []
    for item in items:
        if _is_int(item):
            pair = (int(item), int(item))
        elif (
            isinstance(item, (Sequence, np.ndarray))
            and not isinstance(item, str)
            and len(item) == 2
            and all(_is_int(v) for v in item)
        ):
            pair = (int(item[0]), int(item[1]))
        else:
            raise ArgumentError(check.message(op, arg, _PAD_REQ.format(n=n), **{arg: pad}))
        if pair[0] < 0 or pair[1] < 0:
            raise ArgumentError(check.message(op, arg, "be non-negative", **{arg: pad}))
        out.append(pair)
    return tuple(out)


def check_out_size(
    op: str, dim: int, out: int | None, what: str = "output size", **received: Any
) -> None:
    """Raise a ShapeError naming every interacting value when an output size is not positive."""
    if out is not None and out <= 0:
        raise ShapeError(check.message(op, what, f"be positive in spatial dim {dim}", **received))


def check_padded_input(
    op: str, shape: Sequence[int | None], itemsize: int = 8, **received: Any
) -> None:
    """ArgumentError when the padded input a kernel allocates (``shape``) cannot fit in memory.

    An unknown size (a graph's None batch) counts as 1: the bound then holds per sample when the
    graph is built, and ``setup`` checks the whole size again when the graph runs, before
    anything is allocated.
    """
    cells = 1
    for d in shape:
        cells *= 1 if d is None else int(d)
    if cells * itemsize > _function.MEMORY_BYTES:
        raise ArgumentError(
            check.message(
                op, "padded input", f"fit in memory ({_function.MEMORY_BYTES} bytes)", **received
            )
        )


def show_pad(pair: Pair) -> Any:
    """A pad pair as shown in messages: an int when symmetric."""
    return pair[0] if pair[0] == pair[1] else tuple(pair)


# ----------------------------------------------------------------------------- transposed conv
def conv_transpose_geometry(
    op: str,
    pad: Any,
    sizes: Sequence[int | None],
    kernel: Sequence[int],
    stride: Sequence[int],
    dilation: Sequence[int],
    output_padding: Any = None,
    output_shape: Any = None,
) -> tuple[tuple[Pair, ...], tuple[int | None, ...]]:
    """The padding pairs and output sizes of a transposed convolution (``None``: unknown).

    ``pad`` is ``"same"``, ``"valid"`` or explicit pads; ``output_padding`` (each smaller than
    its stride) and ``output_shape`` pick one of the output sizes whose convolution gives the
    input size, which is checked.
    """
    nsp = len(sizes)
    opad, oshape = _transpose_options(op, output_padding, output_shape, stride, nsp)
    mode = pad.lower() if isinstance(pad, str) else None
    if mode is not None and mode not in ("same", "valid"):
        resolve_padding(op, pad, sizes, kernel)  # raises the uniform error
    if mode is None:
        pads = resolve_padding(op, pad, sizes, kernel, stride, dilation)
    else:
        pads = ((0, 0),) * nsp
    out = []
    for i in range(nsp):
        p = None if opad is None else opad[i]
        length = _transpose_length(mode, sizes[i], kernel[i], stride[i], dilation[i], pads[i], p)
        if oshape is not None:
            if opad is not None and length is not None and length != oshape[i]:
                raise ShapeError(
                    check.message(
                        op,
                        "output_shape",
                        "agree with `output_padding`",
                        output_shape=oshape,
                        output_padding=opad,
                    )
                )
            length = oshape[i]
        out.append(length)
    if mode == "same":
        pads = tuple(same_pads(out[i], kernel[i], stride[i], dilation[i]) for i in range(nsp))
    for i in range(nsp):
        _check_transpose_size(op, i, out[i], sizes[i], kernel[i], pads[i], stride[i], dilation[i])
    return tuple(pads), tuple(out)


def _transpose_options(
    op: str, output_padding: Any, output_shape: Any, stride: Sequence[int], nsp: int
) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    opad = oshape = None
    if output_padding is not None:
        opad = check.int_tuple(op, "output_padding", output_padding, nsp, min_value=0)
        if any(p >= s for p, s in zip(opad, stride, strict=True)):
            raise ArgumentError(
                check.message(
                    op,
                    "output_padding",
                    "be smaller than `stride` in every dimension",
                    output_padding=opad,
                    stride=stride,
                )
            )
    if output_shape is not None:
        oshape = check.int_tuple(op, "output_shape", output_shape, nsp, min_value=1)
    return opad, oshape


def _transpose_length(
    mode: str | None, n: int | None, k: int, s: int, d: int, pads: Pair, opad: int | None
) -> int | None:
    """Output length of one spatial dimension (``opad``: the output padding, None if none)."""
    if n is None:
        return None
    dk = d * (k - 1) + 1
    if mode == "same":
        return n * s if opad is None else (n - 1) * s + dk - 2 * (dk // 2) + opad
    if mode == "valid":
        return n * s + max(dk - s, 0) if opad is None else (n - 1) * s + dk + opad
    return conv_transpose_out_size(n, k, s, pads, d, 0 if opad is None else opad)


def _check_transpose_size(
    op: str, i: int, out: int | None, size: int | None, k: int, pads: Pair, s: int, d: int
) -> None:
    check_out_size(op, i, out, input=size, kernel=k, pad=show_pad(pads), stride=s, dilation=d)
    if out is None or size is None:
        return
    if conv_out_size(out, k, s, pads, d) != size:
        raise ShapeError(
            check.message(
                op,
                "output size",
                f"be one whose convolution gives the input size in spatial dim {i}",
                output=out,
                input=size,
                kernel=k,
                pad=show_pad(pads),
                stride=s,
                dilation=d,
            )
        )


# ----------------------------------------------------------------------------- run-time checks
# A composite (plain Python over other functions) checks its arguments' shapes when it is called.
# In a graph a size may be unknown then (None), and no node of its own repeats the check when the
# graph runs: a size-1 batch then broadcasts against an empty one and the graph returns a result
# where eager raises. ``recheck`` puts the first tensor through a ``ShapeCheck`` node that also
# takes the others as inputs; its setup, re-run by the graph with the real shapes, calls the
# composite's registered check again (the same message as eager). Eager calls and graphs with
# known sizes get no node.
_CHECKS: dict[str, Callable[..., None]] = {}


def register_check(key: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator: register ``check(*tensors, **options)`` (raises an nnfunc error) as ``key``."""

    def deco(fn: Callable[..., None]) -> Callable[..., None]:
        _CHECKS[key] = fn
        return fn

    return deco


def recheck(op: str, key: str, tensors: Sequence[Any], /, **options: Any) -> tuple[Any, ...]:
    """``tensors`` as they are, or with the first one through a :class:`ShapeCheck` node when
    one is symbolic with an unknown size: the check ``key`` (see :func:`register_check`) then
    runs again, on the real shapes, whenever the graph computes anything from the first tensor
    (pass the one the results are computed from). ``options`` (ints, strings, tuples) are saved
    with the graph; ``op`` is the composite's name (the check's messages give it)."""
    if not any(getattr(t, "_is_symbolic", False) and None in tuple(t.shape) for t in tensors):
        return tuple(tensors)
    first = ShapeCheck(key, options).apply1(*tensors)
    return (first, *tensors[1:])


class ShapeCheck(_function.Function):
    """Identity on its first input whose ``setup`` runs a registered shape check on all its
    inputs once every size is known (see :func:`recheck`); the other inputs get no gradient.

    Its op is ``identity`` (what it computes: an export or a profile sees an identity); its
    errors carry the composite's name, from the check's own message.
    """

    op_name = "identity"

    def __init__(self, key: str, options: dict[str, Any]) -> None:
        self.key = key
        self.options = options

    def setup(self, *specs: Any) -> tuple[Any, ...]:
        self.n_inputs = len(specs)
        if all(None not in tuple(s.shape) for s in specs):
            try:
                _CHECKS[self.key](*specs, **self.options)
            except NNFuncError as exc:  # "<composite> (node '<this node>'): ..."
                name = getattr(self, "name", None)
                if name is None:
                    raise
                raise type(exc)(_function.with_node_name(str(exc), name)) from None
        return (TensorSpec(tuple(specs[0].shape), np.dtype(specs[0].dtype)),)

    def forward(self, xp: Any, *arrays: Any) -> tuple[Any, ...]:
        return (arrays[0].view(),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (grad_outputs[0],) + (None,) * (self.n_inputs - 1)
