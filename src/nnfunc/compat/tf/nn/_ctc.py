"""tf.nn Connectionist Temporal Classification (TensorFlow 1.x signatures and semantics).

TensorFlow's CTC is time-major (``ctc_loss`` also accepts batch-major with
``time_major=False``), reserves the LAST class (``num_classes - 1``) for the blank, takes the
labels of ``ctc_loss`` as a :class:`~nnfunc.compat.tf.SparseTensor` and returns the decoders'
labellings as SparseTensors. A SparseTensor is plain data, so the decoders run on values
(arrays or Variables), not on the symbolic variables of a Graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._docs import shares_args
from nnfunc.compat.tf._sparse import SparseTensor
from nnfunc.core import check
from nnfunc.errors import DTypeError, UnsupportedError
from nnfunc.functions.ctc._common import as_tensor

__all__ = ["ctc_beam_search_decoder", "ctc_greedy_decoder", "ctc_loss"]


def _labels_dense(op: str, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(dense (N, L), lengths (N,))`` of CTC labels given as a SparseTensor.

    The labels of sequence ``b`` are the values whose index starts with ``b``, in the order
    of their second index; they are left-aligned (TF requires them to be so already).
    """
    if not isinstance(labels, SparseTensor):
        raise DTypeError(check.message(op, "labels", "be a SparseTensor", labels=type(labels)))
    if labels.indices.shape[1] != 2:
        raise DTypeError(
            check.message(
                op, "labels", "be a 2-D SparseTensor", **{"labels.dense_shape": labels.dense_shape}
            )
        )
    n = int(labels.dense_shape[0])
    b, t = labels.indices[:, 0], labels.indices[:, 1]
    order = np.lexsort((t, b))
    b = b[order]
    counts = np.bincount(b, minlength=n).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]]) if n else counts
    pos = np.arange(b.size) - start[b]
    dense = np.zeros((n, int(counts.max()) if n and b.size else 0), np.int64)
    values = labels.values[order]
    if values.dtype.kind not in "iu":
        raise DTypeError(
            check.message(op, "labels", "hold integer values", **{"labels.dtype": values.dtype})
        )
    dense[b, pos] = values
    return dense, counts


def _sparse(decoded: np.ndarray, lengths: np.ndarray) -> SparseTensor:
    """The SparseTensor of left-aligned labellings ``(N, T)`` with their lengths ``(N,)``."""
    width = int(lengths.max()) if lengths.size else 0
    mask = np.arange(decoded.shape[1])[None, :] < lengths[:, None]
    idx = np.argwhere(mask)
    return SparseTensor(idx, decoded[mask], [decoded.shape[0], width])


def _values(op: str, x: Any) -> Any:
    """The data of an array or Variable; symbolic inputs cannot give a SparseTensor."""
    if getattr(x, "_is_symbolic", False):
        raise UnsupportedError(
            f"{op}: returns SparseTensors of values, so it runs eagerly only; received a "
            "symbolic input (use nnfunc.ctc_greedy_decoder / ctc_beam_search_decoder, which "
            "return dense -1-padded tensors, in a Graph)."
        )
    return as_tensor(x)


def _data(x: Any) -> np.ndarray:
    return np.asarray(getattr(x, "data", x))


def ctc_loss(
    inputs: Any,
    labels: SparseTensor,
    sequence_length: Any,
    preprocess_collapse_repeated: bool = False,
    ctc_merge_repeated: bool = True,
    time_major: bool = True,
    *,
    ignore_longer_outputs_than_inputs: bool = False,
    name: str | None = None,
) -> Any:
    """Computes the CTC (Connectionist Temporal Classification) Loss. See :func:`nnfunc.ctc_loss`.

    Args:
        inputs: Logits ``[max_time, batch_size, num_classes]`` (``[batch_size, max_time,
            num_classes]`` with ``time_major=False``); softmax is applied here. The blank is
            the last class, ``num_classes - 1``.
        labels: An integer :class:`~nnfunc.compat.tf.SparseTensor`; ``labels.indices[i] ==
            [b, t]`` means ``labels.values[i]`` is the ``t``-th label of sequence ``b``,
            in ``[0, num_labels)``.
        sequence_length: ``[batch_size]`` lengths, each ``<= max_time``.
        preprocess_collapse_repeated (bool): Merge repeated labels first. Default False.
        ctc_merge_repeated (bool): False: repeated non-blank labels are not merged in the
            alignments (each label takes one step). Default True.
        time_major (bool): The layout of ``inputs``. Default True.
        ignore_longer_outputs_than_inputs (bool): (``tf.compat.v1`` keyword, not on the
            page) give a sequence that no alignment fits a loss of 0 and gradient 0.
            Default False: such a sequence gives ``+inf`` (TensorFlow raises an error).
        name (str, optional): Node name in graph mode.

    Returns:
        A 1-D tensor ``[batch]`` of negative log probabilities.

    Raises:
        TypeError: (``DTypeError``) ``labels`` is not a SparseTensor.

    Examples:
        >>> labels = tf.SparseTensor(indices=[[0, 0]], values=[0], dense_shape=[1, 1])
        >>> inputs = np.zeros((2, 1, 2), np.float32)  # class 0 and the blank, uniform
        >>> tf.nn.ctc_loss(inputs, labels, np.array([2]))  # 3 alignments of 4
        array([0.2876821], dtype=float32)
    """
    op = "ctc_loss"
    dense, lengths = _labels_dense(op, labels)
    return F.ctc_loss(
        dense,
        as_tensor(inputs),
        lengths,
        as_tensor(sequence_length),
        blank_index=-1,
        logits_time_major=check.boolean(op, "time_major", time_major),
        preprocess_collapse_repeated=preprocess_collapse_repeated,
        ctc_merge_repeated=ctc_merge_repeated,
        zero_infinity=check.boolean(
            op, "ignore_longer_outputs_than_inputs", ignore_longer_outputs_than_inputs
        ),
        name=name,
    )


