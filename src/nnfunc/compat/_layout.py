"""Layout parsing shared by the dialects' convolution and pooling entries.

``padding`` strings, ``data_format`` (TensorFlow's ``"NHWC"``/``"NCHW"`` family and Keras'
``"channels_last"``/``"channels_first"``), TensorFlow's full-rank ``strides``/``ksize`` lists,
the input-channel check of a filter, and the filter layouts the seeds use (``(*k, in, out)``,
``(*k, in, multiplier)``) turned into the canonical ``(out, in, *k)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import nnfunc.functions as F
from nnfunc.core import check
from nnfunc.errors import ArgumentError, ShapeError

__all__ = [
    "check_in_channels",
    "depthwise_to_oihw",
    "hwio_to_oihw",
    "keras_channel_last",
    "padding_mode",
    "tf_channel_last",
    "tf_spatial",
]


def padding_mode(op: str, padding: Any, shown: tuple[str, str] = ("SAME", "VALID")) -> str:
    """``"same"`` or ``"valid"`` from a string of any case; ``shown`` is how the message
    spells the two choices (TensorFlow: upper case, Keras: lower case)."""
    if not isinstance(padding, str) or padding.lower() not in ("same", "valid"):
        a, b = shown
        raise ArgumentError(check.message(op, "padding", f"be '{a}' or '{b}'", padding=padding))
    return padding.lower()


def tf_channel_last(op: str, data_format: Any, nsp: int) -> bool:
    """TensorFlow's ``data_format`` for ``nsp`` spatial axes (None: channels last).

    1-D entries also take the 2-D names ``"NHWC"``/``"NCHW"``, as TensorFlow's conv1d does.
    """
    last = {1: "NWC", 2: "NHWC", 3: "NDHWC"}[nsp]
    first = {1: "NCW", 2: "NCHW", 3: "NCDHW"}[nsp]
    allowed = (last, first, "NHWC", "NCHW") if nsp == 1 else (last, first)
    if data_format is None:
        return True
    if not isinstance(data_format, str) or data_format not in allowed:
        raise ArgumentError(
            check.message(op, "data_format", f"be '{last}' or '{first}'", data_format=data_format)
        )
    return data_format in (last, "NHWC")


def keras_channel_last(op: str, data_format: Any) -> bool:
    """Keras' ``data_format`` (None: ``"channels_last"``)."""
    if data_format is None:
        return True
    choice = check.choice(op, "data_format", data_format, ("channels_last", "channels_first"))
    return choice == "channels_last"


def tf_spatial(op: str, arg: str, values: Any, nsp: int, channel_last: bool) -> tuple[int, ...]:
    """Spatial entries of a full-rank ``strides``/``ksize`` list whose batch/channel are 1."""
    n = nsp + 2
    if isinstance(values, np.ndarray) and values.ndim == 0:
        values = values.item()
    if isinstance(values, (int, np.integer)) or not isinstance(values, (Sequence, np.ndarray)):
        raise ArgumentError(check.message(op, arg, f"be a list of {n} ints", **{arg: values}))
    values = list(values)
    if len(values) != n or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ArgumentError(check.message(op, arg, f"be a list of {n} ints", **{arg: values}))
    cax = n - 1 if channel_last else 1
    if values[0] != 1 or values[cax] != 1:
        raise ArgumentError(
            check.message(
                op,
                arg,
                f"have 1 in the batch and channel entries (0 and {cax})",
                **{arg: values},
            )
        )
    sp = values[1:-1] if channel_last else values[2:]
    return tuple(int(v) for v in sp)


def check_in_channels(
    op: str, xname: str, x: Any, cax: int, fname: str, filt: Any, faxis: int
) -> None:
    """The filter's input-channel entry ``faxis`` must equal the channels of ``x`` (axis
    ``cax``), named with the entry's own argument names."""
    c, k = x.shape[cax], filt.shape[faxis]
    if c is not None and k is not None and c != k:
        raise ShapeError(
            check.message(
                op,
                xname,
                f"have {fname}.shape[{faxis}] = {k} channels on axis {cax}",
                channels=c,
                **{f"{xname}.shape": tuple(x.shape), f"{fname}.shape": tuple(filt.shape)},
            )
        )


def hwio_to_oihw(filt: Any) -> Any:
    """``(*k, in, out)`` -> ``(out, in, *k)`` (also ``(*k, out, in)`` -> ``(in, out, *k)``)."""
    nd = len(filt.shape)
    return F.transpose(filt, (nd - 1, nd - 2, *range(nd - 2)))


def depthwise_to_oihw(filt: Any) -> Any:
    """``(*k, C, m)`` -> ``(C*m, 1, *k)``, output channel ``c*m + j``."""
    shape = tuple(filt.shape)
    nsp = len(shape) - 2
    flat = F.reshape(filt, (*shape[:nsp], shape[nsp] * shape[nsp + 1]))
    moved = F.transpose(flat, (nsp, *range(nsp)))
    return F.reshape(moved, (shape[nsp] * shape[nsp + 1], 1, *shape[:nsp]))
