"""CTC loss: one Function whose gradient is one fused pass from alpha and beta.

``CTCLoss`` runs the log-space forward recursion (:mod:`nnfunc.kernels.cpu.ctc`) and keeps what
it computed (``alpha``, the log-sum-exp of each logits row, the losses) for its gradient
Function ``_CTCLossGrad``, which turns them, with the backward variables of one step at a time,
into ``gy * (softmax - posterior)``. That Function's own backward is ``_CTCLossHVP``: the
Hessian-vector product from forward and backward sweeps of conditional expectations (exact
second order, in float64), whose backward stops there (third order is unsupported).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from nnfunc.core import check, shapes
from nnfunc.core.backend import get_array_module
from nnfunc.core.dtypes import accumulation_dtype
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, UnsupportedError
from nnfunc.functions.ctc._common import (
    as_tensor,
    batch_size,
    check_lengths,
    concrete,
    int_tensor,
    logits_dtype,
    resolve_blank,
)
from nnfunc.kernels.cpu.ctc import ctc_forward, ctc_grad, ctc_hvp_numpy, extend_labels, release

__all__ = ["ctc_loss"]

_OP = "ctc_loss"


def collapse_repeated(xp: Any, labels: Any, lengths: Any) -> tuple[Any, Any]:
    """Labels with runs of one class merged (TF's ``preprocess_collapse_repeated``)."""
    m = labels.shape[1]
    if m == 0:
        return labels, lengths
    keep = xp.arange(m)[None, :] < lengths[:, None]
    keep[:, 1:] &= labels[:, 1:] != labels[:, :-1]
    order = xp.argsort(~keep, axis=1, kind="stable")
    return xp.take_along_axis(labels, order, axis=1), keep.sum(axis=1)


class _Options:
    """The loss options shared by the loss Function and its gradient Functions."""

    def __init__(self, blank: int, time_major: bool, collapse: bool, merge: bool) -> None:
        self.blank = blank
        self.time_major = time_major
        self.collapse = collapse
        self.merge = merge

    def batch_major(self, x: Any) -> Any:
        """Logits as (N, T, C) (a view)."""
        return x.transpose(1, 0, 2) if self.time_major else x

    def prepare(self, labels: Any, logits: Any, ll: Any, il: Any) -> tuple[Any, ...]:
        """``(x, ext, ext_len, in_len, blank)``: the kernels' arguments."""
        xp = get_array_module(logits)
        x = self.batch_major(logits)
        blank = self.blank % x.shape[2]
        labels = labels.astype(np.int64, copy=False)
        ll = ll.astype(np.int64, copy=False)
        if self.collapse:
            labels, ll = collapse_repeated(xp, labels, ll)
        ext, ext_len = extend_labels(xp, labels, ll, blank)
        return x, ext, ext_len, il.astype(np.int64, copy=False), blank


def _check_values(labels: Any, logits: Any, ll: Any, il: Any, blank: int, time_major: bool) -> None:
    """Value checks of concrete inputs (eager in ``setup``, graph mode in ``forward``)."""
    t_max = logits.shape[0 if time_major else 1]
    c = logits.shape[2]
    blank %= c
    check_lengths(_OP, "label_length", ll, labels.shape[1], "at most the label tensor's width")
    check_lengths(_OP, "logit_length", il, t_max, "at most the number of time steps")
    if labels.size == 0:
        return
    xp = get_array_module(labels)
    used = xp.arange(labels.shape[1])[None, :] < ll[:, None]
    bad = used & ((labels < 0) | (labels >= c) | (labels == blank))
    if bool(bad.any()):
        b, i = (int(v) for v in xp.argwhere(bad)[0].tolist())
        raise ArgumentError(
            check.message(
                _OP,
                "labels",
                f"hold class indices in [0, {c}) other than the blank index {blank}",
                **{f"labels[{b}, {i}]": int(labels[b, i])},
            )
        )


def _setup(fn: Any, labels: Any, logits: Any, ll: Any, il: Any) -> tuple[np.dtype, Any]:
    """Shape and dtype checks shared by the three Functions; ``(dtype, batch)``."""
    int_tensor(_OP, "labels", labels, 2)
    dtype = logits_dtype(_OP, "logits", logits)
    int_tensor(_OP, "label_length", ll, 1)
    int_tensor(_OP, "logit_length", il, 1)
    n = batch_size(
        _OP,
        {
            "labels": (labels, 0),
            "logits": (logits, 1 if fn.opts.time_major else 0),
            "label_length": (ll, 0),
            "logit_length": (il, 0),
        },
    )
    resolve_blank(_OP, "blank_index", fn.opts.blank, logits.shape[2])
    return dtype, n


class CTCLoss(Function):
    """Negative log-likelihood of each label sequence under CTC (see :func:`ctc_loss`)."""

    op_name = _OP
    input_names = ("labels", "logits", "label_length", "logit_length")
    retain_in = (0, 1, 2, 3)
    _cache: Any = None

    def __init__(self, opts: _Options, zero_infinity: bool) -> None:
        self.opts = opts
        self.zero_infinity = zero_infinity
        self._checked = False

    def _free(self) -> None:
        super()._free()
        self._drop_cache()

    def _drop_cache(self) -> None:
        cache, self._cache = self._cache, None
        if cache is not None:
            release(cache[1])

    def __del__(self) -> None:
        # Array calls drop the Function right after forward: its alpha buffer goes back to
        # the kernels' pool for the next call (at interpreter exit the pool may be gone).
        with contextlib.suppress(Exception):
            self._drop_cache()

    def setup(self, labels: Any, logits: Any, ll: Any, il: Any) -> tuple[TensorSpec, ...]:
        self.out_dtype, n = _setup(self, labels, logits, ll, il)
        if all(concrete(a) for a in (labels, logits, ll, il)):
            _check_values(labels, logits, ll, il, self.opts.blank, self.opts.time_major)
            self._checked = True
        return (TensorSpec((n,), self.out_dtype),)

    def forward(self, xp: Any, labels: Any, logits: Any, ll: Any, il: Any) -> tuple[Any, ...]:
        if not self._checked:
            _check_values(labels, logits, ll, il, self.opts.blank, self.opts.time_major)
        work = accumulation_dtype(self.out_dtype)
        logits = logits.astype(work, copy=False)
        x, ext, ext_len, in_len, blank = self.opts.prepare(labels, logits, ll, il)
        nll, alpha, lse = ctc_forward(x, ext, ext_len, in_len, blank, self.opts.merge)
        self._drop_cache()
        if getattr(self, "_symbolic", False):
            release(alpha)  # a graph's gradient node recomputes it: keep nothing per node
        else:
            self._cache = (logits, alpha, lse, nll)
        loss = nll
        if self.zero_infinity:
            loss = xp.where(xp.isinf(nll), 0, nll)
        return (loss.astype(self.out_dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        labels, logits, ll, il = self.retained_inputs()
        gx = None
        if 1 in target_indexes:
            cache, self._cache = self._cache, None
            gx = _CTCLossGrad(self.opts, cache).apply1(labels, logits, ll, il, grad_outputs[0])
        return (None, gx, None, None)


class _CTCLossGrad(Function):
    """``gy * (softmax(x) - posterior)`` (zero past each length and without an alignment)."""

    op_name = "ctc_loss_grad"
    input_names = ("labels", "logits", "label_length", "logit_length", "gy")
    retain_in = (0, 1, 2, 3, 4)

    def __init__(self, opts: _Options, cache: Any) -> None:
        self.opts = opts
        self.cache = cache

    def setup(self, labels: Any, logits: Any, ll: Any, il: Any, gy: Any) -> tuple[TensorSpec, ...]:
        dtype, _ = _setup(self, labels, logits, ll, il)
        return (TensorSpec(tuple(logits.shape), dtype),)

    def forward(
        self, xp: Any, labels: Any, logits: Any, ll: Any, il: Any, gy: Any
    ) -> tuple[Any, ...]:
        dtype = logits.dtype if logits.dtype.kind == "f" else np.dtype(np.float32)
        work = accumulation_dtype(dtype)
        cache, self.cache = self.cache, None
        logits_w = logits.astype(work, copy=False)
        x, ext, ext_len, in_len, blank = self.opts.prepare(labels, logits_w, ll, il)
        if cache is not None and cache[0].shape == logits_w.shape and cache[1].dtype == work:
            _, alpha, lse, nll = cache
        else:
            nll, alpha, lse = ctc_forward(x, ext, ext_len, in_len, blank, self.opts.merge)
        out = xp.empty(logits.shape, work)
        ctc_grad(
            x,
            ext,
            ext_len,
            in_len,
            blank,
            self.opts.merge,
            alpha,
            lse,
            nll,
            gy.astype(work, copy=False),
            out=self.opts.batch_major(out),
        )
        release(alpha)
        return (out.astype(dtype, copy=False),)

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        labels, logits, ll, il, gy = self.retained_inputs()
        hv, gv = _CTCLossHVP(self.opts).apply(labels, logits, ll, il, gy, grad_outputs[0])
        return (
            None,
            hv if 1 in target_indexes else None,
            None,
            None,
            gv if 4 in target_indexes else None,
        )


class _CTCLossHVP(Function):
    """Second-order terms: ``(d<v, G>/dx, d<v, G>/dgy)`` for the gradient ``G`` and ``v``."""

    op_name = "ctc_loss_hvp"
    input_names = ("labels", "logits", "label_length", "logit_length", "gy", "v")

    def __init__(self, opts: _Options) -> None:
        self.opts = opts

    def setup(
        self, labels: Any, logits: Any, ll: Any, il: Any, gy: Any, v: Any
    ) -> tuple[TensorSpec, ...]:
        dtype, n = _setup(self, labels, logits, ll, il)
        return (TensorSpec(tuple(logits.shape), dtype), TensorSpec((n,), dtype))

    def forward(
        self, xp: Any, labels: Any, logits: Any, ll: Any, il: Any, gy: Any, v: Any
    ) -> tuple[Any, ...]:
        dtype = logits.dtype if logits.dtype.kind == "f" else np.dtype(np.float32)
        x, ext, ext_len, in_len, blank = self.opts.prepare(labels, logits, ll, il)
        hv, gv = ctc_hvp_numpy(
            x, ext, ext_len, in_len, blank, self.opts.merge, gy, self.opts.batch_major(v)
        )
        if self.opts.time_major:
            hv = hv.transpose(1, 0, 2)
        return (xp.ascontiguousarray(hv).astype(dtype), gv.astype(dtype))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        raise UnsupportedError(
            "ctc_loss: derivatives of order three and above are not implemented."
        )


def ctc_loss(
    labels: Any,
    logits: Any,
    label_length: Any,
    logit_length: Any,
    *,
    blank_index: int = 0,
    logits_time_major: bool = False,
    preprocess_collapse_repeated: bool = False,
    ctc_merge_repeated: bool = True,
    zero_infinity: bool = False,
    name: str | None = None,
) -> Any:
    """Connectionist temporal classification loss: ``-log p(labels | logits)`` per sequence.

    .. math::
        \\ell_b = -\\log \\sum_{\\pi \\in \\mathcal{B}^{-1}(l_b)}
        \\prod_{t < T_b} \\mathrm{softmax}(x_{b,t})_{\\pi_t}

    where :math:`\\mathcal{B}` removes repeated classes, then blanks, from an alignment
    :math:`\\pi` of length :math:`T_b` = ``logit_length[b]`` (Graves et al., 2006). Computed in
    log space by the alpha recursion over the extended label ``blank, l1, blank, ..., blank``;
    exact for any label length (the empty label is the all-blank path) and for repeated
    labels, which need a blank between them.

    Args:
        labels (array, Variable or SymbolicVariable): Integer labels ``(N, L)``, padded:
            only ``labels[b, :label_length[b]]`` is read. Classes in ``[0, C)``, never the
            blank.
        logits (array, Variable or SymbolicVariable): Unnormalised scores ``(N, T, C)``
            (``(T, N, C)`` with ``logits_time_major``); softmax is applied here. Integers
            give float32.
        label_length (array, Variable or SymbolicVariable): Integer ``(N,)``, each in
            ``[0, L]``.
        logit_length (array, Variable or SymbolicVariable): Integer ``(N,)``, each in
            ``[0, T]``; steps past it are ignored (their gradient is 0).
        blank_index (int): The blank class, in ``[-C, C)``: ``0`` (Keras ``mask_index``,
            PyTorch) or ``-1`` = ``C - 1`` (TensorFlow). Default ``0``.
        logits_time_major (bool): ``logits`` is ``(T, N, C)``. Default ``False``.
        preprocess_collapse_repeated (bool): Merge runs of one class in the labels first
            (TF). Default ``False``.
        ctc_merge_repeated (bool): ``False``: an alignment never stays on a label (each
            label takes one step, repeats are separate labels: TF's simplified CTC).
            Default ``True``.
        zero_infinity (bool): Give ``0`` instead of ``+inf`` to a sequence that no alignment
            fits (TF ``ignore_longer_outputs_than_inputs``, PyTorch ``zero_infinity``).
            Default ``False``.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        Same kind as ``logits``: the losses ``(N,)``, in the floating dtype of ``logits``.

    Raises:
        ShapeError: a rank is wrong, the batch sizes differ, or ``C`` is 0.
        DTypeError: labels or lengths are not integers, or ``logits`` is not real.
        ArgumentError: ``blank_index`` is outside ``[-C, C)``; a used label is outside
            ``[0, C)`` or is the blank (the message names the first and its position); a
            length is negative or longer than its tensor (checked in eager mode and when a
            graph runs).

    Notes:
        Infeasible sequences (``T_b`` smaller than the label length plus its adjacent
        repeats) give ``+inf`` (never a silent 0, unless ``zero_infinity``); their gradient
        is 0 either way (the loss does not depend on the logits). Gradient with respect to
        the logits: ``softmax(x) - posterior``, the posterior of each class at each step
        computed in one pass from alpha and beta, never by differentiating the recursion;
        labels and lengths get none. Second order is exact (a forward-mode sweep of the
        recursions, in float64); third order raises UnsupportedError. float32 runs a numba
        kernel (batch split over threads), other dtypes and CuPy a NumPy kernel vectorised
        over batch and extended label. Equivalents: ``keras.ops.ctc_loss(target, output,
        target_length, output_length, mask_index)``, ``tf.nn.ctc_loss(inputs, labels,
        sequence_length, ...)`` (blank ``C - 1``, time-major, sparse labels),
        ``torch.nn.functional.ctc_loss`` (log-probabilities in); NNabla and SameDiff
        document none.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> logits = np.zeros((1, 2, 3))  # uniform over blank and two classes
        >>> nf.ctc_loss(np.array([[1]]), logits, np.array([1]), np.array([2]))  # 3 paths of 9
        array([1.09861229])
        >>> nf.ctc_loss(np.array([[1, 1]]), logits, np.array([2]), np.array([2]))  # needs 3
        array([inf])
    """
    op = _OP
    with shapes.node_errors(name, labels, logits, label_length, logit_length):
        opts = _Options(
            check.integer(op, "blank_index", blank_index),
            check.boolean(op, "logits_time_major", logits_time_major),
            check.boolean(op, "preprocess_collapse_repeated", preprocess_collapse_repeated),
            check.boolean(op, "ctc_merge_repeated", ctc_merge_repeated),
        )
        fn = CTCLoss(opts, check.boolean(op, "zero_infinity", zero_infinity))
    return fn.apply1(
        as_tensor(labels),
        as_tensor(logits),
        as_tensor(label_length),
        as_tensor(logit_length),
        name=name,
    )
