"""Graph mode: symbolic variables, named nodes, and running a graph later with feeds."""

from __future__ import annotations

import copy
import re
import weakref
from collections.abc import Iterator, Mapping, Sequence
from math import prod
from typing import Any, ClassVar

import numpy as np

from nnfunc.core import autograd as _autograd
from nnfunc.core import check
from nnfunc.core import function as _function
from nnfunc.core.function import (
    Function,
    _arg_name,
    _check_outputs,
    _convert_scalars,
    _gate,
    _setup,
    _too_big,
    reraise_with_node,
    scalar_dtype,
    with_node_name,
)
from nnfunc.core.spec import TensorSpec
from nnfunc.core.variable import Variable
from nnfunc.errors import ArgumentError, DTypeError, GraphError, NNFuncError, ShapeError

__all__ = ["Graph", "SymbolicVariable", "apply_symbolic"]

_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")


class SymbolicVariable:
    """A tensor of a :class:`Graph`: its spec is known, its value only when the graph runs.

    Calling an nnfunc function on symbolic variables adds a named node to their graph and returns
    symbolic variables. Operators (``+ - * / ** @``, unary minus, comparisons, indexing) work as
    on :class:`~nnfunc.Variable`.

    Attributes:
        name (str): Unique name in the graph.
        spec (TensorSpec): Shape (``None`` for unknown dimensions) and dtype.
        kind (str): ``"placeholder"``, ``"parameter"``, ``"constant"`` or ``"op"``.
    """

    _is_symbolic = True
    __array_priority__ = 1000.0

    def __init__(
        self,
        graph: Graph,
        name: str,
        spec: TensorSpec,
        kind: str,
        creator: Function | None = None,
        index: int = 0,
        requires_grad: bool = False,
    ) -> None:
        self.graph = graph
        self.name = name
        self.spec = spec
        self.kind = kind
        self.creator = creator
        self.index = index
        self.rank = 0 if creator is None else creator.rank
        self.requires_grad = requires_grad

    @property
    def shape(self) -> tuple[int | None, ...]:
        """Shape, ``None`` for dimensions known only at run time."""
        return self.spec.shape

    @property
    def dtype(self) -> np.dtype:
        """dtype."""
        return self.spec.dtype

    @property
    def ndim(self) -> int:
        """Rank."""
        return len(self.spec.shape)

    @property
    def op(self) -> str:
        """The op name of the node that produces this variable."""
        return self.kind if self.creator is None else self.creator.op_name

    def __repr__(self) -> str:
        return (
            f"SymbolicVariable(name={self.name!r}, op={self.op!r}, shape={self.shape}, "
            f"dtype={np.dtype(self.dtype).name})"
        )

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise GraphError(
            f"graph: the truth value of symbolic variable {self.name!r} must not be used; "
            "it is known only when the graph runs."
        )


def _install_operators() -> None:
    names = (
        "add radd sub rsub mul rmul truediv rtruediv pow rpow matmul rmatmul neg pos getitem "
        "eq ne lt le gt ge"
    )
    for op in names.split():
        dunder = f"__{op}__"
        setattr(SymbolicVariable, dunder, getattr(Variable, dunder))


_install_operators()


