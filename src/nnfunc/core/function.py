"""Function: the one node kind of nnfunc, and the dispatch of the three calling modes."""

from __future__ import annotations

import os
import re
import sys
import weakref
from math import prod
from typing import Any

import numpy as np

from nnfunc.core._state import STATE
from nnfunc.core.backend import get_array_module
from nnfunc.core.check import message, not_a_tensor, tensor, tensor_dtype
from nnfunc.core.spec import TensorSpec
from nnfunc.core.variable import OPS, Variable, VarNode
from nnfunc.errors import ArgumentError, GraphError, NNFuncError

__all__ = ["Function", "node_errors", "reraise_with_node", "scalar_dtype", "with_node_name"]

_SCALARS = (bool, int, float)
_NDARRAY = np.ndarray
_MODULES = sys.modules
_new = object.__new__
_tuple_new = tuple.__new__
_ref = weakref.ref


def scalar_dtype(value: Any, partners: list[np.dtype]) -> np.dtype:
    """dtype given to a Python scalar used as a tensor input.

    A Python scalar never upcasts its tensor partners: it takes the first partner's dtype, except
    that a float scalar with an integer or bool partner gives float32 (the default float). Alone,
    it converts as NumPy does.
    """
    if not partners:
        return np.asarray(value).dtype
    d = partners[0] if len(partners) == 1 else np.result_type(*partners)
    if isinstance(value, float) and d.kind in "biu":
        return np.dtype(np.float32)
    if isinstance(value, int) and not isinstance(value, bool) and d.kind == "b":
        return np.dtype(np.int64)
    return d


class _InSpecs:
    """``Function._in_specs`` of a recorded eager call: the TensorSpecs of its inputs, made on
    first read from the flat ``(shape0, dtype0, shape1, dtype1, ...)`` tuple recording keeps in
    ``_in_meta`` (None, None for a missing input): TensorSpecs cost more to build than one
    flat tuple, and most backward passes never read them. A
    non-data descriptor: graph mode sets ``_in_specs`` on the instance, which takes precedence;
    with neither, reading it is an AttributeError (``hasattr`` tells whether it was applied).
    The specs made are kept with the pairs they came from.
    """

    def __get__(self, func: Any, cls: Any = None) -> Any:
        if func is None:
            return self
        state = func.__dict__
        meta = state.get("_in_meta")
        if meta is None:
            raise AttributeError("_in_specs")
        made = state.get("_in_specs_made")
        if made is not None and made[0] is meta:  # (an instance recorded again has new meta)
            return made[1]
        specs = tuple(
            [
                None if meta[k] is None else _tuple_new(TensorSpec, (meta[k], meta[k + 1]))
                for k in range(0, len(meta), 2)
            ]
        )
        state["_in_specs_made"] = (meta, specs)
        return specs


