"""The sequence model of ``python -m nnfunc demo --model lstm``: an LSTM reads each 8x8 digit
as a sequence of 8 rows of 8 pixels, and a linear layer classifies its last output.

Registered in :data:`nnfunc._cli.demo.MODELS` next to the MLP and the CNN, with the same
interface (``init(rng, n_features, n_classes)`` -> parameters, ``forward(params, x)`` -> logits);
``tests/test_demo_sequence.py`` trains it and checks the accuracy it reaches.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nnfunc as nf

__all__ = ["init_lstm", "lstm_classifier"]


def init_lstm(
    rng: np.random.Generator, n_features: int, n_classes: int, hidden: int = 64
) -> dict[str, nf.Variable]:
    """Parameters: LSTM weights (uniform +-1/sqrt(hidden), forget bias 1) and a dense layer."""
    side = math.isqrt(n_features)
    s = 1.0 / math.sqrt(hidden)

    def var(a: np.ndarray) -> nf.Variable:
        return nf.Variable(a.astype(np.float32), requires_grad=True)

    b = np.zeros(4 * hidden)
    b[hidden : 2 * hidden] = 1.0  # gate order i, f, g, o: start by remembering
    return {
        "w_x": var(rng.uniform(-s, s, (side, 4 * hidden))),
        "w_h": var(rng.uniform(-s, s, (hidden, 4 * hidden))),
        "b": var(b),
        "dense": var(rng.normal(0.0, math.sqrt(1.0 / hidden), (hidden, n_classes))),
        "bias": var(np.zeros(n_classes)),
    }


def lstm_classifier(params: dict[str, Any], x: Any) -> Any:
    """Logits: ``linear(lstm(rows of x).h_n)``; ``x`` is ``(N, side*side)`` pixels."""
    n_in = params["w_x"].shape[0]
    seq = nf.reshape(x, (-1, n_in, n_in))  # (N, T=rows, features=pixels of a row)
    _, h, _ = nf.lstm(seq, params["w_x"], params["w_h"], params["b"], layout="BTF")
    return nf.linear(nf.getitem(h, (0, 0)), params["dense"], params["bias"])
