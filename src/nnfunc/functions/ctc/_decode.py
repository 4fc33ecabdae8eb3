"""CTC decoders: best path (greedy) and prefix beam search, with dense ``-1``-padded outputs.

One decoder core per strategy returns dense, left-aligned label sequences padded with ``-1``
plus their lengths and scores; :func:`ctc_decode` shapes them as Keras does and the TF dialect
turns them into SparseTensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check, shapes
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError
from nnfunc.functions.ctc._common import (
    as_tensor,
    batch_size,
    check_lengths,
    concrete,
    int_tensor,
    logits_dtype,
    resolve_blank,
)

__all__ = ["ctc_beam_search_decoder", "ctc_decode", "ctc_greedy_decoder"]

#: Upper bound of ``beam_width * num_classes`` (candidates of a step) and of the outputs' size.
_MAX_CANDIDATES = 1 << 26


class _Decoder(Function):
    """Shared checks of the decoders: logits (N, T, C) or (T, N, C) and lengths (N,)."""

    input_names = ("logits", "logit_length")

    def __init__(self, blank: int, time_major: bool, merge: bool) -> None:
        self.blank = blank
        self.time_major = time_major
        self.merge = merge
        self._checked = False

    def _setup(self, x: Any, lengths: Any) -> tuple[np.dtype, Any, Any]:
        dtype = logits_dtype(self.op_name, "logits", x)
        int_tensor(self.op_name, "logit_length", lengths, 1)
        n = batch_size(
            self.op_name,
            {"logits": (x, 1 if self.time_major else 0), "logit_length": (lengths, 0)},
        )
        resolve_blank(self.op_name, "blank_index", self.blank, x.shape[2])
        t = x.shape[0 if self.time_major else 1]
        if concrete(x) and concrete(lengths):
            check_lengths(
                self.op_name, "logit_length", lengths, t, "at most the number of time steps"
            )
            self._checked = True
        return dtype, n, t

    def _prepare(self, x: Any, lengths: Any) -> tuple[Any, Any, int]:
        t = x.shape[0 if self.time_major else 1]
        if not self._checked:
            check_lengths(
                self.op_name, "logit_length", lengths, t, "at most the number of time steps"
            )
        x = x.transpose(1, 0, 2) if self.time_major else x
        if x.dtype.kind != "f":
            x = x.astype(np.float32)
        return x, lengths.astype(np.int64), self.blank % x.shape[2]

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)  # decoding is not differentiable


def _compact(xp: Any, classes: Any, emit: Any) -> tuple[Any, Any]:
    """Left-align the emitted entries of each row, ``-1`` after them; and the counts."""
    order = xp.argsort(~emit, axis=1, kind="stable")
    out = xp.take_along_axis(xp.where(emit, classes, -1), order, axis=1)
    return out.astype(np.int64), emit.sum(axis=1).astype(np.int64)


class CTCGreedyDecoder(_Decoder):
    """Best path: the most likely class per step, repeats merged, blanks removed."""

    op_name = "ctc_greedy_decoder"

    def setup(self, x: Any, lengths: Any) -> tuple[TensorSpec, ...]:
        dtype, n, t = self._setup(x, lengths)
        i64 = np.dtype(np.int64)
        return (TensorSpec((n, t), i64), TensorSpec((n,), i64), TensorSpec((n, 1), dtype))

    def forward(self, xp: Any, x: Any, lengths: Any) -> tuple[Any, ...]:
        out_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
        x, lengths, blank = self._prepare(x, lengths)
        n, t_max, c = x.shape
        valid = xp.arange(t_max)[None, :] < lengths[:, None]
        if c and t_max:
            best = x.argmax(axis=2)  # ties: the lowest class, as TF's RowMax
            top = x.max(axis=2)
        else:
            best = xp.zeros((n, t_max), np.int64)
            top = xp.zeros((n, t_max), x.dtype)
        prev = xp.full((n, t_max), -1, np.int64)
        prev[:, 1:] = best[:, :-1]
        emit = valid & (best != blank)
        if self.merge:
            emit &= best != prev
        decoded, count = _compact(xp, best, emit)
        score = 0.0 - xp.where(valid, top, 0).sum(axis=1, keepdims=True)  # no -0.0
        return decoded, count, score.astype(out_dtype)


def _log_softmax(xp: Any, x: Any) -> Any:
    """Log-softmax of the last axis; a row of -inf gives -inf (probability 0), not NaN."""
    if x.shape[-1] == 0:
        return x
    m = x.max(axis=-1, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lse = xp.log(xp.exp(x - m).sum(axis=-1, keepdims=True)) + m
        return xp.where(lse == -np.inf, -np.inf, x - lse)


def _beam_search(lp: Any, blank: int, width: int, top: int) -> list[tuple[tuple[int, ...], float]]:
    """Prefix beam search over log-probabilities ``lp`` (T, C) of one sequence.

    Each beam is a distinct labelling (prefix) with the log-probabilities of its alignments so
    far that end in a blank (``pb``) or in its last label (``pnb``). A step extends every
    beam by the blank (same prefix), by its last label (same prefix, or a new copy after a
    blank) and by every other label; extensions that land on a prefix already in the beam
    merge into it. The ``width`` most probable prefixes survive (ties: the earlier candidate).
    Prefixes are nodes of a trie (parent, last label), so that extending one and finding its
    parent cost O(1). Returns up to ``top`` ``(labels, log-probability)`` pairs, best first.
    """
    c = lp.shape[1]
    labels = np.array([k for k in range(c) if k != blank], dtype=np.int64)
    column = np.full(c, -1, np.int64)
    column[labels] = np.arange(labels.size)
    parent = [-1]  # trie of prefixes: node 0 is the empty prefix
    last_of = [-1]
    child: dict[tuple[int, int], int] = {}
    ids = np.array([0])
    pb = np.array([0.0])
    pnb = np.array([-np.inf])
    for row in lp:
        total = np.logaddexp(pb, pnb)
        last = np.array([last_of[i] for i in ids.tolist()], dtype=np.int64)
        has = last >= 0
        new_pb = total + row[blank]
        new_pnb = np.where(has, pnb + row[np.where(has, last, 0)], -np.inf)
        # Extensions by every non-blank label: from pb only when it repeats the last label.
        base = np.where(labels[None, :] == last[:, None], pb[:, None], total[:, None])
        ext = base + row[labels][None, :]
        # An extension that is already a beam merges into that beam's pnb.
        where = {n: j for j, n in enumerate(ids.tolist())}
        src = np.array([where.get(parent[n], -1) for n in ids.tolist()], dtype=np.int64)
        hit = src >= 0
        if hit.any():
            rows, cols = src[hit], column[last[hit]]
            new_pnb[hit] = np.logaddexp(new_pnb[hit], ext[rows, cols])
            ext[rows, cols] = -np.inf
        scores = np.concatenate([np.logaddexp(new_pb, new_pnb), ext.ravel()])
        keep = min(width, scores.size)
        if keep < scores.size:
            pick = np.argpartition(-scores, keep - 1)[:keep]
        else:
            pick = np.arange(scores.size)
        pick = pick[np.lexsort((pick, -scores[pick]))]
        pick = pick[scores[pick] > -np.inf]
        if pick.size == 0:  # every prefix impossible (-inf logits): keep the empty one
            ids, pb, pnb = np.array([0]), np.array([-np.inf]), np.array([-np.inf])
            continue
        nb = ids.size
        old = pick < nb
        q = pick - nb
        i, k = np.divmod(np.where(old, 0, q), max(labels.size, 1))
        ext_val = ext[i, k] if labels.size else np.full(pick.size, -np.inf)
        new_ids = np.where(old, ids[np.where(old, pick, 0)], -1)
        for m in np.flatnonzero(~old).tolist():
            key = (int(ids[i[m]]), int(labels[k[m]]))
            node = child.get(key)
            if node is None:
                node = child[key] = len(parent)
                parent.append(key[0])
                last_of.append(key[1])
            new_ids[m] = node
        ids = new_ids
        pb = np.where(old, new_pb[np.where(old, pick, 0)], -np.inf)
        pnb = np.where(old, new_pnb[np.where(old, pick, 0)], ext_val)
    total = np.logaddexp(pb, pnb)
    order = np.lexsort((np.arange(total.size), -total))[:top]
    out = []
    for j in order.tolist():
        seq, n = [], int(ids[j])
        while n > 0:
            seq.append(last_of[n])
            n = parent[n]
        out.append((tuple(reversed(seq)), float(total[j])))
    return out


def _merge_output(labels: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(v for i, v in enumerate(labels) if i == 0 or v != labels[i - 1])


class CTCBeamSearchDecoder(_Decoder):
    """The ``top_paths`` most probable labellings found by prefix beam search."""

    op_name = "ctc_beam_search_decoder"

    def __init__(self, blank: int, time_major: bool, merge: bool, width: int, top: int) -> None:
        super().__init__(blank, time_major, merge)
        self.width = width
        self.top = top

    def setup(self, x: Any, lengths: Any) -> tuple[TensorSpec, ...]:
        dtype, n, t = self._setup(x, lengths)
        c = x.shape[2]
        if c is not None and self.width * c > _MAX_CANDIDATES:
            raise ArgumentError(
                check.message(
                    self.op_name,
                    "beam_width",
                    f"keep beam_width * num_classes at most {_MAX_CANDIDATES}",
                    beam_width=self.width,
                    num_classes=c,
                )
            )
        i64 = np.dtype(np.int64)
        p = self.top
        if n is not None and t is not None and p * n * max(t, 1) > _MAX_CANDIDATES:
            raise ArgumentError(
                check.message(
                    self.op_name,
                    "top_paths",
                    f"keep top_paths * batch * time at most {_MAX_CANDIDATES}",
                    top_paths=p,
                    batch=n,
                    time=t,
                )
            )
        return (
            TensorSpec((p, n, t), i64),
            TensorSpec((p, n), i64),
            TensorSpec((n, p), dtype),
        )

    def forward(self, xp: Any, x: Any, lengths: Any) -> tuple[Any, ...]:
        out_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
        x, lengths, blank = self._prepare(x, lengths)
        n, t_max, _ = x.shape
        p = self.top
        decoded = np.full((p, n, t_max), -1, np.int64)
        count = np.zeros((p, n), np.int64)
        score = np.full((n, p), -np.inf)
        lp = _log_softmax(np, np.asarray(x, dtype=np.float64))
        for b in range(n):
            with np.errstate(invalid="ignore"):  # NaN logits: NaN scores, never kept
                paths = _beam_search(lp[b, : lengths[b]], blank, self.width, p)
            for j, (labels, s) in enumerate(paths):
                if self.merge:
                    labels = _merge_output(labels)
                decoded[j, b, : len(labels)] = labels
                count[j, b] = len(labels)
                score[b, j] = s
        return (
            xp.asarray(decoded),
            xp.asarray(count),
            xp.asarray(score.astype(out_dtype)),
        )


def _decoder_options(op: str, blank_index: Any, time_major: Any, merge: Any) -> tuple:
    return (
        check.integer(op, "blank_index", blank_index),
        check.boolean(op, "logits_time_major", time_major),
        check.boolean(op, "merge_repeated", merge),
    )


def ctc_greedy_decoder(
    logits: Any,
    logit_length: Any,
    *,
    merge_repeated: bool = True,
    blank_index: int = 0,
    logits_time_major: bool = False,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Best-path CTC decoding: the most likely class at each step, merged and without blanks.

    .. math::
        \\hat\\pi_t = \\arg\\max_c x_{t,c}, \\quad \\hat l = \\mathcal{B}(\\hat\\pi),
        \\quad s = -\\sum_{t < T_b} \\max_c x_{t,c}

    Args:
        logits (array, Variable or SymbolicVariable): Scores ``(N, T, C)`` (``(T, N, C)``
            with ``logits_time_major``); argmax needs no softmax.
        logit_length (array, Variable or SymbolicVariable): Integer ``(N,)`` in ``[0, T]``.
        merge_repeated (bool): Emit a class once when it is the argmax at consecutive steps
            (a blank between two steps separates them). Default ``True``.
        blank_index (int): The blank class in ``[-C, C)``, never emitted. Default ``0``.
        logits_time_major (bool): ``logits`` is ``(T, N, C)``. Default ``False``.
        name (str, optional): Node name in graph mode; the outputs are ``name:0..2``.

    Returns:
        ``(decoded, decoded_length, score)``: int64 ``(N, T)`` label sequences left-aligned
        and padded with ``-1``; int64 ``(N,)`` their lengths; ``(N, 1)`` minus the sum of the
        per-step maxima of ``logits`` (TF's and Keras's greedy "log probability"; the
        log-probability of the best path when ``logits`` are log-probabilities), in the
        floating dtype of ``logits``.

    Raises:
        ShapeError: ``logits`` is not 3-D, ``logit_length`` not 1-D, the batch sizes differ,
            or ``C`` is 0.
        DTypeError: non-integer lengths or non-real logits.
        ArgumentError: ``blank_index`` is outside ``[-C, C)``, a length outside ``[0, T]``.

    Notes:
        Not differentiable (no gradient flows to ``logits``). Ties go to the lowest class.
        Equivalents: ``tf.nn.ctc_greedy_decoder(inputs, sequence_length, merge_repeated)``
        (blank ``C - 1``, time-major, SparseTensor output) and
        ``keras.ops.ctc_decode(..., strategy="greedy")`` (batch-major, blank ``mask_index``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> steps = [0, 1, 1, 2, 1, 2, 1]  # 'A B B * B * B' with A=0, B=1, blank=2
        >>> x = np.eye(3)[steps][None]  # (1, 7, 3)
        >>> d, n, s = nf.ctc_greedy_decoder(x, np.array([7]), blank_index=2)
        >>> d[0, : n[0]], s
        (array([0, 1, 1, 1]), array([[-7.]]))
    """
    op = "ctc_greedy_decoder"
    with shapes.node_errors(name, logits, logit_length):
        blank, tm, merge = _decoder_options(op, blank_index, logits_time_major, merge_repeated)
    return CTCGreedyDecoder(blank, tm, merge).apply(
        as_tensor(logits), as_tensor(logit_length), name=name
    )


