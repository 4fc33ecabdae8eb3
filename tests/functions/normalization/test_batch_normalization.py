from typing import ClassVar

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def bn_train_ref(x, gamma, beta, kept, eps):
    x64 = x.astype(np.float64)
    red = tuple(j for j in range(x.ndim) if j not in kept)
    mu = x64.mean(axis=red, keepdims=True)
    var = ((x64 - mu) ** 2).mean(axis=red, keepdims=True)
    y = (x64 - mu) / np.sqrt(var + eps)
    shape = tuple(x.shape[j] if j in kept else 1 for j in range(x.ndim))
    if gamma is not None:
        y = y * gamma.astype(np.float64).reshape(shape)
    if beta is not None:
        y = y + beta.astype(np.float64).reshape(shape)
    return y, mu, var


def bn_apply_ref(x, mean, var, offset, scale, axis, eps):
    x64 = x.astype(np.float64)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def p(a):
        a = a.astype(np.float64)
        return a if a.ndim == x.ndim else a.reshape(shape)

    y = (x64 - p(mean)) / np.sqrt(p(var) + eps)
    if scale is not None:
        y = y * p(scale)
    if offset is not None:
        y = y + p(offset)
    return y


@parametrize_class(
    dtype=["float16", "float32", "float64"],
    axis=[1, -1],
    affine=[True, False],
)
class TestBatchNormTraining(FunctionTestCase):
    eps = 1e-3
    tolerances: ClassVar = {"float16": {"atol": 5e-3, "rtol": 5e-3}, "float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, gamma=None, beta=None, **kw):
        return nf.batch_normalization(x, None, None, beta, gamma, training=True, **kw)

    def kwargs(self):
        return {"axis": self.axis, "eps": self.eps}

    def inputs(self, rng):
        x = rng.standard_normal((4, 3, 5)).astype(self.dtype) * 2 + 1
        if not self.affine:
            return (x,)
        c = x.shape[self.axis]
        g = rng.uniform(0.5, 1.5, c).astype(self.dtype)
        b = rng.standard_normal(c).astype(self.dtype)
        return (x, g, b)

    def expected(self, x, g=None, b=None):
        kept = (self.axis % x.ndim,)
        y, _, _ = bn_train_ref(x, g, b, kept, self.eps)
        return (y.astype(x.dtype),)


@parametrize_class(dtype=["float16", "float32", "float64"], affine=[True, False])
class TestBatchNormTrainingChannelFirstImages(FunctionTestCase):
    """(N, C, H, W) with H * W >= 16: the channel kernel of kernels/cpu/batch_norm.py."""

    eps = 1e-3
    tolerances: ClassVar = {"float16": {"atol": 5e-3, "rtol": 5e-3}, "float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, gamma=None, beta=None, **kw):
        return nf.batch_normalization(x, None, None, beta, gamma, training=True, **kw)

    def kwargs(self):
        return {"axis": 1, "eps": self.eps}

    def inputs(self, rng):
        x = (rng.standard_normal((3, 4, 4, 5)) * 2 + 5).astype(self.dtype)
        if not self.affine:
            return (x,)
        return (
            x,
            rng.uniform(0.5, 1.5, 4).astype(self.dtype),
            rng.standard_normal(4).astype(self.dtype),
        )

    def expected(self, x, g=None, b=None):
        y, _, _ = bn_train_ref(x, g, b, (1,), self.eps)
        return (y.astype(x.dtype),)


def test_channel_kernel_updates_running_statistics():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((6, 2, 5, 5)) * 3 + 1).astype(np.float32)
    rm, rv = np.full(2, 0.5, np.float32), np.full(2, 2.0, np.float32)
    nf.batch_normalization(x, rm, rv, None, None, training=True, decay=0.9)
    x64 = x.astype(np.float64)
    mu = x64.mean(axis=(0, 2, 3))
    var = x64.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(rm, 0.9 * 0.5 + 0.1 * mu, rtol=1e-6)
    np.testing.assert_allclose(rv, 0.9 * 2.0 + 0.1 * var, rtol=1e-6)


@parametrize_class(dtype=["float32", "float64"])
class TestBatchNormTrainingOutputStat(FunctionTestCase):
    tolerances: ClassVar = {"float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, gamma, beta, **kw):
        return nf.batch_normalization(x, None, None, beta, gamma, training=True, **kw)

    def kwargs(self):
        return {"axis": (1, 3), "eps": 1e-2, "output_stat": True}

    def inputs(self, rng):
        x = rng.standard_normal((3, 2, 4, 2)).astype(self.dtype)
        g = rng.uniform(0.5, 1.5, (2, 2)).astype(self.dtype)
        b = rng.standard_normal((1, 2, 1, 2)).astype(self.dtype)
        return (x, g, b)

    def expected(self, x, g, b):
        y, mu, var = bn_train_ref(x, g, b.reshape(2, 2), (1, 3), 1e-2)
        return (y.astype(x.dtype), mu.astype(x.dtype), var.astype(x.dtype))


@parametrize_class(dtype=["float16", "float32", "float64"], full_rank=[False, True])
class TestBatchNormGivenStatistics(FunctionTestCase):
    tolerances: ClassVar = {"float16": {"atol": 5e-3, "rtol": 5e-3}, "float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, mean, var, offset, scale, **kw):
        return nf.batch_normalization(x, mean, var, offset, scale, **kw)

    def kwargs(self):
        return {"axis": -1, "eps": 1e-3}

    def inputs(self, rng):
        x = rng.standard_normal((4, 2, 3)).astype(self.dtype)
        shape = (1, 1, 3) if self.full_rank else (3,)
        m = rng.standard_normal(shape).astype(self.dtype)
        v = rng.uniform(0.5, 2.0, shape).astype(self.dtype)
        o = rng.standard_normal(shape).astype(self.dtype)
        s = rng.uniform(0.5, 1.5, shape).astype(self.dtype)
        return (x, m, v, o, s)

    def expected(self, x, m, v, o, s):
        return (bn_apply_ref(x, m, v, o, s, -1, 1e-3).astype(x.dtype),)


def test_keras_documented_example():
    x = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], np.float32)
    y = nf.batch_normalization(
        x,
        np.array([0.4, 0.5, 0.6], np.float32),
        np.array([0.67] * 3, np.float32),
        axis=-1,
        eps=1e-3,
    )
    assert y.dtype == np.float32
    np.testing.assert_allclose(y[0], [-0.36624] * 3, atol=5e-6)
    np.testing.assert_allclose(y[1], [0.0] * 3, atol=1e-7)
    np.testing.assert_allclose(y[2], [0.36624] * 3, atol=5e-6)


def test_running_statistics_update_rule():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3, 4))
    rm = rng.standard_normal(3)
    rv = rng.uniform(0.5, 1.5, 3)
    rm0, rv0 = rm.copy(), rv.copy()
    nf.batch_normalization(x, rm, rv, training=True, decay=0.8)
    bm = x.mean(axis=(0, 2))
    bv = x.var(axis=(0, 2), ddof=1)  # unbiased, as NNabla
    np.testing.assert_allclose(rm, 0.8 * rm0 + 0.2 * bm, rtol=1e-12)
    np.testing.assert_allclose(rv, 0.8 * rv0 + 0.2 * bv, rtol=1e-12)


