"""Graphs that leave the process: describe a node as plain data, save a graph, load it back.

One mechanism covers every Function, including families written later:

* **A node's description** is its class (a key in the registry of the library's Function classes)
  and its *configuration*: the instance's attributes as they stand when it is applied to
  symbolic variables, i.e. what its constructor made of its arguments, before ``setup`` runs.
  ``apply_symbolic`` snapshots them (graph mode only: arrays and eager Variables pay nothing).
  Rebuilding creates the instance without calling ``__init__``, restores the configuration and
  applies it to the loaded inputs, which re-runs ``setup``: the same checks, the same shapes.
* **Plain data** is None, bools, ints, floats, strings, NumPy scalars and dtypes, tuples, lists,
  dicts with string keys, slices, Ellipsis, numeric arrays (stored beside the parameters), and
  instances of the library's own NamedTuples and option-holder classes whose attributes are
  plain data (restored by class name from the library's modules, without calling code).
* **Functions held by a node**: a gradient Function keeps the forward Function it
  differentiates (or one of its bound methods, as the recurrent gradients keep their layer's
  ``composite``). A held Function that is a node of the saved graph is written as a reference to
  that node, and loading hands the rebuilt node itself (identity kept); another library Function
  is written as its class and state; a bound method as its object and the name of a plain method
  of that object's library class (no dunder). A configuration holding anything else (a
  communicator, a lambda or closure, a generator's state) cannot be saved: :func:`describe`
  raises ``UnsupportedError`` naming the node and the attribute.
* **The file** is a zip holding ``graph.json`` (format, version, nodes in creation order with
  names, class, configuration and inputs, placeholders with their ``None`` dims, fetchable names,
  the SHA-256 of the arrays) and ``arrays.npz`` (parameters, constants and array-valued
  configuration, read with ``allow_pickle=False``). Entries carry a fixed timestamp, so saving the
  same graph twice gives the same bytes.
* **Loading never runs code from the file**: no pickle, no ``eval``; classes are looked up in the
  registry by name and anything unknown, missing, from a future version or altered is refused with
  a ``GraphError`` (``UnsupportedError`` for an unknown op) that says what is wrong.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import sys
import types
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from nnfunc.core.function import Function
from nnfunc.core.graph import Graph, SymbolicVariable, apply_symbolic
from nnfunc.errors import GraphError, UnsupportedError

__all__ = [
    "FORMAT",
    "VERSION",
    "class_key",
    "describe",
    "function_classes",
    "load_graph",
    "rebuild",
    "save_graph",
]

FORMAT = "nnfunc-graph"
VERSION = 1
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Attributes apply() and apply_symbolic() set on an applied Function: never configuration.
_RUNTIME = {"_config", "inputs", "outputs", "name", "rank", "_symbolic", "_in_specs",
            "_retained_in", "_retained_out", "_out_specs", "_freed"}  # fmt: skip


class _Unsaveable(Exception):
    def __init__(self, where: str, value: Any) -> None:
        super().__init__(where)
        self.where = where
        self.value = value


def class_key(cls: type) -> str:
    """The registry key of a Function class: ``module:QualName``."""
    return f"{cls.__module__}:{cls.__qualname__}"


def function_classes() -> dict[str, type]:
    """Every Function subclass defined in the library, by :func:`class_key`.

    The registry is the only way a loaded file reaches code: a class not defined at module level
    of an ``nnfunc`` module is not in it.
    """
    found: dict[str, type] = {}
    stack = list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("nnfunc.") and "<locals>" not in cls.__qualname__:
            found[class_key(cls)] = cls
    return found


def _library_classes() -> dict[str, type]:
    """Classes defined at module level in the library's modules (records held by configs)."""
    found = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("nnfunc.") or module is None:
            continue
        for obj in vars(module).values():
            if isinstance(obj, type) and obj.__module__ == name:
                found[class_key(obj)] = obj
    return found


def _namedtuple_classes() -> dict[str, type]:
    """The NamedTuple classes defined at module level in the library (records in configs)."""
    return {
        k: c
        for k, c in _library_classes().items()
        if issubclass(c, tuple) and hasattr(c, "_fields")
    }


def _record_classes() -> dict[str, type]:
    """Plain helper classes of the library whose instances are saved by their attributes
    (option holders such as a loss's options or a transform's window): not Functions, not
    tuples, with a ``__dict__``."""
    return {
        k: c
        for k, c in _library_classes().items()
        if not issubclass(c, (Function, tuple, BaseException))
        and "__slots__" not in vars(c)
        and c.__init__ is not object.__init__
    }


