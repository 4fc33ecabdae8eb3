import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


@parametrize_class(bounds=["scalar", "array"], dtype=["float32", "float64"])
class TestClipByValue(FunctionTestCase):
    function = staticmethod(nf.clip_by_value)

    def inputs(self, rng):
        x = rng.uniform(-3, 3, (3, 4)).astype(self.dtype)
        # keep the gradient check away from the bounds
        x = np.where(np.abs(np.abs(x) - 1) < 0.1, 0.0, x).astype(self.dtype)
        if self.bounds == "scalar":
            return (x,)
        return (x, np.full((3, 1), -1.0, self.dtype), np.full((1, 4), 1.0, self.dtype))

    def _call(self, *args, **extra):
        if self.bounds == "scalar":
            return (nf.clip_by_value(args[0], -1.0, 1.0, **extra),)
        return (nf.clip_by_value(*args, **extra),)

    def expected(self, x, *bounds):
        return (np.minimum(np.maximum(x.astype(np.float64), -1), 1).astype(x.dtype),)


def test_clip_by_value_gradient_passes_at_the_bounds():
    x = nf.Variable(np.array([-1.0, 1.0, 2.0, -3.0, 0.5]), requires_grad=True)
    lo = nf.Variable(np.full(5, -1.0), requires_grad=True)
    hi = nf.Variable(np.full(5, 1.0), requires_grad=True)
    nf.sum(nf.clip_by_value(x, lo, hi)).backward()
    np.testing.assert_array_equal(x.grad, [1, 1, 0, 0, 1])
    np.testing.assert_array_equal(lo.grad, [0, 0, 0, 1, 0])
    np.testing.assert_array_equal(hi.grad, [0, 0, 1, 0, 0])


def test_clip_by_value_integer():
    y = nf.clip_by_value(np.array([-5, 0, 5]), -1, 2)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, [-1, 0, 2])


