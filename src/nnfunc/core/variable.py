"""Variable: an array with an optional gradient, recorded on the tape when it needs one."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from nnfunc.core._state import STATE
from nnfunc.core.check import not_a_tensor, tensor_dtype
from nnfunc.errors import DTypeError

__all__ = ["OPS", "VarNode", "Variable"]


class _Ops:
    """Late-bound functions the operators route through (filled by :mod:`nnfunc.functions`)."""

    add = sub = mul = div = pow = matmul = neg = getitem = None
    equal = not_equal = less = less_equal = greater = greater_equal = None
    sum_to = broadcast_to_like = reshape_like = None  # the gradient helpers of Function


OPS: Any = _Ops()


class VarNode:
    """The tape's vertex for one Variable.

    It holds what the backward pass needs to walk the graph (creator, output index, rank,
    whether a gradient is wanted) and, for a leaf, a weak reference to its Variable (where
    backward() puts ``.grad``; None for a function's output: the engine never reads it), never
    the data: what a function's backward reads is kept by the function itself (declared
    retention).
    """

    __slots__ = ("__weakref__", "creator", "index", "rank", "requires_grad", "spec", "var_ref")

    def __init__(self, var: Variable, creator: Any = None, index: int = 0) -> None:
        self.var_ref = weakref.ref(var) if creator is None else None
        self.creator = creator
        self.index = index
        self.rank = 0 if creator is None else creator.rank
        self.requires_grad = var._requires_grad


class Variable:
    """An array that can carry a gradient.

    Calling any nnfunc function on a Variable computes at once and returns Variables; when an
    input has ``requires_grad=True`` (and recording is not disabled by :func:`nnfunc.no_grad`),
    the call is recorded so that :meth:`backward` or :func:`nnfunc.grad` can differentiate it.

    Args:
        data: Array-like value (NumPy or CuPy array, nested lists, scalar). Kept without a copy
            when it is already an array.
        requires_grad (bool): Whether gradients flow to this Variable. Only floating dtypes may
            require a gradient. Alias ``need_grad``.
        name (str, optional): A label shown in ``repr``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = nf.Variable(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        >>> y = nf.sum(x * x)
        >>> y.backward()
        >>> x.grad
        array([2., 4., 6.])
    """

    __array_priority__ = 1000.0
    __slots__ = ("__weakref__", "_grad", "_node", "_requires_grad", "data", "name")

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        *,
        need_grad: bool | None = None,
        name: str | None = None,
    ) -> None:
        if isinstance(data, Variable):
            data = data.data
        if data is None or isinstance(data, (str, bytes, dict)):
            raise not_a_tensor("Variable", "data", data)
        if isinstance(data, np.generic) or not hasattr(data, "__array_namespace__"):
            try:
                data = np.asarray(data)
            except (ValueError, TypeError):  # ragged nested lists
                raise not_a_tensor("Variable", "data", data) from None
        tensor_dtype("Variable", "data", data, complex_ok=True)
        self.data = data
        self._node: VarNode | None = None
        self._grad: Variable | None = None
        self.name = name
        self._requires_grad = False
        self.requires_grad = bool(requires_grad if need_grad is None else need_grad)

    @classmethod
    def _wrap(cls, data: Any, requires_grad: bool) -> Variable:
        """Fast constructor for function outputs (data already an array of a valid dtype)."""
        v = object.__new__(cls)
        v.data = data
        v._requires_grad = requires_grad
        v._node = None
        v._grad = None
        v.name = None
        return v

    # ----------------------------------------------------------------------- properties
    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this Variable (alias ``need_grad``)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and np.dtype(self.data.dtype).kind != "f":
            raise DTypeError(
                "Variable: `requires_grad` must be False for a non-floating dtype; "
                f"received dtype={np.dtype(self.data.dtype)}."
            )
        self._requires_grad = bool(value)
        if self._node is not None and self._node.creator is None:
            self._node.requires_grad = self._requires_grad

    need_grad = requires_grad

    @property
    def d(self) -> Any:
        """Alias of :attr:`data` (NNabla spelling)."""
        return self.data

    @d.setter
    def d(self, value: Any) -> None:
        self.data = value

    @property
    def grad(self) -> Any:
        """The accumulated gradient as an array (``None`` before any backward pass)."""
        return None if self._grad is None else self._grad.data

    @grad.setter
    def grad(self, value: Any) -> None:
        self._grad = None if value is None else Variable(value)

    g = grad

    @property
    def grad_var(self) -> Variable | None:
        """The accumulated gradient as a Variable (differentiable after ``create_graph=True``)."""
        return self._grad

    @property
    def creator(self) -> Any:
        """The Function that produced this Variable on the tape, or ``None`` for a leaf."""
        return None if self._node is None else self._node.creator

    @property
    def is_leaf(self) -> bool:
        """True when the Variable was not produced by a recorded function."""
        return self.creator is None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the data."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """dtype of the data."""
        return self.data.dtype

    @property
    def ndim(self) -> int:
        """Rank of the data."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """Number of elements."""
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    # ----------------------------------------------------------------------- methods
    def node(self) -> VarNode:
        """The tape vertex of this Variable (created on first use)."""
        if self._node is None:
            self._node = VarNode(self)
        return self._node

    def backward(
        self, grad: Any = None, *, retain_graph: bool = False, create_graph: bool = False
    ) -> None:
        """Accumulate the gradient of this Variable into every leaf's ``.grad``.

        Args:
            grad: Gradient of the final objective with respect to this Variable; may be omitted
                only when this Variable has one element (then it is 1).
            retain_graph (bool): Keep the recorded graph so that backward can run again.
            create_graph (bool): Record the backward pass, so that gradients can be
                differentiated again.

        Returns:
            None.

        Raises:
            ArgumentError: ``grad`` is omitted for a Variable with more than one element, or has
                the wrong shape.
            GraphError: the graph was freed by an earlier backward pass.
        """
        _autograd.backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self._grad = None

    def detach(self) -> Variable:
        """A new leaf Variable sharing the data, cut from the tape, not requiring a gradient."""
        return Variable._wrap(self.data, False)

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (copied from the device for CuPy data)."""
        data = self.data
        return data.get() if hasattr(data, "get") and not isinstance(data, np.ndarray) else data

    def item(self) -> Any:
        """The single element as a Python scalar."""
        return self.data.item()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        data = self.numpy()
        if dtype is not None and np.dtype(dtype) != data.dtype:
            return data.astype(dtype)
        return np.array(data, copy=True) if copy else data

    def __repr__(self) -> str:
        body = np.array2string(np.asarray(self.numpy()), separator=", ", prefix="Variable(")
        extra = (
            f", dtype={self.dtype}" if self.dtype not in (np.float64, np.int64, np.bool_) else ""
        )
        if self._requires_grad:
            extra += ", requires_grad=True"
        return f"Variable({body}{extra})"

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    __hash__ = object.__hash__

    # ----------------------------------------------------------------------- operators
    def __add__(self, other: Any) -> Any:
        return OPS.add(self, other)

    def __radd__(self, other: Any) -> Any:
        return OPS.add(other, self)

    def __sub__(self, other: Any) -> Any:
        return OPS.sub(self, other)

    def __rsub__(self, other: Any) -> Any:
        return OPS.sub(other, self)

    def __mul__(self, other: Any) -> Any:
        return OPS.mul(self, other)

    def __rmul__(self, other: Any) -> Any:
        return OPS.mul(other, self)

    def __truediv__(self, other: Any) -> Any:
        return OPS.div(self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return OPS.div(other, self)

    def __pow__(self, other: Any) -> Any:
        return OPS.pow(self, other)

    def __rpow__(self, other: Any) -> Any:
        return OPS.pow(other, self)

    def __matmul__(self, other: Any) -> Any:
        return OPS.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return OPS.matmul(other, self)

    def __neg__(self) -> Any:
        return OPS.neg(self)

    def __pos__(self) -> Variable:
        return self

    def __getitem__(self, key: Any) -> Any:
        return OPS.getitem(self, key)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return OPS.equal(self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return OPS.not_equal(self, other)

    def __lt__(self, other: Any) -> Any:
        return OPS.less(self, other)

    def __le__(self, other: Any) -> Any:
        return OPS.less_equal(self, other)

    def __gt__(self, other: Any) -> Any:
        return OPS.greater(self, other)

    def __ge__(self, other: Any) -> Any:
        return OPS.greater_equal(self, other)


def recording() -> bool:
    """True when operations on Variables are currently recorded."""
    return STATE.grad_enabled


# autograd builds on this module (it imports Variable), so it is imported last; Variable.backward
# reaches it as a module attribute at call time.
from nnfunc.core import autograd as _autograd  # noqa: E402
