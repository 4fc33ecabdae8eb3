"""Normalization and moments (catalog family 8)."""

from nnfunc.functions.normalization._batch_norm import (
    batch_normalization,
    fused_batch_normalization,
    sync_batch_normalization,
)
from nnfunc.functions.normalization._local_response import local_response_normalization
from nnfunc.functions.normalization._lp_normalize import normalize
from nnfunc.functions.normalization._mean_subtraction import mean_subtraction
from nnfunc.functions.normalization._moments import (
    moments,
    normalize_moments,
    sufficient_statistics,
)
from nnfunc.functions.normalization._tensor_norm import (
    group_normalization,
    instance_normalization,
    layer_normalization,
    weight_standardization,
)

__all__ = [
    "batch_normalization",
    "fused_batch_normalization",
    "group_normalization",
    "instance_normalization",
    "layer_normalization",
    "local_response_normalization",
    "mean_subtraction",
    "moments",
    "normalize",
    "normalize_moments",
    "sufficient_statistics",
    "sync_batch_normalization",
    "weight_standardization",
]