# ------------------------------------------------------------------ plain data
class _Codec:
    """What one save or load shares: the array store, the library's record classes (looked up
    once, not per value) and the graph's nodes, so that a gradient Function holding the forward
    Function it differentiates (or one of its bound methods) refers to that node by name."""

    def __init__(self, arrays: Any, nodes: dict[Any, Any] | None = None, prefix: str = "") -> None:
        self.arrays = arrays
        # save: id(Function) -> node name; load: node name -> the loaded Function
        self.nodes = {} if nodes is None else nodes
        self.prefix = prefix
        self._namedtuples: dict[str, type] | None = None
        self._records: dict[str, type] | None = None
        self._active: set[int] = set()  # Functions being encoded by state (a cycle is refused)

    @property
    def namedtuples(self) -> dict[str, type]:
        if self._namedtuples is None:
            self._namedtuples = _namedtuple_classes()
        return self._namedtuples

    @property
    def records(self) -> dict[str, type]:
        if self._records is None:
            self._records = _record_classes()
        return self._records


def _state(obj: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(obj).items() if k not in _RUNTIME}


def _encode(value: Any, ctx: _Codec, where: str) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and type(value) is int:
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        item = value.item()
        if isinstance(item, float) and not math.isfinite(item):
            item = {"__float__": repr(item)}
        elif isinstance(item, complex):
            item = [item.real, item.imag]
        return {"__scalar__": value.dtype.str, "value": item}
    if isinstance(value, np.dtype):
        return {"__dtype__": value.str}
    if isinstance(value, type) and issubclass(value, np.generic):
        return {"__dtype__": np.dtype(value).str, "type": True}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise _Unsaveable(where, value)
        key = f"{ctx.prefix}config/{len(ctx.arrays)}"
        ctx.arrays[key] = value
        return {"__array__": key}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple (TensorSpec...)
        cls = type(value)
        if ctx.namedtuples.get(class_key(cls)) is not cls:
            raise _Unsaveable(where, value)
        return {
            "__namedtuple__": class_key(cls),
            "fields": [_encode(v, ctx, f"{where}.{f}") for f, v in zip(cls._fields, value)],
        }
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, ctx, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, ctx, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {
            "__dict__": {k: _encode(v, ctx, f"{where}[{k!r}]") for k, v in sorted(value.items())}
        }
    if isinstance(value, slice):
        parts = (value.start, value.stop, value.step)
        return {"__slice__": [_encode(v, ctx, where) for v in parts]}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, Function):
        return _encode_function(value, ctx, where)
    if isinstance(value, types.MethodType):
        # a bound method of a library object (a recurrent gradient keeps its layer's
        # `composite`): the object, then the method's name, looked up on its class at load
        owner, name = value.__self__, value.__func__.__name__
        if _method(type(owner), name) is not value.__func__:
            raise _Unsaveable(where, value)
        return {"__method__": name, "of": _encode(owner, ctx, f"{where}.__self__")}
    cls = type(value)
    if hasattr(value, "__dict__") and ctx.records.get(class_key(cls)) is cls:
        state = {k: _encode(v, ctx, f"{where}.{k}") for k, v in sorted(vars(value).items())}
        return {"__object__": class_key(cls), "state": state}
    raise _Unsaveable(where, value)


def _encode_function(func: Function, ctx: _Codec, where: str) -> Any:
    """A Function held by a node's configuration (a gradient keeps the forward it
    differentiates): a reference to its node when it is one of the graph's nodes, else its
    class and state."""
    name = ctx.nodes.get(id(func))
    if name is not None:
        return {"__node__": name}
    key = class_key(type(func))
    if key not in function_classes() or id(func) in ctx._active:
        raise _Unsaveable(where, func)
    ctx._active.add(id(func))
    try:
        state = {k: _encode(v, ctx, f"{where}.{k}") for k, v in sorted(_state(func).items())}
    finally:
        ctx._active.discard(id(func))
    return {"__function__": key, "state": state}


def _method(cls: type, name: Any) -> Any:
    """The plain function ``name`` defined on ``cls`` (not a dunder), or None."""
    if not isinstance(name, str) or name.startswith("__"):
        return None
    found = getattr(cls, name, None)
    return found if isinstance(found, types.FunctionType) else None


def _defined(table: Mapping[str, Any], key: str, where: str, what: str) -> Any:
    """``table[key]``, or the error that the file names something this nnfunc lacks."""
    cls = table.get(key)
    if cls is None:
        raise UnsupportedError(
            f"load_graph: {where} {what} {key!r}, which this nnfunc does not define."
        )
    return cls


