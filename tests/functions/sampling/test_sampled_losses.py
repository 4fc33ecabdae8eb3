"""nce_loss and sampled_softmax_loss against an independent full-matrix computation."""

import re
import tracemalloc

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class

FLT_MAX = float(np.finfo(np.float32).max)
C, D = 11, 3


def sampled_loss_ref(kind, w, b, x, labels, sampled, tq, sq, remove):
    """Every logit of the full (batch, num_classes) matrix, then the sampled columns only."""
    w, b, x = (a.astype(np.float64) for a in (w, b, x))
    full = x @ w.T + b
    nt = labels.shape[1]
    true = np.take_along_axis(full, labels, axis=1) - np.log(tq.astype(np.float64))
    samp = full[:, sampled] - np.log(sq.astype(np.float64))
    if remove:
        for i in range(labels.shape[0]):
            for j in range(nt):
                pos = [k for k in range(len(sampled)) if sampled[k] == labels[i, j]]
                if pos:  # TensorFlow marks the candidate's last position, once
                    samp[i, pos[-1]] = -FLT_MAX - np.log(float(sq[pos[-1]]))
    z = np.concatenate([true, samp], axis=1)
    t = np.concatenate([np.full(true.shape, 1.0 / nt), np.zeros(samp.shape)], axis=1)
    if kind == "nce":
        return (np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))).sum(axis=1)
    m = z.max(axis=1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return -(t * logp).sum(axis=1)


SAMPLED = np.array([4, 7, 0, 9, 2])  # 4 and 0 are also true classes below
TQ = np.array([[0.4, 0.9], [1.3, 0.2], [0.7, 0.5]], np.float32)
SQ = np.array([0.3, 1.1, 0.8, 0.25, 0.6], np.float32)
LABELS = np.array([[4, 1], [0, 4], [3, 3]])
FUNCS = {"nce": nf.nce_loss, "softmax": nf.sampled_softmax_loss}


@parametrize_class(kind=["nce", "softmax"], remove=[False, True], dtype=["float32", "float64"])
class TestSampledLosses(FunctionTestCase):
    def _call(self, w, b, x, labels, **extra):
        fn = FUNCS[self.kind]
        return (
            fn(w, b, x, labels, 5, C, num_true=2, sampled_values=(SAMPLED, TQ, SQ),
               remove_accidental_hits=self.remove, **extra),
        )  # fmt: skip

    def inputs(self, rng):
        return (
            rng.normal(size=(C, D)).astype(self.dtype),
            rng.normal(size=C).astype(self.dtype),
            rng.normal(size=(3, D)).astype(self.dtype),
            LABELS,
        )

    def expected(self, w, b, x, labels):
        out = sampled_loss_ref(self.kind, w, b, x, labels, SAMPLED, TQ, SQ, self.remove)
        return (out.astype(self.dtype),)


@parametrize_class(kind=["nce", "softmax"], strategy=["mod", "div"])
class TestShardedWeights(FunctionTestCase):
    """Weights and biases split over 3 shards: the same loss as the joined table."""

    def _call(self, w0, w1, w2, b0, b1, b2, x, labels, **extra):
        fn = FUNCS[self.kind]
        return (
            fn([w0, w1, w2], [b0, b1, b2], x, labels, 5, C, 2, (SAMPLED, TQ, SQ),
               partition_strategy=self.strategy, **extra),
        )  # fmt: skip

    def _split(self, a):
        if self.strategy == "mod":
            return [a[p::3] for p in range(3)]
        return np.split(a, [4, 8])  # 11 ids: 4, 4, 3

    def inputs(self, rng):
        w, b = rng.normal(size=(C, D)), rng.normal(size=C)
        return (*self._split(w), *self._split(b), rng.normal(size=(3, D)), LABELS)

    def expected(self, w0, w1, w2, b0, b1, b2, x, labels):
        if self.strategy == "mod":
            w, b = np.zeros((C, D)), np.zeros(C)
            for p, (ws, bs) in enumerate([(w0, b0), (w1, b1), (w2, b2)]):
                w[p::3], b[p::3] = ws, bs
        else:
            w, b = np.concatenate([w0, w1, w2]), np.concatenate([b0, b1, b2])
        remove = self.kind == "softmax"  # the defaults differ
        return (sampled_loss_ref(self.kind, w, b, x, labels, SAMPLED, TQ, SQ, remove),)


@pytest.mark.parametrize("kind", ["nce", "softmax"])
def test_default_sampler_is_log_uniform_unique(kind):
    rng = np.random.default_rng(0)
    w, b, x = rng.normal(size=(50, 4)), rng.normal(size=50), rng.normal(size=(6, 4))
    labels = rng.integers(0, 50, (6, 1))
    out = FUNCS[kind](w, b, x, labels, 10, 50, seed=3)
    sv = nf.log_uniform_candidate_sampler(labels, 1, 10, True, 50, seed=3)
    assert len(set(sv[0].tolist())) == 10
    remove = kind == "softmax"
    np.testing.assert_allclose(
        out, sampled_loss_ref(kind, w, b, x, labels, *sv, remove), rtol=1e-12
    )


@pytest.mark.parametrize("kind", ["nce", "softmax"])
def test_gradients_touch_only_true_and_sampled_rows(kind):
    rng = np.random.default_rng(1)
    w = nf.Variable(rng.normal(size=(C, D)), requires_grad=True)
    b = nf.Variable(rng.normal(size=C), requires_grad=True)
    x = nf.Variable(rng.normal(size=(3, D)), requires_grad=True)
    nf.sum(FUNCS[kind](w, b, x, LABELS, 5, C, 2, (SAMPLED, TQ, SQ))).backward()
    used = sorted(set(SAMPLED.tolist()) | set(LABELS.ravel().tolist()))
    unused = [c for c in range(C) if c not in used]
    assert np.all(w.grad[unused] == 0) and np.all(b.grad[unused] == 0)
    assert np.all(np.abs(w.grad[used]).sum(axis=1) > 0)
    assert np.abs(x.grad).sum() > 0


def test_sampled_softmax_forms_no_batch_by_classes_matrix():
    # 200000 classes, batch 64: a (batch, classes) float64 matrix would be 102 MB; the weight
    # gradient is 6.4 MB.
    rng = np.random.default_rng(0)
    n = 200_000
    w = nf.Variable(rng.normal(size=(n, 4)), requires_grad=True)
    b = nf.Variable(np.zeros(n), requires_grad=True)
    x = nf.Variable(rng.normal(size=(64, 4)), requires_grad=True)
    labels = rng.integers(0, n, (64, 1))
    tracemalloc.start()
    loss = nf.sum(nf.sampled_softmax_loss(w, b, x, labels, 64, n, seed=0))
    loss.backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 3 * n * 4 * 8, peak


def test_graph_with_unknown_batch_and_default_sampler():
    rng = np.random.default_rng(2)
    w, b = rng.normal(size=(30, 4)), rng.normal(size=30)
    g = nf.Graph()
    x = g.placeholder("x", (None, 4), np.float64)
    t = g.placeholder("t", (None, 1), np.int64)
    y = nf.sampled_softmax_loss(w, b, x, t, 6, 30, seed=9, name="loss")
    assert y.shape == (None,) and g["loss"] is y
    xv, tv = rng.normal(size=(5, 4)), rng.integers(0, 30, (5, 1))
    sv = nf.log_uniform_candidate_sampler(tv, 1, 6, True, 30, seed=9)
    np.testing.assert_allclose(
        g.run(y, {"x": xv, "t": tv}),
        sampled_loss_ref("softmax", w, b, xv, tv, *sv, True),
        rtol=1e-12,
    )


def test_float16_removed_hits_are_minus_inf_and_loss_finite():
    w = np.eye(3, dtype=np.float16)
    sv = (np.array([0, 2]), np.ones((1, 1), np.float32), np.ones(2, np.float32))
    x = np.array([[1.0, 0.0, 0.0]], np.float16)
    for fn in FUNCS.values():
        out = fn(w, np.zeros(3, np.float16), x, np.array([[0]]), 2, 3, 1, sv, True)
        assert out.dtype == np.float16 and np.isfinite(out).all()


W, B, X = np.ones((C, D)), np.ones(C), np.ones((3, D))
SV = (SAMPLED, TQ, SQ)

TABLE = [
    ((W, B, X, LABELS.astype(float)), {}, nf.DTypeError,
     "{op}: `labels` must have an integer dtype; received labels.dtype=float64."),
    ((W, B, X, LABELS[:, :1]), {}, nf.ShapeError,
     "{op}: `labels` must have shape (batch_size, num_true); received labels.shape=(3, 1), "
     "num_true=2."),
    ((W, B, X, LABELS.ravel()), {}, nf.ShapeError,
     "{op}: `labels` must have shape (batch_size, num_true); received labels.shape=(6,), "
     "num_true=2."),
    ((W, B, X[:2], LABELS), {}, nf.ShapeError,
     "{op}: `labels` must have one row per row of `inputs`; received labels.shape=(3, 2), "
     "inputs.shape=(2, 3)."),
    ((W[:, :2], B, X, LABELS), {}, nf.ShapeError,
     "{op}: `weights` must have shape (classes, dim) with the dim of `inputs`; received "
     "weights.shape=(11, 2), inputs.shape=(3, 3)."),
    ((W, B, X.astype(np.int64), LABELS), {}, nf.DTypeError,
     "{op}: `inputs` must have a floating dtype; received inputs.dtype=int64."),
    ((W, B[:, None], X, LABELS), {}, nf.ShapeError,
     "{op}: `biases` must have rank 1; received biases.shape=(11, 1)."),
    ((W, B, X, LABELS), {"sampled_values": SV[:2]}, nf.ArgumentError,
     "{op}: `sampled_values` must be None or (sampled_candidates, true_expected_count, "
     "sampled_expected_count); received sampled_values=<class 'tuple'>."),
    ((W, B, X, LABELS), {"sampled_values": (SAMPLED[:3], TQ, SQ)}, nf.ShapeError,
     "{op}: `sampled_values` must hold num_sampled candidates; received "
     "sampled_candidates.shape=(3,), num_sampled=5."),
    ((W, B, X, LABELS), {"partition_strategy": "x"}, nf.ArgumentError,
     "embedding_lookup: `partition_strategy` must be one of 'mod', 'div'; received "
     "partition_strategy='x'."),
]  # fmt: skip


@pytest.mark.parametrize("kind", ["nce_loss", "sampled_softmax_loss"])
@pytest.mark.parametrize(("inputs", "kwargs", "exc", "message"), TABLE)
def test_bad_input(kind, inputs, kwargs, exc, message):
    fn = getattr(nf, kind)

    def call(w, b, x, labels, **extra):
        kw = {"sampled_values": SV, **kwargs}
        return fn(w, b, x, labels, 5, C, num_true=2, **kw, **extra)

    message = message.format(op=kind)
    if message.startswith("embedding_lookup"):  # an inner node's error, raised as it is
        with pytest.raises(exc, match=re.escape(message)):
            call(*inputs)
        return
    assert_raises_both_modes(call, inputs, {}, exc, message)


def test_label_outside_the_table_names_it():
    msg = "nce_loss: `labels` must hold class indices in [0, 11); received labels[2, 0]=11."
    with pytest.raises(nf.ArgumentError, match=re.escape(msg)):
        nf.nce_loss(W, B, X, np.array([[0, 1], [2, 3], [11, 4]]), 5, C, 2, SV)
