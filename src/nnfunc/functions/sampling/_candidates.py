"""Candidate samplers (uniform, log-uniform, learned and fixed unigram) and accidental hits.

Each sampler draws ``num_sampled`` classes in ``[0, range_max)`` from its base distribution
``P`` and returns TensorFlow's triple ``(sampled_candidates, true_expected_count,
sampled_expected_count)``. The expected count of a class ``c`` is

* with replacement (``unique=False``): ``num_sampled * P(c)``;
* without (``unique=True``): draws are repeated until ``num_sampled`` distinct classes are
  found, which took ``T`` draws; the count is then ``1 - (1 - P(c))**T`` (TensorFlow's
  approximation of the post-rejection probability), and ``num_sampled * P(c)`` when no draw was
  rejected (``T == num_sampled``).

Randomness comes from :mod:`nnfunc.random` only: ``seed`` is checked when the Function is built
and the generator is taken when it runs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfunc import random as nf_random
from nnfunc.core import check
from nnfunc.core.function import Function
from nnfunc.core.shapes import node_errors
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError, DTypeError, ShapeError

__all__ = [
    "LearnedUnigramSampler",
    "compute_accidental_hits",
    "fixed_unigram_candidate_sampler",
    "learned_unigram_candidate_sampler",
    "log_uniform_candidate_sampler",
    "uniform_candidate_sampler",
]

#: Largest ``num_sampled``, and largest ``range_max`` of the samplers that hold one weight per
#: class: bigger values would allocate gigabytes (rejected before anything is allocated).
MAX_ALLOC = 2**26
_I64 = np.dtype(np.int64)
_F32 = np.dtype(np.float32)
FLT_MAX = float(np.finfo(np.float32).max)


# ---------------------------------------------------------------------------- distributions
class _Uniform:
    def __init__(self, range_max: int) -> None:
        self.range_max = range_max
        self.support = range_max

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(0, self.range_max, n, dtype=np.int64)

    def prob(self, values: np.ndarray) -> np.ndarray:
        return np.full(values.shape, 1.0 / self.range_max)


class _LogUniform:
    """``P(c) = (log(c + 2) - log(c + 1)) / log(range_max + 1)``: ``floor(exp(u L)) - 1``."""

    def __init__(self, range_max: int) -> None:
        self.range_max = range_max
        self.support = range_max
        self.log_range = math.log1p(range_max)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        v = np.exp(rng.random(n) * self.log_range).astype(np.int64) - 1
        return v % self.range_max  # guards a rounding up to range_max (as TensorFlow does)

    def prob(self, values: np.ndarray) -> np.ndarray:
        v = values.astype(np.float64)
        return np.log((v + 2.0) / (v + 1.0)) / self.log_range


class _Weighted:
    """``P(c) = w[c] / sum(w)``; ``learn`` adds 1 per observed class (the learned unigram)."""

    def __init__(self, weights: np.ndarray) -> None:
        self.weights = weights
        self.range_max = weights.size
        self._cum: np.ndarray | None = None

    @property
    def support(self) -> int:
        return int(np.count_nonzero(self.weights))

    def _cumulative(self) -> np.ndarray:
        if self._cum is None:
            self._cum = np.cumsum(self.weights, dtype=np.float64)
        return self._cum

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        cum = self._cumulative()
        v = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
        return np.minimum(v, self.range_max - 1).astype(np.int64)

    def prob(self, values: np.ndarray) -> np.ndarray:
        total = self._cumulative()[-1]
        inside = (values >= 0) & (values < self.range_max)
        w = self.weights[np.where(inside, values, 0)].astype(np.float64)
        return np.where(inside, w / total, 0.0)

    def learn(self, values: np.ndarray) -> None:
        np.add.at(self.weights, values.reshape(-1), 1)
        self._cum = None


#: Draws after which ``unique=True`` gives up (a distribution so concentrated that ``n``
#: distinct classes would take practically forever).
MAX_DRAWS = 2**25


def _draw(
    op: str, dist: Any, rng: np.random.Generator, n: int, unique: bool
) -> tuple[np.ndarray, int]:
    """``n`` samples and the number of draws it took (rejection of repeats when ``unique``)."""
    if not unique or n == 0:
        return dist.sample(rng, n), n
    draws = np.zeros(0, np.int64)
    chunk = max(2 * n, 16)
    while draws.size < max(MAX_DRAWS, 64 * n):
        draws = np.concatenate([draws, dist.sample(rng, chunk)])
        _, first = np.unique(draws, return_index=True)
        if first.size >= n:
            keep = np.sort(first)[:n]  # the first n distinct values, in drawing order
            return draws[keep], int(keep[-1]) + 1
        chunk *= 2
    raise ArgumentError(
        check.message(
            op,
            "num_sampled",
            "distinct classes be found in a reasonable number of draws (unique=True)",
            num_sampled=n,
            draws=int(draws.size),
            distinct=int(np.unique(draws).size),
        )
    )


def _expected(p: np.ndarray, n: int, tries: int) -> np.ndarray:
    if tries == n:
        out = p * n
    else:
        with np.errstate(divide="ignore"):
            out = -np.expm1(tries * np.log1p(-p))
    return out.astype(np.float32)


# ---------------------------------------------------------------------------- the Function
def _py_int(x: Any) -> Any:
    """A Python int as NumPy's own array (uint64 beyond int64: then rejected by range checks)."""
    return np.asarray(x) if isinstance(x, (bool, int)) else x


