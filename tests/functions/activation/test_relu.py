import numpy as np

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def relu_ref(x):
    return np.where(x.astype(np.float64) > 0, x.astype(np.float64), 0).astype(x.dtype)


@parametrize_class(shape=[(), (5,), (2, 3, 4)], dtype=["float16", "float32", "float64"])
class TestReLU(FunctionTestCase):
    function = staticmethod(nf.relu)
    kinks = (0.0,)

    def inputs(self, rng):
        return (rng.uniform(-3, 3, self.shape).astype(self.dtype),)

    def expected(self, x):
        return (relu_ref(x),)


@parametrize_class(dtype=["int32", "int64"])
class TestReLUInteger(FunctionTestCase):
    function = staticmethod(nf.relu)

    def inputs(self, rng):
        return (rng.integers(-5, 5, (3, 4)).astype(self.dtype),)

    def expected(self, x):
        return (np.where(x > 0, x, 0).astype(x.dtype),)


def test_relu_gradient_at_zero_is_zero():
    x = nf.Variable(np.array([0.0, 1.0, -1.0]), requires_grad=True)
    nf.sum(nf.relu(x)).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])
