"""PyTorch's own OpInfo samples run through nnfunc's canonical functions.

``torch.testing._internal.common_methods_invocations.op_db`` holds, per operator, the sample
inputs chosen by PyTorch's maintainers (shapes, broadcasting, empty and 0-d tensors, keyword
variants). ``ADAPTERS`` maps each OpInfo to the canonical function(s) it exercises: the adapter
translates PyTorch's argument names and layouts to nnfunc's once, there. Every sample then runs
through both libraries in float64 and float32: outputs (shape, dtype, values) and the gradients
of every differentiable input, for one random output gradient, must agree.

``DIFFERENCES`` (one place) lists the samples where nnfunc deliberately differs from PyTorch,
each with its reason: a key of ``_differences.DOCUMENTED`` (torch-free), which also names the
docstrings that state it (checked by ``test_documented_differences.py``). Those samples are
still run: a listed difference that no longer differs, or that matches no sample, fails the
test, so the list cannot go stale.

CI time: ops with many samples (PyTorch's max_pool grids hold hundreds) are cut to
``MAX_SAMPLES`` evenly spaced samples, chosen deterministically (samples are generated after
``torch.manual_seed(0)``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the oracle of these tests")
pytest.importorskip(
    "expecttest", reason="torch's op_db imports expecttest (pip install expecttest)"
)
from torch.testing._internal.common_methods_invocations import op_db  # noqa: E402

import nnfunc as nf  # noqa: E402
import nnfunc.functions as F  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "oracle_differences", pathlib.Path(__file__).with_name("_differences.py")
)
_differences = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_differences)
DOCUMENTED = _differences.DOCUMENTED

pytestmark = pytest.mark.oracle

# NNFUNC_OPINFO_MAX_SAMPLES=0 runs every sample (a full sweep, not for CI)
MAX_SAMPLES = int(os.environ.get("NNFUNC_OPINFO_MAX_SAMPLES", "12")) or 10**9
TOL = {torch.float64: (1e-7, 1e-9), torch.float32: (1e-4, 2e-5), torch.int64: (0, 0)}
OPS = {o.name + ("." + o.variant_test_name if o.variant_test_name else ""): o for o in op_db}


# ----------------------------------------------------------------------------------------------
# Argument translation helpers (PyTorch -> nnfunc)
# ----------------------------------------------------------------------------------------------


def _bind(names: str, args: tuple, kwargs: dict, **defaults: Any) -> Any:
    """PyTorch's positional and keyword arguments by name."""
    out = dict(defaults)
    out.update(zip(names.split(), args))
    out.update(kwargs)
    return type("Args", (), out)


def _ntuple(v: Any, n: int) -> tuple | None:
    """An int, a 1-tuple or an n-tuple as an n-tuple; ``()`` / None as None (PyTorch default)."""
    if v is None or (isinstance(v, (tuple, list)) and len(v) == 0):
        return None
    if isinstance(v, (tuple, list)):
        return tuple(v) * n if len(v) == 1 else tuple(v)
    return (v,) * n


def _batched(x: Any, nsp: int) -> tuple[Any, bool]:
    """PyTorch accepts unbatched ``(C, *L)``; nnfunc's layers take a batch axis."""
    if len(x.shape) == nsp + 1:
        return F.expand_dims(x, 0), True
    return x, False


def _unbatch(y: Any, was: bool) -> Any:
    return F.squeeze(y, 0) if was else y


def _reduce(loss: Any, reduction: str) -> Any:
    return {"mean": F.mean, "sum": F.sum, "none": lambda v: v}[reduction](loss)


def _dims(dim: Any) -> Any:
    """PyTorch's ``dim=None`` and ``dim=()`` both reduce every axis."""
    return None if dim is None or dim == () or dim == [] else dim


def _np(v: Any) -> np.ndarray:
    return np.asarray(v.data if isinstance(v, nf.Variable) else v)


# ----------------------------------------------------------------------------------------------
# Adapters
# ----------------------------------------------------------------------------------------------


def _conv(nsp: int) -> Callable:
    def call(x, *args, **kwargs):
        a = _bind("weight bias stride padding dilation groups", args, kwargs, bias=None)
        x, was = _batched(x, nsp)
        y = F.conv(
            x,
            a.weight,
            a.bias,
            stride=getattr(a, "stride", 1),
            pad=getattr(a, "padding", 0),
            dilation=getattr(a, "dilation", 1),
            groups=getattr(a, "groups", 1),
        )
        return _unbatch(y, was)

    return call


def _conv_transpose(nsp: int) -> Callable:
    def call(x, *args, **kwargs):
        a = _bind(
            "weight bias stride padding output_padding groups dilation", args, kwargs, bias=None
        )
        x, was = _batched(x, nsp)
        op = getattr(a, "output_padding", 0)
        y = F.conv_transpose(
            x,
            a.weight,
            a.bias,
            stride=getattr(a, "stride", 1),
            pad=getattr(a, "padding", 0),
            dilation=getattr(a, "dilation", 1),
            groups=getattr(a, "groups", 1),
            output_padding=op if op not in (0, (0,) * nsp) else None,
        )
        return _unbatch(y, was)

    return call


