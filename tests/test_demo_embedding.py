"""The word-embedding demo: skip-gram with NCE finds the planted neighbours."""

import numpy as np

from nnfunc._cli import demo_embedding as demo


def test_skipgram_with_nce_recovers_planted_neighbours():
    rng = np.random.default_rng(0)
    corpus = demo.make_corpus(rng)
    untrained = rng.uniform(-0.5, 0.5, (corpus.vocab_size, 16))
    assert demo.planted_recall(untrained, corpus.synonyms) < 0.3  # the task is not trivial
    emb, history = demo.train(corpus, rng, epochs=3)
    assert history[-1] < history[0] / 2  # the NCE loss falls
    assert demo.planted_recall(emb, corpus.synonyms) == 1.0


def test_main_prints_the_neighbours(capsys):
    assert demo.main(["--epochs", "1", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "planted neighbours recovered:" in out and "word  20: nearest" in out