def _decode(value: Any, ctx: _Codec, where: str) -> Any:
    if isinstance(value, list):
        return [_decode(v, ctx, where) for v in value]
    if not isinstance(value, dict):
        return value
    if "__namedtuple__" in value:
        cls = _defined(ctx.namedtuples, value["__namedtuple__"], where, "uses the record type")
        return cls(*(_decode(v, ctx, where) for v in value["fields"]))
    if "__object__" in value:
        cls = _defined(ctx.records, value["__object__"], where, "uses the record type")
        obj = cls.__new__(cls)
        obj.__dict__.update({k: _decode(v, ctx, where) for k, v in value["state"].items()})
        return obj
    if "__node__" in value:
        func = ctx.nodes.get(value["__node__"])
        if func is None:
            raise GraphError(
                f"load_graph: {where} refers to node {value['__node__']!r}, which no earlier "
                "node defines."
            )
        return func
    if "__function__" in value:
        cls = _defined(
            function_classes(), value["__function__"], where, "holds a Function of class"
        )
        state = {k: _decode(v, ctx, where) for k, v in value["state"].items()}
        return rebuild(cls, state)
    if "__method__" in value:
        owner = _decode(value["of"], ctx, where)
        if _method(type(owner), value["__method__"]) is None:
            raise GraphError(
                f"load_graph: {where} refers to method {value['__method__']!r}, which "
                f"{type(owner).__name__} does not define."
            )
        return getattr(owner, value["__method__"])
    if "__tuple__" in value:
        return tuple(_decode(v, ctx, where) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v, ctx, where) for k, v in value["__dict__"].items()}
    if "__float__" in value:
        return float(value["__float__"])
    if "__scalar__" in value:
        dtype = np.dtype(value["__scalar__"])
        item = _decode(value["value"], ctx, where)
        if dtype.kind == "c":
            item = complex(*item)
        return dtype.type(item)
    if "__dtype__" in value:
        dtype = np.dtype(value["__dtype__"])
        return dtype.type if value.get("type") else dtype
    if "__array__" in value:
        key = value["__array__"]
        if key not in ctx.arrays:
            raise GraphError(
                f"load_graph: {where} needs array {key!r}, which arrays.npz does not hold; "
                "the file is incomplete or altered."
            )
        return ctx.arrays[key]
    if "__slice__" in value:
        return slice(*(_decode(v, ctx, where) for v in value["__slice__"]))
    if "__ellipsis__" in value:
        return Ellipsis
    raise GraphError(f"load_graph: {where} holds an unknown value encoding {sorted(value)!r}.")


def describe(
    func: Function,
    arrays: dict[str, np.ndarray] | None = None,
    prefix: str = "",
    nodes: dict[int, str] | None = None,
) -> dict[str, Any]:
    """The plain-data description of an applied node: op, class key and configuration.

    Args:
        func: A Function applied to symbolic variables (a graph node).
        arrays: Where array-valued configuration goes (keys are referenced from the result).
        prefix: Prepended to those keys (the node name when saving a graph).
        nodes: ``id(Function) -> node name`` of the graph's nodes: a Function the configuration
            holds (a gradient's forward) is saved as a reference to its node when it is one.

    Raises:
        UnsupportedError: the configuration holds something that is not plain data (naming the
            node, the attribute and its type).
    """
    config = getattr(func, "_config", None)
    name = getattr(func, "name", "?")
    if config is None:
        raise UnsupportedError(
            f"save: node {name!r} ({func.op_name}) must have been built in a graph to be saved."
        )
    if class_key(type(func)) not in function_classes():
        raise UnsupportedError(
            f"save: node {name!r} ({func.op_name}) must be an instance of a library Function "
            f"class; {class_key(type(func))} is not one (defined inside a function or outside "
            "nnfunc)."
        )
    ctx = _Codec({} if arrays is None else arrays, nodes, prefix)
    try:
        # sorted: array keys are numbered in this order, and a loaded graph (its JSON comes back
        # with sorted keys) must number them the same way
        encoded = {k: _encode(v, ctx, k) for k, v in sorted(config.items()) if k not in _RUNTIME}
    except _Unsaveable as exc:
        raise UnsupportedError(
            f"save: node {name!r} ({func.op_name}) cannot be saved: its argument "
            f"`{exc.where}` holds a {type(exc.value).__name__}, which is not plain data "
            "(numbers, strings, booleans, tuples, None, arrays)."
        ) from None
    return {"op": func.op_name, "class": class_key(type(func)), "config": encoded}


