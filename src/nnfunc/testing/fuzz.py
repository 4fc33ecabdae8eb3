"""Fuzzing every public function with awkward arguments (issue 17).

The promise checked: any call of a public function of :mod:`nnfunc` or of a dialect either
returns or raises a subclass of :class:`~nnfunc.errors.NNFuncError`: never another exception,
never a hang, never an allocation beyond a memory limit, never a write into an input that is not
documented as updated in place.

How it works:

* :func:`public_functions` enumerates every function of ``nnfunc.__all__``,
  ``nnfunc.random.__all__``, ``nnfunc.distributed.__all__`` and of every dialect module's
  ``__all__`` (walking :mod:`nnfunc.compat`), so that a new family is fuzzed the day it lands.
* A valid call (the *sample*) comes from a registered sample (:func:`register_sample`) or from
  the function's own docstring: the examples are run and the arguments of the first call of the
  function (seen by a profile hook on its code object, however the example spells the call) are
  recorded.
* :func:`cases` replaces one argument at a time (defaults included) with each value of
  :data:`VALUE_LABELS`, in two modes: ``eager`` (arrays) and ``var`` (float arrays wrapped as
  :class:`~nnfunc.Variable` with ``requires_grad=True`` and a backward pass through the outputs).
* Graph mode: see below.
* :func:`run` executes the cases in a worker subprocess under an address-space limit
  (``resource.setrlimit``); the parent kills and restarts it when one call runs longer than the
  per-call time limit (outcome ``hang``) or dies (outcome ``crash``).

Graph mode (``graph``, :func:`call_graph_case`): the tensor arguments become placeholders of a
:class:`~nnfunc.Graph` (first dimension unknown; known when the function refuses the unknown one
with an nnfunc error), the awkward values go in as arguments or as feeds, the graph is run and
differentiated (:meth:`~nnfunc.Graph.grad`), and outputs and gradients are compared with the
eager call on the values the graph ran on (shape and values, NaN-aware). Each function also gets
the unchanged sample as a graph case (value ``valid``, argument ``*``).

Outcomes: ``ok``, ``nnfunc:<ErrorClass>`` (at build or at run in graph mode),
``raw:<ExceptionClass>``, ``mutated:<arg>``, ``hang``, ``crash``; in graph mode also
``mismatch:<what>`` (graph != eager: ``shape``, ``values``, ``grad-values``, ``outputs``...)
and ``graph-accepts:<ErrorClass>`` (the graph returned where eager raises that nnfunc error on
the same values: a silent wrong result). The failures are the ``raw:``, ``mutated:``,
``mismatch:``, ``graph-accepts:``, ``hang`` and ``crash`` ones.

Command line (figures for the note)::

    PYTHONPATH=src python -m nnfunc.testing.fuzz [--full] [--only SUBSTRING] [--failures FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import doctest
import importlib
import inspect
import io
import json
import os
import pkgutil
import re
import selectors
import subprocess
import sys
import time
import traceback
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import nnfunc
import nnfunc.compat
import nnfunc.compat.nnabla.functions as nnabla_functions
from nnfunc.compat import keras, samediff, tf
from nnfunc.core.variable import Variable
from nnfunc.distributed import SingleProcessCommunicator
from nnfunc.errors import NNFuncError

__all__ = [
    "VALUE_LABELS",
    "Case",
    "Report",
    "awkward_value",
    "cases",
    "public_functions",
    "register_sample",
    "run",
    "sample_call",
]

# The modules whose ``__all__`` functions are fuzzed, besides every dialect module found by
# walking nnfunc.compat.
ROOT_MODULES = ("nnfunc", "nnfunc.random", "nnfunc.distributed")
# Not functions of the library's numerical surface: context managers and state queries.
SKIP_NAMES = frozenset({"nnfunc:no_grad", "nnfunc:enable_grad", "nnfunc:is_grad_enabled"})

# The awkward values (issue 17, point 3), by label. How each is built from the original
# argument is in :func:`awkward_value`.
VALUE_LABELS = (
    "None",
    "str",
    "dict",
    "object",
    "complex",
    "empty",
    "0d",
    "nan",
    "inf",
    "2**63",
    "-1",
    "10**9",
    "list",
    "flag_array",
)

MODES = ("eager", "var", "graph")

# Registered samples: qualname -> callable returning (args, kwargs).
_SAMPLES: dict[str, Callable[[], tuple[tuple, dict]]] = {}
_BUILTINS: list[bool] = []  # non-empty once the built-in samples are registered


def register_sample(qualname: str, make: Callable[[], tuple[tuple, dict]]) -> None:
    """Give ``qualname`` (``"module:name"``) a valid call to start from: ``make()`` returns
    ``(args, kwargs)``. Used where the docstring example cannot serve (no call, symbolic only)."""
    _SAMPLES[qualname] = make


def _builtin_samples() -> None:
    """Samples of the public functions whose docstring has no usable example."""

    def params() -> list[Any]:
        p = nnfunc.Variable(np.ones(3, np.float32), requires_grad=True)
        p.grad = nnfunc.Variable(np.ones(3, np.float32))
        return [p]

    register_sample("nnfunc.random:validate_seed", lambda: (("op", 3), {}))
    register_sample(
        "nnfunc.distributed:check_communicator", lambda: (("op", SingleProcessCommunicator()), {})
    )
    register_sample(
        "nnfunc.distributed:all_reduce_gradients",
        lambda: ((params(), SingleProcessCommunicator()), {}),
    )
    register_sample(
        "nnfunc.distributed:broadcast_parameters",
        lambda: ((params(), SingleProcessCommunicator()), {}),
    )
    register_sample("nnfunc.distributed:run_replicas", lambda: ((_rank_of, 2), {}))
    # its docstring example runs a graph (the sampler's state lives in the node)
    register_sample(
        "nnfunc:learned_unigram_candidate_sampler",
        lambda: ((np.array([[1], [3]], np.int64), 1, 4, False, 10), {"seed": 0}),
    )


def _rank_of(comm: Any) -> int:
    return comm.rank


# --------------------------------------------------------------------------- enumeration
def _dialect_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(nnfunc.compat.__path__, prefix="nnfunc.compat."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        if hasattr(module, "__all__"):
            names.append(info.name)
    return sorted(names)


def public_functions() -> list[tuple[str, Callable[..., Any]]]:
    """``(qualname, function)`` for every public function, each function object once."""
    seen: set[int] = set()
    out = []
    for module_name in (*ROOT_MODULES, *_dialect_modules()):
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            qual = f"{module_name}:{name}"
            if not inspect.isfunction(obj) or id(obj) in seen or qual in SKIP_NAMES:
                continue
            seen.add(id(obj))
            out.append((qual, obj))
    return out


def _resolve(qualname: str) -> Callable[..., Any]:
    module, name = qualname.split(":")
    return getattr(importlib.import_module(module), name)


# --------------------------------------------------------------------------- samples
def _doctest_globals() -> dict[str, Any]:
    return {
        "np": np,
        "nf": nnfunc,
        "tf": tf,
        "keras": keras,
        "samediff": samediff,
        "sd": samediff,
        "F": nnabla_functions,
    }


def _is_symbolic(value: Any) -> bool:
    if getattr(value, "_is_symbolic", False):
        return True
    if isinstance(value, (list, tuple)):
        return any(_is_symbolic(v) for v in value)
    if isinstance(value, dict):
        return any(_is_symbolic(v) for v in value.values())
    return False


def _copy_value(value: Any) -> Any:
    if isinstance(value, Variable):
        return Variable(np.array(value.data, copy=True), requires_grad=value.requires_grad)
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        items = [_copy_value(v) for v in value]
        return type(value)(items) if type(value) in (list, tuple) else value
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    # Anything else is shared: numbers and strings are immutable, and sentinels (``UNSET``),
    # communicators and generators must keep their identity.
    return value


def sample_call(qualname: str, func: Callable[..., Any]) -> dict[str, Any] | None:
    """The bound arguments (parameter name -> value) of a valid call of ``func``, or None.

    A registered sample wins; otherwise the docstring examples run until the first call of
    ``func`` whose arguments are not symbolic.
    """
    sig = inspect.signature(func)
    if not _BUILTINS:
        _BUILTINS.append(True)
        _builtin_samples()
    if qualname in _SAMPLES:
        args, kwargs = _SAMPLES[qualname]()
        return dict(sig.bind(*args, **kwargs).arguments)
    doc = inspect.getdoc(func) or ""
    examples = doctest.DocTestParser().get_examples(doc)
    if not examples:
        return None
    target = inspect.unwrap(func).__code__
    params = list(inspect.signature(inspect.unwrap(func)).parameters)
    found: list[dict[str, Any]] = []

    def hook(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code is target and not found:
            local = frame.f_locals
            if {"args", "kwargs"} <= local.keys() and not {"args", "kwargs"} & set(params):
                # A generic dialect entry (compat ``same_as``): (*args, **kwargs) bound by the
                # signature it declares.
                try:
                    call = sig.bind(*local["args"], **local["kwargs"])
                except TypeError:
                    return
                call.apply_defaults()  # as a named frame holds every argument
                local = call.arguments
            bound = {p: local[p] for p in params if p in local}
            if not _is_symbolic(bound):
                found.append({k: _copy_value(v) for k, v in bound.items()})

    namespace = _doctest_globals()
    sink = io.StringIO()
    old = sys.getprofile()
    try:
        with contextlib.redirect_stdout(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sys.setprofile(hook)
            for ex in examples:
                if found:
                    break
                try:
                    exec(compile(ex.source, "<example>", "single"), namespace)
                except BaseException:
                    continue
    finally:
        sys.setprofile(old)
    if not found:
        return None
    # The inner (unwrapped) function's parameters; keep those the public signature knows.
    public = set(sig.parameters)
    return {k: v for k, v in found[0].items() if k in public}


# --------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Case:
    """One call: ``arg`` of ``qualname`` replaced by the value labelled ``value``."""

    qualname: str
    arg: str
    value: str
    mode: str

    @property
    def key(self) -> str:
        return f"{self.qualname}\t{self.arg}\t{self.value}\t{self.mode}"


def _array_of(value: Any) -> np.ndarray | None:
    if isinstance(value, Variable):
        return np.asarray(value.data)
    if isinstance(value, np.ndarray):
        return value
    return None


def awkward_value(label: str, original: Any) -> Any:
    """The awkward value ``label`` built for an argument whose valid value is ``original``."""
    arr = _array_of(original)
    if label == "None":
        return None
    if label == "str":
        return "abc"
    if label == "dict":
        return {}
    if label == "object":
        return np.array([1.0, None], dtype=object)
    if label == "complex":
        if arr is not None and arr.dtype.kind in "biuf":
            return arr.astype(np.complex128 if arr.dtype.itemsize == 8 else np.complex64)
        return np.array([1 + 2j], np.complex64)
    if label == "empty":
        if arr is not None and arr.ndim:
            return np.zeros((0,) + arr.shape[1:], arr.dtype)
        return np.zeros((0,), np.float32)
    if label == "0d":
        if arr is not None:
            return np.asarray(arr.flat[0] if arr.size else np.zeros((), arr.dtype)).astype(
                arr.dtype
            )
        return np.asarray(1.0, np.float32)
    if label in ("nan", "inf"):
        fill = np.nan if label == "nan" else np.inf
        if arr is not None and arr.dtype.kind == "f":
            return np.full_like(arr, fill)
        return fill
    if label == "2**63":
        return 2**63
    if label == "-1":
        return -1
    if label == "10**9":
        return 10**9
    if label == "list":
        if arr is not None:
            return arr.tolist()
        if isinstance(original, tuple):
            return list(original)
        return [original]
    if label == "flag_array":
        if isinstance(original, str):
            return np.array([original, original + "x"])
        return np.array([True, False])
    raise ValueError(label)


def _pick(qualname: str, arg: str, k: int) -> set[str]:
    """A fixed, well-spread subset of ``k`` labels for one argument (sampled runs)."""
    start = zlib.crc32(f"{qualname}/{arg}".encode()) % len(VALUE_LABELS)
    step = len(VALUE_LABELS) // max(k, 1) or 1
    return {VALUE_LABELS[(start + i * step) % len(VALUE_LABELS)] for i in range(k)}


def cases(
    qualname: str,
    func: Callable[..., Any],
    sample: dict[str, Any],
    *,
    per_arg: int | None,
    graph: bool = True,
    graph_per_fn: int | None = None,
) -> list[Case]:
    """Every case of one function; ``per_arg`` values per argument (all when None), and the
    ``var`` mode for one of them (all in the full run). Graph mode: the unchanged sample
    (``valid``) and ``graph_per_fn`` (argument, value) pairs picked over all the arguments
    (every pair when None)."""
    out = []
    graph_pairs = []
    for p in inspect.signature(func).parameters.values():
        if p.name == "name" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name not in sample and p.default is p.empty:
            continue
        labels = VALUE_LABELS if per_arg is None else _pick(qualname, p.name, per_arg)
        for label in VALUE_LABELS:
            if label not in labels:
                continue
            out.append(Case(qualname, p.name, label, "eager"))
        var_labels = labels if per_arg is None else {sorted(labels)[0]}
        for label in VALUE_LABELS:
            if label in var_labels:
                out.append(Case(qualname, p.name, label, "var"))
        graph_pairs += [(p.name, label) for label in VALUE_LABELS]
    if not graph or qualname.split(":")[0] in GRAPH_SKIP_MODULES:
        return out
    if graph_per_fn is not None and graph_pairs:
        # a fixed, well-spread choice (crc32 of the name, as _pick)
        start = zlib.crc32(f"{qualname}/graph".encode()) % len(graph_pairs)
        step = max(len(graph_pairs) // max(graph_per_fn, 1), 1)
        picked = {graph_pairs[(start + i * step) % len(graph_pairs)] for i in range(graph_per_fn)}
        graph_pairs = [pair for pair in graph_pairs if pair in picked]
    out.append(Case(qualname, "*", VALID, "graph"))
    out += [Case(qualname, a, label, "graph") for a, label in graph_pairs]
    return out


# --------------------------------------------------------------------------- one call
_IN_PLACE_WORDS = ("in place", "in-place", "updated", "written", "modified", "filled")


def _in_place_args(func: Callable[..., Any]) -> set[str]:
    """Arguments documented as updated in place.

    Their ``Args:`` entry (``a, b: ...`` entries cover both), or a sentence of the function's
    description or of its module's docstring naming them in backticks, says they are updated,
    written, modified or filled in place; NNabla's ``outputs=`` receives the results in place
    by the package's documented rule."""
    params = set(inspect.signature(func).parameters) - {"name"}
    found = {"outputs"} & params if func.__module__.startswith("nnfunc.compat.nnabla") else set()
    doc = inspect.getdoc(func) or ""
    if "Args:" in doc:
        body = doc.split("Args:", 1)[1]
        names: list[str] = []
        for line in body.splitlines():
            if line and not line.startswith(" "):  # the next section
                break
            if line.startswith("    ") and not line.startswith("     ") and ":" in line:
                head = line.split(":", 1)[0]
                names = [n.split("(")[0].strip(" `*") for n in head.split(",")]
            if any(w in line.lower() for w in _IN_PLACE_WORDS):
                found.update(n for n in names if n in params)
    module = sys.modules.get(func.__module__)
    texts = " ".join([doc.split("Args:", 1)[0], (module and module.__doc__) or ""])
    for sentence in re.split(r"(?<=[.;])\s+|\n\s*\n", texts):
        if any(w in sentence.lower() for w in _IN_PLACE_WORDS):
            found.update(p for p in params if f"``{p}``" in sentence)
    return found