def _not_none(op: str, arg: str, x: Any) -> None:
    if x is None:
        raise DTypeError(check.message(op, arg, "be an array", **{arg: None}))


def _check_true_classes(op: str, tc: Any, num_true: int, range_max: int | None) -> None:
    _not_none(op, "true_classes", tc)
    if np.dtype(tc.dtype).kind not in "iu":
        raise DTypeError(
            check.message(
                op, "true_classes", "have an integer dtype", **{"true_classes.dtype": tc.dtype}
            )
        )
    shape = tuple(tc.shape)
    if len(shape) != 2 or shape[1] not in (None, num_true):
        raise ShapeError(
            check.message(
                op,
                "true_classes",
                "have shape (batch_size, num_true)",
                **{"true_classes.shape": shape, "num_true": num_true},
            )
        )
    if type(tc) is not np.ndarray or tc.size == 0 or range_max is None:
        return
    bad = (tc < 0) | (tc >= range_max)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise ArgumentError(
            check.message(
                op,
                "true_classes",
                f"hold classes in [0, {range_max})",
                **{f"true_classes[{i}, {j}]": int(tc[i, j])},
            )
        )


def _sizes(op: str, num_true: Any, num_sampled: Any, unique: Any, range_max: Any, cap: int) -> Any:
    num_true = check.positive_int(op, "num_true", num_true)
    num_sampled = check.positive_int(op, "num_sampled", num_sampled)
    unique = check.boolean(op, "unique", unique)
    range_max = check.positive_int(op, "range_max", range_max)
    if num_sampled > MAX_ALLOC:
        raise ArgumentError(
            check.message(op, "num_sampled", f"be <= {MAX_ALLOC}", num_sampled=num_sampled)
        )
    if range_max > cap:
        raise ArgumentError(check.message(op, "range_max", f"be <= {cap}", range_max=range_max))
    if unique and num_sampled > range_max:
        raise ArgumentError(
            check.message(
                op,
                "num_sampled",
                "be <= range_max when unique=True",
                num_sampled=num_sampled,
                range_max=range_max,
            )
        )
    return num_true, num_sampled, unique, range_max


