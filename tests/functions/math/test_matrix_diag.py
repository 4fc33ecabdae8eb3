import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(shape=[(3,), (2, 4)], dtype=["float16", "float32", "float64", "int32"])
class TestMatrixDiag(FunctionTestCase):
    function = staticmethod(nf.matrix_diag)

    def inputs(self, rng):
        return ((rng.uniform(-3, 3, self.shape) * 2).astype(self.dtype),)

    def expected(self, x):
        n = x.shape[-1]
        out = np.zeros(x.shape + (n,), x.dtype)
        for pos in np.ndindex(x.shape[:-1]):
            for i in range(n):
                out[pos + (i, i)] = x[pos + (i,)]
        return (out,)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones(()),),
            {},
            nf.ShapeError,
            "matrix_diag: `x` must have rank >= 1; received x.shape=().",
        )
    ],
)
def test_matrix_diag_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.matrix_diag, inputs, kwargs, exc, message)