def _snapshot(value: Any) -> list[tuple[Any, np.ndarray]]:
    if isinstance(value, Variable):
        return [(value, np.array(value.data, copy=True))]
    if isinstance(value, np.ndarray):
        return [(value, value.copy())]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _snapshot(v)]
    return []


def _changed(obj: Any, before: np.ndarray) -> bool:
    after = np.asarray(getattr(obj, "data", obj))
    if after.shape != before.shape or after.dtype != before.dtype:
        return True
    if before.dtype.kind in "fc":
        return not np.array_equal(after, before, equal_nan=True)
    return not np.array_equal(after, before)


def _outputs(result: Any) -> Iterator[Any]:
    if isinstance(result, Variable):
        yield result
    elif isinstance(result, (list, tuple)):
        for r in result:
            yield from _outputs(r)
    elif isinstance(result, dict):
        for r in result.values():
            yield from _outputs(r)


def _to_var(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return Variable(value, requires_grad=True)
    if isinstance(value, Variable) and value.data.dtype.kind == "f":
        return Variable(value.data, requires_grad=True)
    return value


def call_case(func: Callable[..., Any], sample: dict[str, Any], case: Case) -> str:
    """Run one case; return its outcome (see the module doc)."""
    if case.mode == "graph":
        return call_graph_case(func, sample, case)
    sig = inspect.signature(func)
    bound = {k: _copy_value(v) for k, v in sample.items()}
    original = bound.get(case.arg, sig.parameters[case.arg].default)
    bound[case.arg] = awkward_value(case.value, original)
    if case.mode == "var":
        bound = {k: _to_var(v) for k, v in bound.items()}
    args, kwargs = _arguments(sig, bound)
    exempt = _in_place_args(func)
    snaps = [(k, s) for k, v in bound.items() if k not in exempt for s in _snapshot(v)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = func(*args, **kwargs)
            if case.mode == "var":
                outs = [o for o in _outputs(result) if o.requires_grad]
                leaves = [
                    v for v in bound.values() if isinstance(v, nnfunc.Variable) and v.requires_grad
                ]
                if outs and leaves:
                    gys = [np.ones_like(o.data) for o in outs]
                    nnfunc.grad(outs, leaves, grad_outputs=gys)
    except Exception as exc:
        return _raised(exc, case)
    return _mutated(snaps) or "ok"


def _raised(exc: Exception, case: Case) -> str:
    """The outcome of a call that raised ``exc``."""
    if isinstance(exc, NNFuncError):
        return f"nnfunc:{type(exc).__name__}"
    if isinstance(exc, RecursionError):
        return "raw:RecursionError"
    if os.environ.get("NNFUNC_FUZZ_TRACE"):  # where a raw error comes from, for fixing
        tb = traceback.extract_tb(exc.__traceback__)[-3:]
        where = " < ".join(f"{f.filename.split('/src/')[-1]}:{f.lineno}" for f in tb[::-1])
        print(f"{case.key}\t{type(exc).__name__}: {str(exc)[:120]}\t{where}", file=sys.stderr)
    return f"raw:{type(exc).__name__}"


def _mutated(snaps: list[tuple[str, tuple[Any, np.ndarray]]]) -> str | None:
    """``mutated:<argument>`` for the first snapshotted input the call changed, else None."""
    for k, (obj, before) in snaps:
        if _changed(obj, before):
            return f"mutated:{k}"
    return None


# --------------------------------------------------------------------------- graph mode
# The graph case that changes nothing: the sample itself, built into a graph (its tensors as
# placeholders with an unknown first dimension), run, differentiated, and compared with eager.
VALID = "valid"
# Eager calls repeated after a graph/eager mismatch, to tell unseeded draws from a bug.
RANDOM_PROBES = 5
# Sampled runs: the valid graph case and this many (argument, awkward value) pairs a function.
GRAPH_PER_FN = 4
# Modules not fuzzed in graph mode: they do not build graph nodes (communicators, replicas).
GRAPH_SKIP_MODULES = ("nnfunc.distributed",)


def _is_tensor(value: Any) -> bool:
    arr = _array_of(value)
    return arr is not None and arr.dtype.kind in "biuf"


def _leaves(result: Any) -> list[Any]:
    """The tensors of a result in a fixed order (symbolic variables, Variables, arrays)."""
    if getattr(result, "_is_symbolic", False) or isinstance(result, (Variable, np.ndarray)):
        return [result]
    if isinstance(result, np.generic):
        return [np.asarray(result)]
    if isinstance(result, (list, tuple)):
        return [leaf for r in result for leaf in _leaves(r)]
    if isinstance(result, dict):
        return [leaf for k in result for leaf in _leaves(result[k])]
    return []


def _same(a: Any, b: Any) -> str | None:
    """Why the graph value ``a`` differs from the eager value ``b`` (None when they agree)."""
    a, b = np.asarray(getattr(a, "data", a)), np.asarray(getattr(b, "data", b))
    if a.shape != b.shape:
        return "shape"
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        lo = min(
            np.finfo(a.dtype).resolution if a.dtype.kind in "fc" else 1e-15,
            np.finfo(b.dtype).resolution if b.dtype.kind in "fc" else 1e-15,
        )
        tol = max(float(lo) * 100, 1e-12)
        ok = np.allclose(
            a.astype(np.float64), b.astype(np.float64), rtol=tol, atol=tol, equal_nan=True
        )
        return None if ok else "values"
    return None if np.array_equal(a, b) else "values"


def _graph_inputs(
    func: Callable[..., Any], sample: dict[str, Any], case: Case, static: bool
) -> tuple[Any, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, str]]:
    """Build the graph of one case: ``(graph, arguments, feeds, placeholders, owners)``.

    Tensor arguments of the sample become placeholders (first dimension unknown unless
    ``static``) fed with their values. The replaced argument: where a tensor was, an awkward
    real array gets a placeholder of its own dtype and rank (its values are fed: empty, 0-d,
    NaN/inf, bools), anything else (a list, a string, a dict, a number, an object or complex
    array) is fed to the placeholder of the original tensor (the graph's feed check), None is
    passed as the argument; where an option was, the awkward value is passed as is.
    """
    graph = nnfunc.Graph("fuzz")
    feeds: dict[str, Any] = {}
    placeholders: dict[str, Any] = {}
    owner: dict[str, str] = {}  # placeholder -> argument
    arg = ""

    def place(value: Any, like: Any) -> Any:
        arr = _array_of(like)
        assert arr is not None
        shape = arr.shape if static or not arr.ndim else (None, *arr.shape[1:])
        ph = graph.placeholder(f"p{len(feeds)}", shape, arr.dtype)
        feeds[ph.name] = value
        placeholders[ph.name] = ph
        owner[ph.name] = arg
        return ph

    def symbolic(value: Any) -> Any:
        if _is_tensor(value):
            return place(_array_of(value), value)
        if type(value) in (list, tuple) and value and all(_is_tensor(v) for v in value):
            return type(value)(place(_array_of(v), v) for v in value)
        return value

    sig = inspect.signature(func)
    bound = {k: _copy_value(v) for k, v in sample.items()}
    sym: dict[str, Any] = {}
    for arg, v in bound.items():
        if arg != case.arg:
            sym[arg] = symbolic(v)
    arg = case.arg
    if case.value != VALID:
        original = bound.get(case.arg, sig.parameters[case.arg].default)
        awk = awkward_value(case.value, original)
        if not _is_tensor(original) or awk is None:
            sym[case.arg] = awk
        elif isinstance(awk, np.ndarray) and awk.dtype.kind in "biuf":
            sym[case.arg] = place(awk, awk)
        else:
            sym[case.arg] = place(awk, original)
    return graph, sym, feeds, placeholders, owner


def _arguments(sig: inspect.Signature, bound: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """``bound`` (argument name -> value) as the positional and keyword arguments of a call:
    positional while no earlier argument had to go by keyword."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for p in sig.parameters.values():
        if p.name not in bound:
            continue
        v = bound[p.name]
        if p.kind == p.VAR_POSITIONAL:
            args.extend(v)
        elif p.kind == p.VAR_KEYWORD:
            kwargs.update(v)
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and not kwargs:
            args.append(v)
        else:
            kwargs[p.name] = v
    return args, kwargs


def _call(func: Callable[..., Any], bound: dict[str, Any]) -> Any:
    args, kwargs = _arguments(inspect.signature(func), bound)
    return func(*args, **kwargs)


def _eager(func: Callable[..., Any], sym: dict[str, Any], fed: dict[str, Any]) -> tuple:
    """The eager call with the values the graph ran on: ``(outputs, gradients)``, float
    tensors as Variables differentiated with ones as the output gradients."""

    def value(v: Any) -> Any:
        if getattr(v, "_is_symbolic", False):
            arr = fed[v.name]
            return Variable(arr, requires_grad=True) if arr.dtype.kind == "f" else arr
        if type(v) in (list, tuple):
            return type(v)(value(x) for x in v)
        return v

    bound = {k: value(v) for k, v in sym.items()}
    outs = _leaves(_call(func, bound))
    leaves = [v for v in _leaves(list(bound.values())) if isinstance(v, Variable)]
    diff = [o for o in outs if isinstance(o, Variable) and o.requires_grad]
    grads: list[Any] = []
    if diff and leaves:
        grads = nnfunc.grad(diff, leaves, grad_outputs=[np.ones_like(o.data) for o in diff])
    return [getattr(o, "data", o) for o in outs], [getattr(g, "data", g) for g in grads]


def call_graph_case(func: Callable[..., Any], sample: dict[str, Any], case: Case) -> str:
    """Run one graph case: build (placeholders, first dimension unknown; known when the
    unknown one is refused with an nnfunc error), run, differentiate with
    :meth:`~nnfunc.Graph.grad`, and compare outputs and gradients with the eager call on the
    same values. Outcomes as :func:`call_case`, plus ``mismatch:<what>`` (graph != eager)."""
    exempt = _in_place_args(func)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for static in (False, True):
                graph, sym, feeds, phs, owner = _graph_inputs(func, sample, case, static)
                given = [(k, v) for k, v in sym.items() if k not in exempt]
                given += [(owner[n], v) for n, v in feeds.items() if owner[n] not in exempt]
                snaps = [(k, s) for k, v in given for s in _snapshot(v)]
                try:
                    with graph:
                        result = _call(func, sym)
                    outs = _leaves(result)
                    fetch = [o for o in outs if getattr(o, "_is_symbolic", False)]
                    diff = [o for o in fetch if o.requires_grad]
                    xs = [p for p in phs.values() if p.requires_grad]
                    grads = graph.grad(diff, xs) if diff and xs else []
                except NNFuncError:
                    # an unknown size refused when the graph is built: try with known sizes
                    if static or not any(d is None for p in phs.values() for d in p.shape):
                        raise
                    continue
                break
            # the values the graph runs on, kept before it runs (in-place updates)
            fed = {n: np.array(graph._check_feed(phs[n], v)) for n, v in feeds.items()}
            values = graph.run(list(fetch) + list(grads), feeds)
    except Exception as exc:
        return _raised(exc, case)
    mutated = _mutated(snaps)
    if mutated:
        return mutated
    sig = inspect.signature(func)
    seed = sym.get("seed", sig.parameters["seed"].default) if "seed" in sig.parameters else 0
    # unseeded draws: the graph's and eager's draws differ; only their shapes must agree
    unseeded = (
        seed is None
        or isinstance(seed, np.random.Generator)
        or (isinstance(seed, int) and seed == -1)
    )
    got = dict(zip([id(o) for o in fetch], values[: len(fetch)], strict=True))
    graph_outs = [got.get(id(o), o) for o in outs]
    graph_grads = values[len(fetch) :]
    # Eager again after a mismatch: a draw without a seed gives other values each call (a few
    # calls, since small sample spaces repeat a draw by chance), a deterministic function not.
    for attempt in range(RANDOM_PROBES + 1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                eager_outs, eager_grads = _eager(func, sym, {n: v.copy() for n, v in fed.items()})
        except NNFuncError as exc:
            # Eager refuses what the graph computed: a check the graph could not make when it
            # was built (sizes unknown then) and that no node repeats when it runs (a size 1
            # broadcast against an unknown batch of 0): a silent wrong result, a failure (the
            # fix: nnfunc.core.shapes.recheck, or the check in a Function's setup).
            return f"graph-accepts:{type(exc).__name__}"
        except Exception as exc:
            return f"mismatch:eager-raw-{type(exc).__name__}"
        why = None
        if len(eager_outs) != len(graph_outs):
            why = "outputs"
        elif xs and len(eager_grads) != len(graph_grads):
            why = "gradients"
        else:
            for a, b in zip(graph_outs, eager_outs, strict=True):
                why = why or _same(a, b)
            for a, b in zip(graph_grads, eager_grads, strict=False):
                why = why or (_same(a, b) and f"grad-{_same(a, b)}")
            if why == "grad-shape":
                why = "shape"
        if why is None or (unseeded and why not in ("outputs", "gradients", "shape")):
            return "ok"
        if attempt == 0:
            first = (eager_outs, eager_grads)
            continue
        # An eager call that differs from the first: random without a seed, not a bug.
        pairs = [
            *zip(first[0], eager_outs, strict=False),
            *zip(first[1], eager_grads, strict=False),
        ]
        if any(_same(a, b) for a, b in pairs):
            return "ok"
    return f"mismatch:{why}"


def is_failure(outcome: str) -> bool:
    """Whether an outcome breaks the promise."""
    return not (outcome == "ok" or outcome.startswith("nnfunc:") or outcome == "nosample")


# --------------------------------------------------------------------------- worker
def _worker_main() -> None:
    """Subprocess side: read the job, stream ``B``/``R`` lines (JSON) on the protocol fd."""
    import resource

    job = json.loads(sys.stdin.readline())
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    for extra in job.get("registries", ()):
        importlib.import_module(extra)
    _doctest_globals()  # import the dialects before measuring the address space
    if job["mem_bytes"]:
        limit = _address_space() + job["mem_bytes"]
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    fi0, ci0 = job["start"]
    for fi in range(fi0, len(job["functions"])):
        qual = job["functions"][fi]
        func = _resolve(qual)
        try:
            sample = sample_call(qual, func)
        except Exception:
            sample = None
        if sample is None:
            proto.write(json.dumps(["N", fi, qual]) + "\n")
            continue
        plan = cases(
            qual,
            func,
            sample,
            per_arg=job["per_arg"],
            graph=job["graph"],
            graph_per_fn=job["graph_per_fn"],
        )
        proto.write(json.dumps(["P", fi, len(plan)]) + "\n")
        for ci in range(ci0 if fi == fi0 else 0, len(plan)):
            proto.write(json.dumps(["B", fi, ci, plan[ci].key]) + "\n")
            t0 = time.perf_counter()
            try:
                outcome = call_case(func, sample, plan[ci])
            except MemoryError:
                outcome = "raw:MemoryError"
            dt = time.perf_counter() - t0
            proto.write(json.dumps(["R", fi, ci, plan[ci].key, outcome, dt]) + "\n")
    proto.write(json.dumps(["D", time.process_time()]) + "\n")


def _address_space() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


@dataclass
class Report:
    """What a fuzz run found."""

    outcomes: dict[str, str] = field(default_factory=dict)  # case key -> outcome
    times: dict[str, float] = field(default_factory=dict)  # case key -> seconds (wall)
    worker_cpu: float = 0.0  # CPU seconds of the worker that finished the run
    no_sample: list[str] = field(default_factory=list)
    functions: int = 0
    seconds: float = 0.0

    def failures(self) -> dict[str, str]:
        return {k: o for k, o in self.outcomes.items() if is_failure(o)}

    def by_class(self) -> Counter:
        return Counter("mutated" if o.startswith("mutated:") else o for o in self.outcomes.values())

    def summary(self) -> str:
        fails = self.failures()
        fn = {k.split("\t")[0] for k in fails}
        lines = [
            f"functions: {self.functions} ({len(self.no_sample)} without a sample)",
            f"calls: {len(self.outcomes)} in {self.seconds:.1f} s "
            f"(last worker: {self.worker_cpu:.1f} s CPU)",
            f"failures: {len(fails)} calls in {len(fn)} functions",
        ]
        lines += [f"  {c}: {n}" for c, n in sorted(self.by_class().items(), key=lambda t: -t[1])]
        for mode in MODES:
            keys = [k for k in self.outcomes if k.endswith(f"\t{mode}")]
            if not keys:
                continue
            secs = sum(self.times.get(k, 0.0) for k in keys)
            nfail = sum(1 for k in keys if k in fails)
            lines.append(
                f"mode {mode}: {len(keys)} calls, {secs:.1f} s in the calls, {nfail} failures"
            )
            counts = Counter(
                "mutated" if self.outcomes[k].startswith("mutated:") else self.outcomes[k]
                for k in keys
            )
            lines += [f"  {c}: {n}" for c, n in sorted(counts.items(), key=lambda t: -t[1])]
        return "\n".join(lines)


def run(
    *,
    full: bool = False,
    only: str | None = None,
    call_timeout: float = 10.0,
    mem_bytes: int = 2 * 2**30,
    registries: tuple[str, ...] = (),
    graph: bool = True,
) -> Report:
    """Fuzz every public function (``only``: those whose qualname contains the substring).

    Sampled unless ``full``: two values per argument in eager mode and one with Variables;
    in graph mode (``graph``) the valid call and :data:`GRAPH_PER_FN` (argument, value) pairs
    a function (every pair in the full run).
    ``registries``: modules imported by the worker first (they call :func:`register_sample`).
    """
    names = [q for q, _ in public_functions() if only is None or only in q]
    report = Report(functions=len(names))
    job = {
        "functions": names,
        "per_arg": None if full else 2,
        "graph": graph,
        "graph_per_fn": None if full else GRAPH_PER_FN,
        "mem_bytes": mem_bytes,
        "registries": list(registries),
    }
    start = [0, 0]
    t0 = time.perf_counter()
    env = dict(os.environ)
    env.setdefault("NUMBA_NUM_THREADS", "1")
    # Outputs beyond half the memory limit are ArgumentErrors (the engine's size guard), so a
    # MemoryError means an allocation the guard did not see (an intermediate, a validation).
    env["NNFUNC_MAX_OUTPUT_BYTES"] = str(mem_bytes // 2)
    while True:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from nnfunc.testing.fuzz import _worker_main; _worker_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if os.environ.get("NNFUNC_FUZZ_TRACE") else subprocess.DEVNULL,
            env=env,
            text=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps({**job, "start": start}) + "\n")
        proc.stdin.flush()
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        current: list | None = None
        plan_len = 0
        done = False
        # The first lines may wait for imports and the first example: a longer grace.
        timeout = call_timeout + 60.0
        while True:
            if not sel.select(timeout):
                proc.kill()
                if current is not None:
                    report.outcomes[current[3]] = "hang"
                break
            line = proc.stdout.readline()
            if not line:
                if current is not None:
                    report.outcomes[current[3]] = "crash"
                break
            msg = json.loads(line)
            kind = msg[0]
            timeout = call_timeout
            if kind == "B":
                current = msg
                timeout = call_timeout
            elif kind == "R":
                report.outcomes[msg[3]] = msg[4]
                report.times[msg[3]] = msg[5]
                current = None
                start = [msg[1], msg[2] + 1]
                if msg[2] + 1 >= plan_len:
                    # the next line comes after the next function's sample (its docstring
                    # examples): the longer grace, or a loaded machine loses a sample
                    timeout = call_timeout + 30.0
            elif kind == "N":
                report.no_sample.append(msg[2])
                start = [msg[1] + 1, 0]
                timeout = call_timeout + 30.0
            elif kind == "P":
                start = [msg[1], 0] if start[0] != msg[1] else start
                plan_len = msg[2]
                timeout = call_timeout + 30.0
            elif kind == "D":
                report.worker_cpu += msg[1]
                done = True
                break
        proc.stdin.close()
        with contextlib.suppress(Exception):
            proc.kill()
        proc.wait()
        sel.close()
        if done:
            break
        if current is not None:
            start = [current[1], current[2] + 1]
        elif start[0] >= len(names):
            break
        else:  # died between functions (sample collection): skip that function
            report.no_sample.append(names[start[0]])
            start = [start[0] + 1, 0]
    report.seconds = time.perf_counter() - t0
    return report


# --------------------------------------------------------------------------- baseline
def read_baseline(path: str) -> dict[str, str]:
    """``case key -> outcome`` from a baseline file (tab-separated, ``#`` comments)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            *key, outcome = line.split("\t")
            out["\t".join(key)] = outcome
    return out


def write_baseline(path: str, failures: dict[str, str], header: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(header)
        for key in sorted(failures):
            f.write(f"{key}\t{failures[key]}\n")


def _main(argv: list[str]) -> None:

    parser = argparse.ArgumentParser(prog="python -m nnfunc.testing.fuzz")
    parser.add_argument("--full", action="store_true", help="every value, both modes")
    parser.add_argument("--only", default=None, help="qualnames containing this substring")
    parser.add_argument("--failures", default=None, help="write failing cases to this file")
    parser.add_argument("--registry", action="append", default=[], help="module with samples")
    parser.add_argument("--no-graph", action="store_true", help="eager and var modes only")
    parser.add_argument("--outcomes", default=None, help="write every case's outcome here")
    ns = parser.parse_args(argv)
    report = run(full=ns.full, only=ns.only, registries=tuple(ns.registry), graph=not ns.no_graph)
    print(report.summary())
    if report.no_sample:
        print("without a sample:", " ".join(report.no_sample))
    if ns.failures:
        write_baseline(ns.failures, report.failures(), "")
    if ns.outcomes:
        write_baseline(ns.outcomes, report.outcomes, "")


if __name__ == "__main__":
    _main(sys.argv[1:])
