"""Candidate sampling (catalog family 15) and the sampled losses (nce_loss, sampled_softmax_loss).

:class:`LearnedUnigramSampler` (not a catalog function, so not in ``__all__``) keeps the counts of
the learned unigram sampler across eager calls.
"""

from nnfunc.functions.sampling._candidates import (
    LearnedUnigramSampler as LearnedUnigramSampler,
)
from nnfunc.functions.sampling._candidates import (
    compute_accidental_hits,
    fixed_unigram_candidate_sampler,
    learned_unigram_candidate_sampler,
    log_uniform_candidate_sampler,
    uniform_candidate_sampler,
)
from nnfunc.functions.sampling._sampled import nce_loss, sampled_softmax_loss

__all__ = [
    "compute_accidental_hits",
    "fixed_unigram_candidate_sampler",
    "learned_unigram_candidate_sampler",
    "log_uniform_candidate_sampler",
    "nce_loss",
    "sampled_softmax_loss",
    "uniform_candidate_sampler",
]
