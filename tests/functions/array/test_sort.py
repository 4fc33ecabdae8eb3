import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def sort_ref(x, axis, reverse):
    """Stable selection by explicit comparison (ties: lower index first)."""
    xm = np.moveaxis(x, axis, -1)
    vals = np.empty_like(xm)
    idx = np.empty(xm.shape, np.int64)
    for pos in np.ndindex(xm.shape[:-1]):
        row = xm[pos].tolist()
        order = sorted(range(len(row)), key=lambda i: (-row[i] if reverse else row[i], i))
        vals[pos] = [row[i] for i in order]
        idx[pos] = order
    return np.moveaxis(vals, -1, axis), np.moveaxis(idx, -1, axis)


@parametrize_class(
    axis=[-1, 0, 1],
    reverse=[False, True],
    mode=["values", "with_index", "only_index"],
    dtype=["float32", "float64"],
)
class TestSort(FunctionTestCase):
    function = staticmethod(nf.sort)
    symbolic_dims = ()

    @property
    def differentiable(self):
        return self.mode != "only_index"

    def inputs(self, rng):
        return ((rng.permutation(24).reshape(2, 3, 4) / 3.0).astype(self.dtype),)

    def kwargs(self):
        return {
            "axis": self.axis,
            "reverse": self.reverse,
            "with_index": self.mode == "with_index",
            "only_index": self.mode == "only_index",
        }

    def expected(self, x):
        vals, idx = sort_ref(x, self.axis % 3, self.reverse)
        if self.mode == "values":
            return (vals,)
        return (vals, idx) if self.mode == "with_index" else (idx,)


def test_sort_ties_are_stable_in_both_directions():
    x = np.array([2, 1, 2, 1])
    np.testing.assert_array_equal(nf.sort(x, only_index=True), [1, 3, 0, 2])
    np.testing.assert_array_equal(nf.sort(x, reverse=True, only_index=True), [0, 2, 1, 3])


def test_sort_nnabla_example():
    x = np.random.default_rng(0).random((2, 3, 4))
    values, indices = nf.sort(x, with_index=True)
    np.testing.assert_array_equal(values, np.sort(x))
    np.testing.assert_array_equal(indices, np.argsort(x))


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.sort(np.ones((2, 3)), axis=2),
            nf.ShapeError,
            "sort: `axis` must be in [-2, 2) for an input of rank 2; received axis=2.",
        ),
        (
            lambda: nf.sort(
                np.ones(()),
            ),
            nf.ShapeError,
            "sort: `x` must have rank >= 1; received x.shape=().",
        ),
        (
            lambda: nf.sort(np.ones(3), reverse=None),
            nf.ArgumentError,
            "sort: `reverse` must be a bool; received reverse=None.",
        ),
    ],
)
def test_sort_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