class Graph:
    """A graph of named nodes built from symbolic variables, run later with feeds.

    Use :meth:`placeholder`, :meth:`parameter` and :meth:`constant` to create its inputs, then call
    nnfunc functions on them (each call adds a node, named by its ``name=`` argument or
    automatically ``<op>_<n>``); :meth:`run` computes fetched nodes from feeds; :meth:`grad` adds
    the gradient nodes. Shapes are inferred and arguments validated while the graph is built.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> with nf.Graph() as g:
        ...     x = g.placeholder("x", (None, 2))
        ...     w = g.parameter("w", np.array([[1.0], [2.0]], np.float32))
        ...     y = nf.matmul(x, w, name="y")
        >>> g.run("y", {"x": np.ones((3, 2), np.float32)})
        array([[3.],
               [3.],
               [3.]], dtype=float32)
    """

    _stack: ClassVar[list[Graph]] = []

    def __init__(self, name: str = "graph") -> None:
        self.name = name
        self._vars: dict[str, SymbolicVariable | tuple[SymbolicVariable, ...]] = {}
        self._order: list[SymbolicVariable] = []
        self._values: dict[str, Any] = {}
        self._counters: dict[str, int] = {}

    # ------------------------------------------------------------------ context
    def __enter__(self) -> Graph:
        Graph._stack.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        Graph._stack.pop()

    @staticmethod
    def current() -> Graph | None:
        """The innermost graph entered with ``with``, or ``None``."""
        return Graph._stack[-1] if Graph._stack else None

    # ------------------------------------------------------------------ building
    def _unique_name(self, requested: str | None, op: str) -> str:
        if requested is not None:
            if not isinstance(requested, str) or not _NAME_RE.match(requested):
                raise ArgumentError(
                    check.message(
                        op,
                        "name",
                        "be a non-empty string of letters, digits, '_', '.' and '-'",
                        name=requested,
                    )
                )
            if requested in self._vars:
                raise GraphError(
                    f"{op}: `name` must be unique in the graph; received name={requested!r}, "
                    "which names an existing node."
                )
            return requested
        n = self._counters.get(op, 0)
        while f"{op}_{n}" in self._vars:
            n += 1
        self._counters[op] = n + 1
        return f"{op}_{n}"

    def _add(self, var: SymbolicVariable) -> SymbolicVariable:
        self._vars[var.name] = var
        self._order.append(var)
        return var

    def placeholder(
        self,
        name: str,
        shape: Sequence[int | None],
        dtype: Any = np.float32,
    ) -> SymbolicVariable:
        """An input fed at run time.

        Args:
            name (str): Unique node name, the key of its feed.
            shape: Dimensions, ``None`` where any size may be fed.
            dtype: dtype the feeds must have. Default float32.

        Returns:
            SymbolicVariable.

        Raises:
            GraphError: the name is taken.
            ArgumentError: a dimension is not a non-negative int or None.
        """
        name = self._unique_name(name, "placeholder")
        dims = tuple(shape)
        for d in dims:
            if d is not None and (not isinstance(d, (int, np.integer)) or d < 0):
                raise ArgumentError(
                    check.message(
                        "placeholder",
                        "shape",
                        "hold non-negative ints or None",
                        shape=dims,
                    )
                )
        spec = TensorSpec(tuple(None if d is None else int(d) for d in dims), np.dtype(dtype))
        return self._add(
            SymbolicVariable(self, name, spec, "placeholder", requires_grad=spec.dtype.kind == "f")
        )

    def parameter(self, name: str, value: Any) -> SymbolicVariable:
        """A named tensor whose value the graph holds (it can be fed to override it).

        Args:
            name (str): Unique node name.
            value: Initial value (array-like).

        Returns:
            SymbolicVariable.

        Raises:
            GraphError: the name is taken.
        """
        name = self._unique_name(name, "parameter")
        arr = np.asarray(value)
        self._values[name] = arr
        spec = TensorSpec(arr.shape, arr.dtype)
        return self._add(
            SymbolicVariable(self, name, spec, "parameter", requires_grad=arr.dtype.kind == "f")
        )

    def constant(self, value: Any, name: str | None = None) -> SymbolicVariable:
        """A constant tensor (no gradient flows to it).

        Args:
            value: Array-like value.
            name (str, optional): Unique node name; ``constant_<n>`` by default.

        Returns:
            SymbolicVariable.
        """
        name = self._unique_name(name, "constant")
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
        self._values[name] = arr
        return self._add(SymbolicVariable(self, name, TensorSpec(arr.shape, arr.dtype), "constant"))

    def get_value(self, name: str) -> Any:
        """The value a parameter or constant holds."""
        return self._values[self._lookup(name).name]

    def set_value(self, name: str, value: Any) -> None:
        """Replace a parameter's value (same shape and dtype)."""
        var = self._lookup(name)
        arr = np.asarray(value)
        self._check_feed(var, arr)
        self._values[var.name] = arr

    def _lookup(self, key: Any) -> SymbolicVariable:
        if isinstance(key, SymbolicVariable):
            if key.graph is not self:
                raise GraphError(
                    f"graph: fetches and feeds must belong to this graph; received {key.name!r} "
                    "of another graph."
                )
            return key
        if isinstance(key, str) and key in self._vars:
            v = self._vars[key]
            if isinstance(v, SymbolicVariable):
                return v
        raise GraphError(f"graph: `name` must name a node of the graph; received name={key!r}.")

    def __getitem__(self, name: str) -> Any:
        if name not in self._vars:
            raise GraphError(
                f"graph: `name` must name a node of the graph; received name={name!r}."
            )
        return self._vars[name]

    def __contains__(self, name: str) -> bool:
        return name in self._vars

    def __iter__(self) -> Iterator[SymbolicVariable]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)

    @property
    def placeholders(self) -> dict[str, SymbolicVariable]:
        """Placeholders by name."""
        return {v.name: v for v in self._order if v.kind == "placeholder"}

    @property
    def parameters(self) -> dict[str, SymbolicVariable]:
        """Parameters by name."""
        return {v.name: v for v in self._order if v.kind == "parameter"}

    # ------------------------------------------------------------------ running
    def _check_feed(self, var: SymbolicVariable, arr: Any) -> Any:
        spec = var.spec
        if isinstance(arr, Variable):
            arr = arr.data
        elif not hasattr(arr, "dtype") or not hasattr(arr, "shape") or isinstance(arr, np.generic):
            arr = _feed_array(var, arr)
        if np.dtype(arr.dtype) != spec.dtype:
            raise DTypeError(
                f"run: feed for {var.kind} {var.name!r} must have dtype {spec.dtype}; "
                f"received {var.name}.dtype={np.dtype(arr.dtype)}."
            )
        shape = tuple(arr.shape)
        if len(shape) != len(spec.shape) or any(
            d is not None and d != s for d, s in zip(spec.shape, shape, strict=False)
        ):
            raise ShapeError(
                f"run: feed for {var.kind} {var.name!r} must have shape {check.fmt(spec.shape)}; "
                f"received {var.name}.shape={check.fmt(shape)}."
            )
        return arr

    def run(self, fetches: Any, feeds: Mapping[Any, Any] | None = None) -> Any:
        """Compute the fetched nodes.

        Args:
            fetches: A node (SymbolicVariable or name), or a list, tuple or dict of nodes.
            feeds (dict, optional): Placeholder (or parameter) → value, keyed by variable or
                name. Only the placeholders the fetches depend on must be fed.

        Returns:
            Arrays with the structure of ``fetches``.

        Raises:
            GraphError: a fetch is not in the graph, or a needed placeholder is not fed.
            ShapeError: a feed's shape does not fit its placeholder.
            DTypeError: a feed array's dtype differs from its placeholder's; a feed given as
                Python data (a list, a number) is not numeric, or converts to the placeholder's
                dtype only by truncation (floats to an integer placeholder).
            ArgumentError: integers given as Python data do not fit the placeholder's dtype.
        """
        feeds = dict(feeds or {})
        fed: dict[SymbolicVariable, Any] = {}
        for key, value in feeds.items():
            var = self._lookup(key)
            if var.kind not in ("placeholder", "parameter"):
                raise GraphError(
                    f"run: feeds must be placeholders or parameters; received {var.name!r}, "
                    f"a {var.kind} node."
                )
            fed[var] = self._check_feed(var, value)
        if isinstance(fetches, dict):
            keys = list(fetches)
            targets = [self._lookup(fetches[k]) for k in keys]
        elif isinstance(fetches, (list, tuple)):
            targets = [self._lookup(f) for f in fetches]
        else:
            targets = [self._lookup(fetches)]
        values = self._evaluate(targets, fed)
        out = [values[t] for t in targets]
        if isinstance(fetches, dict):
            return dict(zip(keys, out, strict=True))
        if isinstance(fetches, (list, tuple)):
            return type(fetches)(out)
        return out[0]

    def _evaluate(
        self, targets: list[SymbolicVariable], fed: dict[SymbolicVariable, Any]
    ) -> dict[SymbolicVariable, Any]:
        needed: set[int] = set()
        stack = list(targets)
        while stack:
            v = stack.pop()
            if id(v) in needed:
                continue
            needed.add(id(v))
            if v in fed or v.creator is None:
                continue
            stack.extend(i for i in v.creator.inputs if i is not None)
        values: dict[SymbolicVariable, Any] = {}
        done: set[int] = set()
        for v in self._order:
            if id(v) not in needed or v in values:
                continue
            if v in fed:
                values[v] = fed[v]
            elif v.kind == "placeholder":
                raise GraphError(
                    f"run: placeholder {v.name!r} must be fed; it is needed by the fetches."
                )
            elif v.creator is None:
                values[v] = self._values[v.name]
            else:
                func = v.creator
                if id(func) in done:
                    continue
                done.add(id(func))
                args = tuple(None if i is None else values[i] for i in func.inputs)
                f = copy.copy(func)
                try:
                    specs = f.setup(*args)
                    # an output that cannot fit is an error before it is allocated (as eager)
                    if any(
                        None not in s.shape and prod(s.shape) > _function._GUARD_ELEMS
                        for s in specs
                    ):
                        _too_big(f, specs)
                except NNFuncError as exc:
                    raise reraise_with_node(func, exc, func.name) from None
                xp = np
                try:
                    raw = f.forward(xp, *args)
                except NNFuncError as exc:  # value checks (singular matrix...) name the node too
                    raise reraise_with_node(func, exc, func.name) from None
                outs = _check_outputs(f, raw, specs, xp)
                for ref, o in zip(func.outputs, outs, strict=True):
                    out_var = ref()
                    if out_var is not None:
                        values[out_var] = o
        return values

    # ------------------------------------------------------------------ files
    def save(self, path: Any) -> None:
        """Write the graph to ``path`` (a file name or a binary file object).

        The file is a zip of ``graph.json`` (nodes in order with their names, ops, arguments as
        plain data and inputs; placeholders with their ``None`` dims) and ``arrays.npz``
        (parameters and constants, no pickle). Saving the same graph twice gives the same bytes.
        Gradient nodes added by :meth:`grad` are saved like any other node when their arguments
        are plain data.

        Args:
            path: File name (``str`` or path-like) or a binary file object.

        Raises:
            UnsupportedError: a node's arguments are not plain data (a communicator, a Python
                callable, a random generator...): the message names the node and the argument.

        Examples:
            >>> import io, numpy as np, nnfunc as nf
            >>> with nf.Graph() as g:
            ...     x = g.placeholder("x", (None, 2))
            ...     y = nf.relu(x, name="y")
            >>> buf = io.BytesIO(); g.save(buf); _ = buf.seek(0)
            >>> nf.load_graph(buf).run("y", {"x": np.array([[-1.0, 2.0]], np.float32)})
            array([[0., 2.]], dtype=float32)
        """
        _serialize.save_graph(self, path)

    @staticmethod
    def load(path: Any) -> Graph:
        """Read a graph written by :meth:`save` (same as :func:`nnfunc.load_graph`).

        Loading runs no code from the file: ops are looked up by name among the library's
        Function classes and rebuilt from plain data; arrays are read without pickle. The loaded
        graph runs to bit-identical results, supports :meth:`grad`, and saves to the same bytes.

        Args:
            path: File name or binary file object.

        Returns:
            Graph.

        Raises:
            GraphError: the file is truncated, not a graph file, from a newer format version,
                altered (its arrays do not match their recorded checksum), or refers to arrays or
                nodes it does not hold; arrays that need pickle are refused.
            UnsupportedError: an op the file uses is not defined by this nnfunc.
        """
        return _serialize.load_graph(path)

    def export_onnx(self, path: Any, fetches: Any, opset: int = 17) -> Any:
        """Write the nodes ``fetches`` need as an ONNX model, checked by ``onnx.checker``.

        Placeholders become graph inputs (``None`` dimensions become symbolic ONNX dimensions),
        parameters and constants become initializers, and each node is translated by the entry
        of its op in :data:`nnfunc.core.onnx_export.EXPORTERS` (elementwise math, activations,
        the softmax family, matmul and linear, convolution, pooling, batch normalization with
        given statistics, reductions, reshapes...). Needs the ``onnx`` package.

        Args:
            path: File name or binary file object (None: only return the model).
            fetches: The node(s) whose values the model outputs (variables or names).
            opset (int): The ONNX opset. Default 17.

        Returns:
            onnx.ModelProto: the model.

        Raises:
            UnsupportedError: a needed node's op has no ONNX mapping (the message names the node
                and the op), or ``onnx`` is not installed.
            GraphError: a fetch is not a node of this graph.
        """
        return _onnx_export.export_onnx(self, path, fetches, opset)

    # ------------------------------------------------------------------ gradients
    def grad(
        self,
        ys: SymbolicVariable | Sequence[SymbolicVariable],
        xs: SymbolicVariable | Sequence[SymbolicVariable],
        grad_ys: Any = None,
    ) -> list[SymbolicVariable]:
        """Add the nodes that compute d(sum of ys)/d(xs) to the graph.

        The nodes come from the same ``backward`` code as eager gradients, so they can be run,
        and differentiated again.

        Args:
            ys: Symbolic variable(s) to differentiate.
            xs: Symbolic variable(s) to differentiate with respect to.
            grad_ys: Optional upstream gradients (symbolic or arrays), one per y; ones by default.

        Returns:
            list of SymbolicVariable: one per x (zeros where x does not influence ys).

        Raises:
            GraphError: a variable belongs to another graph.
        """
        ys_l = [ys] if isinstance(ys, SymbolicVariable) else list(ys)
        xs_l = [xs] if isinstance(xs, SymbolicVariable) else list(xs)
        for v in ys_l + xs_l:
            self._lookup(v)
        if grad_ys is None:
            gys = [None] * len(ys_l)
        elif isinstance(grad_ys, (list, tuple)):
            gys = list(grad_ys)
        else:
            gys = [grad_ys]
        roots = []
        for y, gy in zip(ys_l, gys, strict=True):
            if not y.requires_grad:
                continue
            if gy is None:
                gy = _autograd._fill_like(y, 1.0)
            elif not isinstance(gy, SymbolicVariable):
                gy = self.constant(np.asarray(gy, dtype=y.dtype))
            roots.append((y, gy))
        grads = _autograd._backprop(roots, set(xs_l), True, True) if roots else {}
        return [grads.get(x) if x in grads else _autograd._fill_like(x, 0.0) for x in xs_l]


