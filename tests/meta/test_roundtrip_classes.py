"""Every Function class of the library round-trips through ``Graph.save`` / ``nnfunc.load_graph``
(issue 18, "Done when").

The classes are enumerated, not listed: every module of ``nnfunc`` is imported and
``Function.__subclasses__()`` walked, so a class that lands later (a new gradient Function of a
loss, a dialect's private node) is checked without editing this file. The graphs come from the
harness's own cases: every ``FunctionTestCase`` class of ``tests/`` (each parametrisation of
``parametrize_class``) is built in a graph with its unknown dimensions, then ``Graph.grad`` of
its outputs and, where the class checks double backward, the gradient of that gradient, so the
gradient Functions (fused backward passes, their own backward) are nodes too. A few public
functions that have no ``FunctionTestCase`` (samplers, decoders, ops reached only with an
argument the harness's cases do not pass) get one case each in ``EXTRA_CASES``.

Each graph that holds a class no earlier graph covered is saved, loaded, run with the same feeds
(bit-identical outputs and gradients) and saved again (the same bytes). A class then counts as
covered, is an abstract base (it has library subclasses and the library never instantiates it by
name), or is listed in ``NOT_SAVED`` with the reason. A listed class that becomes covered must
leave the list.

Graph mode with unknown dimensions is checked on the way: every case must build with its unknown
dimensions and every derivative it asks for (a case that needs known dimensions or one derivative
less fails unless ``GRAPH_FALLBACKS`` lists it with the reason, and a listed case must fail with
an ``NNFuncError``, never a raw Python exception), and the graph with unknown dimensions must run
to the values of the same graph built with known ones (shapes and dtypes equal, values within a
few units in the last place of the output's largest magnitude: the reductions may add in another
order).

``PYTHONPATH=src python -m tests.meta.test_roundtrip_classes [-v]`` prints the table of classes
and where each is covered (``-v``: the cases built with fewer derivatives or known dimensions).
"""

from __future__ import annotations

import collections
import functools
import io
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _pytest.pathlib import import_path

import nnfunc as nf
from nnfunc.core import serialize
from nnfunc.core.function import Function
from nnfunc.testing import FunctionTestCase

from ._public import all_modules

ROOT = Path(__file__).resolve().parents[2]

# Classes that no saved graph can hold, with the reason (keep it short and true: a class that
# could be saved is fixed in nnfunc.core.serialize or in its constructor, not listed here).
NOT_SAVED: dict[str, str] = {
    "nnfunc.distributed._comm:AllReduce": "holds a communicator (a live process group)",
}

# Cases (labels as the survey prints them) whose graph cannot be built with their unknown
# dimensions or with every derivative they ask for, with the reason. Keep it empty: a graph that
# needs a size its builder cannot know is fixed in the Function (reshape with -1, sizes taken
# from the run, sum_to/reshape_like with a graph variable), not listed here.
GRAPH_FALLBACKS: dict[str, str] = {}

# How far the graph with unknown dimensions may be from the one with known dimensions, in units
# of the dtype's epsilon times the output's largest finite magnitude.
_ULPS = 16


@dataclass
class Case:
    """A graph to build: ``call(*placeholders, name=...)``, placeholders shaped like ``inputs``."""

    label: str
    call: Callable[..., Any]
    inputs: tuple[np.ndarray, ...]
    symbolic_dims: tuple[int, ...] | None = None
    order: int = 2  # highest derivative order to add (0: forward only)
    save_unsupported: str | None = None
    in_graph: bool = False  # call inside ``with graph:`` (a sampler without tensor inputs)