class Function:
    """Base class of every differentiable operation.

    A subclass defines:

    * ``op_name``: the canonical function name (error prefix, graph node type);
    * ``input_names``: names of the tensor inputs (used in messages);
    * ``setup(*specs)``: validates everything and returns the output :class:`TensorSpec`\\ s. It
      receives objects with ``.shape`` and ``.dtype`` (arrays in array mode, specs whose
      dimensions may be ``None`` in graph mode) and is the only place that raises for bad input.
      What ``backward`` reads is declared by the class attributes ``retain_in`` / ``retain_out``
      (or, when it depends on the input, by :meth:`retain_inputs` / :meth:`retain_outputs`).
    * ``forward(xp, *arrays)``: computes the outputs (a tuple of arrays) with array module ``xp``.
    * ``backward(target_indexes, grad_outputs)``: returns one gradient per input (``None`` where
      there is none), written with nnfunc functions so that it works on Variables and symbolic
      variables alike (higher-order and graph gradients come from the same code).

    Optional inputs are passed as ``None`` and stay ``None`` in ``setup``/``forward``.
    """

    op_name: str = "function"
    input_names: tuple[str, ...] = ("x",)
    #: Indexes of the inputs / outputs ``backward`` reads (class-level data; the engine keeps
    #: exactly these). Use :meth:`retain_inputs` / :meth:`retain_outputs` in ``setup`` only when
    #: the choice depends on the inputs or options.
    retain_in: tuple[int, ...] = ()
    retain_out: tuple[int, ...] = ()
    #: Complex inputs raise DTypeError unless a function documents them and sets this.
    accepts_complex: bool = False
    _freed = False
    # What a recorded call keeps (set per call only when retention is declared).
    _retained_in: tuple[Any, ...] = ()
    _retained_out: tuple[Any, ...] = ()
    _in_specs = _InSpecs()

    rank = 0

    # ------------------------------------------------------------------ to be overridden
    def setup(self, *specs: Any) -> tuple[TensorSpec, ...]:
        """Validate the inputs and return the output specs."""
        raise NotImplementedError

    def forward(self, xp: Any, *arrays: Any) -> tuple[Any, ...]:
        """Compute the outputs."""
        raise NotImplementedError

    def backward(self, target_indexes: tuple[int, ...], grad_outputs: tuple[Any, ...]) -> Any:
        """Return the gradients of the inputs."""
        raise NotImplementedError(f"{self.op_name}: backward is not implemented")

    # ------------------------------------------------------------------ retention
    def retain_inputs(self, *indexes: int) -> None:
        """Declare, in ``setup``, which inputs ``backward`` reads, when that depends on the
        inputs or options (otherwise declare the class attribute ``retain_in``)."""
        self.retain_in = indexes

    def retain_outputs(self, *indexes: int) -> None:
        """Declare, in ``setup``, which outputs ``backward`` reads, when that depends on the
        inputs or options (otherwise declare the class attribute ``retain_out``)."""
        self.retain_out = indexes

    def retained_inputs(self) -> tuple[Any, ...]:
        """The retained inputs, as Variables (eager) or symbolic variables (graph)."""
        if self._freed:
            raise GraphError(_FREED)
        return self._retained_in

    def retained_outputs(self) -> tuple[Any, ...]:
        """The retained outputs, as Variables (eager) or symbolic variables (graph)."""
        if self._freed:
            raise GraphError(_FREED)
        out = []
        for i, data in zip(self.retain_out, self._retained_out, strict=True):
            node = self.outputs[i]()
            if data is None:  # symbolic: the node is the variable
                out.append(node)
                continue
            v = Variable._wrap(data, True)
            if node is None:
                node = VarNode(v, self, i)
            v._node = node
            out.append(v)
        return tuple(out)

    def _free(self) -> None:
        """Drop what backward kept (after a backward pass without ``retain_graph``)."""
        if getattr(self, "_symbolic", False):
            return
        self._retained_in = ()
        self._retained_out = ()
        self._freed = True

    # ------------------------------------------------------------------ gradient helpers
    def input_spec(self, i: int) -> TensorSpec:
        """The spec input ``i`` had when the function was applied."""
        return self._in_specs[i]

    def sum_to_input(self, g: Any, i: int) -> Any:
        """Sum a broadcast gradient ``g`` back to the shape (and dtype) of input ``i``."""
        if type(g) is Variable:  # nothing to sum (the common case): sum_to would return g too
            meta = self._in_meta
            shape = meta[2 * i]
            dtype = meta[2 * i + 1]
            d = g.data
            if d.shape == shape and (d.dtype is dtype or d.dtype == dtype):
                return g
        return OPS.sum_to(g, self._shape_target(i), dtype=self._in_specs[i].dtype)

    def broadcast_to_input(self, g: Any, i: int) -> Any:
        """Broadcast ``g`` to the shape of input ``i``."""
        return OPS.broadcast_to_like(g, self._shape_target(i))

    def reshape_to_input(self, g: Any, i: int) -> Any:
        """Reshape ``g`` to the shape of input ``i``."""
        return OPS.reshape_like(g, self._shape_target(i))

    def _shape_target(self, i: int) -> Any:
        shape = self._in_specs[i].shape
        if None in shape:  # only in graph mode: take the size from the input at run time
            return self.inputs[i]
        return shape

    # ------------------------------------------------------------------ dispatch
    # The eager paths below are the per-call overhead of the library (benchmarks/
    # bench_overhead.py): no list comprehensions (a frame each on Python 3.11), no helper calls
    # on the common path, class-level data read once. apply1 takes the common case (NumPy arrays
    # and Variables of a tensor dtype, Python scalars, one output) inline; anything unusual
    # (None, lists, symbolic variables, subclasses, non-tensor dtypes, several outputs) goes to
    # apply, which holds every check and message.
    def apply1(self, *inputs: Any, name: str | None = None) -> Any:
        """:meth:`apply` for single-output functions: the one output."""
        arrays = []
        has_var = grad = scalars = nones = False
        for x in inputs:
            t = type(x)
            if t is _NDARRAY:
                if x.dtype.kind in "biuf":
                    arrays.append(x)
                    continue
            elif t is Variable:
                d = x.data
                if type(d) is _NDARRAY and d.dtype.kind in "biuf":
                    arrays.append(d)
                    has_var = True
                    if x._requires_grad:
                        grad = True
                    continue
            elif t is float or t is int or t is bool:  # a weak Python scalar: converted below
                arrays.append(x)
                scalars = True
                continue
            elif x is None:  # an omitted optional input (a bias...): setup and forward see None
                arrays.append(None)
                nones = True
                continue
            return self.apply(*inputs, name=name)[0]
        if scalars:
            if nones:  # (the scalars' dtypes are chosen among the arrays: the general path)
                return self.apply(*inputs, name=name)[0]
            inputs, arrays = _weak_scalars(inputs, arrays, self)
        elif has_var:
            arrays = tuple(arrays)
        else:
            arrays = inputs
        # One and two inputs are called with positional arguments: a call with *arrays (and
        # more so forward's, which adds `np` in front) builds a new tuple, ~200 ns per call.
        n = len(arrays)
        if nones:  # as apply: a Python error a None caused says which input is missing
            out_specs = _setup(self, arrays)
        elif n == 2:
            a0, a1 = arrays
            out_specs = self.setup(a0, a1)
        elif n == 1:
            a0 = arrays[0]
            out_specs = self.setup(a0)
        else:
            out_specs = self.setup(*arrays)
        if len(out_specs) != 1:
            return self._eager_apply(inputs, arrays, out_specs, has_var)[0]
        s = out_specs[0]
        # An output that cannot fit is an error before it is allocated (a spec that is an input
        # array fits: it exists).
        if type(s) is not _NDARRAY and prod(s.shape) > _GUARD_ELEMS:
            _too_big(self, out_specs)
        # (every input is a NumPy array or None)
        if nones:
            outs = self.forward(np, *arrays)
        elif n == 2:
            outs = self.forward(np, a0, a1)
        elif n == 1:
            outs = self.forward(np, a0)
        else:
            outs = self.forward(np, *arrays)
        if type(outs) is tuple and len(outs) == 1:
            o = outs[0]
            if (
                type(o) is not _NDARRAY
                or o.shape != s.shape
                or (o.dtype is not s.dtype and o.dtype != s.dtype)
            ):
                outs = _check_outputs(self, outs, out_specs, np)
                o = outs[0]
        else:
            outs = _check_outputs(self, outs, out_specs, np)
            o = outs[0]
        if not has_var:
            return o
        if grad and STATE.grad_enabled:
            return self._record(inputs, arrays, outs)[0]
        v = _new(Variable)
        v.data = o
        v._requires_grad = False
        v._node = v._grad = v.name = None
        return v

    def apply(self, *inputs: Any, name: str | None = None) -> tuple[Any, ...]:
        """Run the function on arrays, Variables or symbolic variables (see the module doc)."""
        has_var = has_sym = convert = bad = False
        for x in inputs:
            t = type(x)
            if t is np.ndarray:
                if x.dtype.kind not in "biuf":  # the input gate (issue 17): object, complex...
                    bad = True
                continue
            if x is None:
                continue
            if t is Variable or isinstance(x, Variable):
                has_var = True
                if x.data.dtype.kind not in "biuf":
                    bad = True
            elif getattr(x, "_is_symbolic", False):
                has_sym = True
            else:
                convert = True
        if has_sym:
            if has_var:
                raise GraphError(
                    f"{self.op_name}: inputs must not mix symbolic variables of a Graph with "
                    "eager Variables; received both."
                )
            return _graph.apply_symbolic(self, inputs, name)
        if convert:
            inputs = _convert_scalars(inputs, self)
        if has_var:
            arrays = tuple([x.data if isinstance(x, Variable) else x for x in inputs])
        else:
            arrays = inputs
        if bad:
            _gate(self, arrays)
        out_specs = _setup(self, arrays)
        return self._eager_apply(inputs, arrays, out_specs, has_var)

    def _eager_apply(self, inputs: tuple, arrays: tuple, out_specs: Any, has_var: bool) -> tuple:
        """Eager calls after ``setup``: guard, forward, output check, Variables or recording."""
        for s in out_specs:  # an output that cannot fit is an error before it is allocated
            if prod(s.shape) > _GUARD_ELEMS:  # (elements: no dtype lookup on the hot path)
                _too_big(self, out_specs)
        xp = np if "cupy" not in _MODULES else _xp_of(arrays)
        outs = self.forward(xp, *arrays)
        # Inline check of the common single-output case; the general one is _check_outputs.
        if type(outs) is tuple and len(outs) == 1 == len(out_specs):
            o, s = outs[0], out_specs[0]
            if (
                type(o) is not _NDARRAY
                or o.shape != s.shape
                or (o.dtype is not s.dtype and o.dtype != s.dtype)
            ):
                outs = _check_outputs(self, outs, out_specs, xp)
        else:
            outs = _check_outputs(self, outs, out_specs, xp)
        if not has_var:
            return outs
        if STATE.grad_enabled:
            for x in inputs:
                if (type(x) is Variable or isinstance(x, Variable)) and x._requires_grad:
                    return self._record(inputs, arrays, outs)
        if len(outs) == 1:
            v = _new(Variable)
            v.data = outs[0]
            v._requires_grad = False
            v._node = v._grad = v.name = None
            return (v,)
        wrap = Variable._wrap
        return tuple([wrap(o, False) for o in outs])

    def _record(self, inputs: tuple[Any, ...], arrays: tuple[Any, ...], outs: tuple) -> tuple:
        """Put this call on the tape: input nodes, specs, declared retention, output nodes."""
        nodes = []
        specs = []
        rank = 0
        for x, a in zip(inputs, arrays):  # (same lengths; strict=True costs 140 ns here)
            if a is None:
                nodes.append(None)
                specs.append(None)
                specs.append(None)
                continue
            specs.append(a.shape)
            specs.append(a.dtype)
            if x is a:  # an array input (a Variable's array is its .data, not itself)
                nodes.append(None)
                continue
            node = x._node
            if node is None:
                node = x._node = VarNode(x)
            elif node.rank > rank:
                rank = node.rank
            nodes.append(node)
        self.rank = rank = rank + 1
        self.inputs = tuple(nodes)
        self._in_meta = tuple(specs)  # _in_specs made of it when read (see _InSpecs)
        retain_in = self.retain_in
        if retain_in or self._retained_in:  # (a reused instance drops what it kept before)
            retained = []
            for i in retain_in:
                x = inputs[i]
                if x is not None and not (type(x) is Variable or isinstance(x, Variable)):
                    x = Variable._wrap(x, False)
                retained.append(x)
            self._retained_in = tuple(retained)
        retain_out = self.retain_out
        if retain_out or self._retained_out:
            self._retained_out = tuple([outs[i] for i in retain_out])
        if len(outs) == 1:  # (no output specs: _backprop never fills a zero gradient for it)
            o = outs[0]
            float_out = o.dtype.kind == "f"
            v = _new(Variable)
            v.data = o
            v._requires_grad = float_out
            v._grad = v.name = None
            # VarNode(v, self, 0) without its __init__ frame; no var_ref: only a leaf's is read
            node = v._node = _new(VarNode)
            node.var_ref = None
            node.creator = self
            node.index = 0
            node.rank = rank
            node.requires_grad = float_out
            self.outputs = (_ref(node),)
            return (v,)
        self._out_specs = tuple([(o.shape, o.dtype) for o in outs])
        out_vars = []
        out_refs = []
        for i, o in enumerate(outs):
            float_out = o.dtype.kind == "f"
            v = _new(Variable)
            v.data = o
            v._requires_grad = float_out
            v._grad = v.name = None
            node = v._node = _new(VarNode)
            node.var_ref = None
            node.creator = self
            node.index = i
            node.rank = rank
            node.requires_grad = float_out
            out_vars.append(v)
            out_refs.append(_ref(node))
        self.outputs = tuple(out_refs)
        return tuple(out_vars)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.op_name}>"


