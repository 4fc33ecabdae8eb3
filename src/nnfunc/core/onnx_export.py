"""``Graph.export_onnx``: a graph as an ONNX model, op by op, from one registry.

Every exportable op has one entry in :data:`EXPORTERS`, keyed by the op name its Function
reports (``Function.op_name``, the canonical function name: stable when classes move between
modules, and shared by the classes that compute one op). An entry turns one applied node into
ONNX nodes; it reads the node's options after ``setup`` normalised them (axes made non-negative,
pads resolved) and may add initializers. An entry also carries a *sample*: a small graph using
the op, from which the tests export, run ONNX Runtime and compare with :meth:`Graph.run`, so a
new entry is tested the day it is added. A node whose op has no entry raises
``UnsupportedError`` naming the node and the op (and, for an op in
:data:`NO_ONNX_EQUIVALENT`, why ONNX cannot express it).

Every op of the library is either in :data:`EXPORTERS` or in :data:`NO_ONNX_EQUIVALENT` with
its reason (``tests/export/test_onnx_coverage.py`` enumerates the ops), so a new op has to
choose. Some entries read a Function's resolved attributes (``axes``, ``pads``, ``geom``,
``lay``...) or reuse its module's own index plans (``source_plan``, ``_plan``, ``partition``)
through ``sys.modules`` at export time: core never imports ``functions/``.

``onnx`` is imported when a graph is exported, never by ``import nnfunc`` (``pip install
"nnfunc[onnx]"``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnfunc.errors import UnsupportedError

__all__ = ["DEFAULT_OPSET", "EXPORTERS", "NO_ONNX_EQUIVALENT", "Exporter", "export_onnx", "onnx_op"]

DEFAULT_OPSET = 17


@dataclass(frozen=True)
class Exporter:
    """How one op becomes ONNX nodes, and a sample graph that uses it.

    ``convert(ctx, func, inputs, outputs)`` adds nodes through ``ctx``; ``inputs``/``outputs``
    are ONNX value names (``""`` for an absent optional input). ``sample(F, *placeholders)``
    builds the op with the canonical functions ``F`` on placeholders of ``shapes`` (float32) for
    the tests.
    """

    convert: Callable[..., None]
    sample: Callable[..., Any]
    shapes: tuple[tuple[int, ...], ...]
    min_opset: int = 13


EXPORTERS: dict[str, Exporter] = {}


def onnx_op(
    *names: str,
    sample: Callable[..., Any],
    shapes: Sequence[Sequence[int]] = ((2, 3, 4),),
    min_opset: int = 13,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the converter of the ops ``names`` (with a sample graph for the tests)."""

    def register(convert: Callable[..., None]) -> Callable[..., None]:
        for name in names:
            EXPORTERS[name] = Exporter(convert, sample, tuple(tuple(s) for s in shapes), min_opset)
        return convert

    return register


class _Context:
    """What converters use: make nodes and initializers with unique names."""

    def __init__(self, onnx: Any, opset: int) -> None:
        self.onnx = onnx
        self.helper = onnx.helper
        self.opset = opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._n = 0

    def fresh(self, base: str) -> str:
        self._n += 1
        return f"{base}__{self._n}"

    def node(self, op: str, inputs: Sequence[str], outputs: Sequence[str], **attrs: Any) -> None:
        self.nodes.append(
            self.helper.make_node(op, list(inputs), list(outputs), name=self.fresh(op), **attrs)
        )

    def const(self, value: Any, dtype: Any = None, base: str = "const") -> str:
        arr = np.asarray(value, dtype=dtype)
        name = self.fresh(base)
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def tmp(self, base: str = "t") -> str:
        return self.fresh(base)


def _elem_type(onnx: Any, dtype: Any) -> int:
    return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def export_onnx(graph: Any, path: Any, fetches: Any, opset: int = DEFAULT_OPSET) -> Any:
    """Write the part of ``graph`` that ``fetches`` need as an ONNX model (see Graph.export_onnx).

    Returns the ``onnx.ModelProto`` (also written to ``path`` unless it is None).
    """
    try:
        import onnx  # optional dependency, imported when a graph is exported
    except ImportError:
        raise UnsupportedError(
            "export_onnx: the `onnx` package must be installed (pip install 'nnfunc[onnx]')."
        ) from None
    single = not isinstance(fetches, (list, tuple))
    targets = [graph._lookup(f) for f in ([fetches] if single else fetches)]
    needed: list[Any] = []
    seen: set[int] = set()
    stack = list(targets)
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        needed.append(v)
        if v.creator is not None:
            stack.extend(i for i in v.creator.inputs if i is not None)
    ctx = _Context(onnx, opset)
    inputs, done = [], set()
    for v in graph._order:
        if id(v) not in seen:
            continue
        if v.kind == "placeholder":
            dims = [d if d is not None else f"{v.name}_dim{i}" for i, d in enumerate(v.shape)]
            inputs.append(
                onnx.helper.make_tensor_value_info(v.name, _elem_type(onnx, v.dtype), dims)
            )
        elif v.kind in ("parameter", "constant"):
            arr = np.asarray(graph._values[v.name])
            ctx.initializers.append(onnx.numpy_helper.from_array(arr, v.name))
        else:
            func = v.creator
            if id(func) in done:
                continue
            done.add(id(func))
            exporter = EXPORTERS.get(func.op_name)
            if exporter is None:
                why = NO_ONNX_EQUIVALENT.get(func.op_name)
                raise UnsupportedError(
                    f"export_onnx: node {func.name!r} uses op {func.op_name!r}, which has no "
                    "ONNX mapping" + (f": {why}." if why else ".")
                )
            if opset < exporter.min_opset:
                raise UnsupportedError(
                    f"export_onnx: node {func.name!r} (op {func.op_name!r}) needs opset >= "
                    f"{exporter.min_opset}; received opset={opset}."
                )
            ins = ["" if i is None else i.name for i in func.inputs]
            outs = [o().name if o() is not None else ctx.tmp("unused") for o in func.outputs]
            exporter.convert(ctx, func, ins, outs)
    outputs = [
        onnx.helper.make_tensor_value_info(
            t.name,
            _elem_type(onnx, t.dtype),
            [d if d is not None else None for d in t.shape],
        )
        for t in targets
    ]
    g = onnx.helper.make_graph(ctx.nodes, graph.name, inputs, outputs, ctx.initializers)
    model = onnx.helper.make_model(
        g, opset_imports=[onnx.helper.make_opsetid("", opset)], producer_name="nnfunc"
    )
    model.ir_version = min(model.ir_version, 9)  # readable by current ONNX Runtime releases
    onnx.checker.check_model(model)
    if path is not None:
        onnx.save(model, os.fspath(path) if not hasattr(path, "write") else path)
    return model


# ====================================================================== the mapping
# Each sample takes the canonical functions' namespace first (``nnfunc.functions``: core never
# imports it) and the placeholders after.
_UNARY = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "exp": "Exp",
    "log": "Log",
    "abs": "Abs",
    "neg": "Neg",
    "sin": "Sin",
    "cos": "Cos",
    "tan": "Tan",
    "asin": "Asin",
    "acos": "Acos",
    "atan": "Atan",
    "sinh": "Sinh",
    "cosh": "Cosh",
    "asinh": "Asinh",
    "acosh": "Acosh",
    "atanh": "Atanh",
    "floor": "Floor",
    "ceil": "Ceil",
    "softsign": "Softsign",
    "identity": "Identity",
}
# inputs inside each function's domain, so ONNX Runtime and NumPy agree on values, not NaNs
_DOMAIN = {
    "log": "pos",
    "sqrt": "pos",
    "acosh": "gt1",
    "asin": "unit",
    "acos": "unit",
    "atanh": "unit",
}


def _unary(onnx_op_name: str) -> Callable[..., None]:
    def convert(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
        src, dst = _in_dtype(func, 0), _out_dtype(func)
        if onnx_op_name in ("Floor", "Ceil", "Round") and src.kind != "f":
            ctx.node("Identity", [_as(ctx, ins[0], src, dst)], outs)  # integers stay as they are
            return
        # integer and bool inputs are promoted to the output's float dtype, as nnfunc does
        ctx.node(onnx_op_name, [_as(ctx, ins[0], src, dst)], outs)

    return convert


def _unary_sample(name: str) -> Callable[..., Any]:
    def sample(F: Any, x: Any) -> Any:
        kind = _DOMAIN.get(name)
        if kind == "pos":
            x = F.exp(x)
        elif kind == "gt1":
            x = F.add(F.exp(x), 1.0)
        elif kind == "unit":
            x = F.tanh(x) * 0.9
        return getattr(F, name)(x, name="out")

    return sample


for _name, _op in _UNARY.items():
    onnx_op(_name, sample=_unary_sample(_name))(_unary(_op))

_BINARY = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "maximum": "Max",
           "minimum": "Min"}  # fmt: skip