def _pool_args(x: Any, nsp: int, a: Any) -> tuple[tuple, tuple, tuple]:
    """Kernel, stride and per-axis ``(low, high)`` pads; PyTorch's ``ceil_mode`` becomes extra
    high padding (its rule: one more window when a partial one starts inside the input or the
    low padding), since nnfunc's ``ignore_border=False`` follows NNabla's other rule."""
    k = _ntuple(a.kernel_size, nsp)
    st = _ntuple(a.stride, nsp) or k
    p = _ntuple(a.padding, nsp)
    pads = []
    for n, kk, ss, pp in zip(x.shape[-nsp:], k, st, p):
        hi = pp
        if a.ceil_mode:
            out = -(-(n + 2 * pp - kk) // ss) + 1
            if (out - 1) * ss >= n + pp:
                out -= 1
            hi = max(pp, (out - 1) * ss + kk - n - pp)
        pads.append((pp, hi))
    return k, st, tuple(pads)


def _pool_bind(args: tuple, kwargs: dict, names: str) -> Any:
    return _bind(
        names,
        args,
        kwargs,
        stride=None,
        padding=0,
        dilation=1,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    )


_AVG = "kernel_size stride padding ceil_mode count_include_pad divisor_override"
_MAX = "kernel_size stride padding dilation ceil_mode return_indices"


def _avg_pool(nsp: int) -> Callable:
    def call(x, *args, **kwargs):
        a = _pool_bind(args, kwargs, _AVG)
        if a.divisor_override is not None:
            raise nf.UnsupportedError("avg_pool: divisor_override has no nnfunc equivalent")
        x, was = _batched(x, nsp)
        k, st, pads = _pool_args(x, nsp, a)
        y = F.avg_pool(x, k, stride=st, pad=pads, including_pad=a.count_include_pad)
        return _unbatch(y, was)

    return call


def _max_pool(nsp: int) -> Callable:
    def call(x, *args, **kwargs):
        a = _pool_bind(args, kwargs, _MAX)
        if _ntuple(a.dilation, nsp) != (1,) * nsp:
            raise nf.UnsupportedError("max_pool: no dilation in nnfunc")
        x, was = _batched(x, nsp)
        k, st, pads = _pool_args(x, nsp, a)
        return _unbatch(F.max_pool(x, k, stride=st, pad=pads), was)

    return call


def _ceil_overhang(nsp: int) -> Callable:
    """The sample has a ceil_mode window reaching past the padded input."""

    def when(s):
        a = _pool_bind(s.args, s.kwargs, _AVG)
        if not a.ceil_mode or not a.count_include_pad or a.divisor_override is not None:
            return False
        _, _, pads = _pool_args(s.input, nsp, a)
        return any(hi > lo for lo, hi in pads)

    return when


def _values_only(y: Any, s: Any) -> Any:
    """max_pool with ``return_indices=True``: the values are compared (see DIFFERENCES)."""
    return y[0] if isinstance(y, tuple) else y


def _batch_norm(x, *args, **kwargs):
    a = _bind(
        "running_mean running_var weight bias training momentum eps",
        args,
        kwargs,
        weight=None,
        bias=None,
        training=False,
        momentum=0.1,
        eps=1e-5,
    )
    rm, rv = a.running_mean, a.running_var
    return F.batch_normalization(
        x,
        None if rm is None else np.array(rm),
        None if rv is None else np.array(rv),
        a.bias,
        a.weight,
        axis=1,
        eps=a.eps,
        training=a.training,
        decay=1.0 - a.momentum,
    )


def _layer_norm(x, *args, **kwargs):
    a = _bind("normalized_shape weight bias eps", args, kwargs, weight=None, bias=None, eps=1e-5)
    n = len(a.normalized_shape)
    axes = tuple(range(len(x.shape) - n, len(x.shape)))
    return F.layer_normalization(x, a.weight, a.bias, axis=axes, eps=a.eps)


def _group_norm(x, *args, **kwargs):
    a = _bind("num_groups weight bias eps", args, kwargs, weight=None, bias=None, eps=1e-5)
    return F.group_normalization(x, a.num_groups, a.weight, a.bias, channel_axis=1, eps=a.eps)


def _instance_norm(x, *args, **kwargs):
    a = _bind(
        "running_mean running_var weight bias use_input_stats momentum eps",
        args,
        kwargs,
        weight=None,
        bias=None,
        use_input_stats=True,
        eps=1e-5,
    )
    if not a.use_input_stats:
        raise nf.UnsupportedError("instance_norm: use_input_stats=False")
    return F.instance_normalization(x, a.weight, a.bias, channel_axis=1, eps=a.eps)


def _local_response_norm(x, *args, **kwargs):
    a = _bind("size alpha beta k", args, kwargs, alpha=1e-4, beta=0.75, k=1.0)
    if a.size % 2 == 0:
        raise nf.UnsupportedError("local_response_norm: even windows are asymmetric in PyTorch")
    # PyTorch divides alpha by the window size; TensorFlow's (nnfunc's) alpha does not.
    return F.local_response_normalization(
        x, a.size // 2, bias=a.k, alpha=a.alpha / a.size, beta=a.beta, axis=1
    )


def _normalize(x, *args, **kwargs):
    a = _bind("p dim eps", args, kwargs, p=2.0, dim=1, eps=1e-12)
    order = int(a.p) if float(a.p).is_integer() else a.p
    return F.normalize(x, axis=a.dim, order=order, eps=a.eps)


def _bce(x, *args, **kwargs):
    a = _bind("target weight size_average reduce reduction", args, kwargs, weight=None)
    loss = F.binary_cross_entropy(x, a.target, eps=None)
    if a.weight is not None:
        loss = F.mul(loss, a.weight)
    return _reduce(loss, getattr(a, "reduction", "mean"))


def _bce_logits(x, *args, **kwargs):
    a = _bind(
        "target weight size_average reduce reduction pos_weight",
        args,
        kwargs,
        weight=None,
        pos_weight=None,
    )
    if a.pos_weight is None:
        loss = F.sigmoid_cross_entropy_with_logits(x, a.target)
    else:
        loss = F.weighted_cross_entropy_with_logits(x, a.target, a.pos_weight)
    if a.weight is not None:
        loss = F.mul(loss, a.weight)
    return _reduce(loss, getattr(a, "reduction", "mean"))


def _cross_entropy(x, *args, **kwargs):
    a = _bind(
        "target weight size_average ignore_index reduce reduction label_smoothing",
        args,
        kwargs,
        weight=None,
        ignore_index=-100,
        reduction="mean",
        label_smoothing=0.0,
    )
    if a.label_smoothing:
        raise nf.UnsupportedError("cross_entropy: label_smoothing")
    target = _np(a.target)
    ncls = x.shape[1]
    if target.dtype.kind in "iu":  # class indices
        keep = target != a.ignore_index
        labels = np.where(keep, target, 0)
        loss = F.sparse_softmax_cross_entropy_with_logits(x, labels, axis=1)
        w = keep.astype(_np(x).dtype if not isinstance(x, nf.Variable) else x.dtype)
        if a.weight is not None:
            w = w * _np(a.weight)[labels]
        loss = F.mul(loss, w)
        if a.reduction == "mean":
            return F.div(F.sum(loss), w.sum())
        return _reduce(loss, a.reduction)
    if a.weight is None:  # class probabilities
        loss = F.softmax_cross_entropy_with_logits(x, target, axis=1)
    else:
        w = _np(a.weight).reshape((ncls,) + (1,) * (len(x.shape) - 2))
        loss = F.neg(F.sum(F.mul(F.log_softmax(x, 1), target * w), axis=1))
    return _reduce(loss, a.reduction)


def _pointwise_loss(fn: Callable) -> Callable:
    def call(x, *args, **kwargs):
        a = _bind("target size_average reduce reduction", args, kwargs, reduction="mean")
        return _reduce(fn(x, a.target), a.reduction)

    return call


def _huber(x, *args, **kwargs):
    a = _bind("target reduction delta", args, kwargs, reduction="mean", delta=1.0)
    # nnfunc's (NNabla's) Huber loss is twice PyTorch's
    return _reduce(F.mul(F.huber_loss(x, a.target, a.delta), 0.5), a.reduction)


def _poisson_nll(x, *args, **kwargs):
    a = _bind(
        "target log_input full size_average eps reduce reduction",
        args,
        kwargs,
        log_input=True,
        full=False,
        reduction="mean",
    )
    if not a.log_input:
        raise nf.UnsupportedError("poisson_nll_loss: log_input=False")
    return _reduce(F.log_poisson_loss(x, a.target, compute_full_loss=a.full), a.reduction)


def _reduction(fn: Callable, dim_name: str = "dim") -> Callable:
    def call(x, *args, **kwargs):
        a = _bind(f"{dim_name} keepdim dtype", args, kwargs, keepdim=False, dtype=None)
        return fn(x, _dims(getattr(a, dim_name, None)), keepdims=a.keepdim)

    return call


def _minmax_dim(fn: Callable) -> Callable:
    def call(x, dim, keepdim=False):
        return fn(x, dim, keepdims=keepdim, with_index=True)

    return call


def _binary(fn: Callable) -> Callable:
    def call(x, other, *, alpha=1):
        return fn(x, other if alpha == 1 else F.mul(other, alpha))

    return call


def _clamp(x, lo=None, hi=None):
    return F.clip_by_value(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)


def _prelu(x, *args, **kwargs):
    w = _bind("weight", args, kwargs).weight
    nd = len(x.shape)
    if nd == 0:
        w = F.reshape(w, ())
    elif nd >= 2 and len(w.shape) == 1:
        w = F.reshape(w, (w.shape[0],) + (1,) * (nd - 2))
    return F.prelu(x, w)


def _softplus(x, beta=1.0, threshold=20.0):
    if beta == 1:
        return F.softplus(x)
    return F.div(F.softplus(F.mul(x, beta)), beta)


def _hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
    if (min_val, max_val) == (-1.0, 1.0):
        return F.hard_tanh(x)
    return F.clip_by_value(x, min_val, max_val)


def _topk(x, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    nd = len(x.shape)
    if nd == 0:
        x = F.reshape(x, (1,))
    d = dim % max(nd, 1)
    moved = nd > 1 and d != nd - 1
    perm = (*[i for i in range(nd) if i != d], d) if moved else None
    xs = F.transpose(x, perm) if moved else x
    vals, idx = F.top_k(xs if largest else F.neg(xs), k, sorted=sorted)
    if not largest:
        vals = F.neg(vals)
    if moved:
        inv = tuple(np.argsort(perm))
        vals, idx = F.transpose(vals, inv), np.transpose(_np(idx), inv)
    if nd == 0:
        vals, idx = F.reshape(vals, ()), _np(idx).reshape(())
    return vals, idx


def _sort(x, dim=-1, descending=False, stable=False):
    if len(x.shape) == 0:
        return x, np.zeros((), np.int64)
    return F.sort(x, dim, reverse=descending, with_index=True)


def _pad(mode: str) -> Callable:
    def call(x, pad, mode_=None, value=None):
        pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)][::-1]
        if mode == "constant":
            return F.pad(x, pairs, "constant", 0.0 if value is None else value)
        return F.pad(x, pairs, mode)

    return call