@parametrize_class(axis=[None, 1, (0, 1)], dtype=["float32", "float64"])
class TestClipByNorm(FunctionTestCase):
    function = staticmethod(nf.clip_by_norm)

    def inputs(self, rng):
        return (rng.standard_normal((3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"clip_norm": 1.5, "axis": self.axis}

    def expected(self, x):
        x64 = x.astype(np.float64)
        ax = self.axis
        n = np.sqrt((x64**2).sum(axis=ax, keepdims=True))
        return (np.where(n > 1.5, x64 * 1.5 / n, x64).astype(x.dtype),)


def test_clip_by_norm_huge_and_zero_inputs():
    x = np.array([3e30, 4e30], np.float32)
    np.testing.assert_allclose(nf.clip_by_norm(x, 1.0), [0.6, 0.8], rtol=1e-6)
    v = nf.Variable(np.zeros(3), requires_grad=True)
    nf.sum(nf.clip_by_norm(v, 1.0)).backward()
    np.testing.assert_array_equal(v.grad, np.ones(3))


def _grad(fn, x, w):
    v = nf.Variable(x, requires_grad=True)
    nf.sum(fn(v) * w).backward()
    return v.grad


def test_stop_gradient():
    x = np.array([1.0, -2.0])
    np.testing.assert_array_equal(nf.stop_gradient(x), x)
    v = nf.Variable(x, requires_grad=True)
    y = nf.sum(v * v + nf.stop_gradient(v * v))
    y.backward()
    np.testing.assert_array_equal(v.grad, 2 * x)


def test_clip_grad_by_value():
    x = np.zeros((2, 3))
    w = np.array([[-3.0, 0.2, 5.0], [1.0, -0.1, -1.0]])
    np.testing.assert_array_equal(nf.clip_grad_by_value(x, -0.5, 0.5), x)
    g = _grad(lambda v: nf.clip_grad_by_value(v, -0.5, 0.5), x, w)
    np.testing.assert_allclose(g, np.clip(w, -0.5, 0.5))
    lo, hi = np.full((2, 3), -1.0), np.full((2, 3), 0.1)
    g = _grad(lambda v: nf.clip_grad_by_value(v, lo, hi), x, w)
    np.testing.assert_allclose(g, np.clip(w, -1.0, 0.1))


@pytest.mark.parametrize("axes", [None, (1,), 0])
def test_clip_grad_by_norm(axes):
    x = np.zeros((2, 3))
    w = np.array([[3.0, 0.0, 4.0], [1.0, 2.0, 2.0]])
    g = _grad(lambda v: nf.clip_grad_by_norm(v, 2.0, axes), x, w)
    n = np.sqrt((w**2).sum(axis=axes, keepdims=True))
    np.testing.assert_allclose(g, 2.0 * w / n)
    g0 = _grad(lambda v: nf.clip_grad_by_norm(v, 2.0, axes), x, np.zeros_like(w))
    np.testing.assert_array_equal(g0, 0)


def test_top_k_grad():
    x = np.zeros((2, 2, 2))
    w = np.array([[[1.0, -5.0], [3.0, 3.0]], [[0.0, 2.0], [-1.0, 4.0]]])
    g = _grad(lambda v: nf.top_k_grad(v, 2), x, w)
    np.testing.assert_array_equal(g, [[[0, 0], [3, 3]], [[0, 2], [0, 4]]])
    g = _grad(lambda v: nf.top_k_grad(v, 1, abs=True), x, w)
    np.testing.assert_array_equal(g, [[[0, -5], [0, 0]], [[0, 0], [0, 4]]])
    g = _grad(lambda v: nf.top_k_grad(v, 1, base_axis=2), x, w)
    np.testing.assert_array_equal(g, [[[1, 0], [3, 0]], [[0, 2], [0, 4]]])


def test_gradient_controls_in_graph_mode():
    g = nf.Graph()
    x = g.placeholder("x", (None, 3), np.float64)
    y = nf.sum(nf.clip_grad_by_norm(x, 1.0) * np.array([3.0, 0.0, 4.0]))
    (gx,) = g.grad(y, [x])
    (val,) = g.run([gx], {"x": np.zeros((1, 3))})
    np.testing.assert_allclose(val, [[0.6, 0.0, 0.8]])


BAD = [
    (
        nf.clip_by_value,
        (np.ones(3), 2.0, 1.0),
        nf.ArgumentError,
        "clip_by_value: `min` must be <= `max`; received min=2.0, max=1.0.",
    ),
    (
        nf.clip_by_value,
        (np.ones(3), np.ones(2), 1.0),
        nf.ShapeError,
        "clip_by_value: `x` and `min` must have broadcastable shapes; received x.shape=(3,), "
        "min.shape=(2,).",
    ),
    (
        nf.clip_grad_by_value,
        (np.ones(3), 1.0, -1.0),
        nf.ArgumentError,
        "clip_grad_by_value: `min` must be <= `max`; received min=1.0, max=-1.0.",
    ),
    (
        nf.clip_by_value,
        (np.ones(3), np.array(2.0), np.array(1.0)),
        nf.ArgumentError,
        "clip_by_value: `min` must be <= `max` everywhere; received min=2.0, max=1.0.",
    ),
    (
        nf.clip_by_value,
        (np.ones((2, 3)), np.array([[0.0], [3.0]]), np.array([1.0, 1.0, 2.0])),
        nf.ArgumentError,
        "clip_by_value: `min` must be <= `max` everywhere; received min[1, 0]=3.0, max[1, 0]=1.0.",
    ),
    (
        nf.clip_by_value,
        (np.ones(3), np.array(["a"]), 1.0),
        nf.DTypeError,
        "clip_by_value: `min` must have a numeric dtype; received min.dtype=<U1.",
    ),
    (
        nf.clip_grad_by_value,
        (np.ones(3), -1.0, np.array([1.0, -2.0, 1.0])),
        nf.ArgumentError,
        "clip_grad_by_value: `min` must be <= `max` everywhere; received min[1]=-1.0, max[1]=-2.0.",
    ),
    (
        lambda x, **k: nf.top_k_grad(x, 7, **k),
        (np.ones((2, 3)),),
        nf.ArgumentError,
        "top_k_grad: `k` must be <= the number of elements per sample; received k=7, "
        "x.shape=(2, 3), base_axis=1.",
    ),
]


@pytest.mark.parametrize("fn, inputs, exc, message", BAD)
def test_bad_input(fn, inputs, exc, message):
    # Tensor bounds are compared when their values are known: eagerly, or when a graph runs
    # (the engine then adds the node name, as it does for errors of setup).
    with pytest.raises(exc, match=re.escape(message)):
        fn(*inputs)
    graph = nf.Graph()
    args, feeds = [], {}
    for i, a in enumerate(inputs):
        if isinstance(a, np.ndarray):
            args.append(graph.placeholder(f"in{i}", a.shape, a.dtype))
            feeds[f"in{i}"] = a
        else:
            args.append(a)
    op, _, rest = message.partition(": ")
    with pytest.raises(exc, match=re.escape(f"{op} (node 'bad'): {rest}")):
        graph.run(fn(*args, name="bad"), feeds)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: nf.clip_by_value(np.ones(3), "a", 1.0),
            "clip_by_value: `min` must be a real number or a tensor; received min='a'.",
        ),
        (
            lambda: nf.clip_by_value(np.ones(3), -1.0, None),
            "clip_by_value: `max` must be a real number or a tensor; received max=None.",
        ),
        (
            lambda: nf.clip_by_value(np.ones(3), float("nan"), 1.0),
            "clip_by_value: `min` must not be NaN; received min=nan.",
        ),
        (
            lambda: nf.clip_grad_by_value(np.ones(3), -1.0, True),
            "clip_grad_by_value: `max` must be a real number or a tensor; received max=True.",
        ),
    ],
)
def test_bad_bound_arguments(call, message):
    with pytest.raises(nf.ArgumentError, match=re.escape(message)):
        call()


