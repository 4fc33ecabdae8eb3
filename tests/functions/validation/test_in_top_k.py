import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def in_top_k_ref(p, t, k):
    out = np.zeros(len(t), bool)
    for i, (row, c) in enumerate(zip(p, t)):
        if not np.all(np.isfinite(row)):
            continue
        out[i] = sum(1 for v in row if v > row[c]) < k
    return out


@parametrize_class(k=[0, 1, 2, 5])
class TestInTopK(FunctionTestCase):
    function = staticmethod(nf.in_top_k)
    differentiable = False

    def inputs(self, rng):
        p = rng.integers(0, 3, (6, 4)).astype(np.float32)  # ties at the boundary
        return p, rng.integers(0, 4, 6).astype(np.int32)

    def kwargs(self):
        return {"k": self.k}

    def expected(self, p, t):
        return (in_top_k_ref(p, t, self.k),)


def test_ties_at_the_boundary_count_and_non_finite_rows_are_false():
    p = np.array([[0.1, 0.5, 0.5, 0.2], [0.1, 0.5, 0.5, 0.2], [np.nan, 1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(nf.in_top_k(p, np.array([2, 3, 1]), 1), [True, False, False])
    np.testing.assert_array_equal(nf.in_top_k(p, np.array([1, 3, 1]), 3), [True, True, False])


@pytest.mark.parametrize(
    "inputs, k, exc, message",
    [
        (
            (np.zeros((2, 3)), np.array([0, 3])),
            1,
            nf.ArgumentError,
            "in_top_k: `targets` must hold class indices in [0, 3); received targets[1]=3.",
        ),
        (
            (np.zeros((2, 3)), np.array([[0], [1]])),
            1,
            nf.ShapeError,
            "in_top_k: `targets` must have the shape of `predictions` without its last axis; "
            "received targets.shape=(2, 1), predictions.shape=(2, 3).",
        ),
        (
            (np.zeros((2, 3)), np.array([0, 1])),
            -2,
            nf.ArgumentError,
            "in_top_k: `k` must be >= 0; received k=-2.",
        ),
    ],
)
def test_bad_inputs(inputs, k, exc, message):
    if exc is nf.ShapeError:
        assert_raises_both_modes(nf.in_top_k, inputs, {"k": k}, exc, message)
    with pytest.raises(exc, match=re.escape(message)):
        nf.in_top_k(*inputs, k)
