"""Pooling family: max/avg/sum/global pooling, argmax, fractional pooling, unpooling, morphology."""

from nnfunc.functions.pooling._argmax_unpool_morphology import (
    dilation2d,
    erosion2d,
    max_pool_with_argmax,
    unpool,
)
from nnfunc.functions.pooling._fractional import fractional_avg_pool, fractional_max_pool
from nnfunc.functions.pooling._pool import avg_pool, global_avg_pool, max_pool, sum_pool

__all__ = [
    "avg_pool",
    "dilation2d",
    "erosion2d",
    "fractional_avg_pool",
    "fractional_max_pool",
    "global_avg_pool",
    "max_pool",
    "max_pool_with_argmax",
    "sum_pool",
    "unpool",
]