def rebuild(cls: type, config: dict[str, Any]) -> Function:
    """A Function of class ``cls`` with ``config`` restored, ``__init__`` not called."""
    func = cls.__new__(cls)
    func.__dict__.update(config)
    return func


# ------------------------------------------------------------------ graphs
def _graph_doc(graph: Graph) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays: dict[str, np.ndarray] = {}
    nodes: list[dict[str, Any]] = []
    seen: set[int] = set()
    names = {id(v.creator): v.creator.name for v in graph._order if v.creator is not None}
    for v in graph._order:
        if v.kind == "placeholder":
            nodes.append(
                {
                    "kind": "placeholder",
                    "name": v.name,
                    "shape": list(v.shape),
                    "dtype": np.dtype(v.dtype).str,
                }
            )
        elif v.kind in ("parameter", "constant"):
            key = f"{v.kind}/{v.name}"
            arrays[key] = np.asarray(graph._values[v.name])
            nodes.append({"kind": v.kind, "name": v.name, "array": key})
        else:
            func = v.creator
            if id(func) in seen:
                continue
            seen.add(id(func))
            outs = [ref() for ref in func.outputs]
            desc = describe(func, arrays, prefix=f"{func.name}/", nodes=names)
            nodes.append(
                {
                    "kind": "op",
                    "name": func.name,
                    **desc,
                    "inputs": [None if i is None else i.name for i in func.inputs],
                    "outputs": [None if o is None else o.name for o in outs],
                }
            )
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "name": graph.name,
        "nodes": nodes,
        "fetchable": [v.name for v in graph._order],
    }
    return doc, arrays


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An ``.npz`` (a zip of ``.npy`` files) with fixed timestamps: same arrays, same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for key in sorted(arrays):
            npy = io.BytesIO()
            np.lib.format.write_array(npy, np.asarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, npy.getvalue())
    return buf.getvalue()