def _one_hot(x, num_classes=-1):
    n = num_classes if num_classes >= 0 else int(_np(x).max()) + 1
    return F.one_hot(x, n, dtype=np.int64)


def _linear(x, weight, bias=None):
    return F.linear(x, F.transpose(weight), bias)


def _transpose(x, dim0, dim1):
    nd = len(x.shape)
    perm = list(range(nd))
    if nd:
        a, b = dim0 % nd, dim1 % nd
        perm[a], perm[b] = perm[b], perm[a]
    return F.transpose(x, tuple(perm))


def _flatten(x, start_dim=0, end_dim=-1):
    shape = tuple(x.shape)
    if not shape:
        return F.reshape(x, (1,))
    a, b = start_dim % len(shape), end_dim % len(shape)
    return F.reshape(x, (*shape[:a], int(np.prod(shape[a : b + 1])), *shape[b + 1 :]))


def _expand(x, shape):
    lead = len(shape) - len(x.shape)
    full = tuple(x.shape[i - lead] if d == -1 else d for i, d in enumerate(shape))
    return F.broadcast_to(x, full)


def _narrow(x, dim, start, length):
    d = dim % len(x.shape)
    start = int(_np(start))
    lo = [0] * (len(x.shape) - d)
    hi = [x.shape[i] for i in range(d, len(x.shape))]
    lo[0], hi[0] = start, start + length
    return F.slice(x, lo, hi)