def _feed_array(var: SymbolicVariable, value: Any) -> np.ndarray:
    """A feed given as Python data (a list, a number, a NumPy scalar) as an array of the
    placeholder's dtype. Only a conversion of the same kind is made (ints to floats, float64 to
    float32; never a float to an int, which would truncate), and integers must fit the dtype
    (NumPy would raise OverflowError or wrap them): anything else is a DTypeError or an
    ArgumentError naming the feed, never a raw NumPy error."""
    dtype = var.spec.dtype
    head = f"run: feed for {var.kind} {var.name!r}"
    if value is None or isinstance(value, (str, bytes, dict)):
        raise DTypeError(
            f"{head} must be an array, a list or a number; received {var.name}={check.fmt(value)}."
        )
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists and the like
        raise DTypeError(
            f"{head} must be an array, a list or a number; received {var.name}={check.fmt(value)}."
        ) from None
    if arr.dtype.kind not in "biuf" or not np.can_cast(arr.dtype, dtype, "same_kind"):
        raise DTypeError(
            f"{head} must have dtype {dtype} (or convert to it without truncation); "
            f"received {var.name}.dtype={arr.dtype}."
        )
    if dtype.kind in "iu" and arr.size and arr.dtype != dtype:
        info = np.iinfo(dtype)
        lo, hi = int(arr.min()), int(arr.max())
        if lo < info.min or hi > info.max:
            raise ArgumentError(
                f"{head} must fit in {dtype}; received {var.name} with values in [{lo}, {hi}]."
            )
    return arr.astype(dtype, copy=False)