_FREED = (
    "backward: the graph must not have been freed by an earlier backward pass; "
    "pass retain_graph=True to the first backward() to run it twice."
)


def _xp_of(arrays: tuple[Any, ...]) -> Any:
    return get_array_module(*arrays)


def _arg_name(func: Function | None, i: int) -> tuple[str, str]:
    if func is None:
        return "nnfunc", "inputs"
    names = func.input_names
    return func.op_name, names[i] if i < len(names) else f"input {i}"


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system
        return 2**40


# The largest output a function may allocate: the machine's physical memory, or
# NNFUNC_MAX_OUTPUT_BYTES (the fuzz test sets it to stay under its own memory limit).
MEMORY_BYTES = int(os.environ.get("NNFUNC_MAX_OUTPUT_BYTES", 0)) or _physical_memory()
_GUARD_ELEMS = MEMORY_BYTES // 16  # no real or complex dtype has more bytes per element


def _too_big(func: Function, specs: Any) -> None:
    for i, s in enumerate(specs):
        size = np.dtype(s.dtype).itemsize * prod(s.shape)
        if size > MEMORY_BYTES:
            raise ArgumentError(
                message(
                    func.op_name,
                    f"output {i}" if len(specs) > 1 else "output",
                    f"fit in memory ({MEMORY_BYTES} bytes)",
                    **{"shape": tuple(s.shape), "dtype": np.dtype(s.dtype), "bytes": size},
                )
            )


