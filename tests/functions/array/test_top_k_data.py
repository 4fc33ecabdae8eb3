import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def topk_ref(x, k, use_abs, reduce, base_axis):
    lead = x.shape[:base_axis]
    flat = x.reshape(lead + (-1,))
    red = np.empty(lead + (k,), x.dtype)
    full = np.zeros_like(flat)
    for pos in np.ndindex(lead):
        row = flat[pos].tolist()
        key = [abs(v) if use_abs else v for v in row]
        order = sorted(range(len(row)), key=lambda i: (-key[i], i))[:k]
        red[pos] = [row[i] for i in order]
        for i in order:
            full[pos + (i,)] = row[i]
    return red if reduce else full.reshape(x.shape)


@parametrize_class(
    k=[1, 3],
    use_abs=[False, True],
    reduce=[True, False],
    base_axis=[1, 2, -1],
    dtype=["float32", "float64"],
)
class TestTopKData(FunctionTestCase):
    function = staticmethod(nf.top_k_data)
    symbolic_dims = ()

    def inputs(self, rng):
        # Distinct values and distinct magnitudes: no ties at the top-k boundary.
        x = (rng.permutation(48) - 24.25).reshape(2, 4, 6) / 4.0
        return (x.astype(self.dtype),)

    def kwargs(self):
        return {
            "k": self.k,
            "abs": self.use_abs,
            "reduce": self.reduce,
            "base_axis": self.base_axis,
        }

    def expected(self, x):
        return (topk_ref(x, self.k, self.use_abs, self.reduce, self.base_axis % 3),)


def test_top_k_data_nnabla_shapes():
    x = np.zeros((4, 5, 6))
    assert nf.top_k_data(x, 3, reduce=False).shape == (4, 5, 6)
    assert nf.top_k_data(x, 3, reduce=True).shape == (4, 3)
    assert nf.top_k_data(x, 3, reduce=True, base_axis=2).shape == (4, 5, 3)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.top_k_data(np.ones((2, 3)), 4),
            nf.ArgumentError,
            "top_k_data: `k` must not exceed the sample size (the product of "
            "x.shape[base_axis:]); received k=4, x.shape=(2, 3), base_axis=1.",
        ),
        (
            lambda: nf.top_k_data(np.ones((2, 3)), 0),
            nf.ArgumentError,
            "top_k_data: `k` must be positive; received k=0.",
        ),
        (
            lambda: nf.top_k_data(np.ones((2, 3)), 1, base_axis=2),
            nf.ShapeError,
            "top_k_data: `base_axis` must be in [-2, 2) for an input of rank 2; received "
            "base_axis=2.",
        ),
    ],
)
def test_top_k_data_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


@pytest.mark.parametrize("use_abs", [False, True])
@pytest.mark.parametrize("k", [1, 2, 5, 30])
def test_top_k_data_ties_and_nan_go_by_lowest_position(k, use_abs):
    # Many ties at the k-th value (partition path for small k, full sort for large k), and a
    # row with NaN (the largest value, as in a descending sort).
    rng = np.random.default_rng(k)
    x = rng.integers(-3, 4, (3, 40)).astype(np.float64)
    x[2, 7] = np.nan
    for reduce in (True, False):
        out = nf.top_k_data(x, k, abs=use_abs, reduce=reduce)
        ref = topk_ref(x[:2], k, use_abs, reduce, 1)
        np.testing.assert_array_equal(out[:2], ref)
    assert np.isnan(nf.top_k_data(x, k)[2, 0])
