import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def sum_ref(x, axis, keepdims):
    return np.add.reduce(x.astype(np.float64), axis=axis, keepdims=keepdims)


@parametrize_class(
    axis=[None, 0, -1, (0, 2)], keepdims=[False, True], dtype=["float16", "float32", "float64"]
)
class TestSum(FunctionTestCase):
    function = staticmethod(nf.sum)
    symbolic_dims = (1,)

    def inputs(self, rng):
        return (rng.uniform(-2, 2, (2, 3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"axis": self.axis, "keepdims": self.keepdims}

    def expected(self, x):
        return (np.asarray(sum_ref(x, self.axis, self.keepdims)).astype(x.dtype),)


@parametrize_class(dtype=["int8", "uint8", "int32", "bool"])
class TestSumInteger(FunctionTestCase):
    """Integer sums are int64 (uint64 unsigned), as in NumPy: 200 int8 values do not wrap."""

    function = staticmethod(nf.sum)

    def inputs(self, rng):
        return (rng.integers(0, 2 if self.dtype == "bool" else 3, (3, 200)).astype(self.dtype),)

    def kwargs(self):
        return {"axis": 1}

    def expected(self, x):
        out = [int(sum(int(v) for v in row)) for row in x]
        return (np.array(out, np.uint64 if x.dtype.kind == "u" else np.int64),)


def test_sum_float16_accumulates_in_float32():
    x = np.full(4096, 1.0, np.float16)
    assert float(nf.sum(x)) == 4096.0
    # A float16 running sum stalls at 2048 (2048 + 1 rounds back to 2048).
    ones = nf.sum(np.ones(10000, np.float16))
    assert ones.dtype == np.float16 and float(ones) == 10000.0
    y = np.ones(2049, np.float16)
    y[0] = 2048.0
    assert float(nf.sum(y)) == 4096.0
    assert float(nf.sum(np.ones((2, 10000), np.float16), axis=1)[1]) == 10000.0
    m = nf.mean(y)
    assert m.dtype == np.float16 and m == np.float16(4096.0 / 2049.0)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((2, 3)),),
            {"axis": 2},
            nf.ShapeError,
            "sum: `axis` must be in [-2, 2) for an input of rank 2; received axis=2.",
        ),
        (
            (np.ones((2, 3)),),
            {"axis": (0, 0)},
            nf.ArgumentError,
            "sum: `axis` must not repeat an axis; received axis=(0, 0).",
        ),
        (
            (np.ones((2, 3)),),
            {"keepdims": 1},
            nf.ArgumentError,
            "sum: `keepdims` must be a bool; received keepdims=1.",
        ),
    ],
)
def test_sum_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.sum, inputs, kwargs, exc, message)


@pytest.mark.parametrize("fn", [nf.sum, nf.mean, nf.prod, nf.max, nf.min])
def test_reductions_reject_non_numeric_dtypes(fn):
    op = fn.__name__
    with pytest.raises(
        nf.DTypeError,
        match=re.escape(f"{op}: `x` must have a numeric dtype; received x.dtype=<U1."),
    ):
        fn(np.array(["a", "b"]))
