import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def max_ref(x, axes):
    """Values and first indices over the flattened reduced axes, by explicit loops."""
    axes = tuple(range(x.ndim)) if axes is None else tuple(np.atleast_1d(axes) % x.ndim)
    kept = [a for a in range(x.ndim) if a not in axes]
    xt = np.transpose(x.astype(np.float64), kept + sorted(axes))
    flat = xt.reshape(xt.shape[: len(kept)] + (-1,))
    vals = np.empty(flat.shape[:-1])
    idx = np.empty(flat.shape[:-1], np.int64)
    for pos in np.ndindex(flat.shape[:-1]):
        row = flat[pos]
        best = 0
        for j in range(1, len(row)):
            if row[j] > row[best]:
                best = j
        vals[pos], idx[pos] = row[best], best
    return vals, idx


def _keep(a, x, axes, keepdims):
    if not keepdims:
        return a
    axes = tuple(range(x.ndim)) if axes is None else tuple(np.atleast_1d(axes) % x.ndim)
    return a.reshape([1 if i in axes else d for i, d in enumerate(x.shape)])


@parametrize_class(
    axis=[None, 1, (0, 2), -1],
    keepdims=[False, True],
    mode=["values", "with_index", "only_index"],
    dtype=["float16", "float32", "float64"],
)
class TestMax(FunctionTestCase):
    function = staticmethod(nf.max)
    symbolic_dims = ()

    @property
    def differentiable(self):
        return self.mode != "only_index"

    def inputs(self, rng):
        # Distinct values (a permutation) keep the gradient away from ties.
        return ((rng.permutation(24).reshape(2, 3, 4) / 4.0).astype(self.dtype),)

    def kwargs(self):
        return {
            "axis": self.axis,
            "keepdims": self.keepdims,
            "with_index": self.mode == "with_index",
            "only_index": self.mode == "only_index",
        }

    def expected(self, x):
        vals, idx = max_ref(x, self.axis)
        vals = _keep(vals, x, self.axis, self.keepdims).astype(x.dtype)
        idx = _keep(idx, x, self.axis, self.keepdims)
        if self.mode == "values":
            return (vals,)
        return (vals, idx) if self.mode == "with_index" else (idx,)


class TestMaxInteger(FunctionTestCase):
    function = staticmethod(nf.max)

    def inputs(self, rng):
        return (rng.integers(-9, 9, (3, 5)).astype(np.int32),)

    def kwargs(self):
        return {"axis": 1, "with_index": True}

    def expected(self, x):
        vals, idx = max_ref(x, 1)
        return (vals.astype(np.int32), idx)


def test_max_ties_go_to_the_lowest_index():
    x = nf.Variable(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]) * (1), requires_grad=True)
    values, index = nf.max(x, axis=1, with_index=True)
    np.testing.assert_array_equal(index.data, [1, 0])
    nf.sum(values).backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


def test_max_matches_numpy_argmax_example():
    x = np.random.default_rng(0).random((2, 3, 4))
    np.testing.assert_array_equal(nf.max(x, axis=1, only_index=True), np.argmax(x, axis=1))


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((2, 3)),),
            {"axis": 3},
            nf.ShapeError,
            "max: `axis` must be in [-2, 2) for an input of rank 2; received axis=3.",
        ),
        (
            (np.ones((2, 0)),),
            {"axis": 1},
            nf.ShapeError,
            "max: `x` must not be empty along the reduced axes; received x.shape=(2, 0), axis=1.",
        ),
    ],
)
def test_max_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.max, inputs, kwargs, exc, message)


def test_max_flag_errors():
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape("max: `with_index` must be a bool; received with_index='yes'."),
    ):
        nf.max(np.ones(3), with_index="yes")
