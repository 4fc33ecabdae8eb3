import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(dtype=["float32", "float64"], base_axis=[1, 2])
class TestMeanSubtractionInference(FunctionTestCase):
    grad_inputs = (0,)

    @staticmethod
    def function(x, mean, **kw):
        return nf.mean_subtraction(x, mean, None, update_running_mean=False, **kw)

    def kwargs(self):
        return {"base_axis": self.base_axis}

    def inputs(self, rng):
        x = rng.standard_normal((3, 2, 4)).astype(self.dtype)
        return (x, rng.standard_normal(x.shape[self.base_axis :]).astype(self.dtype))

    def expected(self, x, m):
        return ((x.astype(np.float64) - m).astype(x.dtype),)


def test_training_updates_running_mean_and_counter():
    rng = np.random.default_rng(0)
    rm, t = np.zeros(3), np.array([0], np.int32)
    batches = [rng.standard_normal((4, 3)) for _ in range(3)]
    for k, x in enumerate(batches, start=1):
        y = nf.mean_subtraction(x, rm, t)
        expected_rm = np.mean([b.mean(0) for b in batches[:k]], axis=0)
        np.testing.assert_allclose(rm, expected_rm, rtol=1e-12)
        np.testing.assert_allclose(y, x - expected_rm, rtol=1e-12)
        assert t[0] == k


def test_approximate_backward():
    x = nf.Variable(np.ones((4, 3)), requires_grad=True)
    rm, t = np.zeros(3), np.array([1.0])
    y = nf.mean_subtraction(x, rm, t)
    nf.sum(y).backward()
    np.testing.assert_allclose(x.grad, 1 - 1 / (2 * 4))  # t updated to 2, M = 4 samples


def test_graph_mode_updates_parameters_per_run():
    g = nf.Graph()
    xs = g.placeholder("x", (None, 2), np.float64)
    rm = g.parameter("rm", np.zeros(2))
    t = g.parameter("t", np.array([0]))
    y = nf.mean_subtraction(xs, rm, t, name="ms")
    (gx,) = g.grad(nf.sum(y), [xs])
    out = g.run([y, gx], {"x": np.array([[2.0, 4.0]])})
    np.testing.assert_allclose(g.get_value("rm"), [2.0, 4.0])
    assert g.get_value("t")[0] == 1
    np.testing.assert_allclose(out[0], [[0.0, 0.0]])
    np.testing.assert_allclose(out[1], [[0.0, 0.0]])  # 1 - 1/(t*M) = 0 at t = M = 1
    g.run(y, {"x": np.array([[4.0, 8.0]])})
    np.testing.assert_allclose(g.get_value("rm"), [3.0, 6.0])


X = np.zeros((2, 3), np.float32)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (X, np.zeros(2, np.float32), np.zeros(1)),
            {},
            nf.ShapeError,
            "mean_subtraction: `mean` must have the shape of `x` from base_axis 1 on; received "
            "mean.shape=(2,), x.shape=(2, 3).",
        ),
        (
            (X, np.zeros(3, np.float32), np.zeros(2)),
            {},
            nf.ShapeError,
            "mean_subtraction: `t` must have exactly one element; received t.shape=(2,).",
        ),
        (
            (X, np.zeros((), np.float32), np.zeros(1)),
            {"base_axis": 2},
            nf.ShapeError,
            "mean_subtraction: `base_axis` must be in [0, 2) for an input of rank 2; received "
            "base_axis=2.",
        ),
    ],
)
def test_bad_input(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.mean_subtraction, inputs, kwargs, exc, message)


def test_missing_counter():
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape(
            "mean_subtraction: `t` must be given when update_running_mean=True; received t=None."
        ),
    ):
        nf.mean_subtraction(X, np.zeros(3, np.float32))