def _x(*shape: int, dtype: str = "float32", seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _int(values: Any, dtype: str = "int64") -> np.ndarray:
    return np.asarray(values, dtype=dtype)


# One case per public function whose classes the harness's cases do not reach.
EXTRA_CASES: list[Case] = [
    Case(
        "dot_product_attention(key_lengths=...)",
        lambda q, k, v, n, name: nf.dot_product_attention(q, k, v, key_lengths=n, name=name),
        (_x(2, 3, 2, 4), _x(2, 5, 2, 4, seed=1), _x(2, 5, 2, 4, seed=2), _int([5, 3], "int32")),
    ),
    Case(
        "dot_product_attention (grouped-query heads, every dim unknown)",
        lambda q, k, v, name: nf.dot_product_attention(q, k, v, name=name),
        (_x(2, 3, 4, 3), _x(2, 5, 2, 3, seed=1), _x(2, 5, 2, 2, seed=2)),
        symbolic_dims=(0, 1, 2, 3),
    ),
    Case("clip_grad_by_norm", lambda x, name: nf.clip_grad_by_norm(x, 0.5, name=name), (_x(3, 4),)),
    Case(
        "clip_grad_by_value",
        lambda x, name: nf.clip_grad_by_value(x, -0.1, 0.1, name=name),
        (_x(3, 4),),
    ),
    Case(
        "ctc_beam_search_decoder",
        lambda x, n, name: nf.ctc_beam_search_decoder(x, n, beam_width=3, top_paths=2, name=name),
        (_x(2, 5, 4), _int([5, 3], "int32")),
        order=0,
    ),
    Case(
        "max_pool_with_argmax",
        lambda x, name: nf.max_pool_with_argmax(x, (2, 2), name=name),
        (_x(2, 3, 4, 4),),
    ),
    Case(
        "uniform_candidate_sampler",
        lambda t, name: nf.uniform_candidate_sampler(t, 1, 3, True, 10, seed=1, name=name),
        (_int([[1], [4]]),),
        order=0,
    ),
    Case(
        "log_uniform_candidate_sampler",
        lambda t, name: nf.log_uniform_candidate_sampler(t, 1, 3, False, 10, seed=1, name=name),
        (_int([[1], [4]]),),
        order=0,
    ),
    Case(
        "learned_unigram_candidate_sampler",
        lambda t, name: nf.learned_unigram_candidate_sampler(t, 1, 3, True, 10, seed=1, name=name),
        (_int([[1], [4]]),),
        order=0,
    ),
    Case(
        "compute_accidental_hits",
        lambda t, s, name: nf.compute_accidental_hits(t, s, 1, name=name),
        (_int([[1], [4]]), _int([4, 2, 1])),
        order=0,
    ),
    Case(
        "random_erase",
        lambda x, name: nf.random_erase(x, prob=1.0, seed=3, name=name),
        (_x(2, 3, 6, 6),),
    ),
    Case(
        "image_augmentation",
        lambda x, name: nf.image_augmentation(
            x, angle=0.3, flip_lr=True, brightness=0.1, noise=0.1, seed=3, name=name
        ),
        (_x(2, 3, 6, 6),),
    ),
    Case(
        "random_choice",
        lambda x, w, name: nf.random_choice(x, w, shape=(3,), seed=3, name=name),
        (_x(2, 4), np.abs(_x(2, 4, seed=1))),
    ),
    Case("rand", lambda name: nf.rand(-1, 2, (2, 3), seed=3, name=name), (), in_graph=True),
    Case("randn", lambda name: nf.randn(0, 2, (2, 3), seed=3, name=name), (), in_graph=True),
    Case("randint", lambda name: nf.randint(0, 5, (2, 3), seed=3, name=name), (), in_graph=True),
    Case(
        "global_avg_pool (unknown spatial dims)",
        lambda x, name: nf.global_avg_pool(x, name=name),
        (_x(2, 3, 4, 5),),
        symbolic_dims=(0, 2, 3),
    ),
    Case(
        "inq_affine",
        lambda x, w, i, name: nf.inq_affine(x, w, i, inq_iterations=(1,), seed=2, name=name),
        (_x(2, 3), _x(3, 4, seed=1), _int(np.eye(3, 4), "int32")),
    ),
    Case("sink", lambda x, y, name: nf.sink(x, y, name=name), (_x(2, 3), _x(4, seed=1))),
    Case(
        "vat_noise", lambda x, w, name: nf.vat_noise(x, w, eps=0.5, name=name), (_x(2, 3), _x(2, 3))
    ),
]


# ------------------------------------------------------------------ enumeration
def library_function_classes() -> set[type]:
    """Every Function subclass defined in ``nnfunc`` (all modules imported first)."""
    for _ in all_modules():
        pass
    found: set[type] = set()
    stack = [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found and sub.__module__.startswith("nnfunc."):
                found.add(sub)
                stack.append(sub)
    return found


def _is_abstract_base(cls: type, sources: dict[Path, str]) -> bool:
    """Has library subclasses and is never instantiated by name in the library's source."""
    if not any(s.__module__.startswith("nnfunc.") for s in cls.__subclasses__()):
        return False
    call = re.compile(rf"(?<!\w){re.escape(cls.__name__)}\(")
    for text in sources.values():
        for line in text.splitlines():
            if call.search(line) and not line.lstrip().startswith("class "):
                return False
    return True


def _harness_classes() -> list[type]:
    """The FunctionTestCase classes of ``tests/`` (those pytest collects: ``Test*``)."""
    found = []
    for path in sorted(ROOT.glob("tests/**/test_*.py")):
        if "FunctionTestCase" not in path.read_text():
            continue
        module = import_path(path, mode="importlib", root=ROOT, consider_namespace_packages=False)
        for name, obj in sorted(vars(module).items()):
            if (
                name.startswith("Test")
                and isinstance(obj, type)
                and issubclass(obj, FunctionTestCase)
                and obj.__module__ == module.__name__
                and obj.inputs is not FunctionTestCase.inputs
            ):
                found.append(obj)
    return found


def harness_cases() -> Iterator[Case]:
    """One Case per FunctionTestCase class and parametrisation."""
    for cls in _harness_classes():
        for combo in getattr(cls, "_nnfunc_combos", [{}]):
            obj = cls()
            for k, v in combo.items():
                setattr(obj, k, v)
            params = ",".join(f"{k}={v}" for k, v in combo.items())
            label = f"{cls.__module__.rpartition('.')[2]}::{cls.__name__}[{params}]"
            try:
                inputs = obj._inputs()
            except Exception as exc:  # reported, not hidden
                yield Case(label, _raiser(exc), ())
                continue
            yield Case(
                label,
                obj._call,
                inputs,
                obj.symbolic_dims if obj.symbolic_dims is not None else (0,),
                2 if (obj.double_backward and obj.differentiable) else 1,
                obj.save_unsupported,
            )


def _raiser(exc: Exception) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return call


# ------------------------------------------------------------------ building graphs
@dataclass
class Built:
    case: Case
    graph: nf.Graph
    fetches: list[str]
    feeds: dict[str, np.ndarray]
    order: int
    classes: set[type] = field(default_factory=set)
    fallbacks: list[str] = field(default_factory=list)


def _floats(vs: Any) -> list[Any]:
    return [v for v in vs if v is not None and np.dtype(v.dtype).kind == "f"]


def _build(case: Case, symbolic: bool, order: int) -> Built:
    graph = nf.Graph()
    phs = []
    for i, x in enumerate(case.inputs):
        dims = case.symbolic_dims if symbolic and case.symbolic_dims is not None else ()
        shape = tuple(None if (j in dims and x.ndim > 0) else d for j, d in enumerate(x.shape))
        phs.append(graph.placeholder(f"in{i}", shape, x.dtype))
    if case.in_graph:
        with graph:
            outs = case.call(*phs, name="out")
    else:
        outs = case.call(*phs, name="out")
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    fetches = [o.name for o in outs]
    xs = _floats(phs)
    level, ys = 0, outs
    while level < order and xs:
        # sum(y * y): a gradient that depends on y, so the next order is not trivially zero
        terms = [nf.sum(y * y) for y in _floats(ys) if y.requires_grad]
        if not terms:
            break
        loss = functools.reduce(lambda a, b: a + b, terms)
        ys = graph.grad(loss, xs)
        fetches += [g.name for g in ys]
        level += 1
    feeds = {f"in{i}": x for i, x in enumerate(case.inputs)}
    built = Built(case, graph, fetches, feeds, level)
    built.classes = {type(v.creator) for v in graph if v.creator is not None}
    return built


def build(case: Case) -> Built:
    """The case's graph with up to ``case.order`` derivatives, with its unknown dimensions (some
    gradient Functions exist only for those) or else known ones; what cannot be built is retried
    with one derivative less. The failures are kept in ``Built.fallbacks`` (the harness checks
    those paths; here they only decide which graph is saved)."""
    fallbacks = []
    for order in range(case.order, -1, -1):
        for symbolic in (True, False):
            try:
                built = _build(case, symbolic, order)
            except Exception as exc:  # kept, and the last one is raised
                fallbacks.append(
                    f"order {order}, {'unknown' if symbolic else 'known'} dims: "
                    f"{type(exc).__name__}: {str(exc)[:200]}"
                )
                error = exc
                continue
            built.fallbacks = fallbacks
            return built
    raise error


def round_trip(built: Built) -> None:
    """Save, load, run (bit-identical), save again (same bytes)."""
    buf = io.BytesIO()
    built.graph.save(buf)
    data = buf.getvalue()
    loaded = nf.load_graph(io.BytesIO(data))
    # fresh copies: a node may update its input in place (inq_affine's schedule does)
    before = built.graph.run(built.fetches, {k: v.copy() for k, v in built.feeds.items()})
    after = loaded.run(built.fetches, {k: v.copy() for k, v in built.feeds.items()})
    for name, b, a in zip(built.fetches, before, after, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape, f"{name}: {a.dtype}{a.shape}"
        np.testing.assert_array_equal(a, b, err_msg=f"{name} differs after loading")
    again = io.BytesIO()
    loaded.save(again)
    assert again.getvalue() == data, "the loaded graph saves other bytes"


def compare_known_dims(built: Built) -> str | None:
    """Run the graph built with unknown dimensions and the same case built with known ones (same
    derivative order): None when they agree, else what differs."""
    known = _build(built.case, False, built.order)
    if known.fetches and len(known.fetches) != len(built.fetches):
        return f"{len(built.fetches)} fetches with unknown dims, {len(known.fetches)} with known"
    # fresh copies: a node may update its input in place (inq_affine's schedule does)
    try:
        got = built.graph.run(built.fetches, {k: v.copy() for k, v in built.feeds.items()})
    except Exception as exc:  # reported with the case
        return f"running with unknown dims: {type(exc).__name__}: {str(exc)[:300]}"
    want = known.graph.run(known.fetches, {k: v.copy() for k, v in known.feeds.items()})
    for name, a, b in zip(built.fetches, got, want, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return f"{name}: {a.dtype}{a.shape} with unknown dims, {b.dtype}{b.shape} with known"
        if b.dtype.kind not in "fc":
            if not np.array_equal(a, b):
                return f"{name}: values differ"
            continue
        finite = np.abs(b[np.isfinite(b)])
        tol = _ULPS * np.finfo(b.dtype).eps
        atol = tol * float(finite.max()) if finite.size else 0.0
        try:
            np.testing.assert_allclose(a, b, rtol=tol, atol=atol, equal_nan=True)
        except AssertionError as exc:
            return f"{name}: values differ: {str(exc).strip()[:400]}"
    return None


@dataclass
class Survey:
    classes: set[type]
    covered: dict[type, str] = field(default_factory=dict)  # class -> case label
    declared: dict[type, str] = field(default_factory=dict)  # class -> save_unsupported
    failures: list[str] = field(default_factory=list)
    fallbacks: dict[str, list[str]] = field(default_factory=dict)  # case label -> what failed
    mismatches: dict[str, str] = field(default_factory=dict)  # case label -> unknown vs known
    cases: int = 0
    saved: int = 0


@functools.cache
def survey() -> Survey:
    result = Survey(library_function_classes())
    for case in [*harness_cases(), *EXTRA_CASES]:
        result.cases += 1
        try:
            built = build(case)
        except Exception as exc:  # a case that cannot be built is reported
            result.failures.append(f"{case.label}: building: {type(exc).__name__}: {exc}")
            continue
        if built.fallbacks:
            result.fallbacks[case.label] = built.fallbacks
        elif case.inputs and case.symbolic_dims:
            why = compare_known_dims(built)
            if why is not None:
                result.mismatches[case.label] = why
        if case.save_unsupported is not None:
            for cls in built.classes:
                result.declared.setdefault(cls, case.save_unsupported)
            continue
        if built.classes <= result.covered.keys():
            continue
        try:
            round_trip(built)
        except Exception as exc:  # every failure is listed
            result.failures.append(f"{case.label}: {type(exc).__name__}: {exc}")
            continue
        result.saved += 1
        for cls in built.classes:
            result.covered.setdefault(cls, f"{case.label} (order {built.order})")
    return result


# ------------------------------------------------------------------ tests
def test_registry_holds_every_function_class():
    """Loading can only rebuild what the registry knows: every library class must be in it."""
    registry = serialize.function_classes()
    missing = sorted(
        serialize.class_key(c) for c in library_function_classes() if c not in registry.values()
    )
    assert not missing, f"Function classes the serialize registry cannot load: {missing}"


def test_every_function_class_round_trips_or_is_listed():
    result = survey()
    keys = {serialize.class_key(c): c for c in result.classes}
    sources = {p: p.read_text() for p in (ROOT / "src" / "nnfunc").rglob("*.py")}
    problems = [f"round trip failed: {f}" for f in result.failures]
    for key in sorted(NOT_SAVED):
        if key not in keys:
            problems.append(f"NOT_SAVED lists {key}, which is not a library Function class")
        elif keys[key] in result.covered:
            problems.append(
                f"NOT_SAVED lists {key}, but {result.covered[keys[key]]} saved it: remove it"
            )
    for key, cls in sorted(keys.items()):
        if cls in result.covered or key in NOT_SAVED or _is_abstract_base(cls, sources):
            continue
        why = result.declared.get(cls)
        problems.append(
            f"{key} is in no saved graph"
            + (f" (its case declares save_unsupported={why!r})" if why else "")
            + ": add a case (EXTRA_CASES), fix its save, or list it in NOT_SAVED with the reason"
        )
    assert not problems, "\n".join(problems)


def test_graphs_build_with_unknown_dims_and_match_known_dims():
    """Every case builds with its unknown dimensions up to its derivative order (or is listed in
    GRAPH_FALLBACKS with the reason) and runs to the values of the graph with known ones."""
    result = survey()
    problems = []
    for label, what in sorted(result.fallbacks.items()):
        if label not in GRAPH_FALLBACKS:
            problems.append(
                f"{label}: needs a fallback to build its graph ({'; '.join(what)}): fix the "
                "Function (no None in a shape: -1, sizes from the run, a graph variable as the "
                "target) or list the case in GRAPH_FALLBACKS with the reason"
            )
        for line in what:
            kind = line.split(": ", 2)[1]
            if not issubclass(getattr(nf, kind, object), nf.NNFuncError):
                problems.append(f"{label}: raises a raw {kind} ({line}): the library never does")
    for label in sorted(GRAPH_FALLBACKS.keys() - result.fallbacks.keys()):
        problems.append(f"GRAPH_FALLBACKS lists {label!r}, which builds now: remove it")
    for label, why in sorted(result.mismatches.items()):
        problems.append(f"{label}: the graph with unknown dims differs from known dims: {why}")
    assert not problems, "\n".join(problems)


def _report() -> None:
    result = survey()
    sources = {p: p.read_text() for p in (ROOT / "src" / "nnfunc").rglob("*.py")}
    rows = []
    for cls in sorted(result.classes, key=serialize.class_key):
        key = serialize.class_key(cls)
        if cls in result.covered:
            status = f"saved: {result.covered[cls]}"
        elif key in NOT_SAVED:
            status = f"NOT_SAVED: {NOT_SAVED[key]}"
        elif _is_abstract_base(cls, sources):
            status = "abstract base"
        else:
            status = "UNCOVERED" + (
                f" (declared: {result.declared[cls]})" if cls in result.declared else ""
            )
        rows.append((key, status))
    for key, status in rows:
        print(f"{key}\t{status}")
    counts = collections.Counter(re.match(r"[A-Za-z_ ]+", status)[0] for _, status in rows)
    print(
        f"\n{len(rows)} Function classes; {dict(counts)}; "
        f"{result.cases} cases, {result.saved} graphs saved"
    )
    for f in result.failures:
        print("FAILURE", f)
    for label, why in result.mismatches.items():
        print("MISMATCH", label, why)
    if "-v" in sys.argv:
        for label, what in result.fallbacks.items():
            print("FALLBACK", label, *what, sep="\n  ")
    else:
        print(f"{len(result.fallbacks)} cases built with fewer derivatives or known dims (-v)")


if __name__ == "__main__":
    _report()
