import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(dtype=["float32", "float64"])
class TestAssign(FunctionTestCase):
    function = staticmethod(nf.assign)
    grad_inputs = (0,)
    # The gradient is the identity to dst (a constant map): no second derivative to check.
    double_backward = False

    def inputs(self, rng):
        return (
            rng.standard_normal((2, 3)).astype(self.dtype),
            rng.standard_normal((2, 3)).astype(self.dtype),
        )

    def expected(self, dst, src):
        return (src.copy(),)

    def test_inputs_unchanged(self):
        # assign writes into dst by design; src must stay unchanged and dst must equal src.
        dst, src = self._inputs()
        src_copy = src.copy()
        nf.assign(dst, src)
        np.testing.assert_array_equal(src, src_copy)
        np.testing.assert_array_equal(dst, src)

    def test_backward(self):
        dst = nf.Variable(np.zeros(3), requires_grad=True)
        src = nf.Variable(np.ones(3), requires_grad=True)
        y = nf.assign(dst, src)
        nf.sum(y * np.array([1.0, 2.0, 3.0])).backward()
        np.testing.assert_array_equal(dst.grad, [1.0, 2.0, 3.0])
        assert src.grad is None


def test_assign_updates_a_graph_parameter_when_run():
    g = nf.Graph()
    w = g.parameter("w", np.zeros(2, np.float32))
    s = g.placeholder("s", (2,))
    y = nf.assign(w, s, name="y")
    g.run(y, {"s": np.array([1.0, 2.0], np.float32)})
    np.testing.assert_array_equal(g.get_value("w"), [1.0, 2.0])


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((2, 3)), np.ones(3)),
            {},
            nf.ShapeError,
            "assign: `src` must have the shape of `dst`; received dst.shape=(2, 3), "
            "src.shape=(3,).",
        ),
    ],
)
def test_assign_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.assign, inputs, kwargs, exc, message)