def _gate(func: Function, arrays: tuple[Any, ...]) -> None:
    """Raise the standard DTypeError for the first input of a non-tensor dtype."""
    for i, a in enumerate(arrays):
        if a is not None:
            tensor_dtype(*_arg_name(func, i), a, complex_ok=func.accepts_complex)


def _setup(func: Function, arrays: tuple[Any, ...]) -> Any:
    """``func.setup(*arrays)`` (eager arrays or graph specs), where a Python error that a None
    input caused is said as that input missing."""
    try:
        return func.setup(*arrays)
    except NNFuncError:  # DTypeError is a TypeError too: it stays as it is
        raise
    except (AttributeError, TypeError):
        _none_input(func, arrays)
        raise


def _none_input(func: Function, arrays: tuple[Any, ...]) -> None:
    """``setup`` tripped over an input: when one is None (a required input missing), say so."""
    for i, a in enumerate(arrays):
        if a is None:
            raise not_a_tensor(*_arg_name(func, i), None) from None


def _scalar_array(x: Any, partners: list[np.dtype], func: Function | None, i: int) -> Any:
    """Python scalar input ``i`` as a 0-d array of the dtype :func:`scalar_dtype` gives it."""
    dtype = scalar_dtype(x, partners)
    try:
        return np.asarray(x, dtype=dtype)
    except OverflowError:  # 2**63 where int64 goes
        op, arg = _arg_name(func, i)
        raise ArgumentError(message(op, arg, f"fit in {dtype}", **{arg: x})) from None


