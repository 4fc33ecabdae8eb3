"""Shared setup of element-wise functions of two broadcast inputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.dtypes import result_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.kernels.cpu import _buffers

__all__ = ["BinaryElementwise", "broadcast_spec"]


def broadcast_spec(op: str, names: tuple[str, ...], *specs: Any) -> tuple[int | None, ...]:
    """The broadcast shape of ``specs`` (fast path for equal shapes)."""
    first = tuple(specs[0].shape)
    if all(tuple(s.shape) == first for s in specs[1:]) and None not in first:
        return first
    return check.broadcast_shapes(op, names, [tuple(s.shape) for s in specs])


#: Input bytes from which an output comes from the buffer pool (a module constant: the test is
#: on every call, ~40 ns).
_POOLED = _buffers.MIN_BYTES


class BinaryElementwise(Function):
    """Base of element-wise functions of two broadcast inputs ``x0`` and ``x1``.

    Subclasses set ``ufunc`` (the name of the ``xp`` function) and declare ``retain_in``; the
    output dtype is NumPy's result type of the inputs (``float_result`` promotes integers to
    float32, for true division). ``setup`` returns the first input's own spec when nothing
    changes (any object with ``.shape`` and ``.dtype`` is a valid spec): cheaper per call.
    """

    input_names = ("x0", "x1")
    ufunc = ""
    float_result = False
    _np_ufunc: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Resolved once per class: the per-call getattr showed in the overhead profile.
        name = cls.ufunc
        cls._np_ufunc = getattr(np, name, None) if isinstance(name, str) and name else None

    def setup(self, a: Any, b: Any) -> tuple[Any, ...]:
        shape = a.shape
        dtype = a.dtype
        same_dtype = dtype is b.dtype or dtype == b.dtype
        if same_dtype and (not self.float_result or dtype.kind == "f"):
            # The output has the dtype of both; when one input has the output's shape too (same
            # shapes, or the other is 0-d: the common `x * 2`), that input is the output spec.
            if shape == b.shape or not b.shape:
                self.out_dtype = dtype
                return (a,)
            if not shape:
                self.out_dtype = dtype
                return (b,)
        if not b.shape:  # a scalar operand (the common `x * 2`) broadcasts trivially
            pass
        elif not shape:
            shape = b.shape
        elif shape != b.shape:
            shape = check.broadcast_shapes(
                self.op_name, self.input_names, [tuple(a.shape), tuple(b.shape)]
            )
        if not same_dtype:
            dtype = result_dtype(dtype, b.dtype)
        if self.float_result and dtype.kind != "f":
            dtype = np.dtype(np.float32)
        self.out_dtype = dtype
        return (TensorSpec(tuple(shape), dtype),)

    def forward(self, xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
        f = self._np_ufunc if xp is np and self._np_ufunc is not None else getattr(xp, self.ufunc)
        out = self.out_dtype
        if (
            (a.nbytes >= _POOLED or b.nbytes >= _POOLED)
            and xp is np
            and a.dtype == b.dtype == out
            and out.kind == "f"
        ):
            # a large output from the buffer pool: a fresh block is page-faulted as it is written
            # (a Transformer step's residual adds: 8 MB each)
            y = f(a, b, out=_buffers.empty(np.broadcast_shapes(a.shape, b.shape), out))
        else:
            y = f(a, b)
        if y.dtype is not out and y.dtype != out:
            y = y.astype(out)
        return (y,)