def _binary(op: str) -> Callable[..., None]:
    def convert(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
        # nnfunc promotes mixed dtypes (float32 * int64 -> its output dtype), ONNX wants one
        ctx.node(op, _inputs_as(ctx, func, ins[:2], _out_dtype(func)), outs)

    return convert


for _name, _op in _BINARY.items():
    onnx_op(
        _name,
        sample=(lambda n: lambda F, a, b: getattr(F, n)(a, b, name="out"))(_name),
        shapes=((2, 3, 4), (3, 4)),
    )(_binary(_op))


@onnx_op("pow", sample=lambda F, a, b: F.pow(F.exp(a), b, name="out"), shapes=((2, 3), (2, 3)))
def _pow(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    ctx.node("Pow", ins[:2], outs)


@onnx_op("matmul", sample=lambda F, a, b: F.matmul(a, b, name="out"), shapes=((2, 3, 4), (4, 5)))
def _matmul(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    ctx.node("MatMul", ins[:2], outs)


def _matmul_grad_sample(F: Any, a: Any, b: Any, w: Any, x: Any) -> Any:
    ga, gb = a.graph.grad(F.sum(F.mul(F.matmul(a, b), w)), [a, b])
    gx, gb2 = a.graph.grad(F.sum(F.matmul(x, b)), [x, b])  # batched x @ matrix
    return F.add(F.add(F.sum(ga), F.sum(gb)), F.add(F.sum(gx), F.sum(gb2)), name="out")


@onnx_op("matmul_grad", sample=_matmul_grad_sample, shapes=((3, 4), (4, 5), (3, 5), (2, 3, 4)))
def _matmul_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Both gradients of a product without broadcasting, or of a batch times a matrix:
    ``gy b^T`` and ``a^T gy`` (the batch rows flattened into one matrix for the latter)."""
    ra, rb = _rank(func, 0), _rank(func, 1)
    gy = _as(ctx, ins[2], _in_dtype(func, 2), _in_dtype(func, 0))
    a = ins[0]
    bt, at = ctx.tmp(), ctx.tmp()
    ctx.node("Transpose", [ins[1]], [bt], perm=list(range(rb - 2)) + [rb - 1, rb - 2])
    ctx.node("MatMul", [gy, bt], [outs[0]])
    if ra > rb:  # (..., M, K) -> (rows, K), (..., M, N) -> (rows, N)
        a2, g2 = ctx.tmp(), ctx.tmp()
        ctx.node("Flatten", [a], [a2], axis=ra - 1)
        ctx.node("Flatten", [gy], [g2], axis=ra - 1)
        a, gy = a2, g2
        ra = 2
    ctx.node("Transpose", [a], [at], perm=list(range(ra - 2)) + [ra - 1, ra - 2])
    ctx.node("MatMul", [at, gy], [outs[1]])


@onnx_op("leaky_relu", sample=lambda F, x: F.leaky_relu(x, 0.15, name="out"))
def _leaky_relu(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    ctx.node("LeakyRelu", ins[:1], outs, alpha=float(func.slope))


@onnx_op("elu", sample=lambda F, x: F.elu(x, 0.7, name="out"))
def _elu(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    if float(getattr(func, "scale", 1.0)) != 1.0:
        raise UnsupportedError(
            f"export_onnx: node {func.name!r} (elu with a scale) has no ONNX mapping."
        )
    ctx.node("Elu", ins[:1], outs, alpha=float(func.alpha))


@onnx_op("selu", sample=lambda F, x: F.selu(x, name="out"))
def _selu(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    ctx.node("Selu", ins[:1], outs, alpha=float(func.alpha), gamma=float(func.scale))


@onnx_op("softplus", sample=lambda F, x: F.softplus(x, name="out"))
def _softplus(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    beta = float(getattr(func, "beta", 1.0))
    if beta == 1.0:
        ctx.node("Softplus", ins[:1], outs)
        return
    scaled, sp = ctx.tmp(), ctx.tmp()
    b = ctx.const(beta, np.float32)
    ctx.node("Mul", [ins[0], b], [scaled])
    ctx.node("Softplus", [scaled], [sp])
    ctx.node("Div", [sp, b], outs)


def _masked_softmax_sample(F: Any, x: Any, m: Any) -> Any:
    keep = F.greater(m, -0.5)  # some rows of the mask are all False
    return F.add(F.add(F.softmax(x, axis=1), F.softmax(x, axis=-1, where=keep)),
                 F.log_softmax(x, axis=-1, where=keep), name="out")  # fmt: skip


@onnx_op("softmax", "log_softmax", sample=_masked_softmax_sample, shapes=((2, 3, 4), (3, 4)))
def _softmax(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Softmax/LogSoftmax; with a ``where`` mask, nnfunc's rule: masked entries count as
    -inf, a fully masked slice gives 0, log_softmax writes 0 at the masked entries."""
    log = func.op_name == "log_softmax"
    ax = int(func.ax)
    dt = _out_dtype(func)
    x = _as(ctx, ins[0], _in_dtype(func, 0), dt)
    mask = ins[1] if len(ins) > 1 else ""
    if not mask:
        ctx.node("LogSoftmax" if log else "Softmax", [x], outs, axis=ax)
        return
    xm, mx, inf, seen, ms, sh, e, se, zero, den = (ctx.tmp() for _ in range(10))
    ctx.node("Where", [mask, x, ctx.const(-np.inf, dt)], [xm])
    _axes_node(ctx, "ReduceMax", xm, [ax], mx, 1)
    ctx.node("Equal", [mx, ctx.const(-np.inf, dt)], [inf])  # (IsInf has no float16 form)
    ctx.node("Not", [inf], [seen])
    ctx.node("Where", [seen, mx, ctx.const(0.0, dt)], [ms])
    ctx.node("Sub", [xm, ms], [sh])
    ctx.node("Exp", [sh], [e])
    _axes_node(ctx, "ReduceSum", e, [ax], se, 1)
    ctx.node("Equal", [se, ctx.const(0.0, dt)], [zero])
    ctx.node("Where", [zero, ctx.const(1.0, dt), se], [den])
    if log:  # 0 at the masked entries, as nnfunc writes
        lg, z = ctx.tmp(), ctx.tmp()
        ctx.node("Log", [den], [lg])
        ctx.node("Sub", [sh, lg], [z])
        ctx.node("Where", [mask, z, ctx.const(0.0, dt)], outs)
    else:
        ctx.node("Div", [e, den], outs)


def _reduce(op: str) -> Callable[..., None]:
    def convert(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
        axes = [int(a) for a in func.axes]
        keep = int(bool(func.keepdims))
        # nnfunc accumulates small integers and bools in its output dtype (int64, float32...)
        x = _as(ctx, ins[0], _in_dtype(func, 0), _out_dtype(func))
        if not axes:
            ctx.node("Identity", [x], outs)
        elif op == "ReduceSum" or ctx.opset >= 18:
            ctx.node(op, [x, ctx.const(axes, np.int64)], outs, keepdims=keep)
        else:
            ctx.node(op, [x], outs, axes=axes, keepdims=keep)

    return convert


onnx_op("sum", sample=lambda F, x: F.sum(x, axis=(0, 2), keepdims=True, name="out"))(
    _reduce("ReduceSum")
)
onnx_op("mean", sample=lambda F, x: F.mean(x, axis=1, name="out"))(_reduce("ReduceMean"))


@onnx_op("reshape", sample=lambda F, x: F.reshape(x, (-1, 4), name="out"))
def _reshape(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    if len(ins) > 1 and ins[1]:  # to the shape of a reference tensor (backward passes)
        shape = ctx.tmp()
        ctx.node("Shape", [ins[1]], [shape])
        ctx.node("Reshape", [ins[0], shape], outs)
        return
    shape = [int(s) for s in func.shape]
    ctx.node("Reshape", [ins[0], ctx.const(shape, np.int64)], outs)


@onnx_op("transpose", sample=lambda F, x: F.transpose(x, (2, 0, 1), name="out"))
def _transpose(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    ctx.node("Transpose", ins[:1], outs, perm=[int(a) for a in func.axes])


@onnx_op("expand_dims", sample=lambda F, x: F.expand_dims(x, 1, name="out"))
def _expand_dims(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    axis = func.axis if isinstance(func.axis, (tuple, list)) else (func.axis,)
    rank = len(func.input_spec(0).shape) + len(axis) if hasattr(func, "_in_specs") else None
    axes = [int(a) + (rank if a < 0 and rank else 0) for a in axis]
    ctx.node("Unsqueeze", [ins[0], ctx.const(axes, np.int64)], outs)


@onnx_op("squeeze", sample=lambda F, x: F.squeeze(F.expand_dims(x, 0), 0, name="out"))
def _squeeze(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    axis = func.axis
    if axis is None:
        ctx.node("Squeeze", ins[:1], outs)
        return
    axes = [int(a) for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    ctx.node("Squeeze", [ins[0], ctx.const(axes, np.int64)], outs)


@onnx_op("cast", sample=lambda F, x: F.cast(x, np.float64, name="out"))
def _cast(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    ctx.node("Cast", ins[:1], outs, to=_elem_type(ctx.onnx, func.dtype))


@onnx_op(
    "concatenate",
    sample=lambda F, a, b: F.concatenate([a, b], axis=1, name="out"),
    shapes=((2, 3, 4), (2, 5, 4)),
)
def _concatenate(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    rank = len(func.input_spec(0).shape)
    ctx.node("Concat", ins, outs, axis=int(func.axis) % rank)


def _conv_attrs(func: Any) -> dict[str, Any]:
    pads = [int(p[0]) for p in func.pads] + [int(p[1]) for p in func.pads]
    return {
        "strides": [int(s) for s in func.stride],
        "dilations": [int(d) for d in func.dilation],
        "pads": pads,
        "group": int(func.groups),
    }


def _channel_first(
    ctx: _Context, channel_last: bool, rank: int, x: str, out: str, emit: Callable[..., None]
) -> None:
    """``emit(x, out)`` of a channel-first ONNX op, between Transposes for channel-last data."""
    if not channel_last:
        emit(x, out)
        return
    t, o = ctx.tmp(), ctx.tmp()
    ctx.node("Transpose", [x], [t], perm=[0, rank - 1, *range(1, rank - 1)])
    emit(t, o)
    ctx.node("Transpose", [o], [out], perm=[0, *range(2, rank), 1])


def _nchw(F: Any, x: Any) -> Any:
    """A channel-first 4-D sample tensor seen channel-last."""
    return F.transpose(x, (0, 2, 3, 1))


@onnx_op(
    "conv",
    sample=lambda F, x, w: F.add(
        F.conv(x, w, pad=1, stride=(1, 2)),
        F.transpose(F.conv(_nchw(F, x), w, pad=1, stride=(1, 2), channel_last=True), (0, 3, 1, 2)),
        name="out",
    ),
    shapes=((2, 3, 7, 6), (4, 3, 3, 3)),
)
def _conv(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Conv (any stride, padding, dilation, groups); channel-last between Transposes."""
    rest = [i for i in ins[1:] if i]
    _channel_first(ctx, func.channel_last, _rank(func), ins[0], outs[0],
                   lambda x, o: ctx.node("Conv", [x, *rest], [o], **_conv_attrs(func)))  # fmt: skip


onnx_op(
    "depthwise_conv",  # a Conv with one group per input channel
    sample=lambda F, x, w, b: F.depthwise_conv(
        _nchw(F, x), w, b, stride=2, pad=1, dilation=(1, 2), channel_last=True, name="out"
    ),
    shapes=((2, 3, 7, 6), (6, 1, 3, 2), (6,)),
)(_conv)


def _pool_attrs(geom: Any) -> dict[str, Any]:
    """The MaxPool / AveragePool attributes of a pooling geometry (``dilations`` only where
    it is not 1: AveragePool takes it from opset 19)."""
    pads = [int(p[0]) for p in geom.pads] + [int(p[1]) for p in geom.pads]
    attrs = {
        "kernel_shape": [int(k) for k in geom.kernel],
        "strides": [int(s) for s in geom.stride],
        "pads": pads,
    }
    # ignore_border=False keeps a last partial window: ONNX's ceil_mode, when the sizes say so
    ceil = False
    for n, k, s, d, (lo, hi), o in zip(geom.sizes, geom.kernel, geom.stride, geom.dilation,
                                       geom.pads, geom.out, strict=True):  # fmt: skip
        if n is None or o is None:
            continue
        span = int(n) + int(lo) + int(hi) - (int(k) - 1) * int(d) - 1
        if span // int(s) + 1 != int(o):
            if -(-span // int(s)) + 1 != int(o):
                raise UnsupportedError(
                    f"export_onnx: pooling with output size {o} (input {n}, kernel {k}, stride "
                    f"{s}, pads {(lo, hi)}) has no ONNX mapping."
                )
            ceil = True
    if ceil:
        attrs["ceil_mode"] = 1
    if any(d != 1 for d in geom.dilation):
        attrs["dilations"] = [int(d) for d in geom.dilation]
    return attrs


@onnx_op(
    "max_pool",
    sample=lambda F, x: F.add(
        F.max_pool(x, 2),
        F.transpose(F.max_pool(_nchw(F, x), 2, channel_last=True), (0, 3, 1, 2)),
        name="out",
    ),
    shapes=((2, 3, 6, 6),),
)
def _max_pool(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    geom = func.geom
    attrs = _pool_attrs(geom)
    dt = _in_dtype(func, 0)
    if dt.kind in "fc" or dt in (np.int8, np.uint8):
        _pool_layout(ctx, func, geom, ins[0], outs[0],
                     lambda x, o: ctx.node("MaxPool", [x], [o], **attrs))  # fmt: skip
        return
    # other integers (and bools): exactly through float64, which MaxPool takes
    wide, y = _as(ctx, ins[0], dt, np.float64), ctx.tmp()
    _pool_layout(ctx, func, geom, wide, y, lambda x, o: ctx.node("MaxPool", [x], [o], **attrs))
    ctx.node("Identity", [_as(ctx, y, np.float64, dt)], outs[:1])


@onnx_op(
    "avg_pool",
    "sum_pool",  # the average over the full window, times its size
    # ignore_border=False on a width of 6: a last partial window (ONNX's ceil_mode)
    sample=lambda F, x: F.add(
        F.add(
            F.avg_pool(x, 3, stride=2, pad=1, ignore_border=False), F.avg_pool(x, 2)[:, :, :1, :1]
        ),
        F.transpose(
            F.sum_pool(_nchw(F, x), 3, stride=2, pad=1, ignore_border=False, channel_last=True),
            (0, 3, 1, 2),
        ),
        name="out",
    ),
    shapes=((2, 3, 7, 6),),
)
def _avg_pool(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    geom = func.geom
    attrs = _pool_attrs(geom)
    if "dilations" in attrs and ctx.opset < 19:
        raise _unsupported(func, f"{func.op_name} with dilation below opset 19")
    total = func.op_name == "sum_pool"
    if total and _out_dtype(func).kind != "f":
        raise _unsupported(func, "sum_pool of integers (AveragePool takes floats)")
    include = 1 if total else int(bool(getattr(func, "_including_pad", True)))

    def emit(x: str, o: str) -> None:
        x = _as(ctx, x, _in_dtype(func, 0), _out_dtype(func))  # integers average as floats
        if not total:
            ctx.node("AveragePool", [x], [o], count_include_pad=include, **attrs)
            return
        # zeros padded explicitly (with room for a last partial window), then full windows
        # only: the average times the window size is the sum
        lows, highs = [], []
        dims = zip(geom.sizes, geom.kernel, geom.stride, geom.dilation, geom.pads, geom.out)
        for n, k, st, d, (lo, hi), out in dims:
            extra = 0
            if n is not None and out is not None:
                need = (int(out) - 1) * int(st) + (int(k) - 1) * int(d) + 1
                extra = max(need - (int(n) + int(lo) + int(hi)), 0)
            lows.append(int(lo))
            highs.append(int(hi) + extra)
        padded, a = ctx.tmp(), ctx.tmp()
        zero = ctx.const(0, _out_dtype(func))
        ctx.node("Pad", [x, ctx.const([0, 0, *lows, 0, 0, *highs], np.int64), zero], [padded],
                 mode="constant")  # fmt: skip
        plain = {k: v for k, v in attrs.items() if k not in ("pads", "ceil_mode")}
        ctx.node("AveragePool", [padded], [a], **plain)
        size = ctx.const(float(np.prod(geom.kernel)), _out_dtype(func))
        ctx.node("Mul", [a, size], [o])

    _pool_layout(ctx, func, geom, ins[0], outs[0], emit)


def _pool_layout(
    ctx: _Context, func: Any, geom: Any, x: str, out: str, emit: Callable[..., None]
) -> None:
    """``emit`` on (N, C, spatial...) data: channel-last data between Transposes; any other
    number of leading axes (nnfunc pools the trailing axes of e.g. (C, H, W)) folded into
    one channel axis and restored after."""
    rank, nsp = _rank(func), len(geom.kernel)
    if rank == nsp + 2:
        _channel_first(ctx, geom.channel_last, rank, x, out, emit)
        return
    if geom.channel_last:
        raise _unsupported(func, f"{func.op_name} of channel-last data without a batch axis")
    spatial, lead, folded_shape, folded, y, ys, back = (ctx.tmp() for _ in range(7))
    ctx.node("Shape", [x], [spatial], start=rank - nsp)
    ctx.node("Shape", [x], [lead], start=0, end=rank - nsp)
    ctx.node("Concat", [ctx.const([1, -1], np.int64), spatial], [folded_shape], axis=0)
    ctx.node("Reshape", [x, folded_shape], [folded])
    emit(folded, y)
    ctx.node("Shape", [y], [ys], start=2)
    ctx.node("Concat", [lead, ys], [back], axis=0)
    ctx.node("Reshape", [y, back], [out])


@onnx_op(
    "batch_normalization",
    "fused_batch_normalization",  # its normalization node (the Add of z and the Relu follow)
    sample=lambda F, x, m, v, b, g: F.add(
        F.add(
            F.batch_normalization(x, m, F.exp(v), b, g),
            F.batch_normalization(x, m, F.exp(v), None, g, axis=3),
        ),
        F.add(
            F.batch_normalization(x, None, None, b, g, training=True),
            F.mul(
                *F.fused_batch_normalization(x, offset=b, scale=g, training=True, output_stat=True)[
                    1:
                ]
            ),
        ),
        name="out",
    ),
    shapes=((2, 3, 4, 3), (3,), (3,), (3,), (3,)),
)
def _batch_norm(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Training mode (statistics of the batch): the normalization subgraph. Given statistics:
    ONNX BatchNormalization for the channel-1 form with per-channel parameters, else
    ``(x - mean) / sqrt(variance + eps) * scale + offset`` with the parameters reshaped as the
    node resolved them."""
    if hasattr(func, "lay"):
        _normalize(ctx, func, ins, outs)
        return
    x, mean, var, beta, gamma = (list(ins) + [""] * 5)[:5]
    axis = func.axis if isinstance(func.axis, (tuple, list)) else (func.axis,)
    per_channel = all(
        n and len(func.input_spec(i).shape) == 1 for i, n in enumerate(ins[1:5], start=1)
    )
    if per_channel and [int(a) % _rank(func) for a in axis] == [1]:
        ctx.node("BatchNormalization", [x, gamma, beta, mean, var], outs, epsilon=float(func.eps))
        return
    dt = _out_dtype(func)

    def full(i: int, name: str) -> str:
        v = _as(ctx, name, _in_dtype(func, i), dt)
        r = ctx.tmp()
        ctx.node("Reshape", [v, ctx.const([int(d) for d in func.full[i]], np.int64)], [r])
        return r

    xc, d, ve, sd, y = _as(ctx, x, _in_dtype(func, 0), dt), *(ctx.tmp() for _ in range(4))
    ctx.node("Sub", [xc, full(1, mean)], [d])
    ctx.node("Add", [full(2, var), ctx.const(func.eps, dt)], [ve])
    ctx.node("Sqrt", [ve], [sd])
    ctx.node("Div", [d, sd], [y])
    for i, op, name in ((4, "Mul", gamma), (3, "Add", beta)):
        if name:
            nxt = ctx.tmp()
            ctx.node(op, [y, full(i, name)], [nxt])
            y = nxt
    ctx.node("Identity", [y], outs)


@onnx_op(
    "linear",
    sample=lambda F, x, w, b, v: F.add(F.linear(x, w, b), F.linear(x, v, base_axis=1), name="out"),
    shapes=((2, 3, 4), (4, 3), (3,), (12, 3, 3)),
)
def _linear(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``x`` (lead..., features from base_axis on) times ``w`` (n_in, out...), plus ``b``:
    MatMul on the features flattened, then the output axes of ``w`` restored."""
    dt = _out_dtype(func)
    x, w = _inputs_as(ctx, func, ins[:2], dt)
    b = _as(ctx, ins[2], _in_dtype(func, 2), dt) if len(ins) > 2 and ins[2] else ""
    rank, ba = _rank(func), int(func.ba)
    w_shape = func.input_spec(1).shape
    simple = ba == rank - 1 and len(w_shape) == 2
    if not simple:
        if any(d is None for d in w_shape[1:]):
            raise _unsupported(func, "linear with unknown output sizes")
        f, w2 = ctx.tmp(), ctx.tmp()
        ctx.node("Reshape", [x, ctx.const([0] * ba + [-1], np.int64)], [f])
        ctx.node("Reshape", [w, ctx.const([-1, int(np.prod(w_shape[1:]))], np.int64)], [w2])
        x, w = f, w2
        if b:
            b2 = ctx.tmp()
            ctx.node("Reshape", [b, ctx.const([-1], np.int64)], [b2])
            b = b2
    y = ctx.tmp()
    ctx.node("MatMul", [x, w], [y])
    if b:
        yb = ctx.tmp()
        ctx.node("Add", [y, b], [yb])
        y = yb
    if simple:
        ctx.node("Identity", [y], outs)
        return
    lead, shp = ctx.tmp(), ctx.tmp()
    ctx.node("Shape", [ins[0]], [lead], start=0, end=ba)
    ctx.node("Concat", [lead, ctx.const([int(d) for d in w_shape[1:]], np.int64)], [shp], axis=0)
    ctx.node("Reshape", [y, shp], outs)


def _axes_node(ctx: _Context, op: str, x: str, axes: Sequence[int], out: str, keep: int) -> None:
    """A reduction over ``axes`` in the form the opset takes (attribute before 18)."""
    axes = [int(a) for a in axes]
    if op == "ReduceSum" or ctx.opset >= 18:
        ctx.node(op, [x, ctx.const(axes, np.int64)], [out], keepdims=keep)
    else:
        ctx.node(op, [x], [out], axes=axes, keepdims=keep)


def _normalize(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Every normalization that computes its statistics (layer/instance/group norm, weight
    standardization, batch norm in training) as one subgraph over the node's resolved layout.

    Batch norm's running statistics (inputs 3 and 4) are updated in place by nnfunc: the export
    computes the output from the batch statistics, as the node does, and leaves the update out.
    """
    if getattr(func, "comm", None) is not None:
        raise _unsupported(func, f"{func.op_name} synchronised over a communicator")
    lay = func.lay
    dt = lay.out_dtype
    x = ins[0]
    if lay.view is not None:  # groups split out of the channel axis
        v = ctx.tmp()
        ctx.node("Reshape", [x, ctx.const(list(lay.view_arg), np.int64)], [v])
        x = v
    stats = len(outs) == 3
    mean = outs[1] if stats else ctx.tmp()
    var = outs[2] if stats else ctx.tmp()
    d, sq, ve, sd, y = (ctx.tmp() for _ in range(5))
    _axes_node(ctx, "ReduceMean", x, lay.raxes, mean, 1)
    ctx.node("Sub", [x, mean], [d])
    ctx.node("Mul", [d, d], [sq])
    _axes_node(ctx, "ReduceMean", sq, lay.raxes, var, 1)
    ctx.node("Add", [var, ctx.const(func.eps, dt)], [ve])
    ctx.node("Sqrt", [ve], [sd])
    ctx.node("Div", [d, sd], [y])
    if lay.view is not None:
        shp, back = ctx.tmp(), ctx.tmp()
        ctx.node("Shape", [ins[0]], [shp])
        ctx.node("Reshape", [y, shp], [back])
        y = back
    for i, op in ((1, "Mul"), (2, "Add")):
        if len(ins) > i and ins[i]:
            p = ins[i]
            if lay.full[i] is not None:
                r = ctx.tmp()
                ctx.node("Reshape", [p, ctx.const(list(lay.full[i]), np.int64)], [r])
                p = r
            nxt = ctx.tmp()
            ctx.node(op, [y, p], [nxt])
            y = nxt
    ctx.node("Identity", [y], outs[:1])


onnx_op(
    "weight_standardization",
    sample=lambda F, w: F.weight_standardization(w, channel_axis=1, name="out"),
    shapes=((2, 3, 4),),
)(_normalize)
onnx_op(
    "layer_normalization",
    sample=lambda F, x, s, b: F.layer_normalization(x, s, b, eps=1e-3, name="out"),
    shapes=((2, 3, 4), (4,), (4,)),
)(_normalize)
onnx_op(
    "instance_normalization",
    sample=lambda F, x, s, b: F.instance_normalization(x, s, b, name="out"),
    shapes=((2, 4, 5), (4,), (4,)),
)(_normalize)
onnx_op(
    "group_normalization",
    sample=lambda F, x, s, b: F.group_normalization(x, 2, s, b, name="out"),
    shapes=((2, 4, 3, 2), (4,), (4,)),
)(_normalize)


@onnx_op(
    "gelu",  # both forms: exact (Erf) and the tanh approximation
    sample=lambda F, x: F.add(
        F.add(F.gelu(x), F.gelu(x, approximate="tanh")),
        F.gelu(x, approximate="sigmoid"),
        name="out",
    ),
)
def _gelu(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    x = ins[0]
    dt = getattr(func, "out_dtype", np.float32)
    inner, act, one_p, half_x = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    if func.approximate == "sigmoid":  # x * sigmoid(1.702 x)
        sx, sg = ctx.tmp(), ctx.tmp()
        ctx.node("Mul", [x, ctx.const(1.702, dt)], [sx])
        ctx.node("Sigmoid", [sx], [sg])
        ctx.node("Mul", [x, sg], outs)
        return
    if func.approximate == "tanh":
        x3, cx3, s = ctx.tmp(), ctx.tmp(), ctx.tmp()
        ctx.node("Mul", [x, x], [x3 + "_sq"])
        ctx.node("Mul", [x3 + "_sq", x], [x3])
        ctx.node("Mul", [x3, ctx.const(0.044715, dt)], [cx3])
        ctx.node("Add", [x, cx3], [s])
        ctx.node("Mul", [s, ctx.const(np.sqrt(2.0 / np.pi), dt)], [inner])
        ctx.node("Tanh", [inner], [act])
    else:
        ctx.node("Mul", [x, ctx.const(1.0 / np.sqrt(2.0), dt)], [inner])
        ctx.node("Erf", [inner], [act])
    ctx.node("Add", [act, ctx.const(1.0, dt)], [one_p])
    ctx.node("Mul", [x, ctx.const(0.5, dt)], [half_x])
    ctx.node("Mul", [half_x, one_p], outs)


@onnx_op("silu", sample=lambda F, x: F.silu(x, name="out"))
def _silu(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    s = ctx.tmp()
    ctx.node("Sigmoid", ins[:1], [s])
    ctx.node("Mul", [ins[0], s], outs)


def _clip(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # one Function (ClipByValue) computes all four ops; bounds are normalised to scalars
    if getattr(func, "lo_s", None) is None or getattr(func, "hi_s", None) is None:
        raise UnsupportedError(
            f"export_onnx: node {func.name!r} ({func.op_name} with tensor bounds) has no ONNX "
            "mapping."
        )
    dt = func.out_dtype
    ctx.node("Clip", [ins[0], ctx.const(func.lo_s, dt), ctx.const(func.hi_s, dt)], outs)


onnx_op("clip_by_value", sample=lambda F, x: F.clip_by_value(x, -0.5, 0.7, name="out"))(_clip)
onnx_op("relu6", sample=lambda F, x: F.relu6(F.mul(x, 4.0), name="out"))(_clip)
onnx_op("hard_tanh", sample=lambda F, x: F.hard_tanh(F.mul(x, 2.0), name="out"))(_clip)
# hard_sigmoid is a composite: mul and add, then a clip node whose op is hard_sigmoid
onnx_op("hard_sigmoid", sample=lambda F, x: F.hard_sigmoid(F.mul(x, 3.0), name="out"))(_clip)


@onnx_op(
    "pad",
    sample=lambda F, x: F.add(
        F.pad(x, (1, 2), constant_value=0.5),
        F.add(F.pad(x, (1, 2), mode="reflect"), F.pad(x, (1, 2), mode="repeat")),
        name="out",
    ),
)
def _pad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Constant mode: Pad. The other modes are one index map per axis (reflect, edge, wrap...):
    a Gather with the node's own index vector (the axis length must be known)."""
    if hasattr(func, "key"):
        _axis_take(ctx, func, ins, outs)
        return
    pads = [int(p[0]) for p in func.pairs] + [int(p[1]) for p in func.pairs]
    dt = func.input_spec(0).dtype
    value = ctx.const(func.value, dt)
    ctx.node("Pad", [ins[0], ctx.const(pads, np.int64), value], outs, mode="constant")


def _axis_take(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    n = func.input_spec(0).shape[func.axis]
    if n is None:
        raise _unsupported(func, f"{func.op_name} along an axis of unknown length")
    if n == 0:
        ctx.node("Identity", ins[:1], outs)
        return
    idx = np.asarray(sys.modules[type(func).__module__]._plan(func.key, int(n))[0], np.int64)
    ctx.node("Gather", [ins[0], ctx.const(idx)], outs, axis=int(func.axis))


@onnx_op(
    "where",
    sample=lambda F, a, b: F.where(F.greater(a, b), a, b, name="out"),
    shapes=((2, 3, 4), (3, 4)),
)
def _where(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # a numeric condition is its truth value; the branches take the output dtype
    dt = _out_dtype(func)
    cond = _as(ctx, ins[0], _in_dtype(func, 0), np.bool_)
    ctx.node("Where", [cond, *_inputs_as_from(ctx, func, ins[1:3], 1, dt)], outs)


def _inputs_as_from(ctx: _Context, func: Any, ins: list[str], start: int, dt: Any) -> list[str]:
    return [_as(ctx, n, _in_dtype(func, start + i), dt) for i, n in enumerate(ins)]


_COMPARE = {"equal": "Equal", "greater": "Greater", "greater_equal": "GreaterOrEqual",
            "less": "Less", "less_equal": "LessOrEqual"}  # fmt: skip


def _compare_sample(op: str) -> Callable[..., Any]:
    # the test compares float outputs: the bool result selects between the inputs; a rounded
    # copy of ``a`` makes ties for the equalities
    def sample(F: Any, a: Any, b: Any) -> Any:
        r = F.floor(a)
        return F.where(getattr(F, op)(r, F.floor(b)), a, b, name="out")

    return sample


def _compare(op: str) -> Callable[..., None]:
    def convert(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
        common = np.result_type(*(_in_dtype(func, i) for i in range(2)))
        ctx.node(op, _inputs_as(ctx, func, ins[:2], common), outs)

    return convert


for _name, _op in _COMPARE.items():
    onnx_op(_name, sample=_compare_sample(_name), shapes=((2, 3, 4), (3, 4)))(_compare(_op))


@onnx_op("not_equal", sample=_compare_sample("not_equal"), shapes=((2, 3, 4), (3, 4)))
def _not_equal(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    eq = ctx.tmp()
    ctx.node("Equal", ins[:2], [eq])
    ctx.node("Not", [eq], outs)


@onnx_op("sign", sample=lambda F, x: F.sign(F.floor(x), alpha=0.25, name="out"))
def _sign(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # ONNX Sign gives 0 at 0; nnfunc gives alpha there
    dt = func.input_spec(0).dtype
    s, z = ctx.tmp(), ctx.tmp()
    ctx.node("Sign", ins[:1], [s])
    ctx.node("Equal", [ins[0], ctx.const(0, dt)], [z])
    ctx.node("Where", [z, ctx.const(func.alpha, dt), s], outs)


@onnx_op("prelu", sample=lambda F, x, w: F.prelu(x, w, name="out"), shapes=((2, 3, 4), (3, 1)))
def _prelu(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    slope = ins[1]
    full = getattr(func, "full_shape", None)
    if full is not None:  # shared_axes: the slope as setup broadcast it against x
        r = ctx.tmp()
        ctx.node("Reshape", [slope, ctx.const([int(d) for d in full], np.int64)], [r])
        slope = r
    ctx.node("PRelu", [ins[0], slope], outs)


@onnx_op(
    "softmax_cross_entropy_with_logits",
    sample=lambda F, x, t: F.softmax_cross_entropy_with_logits(x, F.softmax(t), name="out"),
    shapes=((2, 5), (2, 5)),
)
def _softmax_ce(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # -sum(labels * log_softmax(logits), axis)
    ls, prod, s = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("LogSoftmax", ins[:1], [ls], axis=int(func.ax))
    ctx.node("Mul", [ins[1], ls], [prod])
    _axes_node(ctx, "ReduceSum", prod, [func.ax], s, int(bool(func.keepdims)))
    ctx.node("Neg", [s], outs)


@onnx_op(
    "sparse_softmax_cross_entropy_with_logits",
    sample=lambda F, x, t: F.sparse_softmax_cross_entropy_with_logits(
        x, F.cast(F.mul(F.sigmoid(t), 4.99), np.int64), name="out"
    ),
    shapes=((2, 5), (2,)),
)
def _sparse_softmax_ce(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # -log_softmax(logits) taken at the labels along the class axis
    ax = int(func.ax)
    ls, picked = ctx.tmp(), ctx.tmp()
    ctx.node("LogSoftmax", ins[:1], [ls], axis=ax)
    idx = ins[1]
    if not func.labels_kept:
        u = ctx.tmp()
        ctx.node("Unsqueeze", [idx, ctx.const([ax], np.int64)], [u])
        idx = u
    c = ctx.tmp()
    ctx.node("Cast", [idx], [c], to=_elem_type(ctx.onnx, np.int64))
    ctx.node("GatherElements", [ls, c], [picked], axis=ax)
    if func.keepdims:
        ctx.node("Neg", [picked], outs)
        return
    n = ctx.tmp()
    ctx.node("Neg", [picked], [n])
    ctx.node("Squeeze", [n, ctx.const([ax], np.int64)], outs)


@onnx_op(
    "conv_transpose",
    sample=lambda F, x, w, b: F.add(
        F.conv_transpose(x, w, b, stride=2, pad=1),
        F.transpose(
            F.conv_transpose(_nchw(F, x), w, b, stride=2, pad=1, channel_last=True), (0, 3, 1, 2)
        ),
        name="out",
    ),
    shapes=((2, 3, 5, 4), (3, 4, 3, 3), (4,)),
)
def _conv_transpose(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    attrs = _conv_attrs(func)
    if any(v is None for v in (*func.out, *func.sizes)):
        raise _unsupported(func, f"{func.op_name} with unknown spatial sizes")
    # the extra size (output_padding / output_shape) that setup resolved into ``out``
    extra = [
        int(o) - (s * (n - 1) + (k - 1) * d + 1 - p[0] - p[1])
        for o, s, n, k, d, p in zip(
            func.out, func.stride, func.sizes, func.kernel, func.dilation, func.pads, strict=True
        )
    ]
    if any(e < 0 for e in extra):
        raise _unsupported(func, f"{func.op_name} cropping its output")
    rest = [i for i in ins[1:] if i]
    _channel_first(ctx, func.channel_last, _rank(func), ins[0], outs[0],
                   lambda x, o: ctx.node("ConvTranspose", [x, *rest], [o], output_padding=extra,
                                         **attrs))  # fmt: skip


onnx_op(
    "depthwise_conv_transpose",  # a ConvTranspose with channels // divisor groups
    sample=lambda F, x, w: F.depthwise_conv_transpose(x, w, stride=2, divisor=1, name="out"),
    shapes=((2, 3, 5, 4), (3, 2, 3, 3)),
)(_conv_transpose)


@onnx_op("global_avg_pool", sample=lambda F, x: F.global_avg_pool(x, name="out"),
         shapes=((2, 3, 4, 5),))  # fmt: skip
def _global_avg_pool(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    _axes_node(ctx, "ReduceMean", ins[0], func.axes, outs[0], int(bool(func.keepdims)))


# sqrt is not public; composites (the normalization family, clipping's gradients) put sqrt
# nodes in graphs, so the sample reaches the function through its module at call time
onnx_op("sqrt", sample=lambda F, x: F.math._sqrt.sqrt(F.exp(x), name="out"))(_unary("Sqrt"))


# ====================================================================== session 2 (onnx3)
# helpers shared by the entries below
def _unsupported(func: Any, what: str) -> UnsupportedError:
    return UnsupportedError(f"export_onnx: node {func.name!r} ({what}) has no ONNX mapping.")


def _out_dtype(func: Any, i: int = 0) -> np.dtype:
    # the graph holds its variables, so the weak references of an exported node are alive
    return np.dtype(func.outputs[i]().dtype)


def _in_dtype(func: Any, i: int) -> np.dtype:
    return np.dtype(func.input_spec(i).dtype)


def _rank(func: Any, i: int = 0) -> int:
    return len(func.input_spec(i).shape)


def _as(ctx: _Context, name: str, src: Any, dst: Any) -> str:
    """``name`` cast from dtype ``src`` to ``dst`` (unchanged when they agree)."""
    if np.dtype(src) == np.dtype(dst):
        return name
    out = ctx.tmp("cast")
    ctx.node("Cast", [name], [out], to=_elem_type(ctx.onnx, dst))
    return out


def _combine(ctx: _Context, op: str, acc: str, x: str) -> str:
    """``op(acc, x)`` as a new node: a running And/Or/Add over a loop; ``x`` itself while
    nothing is accumulated yet (``acc`` empty)."""
    if not acc:
        return x
    out = ctx.tmp()
    ctx.node(op, [acc, x], [out])
    return out


def _index_mask(ctx: _Context, like: str, idx: str) -> str:
    """A boolean tensor of the shape of ``like``: True at the positions ``idx`` (int64, the
    rank of ``like``) along the last axis, False elsewhere."""
    shape, zeros, idx_shape, ones, mask = (ctx.tmp() for _ in range(5))
    false = ctx.onnx.numpy_helper.from_array(np.zeros((1,), bool), "value")
    true = ctx.onnx.numpy_helper.from_array(np.ones((1,), bool), "value")
    ctx.node("Shape", [like], [shape])
    ctx.node("ConstantOfShape", [shape], [zeros], value=false)
    ctx.node("Shape", [idx], [idx_shape])
    ctx.node("ConstantOfShape", [idx_shape], [ones], value=true)
    ctx.node("ScatterElements", [zeros, idx, ones], [mask], axis=-1)
    return mask


def _inputs_as(ctx: _Context, func: Any, ins: list[str], dt: Any) -> list[str]:
    return [_as(ctx, n, _in_dtype(func, i), dt) if n else n for i, n in enumerate(ins)]


def _private(module: str, name: str) -> Callable[..., Any]:
    """A sample for a function that is not public: reached through its module at call time."""

    def sample(F: Any, x: Any) -> Any:
        obj = F
        for part in module.split("."):
            obj = getattr(obj, part)
        return getattr(obj, name)(x, name="out")

    return sample


# ---------------------------------------------------------------- element-wise, one ONNX op
for _name, _op, _sample in (
    ("erf", "Erf", _private("math._erf", "erf")),
    ("reciprocal", "Reciprocal", _private("math._reciprocal", "recip")),
    ("stop_gradient", "Identity", lambda F, x: F.stop_gradient(x, name="out")),
):
    onnx_op(_name, sample=_sample)(_unary(_op))


def _bool_sample(op: str, n: int) -> Callable[..., Any]:
    # bool results select between the float inputs (the test compares float outputs)
    def sample(F: Any, a: Any, b: Any) -> Any:
        pa, pb = F.greater(a, 0.0), F.greater(b, 0.3)
        r = getattr(F, op)(pa, pb) if n == 2 else getattr(F, op)(pa)
        return F.where(r, a, b, name="out")

    return sample


for _name, _op in (("logical_and", "And"), ("logical_or", "Or"), ("logical_xor", "Xor")):
    onnx_op(_name, sample=_bool_sample(_name, 2), shapes=((2, 3, 4), (3, 4)))(_binary(_op))
onnx_op("logical_not", sample=_bool_sample("logical_not", 1), shapes=((2, 3, 4), (3, 4)))(
    _unary("Not")
)


@onnx_op(
    "isnan",
    "isinf",
    sample=lambda F, x: F.where(
        F.logical_or(F.isnan(F.log(x)), F.isinf(F.div(1.0, F.floor(x)))), 0.0, x, name="out"
    ),
)
def _isnan_isinf(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _in_dtype(func, 0)
    if dt.kind != "f":  # integers are never NaN nor infinite
        shp = ctx.tmp()
        ctx.node("Shape", ins[:1], [shp])
        ctx.node("ConstantOfShape", [shp], outs, value=ctx.helper.make_tensor(
            "v", ctx.onnx.TensorProto.BOOL, [1], [False]))  # fmt: skip
        return
    x = _as(ctx, ins[0], dt, np.float32) if dt == np.float16 else ins[0]  # no float16 kernels
    ctx.node("IsNaN" if func.op_name == "isnan" else "IsInf", [x], outs)


@onnx_op("log_sigmoid", sample=lambda F, x: F.log_sigmoid(F.mul(x, 20.0), name="out"))
def _log_sigmoid(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # log(sigmoid(x)) = -softplus(-x), stable at both ends
    n, s = ctx.tmp(), ctx.tmp()
    ctx.node("Neg", ins[:1], [n])
    ctx.node("Softplus", [n], [s])
    ctx.node("Neg", [s], outs)


@onnx_op("tanh_shrink", sample=lambda F, x: F.tanh_shrink(x, name="out"))
def _tanh_shrink(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    t = ctx.tmp()
    ctx.node("Tanh", ins[:1], [t])
    ctx.node("Sub", [ins[0], t], outs)


@onnx_op("sinc", sample=lambda F, x: F.sinc(F.floor(x), name="out"))  # floor makes exact zeros
def _sinc(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _out_dtype(func)
    x = _as(ctx, ins[0], _in_dtype(func, 0), dt)
    zero, safe, s, q = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    one = ctx.const(1.0, dt)
    ctx.node("Equal", [x, ctx.const(0.0, dt)], [zero])
    ctx.node("Where", [zero, one, x], [safe])
    ctx.node("Sin", [safe], [s])
    ctx.node("Div", [s, safe], [q])
    ctx.node("Where", [zero, one, q], outs)


@onnx_op(
    "atan2",
    sample=lambda F, a, b: F.atan2(a, F.where(F.greater(F.abs(b), 1.5), 0.0, b), name="out"),
    shapes=((2, 3, 4), (3, 4)),
)
def _atan2(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # atan(y/x), moved to the right quadrant for x < 0, and +-pi/2 (or 0) for x == 0
    dt = _out_dtype(func)
    y, x = _inputs_as(ctx, func, ins[:2], dt)
    zero, pi, half = ctx.const(0.0, dt), ctx.const(np.pi, dt), ctx.const(np.pi / 2, dt)
    xz, safe, q, a, xneg, yneg, corr, shifted, ys, onx0, base = (ctx.tmp() for _ in range(11))
    ctx.node("Equal", [x, zero], [xz])
    ctx.node("Where", [xz, ctx.const(1.0, dt), x], [safe])
    ctx.node("Div", [y, safe], [q])
    ctx.node("Atan", [q], [a])
    ctx.node("Less", [x, zero], [xneg])
    ctx.node("Less", [y, zero], [yneg])
    ctx.node("Where", [yneg, ctx.const(-np.pi, dt), pi], [corr])
    ctx.node("Add", [a, corr], [shifted])
    ctx.node("Where", [xneg, shifted, a], [base])
    # x == 0: sign(y) * pi/2 (atan2(0, 0) = 0)
    ctx.node("Sign", [y], [ys])
    ctx.node("Mul", [ys, half], [onx0])
    ctx.node("Where", [xz, onx0, base], outs)


# ---------------------------------------------------------------- n-ary, joins, shapes
@onnx_op(
    "add_n",
    "mul_n",
    sample=lambda F, a, b, c: F.mul(F.add_n(a, b, c), F.mul_n(a, b, c), name="out"),
    shapes=((2, 3, 4), (3, 4), (2, 3, 4)),
)
def _nary(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    xs = _inputs_as(ctx, func, ins, _out_dtype(func))
    if func.op_name == "add_n" and _out_dtype(func).kind == "f":
        ctx.node("Sum", xs, outs)
    elif func.op_name == "add_n":  # ONNX's Sum takes floats only
        _mul_chain(ctx, xs, outs, "Add")
    else:
        _mul_chain(ctx, xs, outs)


def _mul_chain(ctx: _Context, xs: list[str], outs: list[str], op: str = "Mul") -> None:
    acc = xs[0]
    if len(xs) == 1:
        ctx.node("Identity", [acc], outs)
    for i, x in enumerate(xs[1:], 1):
        nxt = outs[0] if i == len(xs) - 1 else ctx.tmp()
        ctx.node(op, [acc, x], [nxt])
        acc = nxt


# composites whose last node is a concatenation, a clip or a dense layer under their own op name
onnx_op("crelu", sample=lambda F, x: F.crelu(x, axis=1, name="out"))(_concatenate)
onnx_op("concat_elu", sample=lambda F, x: F.concat_elu(x, 0.5, name="out"))(_concatenate)
onnx_op(
    "relu_layer",
    sample=lambda F, x, w, b: F.relu_layer(x, w, b, name="out"),
    shapes=((2, 4), (4, 3), (3,)),
)(_linear)


@onnx_op(
    "stack",
    sample=lambda F, a, b: F.stack(a, b, axis=1, name="out"),
    shapes=((2, 3, 4), (2, 3, 4)),
)
def _stack(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _out_dtype(func)
    axis = ctx.const([int(func.axis)], np.int64)
    parts = []
    for x in _inputs_as(ctx, func, ins, dt):
        u = ctx.tmp()
        ctx.node("Unsqueeze", [x, axis], [u])
        parts.append(u)
    ctx.node("Concat", parts, outs, axis=int(func.axis))


@onnx_op("split", sample=lambda F, x: F.add(*F.split(x, axis=1)[1:], name="out"))
def _split(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # one Gather per piece: a scalar index removes the axis, as nnfunc's split does
    for i, out in enumerate(outs):
        ctx.node("Gather", [ins[0], ctx.const(i, np.int64)], [out], axis=int(func.axis))


@onnx_op("tile", sample=lambda F, x: F.tile(x, (1, 2, 3), name="out"))
def _tile(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    ctx.node("Tile", [ins[0], ctx.const([int(r) for r in func.reps], np.int64)], outs)


@onnx_op(
    "broadcast_to",
    sample=lambda F, x: F.broadcast_to(x, (2, 3, 4), name="out"),
    shapes=((3, 1),),
)
def _broadcast_to(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    if len(ins) > 1 and ins[1]:
        shape = ctx.tmp()
        ctx.node("Shape", [ins[1]], [shape])
    else:
        shape = ctx.const([int(d) for d in func.shape], np.int64)
    ctx.node("Expand", [ins[0], shape], outs)


@onnx_op(
    "bias_add",
    sample=lambda F, x, b: F.bias_add(x, b, name="out"),
    shapes=((2, 3, 4, 5), (3,)),
)
def _bias_add(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _out_dtype(func)
    x, b = _inputs_as(ctx, func, ins[:2], dt)
    trailing = _rank(func) - 1 - int(func.ax)
    if trailing:
        r = ctx.tmp()
        ctx.node("Reshape", [b, ctx.const([-1] + [1] * trailing, np.int64)], [r])
        b = r
    ctx.node("Add", [x, b], outs)


@onnx_op("prod", sample=lambda F, x: F.prod(F.add(x, 1.0), axis=(0, 2), name="out"))
def _prod(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    x = _as(ctx, ins[0], _in_dtype(func, 0), _out_dtype(func))
    if not func.axes:
        ctx.node("Identity", [x], outs)
        return
    _axes_node(ctx, "ReduceProd", x, func.axes, outs[0], int(bool(func.keepdims)))


# ---------------------------------------------------------------- nodes Graph.grad adds
def _grad_sample(forward: Callable[..., Any]) -> Callable[..., Any]:
    """A sample that differentiates ``forward`` in the graph (d sum(forward) / d first input)."""

    def sample(F: Any, *xs: Any) -> Any:
        y = forward(F, *xs)
        (g,) = xs[0].graph.grad(y, [xs[0]])
        return F.identity(g, name="out")

    return sample


@onnx_op(
    "sum_to",  # the gradient of broadcasting
    sample=_grad_sample(lambda F, a, b: F.mul(F.add(a, b), F.add(a, b))),
    shapes=((3, 1), (2, 3, 4)),
)
def _sum_to(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    src = func.input_spec(0).shape
    target = tuple(func.input_spec(1).shape) if len(ins) > 1 and ins[1] else tuple(func.shape)
    lead = len(src) - len(target)
    x = ins[0]
    if lead:
        s = ctx.tmp()
        _axes_node(ctx, "ReduceSum", x, range(lead), s, 0)
        x = s
    # axes the target keeps at 1: summing an axis that is already 1 changes nothing, so an
    # unknown input size is fine
    ones = [i for i, (d, t) in enumerate(zip(src[lead:], target, strict=True)) if t == 1 and d != 1]
    if ones:
        s = ctx.tmp()
        _axes_node(ctx, "ReduceSum", x, ones, s, 1)
        x = s
    out_dt = np.dtype(func.dtype) if getattr(func, "dtype", None) is not None else None
    if out_dt is not None:
        x = _as(ctx, x, _in_dtype(func, 0), out_dt)
    ctx.node("Identity", [x], outs)


@onnx_op(
    "fill_like",  # the ones that seed Graph.grad
    sample=_grad_sample(lambda F, x: F.sum(F.mul(x, x))),
)
def _fill_like(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _in_dtype(func, 0)
    shp = ctx.tmp()
    ctx.node("Shape", ins[:1], [shp])
    value = ctx.onnx.numpy_helper.from_array(np.full((1,), func.value, dtype=dt), "value")
    ctx.node("ConstantOfShape", [shp], outs, value=value)


# ---------------------------------------------------------------- indexing
_I64_MAX, _I64_MIN = np.iinfo(np.int64).max, np.iinfo(np.int64).min


def _expand_key(func: Any, key: tuple[Any, ...], rank: int) -> list[Any]:
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    n_real += sum(int(np.ndim(k)) - 1 for k in key if isinstance(k, np.ndarray) and k.dtype == bool)
    out: list[Any] = []
    for k in key:
        if k is Ellipsis:
            out.extend([slice(None)] * (rank - n_real))
        else:
            out.append(k)
    if not any(k is Ellipsis for k in key):
        out.extend([slice(None)] * (rank - n_real))
    return out


@onnx_op(
    "getitem",  # flip, slice and Variable.__getitem__ land here
    sample=lambda F, x: F.add(
        F.getitem(x, (Ellipsis, slice(None, None, -2), None, 1)),
        F.getitem(
            F.getitem(x, (slice(None), np.array([2, 0, 2]))),
            (slice(None), slice(1, None), np.newaxis, -1),
        ),
        name="out",
    ),
)
def _getitem(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Slice (any steps) for slices, Gather for integers, Unsqueeze for None; one integer (or
    1-D boolean) array among slices becomes a Gather along its axis."""
    key = _expand_key(func, func.key, _rank(func))
    arrays = [i for i, k in enumerate(key) if isinstance(k, np.ndarray)]
    if arrays and (len(arrays) > 1 or any(isinstance(k, (int, np.integer)) or k is None
                                          for k in key)):  # fmt: skip
        raise _unsupported(func, "getitem with several advanced indices, or one mixed with "
                           "integers or None (NumPy's reordering of axes)")  # fmt: skip
    x = ins[0]
    starts, ends, axes, steps = [], [], [], []
    ax = 0
    for k in key:
        if isinstance(k, slice):
            step = 1 if k.step is None else int(k.step)
            lo, hi = (0, _I64_MAX) if step > 0 else (_I64_MAX, _I64_MIN)
            start = lo if k.start is None else int(k.start)
            stop = hi if k.stop is None else int(k.stop)
            if (start, stop, step) != (0, _I64_MAX, 1):
                starts.append(start)
                ends.append(stop)
                axes.append(ax)
                steps.append(step)
        if k is not None:
            ax += 1
    if axes:
        s = ctx.tmp()
        ctx.node("Slice", [x, ctx.const(starts, np.int64), ctx.const(ends, np.int64),
                           ctx.const(axes, np.int64), ctx.const(steps, np.int64)], [s])  # fmt: skip
        x = s
    # integers: a scalar Gather drops the axis (from the last, so earlier axes keep their place)
    real = [k for k in key if k is not None]
    for i in reversed(range(len(real))):
        if isinstance(real[i], (int, np.integer)):
            g = ctx.tmp()
            ctx.node("Gather", [x, ctx.const(int(real[i]), np.int64)], [g], axis=i)
            x = g
    if arrays:
        idx = key[arrays[0]]
        if idx.dtype == bool:
            if idx.ndim != 1:
                raise _unsupported(func, "getitem with a boolean mask of several axes")
            idx = np.nonzero(idx)[0]
        g = ctx.tmp()
        ctx.node("Gather", [x, ctx.const(idx.astype(np.int64), np.int64)], [g], axis=arrays[0])
        x = g
    new = []
    pos = 0
    for k in key:
        if k is None:
            new.append(pos)
        if not isinstance(k, (int, np.integer)):
            pos += 1
    if new:
        u = ctx.tmp()
        ctx.node("Unsqueeze", [x, ctx.const(new, np.int64)], [u])
        x = u
    ctx.node("Identity", [x], outs)


def _labels_sample(F: Any, t: Any, n: int) -> Any:
    """Integer labels in [0, n) made from a float placeholder (the test feeds floats)."""
    return F.cast(F.mul(F.sigmoid(t), n - 0.01), np.int64)


def _int64(ctx: _Context, func: Any, i: int, name: str) -> str:
    return _as(ctx, name, _in_dtype(func, i), np.int64)


@onnx_op(
    "gather_nd",
    sample=lambda F, x, t: F.gather_nd(x, F.stack(_labels_sample(F, t, 2),
                                                  _labels_sample(F, F.neg(t), 3)), name="out"),
    shapes=((2, 3, 4), (5,)),
)  # fmt: skip
def _gather_nd(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # nnfunc's indices hold the index tuple on their FIRST axis, ONNX's on their last
    r = _rank(func, 1)
    idx, t = _int64(ctx, func, 1, ins[1]), ctx.tmp()
    ctx.node("Transpose", [idx], [t], perm=list(range(1, r)) + [0])
    ctx.node("GatherND", [ins[0], t], outs)


@onnx_op(
    "scatter_nd",
    sample=lambda F, x, t: F.add(
        F.scatter_nd(x, F.expand_dims(_labels_sample(F, t, 4), 0), (4, 3), add=True),
        F.scatter_nd(F.getitem(x, slice(0, 1)), [[2]], (4, 3)),
        name="out",
    ),
    shapes=((5, 3), (5,)),
)
def _scatter_nd(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _out_dtype(func)
    data = _as(ctx, ins[0], _in_dtype(func, 0), dt)
    r = _rank(func, 1)
    idx, t = _int64(ctx, func, 1, ins[1]), ctx.tmp()
    ctx.node("Transpose", [idx], [t], perm=list(range(1, r)) + [0])
    if len(ins) > 2 and ins[2]:
        base = _as(ctx, ins[2], _in_dtype(func, 2), dt)
    else:
        base = ctx.tmp()
        zero = ctx.onnx.numpy_helper.from_array(np.zeros((1,), dt), "value")
        shape = ctx.const([int(d) for d in func.shape], np.int64)
        ctx.node("ConstantOfShape", [shape], [base], value=zero)
    attrs = {"reduction": "add"} if func.add else {}
    ctx.node("ScatterND", [base, t, data], outs, **attrs)


@onnx_op(
    "one_hot",
    sample=lambda F, t, u: F.add(
        F.one_hot(_labels_sample(F, t, 4), 4, axis=1, dtype=np.float32),
        F.transpose(
            F.sum(
                F.one_hot(
                    F.stack(_labels_sample(F, u, 4), _labels_sample(F, F.neg(u), 3), axis=-1),
                    (4, 3),
                    dtype=np.float32,
                ),
                axis=-1,
            ),
            (0, 2, 1),
        ),
        name="out",
    ),
    shapes=((2, 3), (2, 3)),
)
def _one_hot(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """OneHot; an invalid label (negative or too large) is moved past the depth, where ONNX
    writes a row of zeros (ONNX would count a negative label from the end)."""
    dt = func.dtype
    idx = _int64(ctx, func, 0, ins[0])
    depth = int(np.prod(func.classes))
    if func.multi:  # the flat index of the tuple, then reshaped to the classes' axes
        valid, flat = None, ctx.const(0, np.int64)
        for j, n in enumerate(func.classes):
            col, ok, lo, hi, f2, f3 = (ctx.tmp() for _ in range(6))
            ctx.node("Gather", [idx, ctx.const(j, np.int64)], [col], axis=-1)
            ctx.node("GreaterOrEqual", [col, ctx.const(0, np.int64)], [lo])
            ctx.node("Less", [col, ctx.const(n, np.int64)], [hi])
            ctx.node("And", [lo, hi], [ok])
            if valid is not None:
                v2 = ctx.tmp()
                ctx.node("And", [valid, ok], [v2])
                ok = v2
            valid = ok
            ctx.node("Mul", [flat, ctx.const(n, np.int64)], [f2])
            ctx.node("Add", [f2, col], [f3])
            flat = f3
        axis = -1
    else:
        lo, hi, valid = ctx.tmp(), ctx.tmp(), ctx.tmp()
        ctx.node("GreaterOrEqual", [idx, ctx.const(0, np.int64)], [lo])
        ctx.node("Less", [idx, ctx.const(depth, np.int64)], [hi])
        ctx.node("And", [lo, hi], [valid])
        flat, axis = idx, int(func.ax)
    safe = ctx.tmp()
    ctx.node("Where", [valid, flat, ctx.const(depth, np.int64)], [safe])
    onehot_dt = np.dtype(np.int32) if np.dtype(dt) == bool else np.dtype(dt)
    target = ctx.tmp() if (func.multi or onehot_dt != np.dtype(dt)) else outs[0]
    ctx.node("OneHot", [safe, ctx.const([depth], np.int64), ctx.const([0, 1], onehot_dt)],
             [target], axis=axis)  # fmt: skip
    if func.multi:
        lead, shp, r = ctx.tmp(), ctx.tmp(), ctx.tmp()
        ctx.node("Shape", [idx], [lead], start=0, end=-1)
        ctx.node("Concat", [lead, ctx.const(list(func.classes), np.int64)], [shp], axis=0)
        ctx.node("Reshape", [target, shp], [r])
        target = r
    if target != outs[0]:
        ctx.node("Identity", [_as(ctx, target, onehot_dt, dt)], outs)


@onnx_op(
    "multi_hot",
    sample=lambda F, t: F.multi_hot(
        _labels_sample(F, t, 5), 5, axis=0, dtype=np.float32, name="out"
    ),
    shapes=((2, 3),),
)
def _multi_hot(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # one-hot rows (invalid ids moved past the depth: zero rows), then their maximum
    idx = _int64(ctx, func, 0, ins[0])
    lo, hi, valid, safe, oh, mx = (ctx.tmp() for _ in range(6))
    ctx.node("GreaterOrEqual", [idx, ctx.const(0, np.int64)], [lo])
    ctx.node("Less", [idx, ctx.const(func.n, np.int64)], [hi])
    ctx.node("And", [lo, hi], [valid])
    ctx.node("Where", [valid, idx, ctx.const(func.n, np.int64)], [safe])
    ctx.node("OneHot", [safe, ctx.const([func.n], np.int64), ctx.const([0, 1], np.float32)],
             [oh], axis=-1)  # fmt: skip
    _axes_node(ctx, "ReduceMax", oh, [_rank(func) - 1], mx, 0)
    out_rank = _rank(func)  # lead axes + the class axis
    y = _as(ctx, mx, np.float32, func.dtype)
    if int(func.ax) != out_rank - 1:
        perm = list(range(out_rank - 1))
        perm.insert(int(func.ax), out_rank - 1)
        t = ctx.tmp()
        ctx.node("Transpose", [y], [t], perm=perm)
        y = t
    ctx.node("Identity", [y], outs)


@onnx_op(
    "embedding_lookup",
    sample=lambda F, t, a, b: F.add(
        F.embedding_lookup([a, b], _labels_sample(F, t, 7)),
        F.embedding_lookup([a, b], _labels_sample(F, t, 7), partition_strategy="div"),
        name="out",
    ),
    shapes=((2, 3), (4, 5), (3, 5)),
)
def _embedding_lookup(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Gather; several shards are concatenated and each id mapped to its row there by a
    constant table built with nnfunc's own partition rule."""
    if func.only is not None:
        raise _unsupported(func, "embedding_lookup restricted to one shard")
    ids = _int64(ctx, func, 0, ins[0])
    if func.n == 1:
        ctx.node("Gather", [ins[1], ids], outs, axis=0)
        return
    sizes = [func.input_spec(i).shape[0] for i in range(1, func.n + 1)]
    if any(s is None for s in sizes):
        raise _unsupported(func, "embedding_lookup over shards of unknown sizes")
    # nnfunc's partition rule, from the Function's own module (core never imports functions/)
    partition = sys.modules[type(func).__module__].partition
    shard, row = partition(np.arange(sum(sizes)), tuple(sizes), func.strategy)
    pos = np.concatenate([[0], np.cumsum(sizes)[:-1]])[shard] + row
    table, where = ctx.tmp(), ctx.tmp()
    ctx.node("Concat", ins[1:], [table], axis=0)
    ctx.node("Gather", [ctx.const(pos.astype(np.int64)), ids], [where], axis=0)
    ctx.node("Gather", [table, where], outs, axis=0)


# ---------------------------------------------------------------- extrema, top-k, sort
def _to_last(ctx: _Context, x: str, axes: Sequence[int], rank: int) -> str:
    """``x`` with ``axes`` moved last and flattened into one axis (kept axes copied by 0)."""
    kept = [i for i in range(rank) if i not in axes]
    t = x
    if list(axes) != list(range(rank - len(axes), rank)):
        t = ctx.tmp()
        ctx.node("Transpose", [x], [t], perm=kept + list(axes))
    r = ctx.tmp()
    ctx.node("Reshape", [t, ctx.const([0] * len(kept) + [-1], np.int64)], [r])
    return r


@onnx_op(
    "max",
    "min",
    sample=lambda F, x: F.add(
        F.add(F.max(x, axis=2), F.min(x, axis=2)),
        F.add(
            F.cast(F.max(x, axis=(0, 2), only_index=True), np.float32),
            F.mul(*F.min(x, axis=(2,), keepdims=True, with_index=True))[..., 0],
        ),
        name="out",
    ),
)
def _minmax(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """ReduceMax/ReduceMin; the index (NumPy's: first occurrence, over the flattened reduced
    axes) is ArgMax/ArgMin after moving the reduced axes last."""
    big = func.op_name == "max"
    axes = [int(a) for a in func.axes]
    keep = int(bool(func.keepdims))
    only_index = not getattr(func, "retain_in", (0,))  # the index-only class retains nothing
    if not func.with_index:
        _axes_node(ctx, "ReduceMax" if big else "ReduceMin", ins[0], axes, outs[0], keep)
        return
    if only_index:
        value_out, index_out = None, outs[0]
    else:
        value_out, index_out = outs[0], outs[1]
    if value_out is not None:
        _axes_node(ctx, "ReduceMax" if big else "ReduceMin", ins[0], axes, value_out, keep)
    rank = _rank(func)
    flat = _to_last(ctx, ins[0], axes, rank) if axes else ins[0]
    if not axes:  # no reduced axis: every index is 0
        z = ctx.tmp()
        ctx.node("Mul", [_as(ctx, ins[0], _in_dtype(func, 0), np.int64),
                         ctx.const(0, np.int64)], [z])  # fmt: skip
        ctx.node("Identity", [z], [index_out])
        return
    if keep:
        a, u = ctx.tmp(), ctx.tmp()
        ctx.node("ArgMax" if big else "ArgMin", [flat], [a], axis=-1, keepdims=0)
        ctx.node("Unsqueeze", [a, ctx.const(axes, np.int64)], [index_out])
        del u
    else:
        ctx.node("ArgMax" if big else "ArgMin", [flat], [index_out], axis=-1, keepdims=0)


def _flat_from(ctx: _Context, x: str, base: int) -> str:
    r = ctx.tmp()
    ctx.node("Reshape", [x, ctx.const([0] * base + [-1], np.int64)], [r])
    return r


def _topk_positions(ctx: _Context, func: Any, key: str) -> str:
    """Positions of the k largest (|key| with abs) per sample, ties to the lower position."""
    flat = _flat_from(ctx, key, int(func.base_axis))
    if func.abs:
        a = ctx.tmp()
        ctx.node("Abs", [flat], [a])
        flat = a
    vals, idx = ctx.tmp(), ctx.tmp()
    ctx.node("TopK", [flat, ctx.const([int(func.k)], np.int64)], [vals, idx], axis=-1,
             largest=1, sorted=1)  # fmt: skip
    return idx


@onnx_op(
    "top_k_data",
    sample=lambda F, x: F.add(
        F.top_k_data(x, 3, abs=True), F.top_k_data(x, 2, base_axis=2)[..., 0], name="out"
    ),
)
def _top_k_data(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    idx = _topk_positions(ctx, func, ins[1])
    flat = _flat_from(ctx, ins[0], int(func.base_axis))
    ctx.node("GatherElements", [flat, idx], outs, axis=-1)


@onnx_op(
    "top_k_mask",  # top_k_data(reduce=False) multiplies by it
    sample=lambda F, x: F.top_k_data(x, 3, abs=True, reduce=False, name="out"),
)
def _top_k_mask(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    idx = _topk_positions(ctx, func, ins[0])
    flat = _flat_from(ctx, ins[0], int(func.base_axis))
    mask, shp = _index_mask(ctx, flat, idx), ctx.tmp()
    ctx.node("Shape", ins[:1], [shp])
    ctx.node("Reshape", [mask, shp], outs)


@onnx_op(
    "top_k",
    sample=lambda F, x: F.add(
        F.top_k(x, 3)[0],
        F.add(F.cast(F.top_k(x, 3, sorted=False)[1], np.float32), F.top_k(x, 3, sorted=False)[0]),
        name="out",
    ),
)
def _top_k(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    k = ctx.const([int(func.k)], np.int64)
    if func.sorted:
        ctx.node("TopK", [ins[0], k], outs[:2], axis=-1, largest=1, sorted=1)
        return
    # the same entries in increasing index order
    v, i, si, _ = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("TopK", [ins[0], k], [v, i], axis=-1, largest=1, sorted=1)
    ctx.node("TopK", [i, k], [si, _], axis=-1, largest=0, sorted=1)
    ctx.node("Identity", [si], [outs[1]])
    ctx.node("GatherElements", [ins[0], si], [outs[0]], axis=-1)


@onnx_op(
    "sort",
    sample=lambda F, x: F.add(
        F.sort(x, axis=1),
        F.mul(*F.sort(x, axis=1, reverse=True, with_index=True)),
        name="out",
    ),
)
def _sort(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """TopK over the whole axis (ascending, or descending with reverse); ONNX keeps equal
    values in ascending index order, as nnfunc's stable sort does."""
    axis = int(func.axis)
    shp, n = ctx.tmp(), ctx.tmp()
    ctx.node("Shape", ins[:1], [shp])
    ctx.node("Gather", [shp, ctx.const([axis], np.int64)], [n], axis=0)
    only_index = len(outs) == 1 and func.with_index
    vals = ctx.tmp() if only_index else outs[0]
    idx = outs[-1] if func.with_index else ctx.tmp()
    ctx.node("TopK", [ins[0], n], [vals, idx], axis=axis, largest=int(bool(func.reverse)),
             sorted=1)  # fmt: skip


# ====================================================================== ops without ONNX
# Every op of the library is in EXPORTERS or here (tests/export/test_onnx_coverage.py checks
# it), so a new op has to choose.
_GRADIENT = "a backward node that only Graph.grad adds (ONNX models are mostly inference graphs)"
_RANDOM = (
    "draws random numbers with nnfunc's seed design (nnfunc.random); ONNX's random operators "
    "have their own generators, so the exported values could not match"
)
NO_ONNX_EQUIVALENT: dict[str, str] = {
    # ---- gradient nodes (made by Graph.grad) that are not mapped: each with why
    **dict.fromkeys(("ctc_loss_grad", "ctc_loss_hvp"), _GRADIENT + "; CTC has no ONNX form"),
    **dict.fromkeys(
        ("fractional_pool_grad", "fractional_pool_grad_grad"),
        _GRADIENT + "; the fractional pooling regions are drawn at random",
    ),
    **dict.fromkeys(
        ("gru_grad", "lstm_grad", "rnn_grad", "sru_grad", "recurrent_grad"),
        _GRADIENT + "; backpropagation through time would be a reverse Loop over the steps "
        "(not written)",
    ),
    "prod_exclusive": _GRADIENT + "; an exclusive cumulative product, which ONNX lacks (CumSum "
    "only; going through logs is not exact with zeros and signs)",
    "min_max_quantize_range": _GRADIENT + "; the nudged range of min_max_quantize, whose "
    "forward is not exportable either (it writes its range back into its inputs)",
    # ---- randomness
    "dropout": _RANDOM + " (in inference a graph without the dropout node is the ONNX model)",
    "dropout_grad": _GRADIENT + "; gy times dropout's drawn mask (the mask's node cannot be "
    "exported, see dropout)",
    "random_choice": _RANDOM,
    "random_crop": _RANDOM,
    "random_erase": _RANDOM,
    "random_flip": _RANDOM,
    "random_shift": _RANDOM,
    "image_augmentation": _RANDOM,
    "fractional_avg_pool": _RANDOM + " (the pooling regions are drawn)",
    "fractional_max_pool": _RANDOM + " (the pooling regions are drawn)",
    "sampled_targets": _RANDOM + " (candidate sampling)",
    "compute_accidental_hits": "matches sampled candidates against labels by value with a "
    "variable number of hits (sampled softmax machinery, no ONNX counterpart)",
    # ---- no ONNX operator
    "all_reduce": "an MPI collective over a communicator; ONNX graphs run in one process",
    "ctc_loss": "ONNX has no CTC loss operator (its dynamic programme over label paths would "
    "need a Loop with per-sample label lengths)",
    "ctc_greedy_decoder": "returns variable-length decoded sequences (sparse output); ONNX has "
    "no CTC decoder",
    "ctc_beam_search_decoder": "beam search with variable-length sparse outputs; ONNX has no "
    "CTC decoder",
    "batch_inv": "ONNX has no matrix inverse operator",
    "patch_correlation": "no ONNX operator; expressible as one shifted product and channel "
    "mean per displacement (hundreds of nodes for FlowNet's usual grids): not written",
    "fft": "nnfunc's complex FFT has complex tensors; ONNX DFT represents them as a trailing "
    "(real, imag) axis, so the graph's dtypes cannot be kept",
    "ifft": "nnfunc's complex FFT has complex tensors; ONNX DFT represents them as a trailing "
    "(real, imag) axis, so the graph's dtypes cannot be kept",
    "stft": "complex outputs (see fft); ONNX STFT gives a trailing (real, imag) axis",
    "istft": "complex inputs (see fft) and overlap-add with window normalisation",
    "sru": "ONNX has no SRU cell; its recurrence would need a Loop or Scan over time: not written",
    # ---- expressible in ONNX, mapping not written (yet)
    "min_max_quantize": "writes its range (qr_min/qr_max: x_min_max, the moving average, the "
    "widening to eps) back into its inputs, a state change an ONNX graph cannot make",
}


# ---------------------------------------------------------------- losses and derivatives
@onnx_op(
    "sigmoid_cross_entropy_with_logits",
    "weighted_cross_entropy_with_logits",
    sample=lambda F, x, z, q: F.add(
        F.sigmoid_cross_entropy_with_logits(F.mul(x, 10.0), F.sigmoid(z)),
        F.weighted_cross_entropy_with_logits(x, F.sigmoid(z), F.exp(q)),
        name="out",
    ),
    shapes=((2, 3, 4), (2, 3, 4), (4,)),
)
def _sigmoid_ce(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """nnfunc's stable form ``c*|x| + l*log1p(exp(-|x|))`` with ``c = 1 - z`` (x >= 0) or
    ``q*z`` (x < 0) and ``l = 1 + (q - 1)*z`` (``q = 1`` without a positive weight)."""
    dt = _out_dtype(func)
    x, z = _inputs_as(ctx, func, ins[:2], dt)
    q = _as(ctx, ins[2], _in_dtype(func, 2), dt) if len(ins) > 2 and ins[2] else None
    one = ctx.const(1.0, dt)
    ax, nax, sp, pos, omz, neg_c, c, cax, lsp, y = (ctx.tmp() for _ in range(10))
    ctx.node("Abs", [x], [ax])
    ctx.node("Neg", [ax], [nax])
    ctx.node("Softplus", [nax], [sp])
    ctx.node("GreaterOrEqual", [x, ctx.const(0.0, dt)], [pos])
    ctx.node("Sub", [one, z], [omz])
    if q is None:
        ctx.node("Identity", [z], [neg_c])
        lsp = sp
    else:
        qm1, l_, lz = ctx.tmp(), ctx.tmp(), ctx.tmp()
        ctx.node("Mul", [q, z], [neg_c])
        ctx.node("Sub", [q, one], [qm1])
        ctx.node("Mul", [qm1, z], [lz])
        ctx.node("Add", [lz, one], [l_])
        ctx.node("Mul", [l_, sp], [lsp])
    ctx.node("Where", [pos, omz, neg_c], [c])
    ctx.node("Mul", [c, ax], [cax])
    ctx.node("Add", [cax, lsp], [y])
    ctx.node("Identity", [y], outs)


@onnx_op("l2_loss", sample=lambda F, x: F.l2_loss(x, name="out"))
def _l2_loss(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _out_dtype(func)
    x, s = _as(ctx, ins[0], _in_dtype(func, 0), dt), ctx.tmp()
    ctx.node("ReduceSumSquare", [x], [s], keepdims=0)
    ctx.node("Mul", [s, ctx.const(0.5, dt)], outs)


@onnx_op(
    "sparse_categorical_cross_entropy",  # its label pick, under the loss's name
    sample=lambda F, x, t: F.sparse_categorical_cross_entropy(
        F.softmax(x), _labels_sample(F, t, 5), name="out"
    ),
    shapes=((2, 5), (2,)),
)
def _take_along_axis(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    idx = _int64(ctx, func, 1, ins[1])
    if getattr(func, "expand", False):
        u = ctx.tmp()
        ctx.node("Unsqueeze", [idx, ctx.const([int(func.axis)], np.int64)], [u])
        idx = u
    ctx.node("GatherElements", [ins[0], idx], outs, axis=int(func.axis))


# take_along_axis appears in gradient graphs only (the backward of put_along_axis): the sample
# applies the Function class itself
onnx_op(
    "take_along_axis",
    sample=lambda F, x, t: F._labels.TakeAlongAxis(1, True).apply1(
        x, _labels_sample(F, t, 5), name="out"
    ),
    shapes=((2, 5, 3), (2, 3)),
)(_take_along_axis)


@onnx_op(
    "sigmoid_derivative",
    sample=lambda F, x, w: F.sigmoid_derivative(x, w, name="out"),
    shapes=((2, 3, 4), (2, 3, 4)),
)
def _sigmoid_derivative(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _out_dtype(func)
    x, w = _inputs_as(ctx, func, ins[:2], dt)
    s, oms, d = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Sigmoid", [x], [s])
    ctx.node("Sub", [ctx.const(1.0, dt), s], [oms])
    ctx.node("Mul", [s, oms], [d])
    ctx.node("Mul", [w, d], outs)


@onnx_op(
    "softmax_derivative",
    sample=lambda F, x, w: F.softmax_derivative(x, w, axis=1, name="out"),
    shapes=((2, 3, 4), (2, 3, 4)),
)
def _softmax_derivative(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # y * (wrt - sum(wrt * y, axis))
    dt = _out_dtype(func)
    x, w = _inputs_as(ctx, func, ins[:2], dt)
    y, wy, s, d = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Softmax", [x], [y], axis=int(func.ax))
    ctx.node("Mul", [w, y], [wy])
    _axes_node(ctx, "ReduceSum", wy, [int(func.ax)], s, 1)
    ctx.node("Sub", [w, s], [d])
    ctx.node("Mul", [y, d], outs)


@onnx_op(
    "leaky_relu_derivative",
    "hard_tanh_derivative",
    sample=lambda F, x: F.add(
        F.leaky_relu_derivative(F.floor(x), 0.2), F.hard_tanh_derivative(x), name="out"
    ),
)
def _piecewise_derivative(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _out_dtype(func)
    x = _as(ctx, ins[0], _in_dtype(func, 0), dt)
    cond = ctx.tmp()
    if func.op_name == "leaky_relu_derivative":  # 1 at x >= 0, alpha below
        ctx.node("GreaterOrEqual", [x, ctx.const(0.0, dt)], [cond])
        ctx.node("Where", [cond, ctx.const(1.0, dt), ctx.const(func.alpha, dt)], outs)
        return
    lo, hi = ctx.tmp(), ctx.tmp()  # 1 strictly inside (-1, 1)
    ctx.node("Greater", [x, ctx.const(-1.0, dt)], [lo])
    ctx.node("Less", [x, ctx.const(1.0, dt)], [hi])
    ctx.node("And", [lo, hi], [cond])
    ctx.node("Cast", [cond], outs, to=_elem_type(ctx.onnx, dt))


@onnx_op("hard_silu", sample=lambda F, x: F.hard_silu(F.mul(x, 4.0), name="out"))
def _hard_silu(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # one Function (HardSiLU): x * clip(x + 3, 0, 6) / 6, in the kernel's order
    dt = _out_dtype(func)
    x = _as(ctx, ins[0], _in_dtype(func, 0), dt)
    r, c, q = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Add", [x, ctx.const(3.0, dt)], [r])
    ctx.node("Clip", [r, ctx.const(0.0, dt), ctx.const(6.0, dt)], [c])
    ctx.node("Mul", [c, ctx.const(1 / 6, dt)], [q])
    ctx.node("Mul", [q, x], outs)


# ------------------------------------------- the activations' fused gradient (ActivationGrad)
def _sigmoid_of(ctx: _Context, z: str, negate: bool = False) -> str:
    """``sigmoid(z)`` (or ``sigmoid(-z)``: 1 - s without its cancellation)."""
    if negate:
        n = ctx.tmp()
        ctx.node("Neg", [z], [n])
        z = n
    s = ctx.tmp()
    ctx.node("Sigmoid", [z], [s])
    return s


def _activation_derivative(ctx: _Context, func: Any, v: str, dt: Any) -> str:
    """``f'(x)`` written in ``v`` (the activation's input, or its output for sigmoid, tanh
    and relu with threshold 0), the rules of ``_fused.py`` / the kernels' NumPy twins."""
    kind, a, b = func.kind, float(func.a), float(func.b)

    def node(op: str, *inputs: str, **attrs: Any) -> str:
        out = ctx.tmp()
        ctx.node(op, list(inputs), [out], **attrs)
        return out

    def c(value: float) -> str:
        return ctx.const(value, dt)

    if kind == "sigmoid":  # y (1 - y)
        return node("Mul", v, node("Sub", c(1.0), v))
    if kind == "tanh":  # 1 - y^2
        return node("Sub", c(1.0), node("Mul", v, v))
    if kind == "softplus":
        return _sigmoid_of(ctx, v)
    if kind == "log_sigmoid":
        return _sigmoid_of(ctx, v, negate=True)
    if kind == "swish":  # x sigmoid(a x) (silu a = 1, sigmoid GELU a = 1.702): s + z s q
        z = node("Mul", v, c(a)) if a != 1 else v
        s, q = _sigmoid_of(ctx, z), _sigmoid_of(ctx, z, negate=True)
        zc = node("Clip", z, c(-800.0), c(800.0))  # s q is 0 there: no inf * 0
        return node("Add", s, node("Mul", zc, node("Mul", s, q)))
    if kind == "gelu_tanh":  # x sigmoid(2u), u = k (x + A x^3): s + 2 x s q u'
        k, big_a = float(np.sqrt(2.0 / np.pi)), 0.044715
        xc = node("Clip", v, c(-100.0), c(100.0))
        x2 = node("Mul", xc, xc)
        z = node("Mul", node("Add", xc, node("Mul", node("Mul", x2, xc), c(big_a))), c(2 * k))
        s, q = _sigmoid_of(ctx, z), _sigmoid_of(ctx, z, negate=True)
        du = node("Mul", node("Add", node("Mul", x2, c(3 * big_a)), c(1.0)), c(k))
        t = node("Mul", node("Mul", node("Mul", xc, c(2.0)), node("Mul", s, q)), du)
        return node("Add", s, t)
    if kind == "gelu_erf":  # Phi(x) + x phi(x), x clipped at +-50 where phi is 0
        phi_big = node("Add", node("Mul", node("Erf", node("Mul", v, c(1 / np.sqrt(2.0)))),
                                   c(0.5)), c(0.5))  # fmt: skip
        xc = node("Clip", v, c(-50.0), c(50.0))
        e = node("Exp", node("Mul", node("Mul", xc, xc), c(-0.5)))
        return node("Add", phi_big, node("Mul", xc, node("Mul", e, c(1 / np.sqrt(2 * np.pi)))))
    if kind == "elu":  # 1 above 0, alpha exp(min(x, 0)) at and below; times the scale
        e = node("Mul", node("Exp", node("Min", v, c(0.0))), c(a))
        d = node("Where", node("Greater", v, c(0.0)), c(1.0), e)
        return node("Mul", d, c(b)) if b != 1 else d
    if kind == "softsign":  # 1 / (1 + |x|)^2
        r = node("Reciprocal", node("Add", node("Abs", v), c(1.0)))
        return node("Mul", r, r)
    if kind == "hard_silu":  # clip(x + 3, 0, 6) / 6 + x / 6 strictly inside (-3, 3)
        r = node("Mul", node("Clip", node("Add", v, c(3.0)), c(0.0), c(6.0)), c(1 / 6))
        inside = node("And", node("Greater", v, c(-3.0)), node("Less", v, c(3.0)))
        return node("Add", r, node("Where", inside, node("Mul", v, c(1 / 6)), c(0.0)))
    raise _unsupported(func, f"{func.op_name} of the kind {kind!r}")


def _activation_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # gx = gy * f'(x); the piecewise-linear kinds select gy where their mask holds, as the
    # kernels do (no product: 0 * inf would make NaN where the mask is False)
    dt = _out_dtype(func)
    v, gy = _inputs_as(ctx, func, ins[:2], dt)
    kind, a, b = func.kind, float(func.a), float(func.b)
    if kind in ("relu", "leaky_relu", "window"):
        keep = ctx.tmp()
        if kind == "relu":  # v > threshold (v is the output for threshold 0)
            ctx.node("Greater", [v, ctx.const(a, dt)], [keep])
            ctx.node("Where", [keep, gy, ctx.const(0.0, dt)], outs)
        elif kind == "leaky_relu":  # gy at x >= 0, slope * gy below
            low = ctx.tmp()
            ctx.node("GreaterOrEqual", [v, ctx.const(0.0, dt)], [keep])
            ctx.node("Mul", [gy, ctx.const(a, dt)], [low])
            ctx.node("Where", [keep, gy, low], outs)
        else:  # relu6 / hard_sigmoid's clip: gy strictly inside (lo, hi)
            lo, hi = ctx.tmp(), ctx.tmp()
            ctx.node("Greater", [v, ctx.const(a, dt)], [lo])
            ctx.node("Less", [v, ctx.const(b, dt)], [hi])
            ctx.node("And", [lo, hi], [keep])
            ctx.node("Where", [keep, gy, ctx.const(0.0, dt)], outs)
        return
    ctx.node("Mul", [gy, _activation_derivative(ctx, func, v, dt)], outs)


def _activation_grad_sample(forward: Callable[..., Any]) -> Callable[..., Any]:
    """d sum(forward(x) * w) / dx: the gradient node of the activation with ``gy = w``."""
    return _grad_sample(lambda F, x, w: F.mul(forward(F, x), w))


_ACTIVATION_GRAD_SAMPLES: dict[str, Callable[..., Any]] = {
    # relu: threshold 0 (from the output) and a threshold (from the input)
    "relu_grad": lambda F, x: F.add(F.relu(x), F.relu(x, threshold=0.3)),
    "sigmoid_grad": lambda F, x: F.sigmoid(F.mul(x, 3.0)),
    "tanh_grad": lambda F, x: F.tanh(F.mul(x, 2.0)),
    "elu_grad": lambda F, x: F.elu(x, 0.7),
    "selu_grad": lambda F, x: F.selu(x),
    # the three forms: erf, tanh and sigmoid (x sigmoid(1.702 x))
    "gelu_grad": lambda F, x: F.add(
        F.add(F.gelu(F.mul(x, 3.0)), F.gelu(x, approximate="tanh")),
        F.gelu(F.mul(x, 2.0), approximate="sigmoid"),
    ),
    "silu_grad": lambda F, x: F.silu(F.mul(x, 3.0)),
    "softplus_grad": lambda F, x: F.softplus(F.mul(x, 3.0)),
    "softsign_grad": lambda F, x: F.softsign(F.mul(x, 3.0)),
    "leaky_relu_grad": lambda F, x: F.leaky_relu(x, 0.15),
    "relu6_grad": lambda F, x: F.add(F.relu6(F.mul(x, 4.0)), F.relu6(x, lower=0.5)),
    "hard_sigmoid_grad": lambda F, x: F.hard_sigmoid(F.mul(x, 3.0)),
    "hard_silu_grad": lambda F, x: F.hard_silu(F.mul(x, 4.0)),
    "log_sigmoid_grad": lambda F, x: F.log_sigmoid(F.mul(x, 5.0)),
}
for _name, _forward in _ACTIVATION_GRAD_SAMPLES.items():
    onnx_op(_name, sample=_activation_grad_sample(_forward), shapes=((2, 3, 4), (2, 3, 4)))(
        _activation_grad
    )


# ---------------------------------------------------------------- linear algebra, counts
@onnx_op("batch_det", sample=lambda F, x: F.batch_det(x, name="out"), shapes=((2, 3, 3),))
def _batch_det(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _out_dtype(func)
    work = np.dtype(np.float32) if dt == np.float16 else dt
    d = ctx.tmp()
    ctx.node("Det", [_as(ctx, ins[0], _in_dtype(func, 0), work)], [d])
    ctx.node("Identity", [_as(ctx, d, work, dt)], outs)


def _eye_like_last(ctx: _Context, ref: str, dt: Any) -> str:
    """An (n, n) identity of dtype ``dt``, n the last dimension of ``ref`` (run time)."""
    shp, n, nn, z, eye = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Shape", [ref], [shp], start=-1)
    ctx.node("Concat", [shp, shp], [nn], axis=0)
    zero = ctx.onnx.numpy_helper.from_array(np.zeros((1,), np.float32), "value")
    ctx.node("ConstantOfShape", [nn], [z], value=zero)
    ctx.node("EyeLike", [z], [eye])
    del n
    return _as(ctx, eye, np.float32, dt)


@onnx_op(
    "matrix_diag",
    "matrix_diag_part",
    sample=lambda F, x: F.add(F.matrix_diag_part(F.matrix_diag(x)), x, name="out"),
)
def _matrix_diag(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _in_dtype(func, 0)
    mdt = dt if dt.kind in "fiu" else np.dtype(np.int64)  # EyeLike/Mul need numbers
    x = _as(ctx, ins[0], dt, mdt)
    eye = _eye_like_last(ctx, x, mdt)
    y, m = ctx.tmp(), ctx.tmp()
    if func.op_name == "matrix_diag":  # x[..., None] * I
        u = ctx.tmp()
        ctx.node("Unsqueeze", [x, ctx.const([-1], np.int64)], [u])
        ctx.node("Mul", [u, eye], [y])
    else:  # sum(x * I, axis=-1)
        ctx.node("Mul", [x, eye], [m])
        _axes_node(ctx, "ReduceSum", m, [_rank(func) - 1], y, 0)
    ctx.node("Identity", [_as(ctx, y, mdt, dt)], outs)


@onnx_op(
    "count",  # mean's gradient divides by the run-time count when the batch is unknown
    sample=_grad_sample(lambda F, x: F.mean(x, axis=(0, 2))),
)
def _count(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # the number of elements over the axes, read from the shape at run time
    shp, dims, n = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Shape", ins[:1], [shp])
    ctx.node("Gather", [shp, ctx.const([int(a) for a in func.axes], np.int64)], [dims], axis=0)
    ctx.node("ReduceProd", [dims], [n], keepdims=0)
    ctx.node("Cast", [n], outs, to=_elem_type(ctx.onnx, func.dtype))


@onnx_op(
    "mean_subtraction",
    sample=lambda F, x, m: F.mean_subtraction(x, m, update_running_mean=False, name="out"),
    shapes=((2, 3, 4), (3, 4)),
)
def _mean_subtraction(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    if func.update:
        raise _unsupported(
            func, "mean_subtraction updating its running mean in place (a state change)"
        )
    dt = _out_dtype(func)
    x, m = _inputs_as(ctx, func, ins[:2], dt)
    ctx.node("Sub", [x, m], outs)


# ---------------------------------------------------------------- moments
@onnx_op(
    "moments",
    sample=lambda F, x: F.mul(*F.moments(F.mul(x, 3.0), axis=(0, 2)), name="out"),
)
def _moments(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Mean and biased variance, nnfunc's corrected two-pass form."""
    dt = _out_dtype(func)
    axes, keep = [int(a) for a in func.axes], int(bool(func.keepdims))
    x = _as(ctx, ins[0], _in_dtype(func, 0), dt)
    mu, d, c, sq, m2, c2, var, v0, mean = (ctx.tmp() for _ in range(9))
    _axes_node(ctx, "ReduceMean", x, axes, mu, 1)
    ctx.node("Sub", [x, mu], [d])
    _axes_node(ctx, "ReduceMean", d, axes, c, 1)
    ctx.node("Mul", [d, d], [sq])
    _axes_node(ctx, "ReduceMean", sq, axes, m2, 1)
    ctx.node("Mul", [c, c], [c2])
    ctx.node("Sub", [m2, c2], [var])
    ctx.node("Max", [var, ctx.const(0.0, dt)], [v0])
    ctx.node("Add", [mu, c], [mean])
    for value, out in ((mean, outs[0]), (v0, outs[1])):
        if keep:
            ctx.node("Identity", [value], [out])
        else:
            ctx.node("Squeeze", [value, ctx.const(axes, np.int64)], [out])


@onnx_op(
    "sufficient_statistics",
    sample=lambda F, x, s: F.add(
        F.add(*F.sufficient_statistics(x, (0, 2), shift=s)[1:]),
        F.sufficient_statistics(x, (0, 2))[0],
        name="out",
    ),
    shapes=((2, 3, 4), (3, 1)),
)
def _sufficient_statistics(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _out_dtype(func)
    axes, keep = [int(a) for a in func.axes], int(bool(func.keepdims))
    d = _as(ctx, ins[0], _in_dtype(func, 0), dt)
    if len(ins) > 1 and ins[1]:
        s = ctx.tmp()
        ctx.node("Sub", [d, _as(ctx, ins[1], _in_dtype(func, 1), dt)], [s])
        d = s
    shp, dims, n, sq = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Shape", ins[:1], [shp])
    ctx.node("Gather", [shp, ctx.const(axes, np.int64)], [dims], axis=0)
    ctx.node("ReduceProd", [dims], [n], keepdims=0)
    ctx.node("Cast", [n], [outs[0]], to=_elem_type(ctx.onnx, dt))
    _axes_node(ctx, "ReduceSum", d, axes, outs[1], keep)
    ctx.node("Mul", [d, d], [sq])
    _axes_node(ctx, "ReduceSum", sq, axes, outs[2], keep)


@onnx_op(
    "normalize_moments",
    sample=lambda F, n, m, v, s: F.add(
        *F.normalize_moments(F.add(F.exp(n), 2.0), m, F.exp(v), s), name="out"
    ),
    shapes=((1,), (3, 4), (3, 4), (4,)),
)
def _normalize_moments(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    dt = _out_dtype(func)
    counts, mss, vss, shift = (_inputs_as(ctx, func, ins, dt) + ["", "", "", ""])[:4]
    div, sm, vd, sm2, mean, var = (ctx.tmp() for _ in range(6))
    ctx.node("Reciprocal", [counts], [div])
    ctx.node("Mul", [mss, div], [sm])
    ctx.node("Mul", [vss, div], [vd])
    ctx.node("Mul", [sm, sm], [sm2])
    ctx.node("Sub", [vd, sm2], [var])
    if shift:
        ctx.node("Add", [sm, shift], [mean])
    else:
        mean = sm
    # both outputs take the broadcast shape of every input
    shape_src = ctx.tmp()
    parts = [n for n in (counts, mss, vss, shift) if n]
    ctx.node("Sum", parts, [shape_src])  # only its shape is used
    shp = ctx.tmp()
    ctx.node("Shape", [shape_src], [shp])
    ctx.node("Expand", [mean, shp], [outs[0]])
    ctx.node("Expand", [var, shp], [outs[1]])


# ---------------------------------------------------------------- resampling
@onnx_op(
    "interpolate",
    sample=lambda F, x: F.add(
        F.interpolate(x, output_size=(5, 9), mode="linear", half_pixel=True),
        F.add(
            F.interpolate(x, output_size=(5, 9), mode="linear", align_corners=True),
            F.interpolate(x, output_size=(5, 9), mode="nearest", half_pixel_for_nn=True),
        ),
        name="out",
    ),
    shapes=((2, 3, 4, 6),),
)
def _interpolate(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Per spatial axis, two Gathers and a lerp with the node's own source plan (nnfunc's
    coordinate rules exactly: align_corners, half_pixel, half_pixel_for_nn, nearest's integer
    rounding), rather than Resize, whose modes would each need checking against them."""
    if None in func.n_in or None in func.n_out:
        raise _unsupported(func, "interpolate with unknown spatial sizes")
    plan_of = sys.modules[type(func).__module__].source_plan
    dt = _out_dtype(func)
    rank = _rank(func)
    x = _as(ctx, ins[0], _in_dtype(func, 0), dt)
    for ax, n_in, n_out in zip(func.sp_axes, func.n_in, func.n_out, strict=True):
        i0, i1, w1 = plan_of(int(n_in), int(n_out), *func._opts())
        a = ctx.tmp()
        ctx.node("Gather", [x, ctx.const(i0.astype(np.int64))], [a], axis=int(ax))
        if func.mode == "nearest":
            x = a
            continue
        b, d, wd, y = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
        ctx.node("Gather", [x, ctx.const(i1.astype(np.int64))], [b], axis=int(ax))
        w = np.asarray(w1, dtype=dt).reshape((-1,) + (1,) * (rank - 1 - int(ax)))
        ctx.node("Sub", [b, a], [d])
        ctx.node("Mul", [d, ctx.const(w)], [wd])
        ctx.node("Add", [a, wd], [y])
        x = y
    ctx.node("Identity", [x], outs)


# ---------------------------------------------------------------- attention
def _shape_dims(ctx: _Context, x: str, idx: Sequence[int]) -> str:
    shp, d = ctx.tmp(), ctx.tmp()
    ctx.node("Shape", [x], [shp])
    ctx.node("Gather", [shp, ctx.const(list(idx), np.int64)], [d], axis=0)
    return d


def _range(ctx: _Context, n: str) -> str:
    """``arange(n)`` (int64) for a 1-element int64 tensor ``n``."""
    s, r = ctx.tmp(), ctx.tmp()
    ctx.node("Squeeze", [n, ctx.const([0], np.int64)], [s])
    ctx.node("Range", [ctx.const(0, np.int64), s, ctx.const(1, np.int64)], [r])
    return r


def _attention_sample(F: Any, q: Any, k: Any, v: Any, b: Any) -> Any:
    keep = F.greater(b, -1.0)  # a boolean mask broadcast over batch and heads
    full = F.dot_product_attention(q, k, v, bias=b, mask=keep, is_causal=True, scale=0.3)
    lengths = F.cast(F.add(F.mul(F.sigmoid(q[:, 0, 0, 0]), 3.0), 1.0), np.int64)
    grouped = F.dot_product_attention(q, k[:, :, :1], v[:, :, :1], key_lengths=lengths)
    return F.add(full, grouped, name="out")


@onnx_op(
    "dot_product_attention",
    sample=_attention_sample,
    shapes=((2, 5, 2, 4), (2, 5, 2, 4), (2, 5, 2, 3), (5, 5)),
)
def _dot_product_attention(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``softmax(scale q k^T + bias, where=mask [and s <= t]) v`` in the node's BNTH layout;
    a row with no key left gives 0, as in nnfunc. Key/value heads shared by groups of query
    heads are repeated. The key-lengths mask (same op name) is ``arange(S) < lengths``."""
    if tuple(func.input_names) == ("key_lengths", "key"):
        lengths = _int64(ctx, func, 0, ins[0])
        s = _shape_dims(ctx, ins[1], [2])
        lu, keep = ctx.tmp(), ctx.tmp()
        ctx.node("Unsqueeze", [lengths, ctx.const([1], np.int64)], [lu])
        ctx.node("Less", [_range(ctx, s), lu], [keep])
        ctx.node("Unsqueeze", [keep, ctx.const([1, 2], np.int64)], outs)
        return
    dt = _out_dtype(func)
    core = _attention_core(ctx, func, ins)
    o = ctx.tmp()
    ctx.node("MatMul", [core["p"], core["v"]], [o])
    ctx.node("Identity", [_as(ctx, o, core["work"], dt)], outs)


def _attention_core(ctx: _Context, func: Any, ins: list[str]) -> dict[str, Any]:
    """The probabilities of an attention node (forward or gradient: the same inputs 0-4 and
    ``scale``/``causal``), with its key/value heads repeated for grouped queries."""
    dt = np.dtype(func.input_spec(0).dtype)
    work = np.dtype(np.float64) if dt == np.float64 else np.dtype(np.float32)
    q, k, v = _inputs_as(ctx, func, ins[:3], work)
    bias = ins[3] if len(ins) > 3 else ""
    mask = ins[4] if len(ins) > 4 else ""
    n_q, n_k = func.input_spec(0).shape[1], func.input_spec(1).shape[1]
    g, ratio = 1, ""
    if n_q is None or n_k is None or n_q != n_k:
        if n_q is None or n_k is None:
            # head counts known only when the model runs: the group size from the shapes
            # (1 when they turn out equal: the repetition is then a copy)
            g, ratio = None, ctx.tmp()
            ctx.node("Div", [_shape_dims(ctx, q, [1]), _shape_dims(ctx, k, [1])], [ratio])
            heads = _shape_dims(ctx, q, [1])
            groups = ctx.tmp()
            ctx.node("Concat", [ctx.const([1, 1], np.int64), ratio,
                                ctx.const([1, 1], np.int64)], [groups], axis=0)  # fmt: skip
        else:
            g = n_q // n_k
            heads = ctx.const([n_q], np.int64)
            groups = ctx.const([1, 1, g, 1, 1], np.int64)
        reps = []
        for t in (k, v):
            u, e, r = ctx.tmp(), ctx.tmp(), ctx.tmp()
            ctx.node("Unsqueeze", [t, ctx.const([2], np.int64)], [u])
            shp = _shape_dims(ctx, u, [0, 1, 2, 3, 4])
            mult = ctx.tmp()
            ctx.node("Mul", [shp, groups], [mult])
            ctx.node("Expand", [u, mult], [e])
            tgt = ctx.tmp()
            ctx.node(
                "Concat",
                [_shape_dims(ctx, t, [0]), heads, _shape_dims(ctx, t, [2, 3])],
                [tgt], axis=0,
            )  # fmt: skip
            ctx.node("Reshape", [e, tgt], [r])
            reps.append(r)
        k, v = reps
    scale = func.scale
    if scale is None:
        h = func.input_spec(0).shape[3]
        if h is None:
            raise _unsupported(func, "attention with an unknown head size and default scale")
        scale = 1.0 / np.sqrt(h) if h else 1.0
    qs, kt, sc = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Mul", [q, ctx.const(scale, work)], [qs])
    ctx.node("Transpose", [k], [kt], perm=[0, 1, 3, 2])
    ctx.node("MatMul", [qs, kt], [sc])
    if bias:
        b2 = ctx.tmp()
        ctx.node("Add", [sc, _as(ctx, bias, _in_dtype(func, 3), work)], [b2])
        sc = b2
    keep = mask
    if func.causal:
        t_n, s_n = _shape_dims(ctx, ins[0], [2]), _shape_dims(ctx, ins[1], [2])
        tc, causal = ctx.tmp(), ctx.tmp()
        ctx.node("Unsqueeze", [_range(ctx, t_n), ctx.const([1], np.int64)], [tc])
        ctx.node("GreaterOrEqual", [tc, _range(ctx, s_n)], [causal])
        keep = _combine(ctx, "And", keep, causal)
    if keep:
        m = ctx.tmp()
        ctx.node("Where", [keep, sc, ctx.const(-np.inf, work)], [m])
        sc = m
    mx, seen, ms, sh, e, se, den, p = (ctx.tmp() for _ in range(8))
    _axes_node(ctx, "ReduceMax", sc, [3], mx, 1)
    ninf = ctx.tmp()
    ctx.node("Equal", [mx, ctx.const(-np.inf, work)], [ninf])
    ctx.node("Not", [ninf], [seen])
    ctx.node("Where", [seen, mx, ctx.const(0.0, work)], [ms])
    ctx.node("Sub", [sc, ms], [sh])
    ctx.node("Exp", [sh], [e])
    _axes_node(ctx, "ReduceSum", e, [3], se, 1)
    ctx.node("Where", [seen, se, ctx.const(1.0, work)], [den])
    ctx.node("Div", [e, den], [p])
    return {"work": work, "q": q, "k": k, "v": v, "p": p, "scale": scale, "g": g,
            "n_k": n_k, "ratio": ratio}  # fmt: skip


@onnx_op(
    "causal_mask",
    sample=lambda F, q, k: F.where(
        F.attention._common.CausalKeep().apply1(q, k), 1.0, 0.0, name="out"
    ),
    shapes=((2, 4, 3), (2, 6, 3)),
)
def _causal_mask(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    t_n, s_n = _shape_dims(ctx, ins[0], [-2]), _shape_dims(ctx, ins[1], [-2])
    tc = ctx.tmp()
    ctx.node("Unsqueeze", [_range(ctx, t_n), ctx.const([1], np.int64)], [tc])
    ctx.node("GreaterOrEqual", [tc, _range(ctx, s_n)], outs)


@onnx_op("split_heads", "merge_heads",
         sample=lambda F, x: F.add(F.attention._common.MergeHeads().apply1(
             F.attention._common.SplitHeads(2).apply1(x)), x, name="out"),
         shapes=((2, 3, 4),))  # fmt: skip
def _heads(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    if func.op_name == "split_heads":  # (..., E) -> (..., heads, E // heads)
        shape = [0] * (_rank(func) - 1) + [int(func.heads), -1]
    else:  # (..., heads, head) -> (..., heads * head)
        shape = [0] * (_rank(func) - 2) + [-1]
    ctx.node("Reshape", [ins[0], ctx.const(shape, np.int64)], outs)


@onnx_op(
    "multi_head_attention",  # the identity node that names its outputs
    sample=lambda F, x, wq, wk, wv, wo: F.add(
        *(lambda y, w: (y, F.sum(w)))(
            *F.multi_head_attention(x, x, x, 2, wq, wk, wv, wo, need_weights=True)
        ),
        name="out",
    ),
    shapes=((2, 3, 4), (4, 4), (4, 4), (4, 4), (4, 4)),
)
def _outputs_identity(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    for i, o in zip(ins, outs, strict=False):
        ctx.node("Identity", [i], [o])


# ---------------------------------------------------------------- recurrent layers
def _gate_rows(ctx: _Context, w: str, order: Sequence[int], h: int, transpose: bool) -> str:
    """``w`` (rows: input, columns: gate blocks of ``h``) as ONNX's (1, G*h, rows), the gate
    blocks reordered (``order``: nnfunc's block index for each ONNX block)."""
    idx = np.concatenate([np.arange(k * h, (k + 1) * h) for k in order]).astype(np.int64)
    t, g, u = ctx.tmp(), ctx.tmp(), ctx.tmp()
    if transpose:
        ctx.node("Transpose", [w], [t], perm=[1, 0])
    else:
        t = w
    ctx.node("Gather", [t, ctx.const(idx)], [g], axis=0)
    ctx.node("Unsqueeze", [g, ctx.const([0], np.int64)], [u])
    return u


def _recurrent(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """One direction of an LSTM/GRU/RNN layer as ONNX's LSTM/GRU/RNN (time-major, one
    direction): gate blocks reordered (nnfunc LSTM [i, f, g, o] -> ONNX [i, o, f, c], peepholes
    [i, f, o] -> [i, o, f]; GRU [r, z, n] -> [z, r, h]), the forget bias folded into the bias,
    ``lengths`` as sequence_lens. The node that names a composite's outputs (same op name) is
    the identity."""
    names = tuple(func.input_names)
    if not names or names[0] != "x" or "w_x" not in names:  # recurrent Outputs: identity
        _outputs_identity(ctx, func, ins, outs)
        return
    op = func.op_name
    args = dict(zip(names, list(ins) + [""] * (len(names) - len(ins)), strict=True))
    dt = _out_dtype(func)
    h = func.input_spec(2).shape[0]
    if h is None:
        raise _unsupported(func, f"{op} with an unknown hidden size")
    kind = "LSTM" if "c0" in names else "GRU" if "b_x" in names else "RNN"
    attrs: dict[str, Any] = {"hidden_size": int(h),
                             "direction": "reverse" if func.reverse else "forward"}  # fmt: skip
    if kind == "LSTM":
        if func.clip > 0:
            raise _unsupported(func, "lstm with cell_clip (ONNX clips the activations' inputs)")
        if tuple(func.acts) != _LSTM_STANDARD:
            raise _unsupported(func, "lstm with activations other than sigmoid/tanh/tanh")
        order, n_g = (0, 3, 1, 2), 4
    elif kind == "GRU":
        order, n_g = (1, 0, 2), 3
        attrs["linear_before_reset"] = int(bool(func.lbr))
    else:
        order, n_g = (0,), 1
        attrs["activations"] = ["Relu" if func.relu else "Tanh"]
    w = _gate_rows(ctx, args["w_x"], order, h, True)
    r = _gate_rows(ctx, args["w_h"], order, h, True)
    idx = np.concatenate([np.arange(k * h, (k + 1) * h) for k in order]).astype(np.int64)
    biases = [args["b_x"], args["b_h"]] if kind == "GRU" else [args["b"], ""]
    fb = float(getattr(func, "forget_bias", 0.0))
    parts = []
    for j, b in enumerate(biases):
        if b:
            g = ctx.tmp()
            ctx.node("Gather", [b, ctx.const(idx)], [g], axis=0)
        else:
            g = ctx.const(np.zeros(n_g * h, dt))
        if kind == "LSTM" and j == 0 and fb:
            shift = np.zeros(n_g * h, dt)
            shift[2 * h : 3 * h] = fb  # the f block in ONNX's order
            g2 = ctx.tmp()
            ctx.node("Add", [g, ctx.const(shift)], [g2])
            g = g2
        parts.append(g)
    bias, b1 = ctx.tmp(), ctx.tmp()
    ctx.node("Concat", parts, [b1], axis=0)
    ctx.node("Unsqueeze", [b1, ctx.const([0], np.int64)], [bias])
    lengths = ""
    if args.get("lengths"):
        lengths = _as(ctx, args["lengths"], _in_dtype(func, names.index("lengths")), np.int32)

    def state(name: str) -> str:
        if not args.get(name):
            return ""
        u = ctx.tmp()
        ctx.node("Unsqueeze", [args[name], ctx.const([0], np.int64)], [u])
        return u

    node_ins = [args["x"], w, r, bias, lengths, state("h0")]
    if kind == "LSTM":
        node_ins.append(state("c0"))
        if args.get("peephole"):
            p, pu = ctx.tmp(), ctx.tmp()
            pidx = np.concatenate([np.arange(k * h, (k + 1) * h) for k in (0, 2, 1)])
            ctx.node("Gather", [args["peephole"], ctx.const(pidx.astype(np.int64))], [p], axis=0)
            ctx.node("Unsqueeze", [p, ctx.const([0], np.int64)], [pu])
            node_ins.append(pu)
    while node_ins and not node_ins[-1]:
        node_ins.pop()
    n_out = 3 if kind == "LSTM" else 2
    raw = [ctx.tmp() for _ in range(n_out)]
    ctx.node(kind, node_ins, raw, **attrs)
    ctx.node("Squeeze", [raw[0], ctx.const([1], np.int64)], [outs[0]])
    for rv, o in zip(raw[1:], outs[1:], strict=True):
        ctx.node("Squeeze", [rv, ctx.const([0], np.int64)], [o])


_LSTM_STANDARD = (("sigmoid", 0.0, 0.0), ("tanh", 0.0, 0.0), ("tanh", 0.0, 0.0))


def _lstm_sample(F: Any, x: Any, wx: Any, wh: Any, b: Any, p: Any) -> Any:
    lengths = F.cast(F.add(F.mul(F.sigmoid(x[0, :, 0]), 2.99), 2.0), np.int64)
    y, hn, cn = F.lstm(x, wx, wh, b, lengths=lengths, peephole=p, forget_bias=1.0)
    yr, hr, cr = F.lstm(x, wx, wh, b, lengths=lengths, direction="reverse")
    return F.add(F.add(F.add(y[-1], hn), F.add(cn, yr[0])), F.add(hr, cr), name="out")


def _gru_sample(F: Any, x: Any, wx: Any, wh: Any, bx: Any, bh: Any) -> Any:
    y1, h1 = F.gru(x, wx, wh, bx, bh, direction="reverse")
    y2, h2 = F.gru(x, wx, wh, bx, bh, linear_before_reset=False)
    return F.add(F.add(y1[0], h1), F.add(y2[-1], h2), name="out")


def _rnn_sample(F: Any, x: Any, wx: Any, wh: Any, b: Any) -> Any:
    y1, h1 = F.rnn(x, wx, wh, b)
    y2, h2 = F.rnn(x, wx, wh, b, nonlinearity="relu")
    return F.add(F.add(y1[1], h1), F.add(y2[2], h2), name="out")


onnx_op("lstm", sample=_lstm_sample,
        shapes=((4, 2, 3), (3, 20), (5, 20), (20,), (15,)))(_recurrent)  # fmt: skip
onnx_op("gru", sample=_gru_sample,
        shapes=((4, 2, 3), (3, 15), (5, 15), (15,), (15,)))(_recurrent)  # fmt: skip
onnx_op("rnn", sample=_rnn_sample, shapes=((4, 2, 3), (3, 5), (5, 5), (5,)))(_recurrent)


# ---------------------------------------------------------------- clipping, metrics
@onnx_op("clip_by_norm", sample=lambda F, x: F.clip_by_norm(x, 1.5, axis=(1, 2), name="out"))
def _clip_by_norm(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``x * clip / max(|x|_2, clip)``, the norm scaled by the largest magnitude as nnfunc
    computes it (no overflow in the sum of squares)."""
    dt = _out_dtype(func)
    acc = np.dtype(np.float32) if dt == np.float16 else dt
    x = _as(ctx, ins[0], _in_dtype(func, 0), acc)
    axes = [int(a) for a in func.axes]
    ax, m, pos, ms, r, ss, sq, n, mx, sc, y = (ctx.tmp() for _ in range(11))
    ctx.node("Abs", [x], [ax])
    _axes_node(ctx, "ReduceMax", ax, axes, m, 1)
    ctx.node("Greater", [m, ctx.const(0.0, acc)], [pos])
    ctx.node("Where", [pos, m, ctx.const(1.0, acc)], [ms])
    ctx.node("Div", [x, ms], [r])
    ctx.node("Mul", [r, r], [sq])
    _axes_node(ctx, "ReduceSum", sq, axes, ss, 1)
    ctx.node("Sqrt", [ss], [n])
    nn = ctx.tmp()
    ctx.node("Mul", [ms, n], [nn])
    clip = ctx.const(func.clip_norm, acc)
    ctx.node("Max", [nn, clip], [mx])
    ctx.node("Div", [clip, mx], [sc])
    ctx.node("Mul", [x, sc], [y])
    ctx.node("Identity", [_as(ctx, y, acc, dt)], outs)


@onnx_op(
    "in_top_k",
    sample=lambda F, p, t: F.where(F.in_top_k(p, _labels_sample(F, t, 5), 2), 1.0, 0.0, name="out"),
    shapes=((3, 5), (3,)),
)
def _in_top_k(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``count(p > p[target]) < k`` and every prediction finite, as nnfunc (ties count in)."""
    t = _int64(ctx, func, 1, ins[1])
    tu, tp, gt, cnt, ok = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Unsqueeze", [t, ctx.const([-1], np.int64)], [tu])
    ctx.node("GatherElements", [ins[0], tu], [tp], axis=-1)
    ctx.node("Greater", [ins[0], tp], [gt])
    c64 = _as(ctx, gt, np.bool_, np.int64)
    _axes_node(ctx, "ReduceSum", c64, [_rank(func) - 1], cnt, 0)
    ctx.node("Less", [cnt, ctx.const(int(func.k), np.int64)], [ok])
    if _in_dtype(func, 0).kind != "f":
        ctx.node("Identity", [ok], outs)
        return
    inf, nan, bad, badf, anybad, fin = (ctx.tmp() for _ in range(6))
    ctx.node("IsInf", ins[:1], [inf])
    ctx.node("IsNaN", ins[:1], [nan])
    ctx.node("Or", [inf, nan], [bad])
    badf = _as(ctx, bad, np.bool_, np.float32)
    _axes_node(ctx, "ReduceMax", badf, [_rank(func) - 1], anybad, 0)
    ctx.node("Equal", [anybad, ctx.const(0.0, np.float32)], [fin])
    ctx.node("And", [ok, fin], outs)


@onnx_op(
    "top_n_error",
    sample=lambda F, x, t: F.top_n_error(x, _labels_sample(F, t, 5), n=2, name="out"),
    shapes=((3, 5), (3,)),
)
def _top_n_error(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``count(x >= x[target]) > n`` along the axis, as nnfunc."""
    ax = int(func.ax)
    t = _int64(ctx, func, 1, ins[1])
    if not func.kept:
        u = ctx.tmp()
        ctx.node("Unsqueeze", [t, ctx.const([ax], np.int64)], [u])
        t = u
    xt, ge, cnt, err = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("GatherElements", [ins[0], t], [xt], axis=ax)
    ctx.node("GreaterOrEqual", [ins[0], xt], [ge])
    _axes_node(ctx, "ReduceSum", _as(ctx, ge, np.bool_, np.int64), [ax], cnt,
               int(bool(func.keepdims)))  # fmt: skip
    ctx.node("Greater", [cnt, ctx.const(int(func.n), np.int64)], [err])
    ctx.node("Cast", [err], outs, to=_elem_type(ctx.onnx, _out_dtype(func)))


@onnx_op(
    "binary_error",
    sample=lambda F, x, t: F.binary_error(F.sigmoid(x), F.sigmoid(t), name="out"),
    shapes=((2, 3, 4), (2, 3, 4)),
)
def _binary_error(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    a, b, ne = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("GreaterOrEqual", [ins[0], ctx.const(0.5, _in_dtype(func, 0))], [a])
    ctx.node("GreaterOrEqual", [ins[1], ctx.const(0.5, _in_dtype(func, 1))], [b])
    ctx.node("Xor", [a, b], [ne])
    ctx.node("Cast", [ne], outs, to=_elem_type(ctx.onnx, _out_dtype(func)))


onnx_op(
    "shift",  # an index map along each shifted axis, like pad's non-constant modes
    sample=lambda F, x: F.shift(x, (0, 1, -2), name="out"),
)(_axis_take)


@onnx_op(
    "assign",
    sample=lambda F, a, b: F.assign(a, F.mul(b, 2.0), name="out"),
    shapes=((2, 3), (2, 3)),
)
def _assign(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # the node's value is src; nnfunc's write of src into dst (a state change) is not exported
    ctx.node("Identity", [_as(ctx, ins[1], _in_dtype(func, 1), _in_dtype(func, 0))], outs)


@onnx_op(
    "unpool",
    sample=lambda F, x: F.add(
        F.unpool(x, (2, 3)),
        F.transpose(F.unpool(_nchw(F, x), (2, 3), channel_last=True), (0, 3, 1, 2)),
        name="out",
    ),
    shapes=((2, 3, 4, 5),),
)
def _unpool(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Each value repeated ``kernel`` times along its axis: Resize, nearest, asymmetric, floor
    (``out[o] = in[o // k]``)."""
    scales = [1.0] * _rank(func)
    for a, k in zip(func.axes, func.kernel, strict=True):
        scales[int(a)] = float(k)
    ctx.node("Resize", [ins[0], "", ctx.const(scales, np.float32)], outs, mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor")  # fmt: skip


@onnx_op(
    "segment_sum",
    sample=lambda F, x, t: F.embedding._sparse.SegmentSum(4).apply1(
        x, _labels_sample(F, t, 4), name="out"
    ),
    shapes=((5, 3), (5,)),
)
def _segment_sum(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # rows of data added into num_segments zero rows: ScatterND with reduction add
    dt = _in_dtype(func, 0)
    seg = _int64(ctx, func, 1, ins[1])
    idx, base, shp, rest = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Unsqueeze", [seg, ctx.const([-1], np.int64)], [idx])
    ctx.node("Shape", ins[:1], [rest], start=1)
    ctx.node("Concat", [ctx.const([int(func.num)], np.int64), rest], [shp], axis=0)
    zero = ctx.onnx.numpy_helper.from_array(np.zeros((1,), dt), "value")
    ctx.node("ConstantOfShape", [shp], [base], value=zero)
    ctx.node("ScatterND", [base, idx, ins[0]], outs, reduction="add")


@onnx_op(
    "binary_sigmoid",
    "binary_tanh",
    sample=lambda F, x: F.add(F.binary_sigmoid(x), F.binary_tanh(x), name="out"),
)
def _binary_activation(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # forward: 1 where x > 0, else 0 (sigmoid) or -1 (tanh); the straight-through gradient
    # only matters for training
    dt = _out_dtype(func)
    x, pos = _as(ctx, ins[0], _in_dtype(func, 0), dt), ctx.tmp()
    ctx.node("Greater", [x, ctx.const(0.0, dt)], [pos])
    ctx.node("Where", [pos, ctx.const(1.0, dt), ctx.const(func.low, dt)], outs)


# ---------------------------------------------------------------- quantization, metrics
def _round_half_away(ctx: _Context, v: str, dt: Any) -> str:
    """NNabla's rounding (halves away from zero): ``sign(v) * floor(|v| + 0.5)``; ONNX's Round
    goes to even."""
    a, h, f, s, r = (ctx.tmp() for _ in range(5))
    ctx.node("Abs", [v], [a])
    ctx.node("Add", [a, ctx.const(0.5, dt)], [h])
    ctx.node("Floor", [h], [f])
    ctx.node("Sign", [v], [s])
    ctx.node("Mul", [s, f], [r])
    return r


def _work(func: Any) -> np.dtype:
    dt = _out_dtype(func)
    return np.dtype(np.float32) if dt == np.float16 else dt


@onnx_op(
    "fixed_point_quantize",
    sample=lambda F, x: F.add(
        F.fixed_point_quantize(x, n=4, delta=0.25),
        F.fixed_point_quantize(x, sign=False, n=3, delta=0.1),
        name="out",
    ),
)
def _fixed_point_quantize(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    work = _work(func)
    x = _as(ctx, ins[0], _in_dtype(func, 0), work)
    d = ctx.const(func.delta, work)
    v, q, c1, c2, hi, lo = (ctx.tmp() for _ in range(6))
    ctx.node("Div", [x, d], [v])
    ctx.node("Mul", [_round_half_away(ctx, v, work), d], [q])
    ctx.node("Greater", [x, ctx.const(func.hi, work)], [c1])
    ctx.node("Where", [c1, ctx.const(func.hi, work), q], [hi])
    ctx.node("Less", [x, ctx.const(func.lo, work)], [c2])
    ctx.node("Where", [c2, ctx.const(func.lo, work), hi], [lo])
    ctx.node("Identity", [_as(ctx, lo, work, _out_dtype(func))], outs)


@onnx_op(
    "pow2_quantize",
    sample=lambda F, x: F.add(
        F.pow2_quantize(x, n=5, m=1),
        F.pow2_quantize(x, sign=False, with_zero=False, n=3, m=0),
        name="out",
    ),
)
def _pow2_quantize(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``2 ** round(log2 |x|)`` clamped to [p_min, p_max], small values to 0 or p_min, the
    sign handled as nnfunc does."""
    work = _work(func)
    c = lambda v: ctx.const(v, work)  # noqa: E731
    x = _as(ctx, ins[0], _in_dtype(func, 0), work)
    ax, lg, l2, q, small, big, q1, q2, neg, y = (ctx.tmp() for _ in range(10))
    ctx.node("Abs", [x], [ax])
    ctx.node("Log", [ax], [lg])
    ctx.node("Div", [lg, c(np.log(2.0))], [l2])
    ctx.node("Pow", [c(2.0), _round_half_away(ctx, l2, work)], [q])
    ctx.node("Less", [q, c(func.p_min)], [small])
    if func.with_zero:
        below, low = ctx.tmp(), ctx.tmp()
        ctx.node("Less", [ax, c(func.threshold)], [below])
        ctx.node("Where", [below, c(0.0), c(func.p_min)], [low])
    else:
        low = c(func.p_min)
    ctx.node("Where", [small, low, q], [q1])
    ctx.node("Greater", [q, c(func.p_max)], [big])
    ctx.node("Where", [big, c(func.p_max), q1], [q2])
    ctx.node("Less", [x, c(0.0)], [neg])
    if func.sign:
        nq = ctx.tmp()
        ctx.node("Neg", [q2], [nq])
        ctx.node("Where", [neg, nq, q2], [y])
    else:
        ctx.node("Where", [neg, c(0.0) if func.with_zero else c(func.p_min), q2], [y])
    ctx.node("Identity", [_as(ctx, y, work, _out_dtype(func))], outs)


@onnx_op("prune", sample=lambda F, x: F.prune(x, 0.6, name="out"))
def _prune(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Zero where ``|x|`` is below its k-th smallest value over the whole tensor,
    ``k = floor((size - 1) * rate)`` (TopK over the flattened magnitudes, at run time)."""
    work = _work(func)
    x = _as(ctx, ins[0], _in_dtype(func, 0), work)
    a, flat, shp, size, km, kf, k1, vals, idx, thr, lt, y = (ctx.tmp() for _ in range(12))
    ctx.node("Abs", [x], [a])
    ctx.node("Reshape", [a, ctx.const([-1], np.int64)], [flat])
    ctx.node("Shape", [flat], [shp])
    ctx.node("Sub", [_as(ctx, shp, np.int64, np.float64), ctx.const([1.0], np.float64)], [size])
    ctx.node("Mul", [size, ctx.const(float(func.rate), np.float64)], [km])
    ctx.node("Floor", [km], [kf])
    ctx.node("Add", [_as(ctx, kf, np.float64, np.int64), ctx.const([1], np.int64)], [k1])
    ctx.node("TopK", [flat, k1], [vals, idx], largest=0, sorted=1)
    ctx.node("Gather", [vals, ctx.const(-1, np.int64)], [thr], axis=0)
    if func.rate == 1.0:
        t2 = ctx.tmp()
        ctx.node("Add", [thr, ctx.const(1.0, work)], [t2])
        thr = t2
    ctx.node("Less", [a, thr], [lt])
    ctx.node("Where", [lt, ctx.const(0.0, work), x], [y])
    ctx.node("Identity", [_as(ctx, y, work, _out_dtype(func))], outs)


@onnx_op(
    "confusion_matrix",
    sample=lambda F, x, t: F.cast(
        F.confusion_matrix(x, _labels_sample(F, t, 4), dtype=np.int64), np.float32, name="out"
    ),
    shapes=((6, 4), (6,)),
)
def _confusion_matrix(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # one-hot(label)^T @ one-hot(argmax): counts[label, prediction]
    ax = int(func.ax)
    c = func.input_spec(0).shape[ax]
    if c is None:
        raise _unsupported(func, "confusion_matrix with an unknown class count")
    pred, lab, pf, lf, po, lo, lt, m = (ctx.tmp() for _ in range(8))
    ctx.node("ArgMax", ins[:1], [pred], axis=ax, keepdims=0)
    t = _int64(ctx, func, 1, ins[1])
    if func.kept:
        ctx.node("Squeeze", [t, ctx.const([ax], np.int64)], [lab])
    else:
        lab = t
    for src, dst, oh in ((pred, pf, po), (lab, lf, lo)):
        ctx.node("Reshape", [src, ctx.const([-1], np.int64)], [dst])
        ctx.node("OneHot", [dst, ctx.const([c], np.int64), ctx.const([0.0, 1.0], np.float32)],
                 [oh], axis=-1)  # fmt: skip
    ctx.node("Transpose", [lo], [lt], perm=[1, 0])
    ctx.node("MatMul", [lt, po], [m])
    ctx.node("Cast", [m], outs, to=_elem_type(ctx.onnx, func.dtype))


# ---------------------------------------------------------------- cheap gradient nodes
def _zeros_of(ctx: _Context, shape: str, dt: Any) -> str:
    z = ctx.tmp()
    ctx.node("ConstantOfShape", [shape], [z],
             value=ctx.onnx.numpy_helper.from_array(np.zeros((1,), dt), "value"))  # fmt: skip
    return z


def _shape_of(ctx: _Context, func: Any, ref: str, static: Any) -> str:
    """The run-time shape of ``ref`` when given, else the node's static ``shape``."""
    if ref:
        s = ctx.tmp()
        ctx.node("Shape", [ref], [s])
        return s
    if static is None or any(d is None for d in static):
        raise _unsupported(func, f"{func.op_name} with an unknown target shape")
    return ctx.const([int(d) for d in static], np.int64)


@onnx_op(
    "argsort",  # sort's gradient: the permutation, then the values put back through it
    "put_along_axis",
    sample=_grad_sample(lambda F, x, w: F.sum(F.mul(F.sort(x, axis=1, reverse=True), w))),
    shapes=((2, 3, 4), (2, 3, 4)),
)
def _argsort_put_along(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    axis = int(func.axis)
    if func.op_name == "argsort":  # TopK over the whole axis keeps ties in index order
        n, vals = _shape_dims(ctx, ins[0], [axis]), ctx.tmp()
        ctx.node("TopK", [ins[0], n], [vals, outs[0]], axis=axis,
                 largest=int(bool(func.reverse)), sorted=1)  # fmt: skip
        return
    g, idx = ins[0], _int64(ctx, func, 1, ins[1])
    if getattr(func, "expand", False):
        u = ctx.tmp()
        ctx.node("Unsqueeze", [idx, ctx.const([axis], np.int64)], [u])
        idx = u
    ref = ins[2] if len(ins) > 2 else ""
    if hasattr(func, "shape"):  # the labels' form: zeros of the input's shape
        base_shape = _shape_of(ctx, func, ref, func.shape)
    else:  # sort's form: a permutation of the whole axis
        base_shape = ctx.tmp()
        ctx.node("Shape", [idx], [base_shape])
    dt = _in_dtype(func, 0)
    gshape, ge = ctx.tmp(), ctx.tmp()
    ctx.node("Shape", [idx], [gshape])
    ctx.node("Expand", [g, gshape], [ge])
    ctx.node("ScatterElements", [_zeros_of(ctx, base_shape, dt), idx, ge], outs, axis=axis)


@onnx_op(
    "scatter_add_nd",  # gather_nd's gradient
    sample=_grad_sample(
        lambda F, x, t: F.sum(
            F.mul(
                F.gather_nd(x, F.expand_dims(_labels_sample(F, t, 2), 0)),
                F.expand_dims(F.exp(t), 1),
            )
        )
    ),
    shapes=((2, 3), (5,)),
)
def _scatter_add_nd(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    r = _rank(func, 1)
    idx, t = _int64(ctx, func, 1, ins[1]), ctx.tmp()
    ctx.node("Transpose", [idx], [t], perm=list(range(1, r)) + [0])
    ref = ins[2] if len(ins) > 2 else ""
    base = _zeros_of(ctx, _shape_of(ctx, func, ref, func.shape), _in_dtype(func, 0))
    ctx.node("ScatterND", [base, t, ins[0]], outs, reduction="add")


@onnx_op(
    "concatenate_grad",
    # along the unknown batch axis, so that the split sizes are read at run time
    sample=_grad_sample(lambda F, a, b: F.sum(F.mul(F.concatenate([a, b], axis=0), F.exp(
        F.concatenate([b, a], axis=0))))),
    shapes=((2, 3, 4), (2, 3, 4)),
)  # fmt: skip
def _concatenate_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    axis = int(func.axis)
    sizes = ctx.tmp()
    ctx.node("Concat", [_shape_dims(ctx, r, [axis]) for r in ins[1:]], [sizes], axis=0)
    ctx.node("Split", [ins[0], sizes], outs, axis=axis)


@onnx_op(
    "tile_grad",
    sample=_grad_sample(lambda F, x, w: F.sum(F.mul(F.tile(x, (1, 2, 3)), w))),
    shapes=((2, 3, 4), (2, 6, 12)),
)
def _tile_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # gy reshaped to (r0, d0, r1, d1, ...) and summed over the repetitions
    reps = [int(r) for r in func.reps]
    shp, d, ru, du, pairs, flat, s = (ctx.tmp() for _ in range(7))
    ctx.node("Shape", ins[:1], [shp])
    ctx.node("Div", [shp, ctx.const(reps, np.int64)], [d])
    ctx.node("Unsqueeze", [ctx.const(reps, np.int64), ctx.const([1], np.int64)], [ru])
    ctx.node("Unsqueeze", [d, ctx.const([1], np.int64)], [du])
    ctx.node("Concat", [ru, du], [pairs], axis=1)
    ctx.node("Reshape", [pairs, ctx.const([-1], np.int64)], [flat])
    ctx.node("Reshape", [ins[0], flat], [s])
    _axes_node(ctx, "ReduceSum", s, range(0, 2 * len(reps), 2), outs[0], 0)


#: Constant operands of the samples of the single convolution gradients.
_CONV_W = np.random.default_rng(3).standard_normal((4, 3, 3, 3)).astype(np.float32)
_CONV_X = np.random.default_rng(4).standard_normal((2, 3, 7, 8)).astype(np.float32)


@onnx_op(
    "conv_grad_input",  # conv's gradient w.r.t. its input: the transposed convolution
    # (a constant weight: with the weight's gradient too, the backward builds conv_grad)
    sample=_grad_sample(lambda F, x, u: F.sum(F.mul(F.conv(x, _CONV_W, pad=1, stride=2), u))),
    shapes=((2, 3, 7, 6), (2, 4, 4, 3)),
)
def _conv_grad_input(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    gy, w = ins[0], ins[1]
    if any(n is None for n in func.sizes) or any(k is None for k in func.kernel):
        raise _unsupported(func, "conv_grad_input with unknown spatial sizes")
    extra = []
    for n, k, s, d, p in zip(func.sizes, func.kernel, func.stride, func.dilation, func.pads,
                             strict=True):  # fmt: skip
        n_y = (n + p[0] + p[1] - (k - 1) * d - 1) // s + 1
        extra.append(int(n) - ((n_y - 1) * s + (k - 1) * d + 1 - p[0] - p[1]))
    pads = [int(p[0]) for p in func.pads] + [int(p[1]) for p in func.pads]
    attrs = {"strides": [int(s) for s in func.stride], "dilations": [int(d) for d in func.dilation],
             "pads": pads, "group": int(func.groups), "output_padding": extra}  # fmt: skip
    dt = _out_dtype(func)
    gy, w = _inputs_as(ctx, func, [gy, w], dt)
    _channel_first(ctx, func.channel_last, _rank(func, 0), gy, outs[0],
                   lambda x, o: ctx.node("ConvTranspose", [x, w], [o], **attrs))  # fmt: skip


# ---------------------------------------------------------------- morphology
@onnx_op(
    "dilation2d",
    "erosion2d",  # dilation of the negated input (its composite adds the Negs)
    sample=lambda F, x, f: F.add(
        F.dilation2d(x, f, stride=(1, 2), rate=(2, 1), pad="same"),
        F.transpose(
            F.erosion2d(_nchw(F, x), f, stride=(1, 2), rate=(2, 1), pad="same", channel_last=True),
            (0, 3, 1, 2),
        ),
        name="out",
    ),
    shapes=((2, 3, 7, 6), (3, 2, 3)),
)
def _dilation2d(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Grey-scale dilation ``max_k x_pad[o * s + k * r] + f[k]``: the input padded with the
    lowest value, one strided Slice per kernel offset, Add and a running Max (kh * kw slices)."""
    g = func.geom
    if None in g.out or None in g.kernel:
        raise _unsupported(func, f"{func.op_name} with unknown spatial sizes")
    dt = _in_dtype(func, 0)
    low = -np.inf if dt.kind == "f" else np.iinfo(dt).min
    fw = ins[1]

    def emit(x: str, out: str) -> None:
        pads = [0, 0] + [int(p[0]) for p in g.pads] + [0, 0] + [int(p[1]) for p in g.pads]
        xp = ctx.tmp()
        ctx.node("Pad", [x, ctx.const(pads, np.int64), ctx.const(low, dt)], [xp], mode="constant")
        best = ""
        for i in range(int(g.kernel[0])):
            for j in range(int(g.kernel[1])):
                starts = [i * int(g.dilation[0]), j * int(g.dilation[1])]
                ends = [s + (int(o) - 1) * int(st) + 1
                        for s, o, st in zip(starts, g.out, g.stride, strict=True)]  # fmt: skip
                sl, fv, tap = ctx.tmp(), ctx.tmp(), ctx.tmp()
                steps = [int(st) for st in g.stride]
                s_in = [xp, *(ctx.const(v, np.int64) for v in (starts, ends, [2, 3], steps))]
                ctx.node("Slice", s_in, [sl])
                f_in = [fw, *(ctx.const(v, np.int64) for v in ([i, j], [i + 1, j + 1], [1, 2]))]
                ctx.node("Slice", f_in, [fv])
                ctx.node("Add", [sl, fv], [tap])  # (C, 1, 1) broadcasts over (N, C, H, W)
                if best:
                    m = ctx.tmp()
                    ctx.node("Max", [best, tap], [m])
                    tap = m
                best = tap
        ctx.node("Identity", [best], [out])

    _channel_first(ctx, g.channel_last, 4, ins[0], outs[0], emit)


# ---------------------------------------------------------------- identity-forward ops
def _top_k_grad_sample(F: Any, x: Any, w: Any) -> Any:
    y = F.top_k_grad(x, 3, abs=True)  # identity forward; its backward keeps the top-k of g
    (g,) = x.graph.grad(F.sum(F.mul(y, w)), [x])
    return F.add(
        F.add(g, y), F.add(F.clip_grad_by_value(x, -0.5, 0.5), F.clip_grad_by_norm(x)), name="out"
    )


@onnx_op("clip_grad_by_value", "clip_grad_by_norm", "top_k_grad", sample=_top_k_grad_sample,
         shapes=((2, 3, 4), (2, 3, 4)))  # fmt: skip
def _identity_forward(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """These ops change only the gradient: their forward is the identity. top_k_grad's backward
    node (same op name) keeps ``g`` where ``v`` is among the k largest of its sample."""
    if tuple(func.input_names) != ("v", "g"):
        ctx.node("Identity", ins[:1], outs)
        return
    v, g = ins[0], ins[1]
    flat = _flat_from(ctx, v, int(func.base_axis))
    key = flat
    if func.use_abs:
        key = ctx.tmp()
        ctx.node("Abs", [flat], [key])
    vals, idx, full, y = (ctx.tmp() for _ in range(4))
    ctx.node("TopK", [key, ctx.const([int(func.k)], np.int64)], [vals, idx], axis=-1,
             largest=1, sorted=1)  # fmt: skip
    mask = _index_mask(ctx, flat, idx)
    vshape = ctx.tmp()
    ctx.node("Shape", [v], [vshape])
    ctx.node("Reshape", [mask, vshape], [full])
    ctx.node("Where", [full, g, ctx.const(0, _in_dtype(func, 1))], [y])
    ctx.node("Identity", [y], outs)


@onnx_op(
    "max_pool_with_argmax",
    sample=lambda F, x: F.add(
        F.cast(F.max_pool_with_argmax(x, 2, pad=1)[1], np.float32)[:, :, :3, :3],
        F.transpose(
            F.cast(F.max_pool_with_argmax(_nchw(F, x), 2, channel_last=True)[1], np.float32),
            (0, 3, 1, 2),
        ),
        name="out",
    ),
    shapes=((2, 3, 6, 6),),
)
def _max_pool_argmax(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """MaxPool's Indices output: the flat C-order index into the (unpadded) input, batch
    included, as nnfunc's; for channel-last data the channel-first index is re-flattened in
    the input's own axis order."""
    g = func.geom
    rank = _rank(func)
    attrs = _pool_attrs(g)
    x = ins[0]
    if g.channel_last:
        t = ctx.tmp()
        ctx.node("Transpose", [x], [t], perm=[0, rank - 1, *range(1, rank - 1)])
        x = t
    vals, ind = ctx.tmp(), ctx.tmp()
    ctx.node("MaxPool", [x], [vals, ind], **attrs)
    if g.channel_last:
        dims = [_shape_dims(ctx, x, [i]) for i in range(rank)]  # N, C, spatial...
        coords: list[str] = [""] * rank
        rem = ind
        for i in reversed(range(rank)):
            c, q = ctx.tmp(), ctx.tmp()
            ctx.node("Mod", [rem, dims[i]], [c])
            ctx.node("Div", [rem, dims[i]], [q])
            coords[i], rem = c, q
        flat = coords[0]
        for i in [*range(2, rank), 1]:  # the input's order: N, spatial..., C
            m, a = ctx.tmp(), ctx.tmp()
            ctx.node("Mul", [flat, dims[i]], [m])
            ctx.node("Add", [m, coords[i]], [a])
            flat = a
        back = ctx.tmp()
        ctx.node("Transpose", [flat], [back], perm=[0, *range(2, rank), 1])
        ind = back
    ctx.node("Cast", [ind], outs, to=_elem_type(ctx.onnx, func.index_dtype))


@onnx_op(
    "vat_noise",
    sample=lambda F, x: F.vat_noise(x, F.neg(x), base_axis=1, eps=0.5, name="out"),
    shapes=((2, 3, 4),),
)
def _vat_noise(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # eps * x / sqrt(sum(x**2 over the axes from base_axis) + 1e-8); `w` only receives the
    # gradient (NNabla's buffer), the forward does not read it
    dt = _out_dtype(func)
    acc = np.dtype(np.float64) if dt == np.float64 else np.dtype(np.float32)
    x = _as(ctx, ins[0], _in_dtype(func, 0), acc)
    sq, s, se, n, y = (ctx.tmp() for _ in range(5))
    ctx.node("Mul", [x, x], [sq])
    _axes_node(ctx, "ReduceSum", sq, func.axes, s, 1)
    ctx.node("Add", [s, ctx.const(1e-8, acc)], [se])
    ctx.node("Sqrt", [se], [n])
    ctx.node("Div", [x, n], [y])
    sc = ctx.tmp()
    ctx.node("Mul", [y, ctx.const(func.eps, acc)], [sc])
    ctx.node("Identity", [_as(ctx, sc, acc, dt)], outs)


@onnx_op("sink", sample=lambda F, x, y: F.add(F.sink(x, y), x, name="out"),
         shapes=((2, 3), (3,)))  # fmt: skip
def _sink(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # a gradient sink: its value is a float32 zero, whatever its inputs
    ctx.node("Identity", [ctx.const(0.0, np.float32)], outs)


# ---------------------------------------------------------------- more fused gradient nodes
@onnx_op(
    "global_avg_pool_grad",
    # the unknown batch axis moved into the pooled axes: the count is read at run time
    sample=_grad_sample(
        lambda F, x, w: F.sum(F.mul(F.global_avg_pool(F.transpose(x, (1, 2, 0, 3))), w))
    ),
    shapes=((2, 3, 4, 5), (4, 1, 1)),
)
def _global_avg_pool_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # g / (number of elements over the pooled axes), read from the shape at run time
    dt = _in_dtype(func, 0)
    dims, n = _shape_dims(ctx, ins[0], [int(a) for a in func.axes]), ctx.tmp()
    ctx.node("ReduceProd", [dims], [n], keepdims=0)
    ctx.node("Div", [ins[0], _as(ctx, n, np.int64, dt)], outs)


@onnx_op(
    "sigmoid_cross_entropy_with_logits_grad",
    sample=_grad_sample(
        lambda F, x, z, w: F.sum(F.mul(F.sigmoid_cross_entropy_with_logits(x, F.sigmoid(z)), w))
    ),
    shapes=((2, 3, 4), (2, 3, 4), (3, 4)),
)
def _sigmoid_ce_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # gy * ((1 - z) sigmoid(x) - q z sigmoid(-x)), q = 1 without a positive weight
    dt = _out_dtype(func)
    x, z, q, gy = (_inputs_as(ctx, func, ins, dt) + [""] * 4)[:4]
    s, nx, sn, omz, a, qz, b, d = (ctx.tmp() for _ in range(8))
    ctx.node("Sigmoid", [x], [s])
    ctx.node("Neg", [x], [nx])
    ctx.node("Sigmoid", [nx], [sn])
    ctx.node("Sub", [ctx.const(1.0, dt), z], [omz])
    ctx.node("Mul", [omz, s], [a])
    if q:
        ctx.node("Mul", [q, z], [qz])
    else:
        qz = z
    ctx.node("Mul", [qz, sn], [b])
    ctx.node("Sub", [a, b], [d])
    ctx.node("Mul", [d, gy], outs)


@onnx_op(
    "softmax_cross_entropy_with_logits_grad",
    sample=_grad_sample(
        lambda F, x, t, w: F.sum(F.mul(F.softmax_cross_entropy_with_logits(x, F.exp(t)), w))
    ),
    shapes=((2, 5), (2, 5), (2,)),
)
def _softmax_ce_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # p * gy * sum(t) - t * gy, p = softmax(x) along the class axis
    dt = _out_dtype(func)
    x, t, gy = _inputs_as(ctx, func, ins[:3], dt)
    p, st, a, b, c = (ctx.tmp() for _ in range(5))
    ctx.node("Softmax", [x], [p], axis=int(func.ax))
    _axes_node(ctx, "ReduceSum", t, [int(func.ax)], st, 1)
    ctx.node("Mul", [p, gy], [a])
    ctx.node("Mul", [a, st], [b])
    ctx.node("Mul", [t, gy], [c])
    ctx.node("Sub", [b, c], outs)


@onnx_op(
    "sparse_softmax_cross_entropy_with_logits_grad",
    sample=_grad_sample(
        lambda F, x, t, w: F.sum(
            F.mul(F.sparse_softmax_cross_entropy_with_logits(x, _labels_sample(F, t, 5)), w)
        )
    ),
    shapes=((2, 5), (2,), (2,)),
)
def _sparse_softmax_ce_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # gy * (p - onehot(t)) along the class axis
    dt = _out_dtype(func)
    ax = int(func.ax)
    x = _as(ctx, ins[0], _in_dtype(func, 0), dt)
    gy = _as(ctx, ins[2], _in_dtype(func, 2), dt)
    t = _int64(ctx, func, 1, ins[1])
    if not func.expand:
        s = ctx.tmp()
        ctx.node("Squeeze", [t, ctx.const([ax], np.int64)], [s])
        t = s
    p, oh, d = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Softmax", [x], [p], axis=ax)
    depth = _shape_dims(ctx, x, [ax])
    ctx.node("OneHot", [t, depth, ctx.const([0.0, 1.0], np.float32)], [oh], axis=ax)
    ctx.node("Sub", [p, _as(ctx, oh, np.float32, dt)], [d])
    ctx.node("Mul", [d, gy], outs)


@onnx_op(
    "pad_grad",  # the adjoint of pad's index maps (and shift's, below): a scatter-add
    sample=_grad_sample(lambda F, x, w: F.sum(F.mul(F.pad(x, (2, 1), mode="reflect"), w))),
    shapes=((2, 3, 4), (7,)),
)
def _axis_take_adjoint(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    axis = int(func.axis)
    ref = ins[1] if len(ins) > 1 else ""
    n = func.n if not ref else func.input_spec(1).shape[axis]
    if n is None:
        raise _unsupported(func, f"{func.op_name} along an axis of unknown length")
    idx = np.asarray(sys.modules[type(func).__module__]._plan(func.key, int(n))[0], np.int64)
    rank = _rank(func)
    shp, ie = ctx.tmp(), ctx.tmp()
    ctx.node("Shape", ins[:1], [shp])
    col = ctx.const(idx.reshape([-1] + [1] * (rank - 1 - axis)))
    ctx.node("Expand", [col, shp], [ie])
    sizes = ctx.tmp()
    mask = np.zeros(rank, np.int64)
    mask[axis] = 1
    keep = ctx.tmp()
    ctx.node("Mul", [shp, ctx.const(1 - mask)], [keep])
    ctx.node("Add", [keep, ctx.const(mask * int(n))], [sizes])
    base = _zeros_of(ctx, sizes, _in_dtype(func, 0))
    ctx.node("ScatterElements", [base, ie, ins[0]], outs, axis=axis, reduction="add")


onnx_op(
    "shift_grad",
    sample=_grad_sample(lambda F, x, w: F.sum(F.mul(F.shift(x, (0, 1, -2)), w))),
    shapes=((2, 3, 4), (4,)),
)(_axis_take_adjoint)


@onnx_op(
    "embedding_lookup_grad",
    sample=lambda F, t, a, b: F.identity(
        F.add(
            *t.graph.grad(
                F.sum(
                    F.mul(F.embedding_lookup([a, b], _labels_sample(F, t, 7)), F.expand_dims(t, -1))
                ),
                [a, b],
            )[:1],
            t.graph.grad(F.sum(F.embedding_lookup([a], _labels_sample(F, t, 4))), [a])[0],
        ),
        name="out",
    ),
    shapes=((2, 3), (4, 5), (3, 5)),
)
def _embedding_lookup_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """The rows of ``gy`` added into zeros of shard ``p``'s shape (ScatterND add); with several
    shards the ids of other shards are sent to an extra row that is cut off afterwards."""
    gy, ids = ins[0], _int64(ctx, func, 1, ins[1])
    shards = ins[2:]
    sizes = [func.input_spec(i).shape[0] for i in range(2, 2 + func.n)]
    if any(s is None for s in sizes):
        raise _unsupported(func, "embedding_lookup_grad over shards of unknown sizes")
    rows_p = int(sizes[func.p])
    rest, src, flat = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Shape", [shards[func.p]], [rest], start=1)
    width_shape = ctx.tmp()
    ctx.node("Concat", [ctx.const([-1], np.int64), rest], [width_shape], axis=0)
    ctx.node("Reshape", [gy, width_shape], [src])
    ctx.node("Reshape", [ids, ctx.const([-1], np.int64)], [flat])
    if func.n == 1:
        rows, n_rows = flat, rows_p
    else:
        partition = sys.modules[type(func).__module__].partition
        shard, row = partition(np.arange(sum(sizes)), tuple(sizes), func.strategy)
        target = np.where(shard == func.p, row, rows_p).astype(np.int64)  # others: extra row
        rows, n_rows = ctx.tmp(), rows_p + 1
        ctx.node("Gather", [ctx.const(target), flat], [rows], axis=0)
    idx, shp, acc = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Unsqueeze", [rows, ctx.const([-1], np.int64)], [idx])
    ctx.node("Concat", [ctx.const([n_rows], np.int64), rest], [shp], axis=0)
    base = _zeros_of(ctx, shp, _in_dtype(func, 0))
    ctx.node("ScatterND", [base, idx, src], [acc], reduction="add")
    if n_rows == rows_p:
        ctx.node("Identity", [acc], outs)
    else:
        ctx.node("Slice", [acc, ctx.const([0], np.int64), ctx.const([rows_p], np.int64),
                           ctx.const([0], np.int64)], outs)  # fmt: skip


@onnx_op(
    "scatter_nd_mask",  # scatter_nd's gradient w.r.t. `out`: where no index writes
    sample=lambda F, x, o, t: F.identity(
        x.graph.grad(
            F.sum(F.mul(F.scatter_nd(x, F.expand_dims(_labels_sample(F, t, 4), 0), out=o), o)),
            [o],
        )[0],
        name="out",
    ),
    shapes=((5, 3), (4, 3), (5,)),
)
def _scatter_nd_mask(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    r = _rank(func, 0)
    idx, t = _int64(ctx, func, 0, ins[0]), ctx.tmp()
    ctx.node("Transpose", [idx], [t], perm=list(range(1, r)) + [0])
    m = func.input_spec(0).shape[0]
    if m is None:
        raise _unsupported(func, "scatter_nd_mask with an unknown index depth")
    ref_shape, ishape, tail, ushape, ones, falses = (ctx.tmp() for _ in range(6))
    ctx.node("Shape", [ins[1]], [ref_shape])
    ctx.node("Shape", [idx], [ishape], start=1)
    ctx.node("Shape", [ins[1]], [tail], start=int(m))
    ctx.node("Concat", [ishape, tail], [ushape], axis=0)
    ctx.node("ConstantOfShape", [ref_shape], [ones],
             value=ctx.onnx.numpy_helper.from_array(np.ones((1,), bool), "value"))  # fmt: skip
    ctx.node("ConstantOfShape", [ushape], [falses],
             value=ctx.onnx.numpy_helper.from_array(np.zeros((1,), bool), "value"))  # fmt: skip
    ctx.node("ScatterND", [ones, t, falses], outs)


@onnx_op(
    "top_k_data_grad",
    sample=_grad_sample(lambda F, x, w: F.sum(F.mul(F.top_k_data(x, 3, abs=True), w))),
    shapes=((2, 3, 4), (3,)),
)
def _top_k_data_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # zeros of key's shape with g placed at the top-k positions of key
    g, key = ins[0], ins[1]
    idx = _topk_positions(ctx, func, key)
    flat = _flat_from(ctx, key, int(func.base_axis))
    fshape, kshape, y = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Shape", [flat], [fshape])
    base = _zeros_of(ctx, fshape, _in_dtype(func, 0))
    ctx.node("ScatterElements", [base, idx, g], [y], axis=-1)
    ctx.node("Shape", [key], [kshape])
    ctx.node("Reshape", [y, kshape], outs)


@onnx_op(
    "arg_mask",  # max/min's gradient: where the first extremum is
    sample=_grad_sample(lambda F, x, w: F.sum(F.mul(F.max(x, axis=(0, 2)), w))),
    shapes=((2, 3, 4), (3,)),
)
def _arg_mask(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    rank = _rank(func)
    axes = [int(a) for a in func.axes]
    kept = [i for i in range(rank) if i not in axes]
    perm = kept + axes
    moved = ins[0]
    if perm != list(range(rank)):
        moved = ctx.tmp()
        ctx.node("Transpose", [ins[0]], [moved], perm=perm)
    flat, idx, mshape, y = (ctx.tmp() for _ in range(4))
    ctx.node("Reshape", [moved, ctx.const([0] * len(kept) + [-1], np.int64)], [flat])
    ctx.node("ArgMax" if func.mode == "max" else "ArgMin", [flat], [idx], axis=-1, keepdims=1)
    m = _index_mask(ctx, flat, idx)
    ctx.node("Shape", [moved], [mshape])
    ctx.node("Reshape", [m, mshape], [y])
    if perm == list(range(rank)):
        ctx.node("Identity", [y], outs)
    else:
        ctx.node("Transpose", [y], outs, perm=[int(i) for i in np.argsort(perm)])


class _KeyView:
    """What the getitem converter reads of a node, for getitem_grad's index trick."""

    def __init__(self, func: Any, rank: int) -> None:
        self.key, self.name, self._rank = func.key, func.name, rank

    def input_spec(self, i: int) -> Any:
        return type("Spec", (), {"shape": (None,) * self._rank})()


@onnx_op(
    "getitem_grad",
    sample=_grad_sample(
        lambda F, x, w: F.sum(
            F.mul(F.add(x[:, ::-1, 1], F.getitem(x, (slice(None), np.array([2, 0, 2])))[..., 3]), w)
        )
    ),
    shapes=((2, 3, 4), (3,)),
)
def _getitem_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """The flat position of every selected element is the same getitem applied to
    ``arange(size).reshape(shape)``; ``gy`` is then scatter-added into zeros at those positions
    (repeated integer indices accumulate, as in nnfunc)."""
    ref = ins[1] if len(ins) > 1 else ""
    shape = _shape_of(ctx, func, ref, func.shape)
    rank = len(func.input_spec(1).shape) if ref else len(func.shape)
    size, pos, grid, sel, flat_sel, flat_gy, acc = (ctx.tmp() for _ in range(7))
    ctx.node("ReduceProd", [shape], [size], keepdims=1)
    s0 = ctx.tmp()
    ctx.node("Squeeze", [size, ctx.const([0], np.int64)], [s0])
    ctx.node("Range", [ctx.const(0, np.int64), s0, ctx.const(1, np.int64)], [pos])
    ctx.node("Reshape", [pos, shape], [grid])
    _getitem(ctx, _KeyView(func, rank), [grid], [sel])
    ctx.node("Reshape", [sel, ctx.const([-1], np.int64)], [flat_sel])
    ctx.node("Reshape", [ins[0], ctx.const([-1], np.int64)], [flat_gy])
    base = _zeros_of(ctx, size, _in_dtype(func, 0))
    ctx.node("ScatterElements", [base, flat_sel, flat_gy], [acc], axis=0, reduction="add")
    ctx.node("Reshape", [acc, shape], outs)


# ---------------------------------------------------------------- normalization gradients
def _norm_grad_sample(F: Any, x: Any, s: Any, b: Any, w: Any) -> Any:
    y, m, v = F.layer_normalization(x, axis=(2, 3), output_stat=True)
    total = F.add(
        F.add(F.add(y, F.instance_normalization(x, s, b)), F.group_normalization(x, 2, s, b)),
        F.add(
            F.add(F.batch_normalization(x, None, None, b, s, training=True),
                  F.fused_batch_normalization(x, offset=b, scale=s, training=True)),
            F.weight_standardization(x, channel_axis=1),
        ),
    )  # fmt: skip
    loss = F.add(F.sum(F.mul(total, w)), F.sum(F.mul(m, v)))
    gx, gs, gb = x.graph.grad(loss, [x, s, b])
    return F.add(gx, F.add(F.sum(gs), F.sum(gb)), name="out")


@onnx_op(
    "layer_normalization_grad",
    "instance_normalization_grad",
    "group_normalization_grad",
    "batch_normalization_grad",
    "fused_batch_normalization_grad",
    "weight_standardization_grad",
    sample=_norm_grad_sample,
    shapes=((2, 4, 3, 2), (4,), (4,), (4, 3, 2)),
)
def _normalize_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """The first-order gradients of a normalization, per group of the reduced axes (M: their
    mean): ``gx = inv (g - M(g) - xhat M(g xhat)) [+ gmean / n + 2 (x - M(x)) gvar / n]`` with
    ``g = gy * scale``; the scale and offset gradients are ``gy * xhat`` and ``gy`` summed to
    the parameters' broadcast shapes."""
    norm, lay = func.norm, func.lay
    if getattr(norm, "comm", None) is not None:
        raise _unsupported(func, f"{func.op_name} synchronised over a communicator")
    dt = np.dtype(lay.acc)
    x, scale, gy, gm, gv = (list(ins) + [""] * 5)[:5]
    x = _as(ctx, x, _in_dtype(func, 0), dt)
    gy = _as(ctx, gy, _in_dtype(func, 2), dt)

    def view(t: str) -> str:
        if lay.view is None:
            return t
        v = ctx.tmp()
        ctx.node("Reshape", [t, ctx.const(list(lay.view_arg), np.int64)], [v])
        return v

    def unview(t: str) -> str:
        if lay.view is None:
            return t
        shp, v = ctx.tmp(), ctx.tmp()
        ctx.node("Shape", [ins[0]], [shp])
        ctx.node("Reshape", [t, shp], [v])
        return v

    def mean(t: str) -> str:
        m = ctx.tmp()
        _axes_node(ctx, "ReduceMean", t, lay.raxes, m, 1)
        return m

    def op(name: str, *args: str) -> str:
        o = ctx.tmp()
        ctx.node(name, list(args), [o])
        return o

    xv = view(x)
    d = op("Sub", xv, mean(xv))
    var = mean(op("Mul", d, d))
    inv = op("Reciprocal", op("Sqrt", op("Add", var, ctx.const(norm.eps, dt))))
    xhat = op("Mul", d, inv)
    g = gy
    if scale:
        sc = _as(ctx, scale, _in_dtype(func, 1), dt)
        g = op("Mul", gy, op("Reshape", sc, ctx.const(list(lay.full[1]), np.int64)))
    results = {}
    if 0 in func.want:
        gvw = view(g)
        core = op("Sub", op("Sub", gvw, mean(gvw)), op("Mul", xhat, mean(op("Mul", gvw, xhat))))
        gx = op("Mul", inv, core)
        if gm or gv:
            n = _count_over(ctx, xv, lay.raxes, dt)
            if gm:
                gx = op("Add", gx, op("Div", _as(ctx, gm, _in_dtype(func, 3), dt), n))
            if gv:
                two_d = op("Mul", d, ctx.const(2.0, dt))
                gvar = _as(ctx, gv, _in_dtype(func, 4), dt)
                gx = op("Add", gx, op("Div", op("Mul", two_d, gvar), n))
        results[0] = _as(ctx, unview(gx), dt, func.dtypes[0])
    for i, src in ((1, lambda: op("Mul", gy, unview(xhat))), (2, lambda: gy)):
        if i in func.want:
            full = lay.full[i]
            ones = [a for a, f in enumerate(full) if f == 1]
            t = src()
            if ones:
                r = ctx.tmp()
                _axes_node(ctx, "ReduceSum", t, ones, r, 1)
                t = r
            results[i] = _as(ctx, t, dt, func.dtypes[i])
    for i, out in zip(func.want, outs, strict=True):
        ctx.node("Identity", [results[i]], [out])


def _count_over(ctx: _Context, x: str, axes: Sequence[int], dt: Any) -> str:
    dims, n = _shape_dims(ctx, x, [int(a) for a in axes]), ctx.tmp()
    ctx.node("ReduceProd", [dims], [n], keepdims=0)
    return _as(ctx, n, np.int64, dt)


@onnx_op(
    "conv_grad_weight",
    sample=lambda F, w, u: F.identity(  # a constant input (see conv_grad_input)
        w.graph.grad(F.sum(F.mul(F.conv(_CONV_X, w, pad=(1, 2), stride=2, dilation=(1, 2)), u)),
                     [w])[0],
        name="out",
    ),
    shapes=((4, 3, 3, 2), (2, 4, 4, 5)),
)  # fmt: skip
def _conv_grad_weight(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``gW[o, c, k] = sum_n,p gy[n, o, p] x_pad[n, c, p s + k d]``: a Conv of x (batch and
    channel axes swapped) by gy (likewise), stride and dilation exchanged, cropped to the
    kernel, transposed back. One group only."""
    if int(func.groups) != 1:
        raise _unsupported(func, "conv_grad_weight of a grouped convolution")
    rank = _rank(func, 0)
    dt = _out_dtype(func)
    x, gy = _inputs_as(ctx, func, ins[:2], dt)
    if func.channel_last:
        perm = [0, rank - 1, *range(1, rank - 1)]
        x, gy = _transposed(ctx, x, perm), _transposed(ctx, gy, perm)
    swap = [1, 0, *range(2, rank)]
    xs, gs, full, crop = _transposed(ctx, x, swap), _transposed(ctx, gy, swap), ctx.tmp(), ctx.tmp()
    pads = [int(p[0]) for p in func.pads] + [int(p[1]) for p in func.pads]
    ctx.node("Conv", [xs, gs], [full], strides=[int(d) for d in func.dilation],
             dilations=[int(s) for s in func.stride], pads=pads)  # fmt: skip
    k = [int(v) for v in func.kernel]
    ctx.node("Slice", [full, ctx.const([0] * len(k), np.int64), ctx.const(k, np.int64),
                       ctx.const(list(range(2, rank)), np.int64)], [crop])  # fmt: skip
    ctx.node("Transpose", [crop], outs, perm=swap)


def _conv_grad_sample(F: Any, x: Any, w: Any, b: Any, u: Any) -> Any:
    y = F.mul(F.conv(x, w, b, pad=(1, 2), stride=2, dilation=(1, 2)), u)
    gx, gw, gb = x.graph.grad(F.sum(y), [x, w, b])
    return F.add(F.add(F.sum(gx), F.sum(gw)), F.sum(gb), name="out")


@onnx_op("conv_grad", sample=_conv_grad_sample,
         shapes=((2, 3, 7, 8), (4, 3, 3, 2), (4,), (2, 4, 4, 5)))  # fmt: skip
def _conv_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """The gradients a convolution's backward asked for (``func.want`` of input, weight, bias):
    the input gradient's and the weight gradient's converters on the node's ``(gy, W, x)``
    inputs (one dtype: conv's), the bias gradient a ReduceSum over all but the channel axis."""
    gy, w, x = ins
    out = dict(zip(func.want, outs, strict=True))
    if 0 in out:
        _conv_grad_input(ctx, func, [gy, w], [out[0]])
    if 1 in out:
        _conv_grad_weight(ctx, func, [x, gy], [out[1]])
    if 2 in out:
        rank = _rank(func, 0)
        axes = [a for a in range(rank) if a != (rank - 1 if func.channel_last else 1)]
        _axes_node(ctx, "ReduceSum", gy, axes, out[2], 0)


def _transposed(ctx: _Context, x: str, perm: Sequence[int]) -> str:
    t = ctx.tmp()
    ctx.node("Transpose", [x], [t], perm=list(perm))
    return t


@onnx_op(
    "interpolate_grad",
    sample=_grad_sample(
        lambda F, x, w: F.sum(F.mul(F.interpolate(x, output_size=(5, 9), half_pixel=True), w))
    ),
    shapes=((2, 3, 4, 6), (5, 9)),
)
def _interpolate_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """The adjoint resampling: per spatial axis, the (out, in) interpolation matrix built from
    the forward node's own source plan, applied transposed (axis moved last, MatMul, back)."""
    f = func.fwd
    if None in func.n_in or None in func.n_out:
        raise _unsupported(func, "interpolate_grad with unknown spatial sizes")
    mod = sys.modules[type(f).__module__]
    work = np.dtype(np.float32) if _in_dtype(func, 0) == np.float16 else _in_dtype(func, 0)
    g = _as(ctx, ins[0], _in_dtype(func, 0), work)
    rank = _rank(func, 0)
    for ax, n_in, n_out in zip(f.sp_axes, func.n_in, func.n_out, strict=True):
        plan = mod.source_plan(int(n_in), int(n_out), *f._opts())
        m = mod._matrix(plan, int(n_in), work)  # (out, in)
        perm = [i for i in range(rank) if i != ax] + [int(ax)]
        t, p, back = ctx.tmp(), ctx.tmp(), ctx.tmp()
        ctx.node("Transpose", [g], [t], perm=perm)
        ctx.node("MatMul", [t, ctx.const(m)], [p])
        ctx.node("Transpose", [p], [back], perm=[int(i) for i in np.argsort(perm)])
        g = back
    ctx.node("Identity", [_as(ctx, g, work, _out_dtype(func))], outs)


@onnx_op(
    "max_pool_grad",
    sample=_grad_sample(
        lambda F, x, w: F.sum(F.mul(F.max_pool(F.floor(F.mul(x, 2.0)), 2, pad=1), w))
    ),
    shapes=((2, 3, 6, 6), (4, 4)),
)
def _max_pool_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``gy`` added at the first maximum of each window: MaxPool's Indices (flat over the
    channel-first input) and a ScatterElements-add into zeros of the input's size."""
    g = func.geom
    rank = _rank(func, 0)
    x, gy = ins[0], _as(ctx, ins[2], _in_dtype(func, 2), _out_dtype(func))
    if g.channel_last:
        perm = [0, rank - 1, *range(1, rank - 1)]
        x, gy = _transposed(ctx, x, perm), _transposed(ctx, gy, perm)
    attrs = _pool_attrs(g)
    vals, ind, fi, fg, shp, size, acc, y = (ctx.tmp() for _ in range(8))
    ctx.node("MaxPool", [x], [vals, ind], **attrs)
    ctx.node("Reshape", [ind, ctx.const([-1], np.int64)], [fi])
    ctx.node("Reshape", [gy, ctx.const([-1], np.int64)], [fg])
    ctx.node("Shape", [x], [shp])
    ctx.node("ReduceProd", [shp], [size], keepdims=1)
    base = _zeros_of(ctx, size, _out_dtype(func))
    ctx.node("ScatterElements", [base, fi, fg], [acc], axis=0, reduction="add")
    if g.channel_last:
        ctx.node("Reshape", [acc, shp], [y])
        ctx.node("Transpose", [y], outs, perm=[0, *range(2, rank), 1])
    else:
        ctx.node("Reshape", [acc, shp], outs)


@onnx_op(
    "max_pool_grad_grad",
    sample=lambda F, x, w, u: F.identity(
        x.graph.grad(
            F.sum(F.mul(x.graph.grad(F.sum(F.mul(F.max_pool(x, 2, pad=1), w)), [x])[0], u)),
            [w],
        )[0],
        name="out",
    ),
    shapes=((2, 3, 6, 6), (4, 4), (6, 6)),
)
def _max_pool_grad_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``g`` read at the first maximum of each window: MaxPool's Indices into the flattened
    channel-first ``g``."""
    g = func.geom
    rank = _rank(func, 0)
    x, gg = ins[0], ins[2]
    if g.channel_last:
        perm = [0, rank - 1, *range(1, rank - 1)]
        x, gg = _transposed(ctx, x, perm), _transposed(ctx, gg, perm)
    attrs = _pool_attrs(g)
    vals, ind, flat, y = (ctx.tmp() for _ in range(4))
    ctx.node("MaxPool", [x], [vals, ind], **attrs)
    ctx.node("Reshape", [gg, ctx.const([-1], np.int64)], [flat])
    if g.channel_last:
        ctx.node("Gather", [flat, ind], [y], axis=0)
        ctx.node("Transpose", [y], outs, perm=[0, *range(2, rank), 1])
    else:
        ctx.node("Gather", [flat, ind], outs, axis=0)


@onnx_op(
    "sum_pool_grad",  # avg_pool's and sum_pool's gradient
    sample=_grad_sample(
        lambda F, x, w: F.sum(
            F.mul(F.avg_pool(x, 3, stride=2, pad=1, ignore_border=False, including_pad=False), w)
        )
    ),
    shapes=((2, 3, 7, 6), (4, 4)),
)
def _sum_pool_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """Each output cell's (scaled) value added over its window: a ConvTranspose by a ones
    kernel with one group per channel, cropped (or zero-extended) to the input's size."""
    g = func.geom
    rank = _rank(func, 0)
    if None in g.out or None in g.sizes:
        raise _unsupported(func, "sum_pool_grad with unknown spatial sizes")
    cax = rank - 1 if g.channel_last else 1
    c = func.input_spec(0).shape[cax]
    if c is None:
        raise _unsupported(func, "sum_pool_grad with an unknown channel count")
    dt = _out_dtype(func)
    gy = _as(ctx, ins[0], _in_dtype(func, 0), dt)
    if g.channel_last:
        gy = _transposed(ctx, gy, [0, rank - 1, *range(1, rank - 1)])
    if func.scale is not None:
        s = ctx.tmp()
        ctx.node("Mul", [gy, ctx.const(np.asarray(func.scale, dt))], [s])
        gy = s
    k = [int(v) for v in g.kernel]
    begin, end, grow = [], [], []
    for n_out, kk, st, (lo, _), size in zip(g.out, k, g.stride, g.pads, g.sizes, strict=True):
        over = (int(n_out) - 1) * int(st) + kk - int(lo) - int(size)  # cells past the input
        begin.append(int(lo))
        end.append(max(over, 0))
        grow.append(max(-over, 0))
    y = ctx.tmp()
    ctx.node("ConvTranspose", [gy, ctx.const(np.ones((int(c), 1, *k), dt))], [y],
             strides=[int(v) for v in g.stride], pads=begin + end, group=int(c))  # fmt: skip
    if any(grow):
        p = ctx.tmp()
        pads = [0, 0] + [0] * len(k) + [0, 0] + grow
        ctx.node("Pad", [y, ctx.const(pads, np.int64), ctx.const(0, dt)], [p], mode="constant")
        y = p
    if g.channel_last:
        ctx.node("Transpose", [y], outs, perm=[0, *range(2, rank), 1])
    else:
        ctx.node("Identity", [y], outs)


@onnx_op(
    "relu",
    sample=lambda F, x: F.add(F.relu(x), F.relu(x, threshold=0.3), name="out"),
)
def _relu(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # x where x >= threshold, else 0 (Relu for threshold 0 on floats)
    dt = _in_dtype(func, 0)
    thr = float(func.threshold)
    if thr == 0 and dt.kind == "f":
        ctx.node("Relu", ins[:1], outs)
        return
    if dt == np.bool_:
        ctx.node("Identity", ins[:1], outs) if thr <= 0 else ctx.node(
            "And", [ins[0], ctx.const(thr <= 1, np.bool_)], outs)  # fmt: skip
        return
    keep = ctx.tmp()
    ctx.node("GreaterOrEqual", [ins[0], ctx.const(thr, dt) if dt.kind == "f" else
                                ctx.const(int(np.ceil(thr)), dt)], [keep])  # fmt: skip
    ctx.node("Where", [keep, ins[0], ctx.const(0, dt)], outs)


@onnx_op(
    "round",
    sample=lambda F, x: F.add(
        F.round(F.floor(F.mul(x, 4.0)) / 2.0), F.round(F.mul(x, 0.0) + 0.49999997), name="out"
    ),
)
def _round(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # NNabla's rounding: halves away from zero (ONNX's Round goes to even); integers unchanged
    dt = _in_dtype(func, 0)
    if dt.kind != "f":
        ctx.node("Identity", ins[:1], outs)
        return
    # nnfunc's exact form: rint, then the exact ties moved away from zero (floor(|x| + 0.5)
    # would round 0.49999997 up in float32)
    y, d, ad, tie, sg, half, away = (ctx.tmp() for _ in range(7))
    ctx.node("Round", ins[:1], [y])
    ctx.node("Sub", [ins[0], y], [d])
    ctx.node("Abs", [d], [ad])
    ctx.node("Equal", [ad, ctx.const(0.5, dt)], [tie])
    ctx.node("Sign", ins[:1], [sg])
    ctx.node("Mul", [sg, ctx.const(0.5, dt)], [half])
    ctx.node("Add", [ins[0], half], [away])
    ctx.node("Where", [tie, away, y], outs)


def _attention_grad_sample(F: Any, q: Any, k: Any, v: Any, b: Any, w: Any) -> Any:
    keep = F.greater(b, -1.0)
    y = F.dot_product_attention(q, k, v, bias=b, mask=keep, is_causal=True, scale=0.3)
    y2 = F.dot_product_attention(q, k[:, :, :1], v[:, :, :1])  # grouped key heads
    gq, gk, gv, gb = q.graph.grad(F.add(F.sum(F.mul(y, w)), F.sum(F.mul(y2, w))), [q, k, v, b])
    return F.add(F.add(gq, gk), F.add(gv, F.sum(gb)), name="out")


@onnx_op(
    "dot_product_attention_grad",
    sample=_attention_grad_sample,
    shapes=((2, 5, 2, 4), (2, 5, 2, 4), (2, 5, 2, 4), (5, 5), (5, 2, 4)),
)
def _dot_product_attention_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """The attention backward from the recomputed probabilities P: ``dV = P^T gy``,
    ``dS = P (gy V^T - rowsum(P gy V^T))``, ``dQ = scale dS K``, ``dK = scale dS^T Q``; grouped
    key/value heads summed back over their group, the bias gradient summed to its shape."""
    c = _attention_core(ctx, func, ins)
    work, p = c["work"], c["p"]
    gy = _as(ctx, ins[6], _in_dtype(func, 6), work)

    def op(name: str, *args: str, **attrs: Any) -> str:
        o = ctx.tmp()
        ctx.node(name, list(args), [o], **attrs)
        return o

    pt = op("Transpose", p, perm=[0, 1, 3, 2])
    dv = op("MatMul", pt, gy)
    dp = op("MatMul", gy, op("Transpose", c["v"], perm=[0, 1, 3, 2]))
    rs = ctx.tmp()
    _axes_node(ctx, "ReduceSum", op("Mul", dp, p), [3], rs, 1)
    ds = op("Mul", p, op("Sub", dp, rs))
    scale = ctx.const(c["scale"], work)
    dq = op("Mul", op("MatMul", ds, c["k"]), scale)
    dk = op("Mul", op("MatMul", op("Transpose", ds, perm=[0, 1, 3, 2]), c["q"]), scale)
    if c["g"] != 1:  # the repeated heads' gradients summed back over each group
        summed = []
        for t, src in ((dk, ins[1]), (dv, ins[2])):
            shp, r, red = ctx.tmp(), ctx.tmp(), ctx.tmp()
            group = (
                ctx.const([int(c["n_k"]), int(c["g"])], np.int64)
                if c["g"] is not None
                else op("Concat", _shape_dims(ctx, src, [1]), c["ratio"], axis=0)
            )
            ctx.node("Concat", [_shape_dims(ctx, src, [0]), group,
                                _shape_dims(ctx, src, [2, 3])], [shp], axis=0)  # fmt: skip
            ctx.node("Reshape", [t, shp], [r])
            _axes_node(ctx, "ReduceSum", r, [2], red, 0)
            summed.append(red)
        dk, dv = summed
    dt = _out_dtype(func)
    results = [_as(ctx, t, work, dt) for t in (dq, dk, dv)]
    if func.bias_grad:
        bshape = func.input_spec(3).shape
        lead = 4 - len(bshape)
        gb = ds
        if lead:
            r = ctx.tmp()
            _axes_node(ctx, "ReduceSum", gb, range(lead), r, 0)
            gb = r
        ones = [i for i, d in enumerate(bshape) if d == 1]
        if ones:
            r = ctx.tmp()
            _axes_node(ctx, "ReduceSum", gb, ones, r, 1)
            gb = r
        results.append(_as(ctx, gb, work, _out_dtype(func, 3)))
    for r, o in zip(results, outs, strict=True):
        ctx.node("Identity", [r], [o])


# --- views sized when the graph runs (second-order graphs with unknown sizes)
@onnx_op(
    "linear_grad",  # linear's backward when nIn or nOut is unknown at build: a matrix view
    sample=lambda F, x: F.identity(
        sys.modules["nnfunc.functions.linear._dense"]._Matrix(2).apply1(x), name="out"
    ),
    shapes=((2, 3, 4, 5),),
)
def _linear_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # Reshape to (prod(shape[:k]), -1), not Flatten: ONNX Runtime's Transpose+MatMul fusion
    # mis-sizes a transposed Flatten output (a valid model then fails to run)
    # (both sizes explicit: a -1 is ambiguous when the other size is 0)
    sizes = []
    for part in ({"start": 0, "end": int(func.k)}, {"start": int(func.k)}):
        dims, size = ctx.tmp(), ctx.tmp()
        ctx.node("Shape", ins[:1], [dims], **part)
        _axes_node(ctx, "ReduceProd", dims, [0], size, 1)
        sizes.append(size)
    shape = ctx.tmp()
    ctx.node("Concat", sizes, [shape], axis=0)
    ctx.node("Reshape", [ins[0], shape], outs)


def _heads_sample(op: str) -> Callable[..., Any]:
    def sample(F: Any, x: Any, like: Any) -> Any:
        cls = getattr(sys.modules["nnfunc.functions.attention._common"], op)
        return F.identity(cls().apply1(x, like), name="out")

    return sample


def _head_sizes(ctx: _Context, x: str, like: str) -> tuple[str, str, str, str]:
    """(x's axis 1, like's axis 1, a name for their ratio, x's axes from 2): int64 tensors."""
    a, b, r, rest = (ctx.tmp() for _ in range(4))
    ctx.node("Shape", [x], [a], start=1, end=2)
    ctx.node("Shape", [like], [b], start=1, end=2)
    ctx.node("Shape", [x], [rest], start=2)
    return a, b, r, rest


@onnx_op(
    "repeat_heads",  # grouped-query attention: each key head repeated N // K times, in order
    sample=_heads_sample("RepeatHeads"),
    shapes=((2, 2, 3, 4), (2, 4, 3, 4)),
)
def _repeat_heads(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    k, n, r, rest = _head_sizes(ctx, ins[0], ins[1])
    ctx.node("Div", [n, k], [r])
    lead, up, tiled, target, grown = (ctx.tmp() for _ in range(5))
    ctx.node("Shape", [ins[0]], [lead], start=0, end=1)
    ctx.node("Concat", [lead, k, r, rest], [grown], axis=0)
    ctx.node("Unsqueeze", [ins[0], ctx.const([2], np.int64)], [up])
    ctx.node("Expand", [up, grown], [tiled])
    ctx.node("Concat", [lead, n, rest], [target], axis=0)
    ctx.node("Reshape", [tiled, target], outs)


@onnx_op(
    "fold_heads",  # its adjoint: the sum over each group of N // K consecutive heads
    sample=_heads_sample("FoldHeads"),
    shapes=((2, 4, 3, 4), (2, 2, 3, 4)),
)
def _fold_heads(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    n, k, r, rest = _head_sizes(ctx, ins[0], ins[1])
    ctx.node("Div", [n, k], [r])
    lead, grouped, split = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Shape", [ins[0]], [lead], start=0, end=1)
    ctx.node("Concat", [lead, k, r, rest], [grouped], axis=0)
    ctx.node("Reshape", [ins[0], grouped], [split])
    _axes_node(ctx, "ReduceSum", split, [2], outs[0], 0)


# --- warping, detection, morphology gradients
def _warp_sample(F: Any, d: Any, f: Any) -> Any:
    # flows of a few pixels: coordinates inside, outside (border clamp) and on the last row;
    # the gradient graph adds the tap-index node and the pixel gather/scatter nodes
    flow = F.mul(f, 2.5)
    y = F.warp_by_flow(d, flow)
    gd, gf = d.graph.grad(F.sum(F.mul(y, F.sin(d))), [d, flow])
    return F.add(F.add(y, gd), F.sum(F.mul(gf, F.cos(flow))), name="out")


def _warp_taps(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """nnfunc's ``_WarpTaps``: the 4 flat tap indices and, per axis, ``(x0 - grid, inside)``,
    in the same float work dtype (float64 only for float64 flows) and the same clamps."""
    d = _out_dtype(func, 4)
    wd = np.dtype(np.float64 if d == np.float64 else np.float32)
    flow = _as(ctx, ins[1], _in_dtype(func, 1), wd)
    hw = _shape_dims(ctx, ins[0], [2, 3])
    bad, axes = "", []
    for k in (0, 1):  # x: channel 0, along W; y: channel 1, along H
        n, r, rf, fk, c, top, nan = (ctx.tmp() for _ in range(7))
        ctx.node("Gather", [hw, ctx.const([1 - k], np.int64)], [n], axis=0)
        ctx.node("Cast", [_range(ctx, n)], [r], to=_elem_type(ctx.onnx, wd))
        if k == 1:
            ctx.node("Unsqueeze", [r, ctx.const([1], np.int64)], [rf])
        else:
            rf = r
        fk = _slice_axis(ctx, flow, 1, k, k + 1)  # (N, 1, H, W)
        ctx.node("Add", [rf, fk], [c])
        n1 = ctx.tmp()
        ctx.node("Sub", [n, ctx.const([1], np.int64)], [n1])
        ctx.node("Cast", [n1], [top], to=_elem_type(ctx.onnx, wd))
        ctx.node("IsNaN", [c], [nan])
        axes.append((n1, rf, c, top))
        bad = _combine(ctx, "Or", bad, nan)
    lows = []
    for k, (n1, rf, c, top) in enumerate(axes):
        g, lo, hi, fl, i0, i1, off, offn, pos, below, inside = (ctx.tmp() for _ in range(11))
        ctx.node("Where", [bad, ctx.const(0, wd), c], [g])
        ctx.node("Max", [g, ctx.const(0, wd)], [lo])
        ctx.node("Min", [lo, top], [hi])
        ctx.node("Floor", [hi], [fl])
        ctx.node("Cast", [fl], [i0], to=_elem_type(ctx.onnx, np.int64))
        ctx.node("Add", [i0, ctx.const(1, np.int64)], [i1])
        nxt = ctx.tmp()
        ctx.node("Min", [i1, n1], [nxt])
        lows.append((i0, nxt))
        ctx.node("Sub", [fl, rf], [off])
        ctx.node("Where", [bad, ctx.const(np.nan, wd), off], [offn])
        ctx.node("Greater", [c, ctx.const(0, wd)], [pos])
        ctx.node("Less", [c, top], [below])
        ctx.node("And", [pos, below], [inside])
        ctx.node("Cast", [inside], [outs[5 + 2 * k]], to=_elem_type(ctx.onnx, d))
        ctx.node("Identity", [_as(ctx, offn, wd, d)], [outs[4 + 2 * k]])
    (x0, x1), (y0, y1) = lows
    w = ctx.tmp()
    ctx.node("Gather", [hw, ctx.const([1], np.int64)], [w], axis=0)
    rows = []
    for yy in (y0, y1):
        rw = ctx.tmp()
        ctx.node("Mul", [yy, w], [rw])
        rows.append(rw)
    for o, (rw, xx) in zip(outs[:4], [(r, x) for r in rows for x in (x0, x1)], strict=True):
        ctx.node("Add", [rw, xx], [o])


def _slice_axis(ctx: _Context, x: str, axis: int, start: int, end: int) -> str:
    out = ctx.tmp()
    args = [ctx.const([v], np.int64) for v in (start, end, axis)]
    ctx.node("Slice", [x, *args], [out])
    return out


def _pixel_index(ctx: _Context, pix: str, like: str) -> str:
    """``pix (N, 1, H', W')`` flattened and broadcast over the channels of ``like``."""
    flat, lead, n, shp, out = (ctx.tmp() for _ in range(5))
    ctx.node("Reshape", [pix, ctx.const([0, 1, -1], np.int64)], [flat])
    ctx.node("Shape", [like], [lead])
    ctx.node("Shape", [flat], [n])
    ctx.node(
        "Concat", [_slice_axis(ctx, lead, 0, 0, 2), _slice_axis(ctx, n, 0, 2, 3)], [shp], axis=0
    )
    ctx.node("Expand", [flat, shp], [out])
    return out


def _pixel_gather(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``y[n, c] = data[n, c].ravel()[pix[n, 0]]``: GatherElements on the flattened planes."""
    data, pix = ins
    flat, got, ds, ps, shp = (ctx.tmp() for _ in range(5))
    ctx.node("Reshape", [data, ctx.const([0, 0, -1], np.int64)], [flat])
    ctx.node("GatherElements", [flat, _pixel_index(ctx, pix, data)], [got], axis=2)
    ctx.node("Shape", [data], [ds])
    ctx.node("Shape", [pix], [ps])
    ctx.node(
        "Concat", [_slice_axis(ctx, ds, 0, 0, 2), _slice_axis(ctx, ps, 0, 2, 4)], [shp], axis=0
    )
    ctx.node("Reshape", [got, shp], outs)


def _pixel_scatter(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """The adjoint: ``z[n, c].ravel()[pix[n, 0]] += g[n, c]`` (ScatterElements-add; float16
    accumulates in float32, which ONNX Runtime's add-scatter needs; nnfunc sums in float64)."""
    g, pix, like = ins
    out = _out_dtype(func)
    acc = np.dtype(np.float32) if out == np.float16 else out
    gf, ls, size, shp, z, s, y = (ctx.tmp() for _ in range(7))
    ctx.node(
        "Reshape", [_as(ctx, g, _in_dtype(func, 0), acc), ctx.const([0, 0, -1], np.int64)], [gf]
    )
    ctx.node("Shape", [like], [ls])
    ctx.node("ReduceProd", [_slice_axis(ctx, ls, 0, 2, 4)], [size], keepdims=1)
    ctx.node("Concat", [_slice_axis(ctx, ls, 0, 0, 2), size], [shp], axis=0)
    z = _zeros_of(ctx, shp, acc)
    ctx.node("ScatterElements", [z, _pixel_index(ctx, pix, g), gf], [s], axis=2, reduction="add")
    ctx.node("Reshape", [s, ls], [y])
    ctx.node("Identity", [_as(ctx, y, acc, out)], outs)


@onnx_op("warp_by_flow", sample=_warp_sample, shapes=((2, 3, 5, 6), (2, 2, 5, 6)), min_opset=16)
def _warp_by_flow(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """GridSample, bilinear, ``padding_mode="border"``, ``align_corners=1``: with aligned
    corners the normalised coordinate ``-1 .. 1`` maps to ``0 .. W - 1`` and border padding
    clamps it there, then samples bilinearly: nnfunc's rule (coordinates ``grid + flow``
    clamped to ``[0, W - 1] x [0, H - 1]``, then the 4 nearest pixels) exactly, up to the
    rounding of the normalisation. A NaN coordinate gives NaN (as nnfunc), not GridSample's
    undefined tap. Computed in float32 (float64 for float64 data), as the node does; ONNX
    Runtime's CPU kernel runs float64 from opset 20 only (``mode="linear"``). The nodes of
    its gradient share the op name: the tap-index node and the pixel gather/scatter."""
    if len(func.outputs) == 8:
        return _warp_taps(ctx, func, ins, outs)
    if tuple(func.input_names) == ("data", "pix"):
        return _pixel_gather(ctx, func, ins, outs)
    if tuple(func.input_names) == ("g", "pix", "like"):
        return _pixel_scatter(ctx, func, ins, outs)
    out = _out_dtype(func)
    wd = np.dtype(np.float64 if out == np.float64 else np.float32)
    data = _as(ctx, ins[0], _in_dtype(func, 0), wd)
    flow = _as(ctx, ins[1], _in_dtype(func, 1), wd)
    hw = _shape_dims(ctx, data, [2, 3])
    coords, bad = [], ""
    for k, ax in ((0, 3), (1, 2)):  # x along W (axis 3), y along H (axis 2)
        n = ctx.tmp()
        ctx.node("Gather", [hw, ctx.const([1 - k], np.int64)], [n], axis=0)
        r, rf, fk, c, last, span, sc, g, g1, nan = (ctx.tmp() for _ in range(10))
        ctx.node("Cast", [_range(ctx, n)], [r], to=_elem_type(ctx.onnx, wd))
        if ax == 2:
            ctx.node("Unsqueeze", [r, ctx.const([1], np.int64)], [rf])
        else:
            rf = r
        ctx.node("Gather", [flow, ctx.const(k, np.int64)], [fk], axis=1)  # (N, H, W)
        ctx.node("Add", [fk, rf], [c])
        ctx.node("Cast", [n], [last], to=_elem_type(ctx.onnx, wd))
        # 2 / (size - 1), with size 1 kept finite (every coordinate then maps to 0)
        ctx.node("Sub", [last, ctx.const([1], wd)], [span])
        ctx.node("Max", [span, ctx.const([1], wd)], [sc])
        ctx.node("IsNaN", [c], [nan])
        ctx.node("Where", [nan, ctx.const(0, wd), c], [g])
        ctx.node("Div", [g, sc], [g1])
        gn, gu = ctx.tmp(), ctx.tmp()
        ctx.node("Mul", [g1, ctx.const(2, wd)], [gn])
        ctx.node("Sub", [gn, ctx.const(1, wd)], [gu])
        u = ctx.tmp()
        ctx.node("Unsqueeze", [gu, ctx.const([3], np.int64)], [u])
        coords.append(u)
        bad = _combine(ctx, "Or", bad, nan)
    grid, y, b4, yn = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Concat", coords, [grid], axis=3)
    mode = "linear" if ctx.opset >= 20 else "bilinear"  # renamed at opset 20
    ctx.node("GridSample", [data, grid], [y], mode=mode, padding_mode="border", align_corners=1)
    ctx.node("Unsqueeze", [bad, ctx.const([1], np.int64)], [b4])
    ctx.node("Where", [b4, ctx.const(np.nan, wd), y], [yn])
    ctx.node("Identity", [_as(ctx, yn, wd, out)], outs)


def _nms_sample(F: Any, x: Any) -> Any:
    # centres in (0, 1), sizes 0.15 .. 0.35 (many overlaps around the thresholds), scores in
    # (0, 1) with some below thresh, both modes
    n = F.sigmoid(x)
    boxes = F.concatenate(n[:, :, :2], F.add(F.mul(n[:, :, 2:4], 0.2), 0.15), axis=2)
    d = F.concatenate(boxes, n[:, :, 4:], axis=2)
    a = F.nms_detection2d(d, thresh=0.3, nms=0.3)
    b = F.nms_detection2d(d, thresh=0.2, nms=0.25, nms_per_class=False)
    return F.add(a, b, name="out")


def _slice_last(ctx: _Context, x: str, start: int, end: int) -> str:
    out = ctx.tmp()
    args = [ctx.const([v], np.int64) for v in (start, end, -1)]
    ctx.node("Slice", [x, *args], [out])
    return out


def _pairwise_over(ctx: _Context, boxes: str, nms: float) -> str:
    """``(B, N, N)``: IoU of box ``i`` with box ``j`` ``> nms``, NNabla's rule (an overlap of
    width or height ``<= 0`` is none), on float64 centre-format boxes with nnfunc's operation
    order (``box_iou`` in the detection module)."""
    sides = []
    for c, s in ((0, 2), (1, 3)):
        half, lo, hi = ctx.tmp(), ctx.tmp(), ctx.tmp()
        ctr = _slice_last(ctx, boxes, c, c + 1)
        size = _slice_last(ctx, boxes, s, s + 1)
        ctx.node("Div", [size, ctx.const(2.0, np.float64)], [half])
        ctx.node("Sub", [ctr, half], [lo])
        ctx.node("Add", [ctr, half], [hi])
        lo_t, hi_t, mn, mx, ext = (ctx.tmp() for _ in range(5))
        ctx.node("Transpose", [lo], [lo_t], perm=[0, 2, 1])
        ctx.node("Transpose", [hi], [hi_t], perm=[0, 2, 1])
        ctx.node("Min", [hi, hi_t], [mn])
        ctx.node("Max", [lo, lo_t], [mx])
        ctx.node("Sub", [mn, mx], [ext])
        sides.append((ext, size))
    (w, aw), (h, ah) = sides
    inter, area, area_t, both, union, iou, pw, ph, pos, big, over = (ctx.tmp() for _ in range(11))
    ctx.node("Mul", [w, h], [inter])
    ctx.node("Mul", [aw, ah], [area])
    ctx.node("Transpose", [area], [area_t], perm=[0, 2, 1])
    ctx.node("Add", [area, area_t], [both])
    ctx.node("Sub", [both, inter], [union])
    ctx.node("Div", [inter, union], [iou])
    zero = ctx.const(0.0, np.float64)
    ctx.node("Greater", [w, zero], [pw])
    ctx.node("Greater", [h, zero], [ph])
    ctx.node("And", [pw, ph], [pos])
    ctx.node("Greater", [iou, ctx.const(float(nms), np.float64)], [big])
    ctx.node("And", [pos, big], [over])
    return over


@onnx_op("nms_detection2d", sample=_nms_sample, shapes=((2, 16, 8),))
def _nms_detection2d(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """The thresholds as Where, then the suppression rebuilt on the dense tensor.

    Per class (NNabla's greedy rule: by decreasing score, a box still alive suppresses every
    later box with IoU ``> nms``; ties to the lower index) that is ONNX NonMaxSuppression
    (centre boxes, ``IoU > iou_threshold`` suppresses, overlaps ``<= 0`` count as none, its
    priority queue ties to the lower index); its selected ``(batch, class, box)`` triples are
    scattered (ScatterND) into a keep mask that zeroes the other scores. Zero scores are no
    candidates (moved to -inf below ``score_threshold``). ONNX Runtime's kernel computes IoU
    in float32 where nnfunc uses float64: a pair whose IoU lies within float32 rounding of
    ``nms`` may be decided differently, and float64 scores are ranked as float32.

    By objectness (a box dies when ANY box ranked before it overlaps it, suppressed or not)
    NonMaxSuppression does not apply: the ``(B, N, N)`` IoU matrix in float64 and the
    ranking ``o_j > o_i or (o_j == o_i and j < i)`` among non-zero objectness give it
    exactly."""
    dt = _out_dtype(func)
    x = _as(ctx, ins[0], _in_dtype(func, 0), dt)
    t = ctx.const(func.thresh, dt)
    zero = ctx.const(0, dt)
    obj, low, o, o3, s = (ctx.tmp() for _ in range(5))
    ctx.node("Gather", [x, ctx.const(4, np.int64)], [obj], axis=2)  # (B, N)
    ctx.node("Less", [obj, t], [low])
    ctx.node("Where", [low, zero, obj], [o])
    ctx.node("Unsqueeze", [o, ctx.const([2], np.int64)], [o3])
    p = _slice_last(ctx, x, 5, _I64_MAX)
    probs = _half_op(ctx, "Mul", o3, p, dt)
    lowp = _half_cmp(ctx, "Less", probs, t, dt)
    ctx.node("Where", [lowp, zero, probs], [s])  # (B, N, C)
    box = _slice_last(ctx, x, 0, 4)
    if func.per_class:
        f32 = np.dtype(np.float32)
        scores, nz, masked, shp, nbox, sel, sel_shp, k, ones, keep0, keep, keep_t = (
            ctx.tmp() for _ in range(12)
        )
        ctx.node("Transpose", [s], [scores], perm=[0, 2, 1])  # (B, C, N)
        ctx.node("Equal", [scores, zero], [nz])
        ctx.node("Where", [nz, ctx.const(-np.inf, dt), scores], [masked])
        s32 = _as(ctx, masked, dt, f32)
        b32 = _as(ctx, box, dt, f32)
        ctx.node("Shape", [box], [shp])
        ctx.node("Gather", [shp, ctx.const([1], np.int64)], [nbox], axis=0)
        lowest = ctx.const([np.finfo(np.float32).min], f32)
        nms_in = [b32, s32, nbox, ctx.const([func.nms], f32), lowest]
        ctx.node("NonMaxSuppression", nms_in, [sel], center_point_box=1)  # (K, 3)
        ctx.node("Shape", [sel], [sel_shp])
        ctx.node("Gather", [sel_shp, ctx.const([0], np.int64)], [k], axis=0)
        true = ctx.onnx.numpy_helper.from_array(np.ones((1,), bool), "value")
        false = ctx.onnx.numpy_helper.from_array(np.zeros((1,), bool), "value")
        ctx.node("ConstantOfShape", [k], [ones], value=true)
        scores_shp = ctx.tmp()
        ctx.node("Shape", [scores], [scores_shp])
        ctx.node("ConstantOfShape", [scores_shp], [keep0], value=false)
        ctx.node("ScatterND", [keep0, sel, ones], [keep])
        ctx.node("Transpose", [keep], [keep_t], perm=[0, 2, 1])
        o_out, s_out = o3, ctx.tmp()
        ctx.node("Where", [keep_t, s, zero], [s_out])
    else:
        over = _pairwise_over(ctx, _as(ctx, box, dt, np.float64), func.nms)
        oi, oj, gt, eq, shp, n, ri, rj, lt, tie, ahead, candj = (ctx.tmp() for _ in range(12))
        ctx.node("Unsqueeze", [o, ctx.const([2], np.int64)], [oi])  # (B, N, 1): box i
        ctx.node("Unsqueeze", [o, ctx.const([1], np.int64)], [oj])  # (B, 1, N): box j
        ctx.node("Greater", [oj, oi], [gt])
        ctx.node("Equal", [oj, oi], [eq])
        ctx.node("Shape", [o], [shp])
        ctx.node("Gather", [shp, ctx.const([1], np.int64)], [n], axis=0)
        r = _range(ctx, n)
        ctx.node("Unsqueeze", [r, ctx.const([1], np.int64)], [ri])
        ctx.node("Unsqueeze", [r, ctx.const([0], np.int64)], [rj])
        ctx.node("Less", [rj, ri], [lt])
        ctx.node("And", [eq, lt], [tie])
        ctx.node("Or", [gt, tie], [ahead])
        ctx.node("Not", [_equal_zero(ctx, oj, zero)], [candj])
        hit, hit_i, anyf, dead, cand_i, kill = (ctx.tmp() for _ in range(6))
        ctx.node("And", [ahead, over], [hit])
        ctx.node("And", [hit, candj], [hit_i])
        ctx.node("Cast", [hit_i], [anyf], to=_elem_type(ctx.onnx, np.float32))
        red = ctx.tmp()
        _axes_node(ctx, "ReduceMax", anyf, [2], red, 1)  # (B, N, 1)
        ctx.node("Greater", [red, ctx.const(0.0, np.float32)], [dead])
        ctx.node("Not", [_equal_zero(ctx, oi, zero)], [cand_i])
        ctx.node("And", [dead, cand_i], [kill])
        o_out, s_out = ctx.tmp(), ctx.tmp()
        ctx.node("Where", [kill, zero, o3], [o_out])
        ctx.node("Where", [kill, zero, s], [s_out])
    ctx.node("Concat", [box, o_out, s_out], outs, axis=2)


def _equal_zero(ctx: _Context, x: str, zero: str) -> str:
    out = ctx.tmp()
    ctx.node("Equal", [x, zero], [out])
    return out


def _half_op(ctx: _Context, op: str, a: str, b: str, dt: Any) -> str:
    """``op(a, b)`` in dtype ``dt``, rounded to float16 where ``dt`` is float16: ONNX Runtime
    runs float16 arithmetic in float32 and drops the rounding between two ops (an Add then an
    Equal compares the unrounded sum), so the float32 op and its Casts are written out."""
    out = ctx.tmp()
    if np.dtype(dt) != np.float16:
        ctx.node(op, [a, b], [out])
        return out
    f32 = np.dtype(np.float32)
    r = ctx.tmp()
    ctx.node(op, [_as(ctx, a, dt, f32), _as(ctx, b, dt, f32)], [r])
    ctx.node("Cast", [r], [out], to=_elem_type(ctx.onnx, dt))
    return out


def _half_cmp(ctx: _Context, op: str, a: str, b: str, dt: Any) -> str:
    """A comparison of float16 values made in float32 (exact), so that ONNX Runtime compares
    the rounded values of :func:`_half_op`."""
    out = ctx.tmp()
    if np.dtype(dt) == np.float16:
        f32 = np.dtype(np.float32)
        a, b = _as(ctx, a, dt, f32), _as(ctx, b, dt, f32)
    ctx.node(op, [a, b], [out])
    return out


def _morph_grads(F: Any, x: Any, f: Any, w: Any) -> tuple[Any, ...]:
    """``(xr, fr, gx, gf)``: integer-valued inputs (windows with tied maxima: the first offset
    takes the gradient) through dilation2d channel-first with padding and erosion2d (a
    dilation2d core) channel-last, and the graph gradients of a loss weighted by ``w``."""
    xr, fr = F.floor(F.mul(x, 2.0)), F.floor(F.mul(f, 2.0))
    a = F.dilation2d(xr, fr, stride=(1, 2), rate=(2, 1), pad="same")
    b = F.erosion2d(_nchw(F, xr), fr, stride=(2, 1), pad="valid", channel_last=True)
    loss = F.add(F.sum(F.mul(a, w)), F.sum(F.mul(b, b)))
    return (xr, fr, *x.graph.grad(loss, [xr, fr]))


def _morph_grad_sample(F: Any, x: Any, f: Any, w: Any) -> Any:
    _, _, gx, gf = _morph_grads(F, x, f, w)
    return F.add(gx, F.sum(F.mul(gf, F.sin(f))), name="out")  # gf weighted: its routing shows


def _morph_grad_grad_sample(F: Any, x: Any, f: Any, w: Any) -> Any:
    xr, fr, gx, gf = _morph_grads(F, x, f, w)
    # d/dw of <gx, u> + <gf, v>: the gradient of dilation2d_grad w.r.t. gy is dilation2d_grad_grad
    inner = F.add(F.sum(F.mul(gx, F.sin(xr))), F.sum(F.mul(gf, F.cos(fr))))
    (gw,) = x.graph.grad(inner, [w])
    return F.identity(gw, name="out")


def _morph_taps(ctx: _Context, func: Any, x: str, fw: str, fill: Any, dt: Any) -> list[str]:
    """The taps ``x_pad[o * s + k * r] + f[k]`` (channel-first ``x`` padded with ``fill``) of
    every kernel offset ``k`` in C order, as the dilation2d entry and nnfunc's kernel form
    them (same additions, so a tap equals the node's maximum bit for bit)."""
    g = func.geom
    pads = [0, 0] + [int(p[0]) for p in g.pads] + [0, 0] + [int(p[1]) for p in g.pads]
    xp = ctx.tmp()
    ctx.node("Pad", [x, ctx.const(pads, np.int64), ctx.const(fill, dt)], [xp], mode="constant")
    taps = []
    for i in range(int(g.kernel[0])):
        for j in range(int(g.kernel[1])):
            starts = [i * int(g.dilation[0]), j * int(g.dilation[1])]
            ends = [s + (int(o) - 1) * int(st) + 1
                    for s, o, st in zip(starts, g.out, g.stride, strict=True)]  # fmt: skip
            steps = [int(st) for st in g.stride]
            sl = ctx.tmp()
            s_in = [xp, *(ctx.const(v, np.int64) for v in (starts, ends, [2, 3], steps))]
            ctx.node("Slice", s_in, [sl])
            if fw:
                fv = ctx.tmp()
                f_in = [fw, *(ctx.const(v, np.int64) for v in ([i, j], [i + 1, j + 1], [1, 2]))]
                ctx.node("Slice", f_in, [fv])
                sl = _half_op(ctx, "Add", sl, fv, dt)  # (C, 1, 1) broadcasts over (N, C, H, W)
            taps.append(sl)
    return taps


def _morph_hits(ctx: _Context, func: Any, x: str, f: str, y: str) -> list[str]:
    """Per kernel offset, the windows whose FIRST maximum (C order) is at that offset:
    ``tap == y`` and no earlier offset hit (nnfunc's ``_hits``; a NaN window hits nowhere)."""
    dt = _in_dtype(func, 0)
    low = -np.inf if dt.kind == "f" else np.iinfo(dt).min
    hits, taken = [], ""
    for tap in _morph_taps(ctx, func, x, f, low, dt):
        eq = _half_cmp(ctx, "Equal", tap, y, dt)
        if taken:
            free, hit, t2 = ctx.tmp(), ctx.tmp(), ctx.tmp()
            ctx.node("Not", [taken], [free])
            ctx.node("And", [eq, free], [hit])
            ctx.node("Or", [taken, hit], [t2])
            eq, taken = hit, t2
        else:
            taken = eq
        hits.append(eq)
    return hits


def _morph_first(ctx: _Context, func: Any, ins: list[str]) -> list[str]:
    """The node's 4-D inputs channel-first (filter-shaped and absent inputs as they are)."""
    if not func.geom.channel_last:
        return list(ins)
    out = []
    for k, name in enumerate(ins):
        if k in (1, 4) or not name:  # the filter, the filter's gradient
            out.append(name)
        else:
            out.append(_transposed(ctx, name, [0, 3, 1, 2]))
    return out


def _morph_static(func: Any) -> None:
    g = func.geom
    if None in g.out or None in g.kernel or None in g.sizes:
        raise _unsupported(func, f"{func.op_name} with unknown spatial sizes")


@onnx_op(
    "dilation2d_grad",
    sample=_morph_grad_sample,
    shapes=((2, 3, 7, 6), (3, 2, 3), (7, 3)),
    min_opset=16,
)
def _dilation2d_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``gy`` routed to each window's first arg-max of ``x_pad + f`` (as max_pool_grad): the
    hit offset's flat position in the padded plane (static index tables, since the sizes are
    known) and one ScatterElements-add; ``gf[:, k]`` the sum of ``gy`` over the windows that
    hit offset ``k``. Hits in the padding are cropped away (nnfunc's ``crop``)."""
    _morph_static(func)
    g = func.geom
    x, f, y, gy = _morph_first(ctx, func, ins)
    # ONNX Runtime has no float16 ScatterElements-add: float16 accumulates in float32
    out_dt = _out_dtype(func)
    dt = np.dtype(np.float32) if out_dt == np.float16 else out_dt
    gy = _as(ctx, gy, _in_dtype(func, 3), dt)
    (ph0, ph1), (pw0, pw1) = ((int(a), int(b)) for a, b in g.pads)
    h, w = int(g.sizes[0]), int(g.sizes[1])
    wp = w + pw0 + pw1
    oh, ow = np.arange(int(g.out[0])), np.arange(int(g.out[1]))
    idx, taken, gf_parts = ctx.const(np.zeros((1, 1, 1, 1), np.int64)), "", []
    zero = ctx.const(0, dt)
    for k, hit in enumerate(_morph_hits(ctx, func, x, f, y)):
        i, j = divmod(k, int(g.kernel[1]))
        rows = oh * int(g.stride[0]) + i * int(g.dilation[0])
        cols = ow * int(g.stride[1]) + j * int(g.dilation[1])
        pos = (rows[:, None] * wp + cols[None, :]).astype(np.int64)
        i2, sel, s = ctx.tmp(), ctx.tmp(), ctx.tmp()
        ctx.node("Where", [hit, ctx.const(pos), idx], [i2])
        idx = i2
        ctx.node("Where", [hit, gy, zero], [sel])
        _axes_node(ctx, "ReduceSum", sel, [0, 2, 3], s, 0)  # (C,)
        gf_parts.append(s)
        taken = _combine(ctx, "Or", taken, hit)
    gf_flat, upd, fi, fu, shp, nc, size, zs, acc, plane, gx = (ctx.tmp() for _ in range(11))
    ctx.node("Concat", [_unsq(ctx, s, 1) for s in gf_parts], [gf_flat], axis=1)  # (C, kh*kw)
    gf_shape = ctx.const([0, *(int(v) for v in g.kernel)], np.int64)
    ctx.node("Reshape", [_as(ctx, gf_flat, dt, out_dt), gf_shape], outs[1:2])
    ctx.node("Where", [taken, gy, zero], [upd])  # a window without a hit (NaN) routes nothing
    ctx.node("Reshape", [idx, ctx.const([0, 0, -1], np.int64)], [fi])
    ctx.node("Reshape", [upd, ctx.const([0, 0, -1], np.int64)], [fu])
    ctx.node("Shape", [upd], [shp])
    ctx.node("Slice", [shp, ctx.const([0], np.int64), ctx.const([2], np.int64)], [nc])
    hp = h + ph0 + ph1
    ctx.node("Concat", [nc, ctx.const([hp * wp], np.int64)], [size], axis=0)
    zs = _zeros_of(ctx, size, dt)
    ctx.node("ScatterElements", [zs, fi, fu], [acc], axis=2, reduction="add")
    shp4 = ctx.tmp()
    ctx.node("Concat", [nc, ctx.const([hp, wp], np.int64)], [shp4], axis=0)
    ctx.node("Reshape", [acc, shp4], [plane])
    crop = [ctx.const(v, np.int64) for v in ([ph0, pw0], [ph0 + h, pw0 + w], [2, 3])]
    ctx.node("Slice", [plane, *crop], [gx])
    gx = _as(ctx, gx, dt, out_dt)
    if g.channel_last:
        ctx.node("Transpose", [gx], outs[:1], perm=[0, 2, 3, 1])
    else:
        ctx.node("Identity", [gx], outs[:1])


def _unsq(ctx: _Context, x: str, axis: int) -> str:
    out = ctx.tmp()
    ctx.node("Unsqueeze", [x, ctx.const([axis], np.int64)], [out])
    return out


@onnx_op(
    "dilation2d_grad_grad",
    sample=_morph_grad_grad_sample,
    shapes=((2, 3, 7, 6), (3, 2, 3), (7, 3)),
)
def _dilation2d_grad_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """The adjoint of dilation2d_grad: ``gx`` (zero-padded) and ``gf[:, k]`` read at each
    window's first arg-max offset, the taps of ``gx`` cut out as the forward cuts ``x``."""
    _morph_static(func)
    g = func.geom
    x, f, y, gx, gf = _morph_first(ctx, func, ins)
    dt = _out_dtype(func)
    gx_taps = _morph_taps(ctx, func, _as(ctx, gx, _in_dtype(func, 3), dt), "", 0, dt) if gx else []
    if gf:
        gf = _as(ctx, gf, _in_dtype(func, 4), dt)
    zero = ctx.const(0, dt)
    acc = ""
    for k, hit in enumerate(_morph_hits(ctx, func, x, f, y)):
        i, j = divmod(k, int(g.kernel[1]))
        src = gx_taps[k] if gx else ""
        if gf:
            fv = ctx.tmp()
            f_in = [gf, *(ctx.const(v, np.int64) for v in ([i, j], [i + 1, j + 1], [1, 2]))]
            ctx.node("Slice", f_in, [fv])
            src = _combine(ctx, "Add", src, fv)
        sel = ctx.tmp()
        ctx.node("Where", [hit, src, zero], [sel])
        acc = _combine(ctx, "Add", acc, sel)
    if g.channel_last:
        ctx.node("Transpose", [acc], outs, perm=[0, 2, 3, 1])
    else:
        ctx.node("Identity", [acc], outs)


def _hit_mask_sample(F: Any, t: Any, s: Any) -> Any:
    # labels and candidates in [0, 5): candidates repeat (the last position takes the hit)
    mask = F.sampling._sampled._HitMask(np.dtype(np.float32))
    labels, sampled = _labels_sample(F, t, 5), F.cast(_labels_sample(F, s, 5), np.int32)
    return mask.apply1(labels, sampled, name="out")


@onnx_op("accidental_hit_mask", sample=_hit_mask_sample, shapes=((4, 3), (7,)))
def _accidental_hit_mask(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``-FLT_MAX`` (in the node's dtype: -inf in float16) where candidate ``p`` equals one of
    the row's labels and no later candidate has its value (TensorFlow's value -> position map
    keeps the LAST position of a repeated candidate), else 0: two Equal tables, no loops."""
    labels, sampled = _int64(ctx, func, 0, ins[0]), _int64(ctx, func, 1, ins[1])
    lab3, eq, eqf, hit_f, hit = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("Unsqueeze", [labels, ctx.const([2], np.int64)], [lab3])  # (B, T, 1)
    ctx.node("Equal", [lab3, sampled], [eq])  # (B, T, S)
    ctx.node("Cast", [eq], [eqf], to=_elem_type(ctx.onnx, np.float32))
    _axes_node(ctx, "ReduceMax", eqf, [1], hit_f, 0)  # (B, S)
    ctx.node("Greater", [hit_f, ctx.const(0.0, np.float32)], [hit])
    # a candidate is its value's last position when no later candidate equals it
    col, row, same, n, r, ri, rj, later, dup, dupf, any_f, seen, last = (
        ctx.tmp() for _ in range(13)
    )
    ctx.node("Unsqueeze", [sampled, ctx.const([1], np.int64)], [col])  # (S, 1): p
    ctx.node("Unsqueeze", [sampled, ctx.const([0], np.int64)], [row])  # (1, S): q
    ctx.node("Equal", [col, row], [same])
    ctx.node("Shape", [sampled], [n])
    r = _range(ctx, n)
    ctx.node("Unsqueeze", [r, ctx.const([1], np.int64)], [ri])
    ctx.node("Unsqueeze", [r, ctx.const([0], np.int64)], [rj])
    ctx.node("Greater", [rj, ri], [later])
    ctx.node("And", [same, later], [dup])
    ctx.node("Cast", [dup], [dupf], to=_elem_type(ctx.onnx, np.float32))
    _axes_node(ctx, "ReduceMax", dupf, [1], any_f, 0)  # (S,)
    ctx.node("Greater", [any_f, ctx.const(0.0, np.float32)], [seen])
    ctx.node("Not", [seen], [last])
    both = ctx.tmp()
    ctx.node("And", [hit, last], [both])
    dt = np.dtype(func.dtype)
    with np.errstate(over="ignore"):  # -FLT_MAX is -inf in float16, as the node's cast
        low = np.asarray(-np.finfo(np.float32).max).astype(dt)
    ctx.node("Where", [both, ctx.const(low, dt), ctx.const(0, dt)], outs)


# ---------------------------------------------------------------- fused probability losses
def _clipped(ctx: _Context, func: Any, x: str, dt: Any) -> str:
    """``clip(x, lo, hi)`` with the node's bounds (none without eps)."""
    if func.eps is None:
        return x
    c = ctx.tmp()
    ctx.node("Clip", [x, ctx.const(func.lo, dt), ctx.const(func.hi, dt)], [c])
    return c


def _safe_log(ctx: _Context, p: str, tiny: float, dt: Any) -> str:
    m, lg = ctx.tmp(), ctx.tmp()
    ctx.node("Max", [p, ctx.const(tiny, dt)], [m])
    ctx.node("Log", [m], [lg])
    return lg


def _safe_recip(ctx: _Context, p: str, tiny: float, dt: Any) -> str:
    """``[p >= tiny] / p`` (0 where p is below the log's floor)."""
    ok, safe, r, y = ctx.tmp(), ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("GreaterOrEqual", [p, ctx.const(tiny, dt)], [ok])
    ctx.node("Where", [ok, p, ctx.const(1.0, dt)], [safe])
    ctx.node("Reciprocal", [safe], [r])
    ctx.node("Where", [ok, r, ctx.const(0.0, dt)], [y])
    return y


def _inside(ctx: _Context, func: Any, x: str, dt: Any) -> str:
    """``[lo <= x <= hi]`` as numbers (1 everywhere without eps)."""
    if func.eps is None:
        return ""
    a, b, ab = ctx.tmp(), ctx.tmp(), ctx.tmp()
    ctx.node("GreaterOrEqual", [x, ctx.const(func.lo, dt)], [a])
    ctx.node("LessOrEqual", [x, ctx.const(func.hi, dt)], [b])
    ctx.node("And", [a, b], [ab])
    return _as(ctx, ab, np.bool_, dt)


def _bce_sample(F: Any, x: Any, t: Any, w: Any) -> Any:
    p = F.sigmoid(F.mul(x, 3.0))
    loss = F.add(F.binary_cross_entropy(p, F.sigmoid(t)),
                 F.binary_cross_entropy(p, F.sigmoid(t), eps=None))  # fmt: skip
    (g,) = x.graph.grad(F.sum(F.mul(loss, w)), [x])
    return F.add(loss, g, name="out")


@onnx_op("binary_cross_entropy", "binary_cross_entropy_grad", sample=_bce_sample,
         shapes=((2, 5), (2, 5), (5,)))  # fmt: skip
def _binary_cross_entropy(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``-(t log max(p, tiny) + (1 - t) log max(1 - p, tiny))``, ``p = clip(x)``; its
    gradient node ``gy [lo <= x <= hi] (-t r1 + (1 - t) r2)``, ``r1 = [p >= tiny] / p``,
    ``r2 = [1 - p >= tiny] / (1 - p)``."""
    dt = np.dtype(func.out_dtype)
    x, t = _inputs_as(ctx, func, ins[:2], dt)
    p = _clipped(ctx, func, x, dt)
    q, omt = ctx.tmp(), ctx.tmp()
    ctx.node("Sub", [ctx.const(1.0, dt), p], [q])
    ctx.node("Sub", [ctx.const(1.0, dt), t], [omt])
    a, b, s = ctx.tmp(), ctx.tmp(), ctx.tmp()
    if func.op_name == "binary_cross_entropy":
        ctx.node("Mul", [t, _safe_log(ctx, p, func.tiny, dt)], [a])
        ctx.node("Mul", [omt, _safe_log(ctx, q, func.tiny, dt)], [b])
        ctx.node("Add", [a, b], [s])
        ctx.node("Neg", [s], outs)
        return
    gy = _as(ctx, ins[2], _in_dtype(func, 2), dt)
    ctx.node("Mul", [t, _safe_recip(ctx, p, func.tiny, dt)], [a])
    ctx.node("Mul", [omt, _safe_recip(ctx, q, func.tiny, dt)], [b])
    ctx.node("Sub", [b, a], [s])
    g = ctx.tmp()
    ctx.node("Mul", [gy, s], [g])
    ind = _inside(ctx, func, x, dt)
    if ind:
        ctx.node("Mul", [g, ind], outs)
    else:
        ctx.node("Identity", [g], outs)


def _cce_sample(F: Any, x: Any, t: Any, w: Any) -> Any:
    p = F.softmax(F.mul(x, 3.0))
    loss = F.add(F.categorical_cross_entropy(p, F.softmax(t)),
                 F.categorical_cross_entropy(p, F.softmax(t), eps=None))  # fmt: skip
    (g,) = x.graph.grad(F.sum(F.mul(loss, w)), [x])
    return F.add(F.expand_dims(loss, -1), g, name="out")


@onnx_op("categorical_cross_entropy", "categorical_cross_entropy_grad", sample=_cce_sample,
         shapes=((2, 5), (2, 5), (2,)))  # fmt: skip
def _categorical_cross_entropy(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    """``-sum(t log max(clip(p), tiny), axis)``; its gradient node ``-gy t [p inside, clip(p)
    >= tiny] / clip(p)``."""
    dt = np.dtype(func.out_dtype)
    x, t = _inputs_as(ctx, func, ins[:2], dt)
    c = _clipped(ctx, func, x, dt)
    ax = int(func.ax)
    if func.op_name == "categorical_cross_entropy":
        m, s = ctx.tmp(), ctx.tmp()
        ctx.node("Mul", [t, _safe_log(ctx, c, func.tiny, dt)], [m])
        _axes_node(ctx, "ReduceSum", m, [ax], s, int(bool(func.keepdims)))
        ctx.node("Neg", [s], outs)
        return
    gy = _as(ctx, ins[2], _in_dtype(func, 2), dt)
    m, g = ctx.tmp(), ctx.tmp()
    ctx.node("Mul", [t, _safe_recip(ctx, c, func.tiny, dt)], [m])
    ctx.node("Mul", [m, gy], [g])
    ind = _inside(ctx, func, x, dt)
    if ind:
        gi = ctx.tmp()
        ctx.node("Mul", [g, ind], [gi])
        g = gi
    ctx.node("Neg", [g], outs)


@onnx_op(
    "softmax_grad",
    sample=_grad_sample(
        lambda F, x, w: F.sum(F.mul(F.add(F.softmax(x, axis=1), F.log_softmax(x, axis=1)), w))
    ),
    shapes=((2, 3, 4), (3, 4)),
)
def _softmax_grad(ctx: _Context, func: Any, ins: list[str], outs: list[str]) -> None:
    # from the output y: softmax y (gy - sum(gy y)); log_softmax gy - exp(y) sum(gy)
    dt = np.dtype(func.out_dtype)
    y, gy = _inputs_as(ctx, func, ins[:2], dt)
    ax = [int(func.ax)] if func.ax is not None else list(range(_rank(func)))
    s = ctx.tmp()
    if func.log:
        e, es = ctx.tmp(), ctx.tmp()
        _axes_node(ctx, "ReduceSum", gy, ax, s, 1)
        ctx.node("Exp", [y], [e])
        ctx.node("Mul", [e, s], [es])
        ctx.node("Sub", [gy, es], outs)
        return
    gyy, d = ctx.tmp(), ctx.tmp()
    ctx.node("Mul", [gy, y], [gyy])
    _axes_node(ctx, "ReduceSum", gyy, ax, s, 1)
    ctx.node("Sub", [gy, s], [d])
    ctx.node("Mul", [y, d], outs)
