import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def prod_ref(x, axis, keepdims):
    return np.multiply.reduce(x.astype(np.float64), axis=axis, keepdims=keepdims)


@parametrize_class(
    axis=[None, 1, (0, 2)], keepdims=[False, True], dtype=["float16", "float32", "float64"]
)
class TestProd(FunctionTestCase):
    function = staticmethod(nf.prod)
    symbolic_dims = (0, 1)
    tolerances = {"float16": {"atol": 1e-2, "rtol": 1e-2}}  # noqa: RUF012

    def inputs(self, rng):
        return (
            (rng.uniform(0.5, 1.5, (2, 3, 4)) * rng.choice([-1, 1], (2, 3, 4))).astype(self.dtype),
        )

    def kwargs(self):
        return {"axis": self.axis, "keepdims": self.keepdims}

    def expected(self, x):
        return (np.asarray(prod_ref(x, self.axis, self.keepdims)).astype(x.dtype),)


class TestProdWithZeros(FunctionTestCase):
    """Rows with no, one, two and three zeros: the product is multilinear, so the central
    differences of the harness are exact there and check the first and second derivatives."""

    function = staticmethod(nf.prod)

    def inputs(self, rng):
        x = rng.uniform(0.5, 1.5, (4, 4))
        x[1, 1] = 0.0
        x[2, 0] = x[2, 2] = 0.0
        x[3, 0] = x[3, 1] = x[3, 3] = 0.0
        return (x,)

    def kwargs(self):
        return {"axis": 1}

    def expected(self, x):
        return (prod_ref(x, 1, False),)

    def _grad_inputs64(self):
        return [self.inputs(self._rng())[0]], (0,)


def test_prod_gradient_with_one_zero_is_the_product_of_the_others():
    x = nf.Variable(np.array([2.0, 0.0, 3.0, 4.0]), requires_grad=True)
    nf.prod(x).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 24.0, 0.0, 0.0])


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((2, 3)),),
            {"axis": 2},
            nf.ShapeError,
            "prod: `axis` must be in [-2, 2) for an input of rank 2; received axis=2.",
        ),
    ],
)
def test_prod_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.prod, inputs, kwargs, exc, message)


def test_prod_second_derivative_at_zeros_matches_the_hessian():
    # y = prod(x) is multilinear: d2y / dx_i dx_j = prod_{k != i, j} x_k (0 on the diagonal).
    x0 = np.array([2.0, 0.0, 3.0, 0.0])
    x = nf.Variable(x0, requires_grad=True)
    (g,) = nf.grad(nf.prod(x), x, create_graph=True)
    hess = np.stack([nf.grad(g[i], x, retain_graph=True)[0].data for i in range(4)])
    expected = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            if i != j:
                expected[i, j] = np.prod([x0[k] for k in range(4) if k not in (i, j)])
    np.testing.assert_array_equal(hess, expected)


def test_prod_of_small_integers_is_int64():
    out = nf.prod(np.full((2, 5), 3, np.int8), axis=1)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [243, 243])
    assert nf.prod(np.array([True, True])).dtype == np.int64
    assert nf.prod(np.array([200, 2], np.uint8)).dtype == np.uint64
