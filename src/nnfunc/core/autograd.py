"""Reverse-mode differentiation over the tape (eager) or the graph (symbolic)."""

from __future__ import annotations

import contextlib
import heapq
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from nnfunc.core._state import STATE
from nnfunc.core.function import _FREED, Function
from nnfunc.core.spec import TensorSpec
from nnfunc.core.variable import Variable
from nnfunc.errors import ArgumentError, GraphError

__all__ = ["backward", "enable_grad", "grad", "is_grad_enabled", "no_grad"]


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context manager under which operations on Variables are not recorded.

    Returns:
        A context manager.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = nf.Variable(np.ones(2), requires_grad=True)
        >>> with nf.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """
    previous = STATE.grad_enabled
    STATE.grad_enabled = False
    try:
        yield
    finally:
        STATE.grad_enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Context manager that turns recording back on inside :func:`no_grad`.

    Returns:
        A context manager.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = nf.Variable(np.ones(2), requires_grad=True)
        >>> with nf.no_grad(), nf.enable_grad():
        ...     (x * 2).requires_grad
        True
    """
    previous = STATE.grad_enabled
    STATE.grad_enabled = True
    try:
        yield
    finally:
        STATE.grad_enabled = previous


def is_grad_enabled() -> bool:
    """Whether operations on Variables are currently recorded.

    Returns:
        bool.

    Examples:
        >>> import nnfunc as nf
        >>> nf.is_grad_enabled()
        True
    """
    return STATE.grad_enabled


