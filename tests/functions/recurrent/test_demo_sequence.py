"""The sequence demo: ``python -m nnfunc demo --model lstm`` (an LSTM reading the digits as 8
rows of 8 pixels) is wired into the CLI, and its default run reaches the stated accuracy."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnfunc._cli.demo import MODELS, load_digits_split, softmax_cross_entropy, train
from nnfunc.testing.gradient_check import check_backward

SRC = Path(__file__).resolve().parents[3] / "src"


def test_cli_runs_the_lstm_demo():
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nnfunc",
            "demo",
            "--model",
            "lstm",
            "--epochs",
            "1",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC), "PATH": ""},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "model 'lstm'" in proc.stdout
    assert "final test accuracy" in proc.stdout


def test_lstm_demo_reaches_95_percent():
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    result = train(MODELS["lstm"], load_digits_split(seed=0), progress=False, log=lambda s: None)
    assert result["test_accuracy"] >= 0.95, result  # 96.2% with the defaults (20 epochs, seed 0)


def test_lstm_model_gradients_match_central_differences():
    rng = np.random.default_rng(1)
    params = MODELS["lstm"].init(rng, 16, 3, hidden=3)
    names = sorted(params)
    x = rng.normal(size=(2, 16))
    labels = np.array([1, 2])

    def loss(*arrays):
        return softmax_cross_entropy(MODELS["lstm"].forward(dict(zip(names, arrays)), x), labels)

    arrays = [params[n].data.astype(np.float64) for n in names]
    check_backward(loss, arrays, tuple(range(len(arrays))), rng)