def test_running_statistics_full_rank_and_variables():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 2)).astype(np.float32)
    rm = nf.Variable(np.zeros((1, 2), np.float32))
    rv = nf.Variable(np.ones((1, 2), np.float32))
    xv = nf.Variable(x, requires_grad=True)
    y = nf.batch_normalization(xv, rm, rv, training=True, decay=0.5)
    assert isinstance(y, nf.Variable)
    np.testing.assert_allclose(rm.data, 0.5 * x.mean(0, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(rv.data, 0.5 + 0.5 * x.var(0, ddof=1, keepdims=True), rtol=1e-5)
    nf.sum(y * y).backward()
    assert rm.grad is None and xv.grad.shape == x.shape


def test_running_statistics_in_graph_mode_updated_on_each_run():
    x = np.arange(8.0).reshape(4, 2)
    g = nf.Graph()
    xs = g.placeholder("x", (None, 2), np.float64)
    rm = g.parameter("rm", np.zeros(2))
    rv = g.parameter("rv", np.ones(2))
    y = nf.batch_normalization(xs, rm, rv, training=True, decay=0.5, name="bn")
    np.testing.assert_array_equal(g.get_value("rm"), [0.0, 0.0])  # building updates nothing
    g.run(y, {"x": x})
    np.testing.assert_allclose(g.get_value("rm"), 0.5 * x.mean(0))
    g.run(y, {"x": x})
    np.testing.assert_allclose(g.get_value("rm"), 0.75 * x.mean(0))
    np.testing.assert_allclose(g.get_value("rv"), 0.25 + 0.75 * x.var(0, ddof=1))


def test_inference_uses_running_statistics_and_no_update():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    rm, rv = np.array([1.0, 2.0]), np.array([4.0, 1.0])
    y = nf.batch_normalization(x, rm, rv, eps=0.0)
    np.testing.assert_allclose(y, [[0.0, 0.0], [1.0, 2.0]])
    np.testing.assert_array_equal(rm, [1.0, 2.0])


def test_large_magnitude_small_spread_float32():
    rng = np.random.default_rng(3)
    x = (1e4 + 1e-2 * rng.standard_normal((256, 2))).astype(np.float32)
    y, _, var = nf.batch_normalization(x, training=True, axis=1, eps=0.0, output_stat=True)
    ref = x.astype(np.float64)
    ref = (ref - ref.mean(0)) / ref.std(0)
    np.testing.assert_allclose(y, ref, atol=2e-2)
    assert (var >= 0).all()


def test_float16_uses_float32_statistics():
    x = np.full((4096, 1), 60.0, np.float16)
    x[::2] = 61.0
    y = nf.batch_normalization(x, training=True, axis=1, eps=0.0)
    assert y.dtype == np.float16
    np.testing.assert_allclose(np.abs(y.astype(np.float64)), 1.0, atol=2e-3)


def test_double_backward_training_matches_composite():
    rng = np.random.default_rng(4)
    x0 = rng.standard_normal((5, 3))
    w = rng.standard_normal((5, 3))

    def composite(x):
        mu = nf.mean(x, 0, keepdims=True)
        d = x - mu
        var = nf.mean(d * d, 0, keepdims=True)
        return d * (var + 1e-3) ** -0.5

    grads = []
    for fn in (lambda x: nf.batch_normalization(x, training=True, eps=1e-3), composite):
        x = nf.Variable(x0, requires_grad=True)
        (g,) = nf.grad(nf.sum(fn(x) ** 3 * w), [x], create_graph=True)
        (gg,) = nf.grad(nf.sum(g * g), [x])
        grads.append((g.data, gg.data))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-9, atol=1e-12)


X = np.zeros((2, 3, 5), np.float32)
C3 = np.ones(3, np.float32)
C4 = np.ones(4, np.float32)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (X, C4, C3),
            {},
            nf.ShapeError,
            "batch_normalization: `mean` must have shape (3,) (the size of `x` along axis 1) "
            "or a shape of x's rank that broadcasts to `x`; received mean.shape=(4,), "
            "x.shape=(2, 3, 5).",
        ),
        (
            (X, None, None, None, C4),
            {"training": True},
            nf.ShapeError,
            "batch_normalization: `scale` must have shape (3,) (the size of `x` along axis 1) "
            "or a shape of x's rank that broadcasts to `x`; received scale.shape=(4,), "
            "x.shape=(2, 3, 5).",
        ),
        (
            (X, C3, C3),
            {"axis": 3},
            nf.ShapeError,
            "batch_normalization: `axis` must be in [-3, 3) for an input of rank 3; "
            "received axis=3.",
        ),
        (
            (X, C3, C3),
            {"axis": (1, -2)},
            nf.ArgumentError,
            "batch_normalization: `axis` must not repeat an axis; received axis=(1, -2).",
        ),
        (
            (X, C3, C3),
            {"eps": -1e-3},
            nf.ArgumentError,
            "batch_normalization: `eps` must be in [0, inf); received eps=-0.001.",
        ),
        (
            (X,),
            {"training": True, "decay": 1.5},
            nf.ArgumentError,
            "batch_normalization: `decay` must be in [0, 1]; received decay=1.5.",
        ),
        (
            (X,),
            {"training": True, "decay": -0.1},
            nf.ArgumentError,
            "batch_normalization: `decay` must be in [0, 1]; received decay=-0.1.",
        ),
        (
            (X, None, C3),
            {},
            nf.ArgumentError,
            "batch_normalization: `mean` must be given when training=False (the running "
            "statistics are used); received mean=None, training=False.",
        ),
        (
            (X, C3, None),
            {},
            nf.ArgumentError,
            "batch_normalization: `variance` must be given when training=False (the running "
            "statistics are used); received variance=None, training=False.",
        ),
        (
            (X, C3, C3),
            {"output_stat": True},
            nf.ArgumentError,
            "batch_normalization: `output_stat` must be False when training=False (no batch "
            "statistics are computed); received output_stat=True, training=False.",
        ),
        (
            (X, C4, C3),
            {"training": True},
            nf.ShapeError,
            "batch_normalization: `mean` must have shape (3,) (the size of `x` along axis 1) "
            "or x's rank with those sizes and 1 elsewhere; received mean.shape=(4,), "
            "x.shape=(2, 3, 5).",
        ),
        (
            (X, C3, np.ones((1, 3, 5))),
            {"training": True},
            nf.ShapeError,
            "batch_normalization: `variance` must have shape (3,) (the size of `x` along axis "
            "1) or x's rank with those sizes and 1 elsewhere; received "
            "variance.shape=(1, 3, 5), x.shape=(2, 3, 5).",
        ),
        (
            (X, np.ones((5, 2), np.float32), np.ones((2, 5), np.float32)),
            {"axis": (0, 2)},
            nf.ShapeError,
            "batch_normalization: `mean` must have shape (2, 5) (the size of `x` along axes "
            "(0, 2)) or a shape of x's rank that broadcasts to `x`; received mean.shape=(5, 2), "
            "x.shape=(2, 3, 5).",
        ),
    ],
)
def test_bad_input(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.batch_normalization, inputs, kwargs, exc, message)