def _diagonal(x, offset=0, dim1=0, dim2=1):
    if offset:
        raise nf.UnsupportedError("diagonal: offset")
    nd = len(x.shape)
    a, b = dim1 % nd, dim2 % nd
    rest = [i for i in range(nd) if i not in (a, b)]
    return F.matrix_diag_part(F.transpose(x, (*rest, a, b)))


def _diag_embed(x, offset=0, dim1=-2, dim2=-1):
    if offset or (dim1 % (len(x.shape) + 1), dim2 % (len(x.shape) + 1)) != (
        len(x.shape) - 1,
        len(x.shape),
    ):
        raise nf.UnsupportedError("diag_embed: offset or other dims")
    return F.matrix_diag(x)


def _smooth_l1(x, *args, **kwargs):
    a = _bind("target size_average reduce reduction beta", args, kwargs, reduction="mean", beta=1.0)
    # smooth_l1 = PyTorch's Huber loss / beta = NNabla's Huber loss / (2 beta)
    return _reduce(F.mul(F.huber_loss(x, a.target, a.beta), 0.5 / a.beta), a.reduction)


@dataclass(frozen=True)
class Adapter:
    """How one OpInfo maps to nnfunc.

    Attributes:
        fns: The canonical functions the adapter calls (what this OpInfo covers).
        call: ``call(input, *args, **kwargs)`` with PyTorch's arguments (tensors as NumPy
            arrays, differentiable ones as ``nf.Variable``) -> nnfunc's result.
        diff: Which floating inputs are differentiated: ``None`` every one, else the paths
            kept (``("input",)``, ``("args", i)``, ``("kwargs", name)``).
        torch_out: Picks the PyTorch outputs the adapter returns.
        dtypes: Sample dtypes.
    """

    fns: tuple[str, ...]
    call: Callable
    diff: tuple | None = None
    torch_out: Callable = lambda y, s: y
    dtypes: tuple = (torch.float64, torch.float32)


INPUT = (("input",),)


def _a(fn: str, call: Callable | None = None, **kw: Any) -> Adapter:
    return Adapter((fn,), call or getattr(F, fn), **kw)


