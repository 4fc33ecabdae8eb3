import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def det_ref(x):
    """Laplace expansion along the first row (float64)."""

    def det(m):
        if len(m) == 1:
            return m[0][0]
        return sum(
            (-1) ** j * m[0][j] * det([row[:j] + row[j + 1 :] for row in m[1:]])
            for j in range(len(m))
        )

    out = np.empty(x.shape[:-2])
    for pos in np.ndindex(x.shape[:-2]):
        out[pos] = det(x[pos].astype(np.float64).tolist())
    return out


@parametrize_class(shape=[(1, 2, 2), (3, 3, 3), (2, 2, 4, 4)], dtype=["float32", "float64"])
class TestBatchDet(FunctionTestCase):
    function = staticmethod(nf.batch_det)
    tolerances = {"float32": {"atol": 1e-5, "rtol": 1e-4}}  # noqa: RUF012

    def inputs(self, rng):
        n = self.shape[-1]
        return ((rng.uniform(-0.5, 0.5, self.shape) + 1.5 * np.eye(n)).astype(self.dtype),)

    def expected(self, x):
        return (det_ref(x).astype(x.dtype),)


def test_batch_det_integer_input_gives_float32():
    out = nf.batch_det(np.array([[[2, 1], [1, 3]]]))
    assert out.dtype == np.float32 and float(out[0]) == pytest.approx(5.0)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((2, 3)),),
            {},
            nf.ShapeError,
            "batch_det: `x` must hold square matrices (..., N, N); received x.shape=(2, 3).",
        ),
    ],
)
def test_batch_det_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.batch_det, inputs, kwargs, exc, message)