def test_clip_by_value_infinite_bounds_clip_one_side():
    x = np.array([-5, 0, 5])
    np.testing.assert_array_equal(nf.clip_by_value(x, -np.inf, 2), [-5, 0, 2])
    np.testing.assert_array_equal(nf.clip_by_value(x * 1.0, -1.0, np.inf), [-1.0, 0.0, 5.0])
    np.testing.assert_array_equal(nf.clip_by_value(x, -1.5, 2.5), [-1, 0, 2])


def test_clip_by_norm_integer_input_gives_float32():
    y = nf.clip_by_norm(np.array([3, 4]), 1.0)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [0.6, 0.8], rtol=1e-7)


def test_clip_by_norm_gradient_at_the_kink_is_the_identity():
    # |x| == N exactly: the unclipped side (gradient gy) is taken
    x = nf.Variable(np.array([3.0, 4.0]), requires_grad=True)
    nf.sum(nf.clip_by_norm(x, 5.0) * np.array([1.0, 2.0])).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_norm_clipping_of_huge_values_and_gradients(dtype):
    x = np.array([3e30, -4e30, 1.0], dtype)
    w = np.array([1.0, 2.0, 3.0], dtype)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    n = np.linalg.norm(x64)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(nf.clip_by_norm(x, 2.0), 2 * x64 / n, rtol=1e-6)
        v = nf.Variable(x, requires_grad=True)
        (g,) = nf.grad(nf.sum(nf.clip_by_norm(v, 2.0) * w), [v], create_graph=True)
        ref = 2 / n * (w64 - x64 * (x64 @ w64) / n**2)
        np.testing.assert_allclose(g.data, ref, rtol=1e-5, atol=1e-40)
        (gg,) = nf.grad(nf.sum(g * w), [v])
        assert np.all(np.isfinite(gg.data))
        # an upstream gradient of 5e30 is rescaled to norm 2, not flushed to 0
        v = nf.Variable(np.zeros(2, dtype), requires_grad=True)
        nf.sum(nf.clip_grad_by_norm(v, 2.0) * np.array([3e30, 4e30], dtype)).backward()
        np.testing.assert_allclose(v.grad, [1.2, 1.6], rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape("clip_by_norm: `clip_norm` must be in (0, inf); received clip_norm=0.0."),
    ):
        nf.clip_by_norm(np.ones(3), 0.0)
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape("clip_by_value: `min` must be <= `max` everywhere"),
    ):
        nf.clip_by_value(np.ones(2), np.array([0.0, 3.0]), np.array([1.0, 1.0]))
