"""Word embeddings with skip-gram and NCE on a synthetic corpus with planted neighbours.

Run with ``python -m nnfunc._cli.demo_embedding``. The corpus draws words from a Zipfian
vocabulary (ids sorted by decreasing frequency, as the log-uniform sampler of
:func:`nnfunc.nce_loss` assumes) and plants pairs of "synonyms": both words of a pair appear
between the same two context words, and nowhere else. Skip-gram learns an input embedding per
word from the words around it, so after training each planted word's nearest neighbour (cosine
similarity of the input embeddings) is its synonym.

Everything the model computes goes through nnfunc on :class:`nnfunc.Variable`: the lookup
(:func:`nnfunc.embedding_lookup`), the loss (:func:`nnfunc.nce_loss`, negatives from the
log-uniform sampler) and the gradients (a scatter-add into the rows used). The update is
Adagrad on ``.data`` and ``.grad``.
"""

from __future__ import annotations

import argparse
import time
from typing import NamedTuple

import numpy as np

import nnfunc as nf

__all__ = ["Corpus", "make_corpus", "nearest_neighbours", "planted_recall", "train"]


class Corpus(NamedTuple):
    """Skip-gram (center, context) pairs and the planted synonym pairs."""

    centers: np.ndarray
    contexts: np.ndarray
    synonyms: list[tuple[int, int]]
    vocab_size: int


def make_corpus(
    rng: np.random.Generator,
    vocab_size: int = 120,
    n_pairs: int = 8,
    n_sentences: int = 6000,
    planted_share: float = 0.5,
) -> Corpus:
    """Three-word sentences: planted ``(c0, s, c1)`` with ``s`` one of a synonym pair, or noise.

    Synonym pair ``k`` is ``(20 + 2k, 21 + 2k)``; its context words are ``(20 + 2n + 2k,
    21 + 2n + 2k)`` (``n = n_pairs``), used by that pair only. Noise sentences are three words
    drawn from ``P(c) ~ 1 / (c + 1)`` over the words that are neither synonyms nor contexts. Each
    sentence gives the pairs of adjacent words, both ways.
    """
    special = set(range(20, 20 + 4 * n_pairs))
    if vocab_size <= 20 + 4 * n_pairs:
        raise ValueError(f"vocab_size must exceed {20 + 4 * n_pairs}")
    synonyms = [(20 + 2 * k, 21 + 2 * k) for k in range(n_pairs)]
    contexts = [(20 + 2 * n_pairs + 2 * k, 21 + 2 * n_pairs + 2 * k) for k in range(n_pairs)]
    noise_words = np.array([w for w in range(vocab_size) if w not in special])
    p = 1.0 / (noise_words + 1.0)
    p /= p.sum()
    sentences = np.empty((n_sentences, 3), np.int64)
    planted = rng.random(n_sentences) < planted_share
    k = rng.integers(0, n_pairs, n_sentences)
    which = rng.integers(0, 2, n_sentences)
    syn = np.array(synonyms)[k, which]
    ctx = np.array(contexts)[k]
    sentences[planted] = np.stack([ctx[:, 0], syn, ctx[:, 1]], axis=1)[planted]
    sentences[~planted] = rng.choice(noise_words, size=(int((~planted).sum()), 3), p=p)
    left, right = sentences[:, :2].ravel(), sentences[:, 1:].ravel()
    return Corpus(
        centers=np.concatenate([left, right]),
        contexts=np.concatenate([right, left]),
        synonyms=synonyms,
        vocab_size=vocab_size,
    )


def train(
    corpus: Corpus,
    rng: np.random.Generator,
    dim: int = 16,
    epochs: int = 4,
    batch: int = 256,
    num_sampled: int = 8,
    lr: float = 0.5,
    log: bool = False,
) -> tuple[np.ndarray, list[float]]:
    """Skip-gram with NCE, Adagrad; returns the input embeddings and the mean loss per epoch."""
    v = corpus.vocab_size
    emb = nf.Variable(rng.uniform(-0.5, 0.5, (v, dim)) / dim, requires_grad=True)
    out_w = nf.Variable(np.zeros((v, dim)), requires_grad=True)
    out_b = nf.Variable(np.zeros(v), requires_grad=True)
    params = [emb, out_w, out_b]
    acc = [np.full(p.data.shape, 1e-8) for p in params]
    history = []
    n = corpus.centers.size
    for epoch in range(epochs):
        order = rng.permutation(n)
        total = 0.0
        for start in range(0, n, batch):
            sel = order[start : start + batch]
            x = nf.embedding_lookup(emb, corpus.centers[sel])
            labels = corpus.contexts[sel][:, None]
            loss = nf.sum(nf.nce_loss(out_w, out_b, x, labels, num_sampled, v, seed=rng))
            loss = loss * (1.0 / sel.size)
            for p in params:
                p.grad = None
            loss.backward()
            for p, a in zip(params, acc, strict=True):
                a += p.grad * p.grad
                p.data -= lr * p.grad / np.sqrt(a)
            total += float(loss.data) * sel.size
        history.append(total / n)
        if log:
            print(f"epoch {epoch + 1}: mean NCE loss {history[-1]:.4f}")
    return emb.data, history


def nearest_neighbours(emb: np.ndarray, words: list[int]) -> list[int]:
    """The nearest other word (cosine similarity) of each word."""
    unit = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    out = []
    for w in words:
        sim = unit @ unit[w]
        sim[w] = -np.inf
        out.append(int(np.argmax(sim)))
    return out


def planted_recall(emb: np.ndarray, synonyms: list[tuple[int, int]]) -> float:
    """Share of planted words whose nearest neighbour is their synonym."""
    words = [w for pair in synonyms for w in pair]
    partner = dict(synonyms) | {b: a for a, b in synonyms}
    nn = nearest_neighbours(emb, words)
    return float(np.mean([partner[w] == m for w, m in zip(words, nn, strict=True)]))


def main(argv: list[str] | None = None) -> int:
    """Train on the synthetic corpus and print the planted words' nearest neighbours."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    corpus = make_corpus(rng)
    t0 = time.perf_counter()
    emb, _ = train(corpus, rng, epochs=args.epochs, log=True)
    print(f"trained in {time.perf_counter() - t0:.1f} s")
    words = [w for pair in corpus.synonyms for w in pair]
    for w, m in zip(words, nearest_neighbours(emb, words), strict=True):
        print(f"word {w:3d}: nearest {m:3d}")
    print(f"planted neighbours recovered: {planted_recall(emb, corpus.synonyms):.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
