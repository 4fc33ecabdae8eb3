import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def inv_ref(x):
    """Gauss-Jordan elimination with partial pivoting, per matrix, in float64."""
    x = x.astype(np.float64)
    out = np.empty_like(x)
    n = x.shape[-1]
    for pos in np.ndindex(x.shape[:-2]):
        a = np.concatenate([x[pos], np.eye(n)], axis=1)
        for c in range(n):
            p = c + int(np.argmax(np.abs(a[c:, c])))
            a[[c, p]] = a[[p, c]]
            a[c] /= a[c, c]
            for r in range(n):
                if r != c:
                    a[r] -= a[r, c] * a[c]
        out[pos] = a[:, n:]
    return out


@parametrize_class(shape=[(1, 2, 2), (3, 3, 3), (2, 2, 4, 4)], dtype=["float32", "float64"])
class TestBatchInv(FunctionTestCase):
    function = staticmethod(nf.batch_inv)
    tolerances = {"float32": {"atol": 1e-5, "rtol": 1e-4}}  # noqa: RUF012

    def inputs(self, rng):
        n = self.shape[-1]
        return ((rng.uniform(-0.5, 0.5, self.shape) + 2 * np.eye(n)).astype(self.dtype),)

    def expected(self, x):
        return (inv_ref(x).astype(x.dtype),)


def test_batch_inv_singular_is_an_argument_error():
    x = np.stack([np.eye(2), np.ones((2, 2))])
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape(
            "batch_inv: `x` must hold invertible matrices; received x.shape=(2, 2, 2), "
            "singular_index=(1,)."
        ),
    ):
        nf.batch_inv(x)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones(3),),
            {},
            nf.ShapeError,
            "batch_inv: `x` must have rank >= 2; received x.shape=(3,).",
        ),
        (
            (np.ones((2, 2, 3)),),
            {},
            nf.ShapeError,
            "batch_inv: `x` must hold square matrices (..., N, N); received x.shape=(2, 2, 3).",
        ),
    ],
)
def test_batch_inv_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.batch_inv, inputs, kwargs, exc, message)