def _weak_scalars(inputs: tuple, arrays: list, func: Function) -> tuple[tuple, tuple]:
    """apply1's inputs and arrays with the Python scalars among ``arrays`` made 0-d arrays
    (the other entries are NumPy arrays, the inputs' or their Variables' data)."""
    partners = []
    for a in arrays:
        if type(a) is _NDARRAY:
            partners.append(a.dtype)
    new_inputs = []
    new_arrays = []
    for i, a in enumerate(arrays):
        if type(a) is _NDARRAY:
            new_inputs.append(inputs[i])
            new_arrays.append(a)
        else:
            a = _scalar_array(a, partners, func, i)
            new_inputs.append(a)
            new_arrays.append(a)
    return tuple(new_inputs), tuple(new_arrays)


def _convert_scalars(inputs: tuple[Any, ...], func: Function | None = None) -> tuple[Any, ...]:
    # Only Python scalars are weak: NumPy scalars (np.float64 subclasses float) keep their dtype.
    partners = []
    for x in inputs:
        if type(x) is _NDARRAY:
            partners.append(x.dtype)
        elif x is not None and type(x) not in _SCALARS and hasattr(x, "dtype"):
            partners.append(np.dtype(x.dtype))
    out = []
    for i, x in enumerate(inputs):
        if x is None or type(x) is _NDARRAY or isinstance(x, Variable):
            out.append(x)
        elif type(x) in _SCALARS:
            out.append(_scalar_array(x, partners, func, i))
        elif hasattr(x, "__array_namespace__") and hasattr(x, "shape") and hasattr(x, "ndim"):
            out.append(x if x.ndim else np.asarray(x) if isinstance(x, np.generic) else x)
        else:
            # Lists and tuples are tensors (asarray); None stays an optional input.
            op, arg = _arg_name(func, i)
            out.append(tensor(op, arg, x, complex_ok=func is None or func.accepts_complex))
    return tuple(out)