ADAPTERS: dict[str, Adapter] = {
    # activations
    "nn.functional.relu": _a("relu", lambda x: F.relu(x)),
    "nn.functional.relu6": _a("relu6", lambda x: F.relu6(x)),
    "nn.functional.elu": _a("elu", lambda x, alpha=1.0, inplace=False: F.elu(x, alpha)),
    "nn.functional.selu": _a("selu", lambda x: F.selu(x)),
    "nn.functional.gelu": _a("gelu", lambda x, approximate="none": F.gelu(x, approximate)),
    "sigmoid": _a("sigmoid"),
    "tanh": _a("tanh"),
    "nn.functional.softplus": _a("softplus", _softplus),
    "nn.functional.softsign": _a("softsign"),
    "nn.functional.logsigmoid": _a("log_sigmoid"),
    "nn.functional.silu": _a("silu", lambda x, inplace=False: F.silu(x)),
    "nn.functional.hardsigmoid": _a(
        "hard_sigmoid", lambda x, inplace=False: F.hard_sigmoid(x, 1 / 6, 0.5)
    ),
    "nn.functional.hardswish": _a("hard_silu", lambda x, inplace=False: F.hard_silu(x)),
    "nn.functional.hardtanh": Adapter(("hard_tanh", "clip_by_value"), _hardtanh),
    "nn.functional.leaky_relu": _a(
        "leaky_relu", lambda x, negative_slope=0.01, inplace=False: F.leaky_relu(x, negative_slope)
    ),
    "nn.functional.prelu": _a("prelu", _prelu),
    "nn.functional.tanhshrink": _a("tanh_shrink"),
    # softmax family
    "softmax": _a("softmax", lambda x, dim, dtype=None: F.softmax(x, dim)),
    "log_softmax": _a("log_softmax", lambda x, dim, dtype=None: F.log_softmax(x, dim)),
    "nn.functional.softmin": _a("softmax", lambda x, dim, dtype=None: F.softmax(F.neg(x), dim)),
    # convolution
    **{f"nn.functional.conv{n}d": _a("conv", _conv(n)) for n in (1, 2, 3)},
    **{
        f"nn.functional.conv_transpose{n}d": _a("conv_transpose", _conv_transpose(n))
        for n in (1, 2, 3)
    },
    # pooling
    **{f"nn.functional.avg_pool{n}d": _a("avg_pool", _avg_pool(n)) for n in (1, 2, 3)},
    **{
        f"nn.functional.max_pool{n}d": _a("max_pool", _max_pool(n), torch_out=_values_only)
        for n in (1, 2, 3)
    },
    # normalization (running statistics are state, not differentiated)
    "nn.functional.batch_norm": _a(
        "batch_normalization",
        _batch_norm,
        diff=(("input",), ("args", 2), ("args", 3), ("kwargs", "weight"), ("kwargs", "bias")),
    ),
    "nn.functional.layer_norm": _a("layer_normalization", _layer_norm),
    "nn.functional.group_norm": _a("group_normalization", _group_norm),
    "nn.functional.instance_norm": _a(
        "instance_normalization",
        _instance_norm,
        diff=(("input",), ("kwargs", "weight"), ("kwargs", "bias")),
    ),
    "nn.functional.local_response_norm": _a("local_response_normalization", _local_response_norm),
    "nn.functional.normalize": _a("normalize", _normalize),
    # losses
    "nn.functional.binary_cross_entropy": _a(
        "binary_cross_entropy", _bce, diff=(("input",), ("args", 0))
    ),
    "nn.functional.binary_cross_entropy_with_logits": Adapter(
        ("sigmoid_cross_entropy_with_logits", "weighted_cross_entropy_with_logits"),
        _bce_logits,
        diff=(("input",), ("args", 0)),
    ),
    "nn.functional.cross_entropy": Adapter(
        ("sparse_softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits"),
        _cross_entropy,
        diff=INPUT,
    ),
    "nn.functional.mse_loss": _a("squared_error", _pointwise_loss(F.squared_error)),
    "nn.functional.l1_loss": _a("absolute_error", _pointwise_loss(F.absolute_error)),
    "nn.functional.huber_loss": _a("huber_loss", _huber),
    "nn.functional.smooth_l1_loss": _a("huber_loss", _smooth_l1),
    "nn.functional.poisson_nll_loss": _a("log_poisson_loss", _poisson_nll),
    # reductions
    "sum": _a("sum", _reduction(F.sum)),
    "mean": _a("mean", _reduction(F.mean)),
    "prod": _a("prod", _reduction(F.prod)),
    "amax": _a("max", _reduction(F.max)),
    "amin": _a("min", _reduction(F.min)),
    "max.reduction_no_dim": _a("max", lambda x: F.max(x)),
    "min.reduction_no_dim": _a("min", lambda x: F.min(x)),
    "max.reduction_with_dim": _a("max", _minmax_dim(F.max)),
    "min.reduction_with_dim": _a("min", _minmax_dim(F.min)),
    # element-wise math
    **{
        n: _a(n)
        for n in [
            "abs",
            "acos",
            "acosh",
            "asin",
            "asinh",
            "atan",
            "atanh",
            "cos",
            "cosh",
            "exp",
            "log",
            "neg",
            "sin",
            "sinh",
            "tan",
        ]
    },
    "round": _a("round", lambda x: F.round(x, ste=False)),
    "ceil": _a("ceil", lambda x: F.ceil(x, ste=False)),
    "floor": _a("floor", lambda x: F.floor(x, ste=False)),
    # PyTorch's sinc is normalised: sin(pi x) / (pi x); nnfunc's is sin(x) / x
    "sinc": _a("sinc", lambda x: F.sinc(F.mul(x, np.pi))),
    "sign": _a("sign", lambda x: F.sign(x, 0.0, ste=False)),
    "add": _a("add", _binary(F.add)),
    "sub": _a("sub", _binary(F.sub)),
    "mul": _a("mul", _binary(F.mul)),
    "div.no_rounding_mode": _a("div", lambda x, y, rounding_mode=None: F.div(x, y)),
    "pow": _a("pow"),
    "atan2": _a("atan2"),
    "maximum": _a("maximum"),
    "minimum": _a("minimum"),
    "max.binary": _a("maximum", lambda x, y: F.maximum(x, y)),
    "min.binary": _a("minimum", lambda x, y: F.minimum(x, y)),
    "clamp_min": _a("clip_by_value", lambda x, lo: F.clip_by_value(x, lo, np.inf)),
    "clamp_max": _a("clip_by_value", lambda x, hi: F.clip_by_value(x, -np.inf, hi)),
    "clamp": _a("clip_by_value", _clamp),
    "where": _a("where", lambda x, cond, other: F.where(cond, x, other)),
    # comparisons and logic (no gradient)
    "eq": _a("equal"),
    "ne": _a("not_equal"),
    "gt": _a("greater"),
    "ge": _a("greater_equal"),
    "lt": _a("less"),
    "le": _a("less_equal"),
    "isnan": _a("isnan"),
    "isinf": _a("isinf"),
    "logical_and": _a("logical_and"),
    "logical_or": _a("logical_or"),
    "logical_xor": _a("logical_xor"),
    "logical_not": _a("logical_not"),
    # array manipulation and linear algebra
    "permute": _a("transpose", lambda x, dims: F.transpose(x, dims)),
    "reshape": _a("reshape", lambda x, shape: F.reshape(x, shape)),
    "flip": _a("flip", lambda x, dims: F.flip(x, dims)),
    "tile": _a("tile", lambda x, dims: F.tile(x, dims)),
    "cat": _a("concatenate", lambda xs, dim=0: F.concatenate(*xs, axis=dim)),
    "stack": _a("stack", lambda xs, dim=0: F.stack(*xs, axis=dim)),
    "squeeze": _a("squeeze", lambda x, dim=None: F.squeeze(x, dim)),
    "squeeze.multiple": _a("squeeze", lambda x, dim: F.squeeze(x, dim)),
    "unsqueeze": _a("expand_dims", lambda x, dim: F.expand_dims(x, dim)),
    "broadcast_to": _a("broadcast_to", lambda x, shape: F.broadcast_to(x, shape)),
    "nn.functional.one_hot": _a("one_hot", _one_hot, dtypes=(torch.int64,)),
    "sort": _a("sort", _sort),
    "topk": _a("top_k", _topk),
    "matmul": _a("matmul"),
    "mm": _a("matmul"),
    "bmm": _a("batch_matmul", lambda a, b: F.batch_matmul(a, b)),
    "nn.functional.linear": _a("linear", _linear),
    "transpose": _a("transpose", _transpose),
    "flatten": _a("reshape", _flatten),
    "expand": _a("broadcast_to", _expand),
    "narrow": _a("slice", _narrow),
    "diagonal": _a("matrix_diag_part", _diagonal),
    "diag_embed": _a("matrix_diag", _diag_embed),
    "linalg.det": _a("batch_det", lambda x: F.batch_det(x)),
    "linalg.inv": _a("batch_inv", lambda x: F.batch_inv(x)),
    "nn.functional.pad.constant": _a("pad", _pad("constant")),
    "nn.functional.pad.reflect": _a("pad", _pad("reflect")),
    "nn.functional.pad.replicate": _a("pad", _pad("repeat")),
}