def ctc_greedy_decoder(
    inputs: Any, sequence_length: Any, merge_repeated: bool = True, *, name: str | None = None
) -> tuple[list[SparseTensor], Any]:
    """Performs greedy decoding on the logits given in input (best path).

    See :func:`nnfunc.ctc_greedy_decoder`. The blank (``num_classes - 1``) is never emitted;
    with ``merge_repeated`` a class that is the maximum at consecutive steps is emitted once.

    The page's example is wrong about the merge: TensorFlow decodes ``A B B * B * B``
    (``*`` the blank) to ``A B B B`` with ``merge_repeated=True`` (the blanks separate the
    last three ``B``) and to ``A B B B B`` with ``False``, as here.

    Args:
        inputs: Logits ``[max_time, batch_size, num_classes]``.
        sequence_length: ``[batch_size]`` lengths.
        merge_repeated (bool): Default True.
        name (str, optional): Accepted for uniformity (the decoders run eagerly).

    Returns:
        ``(decoded, log_probability)``: ``decoded`` a one-element list of a SparseTensor with
        indices ``[batch, time]``, the decoded classes and dense shape ``[batch_size,
        max_decoded_length]``; ``log_probability`` ``[batch_size, 1]``: minus the sum over
        time of the largest logit (TensorFlow's value; a log-probability when ``inputs`` are
        log-probabilities).

    Examples:
        >>> A, B, blank = 0, 1, 2
        >>> steps = [A, B, B, blank, B, blank, B]
        >>> inputs = np.eye(3, dtype=np.float32)[steps][:, None, :]  # [7, 1, 3]
        >>> (decoded,), log_prob = tf.nn.ctc_greedy_decoder(inputs, np.array([7]))
        >>> decoded.values, log_prob
        (array([0, 1, 1, 1]), array([[-7.]], dtype=float32))
        >>> (decoded,), _ = tf.nn.ctc_greedy_decoder(inputs, np.array([7]), merge_repeated=False)
        >>> decoded.values
        array([0, 1, 1, 1, 1])
    """
    op = "ctc_greedy_decoder"
    decoded, lengths, score = F.ctc_greedy_decoder(
        _values(op, inputs),
        _values(op, sequence_length),
        merge_repeated=merge_repeated,
        blank_index=-1,
        logits_time_major=True,
    )
    return [_sparse(_data(decoded), _data(lengths))], score


@shares_args(ctc_greedy_decoder)
def ctc_beam_search_decoder(
    inputs: Any,
    sequence_length: Any,
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    *,
    name: str | None = None,
) -> tuple[list[SparseTensor], Any]:
    """Performs beam search decoding on the logits given in input.

    See :func:`nnfunc.ctc_beam_search_decoder` (prefix beam search in log space; the blank
    is ``num_classes - 1``). With ``merge_repeated`` consecutive equal labels of each returned
    labelling are merged (``A B B B B`` becomes ``A B``), as TensorFlow 1 does; the
    log-probabilities are those of the labellings before that merge.

    Args:
        beam_width (int): Beam width, ``>= 1`` (the page's ``>= 0`` allows 0, which
            TensorFlow rejects). Default 100.
        top_paths (int): Number of labellings returned, in ``[1, beam_width]``. Default 1.

    Returns:
        ``(decoded, log_probability)``: ``decoded`` a list of ``top_paths`` SparseTensors
        (indices ``[batch, time]``, dense shape ``[batch_size, max_decoded_length[j]]``);
        ``log_probability`` ``[batch_size, top_paths]``.

    Examples:
        >>> p = np.array([[0.6, 0.4], [0.6, 0.4]], np.float32)  # class 0, blank 1
        >>> decoded, log_prob = tf.nn.ctc_beam_search_decoder(np.log(p)[:, None, :], [2])
        >>> decoded[0].values, np.exp(log_prob).round(2)  # '0': .36 + .24 + .24
        (array([0]), array([[0.84]], dtype=float32))
    """
    op = "ctc_beam_search_decoder"
    decoded, lengths, score = F.ctc_beam_search_decoder(
        _values(op, inputs),
        _values(op, sequence_length),
        beam_width=beam_width,
        top_paths=top_paths,
        merge_repeated=merge_repeated,
        blank_index=-1,
        logits_time_major=True,
    )
    decoded, lengths = _data(decoded), _data(lengths)
    return [_sparse(decoded[j], lengths[j]) for j in range(decoded.shape[0])], score