class CandidateSampler(Function):
    """Draws candidates from ``dist``: outputs (candidates, true counts, sampled counts)."""

    input_names = ("true_classes",)

    def __init__(
        self,
        op: str,
        dist: Any,
        num_true: int,
        num_sampled: int,
        unique: bool,
        seed: Any,
        learn: bool = False,
    ) -> None:
        self.op_name = op
        self.dist = dist
        self.num_true = num_true
        self.num_sampled = num_sampled
        self.unique = unique
        self.seed = nf_random.validate_seed(op, seed)
        self.learn = learn

    def setup(self, tc: Any) -> tuple[TensorSpec, ...]:
        _check_true_classes(self.op_name, tc, self.num_true, self.dist.range_max)
        return (
            TensorSpec((self.num_sampled,), _I64),
            TensorSpec(tuple(tc.shape), _F32),
            TensorSpec((self.num_sampled,), _F32),
        )

    def forward(self, xp: Any, tc: Any) -> tuple[Any, ...]:
        tc = np.asarray(tc)
        rng = nf_random.generator(self.seed)
        cand, tries = _draw(self.op_name, self.dist, rng, self.num_sampled, self.unique)
        true_count = _expected(self.dist.prob(tc), self.num_sampled, tries)
        cand_count = _expected(self.dist.prob(cand), self.num_sampled, tries)
        if self.learn:  # after sampling, as TensorFlow's op: this batch counts from the next
            self.dist.learn(tc)
        return (xp.asarray(cand), xp.asarray(true_count), xp.asarray(cand_count))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None,)


def uniform_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Sample classes uniformly from ``[0, range_max)``.

    .. math::
        P(c) = 1 / R, \\qquad Q(c) = n P(c) \\text{ (with replacement)}, \\quad
        1 - (1 - P(c))^T \\text{ (unique, } T \\text{ draws)}

    Args:
        true_classes (array, Variable or SymbolicVariable): int ``(batch_size, num_true)``,
            each in ``[0, range_max)``.
        num_true (int): Target classes per example (the width of ``true_classes``).
        num_sampled (int): Classes to sample (``n``), at most ``2**26``.
        unique (bool): Sample without replacement (rejecting repeats).
        range_max (int): The number of classes ``R``.
        seed (int, Generator or None): The same seed gives the same samples on every call and
            graph run; None draws from :mod:`nnfunc.random`'s global stream.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``: int64 of shape
        ``(num_sampled,)``; float32 of the shape of ``true_classes``; float32 of shape
        ``(num_sampled,)``. Arrays (or symbolic variables in a graph); never differentiable.
    Raises:
        ArgumentError: a size is not a positive int (or too large), ``num_sampled > range_max``
            with ``unique=True``, a true class is outside ``[0, range_max)``, a bad ``seed``.
        ShapeError: ``true_classes`` is not ``(batch_size, num_true)``.
        DTypeError: ``true_classes`` is not integer.

    Notes:
        The expected counts are TensorFlow's (module docstring of
        ``nnfunc.functions.sampling._candidates``). The true classes are not excluded from the
        samples (see :func:`nnfunc.compute_accidental_hits`). Equivalent to
        ``tf.nn.uniform_candidate_sampler`` (same arguments; TensorFlow's random stream
        differs).

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> s, t, q = nf.uniform_candidate_sampler(np.array([[1], [4]]), 1, 3, True, 8, seed=0)
        >>> s.shape, t.tolist(), q.tolist()
        ((3,), [[0.375], [0.375]], [0.375, 0.375, 0.375])
    """
    op = "uniform_candidate_sampler"
    with node_errors(name, true_classes):
        num_true, num_sampled, unique, range_max = _sizes(
            op, num_true, num_sampled, unique, range_max, 2**63 - 1
        )
        fn = CandidateSampler(op, _Uniform(range_max), num_true, num_sampled, unique, seed)
    return fn.apply(_py_int(true_classes), name=name)


def log_uniform_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Sample classes from the log-uniform (Zipfian) distribution over ``[0, range_max)``.

    .. math::
        P(c) = \\frac{\\log(c + 2) - \\log(c + 1)}{\\log(R + 1)}

    Drawn exactly as ``floor(exp(u log(R + 1))) - 1`` with ``u`` uniform in ``[0, 1)``. Useful
    when classes are sorted by decreasing frequency (words of a vocabulary).

    Args:
        true_classes (array, Variable or SymbolicVariable): int ``(batch_size, num_true)``,
            each in ``[0, range_max)``.
        num_true (int): Target classes per example.
        num_sampled (int): Classes to sample (``n``), at most ``2**26``.
        unique (bool): Sample without replacement (rejecting repeats).
        range_max (int): The number of classes ``R``.
        seed (int, Generator or None): Reproducible samples (see
            :func:`nnfunc.uniform_candidate_sampler`).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``: int64 of shape
        ``(num_sampled,)``; float32 of the shape of ``true_classes``; float32 of shape
        ``(num_sampled,)``. Arrays (or symbolic variables in a graph); never differentiable.
    Raises:
        ArgumentError: a size is not a positive int (or too large), ``num_sampled > range_max``
            with ``unique=True``, a true class is outside ``[0, range_max)``, a bad ``seed``.
        ShapeError: ``true_classes`` is not ``(batch_size, num_true)``.
        DTypeError: ``true_classes`` is not integer.

    Notes:
        Expected counts: ``n P(c)``, or ``1 - (1 - P(c))**T`` after ``T`` draws with
        ``unique=True`` (TensorFlow's approximation). The default sampler of
        :func:`nnfunc.nce_loss` and :func:`nnfunc.sampled_softmax_loss`. Equivalent to
        ``tf.nn.log_uniform_candidate_sampler``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> s, t, q = nf.log_uniform_candidate_sampler(np.array([[0]]), 1, 2, False, 3, seed=1)
        >>> t.round(4).tolist()   # 2 * log(2) / log(4)
        [[1.0]]
    """
    op = "log_uniform_candidate_sampler"
    with node_errors(name, true_classes):
        num_true, num_sampled, unique, range_max = _sizes(
            op, num_true, num_sampled, unique, range_max, 2**62
        )
        fn = CandidateSampler(op, _LogUniform(range_max), num_true, num_sampled, unique, seed)
    return fn.apply(_py_int(true_classes), name=name)