# ----------------------------------------------------------------------------------------------
# Deliberate differences, in one place
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """Samples of OpInfo ``op`` (where ``when(sample)``) on which nnfunc deliberately differs.

    ``why`` is a key of ``_differences.DOCUMENTED`` (the reason, and the docstrings that state
    it). Each must match at least one sample of every dtype in ``dtypes``, and still differ there.
    """

    op: str
    when: Callable[[Any], bool]
    why: str
    dtypes: tuple = (torch.float64, torch.float32)

    @property
    def reason(self) -> str:
        return DOCUMENTED[self.why].reason


def _kw(name: str, pred: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda s: name in s.kwargs and pred(s.kwargs[name])


def _reduce_0d(s: Any) -> bool:
    dims = s.kwargs.get("dim", s.args[0] if s.args else None)
    return s.input.ndim == 0 and dims not in (None, ())


def _squeeze_noop(s: Any) -> bool:
    if not s.args:
        return False
    if s.input.ndim == 0:
        return True
    dims = s.args[0] if isinstance(s.args[0], (tuple, list)) else (s.args[0],)
    return any(s.input.shape[d] != 1 for d in dims)


def _args_or_kw(i: int, name: str, default: Any = None) -> Callable[[Any], Any]:
    return lambda s: s.args[i] if len(s.args) > i else s.kwargs.get(name, default)


DIFFERENCES: list[Difference] = [
    Difference(
        "nn.functional.softplus",
        lambda s: bool((s.kwargs.get("beta", 1) * s.input > s.kwargs.get("threshold", 20)).any()),
        "softplus_threshold",
    ),
    *(
        Difference(
            f"nn.functional.conv_transpose{n}d",
            lambda s, n=n: any(
                o >= st
                for o, st in zip(
                    _ntuple(s.kwargs.get("output_padding", 0), n),
                    _ntuple(s.kwargs.get("stride", 1), n),
                )
            ),
            "conv_transpose_output_padding",
        )
        for n in (2, 3)
    ),
    *(
        Difference(
            f"nn.functional.avg_pool{n}d",
            lambda s, n=n: (
                (len(s.args) > 5 and s.args[5] is not None)
                or s.kwargs.get("divisor_override") is not None
            ),
            "avg_pool_divisor_override",
        )
        for n in (2, 3)
    ),
    *(
        Difference(f"nn.functional.avg_pool{n}d", _ceil_overhang(n), "avg_pool_ceil_mode")
        for n in (1, 3)
    ),
    *(
        Difference(
            f"nn.functional.max_pool{n}d",
            lambda s, n=n: _ntuple(s.kwargs.get("dilation", 1), n) != (1,) * n,
            "max_pool_dilation",
        )
        for n in (2, 3)
    ),
    Difference("nn.functional.batch_norm", lambda s: s.input.ndim < 2, "batch_norm_rank1"),
    Difference(
        "nn.functional.batch_norm",
        lambda s: s.kwargs.get("training") and not 0 <= 1 - s.kwargs.get("momentum", 0.1) <= 1,
        "batch_norm_momentum",
    ),
    *(
        Difference(f"nn.functional.{op}", _kw("eps", lambda e: e < 0), "norm_negative_eps")
        for op in ("layer_norm", "group_norm")
    ),
    Difference(
        "nn.functional.local_response_norm",
        lambda s: _args_or_kw(0, "size")(s) % 2 == 0,
        "lrn_even_size",
    ),
    Difference(
        "nn.functional.normalize",
        _kw("p", lambda p: not float(p).is_integer() or p < 1),
        "normalize_order",
    ),
    Difference(
        "nn.functional.poisson_nll_loss", _kw("log_input", lambda v: not v), "poisson_log_input"
    ),
    *(Difference(op, _reduce_0d, "reduce_0d") for op in ("sum", "mean", "prod", "amax", "amin")),
    *(
        Difference(op, lambda s: s.input.ndim == 0, "reduce_0d")
        for op in ("max.reduction_with_dim", "min.reduction_with_dim")
    ),
    Difference(
        "clamp",
        lambda s: (
            len(s.args) == 2
            and all(isinstance(v, torch.Tensor) for v in s.args)
            and bool((s.args[0] > s.args[1]).any())
        ),
        "clamp_min_gt_max",
    ),
    Difference(
        "cat",
        lambda s: any(t.shape == (0,) for t in s.input) and len({t.ndim for t in s.input}) > 1,
        "cat_empty_1d",
    ),
    *(Difference(op, _squeeze_noop, "squeeze_noop") for op in ("squeeze", "squeeze.multiple")),
    Difference(
        "clamp",
        lambda s: any(isinstance(b, torch.Tensor) and not b.is_floating_point() for b in s.args),
        "clamp_int_bounds",
        dtypes=(torch.float32,),
    ),
    Difference("nn.functional.smooth_l1_loss", _kw("beta", lambda b: b == 0), "huber_delta"),
    Difference(
        "diagonal",
        lambda s: s.kwargs.get("offset", 0) != 0 or s.input.shape[-1] != s.input.shape[-2],
        "diagonal",
    ),
    Difference(
        "diag_embed",
        lambda s: (
            s.kwargs.get("offset", 0) != 0
            or (s.kwargs.get("dim1", -2), s.kwargs.get("dim2", -1)) not in ((-2, -1), (-1, -2))
        ),
        "diag_embed",
    ),
    *(
        Difference(f"nn.functional.pad.{m}", lambda s: min(s.args[0]) < 0, "pad_negative")
        for m in ("constant", "reflect", "replicate")
    ),
]


# ----------------------------------------------------------------------------------------------
# The comparison
# ----------------------------------------------------------------------------------------------


def _leaves(obj: Any, path: tuple) -> list[tuple[tuple, Any]]:
    if isinstance(obj, torch.Tensor):
        return [(path, obj)]
    if isinstance(obj, (list, tuple)):
        return [leaf for i, v in enumerate(obj) for leaf in _leaves(v, (*path, i))]
    if isinstance(obj, dict):
        return [leaf for k, v in obj.items() for leaf in _leaves(v, (*path, k))]
    return []


def _rebuild(obj: Any, path: tuple, fn: Callable) -> Any:
    if isinstance(obj, torch.Tensor):
        return fn(path, obj)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_rebuild(v, (*path, i), fn) for i, v in enumerate(obj))
    if isinstance(obj, dict):
        return {k: _rebuild(v, (*path, k), fn) for k, v in obj.items()}
    return obj