def _check_outputs(func: Function, outs: Any, specs: Any, xp: Any) -> tuple[Any, ...]:
    if type(outs) is not tuple or len(outs) != len(specs):
        raise AssertionError(
            f"Function `{type(func).__name__}` has a bug: forward must return a tuple of "
            f"{len(specs)} arrays."
        )
    fixed = None
    for i, (o, s) in enumerate(zip(outs, specs, strict=True)):
        if type(o) is not np.ndarray:
            if fixed is None:
                fixed = list(outs)
            o = fixed[i] = xp.asarray(o)
        if o.shape != s.shape or o.dtype != s.dtype:
            raise AssertionError(
                f"Function `{type(func).__name__}` has a bug: output {i} has shape {o.shape} and "
                f"dtype {o.dtype}, setup promised {s.shape} and {np.dtype(s.dtype)}."
            )
    return outs if fixed is None else tuple(fixed)


def with_node_name(text: str, node_name: str, op: str | None = None) -> str:
    """``text`` with the graph node's name inserted after the op name: ``op (node 'n'): ...``.

    The one place that formats a node name into a message. With ``op``, the prefix must be
    ``"<op>: "`` (else the name is appended); without, the text before the first ``": "`` is taken
    as the op name. A message that already names a node is returned unchanged.
    """
    if "(node " in text:
        return text
    if op is None:
        op, sep, rest = text.partition(": ")
        return f"{op} (node {node_name!r}): {rest}" if sep else f"{text} (node {node_name!r})"
    prefix = f"{op}: "
    if text.startswith(prefix):
        return f"{op} (node {node_name!r}): {text[len(prefix) :]}"
    return f"{text} (node {node_name!r})"


def reraise_with_node(func: Function, exc: NNFuncError, node_name: str) -> NNFuncError:
    """The error ``exc`` raised by ``func.setup`` in a graph, naming the node (the engine's use)."""
    return type(exc)(with_node_name(str(exc), node_name, func.op_name))


class node_errors:  # noqa: N801 - used as a function: ``with node_errors(name, x):``
    """Give the graph node's name to errors raised before any node exists.

    For the checks a public function (a composite, or a wrapper that must decide something
    before it builds its Function) makes itself: in graph mode (a tensor is symbolic) with an
    explicit ``name``, an nnfunc error becomes ``"<op> (node '<name>'): ..."``, the form the
    engine gives errors of ``setup``. An error of a node the wrapped code built without a name
    (``op (node 'op_0')``) is given ``name`` instead: it is part of this function's node. Other
    messages that already name a node are left alone. A class
    rather than a generator context manager: it sits on hot wrappers (a few hundred ns less).
    """

    __slots__ = ("name", "tensors")

    def __init__(self, name: str | None, *tensors: Any) -> None:
        self.name = name
        self.tensors = tensors

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        if kind is None or self.name is None or not isinstance(exc, NNFuncError):
            return False
        if not any(getattr(t, "_is_symbolic", False) for t in self.tensors):
            return False
        text = str(exc)
        auto = _AUTO_NODE.match(text)
        if auto:  # a node the composite made for itself, named by the graph: it is this one
            text = f"{auto.group(1)}: {text[auto.end() :]}"
        new = with_node_name(text, self.name)
        if new == str(exc):
            return False
        raise type(exc)(new) from None


# "<op> (node '<op>_<k>'): ": the name a Graph gives a node created without a name.
_AUTO_NODE = re.compile(r"^(\w+) \(node '\1_\d+'\): ")


# graph.py builds on this module (it imports Function), so it is imported last, once everything
# it needs here exists; Function.apply reaches it as a module attribute at call time.
from nnfunc.core import graph as _graph  # noqa: E402