def ctc_beam_search_decoder(
    logits: Any,
    logit_length: Any,
    *,
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = False,
    blank_index: int = 0,
    logits_time_major: bool = False,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """CTC prefix beam search: the ``top_paths`` most probable labellings found.

    .. math::
        p(l \\mid x) = \\sum_{\\pi \\in \\mathcal{B}^{-1}(l)} \\prod_t
        \\mathrm{softmax}(x_t)_{\\pi_t}

    Each beam is a labelling with the log-probabilities (log space throughout) of its
    alignments ending in a blank or in its last label; a step extends every beam by the
    blank, its last label and every other label, merges extensions that meet, and keeps the
    ``beam_width`` most probable labellings. With a beam at least as wide as the number of
    labellings the result is exact (the most probable labellings and their probabilities).

    Args:
        logits (array, Variable or SymbolicVariable): Unnormalised scores ``(N, T, C)``
            (``(T, N, C)`` with ``logits_time_major``); softmax is applied here.
        logit_length (array, Variable or SymbolicVariable): Integer ``(N,)`` in ``[0, T]``.
        beam_width (int): Labellings kept per step, ``>= 1``. Default ``100``.
        top_paths (int): Labellings returned, in ``[1, beam_width]``. Default ``1``.
        merge_repeated (bool): TF 1's output option: merge consecutive equal labels of each
            returned labelling (its score is unchanged). Default ``False``.
        blank_index (int): The blank class in ``[-C, C)``. Default ``0``.
        logits_time_major (bool): ``logits`` is ``(T, N, C)``. Default ``False``.
        name (str, optional): Node name in graph mode; the outputs are ``name:0..2``.

    Returns:
        ``(decoded, decoded_length, log_probability)``: int64 ``(top_paths, N, T)`` label
        sequences padded with ``-1``; int64 ``(top_paths, N)`` their lengths; ``(N,
        top_paths)`` their log-probabilities, best first (``-inf`` where fewer labellings
        exist), in the floating dtype of ``logits``.

    Raises:
        ShapeError: as :func:`ctc_greedy_decoder`.
        DTypeError: as :func:`ctc_greedy_decoder`.
        ArgumentError: ``beam_width < 1``, ``top_paths`` outside ``[1, beam_width]``,
            ``beam_width * C`` above ``2**26``, a bad blank or length.

    Notes:
        Not differentiable. The search runs on the CPU in float64 (a NumPy step over the
        beams and classes, a Python loop over time). Equivalents:
        ``tf.nn.ctc_beam_search_decoder(inputs, sequence_length, beam_width, top_paths,
        merge_repeated)`` (blank ``C - 1``, time-major, SparseTensors) and
        ``keras.ops.ctc_decode(..., strategy="beam_search")``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.log(np.array([[[0.4, 0.6], [0.4, 0.6]]]))  # blank 0, one class
        >>> d, n, lp = nf.ctc_beam_search_decoder(x, np.array([2]), top_paths=2)
        >>> d[:, 0], np.exp(lp).round(2)  # '1': 0.36 + 0.24 + 0.24; '': 0.16
        (array([[ 1, -1],
               [-1, -1]]), array([[0.84, 0.16]]))
    """
    op = "ctc_beam_search_decoder"
    with shapes.node_errors(name, logits, logit_length):
        blank, tm, merge = _decoder_options(op, blank_index, logits_time_major, merge_repeated)
        width = check.integer(op, "beam_width", beam_width, min_value=1)
        top = check.integer(op, "top_paths", top_paths, min_value=1)
        if top > width:
            raise ArgumentError(
                check.message(
                    op, "top_paths", "be at most beam_width", top_paths=top, beam_width=width
                )
            )
    fn = CTCBeamSearchDecoder(blank, tm, merge, width, top)
    return fn.apply(as_tensor(logits), as_tensor(logit_length), name=name)


def ctc_decode(
    logits: Any,
    logit_length: Any,
    *,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    blank_index: int = 0,
    logits_time_major: bool = False,
    name: str | None = None,
) -> tuple[Any, Any]:
    """CTC decoding to dense ``-1``-padded sequences and scores, shaped as Keras returns them.

    Args:
        logits (array, Variable or SymbolicVariable): Unnormalised scores ``(N, T, C)``
            (``(T, N, C)`` with ``logits_time_major``).
        logit_length (array, Variable or SymbolicVariable): Integer ``(N,)`` in ``[0, T]``.
        strategy (str): ``"greedy"`` (:func:`ctc_greedy_decoder`) or ``"beam_search"``
            (:func:`ctc_beam_search_decoder`). Default ``"greedy"``.
        beam_width (int): Beam search only, ``>= 1``. Default ``100``.
        top_paths (int): Beam search only, in ``[1, beam_width]``. Default ``1``.
        merge_repeated (bool): Greedy only: merge a class repeated at consecutive steps
            (beam search labellings are CTC-collapsed already; Keras ignores the flag there).
            Default ``True``.
        blank_index (int): The blank class in ``[-C, C)``. Default ``0``.
        logits_time_major (bool): ``logits`` is ``(T, N, C)``. Default ``False``.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(decoded, scores)``: int64 ``(1, N, T)`` (greedy) or ``(top_paths, N, T)`` label
        sequences left-aligned and padded with ``-1``; greedy: ``(N, 1)`` minus the sum of
        the per-step maximum logits; beam search: ``(N, top_paths)`` log-probabilities.

    Raises:
        ArgumentError: ``strategy`` is neither; and as the decoder chosen.

    Notes:
        Not differentiable. Equivalent to ``keras.ops.ctc_decode`` (with ``mask_index`` =
        ``blank_index``).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> x = np.log(np.array([[[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]]))
        >>> decoded, scores = nf.ctc_decode(x, np.array([3]))
        >>> decoded
        array([[[ 1,  1, -1]]])
    """
    op = "ctc_decode"
    with shapes.node_errors(name, logits, logit_length):
        strategy = check.choice(op, "strategy", strategy, ("greedy", "beam_search"))
    if strategy == "greedy":
        decoded, _, score = ctc_greedy_decoder(
            logits,
            logit_length,
            merge_repeated=merge_repeated,
            blank_index=blank_index,
            logits_time_major=logits_time_major,
            name=name,
        )
        return F.expand_dims(decoded, 0), score
    decoded, _, score = ctc_beam_search_decoder(
        logits,
        logit_length,
        beam_width=beam_width,
        top_paths=top_paths,
        blank_index=blank_index,
        logits_time_major=logits_time_major,
        name=name,
    )
    return decoded, score