@pytest.mark.oracle
def test_torch_oracle_training():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 6))
    g, b = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    rm, rv = np.zeros(3), np.ones(3)
    y = nf.batch_normalization(x, rm, rv, b, g, training=True, decay=0.9)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    ty = torch.nn.functional.batch_norm(
        torch.tensor(x),
        trm,
        trv,
        torch.tensor(g),
        torch.tensor(b),
        training=True,
        momentum=0.1,
        eps=1e-5,
    )
    np.testing.assert_allclose(y, ty.numpy(), rtol=1e-10)
    np.testing.assert_allclose(rm, trm.numpy(), rtol=1e-10)
    np.testing.assert_allclose(rv, trv.numpy(), rtol=1e-10)


@parametrize_class(dtype=["float16", "float32", "float64"], layout=["compact", "full", "mixed"])
class TestBatchNormGivenStatisticsImages(FunctionTestCase):
    """(N, C, H, W), axis 1: the one-pass apply kernel of kernels/cpu/batch_norm.py and its
    fused gradient (parameters of shape (C,), (1, C, 1, 1), or both)."""

    tolerances: ClassVar = {"float16": {"atol": 5e-3, "rtol": 5e-3}, "float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, mean, var, offset, scale, **kw):
        return nf.batch_normalization(x, mean, var, offset, scale, **kw)

    def kwargs(self):
        return {"axis": 1, "eps": 1e-3}

    def inputs(self, rng):
        x = (rng.standard_normal((2, 3, 4, 5)) * 2 + 3).astype(self.dtype)
        shapes = {
            "compact": [(3,)] * 4,
            "full": [(1, 3, 1, 1)] * 4,
            "mixed": [(3,), (1, 3, 1, 1), (1, 3, 1, 1), (3,)],
        }[self.layout]
        m = (rng.standard_normal(shapes[0]) + 3).astype(self.dtype)
        v = rng.uniform(0.5, 2.0, shapes[1]).astype(self.dtype)
        o = rng.standard_normal(shapes[2]).astype(self.dtype)
        s = rng.uniform(0.5, 1.5, shapes[3]).astype(self.dtype)
        return (x, m, v, o, s)

    def expected(self, x, m, v, o, s):
        return (bn_apply_ref(x, m, v, o, s, 1, 1e-3).astype(x.dtype),)


@parametrize_class(dtype=["float32", "float64"])
class TestBatchNormGivenStatisticsTwoAxes(FunctionTestCase):
    """Statistics varying along two separate axes (1 and 3): the broadcasting NumPy path."""

    tolerances: ClassVar = {"float32": {"atol": 1e-5}}

    @staticmethod
    def function(x, mean, var, offset, scale, **kw):
        return nf.batch_normalization(x, mean, var, offset, scale, **kw)

    def kwargs(self):
        return {"axis": (1, 3), "eps": 1e-3}

    def inputs(self, rng):
        x = rng.standard_normal((2, 3, 4, 2)).astype(self.dtype)
        m = rng.standard_normal((3, 2)).astype(self.dtype)
        v = rng.uniform(0.5, 2.0, (1, 3, 1, 2)).astype(self.dtype)
        o = rng.standard_normal((3, 2)).astype(self.dtype)
        s = rng.uniform(0.5, 1.5, (3, 2)).astype(self.dtype)
        return (x, m, v, o, s)

    def expected(self, x, m, v, o, s):
        def p(a):
            return a.astype(np.float64).reshape(1, 3, 1, 2)

        y = (x.astype(np.float64) - p(m)) / np.sqrt(p(v) + 1e-3) * p(s) + p(o)
        return (y.astype(x.dtype),)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_given_statistics_empty_batch_forward_and_backward(dtype):
    c = 3
    x = nf.Variable(np.zeros((0, c, 4, 4), dtype), requires_grad=True)
    params = [nf.Variable(np.ones(c, dtype), requires_grad=True) for _ in range(4)]
    y = nf.batch_normalization(x, *params)
    assert y.shape == (0, c, 4, 4) and y.dtype == np.dtype(dtype)
    grads = nf.grad(y, [x, *params], grad_outputs=[np.ones((0, c, 4, 4), dtype)])
    assert grads[0].shape == (0, c, 4, 4)
    for g in grads[1:]:
        np.testing.assert_array_equal(g.data, np.zeros(c, dtype))


def test_given_statistics_gradients_against_closed_forms():
    """First-order gradients of every input, from the fused kernel, against the float64
    formulas (gy random, channel-first images)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 5, 6))
    m, o = rng.standard_normal(4), rng.standard_normal(4)
    v, s = rng.uniform(0.5, 2.0, 4), rng.uniform(0.5, 1.5, 4)
    gy = rng.standard_normal(x.shape)
    vs = [nf.Variable(a, requires_grad=True) for a in (x, m, v, o, s)]
    gx, gm, gv, go, gs = nf.grad(nf.batch_normalization(*vs, eps=1e-2), vs, grad_outputs=[gy])
    b = (None, slice(None), None, None)
    inv = 1 / np.sqrt(v + 1e-2)
    d = x - m[b]
    np.testing.assert_allclose(gx.data, gy * (inv * s)[b], rtol=1e-12)
    np.testing.assert_allclose(gm.data, -gy.sum((0, 2, 3)) * inv * s, rtol=1e-12)
    np.testing.assert_allclose(gv.data, -0.5 * (gy * d).sum((0, 2, 3)) * s * inv**3, rtol=1e-12)
    np.testing.assert_allclose(go.data, gy.sum((0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(gs.data, (gy * d).sum((0, 2, 3)) * inv, rtol=1e-12)


@pytest.mark.parametrize("param_shape", [(3,), (1, 3, 1)], ids=["compact", "full_rank"])
def test_given_statistics_graph_with_unknown_parameter_dims(param_shape):
    # Parameters fed through placeholders whose channel dim is unknown when the graph is built:
    # the fused kernels take their shapes from the run (they reshaped to a shape holding None).
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    mean, var, offset, scale = (rng.random(param_shape) + 0.5 for _ in range(4))
    sym = tuple(None if d == 3 else d for d in param_shape)
    g = nf.Graph()
    with g:
        px = g.placeholder("x", (None, 3, 4), np.float64)
        ps = [g.placeholder(n, sym, np.float64) for n in ("m", "v", "o", "s")]
        y = nf.batch_normalization(px, *ps, axis=1)
        grads = g.grad(y, [px, *ps])
    got = g.run([y, *grads], dict(zip("xmvos", (x, mean, var, offset, scale), strict=True)))
    mean, var, offset, scale = (a.reshape(1, 3, 1) for a in (mean, var, offset, scale))
    inv = 1 / np.sqrt(var + 1e-5)
    want_y = (x - mean) * inv * scale + offset

    def red(a):
        return a.sum(axis=(0, 2)).reshape(param_shape)

    want = [
        want_y,
        np.broadcast_to(inv * scale, x.shape),
        red(-np.broadcast_to(inv * scale, x.shape)),
        red((x - mean) * scale * -0.5 * inv**3),
        red(np.ones_like(x)),
        red((x - mean) * inv),
    ]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_given_statistics_repeated_calls_recheck_new_shapes():
    # setup's checks are memoised per (eps, axis, shapes, dtype): a call with other shapes or
    # options is checked again, and a failing call leaves nothing behind
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    m, v = rng.standard_normal(3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)
    ref = (x - m[:, None]) / np.sqrt(v[:, None] + 1e-3)
    for _ in range(2):
        y = nf.batch_normalization(x, m, v, axis=1, eps=1e-3)
        np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
        with pytest.raises(nf.ShapeError, match="mean"):
            nf.batch_normalization(x, m[:2], v, axis=1, eps=1e-3)
        with pytest.raises(nf.ArgumentError, match="eps"):
            nf.batch_normalization(x, m, v, axis=1, eps=-1.0)
    y2 = nf.batch_normalization(x, m, v, axis=1, eps=1e-1)  # same shapes, other eps
    np.testing.assert_allclose(y2, (x - m[:, None]) / np.sqrt(v[:, None] + 1e-1), rtol=1e-5)
    x4 = x[:, :, :, None].astype(np.float64)  # other rank and dtype: float64 result
    y4 = nf.batch_normalization(x4, m, v, axis=1, eps=1e-3)
    assert y4.dtype == np.float64 and y4.shape == (2, 3, 4, 1)
