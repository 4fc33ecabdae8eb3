"""``python -m nnfunc demo``: train a small classifier on scikit-learn's digits, with nnfunc.

Everything the network computes goes through nnfunc functions on :class:`nnfunc.Variable`\\ s:
the forward pass, the loss and (through ``backward()``) the gradients. Only the parameter update
is plain NumPy on ``.data`` and ``.grad``.

The model is a pair of functions (``init(rng, n_features, n_classes)`` -> parameters,
``forward(params, x)`` -> logits) registered in :data:`MODELS`; adding another architecture means
adding one entry there.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import nnfunc as nf

__all__ = [
    "MODELS",
    "Model",
    "accuracy",
    "add_parser",
    "init_mlp",
    "load_digits_split",
    "mlp",
    "run",
    "softmax_cross_entropy",
    "train",
]

Params = dict[str, nf.Variable]


# ---------------------------------------------------------------------------------- the model
def init_mlp(
    rng: np.random.Generator, n_features: int, n_classes: int, hidden: int = 128
) -> Params:
    """Parameters of a two-layer perceptron (He-initialised weights, zero biases)."""

    def weight(fan_in: int, fan_out: int) -> nf.Variable:
        w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)).astype(np.float32)
        return nf.Variable(w, requires_grad=True)

    def bias(size: int) -> nf.Variable:
        return nf.Variable(np.zeros(size, np.float32), requires_grad=True)

    return {
        "w1": weight(n_features, hidden),
        "b1": bias(hidden),
        "w2": weight(hidden, n_classes),
        "b2": bias(n_classes),
    }


def mlp(params: Params, x: Any) -> Any:
    """Logits of the two-layer perceptron: ``relu(x @ w1 + b1) @ w2 + b2``."""
    h = nf.relu(nf.add(nf.matmul(x, params["w1"]), params["b1"]))
    return nf.add(nf.matmul(h, params["w2"]), params["b2"])


class Model(NamedTuple):
    """A model the demo can train: how to make its parameters, how to compute its logits."""

    init: Callable[[np.random.Generator, int, int], Params]
    forward: Callable[[Params, Any], Any]


MODELS: dict[str, Model] = {"mlp": Model(init_mlp, mlp)}


# ---------------------------------------------------------------------------------- the loss
def softmax_cross_entropy(logits: Any, labels: np.ndarray) -> Any:
    """Mean cross-entropy of softmax(logits) against integer labels, from nnfunc primitives.

    ``log softmax(z) = z - m - log(sum(exp(z - m)))`` for any constant ``m``; taking ``m`` as the
    row maximum keeps ``exp`` from overflowing. ``m`` is computed on the plain array: the loss does
    not depend on it, so no gradient has to flow through it.
    """
    shift = np.max(np.asarray(logits), axis=1, keepdims=True)
    z = nf.sub(logits, shift)
    log_probs = nf.sub(z, nf.log(nf.sum(nf.exp(z), axis=1, keepdims=True)))
    picked = log_probs[np.arange(labels.shape[0]), labels]
    return nf.neg(nf.mean(picked))


def accuracy(logits: Any, labels: np.ndarray) -> float:
    """Fraction of rows whose largest logit is at the label."""
    return float(np.mean(np.argmax(np.asarray(logits), axis=1) == labels))


# ---------------------------------------------------------------------------------- the data
def load_digits_split(seed: int = 0, test_fraction: float = 0.25) -> tuple[np.ndarray, ...]:
    """Digits (8x8 images, 10 classes) split into standardised float32 train and test sets."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y
    )
    # Statistics of the training set only; constant pixels (always 0) keep a scale of 1.
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[std == 0] = 1.0
    x_train = ((x_train - mean) / std).astype(np.float32)
    x_test = ((x_test - mean) / std).astype(np.float32)
    return x_train, x_test, y_train.astype(np.int64), y_test.astype(np.int64)


# ---------------------------------------------------------------------------------- training
def train(
    model: Model,
    data: tuple[np.ndarray, ...],
    *,
    epochs: int = 20,
    batch_size: int = 32,
    lr: float = 0.05,
    momentum: float = 0.9,
    seed: int = 0,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, float]:
    """Train ``model`` with minibatch SGD with momentum; return the final figures."""
    from tqdm import tqdm

    x_train, x_test, y_train, y_test = data
    rng = np.random.default_rng(seed)
    params = model.init(rng, x_train.shape[1], int(y_train.max()) + 1)
    velocity = {k: np.zeros_like(p.data) for k, p in params.items()}
    n_batches = -(-x_train.shape[0] // batch_size)
    loss_value = float("nan")

    for epoch in range(1, epochs + 1):
        order = rng.permutation(x_train.shape[0])
        losses = []
        bar = tqdm(
            range(n_batches),
            desc=f"epoch {epoch}/{epochs}",
            unit="batch",
            leave=False,
            disable=not progress,
        )
        for b in bar:
            idx = order[b * batch_size : (b + 1) * batch_size]
            loss = softmax_cross_entropy(model.forward(params, x_train[idx]), y_train[idx])
            loss.backward()
            for k, p in params.items():
                velocity[k] = momentum * velocity[k] - lr * p.grad
                p.data += velocity[k]
                p.zero_grad()
            losses.append(float(loss.data))
            bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
        loss_value = float(np.mean(losses))

        # Evaluation needs no tape: the same model runs on plain arrays.
        arrays = {k: p.data for k, p in params.items()}
        train_acc = accuracy(model.forward(arrays, x_train), y_train)
        test_acc = accuracy(model.forward(arrays, x_test), y_test)
        log(
            f"epoch {epoch:>3}/{epochs}  loss {loss_value:.4f}  "
            f"train accuracy {100 * train_acc:6.2f}%  test accuracy {100 * test_acc:6.2f}%"
        )
    arrays = {k: p.data for k, p in params.items()}
    return {
        "loss": loss_value,
        "train_accuracy": accuracy(model.forward(arrays, x_train), y_train),
        "test_accuracy": accuracy(model.forward(arrays, x_test), y_test),
    }


def run(args: Any) -> int:
    """Load the data, train, and print the final test accuracy."""
    from tqdm import tqdm

    start = time.perf_counter()
    data = load_digits_split(seed=args.seed)
    x_train, x_test = data[0], data[1]
    print(
        f"digits: {x_train.shape[0]} training and {x_test.shape[0]} test images of "
        f"{x_train.shape[1]} pixels, model {args.model!r}"
    )
    result = train(
        MODELS[args.model],
        data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        momentum=args.momentum,
        seed=args.seed,
        progress=not args.no_progress,
        log=tqdm.write,
    )
    elapsed = time.perf_counter() - start
    print(
        f"final test accuracy: {100 * result['test_accuracy']:.2f}% "
        f"({x_test.shape[0]} images, {elapsed:.1f} s)"
    )
    return 0


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``demo`` subcommand."""
    p = subparsers.add_parser(
        "demo",
        help="train a small network written with nnfunc on scikit-learn's digits",
        description=(
            "Train a classifier written with nnfunc functions on scikit-learn's bundled digits "
            "data set (needs the demo extra: pip install 'nnfunc[demo]')."
        ),
    )
    p.add_argument("--model", choices=sorted(MODELS), default="mlp", help="architecture")
    p.add_argument("--epochs", type=_positive_int, default=20, help="passes over the data")
    p.add_argument("--batch-size", type=_positive_int, default=32, help="minibatch size")
    p.add_argument("--lr", type=float, default=0.05, help="learning rate")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and the training")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.set_defaults(run=run)
    return p
