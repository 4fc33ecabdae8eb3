"""Pooling family: max/avg/sum/global pooling, argmax, fractional pooling, unpooling, morphology."""

from nnfunc.functions.pooling._pool import avg_pool, global_avg_pool, max_pool, sum_pool

__all__ = ["avg_pool", "global_avg_pool", "max_pool", "sum_pool"]
