"""keras.ops.nn CTC: ``ctc_loss`` and ``ctc_decode`` (Keras 3 signatures and semantics).

Keras CTC is batch-major, takes logits (softmax is applied inside), dense padded targets with
their lengths, and calls the blank ``mask_index`` (default 0, where TensorFlow uses the last
class).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.compat._common import keras_tensor
from nnfunc.core import shapes

__all__ = ["ctc_decode", "ctc_loss"]


def ctc_loss(
    target: Any,
    output: Any,
    target_length: Any,
    output_length: Any,
    mask_index: int = 0,
    *,
    name: str | None = None,
) -> Any:
    """CTC (Connectionist Temporal Classification) loss. See :func:`nnfunc.ctc_loss`.

    Args:
        target: Integer labels ``(batch_size, max_length)``, padded (only the first
            ``target_length[b]`` entries of row ``b`` are read).
        output: Logits ``(batch_size, max_length, num_classes)`` (not softmax-normalised).
        target_length: ``(batch_size,)`` label lengths.
        output_length: ``(batch_size,)`` lengths of ``output``'s sequences.
        mask_index (int): The blank ("mask") class. Default ``0``.
        name (str, optional): Node name in graph mode.

    Returns:
        The negative log-likelihood of each sequence, ``(batch_size,)``, in the floating dtype
        of ``output`` (float32 for Python data); the page has no Returns section.

    Notes:
        A sequence that no alignment fits gives ``+inf`` (Keras's JAX backend gives a large
        finite value from its ``log(0) = -1e5`` convention). The gradient with respect to
        ``output`` is ``softmax - posterior``.

    Examples:
        >>> logits = np.zeros((1, 2, 3), np.float32)  # blank 0 and two classes, uniform
        >>> keras.ops.nn.ctc_loss(np.array([[1, 0]]), logits, np.array([1]), np.array([2]))
        array([1.0986123], dtype=float32)
    """
    return F.ctc_loss(
        keras_tensor(target),
        keras_tensor(output),
        keras_tensor(target_length),
        keras_tensor(output_length),
        blank_index=mask_index,
        logits_time_major=False,
        name=name,
    )


def ctc_decode(
    inputs: Any,
    sequence_lengths: Any,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    mask_index: int = 0,
    *,
    name: str | None = None,
) -> tuple[Any, Any]:
    """Decodes the output of a CTC model. See :func:`nnfunc.ctc_decode`.

    Args:
        inputs: Logits ``(batch_size, max_length, num_classes)`` (not softmax-normalised).
        sequence_lengths: ``(batch_size,)`` sequence lengths.
        strategy (str): ``"greedy"`` or ``"beam_search"``. Default ``"greedy"``.
        beam_width (int): Beam width of the beam search. Default ``100``.
        top_paths (int): Number of paths returned by the beam search. Default ``1``.
        merge_repeated (bool): Greedy: merge a class repeated at consecutive steps. Keras's
            beam search ignores it (its labellings are collapsed already). Default ``True``.
        mask_index (int): The blank ("mask") class. Default ``0``.
        name (str, optional): Node name in graph mode.

    Returns:
        ``(decoded, scores)``: int32 ``(1, batch_size, max_length)`` (greedy) or
        ``(top_paths, batch_size, max_length)`` (beam search) label sequences, left-aligned
        and padded with ``-1``; greedy: ``(batch_size, 1)`` minus the sum of the per-step
        maximum logits; beam search: ``(batch_size, top_paths)`` log-probabilities.

    Examples:
        >>> x = np.log(np.array([[[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]], np.float32))
        >>> decoded, scores = keras.ops.nn.ctc_decode(x, np.array([3]))
        >>> decoded, scores.round(4)
        (array([[[ 1,  1, -1]]], dtype=int32), array([[0.6852]], dtype=float32))
    """
    with shapes.node_errors(name, inputs, sequence_lengths):
        decoded, scores = F.ctc_decode(
            keras_tensor(inputs),
            keras_tensor(sequence_lengths),
            strategy=strategy,
            beam_width=beam_width,
            top_paths=top_paths,
            merge_repeated=merge_repeated,
            blank_index=mask_index,
            logits_time_major=False,
            name=name,
        )
        return F.cast(decoded, np.int32), scores
