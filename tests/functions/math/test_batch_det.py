import re

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


def test_batch_det_of_a_singular_matrix_is_zero_and_its_gradient_a_clear_error():
    x = nf.Variable(np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]]), True)
    y = nf.batch_det(x)
    np.testing.assert_allclose(y.data, [1.0, 0.0], atol=1e-12)
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape(
            "batch_det: `x` must hold invertible matrices for its gradient (X^-T det X); "
            "received x.shape=(2, 2, 2), singular_index=(1,)."
        ),
    ):
        nf.sum(y).backward()


def test_batch_det_and_inv_gradients_stable_for_a_well_conditioned_8x8():
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    a = q @ np.diag(np.linspace(1.0, 4.0, 8)) @ q.T  # condition number 4
    x = nf.Variable(a[None], requires_grad=True)
    (g_det,) = nf.grad(nf.batch_det(x)[0], x)
    np.testing.assert_allclose(g_det.data[0], np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-10)
    w = rng.standard_normal((8, 8))
    (g_inv,) = nf.grad(nf.sum(nf.batch_inv(x) * w[None]), x)
    inv = np.linalg.inv(a)
    np.testing.assert_allclose(g_inv.data[0], -inv.T @ w @ inv.T, rtol=1e-10, atol=1e-12)
