import math

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.functions.quantization import _inq
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def sign_ref(w, zero_to=1.0):
    return np.where(w > 0, 1.0, np.where(w < 0, -1.0, zero_to))


def affine_ref(x, w, b, base_axis=1):
    x2 = x.astype(np.float64).reshape(math.prod(x.shape[:base_axis]), -1)
    y = x2 @ w.reshape(w.shape[0], -1)
    if b is not None:
        y = y + b.reshape(-1)
    return y.reshape(x.shape[:base_axis] + w.shape[1:])


def conv1d_ref(x, w, b, stride=1, pad=0):
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad)))
    n, _, length = x.shape
    o, _c, k = w.shape
    out = (length - k) // stride + 1
    y = np.zeros((n, o, out))
    for p in range(out):
        y[:, :, p] = np.einsum("nck,ock->no", x[:, :, p * stride : p * stride + k], w)
    return y + (0 if b is None else b[None, :, None])


def bwn_weight(w, conv):
    if conv:
        alpha = np.abs(w).reshape(w.shape[0], -1).mean(axis=1)
        return sign_ref(w) * alpha.reshape((-1,) + (1,) * (w.ndim - 1)), alpha
    alpha = np.abs(w).mean(axis=0)
    return sign_ref(w) * alpha[None], alpha


# ---------------------------------------------------------------- affine layers
@parametrize_class(kind=["connect", "weight"], zero_to=[1.0, -1.0], dtype=["float32", "float64"])
class TestBinaryAffine(FunctionTestCase):
    grad_inputs = (0, 2)  # x and bias; the weight's straight-through gradient is checked below

    def _call(self, x, w, b, **extra):
        fn = nf.binary_connect_affine if self.kind == "connect" else nf.binary_weight_affine
        args = (x, w, None, b) if self.kind == "connect" else (x, w, None, None, b)
        return (fn(*args, quantize_zero_to=self.zero_to, **extra),)

    def inputs(self, rng):
        w = rng.standard_normal((6, 4))
        w[0, 0] = 0.0
        return (
            rng.standard_normal((3, 2, 3)).astype(self.dtype),
            w.astype(self.dtype),
            rng.standard_normal(4).astype(self.dtype),
        )

    def expected(self, x, w, b):
        w64 = w.astype(np.float64)
        if self.kind == "connect":
            wq = sign_ref(w64, self.zero_to)
        else:
            wq = sign_ref(w64, self.zero_to) * np.abs(w64).mean(axis=0)[None]
        return (affine_ref(x, wq, b.astype(np.float64)).astype(x.dtype),)


@parametrize_class(kind=["connect", "weight"], dtype=["float32", "float64"])
class TestBinaryConvolution(FunctionTestCase):
    grad_inputs = (0, 2)

    def _call(self, x, w, b, **extra):
        fn = (
            nf.binary_connect_convolution
            if self.kind == "connect"
            else nf.binary_weight_convolution
        )
        if w.dtype != x.dtype:  # the gradient check runs x and bias in float64
            w = nf.cast(w, x.dtype)
        args = (x, w, None, b) if self.kind == "connect" else (x, w, None, None, b)
        return (fn(*args, stride=2, pad=1, **extra),)

    def inputs(self, rng):
        return (
            rng.standard_normal((2, 3, 7)).astype(self.dtype),
            rng.standard_normal((4, 3, 3)).astype(self.dtype),
            rng.standard_normal(4).astype(self.dtype),
        )

    def expected(self, x, w, b):
        w64 = w.astype(np.float64)
        wq = sign_ref(w64) if self.kind == "connect" else bwn_weight(w64, True)[0]
        return (conv1d_ref(x, wq, b.astype(np.float64), 2, 1).astype(x.dtype),)


