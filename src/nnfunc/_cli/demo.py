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
import math
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

import nnfunc as nf
from nnfunc._cli import demo_distributed
from nnfunc._cli.demo_sequence import init_lstm, lstm_classifier

__all__ = [
    "MODELS",
    "Model",
    "accuracy",
    "add_parser",
    "augment_batch",
    "cnn",
    "init_cnn",
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


def init_cnn(
    rng: np.random.Generator, n_features: int, n_classes: int, channels: tuple[int, int] = (16, 32)
) -> Params:
    """Parameters of a small convolutional network for square single-channel images."""
    side = math.isqrt(n_features)
    c1, c2 = channels

    def he(shape: tuple[int, ...], fan_in: int) -> nf.Variable:
        w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape).astype(np.float32)
        return nf.Variable(w, requires_grad=True)

    def zeros(size: int) -> nf.Variable:
        return nf.Variable(np.zeros(size, np.float32), requires_grad=True)

    flat = c2 * (side // 4) ** 2
    return {
        "conv1": he((c1, 1, 3, 3), 9),  # (out_channels, in_channels, kh, kw)
        "bias1": zeros(c1),
        "conv2": he((c2, c1, 3, 3), 9 * c1),
        "bias2": zeros(c2),
        "dense": he((flat, n_classes), flat),  # (in_features, out_features), as nf.linear
        "bias3": zeros(n_classes),
    }


def cnn(params: Params, x: Any) -> Any:
    """Logits of conv(3x3) -> relu -> max_pool(2) -> conv(3x3) -> relu -> max_pool(2) -> linear."""
    side = math.isqrt(x.shape[1])
    h = nf.reshape(x, (-1, 1, side, side))  # (N, C=1, H, W): channels first
    h = nf.max_pool(nf.relu(nf.conv(h, params["conv1"], params["bias1"], pad=1)), 2)
    h = nf.max_pool(nf.relu(nf.conv(h, params["conv2"], params["bias2"], pad=1)), 2)
    h = nf.reshape(h, (-1, int(np.prod(h.shape[1:]))))  # any batch, also a graph's None
    return nf.linear(h, params["dense"], params["bias3"])


class Model(NamedTuple):
    """A model the demo can train: how to make its parameters, how to compute its logits."""

    init: Callable[[np.random.Generator, int, int], Params]
    forward: Callable[[Params, Any], Any]


MODELS: dict[str, Model] = {
    "cnn": Model(init_cnn, cnn),
    "mlp": Model(init_mlp, mlp),
    "lstm": Model(init_lstm, lstm_classifier),
}


# ---------------------------------------------------------------------------------- the loss
def softmax_cross_entropy(logits: Any, labels: np.ndarray) -> Any:
    """Mean cross-entropy of softmax(logits) against integer labels (the canonical, stable form)."""
    return nf.mean(nf.sparse_softmax_cross_entropy_with_logits(logits, labels))


def accuracy(logits: Any, labels: np.ndarray) -> float:
    """Fraction of rows whose largest logit is at the label."""
    return float(np.mean(np.argmax(np.asarray(logits), axis=1) == labels))


# ---------------------------------------------------------------------------------- the data
def load_digits_split(seed: int = 0, test_fraction: float = 0.25) -> tuple[np.ndarray, ...]:
    """Digits (8x8 images, 10 classes) split into float32 train and test sets.

    Pixels (0..16) are mapped to [-0.5, 0.5] with one global scale: unlike a per-pixel
    standardisation, this keeps the images' spatial structure, which the CNN relies on.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y
    )
    x_train = (x_train / 16.0 - 0.5).astype(np.float32)
    x_test = (x_test / 16.0 - 0.5).astype(np.float32)
    return x_train, x_test, y_train.astype(np.int64), y_test.astype(np.int64)


# ---------------------------------------------------------------------------------- augmentation
AUGMENTATIONS = ("shift", "flip", "shift+flip")


def augment_batch(x: np.ndarray, kind: str, seed: int) -> np.ndarray:
    """A training minibatch of flattened square images, each shifted by up to one pixel in each
    direction (edge repeated: ``nf.random_shift``) and/or mirrored left-right with probability
    1/2 (``nf.random_flip``); one draw per image, reproducible from ``seed``."""
    side = math.isqrt(x.shape[1])
    images = x.reshape(-1, side, side)
    if "shift" in kind:
        images = nf.random_shift(images, (1, 1), border_mode="nearest", seed=seed)
    if "flip" in kind:
        images = nf.random_flip(images, axes=(2,), seed=seed + 1)
    return np.asarray(images).reshape(x.shape)


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
    augment: str | None = None,
) -> dict[str, float]:
    """Train ``model`` with minibatch SGD with momentum; return the final figures.

    ``augment`` (one of :data:`AUGMENTATIONS`) augments every training minibatch with
    :func:`augment_batch`; evaluation always sees the original images."""
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
            xb = x_train[idx]
            if augment:
                xb = augment_batch(xb, augment, int(rng.integers(2**31)))
            loss = softmax_cross_entropy(model.forward(params, xb), y_train[idx])
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
        "params": arrays,
    }


def model_graph(model: Model, params: dict[str, np.ndarray], n_features: int) -> nf.Graph:
    """The trained network as a graph: placeholder ``x`` (any batch), parameters, ``logits``."""
    graph = nf.Graph("digits")
    x = graph.placeholder("x", (None, n_features), np.float32)
    weights = {k: graph.parameter(k, v) for k, v in params.items()}
    logits = model.forward(weights, x)
    nf.identity(logits, name="logits")
    return graph


def training_options(args: Any) -> dict[str, Any]:
    """The command line's training options, as keyword arguments of :func:`train` (and of
    the distributed demo's trainer)."""
    return {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "momentum": args.momentum,
        "seed": args.seed,
    }


def run(args: Any) -> int:
    """Load the data, train, and print the final test accuracy."""
    if getattr(args, "distributed", False):
        return demo_distributed.run_distributed(args)
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
        **training_options(args),
        progress=not args.no_progress,
        log=tqdm.write,
        augment=getattr(args, "augment", None),
    )
    elapsed = time.perf_counter() - start
    print(
        f"final test accuracy: {100 * result['test_accuracy']:.2f}% "
        f"({x_test.shape[0]} images, {elapsed:.1f} s)"
    )
    if args.save or args.onnx:
        graph = model_graph(MODELS[args.model], result["params"], x_train.shape[1])
        if args.save:
            graph.save(args.save)
            print(f"saved the trained network to {args.save} (nnfunc.load_graph reads it)")
        if args.onnx:
            graph.export_onnx(args.onnx, "logits")
            print(f"exported the trained network to {args.onnx} (ONNX; input 'x', output 'logits')")
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
    p.add_argument("--model", choices=sorted(MODELS), default="cnn", help="architecture")
    p.add_argument("--epochs", type=_positive_int, default=20, help="passes over the data")
    p.add_argument("--batch-size", type=_positive_int, default=32, help="minibatch size")
    p.add_argument("--lr", type=float, default=0.05, help="learning rate")
    p.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and the training")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.add_argument("--save", default=None, help="write the trained network as an nnfunc graph file")
    p.add_argument("--onnx", default=None, help="export the trained network as an ONNX model")
    p.add_argument(
        "--distributed",
        action="store_true",
        help=(
            "train the CNN with synchronized batch norm data-parallel over MPI: "
            "mpiexec -n 2 python -m nnfunc demo --distributed (needs the mpi extra)"
        ),
    )
    p.add_argument(
        "--augment",
        nargs="?",
        const="shift",
        choices=AUGMENTATIONS,
        default=None,
        help="augment training batches: random shifts of +-1 pixel (default when given), "
        "random left-right flips, or both",
    )
    p.set_defaults(run=run)
    return p