def _flat(y: Any) -> list:
    if isinstance(y, (list, tuple)):
        return [v for item in y for v in _flat(item)]
    return [y]


def _describe(s: Any) -> str:
    def d(v):
        if isinstance(v, torch.Tensor):
            return f"T{tuple(v.shape)}"
        if isinstance(v, (list, tuple)):
            return type(v)(d(i) for i in v)
        if isinstance(v, dict):
            return {k: d(i) for k, i in v.items()}
        return v

    return f"input={d(s.input)} args={d(s.args)} kwargs={d(s.kwargs)}"


def _samples(op: Any, dtype: Any) -> list:
    torch.manual_seed(0)
    samples = list(op.sample_inputs("cpu", dtype, requires_grad=False))
    if len(samples) > MAX_SAMPLES:
        keep = np.unique(np.linspace(0, len(samples) - 1, MAX_SAMPLES).round().astype(int))
        samples = [samples[i] for i in keep]
    return samples


def _close(what: str, got: Any, want: Any, rtol: float, atol: float) -> str | None:
    got = _np(got)
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else np.asarray(want)
    if got.shape != want.shape:
        return f"{what}: shape {got.shape} != PyTorch's {want.shape}"
    if got.dtype != want.dtype:
        return f"{what}: dtype {got.dtype} != PyTorch's {want.dtype}"
    if want.dtype.kind in "biu":
        ok = np.array_equal(got, want)
    else:
        ok = np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not ok:
        err = np.nanmax(np.abs(got.astype(np.float64) - want.astype(np.float64)), initial=0.0)
        return f"{what}: values differ (max abs error {err:.3g})"
    return None


