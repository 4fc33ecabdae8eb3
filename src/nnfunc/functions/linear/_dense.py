"""Dense layers and bias addition: linear, relu_layer, bias_add."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.core.dtypes import real_dtype
from nnfunc.core.function import Function, node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ShapeError
from nnfunc.functions.math._exp_log_matmul import MatMulGrad
from nnfunc.kernels.cpu import _buffers

__all__ = ["bias_add", "linear", "relu_layer"]


class Linear(Function):
    """``x . W + b`` contracting the axes of ``x`` from ``base_axis`` on with the first of ``W``."""

    op_name = "linear"
    input_names = ("x", "weight", "bias")
    retain_in = (0, 1)

    def __init__(self, op: str = "linear", base_axis: Any = -1) -> None:
        self.op_name = op
        self.base_axis = base_axis

    def setup(self, x: Any, w: Any, b: Any = None) -> tuple[TensorSpec, ...]:
        op = self.op_name
        ndim = check.ndim_at_least(op, "x", x, 1)
        check.integer(op, "base_axis", self.base_axis)
        self.ba = check.axis(op, "base_axis", self.base_axis, ndim)
        check.ndim_at_least(op, "weight", w, 2)
        feat = tuple(x.shape[self.ba :])
        n_in, w_in = (None if None in feat else math.prod(feat)), w.shape[0]
        if n_in is not None and w_in is not None and n_in != w_in:
            if len(feat) == 1:
                req = "have as many rows (nIn) as `x` has features (its last axis)"
                extra = {}
            else:
                req = (
                    "have as many rows (nIn) as `x` has features (the product of its axes "
                    "from base_axis on)"
                )
                extra = {"base_axis": self.base_axis}
            raise ShapeError(
                check.message(
                    op,
                    "weight",
                    req,
                    **{"weight.shape": tuple(w.shape), "x.shape": tuple(x.shape)},
                    **extra,
                )
            )
        self.n_in = w_in if w_in is not None else n_in
        out = tuple(w.shape[1:])
        dtypes = [x.dtype, w.dtype]
        if b is not None:
            bs = tuple(b.shape)
            if len(bs) != len(out) or any(
                p is not None and q is not None and p != q for p, q in zip(bs, out, strict=True)
            ):
                raise ShapeError(
                    check.message(
                        op,
                        "bias",
                        "have the shape weight.shape[1:]",
                        **{"bias.shape": bs, "weight.shape": tuple(w.shape)},
                    )
                )
            dtypes.append(b.dtype)
        self.out_dtype = real_dtype(np.result_type(*dtypes))
        return (TensorSpec(tuple(x.shape[: self.ba]) + out, self.out_dtype),)

    def forward(self, xp: Any, x: Any, w: Any, b: Any = None) -> tuple[Any, ...]:
        dt = self.out_dtype
        n_out = math.prod(w.shape[1:])
        lead = x.shape[: self.ba]
        x2 = x.reshape(math.prod(lead), w.shape[0]).astype(dt, copy=False)
        w2 = w.reshape(w.shape[0], n_out).astype(dt, copy=False)
        if xp is np:  # a large output from the buffer pool (not freshly page-faulted)
            y = xp.matmul(x2, w2, out=_buffers.empty((x2.shape[0], n_out), dt))
        else:
            y = x2 @ w2
        if b is not None:
            y += b.reshape(n_out).astype(dt, copy=False)
        return (y.reshape(lead + w.shape[1:]),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        x, w = self.retained_inputs()
        (gy,) = grad_outputs
        ws = self.input_spec(1).shape
        n_in = self.n_in
        known = n_in is not None and None not in ws[1:]
        n_out = math.prod(ws[1:]) if known else None

        def matrix(v: Any, k: int, shape: tuple) -> Any:
            # v as (prod(v.shape[:k]), prod(v.shape[k:])): v itself when it is that matrix
            # (no node), one reshape when nIn and nOut are known now, else (graph mode) with
            # the sizes of the run, never a None in a shape
            if k == 1 and len(v.shape) == 2:
                return v
            return F.reshape(v, shape) if known else _Matrix(k).apply1(v)

        g2 = matrix(gy, self.ba, (-1, n_out))
        gx = gw = gb = None
        dt = self.out_dtype
        if (
            0 in target_indexes
            and 1 in target_indexes
            and self.input_spec(0).dtype == self.input_spec(1).dtype == dt
            and dt.kind == "f"
        ):
            # both products in one node (see MatMulGrad)
            x2 = matrix(x, self.ba, (-1, n_in))
            gx, gw = MatMulGrad().apply(x2, matrix(w, 1, (n_in, n_out)), g2)
            gx = self.reshape_to_input(gx, 0)
            gw = self.reshape_to_input(gw, 1)
            target_indexes = tuple(i for i in target_indexes if i not in (0, 1))
        if 0 in target_indexes:
            gx = F.matmul(g2, F.transpose(matrix(w, 1, (n_in, n_out))))
            gx = self.reshape_to_input(gx, 0)
            if self.input_spec(0).dtype != self.out_dtype:
                gx = F.cast(gx, self.input_spec(0).dtype)
        if 1 in target_indexes:
            x2 = matrix(x, self.ba, (-1, n_in))
            gw = self.reshape_to_input(F.matmul(F.transpose(x2), g2), 1)
            if self.input_spec(1).dtype != self.out_dtype:
                gw = F.cast(gw, self.input_spec(1).dtype)
        if 2 in target_indexes:
            lead = tuple(range(self.ba))
            gb = F.sum(gy, axis=lead) if lead else gy
            if self.input_spec(2).dtype != self.out_dtype:
                gb = F.cast(gb, self.input_spec(2).dtype)
        return (gx, gw, gb)


class _Matrix(Function):
    """``v`` viewed as the matrix ``(prod(v.shape[:k]), prod(v.shape[k:]))`` with the sizes of
    the run: :class:`Linear`'s backward in a graph whose nIn or nOut is unknown when it is built
    (a reshape would need a None, or several -1)."""

    op_name = "linear_grad"

    def __init__(self, k: int) -> None:
        self.k = k

    def setup(self, v: Any) -> tuple[TensorSpec, ...]:
        s = tuple(v.shape)
        rows, cols = s[: self.k], s[self.k :]
        shape = (
            None if None in rows else math.prod(rows),
            None if None in cols else math.prod(cols),
        )
        return (TensorSpec(shape, np.dtype(v.dtype)),)

    def forward(self, xp: Any, v: Any) -> tuple[Any, ...]:
        s = v.shape
        return (v.reshape(math.prod(s[: self.k]), math.prod(s[self.k :])),)  # not -1: empty v

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (self.reshape_to_input(grad_outputs[0], 0),)


def linear(
    x: Any, weight: Any, bias: Any = None, *, base_axis: int = -1, name: str | None = None
) -> Any:
    """Fully connected layer: ``x . weight + bias`` with ``weight`` laid out ``[nIn, nOut...]``.

    .. math::
        y_{\\ldots, o} = \\sum_i x_{\\ldots, i} W_{i, o} + b_o

    Args:
        x (array, Variable or SymbolicVariable): Input ``(..., nIn)``, rank >= 1; with
            ``base_axis``, ``(M_0, ..., M_{B-1}, D_B, ..., D_N)`` whose feature axes
            ``D_B ... D_N`` are flattened into ``nIn``.
        weight (array, Variable or SymbolicVariable): ``(nIn, L_0, ..., L_k)``: one or more
            output axes (NNabla's multi-dimensional outputs).
        bias (array, Variable or SymbolicVariable, optional): ``(L_0, ..., L_k)``.
        base_axis (int): First feature axis of ``x`` (NNabla's ``base_axis``). Default ``-1``:
            only the last axis.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as the inputs: ``x.shape[:base_axis] + weight.shape[1:]``, the result dtype
        of the inputs (integers give float32).

    Raises:
        ShapeError: ``weight``'s first axis differs from the number of features of ``x``
            (nIn), ``x`` is 0-d, ``weight`` has rank < 2, ``bias`` does not have the shape
            ``weight.shape[1:]``, or ``base_axis`` is out of range.
        ArgumentError: ``base_axis`` is not an integer.

    Notes:
        One GEMM on ``x`` viewed as ``(-1, nIn)`` (any number of unknown sample axes in graph
        mode). Weights are ``[in, out]`` as in SameDiff ``nn.linear(input, weights, bias)`` and
        ``nnabla.functions.affine(x, weight, bias, base_axis)`` (whose page writes the formula
        ``y = A x + b``; it computes ``x . A``), not PyTorch's ``[out, in]``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.array([[1.0, 2.0]], np.float32)
        >>> w = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], np.float32)
        >>> nf.linear(x, w, np.array([0.5, 0.5, 0.5], np.float32))
        array([[1.5, 2.5, 3.5]], dtype=float32)
        >>> nf.linear(np.ones((2, 2, 3)), np.ones((6, 4)), base_axis=1).shape
        (2, 4)
    """
    return Linear(base_axis=base_axis).apply1(x, weight, bias, name=name)


def relu_layer(x: Any, weight: Any, bias: Any = None, *, name: str | None = None) -> Any:
    """Dense layer followed by ReLU: ``relu(x . weight + bias)``.

    .. math::
        y = \\max(x W + b, 0)

    Args:
        x (array, Variable or SymbolicVariable): Input ``(..., nIn)``.
        weight (array, Variable or SymbolicVariable): ``(nIn, nOut...)``.
        bias (array, Variable or SymbolicVariable, optional): ``(nOut...)``.
        name (str, optional): Node name of the output in graph mode.

    Returns:
        Same kind as the inputs: ``x.shape[:-1] + weight.shape[1:]``.

    Raises:
        ShapeError: as :func:`linear` (messages name ``relu_layer``).

    Notes:
        ReLU gradient convention: 0 at 0. SameDiff ``nn.reluLayer(input, weights, bias)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.relu_layer(np.array([[1.0, -2.0]]), np.eye(2))
        array([[1., 0.]])
    """

    with node_errors(name, x, weight, bias):
        return F.relu(Linear("relu_layer").apply1(x, weight, bias), name=name)


class BiasAdd(Function):
    """``x + bias`` with a 1-D bias on the channel axis."""

    op_name = "bias_add"
    input_names = ("x", "bias")

    def __init__(self, channel_last: Any) -> None:
        self.channel_last = channel_last

    def setup(self, x: Any, b: Any) -> tuple[TensorSpec, ...]:
        op = self.op_name
        self.channel_last = check.boolean(op, "channel_last", self.channel_last)
        ndim = check.ndim_at_least(op, "x", x, 1)
        check.ndim(op, "bias", b, 1)
        check.same_dtype(op, ("x", "bias"), (x, b))
        self.ax = ndim - 1 if (self.channel_last or ndim == 1) else 1
        c, n = x.shape[self.ax], b.shape[0]
        if c is not None and n is not None and c != n:
            raise ShapeError(
                check.message(
                    op,
                    "bias",
                    f"have the size of the channel axis {self.ax} of `x`",
                    **{"bias.shape": tuple(b.shape), "x.shape": tuple(x.shape)},
                )
            )
        return (TensorSpec(tuple(x.shape), np.dtype(x.dtype)),)

    def forward(self, xp: Any, x: Any, b: Any) -> tuple[Any, ...]:
        shape = [1] * x.ndim
        shape[self.ax] = b.shape[0]
        return (x + b.reshape(shape),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        (gy,) = grad_outputs
        ndim = len(self.input_spec(0).shape)
        others = tuple(a for a in range(ndim) if a != self.ax)
        gb = None
        if 1 in target_indexes:
            gb = F.sum(gy, axis=others) if others else gy
        return (gy if 0 in target_indexes else None, gb)


def bias_add(x: Any, bias: Any, channel_last: bool = False, *, name: str | None = None) -> Any:
    """Add a 1-D bias along the channel axis.

    .. math::
        y_{n, c, \\ldots} = x_{n, c, \\ldots} + b_c

    Args:
        x (array, Variable or SymbolicVariable): Input of any rank >= 1.
        bias (array, Variable or SymbolicVariable): 1-D, as many entries as channels; the
            dtype of ``x``.
        channel_last (bool): Channels on the last axis (NHWC) instead of axis 1 (NCHW).
            Default ``False``. For a rank-1 input the only axis is the channel axis.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``x``: shape and dtype of ``x``.

    Raises:
        ShapeError: ``bias`` is not 1-D or its size differs from the channel axis.
        DTypeError: ``bias`` and ``x`` differ in dtype.
        ArgumentError: ``channel_last`` is not a bool.

    Notes:
        Gradient: ``gy`` for ``x``; ``gy`` summed over every axis but the channel one for
        ``bias``. For rank-2 inputs both layouts put channels on the last axis. Equivalent to
        ``tf.nn.bias_add(value, bias, data_format)`` (``"NHWC"``, the default, is
        ``channel_last=True``) and SameDiff ``nn.biasAdd(input, bias, nchw)``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.bias_add(np.zeros((1, 2, 2)), np.array([1.0, 2.0]))
        array([[[1., 1.],
                [2., 2.]]])
    """
    return BiasAdd(channel_last).apply1(x, bias, name=name)