def save_graph(graph: Graph, path: Any) -> None:
    """Write ``graph`` to ``path`` (a file name or a binary file object). See :meth:`Graph.save`."""
    doc, arrays = _graph_doc(graph)
    npz = _npz_bytes(arrays)
    doc["arrays_sha256"] = hashlib.sha256(npz).hexdigest()
    text = json.dumps(doc, indent=1, sort_keys=True, allow_nan=False).encode()
    target = path if hasattr(path, "write") else open(os.fspath(path), "wb")  # noqa: SIM115
    try:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
            for entry, data in (("graph.json", text), ("arrays.npz", npz)):
                info = zipfile.ZipInfo(entry, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
    finally:
        if target is not path:
            target.close()


def _read(path: Any) -> tuple[dict[str, Any], bytes]:
    shown = getattr(path, "name", path)
    try:
        source = path if hasattr(path, "read") else open(os.fspath(path), "rb")  # noqa: SIM115
    except (OSError, TypeError) as exc:
        raise GraphError(
            f"load_graph: `path` must be a readable file; received {shown!r} ({exc})."
        ) from None
    try:
        with zipfile.ZipFile(source) as z:
            names = set(z.namelist())
            missing = {"graph.json", "arrays.npz"} - names
            if missing:
                raise GraphError(
                    f"load_graph: the file must hold graph.json and arrays.npz; {shown!r} lacks "
                    f"{', '.join(sorted(missing))}."
                )
            text = z.read("graph.json")
            npz = z.read("arrays.npz")
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise GraphError(
            f"load_graph: `path` must be an nnfunc graph file (a zip); {shown!r} is truncated, "
            f"corrupt or of another kind ({exc})."
        ) from None
    finally:
        if source is not path:
            source.close()
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise GraphError(f"load_graph: graph.json must be valid JSON; it is not ({exc}).") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise GraphError(
            f"load_graph: graph.json must declare format {FORMAT!r}; received "
            f"{doc.get('format') if isinstance(doc, dict) else type(doc).__name__!r}."
        )
    version = doc.get("version")
    if not isinstance(version, int) or version > VERSION or version < 1:
        raise GraphError(
            f"load_graph: the file's format version must be at most {VERSION} (this nnfunc "
            f"reads versions 1..{VERSION}); received version={version!r}."
        )
    if hashlib.sha256(npz).hexdigest() != doc.get("arrays_sha256"):
        raise GraphError(
            "load_graph: arrays.npz must match the SHA-256 recorded in graph.json; it does not "
            "(the file was altered or damaged)."
        )
    return doc, npz


def _arrays(npz: bytes) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(npz), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except ValueError as exc:
        raise GraphError(
            "load_graph: arrays.npz must hold only plain arrays (read with allow_pickle=False); "
            f"it holds something that needs pickle, which is refused ({exc})."
        ) from None


def load_graph(path: Any) -> Graph:
    """Read a graph written by :meth:`Graph.save`.

    Loading runs no code from the file: ops are looked up by name among the library's Function
    classes and rebuilt from plain data, arrays are read without pickle. The loaded graph runs to
    bit-identical results, supports :meth:`Graph.grad`, and saves again to the same bytes.

    Args:
        path: File name (``str`` or path-like) or binary file object.

    Returns:
        Graph: the graph, with its placeholders, parameters, constants and nodes under their
        names.

    Raises:
        GraphError: the file is truncated, not a graph file, from a newer format version, altered
            (its arrays do not match their recorded checksum), refers to arrays or nodes it does
            not hold, or holds arrays that need pickle (refused).
        UnsupportedError: an op the file uses is not defined by this nnfunc.

    Examples:
        >>> import io, numpy as np, nnfunc as nf
        >>> with nf.Graph() as g:
        ...     x = g.placeholder("x", (None, 2))
        ...     w = g.parameter("w", np.eye(2, dtype=np.float32))
        ...     y = nf.matmul(x, w, name="y")
        >>> buf = io.BytesIO()
        >>> g.save(buf)
        >>> _ = buf.seek(0)
        >>> nf.load_graph(buf).run("y", {"x": np.array([[1.0, 2.0]], np.float32)})
        array([[1., 2.]], dtype=float32)
    """
    doc, npz = _read(path)
    arrays = _arrays(npz)
    registry = function_classes()
    graph = Graph(doc.get("name", "graph"))
    ctx = _Codec(arrays)
    try:
        nodes = list(doc["nodes"])
    except (KeyError, TypeError):
        raise GraphError("load_graph: graph.json must list its nodes; it does not.") from None
    for index, node in enumerate(nodes):
        where = (
            f"node {index} ({node.get('name')!r})" if isinstance(node, dict) else f"node {index}"
        )
        try:
            _load_node(graph, node, ctx, registry, where)
        except (KeyError, TypeError, AttributeError) as exc:
            raise GraphError(
                f"load_graph: {where} is malformed: {type(exc).__name__}: {exc}."
            ) from None
    return graph


def _array(arrays: dict[str, np.ndarray], key: str, where: str) -> np.ndarray:
    if key not in arrays:
        raise GraphError(
            f"load_graph: {where} needs array {key!r}, which arrays.npz does not hold; the file "
            "is incomplete or altered."
        )
    return arrays[key]


def _load_node(
    graph: Graph, node: dict, ctx: _Codec, registry: dict[str, type], where: str
) -> None:
    arrays = ctx.arrays
    kind = node["kind"]
    if kind == "placeholder":
        graph.placeholder(node["name"], node["shape"], np.dtype(node["dtype"]))
    elif kind == "parameter":
        graph.parameter(node["name"], _array(arrays, node["array"], where))
    elif kind == "constant":
        graph.constant(_array(arrays, node["array"], where), name=node["name"])
    elif kind == "op":
        cls = registry.get(node["class"])
        if cls is None:
            raise UnsupportedError(
                f"load_graph: {where} uses op {node.get('op')!r} of class {node['class']!r}, "
                "which this nnfunc does not define (a newer version, or an altered file)."
            )
        config = {k: _decode(v, ctx, where) for k, v in node["config"].items()}
        inputs = []
        for name in node["inputs"]:
            if name is None:
                inputs.append(None)
            elif name not in graph or not isinstance(graph[name], SymbolicVariable):
                raise GraphError(
                    f"load_graph: {where} reads {name!r}, which no earlier node defines."
                )
            else:
                inputs.append(graph[name])
        func = rebuild(cls, config)
        outs = apply_symbolic(func, tuple(inputs), node["name"])
        ctx.nodes[func.name] = func
        made = [o.name for o in outs]
        if made != [o for o in node["outputs"] if o is not None] and None not in node["outputs"]:
            raise GraphError(
                f"load_graph: {where} must produce outputs {node['outputs']}; rebuilding it "
                f"produced {made}."
            )
    else:
        raise GraphError(f"load_graph: {where} has an unknown kind {kind!r}.")