def compare(adapter: Adapter, s: Any, dtype: Any, seed: int) -> str | None:
    """None when nnfunc agrees with PyTorch on sample ``s``; else what differs."""
    rtol, atol = TOL[dtype]
    leaves = _leaves(s.input, ("input",)) + _leaves(s.args, ("args",))
    leaves += _leaves(s.kwargs, ("kwargs",))
    diff_paths = {
        p
        for p, t in leaves
        if t.is_floating_point()
        and (adapter.diff is None or any(p[: len(q)] == q for q in adapter.diff))
    }

    def t_leaf(p, t):
        t = t.detach().clone()
        return t.requires_grad_(True) if p in diff_paths else t

    t_in = _rebuild(s.input, ("input",), t_leaf)
    t_args = _rebuild(s.args, ("args",), t_leaf)
    t_kwargs = _rebuild(s.kwargs, ("kwargs",), t_leaf)
    try:
        t_out = adapter.torch_out(OPS_BY_ADAPTER[id(adapter)](t_in, *t_args, **t_kwargs), s)
    except Exception as e:  # e.g. a differentiated input PyTorch cannot differentiate
        return f"PyTorch rejected the sample as run (see the adapter's diff): {e}"
    t_leaves = [t for _, t in _leaves(t_in, ("input",)) + _leaves(t_args, ("args",))]
    t_leaves += [t for _, t in _leaves(t_kwargs, ("kwargs",))]
    t_vars = [t for t in t_leaves if t.requires_grad]

    def n_leaf(p, t):
        a = t.detach().numpy().copy()
        return nf.Variable(a, requires_grad=True) if p in diff_paths else a

    n_in = _rebuild(s.input, ("input",), n_leaf)
    n_args = _rebuild(s.args, ("args",), n_leaf)
    n_kwargs = _rebuild(s.kwargs, ("kwargs",), n_leaf)
    n_leaves = [v for _, v in _leaves_nf(n_in) + _leaves_nf(n_args) + _leaves_nf(n_kwargs)]
    n_vars = [v for v in n_leaves if isinstance(v, nf.Variable)]
    try:
        n_out = adapter.call(n_in, *n_args, **n_kwargs)
    except nf.NNFuncError as e:
        return f"nnfunc raised {type(e).__name__}: {e}"
    t_flat, n_flat = _flat(t_out), _flat(n_out)
    if len(t_flat) != len(n_flat):
        return f"{len(n_flat)} outputs, PyTorch {len(t_flat)}"
    for i, (n_y, t_y) in enumerate(zip(n_flat, t_flat)):
        msg = _close(f"output {i}", n_y, t_y, rtol, atol)
        if msg:
            return msg
    # gradients of <gy, y> over the differentiable outputs
    pairs = [
        (n_y, t_y)
        for n_y, t_y in zip(n_flat, t_flat)
        if isinstance(t_y, torch.Tensor) and t_y.requires_grad
    ]
    if not pairs or not t_vars:
        return None
    rng = np.random.default_rng(seed)
    gys = [rng.standard_normal(t_y.shape).astype(t_y.detach().numpy().dtype) for _, t_y in pairs]
    t_grads = torch.autograd.grad(
        [t_y for _, t_y in pairs],
        t_vars,
        [torch.from_numpy(g) for g in gys],
        allow_unused=True,
    )
    connected = [(n_y, g) for (n_y, _), g in zip(pairs, gys) if isinstance(n_y, nf.Variable)]
    if connected:
        try:
            n_grads = nf.grad([y for y, _ in connected], n_vars, [g for _, g in connected])
        except nf.NNFuncError as e:
            return f"nnfunc backward raised {type(e).__name__}: {e}"
    else:
        n_grads = [np.zeros(v.shape, v.dtype) for v in n_vars]
    for i, (n_g, t_g, v) in enumerate(zip(n_grads, t_grads, n_vars)):
        want = torch.zeros(v.shape, dtype=dtype) if t_g is None else t_g
        msg = _close(f"gradient of differentiable input {i}", n_g, want, rtol, atol)
        if msg:
            return msg
    return None


def _leaves_nf(obj: Any) -> list[tuple[tuple, Any]]:
    if isinstance(obj, (nf.Variable, np.ndarray)):
        return [((), obj)]
    if isinstance(obj, (list, tuple)):
        return [leaf for v in obj for leaf in _leaves_nf(v)]
    if isinstance(obj, dict):
        return [leaf for v in obj.values() for leaf in _leaves_nf(v)]
    return []


OPS_BY_ADAPTER = {id(a): OPS[name] for name, a in ADAPTERS.items() if name in OPS}
CASES = [
    pytest.param(name, dtype, id=f"{name}-{str(dtype)[6:]}")
    for name, adapter in ADAPTERS.items()
    for dtype in adapter.dtypes
]


def _report(row: dict) -> None:
    path = os.environ.get("NNFUNC_OPINFO_REPORT")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(row) + "\n")


def test_every_adapter_names_an_opinfo_and_a_canonical_function():
    assert set(ADAPTERS) <= set(OPS), sorted(set(ADAPTERS) - set(OPS))
    assert all(hasattr(F, fn) for a in ADAPTERS.values() for fn in a.fns)
    assert len({fn for a in ADAPTERS.values() for fn in a.fns}) >= 60


@pytest.mark.parametrize("name, dtype", CASES)
def test_opinfo_samples(name, dtype):
    adapter, op = ADAPTERS[name], OPS[name]
    diffs = [d for d in DIFFERENCES if d.op == name and dtype in d.dtypes]
    failures, stale, used = [], [], set()
    counts = {"passed": 0, "explained": 0}
    for i, s in enumerate(_samples(op, dtype)):
        why = [d for d in diffs if d.when(s)]
        used.update(id(d) for d in why)
        result = compare(adapter, s, dtype, seed=i)
        if why:
            counts["explained"] += 1
            if result is None:
                stale.append(f"sample {i} ({_describe(s)}) agrees: {why[0].reason}")
        elif result is None:
            counts["passed"] += 1
        else:
            failures.append(f"sample {i} ({_describe(s)}): {result}")
    _report({"op": name, "dtype": str(dtype)[6:], "fns": adapter.fns, **counts})
    assert not failures, "\n".join(failures)
    assert not stale, "listed differences no longer differ:\n" + "\n".join(stale)
    unused = [d.reason for d in diffs if id(d) not in used]
    assert not unused, "listed differences match no sample:\n" + "\n".join(unused)


def test_every_difference_names_a_mapped_opinfo():
    assert {d.op for d in DIFFERENCES} <= set(ADAPTERS)


def test_every_documented_pytorch_difference_is_listed():
    """DOCUMENTED (the reasons, with their docstrings) and DIFFERENCES (the samples) agree."""
    listed = {d.why for d in DIFFERENCES}
    assert listed <= set(DOCUMENTED), sorted(listed - set(DOCUMENTED))
    want = {k for k, v in DOCUMENTED.items() if v.system == "PyTorch" and v.sample}
    assert listed == want, sorted(listed ^ want)