class _FillLike(Function):
    """A tensor of the shape and dtype of ``x`` filled with a constant (no gradient)."""

    op_name = "fill_like"

    def __init__(self, value: float) -> None:
        self.value = value

    def setup(self, x: Any) -> tuple[TensorSpec, ...]:
        return (TensorSpec(tuple(x.shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any) -> tuple[Any, ...]:
        return (xp.full(x.shape, self.value, dtype=x.dtype),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


def _fill_like(ref: Any, value: float, shape: Any = None, dtype: Any = None) -> Any:
    if getattr(ref, "_is_symbolic", False):
        return _FillLike(value).apply1(ref)
    return Variable._wrap(np.full(shape, value, dtype=dtype), False)


def _output_grads(func: Function, grads: dict[Any, Any], wanted: set[Any] | None) -> Any:
    """The upstream gradients of ``func``'s outputs (zeros where an output has none), taken out
    of ``grads`` unless ``wanted``; None when no output has one."""
    gys: list[Any] = []
    for ref in func.outputs:
        node = ref()
        g = None
        if node is not None:
            g = grads.get(node) if wanted is not None and node in wanted else None
            if g is None:
                g = grads.pop(node, None)
        gys.append(g)
    if all(g is None for g in gys):
        return None
    symbolic = getattr(func, "_symbolic", False)
    for i, g in enumerate(gys):
        if g is None:
            if symbolic:
                gys[i] = _fill_like(func.outputs[i](), 0.0)
            else:
                shape, dtype = func._out_specs[i]
                gys[i] = _fill_like(None, 0.0, shape, dtype)
    return tuple(gys)


def _grad_bug(func: Function, i: int, g: Any) -> AssertionError:
    spec = func._in_specs[i]
    return AssertionError(
        f"Function `{type(func).__name__}` has a bug: the gradient of input "
        f"{i} has shape {g.data.shape} and dtype {g.data.dtype}, the input "
        f"{spec.shape} and {spec.dtype}."
    )


def _leading_to(roots: Sequence[tuple[Any, Any]], wanted: set[Any]) -> set[Any]:
    """The nodes whose gradient reaches a ``wanted`` node: the wanted nodes and every node whose
    creator has such an input (an iterative post-order walk up from the roots; the graph is a
    DAG, so an input is always finished before the node that reads it)."""
    useful: set[Any] = set()
    seen: set[Any] = set()
    stack: list[tuple[Any, bool]] = [(node, False) for node, _ in roots]
    while stack:
        node, done = stack.pop()
        creator = node.creator
        if done:
            if node in wanted:
                useful.add(node)
            elif creator is not None:
                for x in creator.inputs:
                    if x is not None and x in useful:
                        useful.add(node)
                        break
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        if creator is not None:
            for x in creator.inputs:
                if x is not None and x not in seen:
                    stack.append((x, False))
    return useful


def _backprop(
    roots: Sequence[tuple[Any, Any]],
    wanted: set[Any] | None,
    retain_graph: bool,
    create_graph: bool,
) -> dict[Any, Any]:
    """Propagate ``roots`` (node, gradient) pairs backward; return the gradients by node.

    Functions run in decreasing rank (a heap), so each runs once, after every consumer of its
    outputs. The loop is the per-node overhead of backward(): single-output functions take their
    upstream gradient inline, eager gradients are checked inline, and a gradient summed from two
    contributions (a fresh array nobody else holds) takes further contributions in place unless
    the pass is recorded (``create_graph``).
    """
    grads: dict[Any, Any] = {}
    owned: set[Any] = set()  # nodes whose gradient array was made here by a sum: in place is safe
    heap: list[tuple[int, int, Function]] = []
    queued: set[int] = set()
    count = 0
    push = heapq.heappush
    pop = heapq.heappop

    for node, g in roots:
        grads[node] = g if node not in grads else grads[node] + g
        func = node.creator
        if func is not None and id(func) not in queued:
            queued.add(id(func))
            push(heap, (-func.rank, count, func))
            count += 1

    # grad(ys, xs): only the inputs whose gradient reaches an x are targets (a weight's
    # gradient is not computed when only the input's is asked for); backward(): every leaf
    useful = None if wanted is None else _leading_to(roots, wanted)
    previous = STATE.grad_enabled
    STATE.grad_enabled = create_graph
    try:
        while heap:
            func = pop(heap)[2]
            if func._freed:
                raise GraphError(_FREED)
            outputs = func.outputs
            if len(outputs) == 1:
                node = outputs[0]()
                if node is None:
                    continue
                g = grads.get(node) if wanted is not None and node in wanted else None
                if g is None:
                    g = grads.pop(node, None)
                    if g is None:
                        continue
                gys = (g,)
            else:
                gys = _output_grads(func, grads, wanted)
                if gys is None:
                    continue
            symbolic = getattr(func, "_symbolic", False)
            inputs = func.inputs
            targets = []
            for i, node in enumerate(inputs):
                if node is not None and node.requires_grad and (useful is None or node in useful):
                    targets.append(i)
            targets = tuple(targets)
            gxs = func.backward(targets, gys)
            if not isinstance(gxs, (tuple, list)):
                gxs = (gxs,)
            for i in targets:
                g = gxs[i]
                if g is None:
                    continue
                node = inputs[i]
                if not symbolic:  # an eager gradient: a Variable of the input's shape and dtype
                    if type(g) is not Variable and not isinstance(g, Variable):
                        g = Variable._wrap(np.asarray(g), False)
                    meta = func._in_meta
                    shape = meta[2 * i]
                    dtype = meta[2 * i + 1]
                    d = g.data
                    if d.shape != shape or (d.dtype is not dtype and d.dtype != dtype):
                        raise _grad_bug(func, i, g)
                prev = grads.get(node)
                if prev is None:
                    grads[node] = g
                elif node in owned:
                    acc = prev.data
                    acc += g.data
                else:
                    grads[node] = prev + g
                    # (create_graph read only here, as the sum itself reads it: no stricter)
                    if not symbolic and not create_graph:
                        owned.add(node)
                creator = node.creator
                if creator is not None and id(creator) not in queued:
                    queued.add(id(creator))
                    push(heap, (-creator.rank, count, creator))
                    count += 1
            if not retain_graph:
                func._free()
    finally:
        STATE.grad_enabled = previous
    return grads


def _as_grad(value: Any, ref: Variable, op: str, arg: str) -> Variable:
    data = value.data if isinstance(value, Variable) else np.asarray(value, dtype=ref.dtype)
    if data.shape != ref.shape:
        raise ArgumentError(
            f"{op}: `{arg}` must have the shape of the output; "
            f"received {arg}.shape={data.shape}, output.shape={ref.shape}."
        )
    if isinstance(value, Variable):
        return value
    return Variable._wrap(data.astype(ref.dtype, copy=False), False)


def backward(
    output: Variable,
    grad: Any = None,
    *,
    retain_graph: bool = False,
    create_graph: bool = False,
) -> None:
    """Accumulate d(output)/d(leaf) into the ``.grad`` of every leaf Variable.

    See :meth:`nnfunc.Variable.backward`.
    """
    if not output.requires_grad:
        raise GraphError(
            "backward: the output must depend on a Variable with requires_grad=True; "
            "received an output that requires no gradient."
        )
    if grad is None:
        if output.size != 1:
            raise ArgumentError(
                "backward: `grad` must be given for an output with more than one element; "
                f"received grad=None, output.shape={output.shape}."
            )
        g = Variable._wrap(np.ones(output.shape, dtype=output.dtype), False)
    else:
        g = _as_grad(grad, output, "backward", "grad")
    grads = _backprop([(output.node(), g)], None, retain_graph or create_graph, create_graph)
    previous = STATE.grad_enabled
    STATE.grad_enabled = create_graph
    try:
        for node, g in grads.items():
            if node.creator is not None or not node.requires_grad:
                continue
            var = node.var_ref()
            if var is None:
                continue
            if not create_graph and g.requires_grad:
                g = g.detach()
            var._grad = g if var._grad is None else var._grad + g
    finally:
        STATE.grad_enabled = previous


def _as_list(arg: str, value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ArgumentError(
        f"grad: `{arg}` must be a Variable or a list of them; received {arg}={value!r}."
    )


def grad(
    outputs: Variable | Sequence[Variable],
    inputs: Variable | Sequence[Variable],
    grad_outputs: Any = None,
    *,
    create_graph: bool = False,
    retain_graph: bool | None = None,
) -> list[Variable]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated.

    Args:
        outputs: A Variable or a sequence of Variables to differentiate (their gradients are
            summed).
        inputs: A Variable or a sequence of Variables to differentiate with respect to (leaves
            or intermediate results).
        grad_outputs: Gradients of the final objective with respect to ``outputs`` (one per
            output, ``None`` for ones); required for outputs with more than one element.
        create_graph (bool): Record the computation of the gradients so that they can be
            differentiated again (higher-order derivatives).
        retain_graph (bool, optional): Keep the graph for another pass; defaults to
            ``create_graph``.

    Returns:
        list of Variable: one gradient per input, with the input's shape and dtype; an input
        that does not influence the outputs gets zeros. ``.grad`` attributes are not touched.

    Raises:
        ArgumentError: a ``grad_outputs`` entry is missing for a non-scalar output or has the
            wrong shape.
        GraphError: the graph was freed by an earlier backward pass.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
        >>> (g,) = nf.grad(nf.sum(x ** 3), x, create_graph=True)
        >>> (gg,) = nf.grad(nf.sum(g), x)
        >>> gg
        Variable([ 6., 12.])
    """
    outs = [outputs] if isinstance(outputs, Variable) else _as_list("outputs", outputs)
    ins = [inputs] if isinstance(inputs, Variable) else _as_list("inputs", inputs)
    for i, v in enumerate(outs + ins):
        if not isinstance(v, Variable):
            arg = "outputs" if i < len(outs) else "inputs"
            raise ArgumentError(
                f"grad: `{arg}` must be Variables; received {arg}={type(v).__name__}."
            )
    if grad_outputs is None or isinstance(grad_outputs, (Variable, np.ndarray)):
        gos = [grad_outputs] * len(outs) if len(outs) == 1 or grad_outputs is None else None
        if gos is None:
            raise ArgumentError(
                "grad: `grad_outputs` must be a sequence with one entry per output; "
                f"received {len(outs)} outputs."
            )
    else:
        gos = _as_list("grad_outputs", grad_outputs)
        if len(gos) != len(outs):
            raise ArgumentError(
                "grad: `grad_outputs` must have one entry per output; received "
                f"{len(gos)} entries for {len(outs)} outputs."
            )
    roots = []
    for o, go in zip(outs, gos, strict=True):
        if not o.requires_grad:
            continue
        if go is None:
            if o.size != 1:
                raise ArgumentError(
                    "grad: `grad_outputs` must be given for an output with more than one "
                    f"element; received grad_outputs=None, output.shape={o.shape}."
                )
            go = Variable._wrap(np.ones(o.shape, dtype=o.dtype), False)
        else:
            go = _as_grad(go, o, "grad", "grad_outputs")
        roots.append((o.node(), go))
    nodes = [v.node() for v in ins]
    keep = create_graph if retain_graph is None else retain_graph
    grads = _backprop(roots, set(nodes), keep, create_graph) if roots else {}
    result = []
    for v, node in zip(ins, nodes, strict=True):
        g = grads.get(node)
        if g is None:
            g = Variable._wrap(np.zeros(v.shape, dtype=v.dtype), False)
        elif not create_graph and g.requires_grad:
            g = g.detach()
        result.append(g)
    return result
