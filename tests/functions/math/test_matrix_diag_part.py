import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(shape=[(3, 3), (2, 4, 4)], dtype=["float16", "float32", "float64", "int32"])
class TestMatrixDiagPart(FunctionTestCase):
    function = staticmethod(nf.matrix_diag_part)

    def inputs(self, rng):
        return ((rng.uniform(-3, 3, self.shape) * 2).astype(self.dtype),)

    def expected(self, x):
        n = x.shape[-1]
        out = np.zeros(x.shape[:-1], x.dtype)
        for pos in np.ndindex(x.shape[:-2]):
            for i in range(n):
                out[pos + (i,)] = x[pos + (i, i)]
        return (out,)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones(3),),
            {},
            nf.ShapeError,
            "matrix_diag_part: `x` must have rank >= 2; received x.shape=(3,).",
        ),
        (
            (np.ones((2, 3)),),
            {},
            nf.ShapeError,
            "matrix_diag_part: `x` must have square trailing matrices; received x.shape=(2, 3).",
        ),
    ],
)
def test_matrix_diag_part_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.matrix_diag_part, inputs, kwargs, exc, message)
