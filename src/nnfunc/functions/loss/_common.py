"""Former home of the label and shape helpers, now :mod:`nnfunc.functions._labels` (shared by
the loss and validation families and the dialects). Kept so that importers not yet moved keep
working; import from ``nnfunc.functions._labels``."""

from nnfunc.functions._labels import (  # noqa: F401
    PutAlongAxis,
    TakeAlongAxis,
    as_tensor,
    check_labels,
    clip,
    label_dtype,
    label_layout,
    same_shape,
    shapes_match,
    shifted_logits,
    to_dtype,
)
