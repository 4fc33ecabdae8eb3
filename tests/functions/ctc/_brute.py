"""Brute-force CTC references: every alignment of a tiny case enumerated (T <= 6, C = 3).

Independent of nnfunc: a path of T classes is an alignment of the labelling that collapsing
it gives (repeats merged, then blanks removed), or, for TensorFlow's ``ctc_merge_repeated=False``,
of its non-blank classes in order (each step a label of its own).
"""

import itertools

import numpy as np


def log_softmax(x):
    x = np.asarray(x, np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def collapse(path, blank, merge=True):
    out, prev = [], None
    for k in path:
        if k != blank and (not merge or k != prev):
            out.append(k)
        prev = k
    return tuple(out)


def alignments(t, c):
    return itertools.product(range(c), repeat=t)


def labelling_probs(x, blank, merge=True):
    """``{labelling: probability}`` of the (T, C) logits ``x`` (T may be 0)."""
    lp = log_softmax(x) if len(x) else np.zeros((0, 0))
    c = x.shape[1] if x.ndim == 2 else 0
    probs = {}
    for path in alignments(len(x), c):
        p = float(np.exp(sum(lp[t, k] for t, k in enumerate(path))))
        key = collapse(path, blank, merge)
        probs[key] = probs.get(key, 0.0) + p
    return probs


def nll(x, label, blank, merge=True):
    """``-log p(label | x)`` for logits ``x`` (T, C)."""
    p = labelling_probs(x, blank, merge).get(tuple(label), 0.0)
    return -np.log(p) if p > 0 else np.inf


def grad(x, label, blank, merge=True):
    """``d nll / d x`` = softmax - posterior of each class at each step (T, C)."""
    lp = log_softmax(x)
    t_max, c = x.shape
    post = np.zeros((t_max, c))
    total = 0.0
    for path in alignments(t_max, c):
        if collapse(path, blank, merge) != tuple(label):
            continue
        p = np.exp(sum(lp[t, k] for t, k in enumerate(path)))
        total += p
        for t, k in enumerate(path):
            post[t, k] += p
    return np.exp(lp) - post / total


def collapse_labels(label):
    return tuple(v for i, v in enumerate(label) if i == 0 or v != label[i - 1])
