import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.kernels.cpu.top_k import top_k_indices_numba, top_k_indices_numpy
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def top_k_ref(x, k):
    """Sort every row by (value descending, index ascending) with plain Python."""
    flat = x.reshape(-1, x.shape[-1])
    idx = np.array(
        [sorted(range(len(r)), key=lambda j, r=r: (-float(r[j]), j))[:k] for r in flat], np.int64
    ).reshape(x.shape[:-1] + (k,))
    return np.take_along_axis(x, idx, -1), idx


@parametrize_class(dtype=["float16", "float32", "float64"], shape=[(6,), (3, 7)], k=[1, 3])
class TestTopK(FunctionTestCase):
    function = staticmethod(nf.top_k)
    symbolic_dims = ()

    def inputs(self, rng):
        n = int(np.prod(self.shape))
        # distinct values: the gradient check must not straddle a tie
        return ((rng.permutation(n) * 0.5 - 2).reshape(self.shape).astype(self.dtype),)

    def kwargs(self):
        return {"k": self.k}

    def expected(self, x):
        return top_k_ref(x, self.k)


class TestTopKUnsorted(FunctionTestCase):
    function = staticmethod(nf.top_k)

    def inputs(self, rng):
        return (rng.permutation(20).reshape(4, 5).astype(np.float64),)

    def kwargs(self):
        return {"k": 2, "sorted": False}

    def expected(self, x):
        v, i = top_k_ref(x, 2)
        order = np.argsort(i, axis=-1)
        return np.take_along_axis(v, order, -1), np.take_along_axis(i, order, -1)


def test_ties_go_to_the_lower_index():
    x = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    values, indices = nf.top_k(x, k=2)
    np.testing.assert_array_equal(indices, [[1, 2], [0, 1]])
    np.testing.assert_array_equal(values, [[3.0, 3.0], [0.0, 0.0]])
    assert indices.dtype == np.int64


@pytest.mark.parametrize("k", [0, 1, 3, 8, 40])
def test_numba_kernel_and_numpy_twin_agree(k):
    rng = np.random.default_rng(k)
    for x in (
        rng.integers(0, 4, (50, 40)).astype(np.float32),  # many ties
        rng.normal(size=(7, 40)),
        rng.integers(-3, 3, (5, 40)).astype(np.int64),
    ):
        a, b = top_k_indices_numpy(x, k), top_k_indices_numba(x, k)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, top_k_ref(x, k)[1])


def test_gradient_goes_to_the_selected_entries_only():
    x = nf.Variable(np.array([[1.0, 5.0, 3.0, 4.0]]), requires_grad=True)
    values, indices = nf.top_k(x, k=2)
    assert not indices.requires_grad
    nf.sum(values * np.array([[10.0, 1.0]])).backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 10.0, 0.0, 1.0]])


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.zeros((2, 3)),),
            {"k": 4},
            nf.ShapeError,
            "top_k: `input` must have a last dimension of at least k=4; "
            "received input.shape=(2, 3).",
        ),
        (
            (np.zeros((2, 3)),),
            {"k": -1},
            nf.ArgumentError,
            "top_k: `k` must be >= 0; received k=-1.",
        ),
        (
            (np.zeros(()),),
            {"k": 1},
            nf.ShapeError,
            "top_k: `input` must have rank >= 1; received input.shape=().",
        ),
        (
            (np.zeros(3),),
            {"k": 1.5},
            nf.ArgumentError,
            "top_k: `k` must be an integer; received k=1.5.",
        ),
    ],
)
def test_bad_inputs(inputs, kwargs, exc, message):
    if kwargs["k"] in (-1, 1.5):  # rejected before any graph node exists
        with pytest.raises(exc, match=re.escape(message)):
            nf.top_k(*inputs, **kwargs)
        return
    assert_raises_both_modes(nf.top_k, inputs, kwargs, exc, message)