def test_binary_weight_affine_fills_binary_weight_and_alpha_in_place_across_calls():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5))
    w = nf.Variable(rng.standard_normal((5, 3)), requires_grad=True)
    wb, alpha = np.zeros((5, 3)), np.zeros(3)
    y = nf.binary_weight_affine(x, w, wb, alpha)
    wq, a = bwn_weight(w.data, False)
    np.testing.assert_array_equal(wb, sign_ref(w.data))
    np.testing.assert_allclose(alpha, a)
    np.testing.assert_allclose(y.data, x @ wq)
    # straight-through: the weight gradient is that of the scaled binary weight, x^T gy
    gy = rng.standard_normal(y.shape)
    (gw,) = nf.grad(y, [w], grad_outputs=[gy])
    np.testing.assert_allclose(gw.data, x.T @ gy)
    # after an update the next forward pass refreshes both in place
    w.data[...] = -w.data
    nf.binary_weight_affine(x, w, wb, alpha)
    np.testing.assert_array_equal(wb, sign_ref(w.data))
    # in a graph, parameters are refreshed each run
    g = nf.Graph()
    pw = g.parameter("w", w.data)
    pwb, pa = g.parameter("wb", np.zeros((5, 3))), g.parameter("alpha", np.zeros((1, 3)))
    ys = nf.binary_weight_affine(g.placeholder("x", (None, 5), np.float64), pw, pwb, pa)
    g.run(ys, {"x": x})
    np.testing.assert_array_equal(g.get_value("wb"), sign_ref(w.data))
    np.testing.assert_allclose(g.get_value("alpha"), np.abs(w.data).mean(axis=0)[None])


def test_binary_connect_convolution_weight_gradient_is_straight_through():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6))
    w = rng.standard_normal((4, 3, 3))
    wb = np.zeros_like(w)
    xv, wv = nf.Variable(x), nf.Variable(w, requires_grad=True)
    y = nf.binary_connect_convolution(xv, wv, wb, pad=1)
    np.testing.assert_array_equal(wb, sign_ref(w))
    gy = rng.standard_normal(y.shape)
    (gw,) = nf.grad(y, [wv], grad_outputs=[gy])
    wq = nf.Variable(sign_ref(w), requires_grad=True)
    (gref,) = nf.grad(nf.conv(xv, wq, pad=1), [wq], grad_outputs=[gy])
    np.testing.assert_allclose(gw.data, gref.data)


# ---------------------------------------------------------------- INQ
def inq_quantize_ref(w, fixed, num_bits):
    """The INQ paper's rounding with NNabla's constants, written per element."""
    out = w.astype(np.float64).copy()
    mx = np.abs(w).max() or 1.0
    lg = math.log2(mx)
    n1 = math.floor(lg) + (lg - math.floor(lg) >= math.log2(1.5))
    n2 = n1 + 1 - 2 ** (num_bits - 2)
    for i in zip(*np.nonzero(fixed), strict=True):
        v = float(w[i])
        if abs(v) < 2.0 ** (n2 - 1):
            out[i] = 0.0
            continue
        b = math.log2(abs(v))
        e = min(max(math.floor(b) + (b - math.floor(b) >= math.log2(1.5)), n2), n1)
        out[i] = math.copysign(2.0**e, v)
    return out


def test_inq_affine_schedule_fixes_half_then_all_and_quantizes_in_place():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4))
    w0 = rng.standard_normal((4, 3))
    w, ind = w0.copy(), np.zeros((4, 3), np.int64)
    # call 0: nothing scheduled
    y = nf.inq_affine(x, w, ind, inq_iterations=(1, 3), num_bits=3)
    np.testing.assert_array_equal(ind, 0)
    np.testing.assert_allclose(y, x @ w0)
    # call 1: the 6 largest |w| of 12 learnable are fixed and quantized
    y = nf.inq_affine(x, w, ind, inq_iterations=(1, 3), num_bits=3)
    order = np.argsort(-np.abs(w0).ravel(), kind="stable")
    want = np.zeros(12, np.int64)
    want[order[:6]] = 1
    np.testing.assert_array_equal(ind.ravel(), want)
    wq = inq_quantize_ref(w0, ind == 1, 3)
    np.testing.assert_allclose(w, wq)
    np.testing.assert_allclose(y, x @ wq)
    # an optimizer step on a fixed weight is undone by the next pass (call 2)
    w[ind == 1] += 10.0
    w[ind == 0] += 0.01
    nf.inq_affine(x, w, ind, inq_iterations=(1, 3), num_bits=3)
    np.testing.assert_allclose(w[ind == 1], wq[ind == 1])
    # call 3 (last listed): everything fixed
    nf.inq_affine(x, w, ind, inq_iterations=(1, 3), num_bits=3)
    np.testing.assert_array_equal(ind, 1)
    assert np.all(np.isin(np.abs(w[w != 0]), 2.0 ** np.arange(-10, 3)))
    _inq.reset_state(ind)


