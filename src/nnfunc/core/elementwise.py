"""Elementwise: the one base class of element-wise functions of one input.

Every one-input element-wise Function (the activations, exp/log, the trigonometric family, the
rounding functions, sqrt, erf...) derives from :class:`Elementwise`, so they share one dtype rule
and one error for each bad dtype:

* bool, integer and floating inputs are accepted. With ``real = True`` (the default: a
  real-valued result) bool and integers give float32 and floating dtypes stay; with
  ``real = False`` the dtype of ``x`` is kept (abs, relu, the rounding functions, identity).
* anything else (strings, bytes, objects, complex, datetimes) raises :class:`~nnfunc.errors.
  DTypeError` ``<op>: `x` must have a numeric dtype; received x.dtype=<dtype>.`` No element-wise
  function is documented for complex input, so complex is refused rather than silently losing
  its imaginary part.

The forward pass is one of: ``ufunc`` (the name of an ``xp`` function, called with ``dtype=`` when
``x`` must be converted), or ``compute(xp, x)`` (called on ``x`` in its floating dtype, float16
computed in float32, with overflow and underflow warnings silenced: the forms are written not to
overflow), or an overridden ``forward``. The backward pass is ``gy * derivative(x)`` (declare
``retain_in = (0,)``) or ``gy * derivative_from_output(y)`` (declare ``retain_out = (0,)``),
written with nnfunc functions, or an overridden ``backward``.

Scalar parameters are declared in ``params``, a table of ``(attribute, argument, check)``:
``setup`` replaces each attribute by ``check(op_name, argument, value)`` (a :mod:`nnfunc.core.
check` helper, which returns the value to keep) before the dtype check, so a subclass that only
validates its parameters has no ``setup`` of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec

__all__ = ["Elementwise", "input_spec"]

_F32 = np.dtype(np.float32)
_F16 = np.dtype(np.float16)


class Elementwise(Function):
    """Base of the element-wise functions of one input ``x`` (see the module doc)."""

    #: name of the ``xp`` function computing the result; empty: ``compute`` is used
    ufunc: str = ""
    #: True: a real-valued result (bool and integers give float32); False: the dtype is kept
    real: bool = True
    #: ``(attribute, argument name, check)`` of each scalar parameter, checked in ``setup``
    params: tuple[tuple[str, str, Callable[[str, str, Any], Any]], ...] = ()

    _np_ufunc: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Resolved once per class (a per-call getattr is visible in the overhead benchmark).
        cls._np_ufunc = getattr(np, cls.ufunc, None) if cls.ufunc else None

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        for attr, arg, check_value in self.params:
            setattr(self, attr, check_value(self.op_name, arg, getattr(self, attr)))
        dtype = x.dtype
        if not isinstance(dtype, np.dtype):
            dtype = np.dtype(dtype)
        if dtype.kind not in "biuf":
            check.numeric(self.op_name, "x", x)  # raises the standard DTypeError
        if self.real and dtype.kind != "f":
            dtype = _F32
        self.out_dtype = dtype
        return (TensorSpec(tuple(x.shape), dtype),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        if self.ufunc:
            f = self._np_ufunc if xp is np else getattr(xp, self.ufunc)
            return (f(x, dtype=self.out_dtype) if x.dtype != self.out_dtype else f(x),)
        out = self.out_dtype
        work = _F32 if out == _F16 else out
        with np.errstate(over="ignore", under="ignore"):
            y = self.compute(xp, x.astype(work, copy=False))
        return (y.astype(out, copy=False),)

    def compute(self, xp: Any, x: Any) -> Any:
        """``f(x)`` on an array of the working floating dtype (when ``ufunc`` is empty)."""
        raise NotImplementedError(f"{self.op_name}: compute is not implemented")

    def derivative(self, x: Any) -> Any:
        """``f'(x)`` written with nnfunc functions (``x`` is the retained input)."""
        raise NotImplementedError(f"{self.op_name}: backward is not implemented")

    def derivative_from_output(self, y: Any) -> Any:
        """``f'(x)`` as a function of ``y = f(x)`` (used when the class retains its output)."""
        raise NotImplementedError(f"{self.op_name}: backward is not implemented")

    def backward(self, target_indexes: tuple[int, ...], grad_outputs: tuple[Any, ...]) -> Any:
        if self.retain_out:
            (y,) = self.retained_outputs()
            return (grad_outputs[0] * self.derivative_from_output(y),)
        (x,) = self.retained_inputs()
        return (grad_outputs[0] * self.derivative(x),)


def input_spec(op: str, x: Any, arg: str = "x") -> TensorSpec:
    """The spec of an input of a composite element-wise function (array, list, number,
    Variable or symbolic variable), its dtype checked by the same rule as :class:`Elementwise`
    (call it under :func:`~nnfunc.core.function.node_errors` so that graph errors name the
    node)."""
    dtype = getattr(x, "dtype", None)
    shape = getattr(x, "shape", None)
    if dtype is None or shape is None:
        try:
            a = np.asarray(x)
            dtype, shape = a.dtype, a.shape
        except (TypeError, ValueError):
            dtype, shape = np.dtype(object), ()
    spec = TensorSpec(tuple(shape), np.dtype(dtype))
    check.numeric(op, arg, spec)
    return spec