def apply_symbolic(func: Function, inputs: tuple[Any, ...], name: str | None) -> tuple[Any, ...]:
    """Add ``func`` applied to ``inputs`` as a node of their graph (see :meth:`Function.apply`)."""
    graph = None
    for x in inputs:
        if isinstance(x, SymbolicVariable):
            if graph is None:
                graph = x.graph
            elif x.graph is not graph:
                raise GraphError(
                    f"{func.op_name}: inputs must belong to one graph; received {x.name!r} of "
                    "another graph."
                )
    assert graph is not None
    node_name = graph._unique_name(name, func.op_name)
    partners = [
        np.dtype(x.dtype)
        for x in inputs
        if x is not None and type(x) not in (bool, int, float) and hasattr(x, "dtype")
    ]
    converted = []
    for i, x in enumerate(inputs):
        if x is None or isinstance(x, SymbolicVariable):
            converted.append(x)
        else:
            if type(x) in (bool, int, float):
                dtype = scalar_dtype(x, partners)
                try:
                    arr = np.asarray(x, dtype=dtype)
                except OverflowError:  # 2**63 where int64 goes (as eager)
                    op, arg = _arg_name(func, i)
                    text = check.message(op, arg, f"fit in {dtype}", **{arg: x})
                    raise ArgumentError(with_node_name(text, node_name, op)) from None
            else:
                try:  # a string or an object given as a tensor: the error names this node
                    (arr,) = _convert_scalars((x,))
                except NNFuncError as exc:
                    raise type(exc)(with_node_name(str(exc), node_name)) from None
                arr = np.asarray(arr)
            converted.append(graph.constant(arr))
    specs = tuple(None if x is None else x.spec for x in converted)
    # What the constructor made of its arguments, before setup adds anything: the node's
    # configuration, which nnfunc.core.serialize saves and restores (graph mode only).
    func._config = {k: v for k, v in func.__dict__.items() if k != "_config"}
    try:
        if any(s is not None and np.dtype(s.dtype).kind not in "biuf" for s in specs):
            _gate(func, specs)
        out_specs = _setup(func, specs)
        # known sizes already too large: refused when the graph is built
        known = [s for s in out_specs if None not in tuple(s.shape)]
        if any(prod(s.shape) > _function._GUARD_ELEMS for s in known):
            _too_big(func, known)
    except NNFuncError as exc:
        raise reraise_with_node(func, exc, node_name) from None
    func.name = node_name
    func._symbolic = True
    func.inputs = tuple(converted)
    func._in_specs = specs
    func.rank = 1 + max((x.rank for x in converted if x is not None), default=0)
    func._retained_in = tuple(converted[i] for i in func.retain_in)
    func._retained_out = tuple(None for _ in func.retain_out)
    grad_in = any(x is not None and x.requires_grad for x in converted)
    outs = []
    for i, s in enumerate(out_specs):
        spec = TensorSpec(tuple(s.shape), np.dtype(s.dtype))
        out_name = node_name if len(out_specs) == 1 else f"{node_name}:{i}"
        var = SymbolicVariable(
            graph, out_name, spec, "op", func, i, requires_grad=grad_in and spec.dtype.kind == "f"
        )
        graph._order.append(var)
        graph._vars[out_name] = var
        outs.append(var)
    if len(outs) != 1:
        graph._vars[node_name] = tuple(outs)
    func.outputs = tuple(weakref.ref(v) for v in outs)
    return tuple(outs)


# serialize builds on Graph and apply_symbolic above; imported last to avoid a cycle.
from nnfunc.core import onnx_export as _onnx_export  # noqa: E402
from nnfunc.core import serialize as _serialize  # noqa: E402
