import numpy as np

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def _sigmoid64(x):
    x = x.astype(np.float64)
    return 0.5 * (1 + np.tanh(0.5 * x))


@parametrize_class(shape=[(), (3, 4)], dtype=["float16", "float32", "float64"])
class TestSigmoid(FunctionTestCase):
    function = staticmethod(nf.sigmoid)

    def inputs(self, rng):
        return (rng.uniform(-6, 6, self.shape).astype(self.dtype),)

    def expected(self, x):
        return (_sigmoid64(x).astype(x.dtype),)


@parametrize_class(shape=[(), (3, 4)], dtype=["float16", "float32", "float64"])
class TestTanh(FunctionTestCase):
    function = staticmethod(nf.tanh)

    def inputs(self, rng):
        return (rng.uniform(-3, 3, self.shape).astype(self.dtype),)

    def expected(self, x):
        e2 = np.exp(2 * x.astype(np.float64))
        return (((e2 - 1) / (e2 + 1)).astype(x.dtype),)


@parametrize_class(shape=[(), (3, 4)], dtype=["float16", "float32", "float64"])
class TestSoftplus(FunctionTestCase):
    function = staticmethod(nf.softplus)

    def inputs(self, rng):
        return (rng.uniform(-8, 8, self.shape).astype(self.dtype),)

    def expected(self, x):
        return (np.log(1 + np.exp(x.astype(np.float64))).astype(x.dtype),)


def _softmax_ref(x, axis):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@parametrize_class(axis=[0, -1], dtype=["float16", "float32", "float64"])
class TestSoftmax(FunctionTestCase):
    function = staticmethod(nf.softmax)
    symbolic_dims = (1,)

    def inputs(self, rng):
        return (rng.normal(0, 3, (3, 5)).astype(self.dtype),)

    def kwargs(self):
        return {"axis": self.axis}

    def expected(self, x):
        return (_softmax_ref(x, self.axis).astype(x.dtype),)


@parametrize_class(axis=[0, -1], dtype=["float16", "float32", "float64"])
class TestLogSoftmax(FunctionTestCase):
    function = staticmethod(nf.log_softmax)

    def inputs(self, rng):
        return (rng.normal(0, 3, (3, 5)).astype(self.dtype),)

    def kwargs(self):
        return {"axis": self.axis}

    def expected(self, x):
        return (np.log(_softmax_ref(x, self.axis)).astype(x.dtype),)


def test_extreme_inputs_stay_finite():
    for dtype in (np.float32, np.float64):
        x = np.array([-1e30, -50.0, 0.0, 50.0, 1e30], dtype)
        v = nf.Variable(x, requires_grad=True)
        nf.sum(nf.softplus(v) + nf.sigmoid(v) + nf.log_softmax(v)).backward()
        assert np.all(np.isfinite(v.grad))
        np.testing.assert_array_equal(nf.sigmoid(x)[[0, -1]], np.array([0, 1], dtype))
        assert nf.softplus(x)[-1] == x[-1]


def test_infinite_logits_take_their_limits():
    inf = np.inf
    for dtype in (np.float32, np.float64):
        x = np.array([[inf, 0.0, -inf], [inf, inf, 1.0], [-inf, -inf, -inf]], dtype)
        with np.errstate(all="raise"):
            p = nf.softmax(x)
            lp = nf.log_softmax(x)
        np.testing.assert_array_equal(p, np.array([[1, 0, 0], [0.5, 0.5, 0], [0, 0, 0]], dtype))
        np.testing.assert_array_equal(lp[0], np.array([0, -inf, -inf], dtype))
        np.testing.assert_allclose(lp[1, :2], np.log(0.5), rtol=1e-6)
        assert lp[1, 2] == -inf and np.all(lp[2] == -inf)
        v = nf.Variable(x, requires_grad=True)
        w = np.arange(9.0).reshape(3, 3).astype(dtype)
        (g,) = nf.grad(nf.sum(nf.softmax(v) * w), v, create_graph=True)
        assert np.all(np.isfinite(g.data))
        (gg,) = nf.grad(nf.sum(g * g), v)
        assert np.all(np.isfinite(gg.data))


def test_second_order_of_sparse_cross_entropy_at_infinite_logits():
    v = nf.Variable(np.array([[np.inf, 0.0, -np.inf]]), requires_grad=True)
    (g,) = nf.grad(
        nf.sum(nf.sparse_softmax_cross_entropy_with_logits(v, np.array([0]))), v, create_graph=True
    )
    np.testing.assert_array_equal(g.data, [[0.0, 0.0, 0.0]])
    (gg,) = nf.grad(nf.sum(g * g), v)
    assert np.all(np.isfinite(gg.data))