def learned_unigram_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    seed: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Sample classes from a unigram distribution learned from the true classes seen so far.

    .. math::
        P(c) = \\frac{w_c}{\\sum_k w_k}, \\qquad w_c = 1 + \\#\\{\\text{times } c
        \\text{ was a true class}\\}

    Every class starts with weight 1; after each draw, every entry of ``true_classes`` adds 1 to
    its class (so a batch's own classes count from the next draw on, as in TensorFlow).

    Args:
        true_classes (array, Variable or SymbolicVariable): int ``(batch_size, num_true)``,
            each in ``[0, range_max)``.
        num_true (int): Target classes per example.
        num_sampled (int): Classes to sample (``n``), at most ``2**26``.
        unique (bool): Sample without replacement (rejecting repeats).
        range_max (int): The number of classes ``R``, at most ``2**26``.
        seed (int, Generator or None): Reproducible samples (see
            :func:`nnfunc.uniform_candidate_sampler`).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``: int64 of shape
        ``(num_sampled,)``; float32 of the shape of ``true_classes``; float32 of shape
        ``(num_sampled,)``. Arrays (or symbolic variables in a graph); never differentiable.
    Raises:
        ArgumentError: a size is not a positive int (or too large), ``num_sampled > range_max``
            with ``unique=True``, a true class is outside ``[0, range_max)``, a bad ``seed``.
        ShapeError: ``true_classes`` is not ``(batch_size, num_true)``.
        DTypeError: ``true_classes`` is not integer.

    Notes:
        Where the counts live: in a graph, in the node (they grow with every ``Graph.run``, as
        TensorFlow's op keeps them in the session); a plain eager call starts from fresh counts,
        as a fresh TensorFlow op would; eagerly, a
        :class:`nnfunc.functions.sampling.LearnedUnigramSampler` the caller holds keeps them
        across calls. The counts are never saved (reset when the model is rebuilt).
        Equivalent to ``tf.nn.learned_unigram_candidate_sampler``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> from nnfunc.functions.sampling import LearnedUnigramSampler
        >>> sampler = LearnedUnigramSampler(4)
        >>> _ = sampler(np.array([[2], [2]]), 1, 2, False, seed=0)
        >>> sampler.counts.tolist()
        [1, 1, 3, 1]
        >>> _, t, _ = sampler(np.array([[2]]), 1, 2, False, seed=0)
        >>> t.tolist()   # 2 * 3/6
        [[1.0]]
    """
    op = "learned_unigram_candidate_sampler"
    with node_errors(name, true_classes):
        num_true, num_sampled, unique, range_max = _sizes(
            op, num_true, num_sampled, unique, range_max, MAX_ALLOC
        )
        dist = _Weighted(np.ones(range_max, np.int64))
        fn = CandidateSampler(op, dist, num_true, num_sampled, unique, seed, learn=True)
    return fn.apply(_py_int(true_classes), name=name)


class LearnedUnigramSampler:
    """A learned unigram candidate sampler whose class counts persist across eager calls.

    Args:
        range_max (int): The number of classes; every count starts at 1.

    Examples:
        >>> import numpy as np
        >>> from nnfunc.functions.sampling import LearnedUnigramSampler
        >>> s = LearnedUnigramSampler(3)
        >>> _ = s(np.array([[0, 0]]), 2, 1, False, seed=0)
        >>> s.counts.tolist()
        [3, 1, 1]
    """

    def __init__(self, range_max: int) -> None:
        op = "learned_unigram_candidate_sampler"
        self.range_max = check.positive_int(op, "range_max", range_max)
        if self.range_max > MAX_ALLOC:
            raise ArgumentError(
                check.message(op, "range_max", f"be <= {MAX_ALLOC}", range_max=range_max)
            )
        self._dist = _Weighted(np.ones(self.range_max, np.int64))

    @property
    def counts(self) -> np.ndarray:
        """The current weight of every class (1 plus the times it was seen as a true class)."""
        return self._dist.weights.copy()

    def __call__(
        self,
        true_classes: Any,
        num_true: int,
        num_sampled: int,
        unique: bool,
        seed: Any = None,
        *,
        name: str | None = None,
    ) -> tuple[Any, Any, Any]:
        """Draw as :func:`nnfunc.learned_unigram_candidate_sampler`, then learn the batch."""
        op = "learned_unigram_candidate_sampler"
        num_true, num_sampled, unique, _ = _sizes(
            op, num_true, num_sampled, unique, self.range_max, MAX_ALLOC
        )
        fn = CandidateSampler(op, self._dist, num_true, num_sampled, unique, seed, learn=True)
        return fn.apply(_py_int(true_classes), name=name)


def _unigram_weights(
    op: str,
    vocab_file: Any,
    unigrams: Any,
    distortion: float,
    num_reserved_ids: int,
    num_shards: int,
    shard: int,
) -> np.ndarray:
    """The shard's weights: reserved ids 0, then each vocabulary weight ** distortion."""
    has_file = vocab_file is not None and not (isinstance(vocab_file, str) and vocab_file == "")
    has_list = unigrams is not None and np.size(np.asarray(unigrams, dtype=object)) > 0
    if has_file == has_list:
        raise ArgumentError(
            check.message(
                op,
                "vocab_file",
                "be given, or `unigrams`, but not both",
                vocab_file=vocab_file,
                unigrams=unigrams
                if not has_list
                else f"<{np.size(np.asarray(unigrams, object))} values>",
            )
        )
    if has_file:
        if not isinstance(vocab_file, (str, bytes)) and not hasattr(vocab_file, "__fspath__"):
            raise ArgumentError(
                check.message(op, "vocab_file", "be a file name", vocab_file=vocab_file)
            )
        try:
            with open(vocab_file, encoding="utf-8") as f:
                lines = [ln.rstrip("\r\n") for ln in f]
        except OSError:
            raise ArgumentError(
                check.message(op, "vocab_file", "be a readable file", vocab_file=vocab_file)
            ) from None
        values = []
        for ln in lines:
            if not ln:
                continue
            last = ln.split(",")[-1]
            try:
                values.append(float(last))
            except ValueError:
                raise ArgumentError(
                    check.message(op, "vocab_file", "end every line with a count", line=ln)
                ) from None
        raw = np.asarray(values, dtype=np.float64)
    else:
        raw = np.asarray(unigrams)
        if raw.ndim != 1 or raw.dtype.kind not in "biuf":
            raise ArgumentError(
                check.message(op, "unigrams", "be a 1-D sequence of counts", unigrams=unigrams)
            )
        raw = raw.astype(np.float64)
    if raw.size > MAX_ALLOC:
        raise ArgumentError(check.message(op, "unigrams", f"hold <= {MAX_ALLOC} values"))
    if not np.isfinite(raw).all() or (raw < 0).any():
        bad = int(np.flatnonzero(~np.isfinite(raw) | (raw < 0))[0])
        raise ArgumentError(
            check.message(
                op, "unigrams", "hold finite non-negative counts", **{f"unigrams[{bad}]": raw[bad]}
            )
        )
    with np.errstate(over="ignore"):
        powered = raw**distortion
    if not np.isfinite(powered).all():
        raise ArgumentError(
            check.message(
                op,
                "distortion",
                "keep every count ** distortion finite",
                distortion=distortion,
                largest_count=float(raw.max()),
            )
        )
    ids = np.arange(num_reserved_ids + raw.size)
    weights = np.concatenate([np.zeros(num_reserved_ids), powered])
    return weights[ids % num_shards == shard]


def fixed_unigram_candidate_sampler(
    true_classes: Any,
    num_true: int,
    num_sampled: int,
    unique: bool,
    range_max: int,
    vocab_file: str = "",
    distortion: float = 1.0,
    num_reserved_ids: int = 0,
    num_shards: int = 1,
    shard: int = 0,
    unigrams: Any = (),
    seed: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Sample classes from a fixed unigram distribution (a list of counts, or a vocabulary file).

    .. math::
        P(c) = \\frac{u_c^{\\,d}}{\\sum_k u_k^{\\,d}}

    Ids ``0 .. num_reserved_ids - 1`` have weight 0; the vocabulary's counts ``u`` follow, in
    order, from id ``num_reserved_ids``. With ``num_shards > 1`` the sampler covers only the ids
    ``i`` with ``i % num_shards == shard`` and returns positions in that list.

    Args:
        true_classes (array, Variable or SymbolicVariable): int ``(batch_size, num_true)``,
            each in ``[0, range_max)``.
        num_true (int): Target classes per example.
        num_sampled (int): Classes to sample (``n``), at most ``2**26``.
        unique (bool): Sample without replacement (rejecting repeats).
        range_max (int): The number of classes: must equal the number of ids of this shard.
        vocab_file (str): A CSV-like file, one line per id, the count (or relative probability)
            in the last field; empty lines are skipped. Exactly one of ``vocab_file`` and
            ``unigrams``.
        distortion (float): Power ``d >= 0`` applied to each count (1: the unigram, 0: uniform).
        num_reserved_ids (int): Leading ids with probability 0.
        num_shards (int): Partitions of the id range.
        shard (int): The partition sampled from, in ``[0, num_shards)``.
        unigrams (sequence of float): The counts, one per id (after the reserved ones).
        seed (int, Generator or None): Reproducible samples (see
            :func:`nnfunc.uniform_candidate_sampler`).
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(sampled_candidates, true_expected_count, sampled_expected_count)``: int64 of shape
        ``(num_sampled,)``; float32 of the shape of ``true_classes``; float32 of shape
        ``(num_sampled,)``. Arrays (or symbolic variables in a graph); never differentiable.
    Raises:
        ArgumentError: both or neither of ``vocab_file`` and ``unigrams``; an unreadable file
            or a line without a count; a negative or non-finite count; ``distortion`` negative;
            ``range_max`` differs from the shard's number of ids; ``num_sampled`` exceeds the
            ids of non-zero probability with ``unique=True``; the checks of
            :func:`nnfunc.uniform_candidate_sampler`.
        ShapeError: ``true_classes`` is not ``(batch_size, num_true)``.
        DTypeError: ``true_classes`` is not integer.

    Notes:
        Equivalent to ``tf.nn.fixed_unigram_candidate_sampler`` (same arguments and defaults).
        TensorFlow numbers a shard's vocabulary from the count of reserved ids in that shard
        rather than from ``num_reserved_ids``; the two agree for one shard or at most one
        reserved id; here ids follow the documented rule.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> s, t, q = nf.fixed_unigram_candidate_sampler(
        ...     np.array([[1]]), 1, 4, False, 3, unigrams=[3.0, 1.0], num_reserved_ids=1,
        ...     seed=0)
        >>> t.tolist(), bool((s > 0).all())
        ([[3.0]], True)
    """
    op = "fixed_unigram_candidate_sampler"
    with node_errors(name, true_classes):
        num_true, num_sampled, unique, range_max = _sizes(
            op, num_true, num_sampled, unique, range_max, MAX_ALLOC
        )
        distortion = check.real_scalar(op, "distortion", distortion, min_value=0)
        num_reserved_ids = check.integer(op, "num_reserved_ids", num_reserved_ids, min_value=0)
        if num_reserved_ids > MAX_ALLOC:
            raise ArgumentError(
                check.message(
                    op, "num_reserved_ids", f"be <= {MAX_ALLOC}", num_reserved_ids=num_reserved_ids
                )
            )
        num_shards = check.positive_int(op, "num_shards", num_shards)
        if num_shards > 2**31:
            raise ArgumentError(
                check.message(op, "num_shards", f"be <= {2**31}", num_shards=num_shards)
            )
        shard = check.integer(op, "shard", shard, min_value=0)
        if shard >= num_shards:
            raise ArgumentError(
                check.message(op, "shard", "be < num_shards", shard=shard, num_shards=num_shards)
            )
        weights = _unigram_weights(
            op, vocab_file, unigrams, distortion, num_reserved_ids, num_shards, shard
        )
        if weights.size != range_max:
            raise ArgumentError(
                check.message(
                    op,
                    "range_max",
                    "equal the number of ids in the shard (reserved ids included)",
                    range_max=range_max,
                    ids=weights.size,
                )
            )
        dist = _Weighted(weights)
        if dist.support == 0 or (unique and num_sampled > dist.support):
            raise ArgumentError(
                check.message(
                    op,
                    "num_sampled",
                    "not exceed the ids of non-zero probability when unique=True"
                    if unique
                    else "be drawn from a distribution with a non-zero count",
                    num_sampled=num_sampled,
                    nonzero=dist.support,
                )
            )
        fn = CandidateSampler(op, dist, num_true, num_sampled, unique, seed)
    return fn.apply(_py_int(true_classes), name=name)


# ---------------------------------------------------------------------------- accidental hits
def accidental_hits(tc: np.ndarray, sc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows of ``tc``, positions in ``sc``) of every true class found among the candidates.

    Row-major over ``tc``; a candidate present twice is found at its LAST position (TensorFlow
    builds a value -> position map over the candidates in order).
    """
    flat = tc.reshape(-1)
    if sc.size == 0 or flat.size == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int64)
    vals, first_rev = np.unique(sc[::-1], return_index=True)
    last = sc.size - 1 - first_rev
    loc = np.minimum(np.searchsorted(vals, flat), vals.size - 1)
    found = vals[loc] == flat
    rows = (np.flatnonzero(found) // tc.shape[1]).astype(np.int32)
    return rows, last[loc[found]].astype(np.int64)


class ComputeAccidentalHits(Function):
    op_name = "compute_accidental_hits"
    input_names = ("true_classes", "sampled_candidates")

    def __init__(self, num_true: int) -> None:
        self.num_true = num_true

    def setup(self, tc: Any, sc: Any) -> tuple[TensorSpec, ...]:
        _check_true_classes(self.op_name, tc, self.num_true, None)
        _not_none(self.op_name, "sampled_candidates", sc)
        if np.dtype(sc.dtype).kind not in "iu":
            raise DTypeError(
                check.message(
                    self.op_name,
                    "sampled_candidates",
                    "have an integer dtype",
                    **{"sampled_candidates.dtype": sc.dtype},
                )
            )
        if len(sc.shape) != 1:
            raise ShapeError(
                check.message(
                    self.op_name,
                    "sampled_candidates",
                    "have rank 1",
                    **{"sampled_candidates.shape": tuple(sc.shape)},
                )
            )
        n = None
        if type(tc) is np.ndarray and type(sc) is np.ndarray:
            n = accidental_hits(tc, sc)[0].size
        return (
            TensorSpec((n,), np.dtype(np.int32)),
            TensorSpec((n,), _I64),
            TensorSpec((n,), _F32),
        )

    def forward(self, xp: Any, tc: Any, sc: Any) -> tuple[Any, ...]:
        rows, pos = accidental_hits(np.asarray(tc), np.asarray(sc))
        weights = np.full(rows.size, -FLT_MAX, np.float32)
        return (xp.asarray(rows), xp.asarray(pos), xp.asarray(weights))

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        return (None, None)


def compute_accidental_hits(
    true_classes: Any,
    sampled_candidates: Any,
    num_true: int,
    seed: Any = None,
    *,
    name: str | None = None,
) -> tuple[Any, Any, Any]:
    """Positions where a sampled candidate equals one of an example's true classes.

    .. math::
        \\{(i, k, -\\mathrm{FLT\\_MAX}) : \\mathrm{true}[i, j] = \\mathrm{sampled}[k]\\}

    Args:
        true_classes (array, Variable or SymbolicVariable): int ``(batch_size, num_true)``.
        sampled_candidates (array, Variable or SymbolicVariable): int ``(num_sampled,)``,
            presupposed unique (a repeated candidate is reported at its last position).
        num_true (int): Target classes per example.
        seed (int or None): Accepted for TensorFlow's signature; nothing is random.
        name (str, optional): Node name in graph mode; ignored in eager mode.

    Returns:
        ``(indices, ids, weights)``: int32 rows of ``true_classes``, int64 positions in
        ``sampled_candidates``, float32 ``-FLT_MAX`` (``-3.4028235e38``) each; one entry per hit,
        in row-major order of ``true_classes``. In a graph their length is unknown until it
        runs.

    Raises:
        ShapeError: ``true_classes`` is not ``(batch_size, num_true)`` or
            ``sampled_candidates`` is not 1-D.
        DTypeError: an input is not integer.
        ArgumentError: ``num_true`` is not a positive int, or a bad ``seed``.

    Notes:
        Adding the weights at ``[indices, ids]`` of the sampled logits (TensorFlow's
        ``sparse_to_dense``) removes the hits from a sampled loss. Equivalent to
        ``tf.nn.compute_accidental_hits``.

    Examples:
        >>> import numpy as np, nnfunc as nf
        >>> nf.compute_accidental_hits(np.array([[1, 2], [3, 4]]), np.array([4, 5, 1]), 2)
        (array([0, 1], dtype=int32), array([2, 0]), array([-3.4028235e+38, -3.4028235e+38], \
dtype=float32))
    """
    op = "compute_accidental_hits"
    with node_errors(name, true_classes, sampled_candidates):
        num_true = check.positive_int(op, "num_true", num_true)
        nf_random.validate_seed(op, seed)
    return ComputeAccidentalHits(num_true).apply(
        _py_int(true_classes), _py_int(sampled_candidates), name=name
    )