def test_inq_random_selection_with_a_seed_is_reproducible_and_graph_runs_advance_the_counter():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6))
    w0 = rng.standard_normal((6, 5))
    picks = []
    for _ in range(2):
        w, ind = w0.copy(), np.zeros((6, 5))
        nf.inq_affine(x, w, ind, inq_iterations=(0, 5), selection_algorithm="random", seed=3)
        picks.append(ind.copy())
    np.testing.assert_array_equal(picks[0], picks[1])
    assert 0 < picks[0].sum() < 30
    g = nf.Graph()
    pw, pi = g.parameter("w", w0.copy()), g.parameter("ind", np.zeros((6, 5)))
    y = nf.inq_affine(g.placeholder("x", (None, 6), np.float64), pw, pi, inq_iterations=(2,))
    for _ in range(2):
        g.run(y, {"x": x})
    assert not g.get_value("ind").any()
    g.run(y, {"x": x})
    assert g.get_value("ind").all()


def test_inq_convolution_gradient_reaches_every_weight():
    rng = np.random.default_rng(0)
    x = nf.Variable(rng.standard_normal((2, 2, 5)))
    w = nf.Variable(rng.standard_normal((3, 2, 2)), requires_grad=True)
    ind = np.ones((3, 2, 2))
    y = nf.inq_convolution(x, w, ind)
    gy = rng.standard_normal(y.shape)
    (gw,) = nf.grad(y, [w], grad_outputs=[gy])
    wq = nf.Variable(w.data.copy(), requires_grad=True)
    (gref,) = nf.grad(nf.conv(x, wq), [wq], grad_outputs=[gy])
    np.testing.assert_allclose(gw.data, gref.data)
    np.testing.assert_allclose(w.data, inq_quantize_ref(w.data, ind == 1, 4))


X, W = np.ones((2, 3)), np.ones((3, 2))


@pytest.mark.parametrize(
    "fn, args, kwargs, exc, message",
    [
        (
            nf.inq_affine,
            (X, W, np.zeros((3, 2))),
            {"num_bits": 1},
            nf.ArgumentError,
            "inq_affine: `num_bits` must be in [2, 64] (zero and sign take a bit each); "
            "received num_bits=1.",
        ),
        (
            nf.inq_affine,
            (X, W, np.zeros((3, 2))),
            {"selection_algorithm": "smallest"},
            nf.ArgumentError,
            "inq_affine: `selection_algorithm` must be one of 'largest_abs', 'random'; "
            "received selection_algorithm='smallest'.",
        ),
        (
            nf.inq_convolution,
            (np.ones((1, 3, 4)), np.ones((2, 3, 2)), np.zeros((2, 3, 3))),
            {},
            nf.ShapeError,
            "inq_convolution: `indicator_fixedweights` must have the shape of `weight`; "
            "received indicator_fixedweights.shape=(2, 3, 3), weight.shape=(2, 3, 2).",
        ),
        (
            nf.binary_weight_affine,
            (X, W, np.zeros((3, 2)), np.zeros(3)),
            {},
            nf.ShapeError,
            "binary_weight_affine: `alpha` must have one element per output (2); "
            "received alpha.shape=(3,), weight.shape=(3, 2).",
        ),
        (
            nf.binary_connect_affine,
            (X, W, np.zeros((2, 3))),
            {},
            nf.ShapeError,
            "binary_connect_affine: `binary_weight` must have the shape of `weight`; "
            "received binary_weight.shape=(2, 3), weight.shape=(3, 2).",
        ),
        (
            nf.binary_connect_affine,
            (X, W, np.zeros((3, 2), np.int32)),
            {},
            nf.DTypeError,
            "binary_connect_affine: `binary_weight` must have a floating dtype (it is written in "
            "place); received binary_weight.dtype=int32.",
        ),
    ],
)
def test_bad_input(fn, args, kwargs, exc, message):
    assert_raises_both_modes(fn, args, kwargs, exc, message)


def test_inq_random_without_seed_follows_the_global_generator_and_graph_gradients_work():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6))
    w0 = rng.standard_normal((6, 5))
    picks = []
    for _ in range(2):
        nf.random.seed(11)
        ind = np.zeros((6, 5))
        nf.inq_affine(x, w0.copy(), ind, inq_iterations=(0, 9), selection_algorithm="random")
        picks.append(ind)
    np.testing.assert_array_equal(picks[0], picks[1])
    g = nf.Graph()
    px = g.placeholder("x", (None, 6), np.float64)
    pw = g.parameter("w", w0.copy())
    y = nf.inq_affine(px, pw, g.parameter("ind", np.ones((6, 5))))
    (gw,) = g.grad(nf.sum(y), [pw])
    np.testing.assert_allclose(g.run(gw, {"x": x}), np.repeat(x.sum(0)[:, None], 5, axis=1))
