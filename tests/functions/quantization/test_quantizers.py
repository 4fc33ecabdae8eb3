import math
from typing import ClassVar

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def check_ste(fn, inputs, index, expected_factor, **kwargs):
    """The gradient of ``fn(*inputs)`` w.r.t. input ``index`` is exactly ``gy *
    expected_factor`` (eagerly and in a graph); its derivative w.r.t. ``gy`` is the factor."""
    rng = np.random.default_rng(7)
    y = fn(*inputs, **kwargs)
    gy = rng.standard_normal(np.shape(y)).astype(np.asarray(y).dtype)
    vs = [nf.Variable(x, requires_grad=i == index) for i, x in enumerate(inputs)]
    (gx,) = nf.grad(fn(*vs, **kwargs), [vs[index]], grad_outputs=[gy])
    want = (gy.astype(np.float64) * expected_factor).astype(gx.data.dtype)
    np.testing.assert_array_equal(gx.data, want)
    g = nf.Graph()
    phs = [g.placeholder(f"in{i}", np.shape(x), np.asarray(x).dtype) for i, x in enumerate(inputs)]
    (gs,) = g.grad(nf.sum(fn(*phs, **kwargs) * gy), [phs[index]])
    np.testing.assert_array_equal(g.run(gs, {f"in{i}": x for i, x in enumerate(inputs)}), want)
    gyv = nf.Variable(gy, requires_grad=True)
    vs = [nf.Variable(x, requires_grad=i == index) for i, x in enumerate(inputs)]
    (gx,) = nf.grad(fn(*vs, **kwargs), [vs[index]], grad_outputs=[gyv], create_graph=True)
    r = rng.standard_normal(gx.shape)
    (ggy,) = nf.grad(nf.sum(gx * r), [gyv])
    np.testing.assert_allclose(ggy.data, r * expected_factor, rtol=1e-6, atol=1e-6)


def round_half_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


# ---------------------------------------------------------------- binary activations
@parametrize_class(fn=["binary_sigmoid", "binary_tanh"], dtype=["float16", "float32", "int32"])
class TestBinaryActivation(FunctionTestCase):
    grad_inputs = ()  # straight-through gradient: checked exactly below

    def _call(self, *args, **extra):
        return (getattr(nf, self.fn)(*args, **extra),)

    def inputs(self, rng):
        return (rng.uniform(-3, 3, (3, 5)).astype(self.dtype),)

    def expected(self, x):
        low = 0.0 if self.fn == "binary_sigmoid" else -1.0
        dt = x.dtype if x.dtype.kind == "f" else np.float32
        return (np.where(x.astype(np.float64) > 0, 1.0, low).astype(dt),)


@pytest.mark.parametrize("fn, slope", [(nf.binary_sigmoid, 0.5), (nf.binary_tanh, 1.0)])
def test_binary_activation_straight_through_gradient(fn, slope):
    x = np.array([-2.0, -1.0, -0.999, -0.2, 0.0, 0.5, 1.0, 1.5])
    check_ste(fn, (x,), 0, np.where(np.abs(x) < 1, slope, 0.0))


# ---------------------------------------------------------------- fixed point
def fixed_point_ref(x, sign, n, delta):
    x = x.astype(np.float64)
    hi = (2 ** (n - 1) - 1) * delta if sign else (2**n - 1) * delta
    lo = -hi if sign else 0.0
    q = np.sign(x) * np.floor(np.abs(x) / delta + 0.5) * delta
    return np.where(x > hi, hi, np.where(x < lo, lo, q)), lo, hi


@parametrize_class(
    cfg=[(True, 8, 0.0625), (True, 3, 0.5), (False, 4, 0.25)], dtype=["float32", "float64"]
)
class TestFixedPointQuantize(FunctionTestCase):
    function = staticmethod(nf.fixed_point_quantize)
    grad_inputs = ()

    def inputs(self, rng):
        return (rng.uniform(-20, 20, (4, 6)).astype(self.dtype),)

    def kwargs(self):
        s, n, d = self.cfg
        return {"sign": s, "n": n, "delta": d}

    def expected(self, x):
        return (fixed_point_ref(x, *self.cfg)[0].astype(x.dtype),)


@pytest.mark.parametrize("fine", [True, False])
@pytest.mark.parametrize("sign", [True, False])
def test_fixed_point_straight_through(fine, sign):
    x = np.array([-5.0, -3.5, -3.0, -0.2, 0.0, 0.7, 3.5, 3.75, 4.0, 9.0])
    _, lo, hi = fixed_point_ref(x, sign, 4, 0.5)
    factor = ((x >= lo) & (x <= hi)).astype(float) if fine else np.ones_like(x)
    check_ste(
        nf.fixed_point_quantize, (x,), 0, factor, sign=sign, n=4, delta=0.5, ste_fine_grained=fine
    )


def test_fixed_point_rounds_halves_away_from_zero_and_quantize_false_is_identity():
    x = np.array([-0.375, -0.125, 0.125, 0.375])
    np.testing.assert_array_equal(nf.fixed_point_quantize(x, delta=0.25), [-0.5, -0.25, 0.25, 0.5])
    np.testing.assert_array_equal(nf.fixed_point_quantize(x, delta=0.25, quantize=False), x)


# ---------------------------------------------------------------- pow2
def pow2_ref(x, sign, with_zero, n, m):
    x = x.astype(np.float64)
    bits = n - int(sign) - int(with_zero)
    p_max, p_min = 2.0**m, 2.0 ** (m - (2**bits - 1))
    ax = np.abs(x)
    out = np.empty_like(x)
    for i, (v, a) in enumerate(zip(x.ravel(), ax.ravel(), strict=True)):
        q = 2.0 ** round_half_away(math.log2(a)) if a > 0 else 0.0
        if q > p_max:
            q = p_max
        elif q < p_min:
            q = (0.0 if a < p_min * 2**-0.5 else p_min) if with_zero else p_min
        if sign:
            q = -q if v < 0 else q
        elif v < 0:
            q = 0.0 if with_zero else p_min
        out.ravel()[i] = q
    return out


@parametrize_class(
    cfg=[(True, True, 8, 1), (True, False, 4, 0), (False, True, 4, 2), (False, False, 3, -1)],
    dtype=["float32", "float64"],
)
class TestPow2Quantize(FunctionTestCase):
    function = staticmethod(nf.pow2_quantize)
    grad_inputs = ()

    def inputs(self, rng):
        x = rng.standard_normal((5, 6)) * np.exp2(rng.integers(-8, 4, (5, 6)))
        x.ravel()[:3] = [0.0, 1e-30, -1e-30]
        return (x.astype(self.dtype),)

    def kwargs(self):
        s, z, n, m = self.cfg
        return {"sign": s, "with_zero": z, "n": n, "m": m}

    def expected(self, x):
        return (pow2_ref(x, *self.cfg).astype(x.dtype),)


@pytest.mark.parametrize("sign", [True, False])
def test_pow2_straight_through(sign):
    x = np.array([-5.0, -2.0, -0.3, 0.0, 0.01, 1.0, 2.8, 2.9, 7.0])
    edge = 2.0**1.5  # 2**round(log2|x|) > 2**m past the geometric mean of 2**m and 2**(m+1)
    factor = (np.abs(x) < edge).astype(float)
    if not sign:
        factor = factor * (x >= 0)
    check_ste(nf.pow2_quantize, (x,), 0, factor, sign=sign, m=1)
    check_ste(nf.pow2_quantize, (x,), 0, np.ones_like(x), sign=sign, ste_fine_grained=False)


# ---------------------------------------------------------------- prune
def prune_ref(x, rate):
    a = np.sort(np.abs(x).ravel())
    thr = a[int((x.size - 1) * rate)] + (1.0 if rate == 1.0 else 0.0)
    return np.where(np.abs(x) < thr, 0, x)


@parametrize_class(rate=[0.0, 0.3, 0.9, 1.0], dtype=["float32", "float64"])
class TestPrune(FunctionTestCase):
    function = staticmethod(nf.prune)
    grad_inputs = ()

    def inputs(self, rng):
        return (rng.standard_normal((4, 7)).astype(self.dtype),)

    def kwargs(self):
        return {"rate": self.rate}

    def expected(self, x):
        return (prune_ref(x, self.rate).astype(x.dtype),)


def test_prune_gradient_is_straight_through_and_empty_input_works():
    x = np.random.default_rng(0).standard_normal(10)
    check_ste(nf.prune, (x,), 0, np.ones(10), rate=0.5)
    assert nf.prune(np.zeros((0, 3))).shape == (0, 3)


# ---------------------------------------------------------------- min-max
def minmax_ref(x, qmin, qmax, lmin, lmax):
    scale = (qmax - qmin) / (lmax - lmin)
    zpf = lmin - qmin / scale
    zp = np.where(zpf <= lmin, lmin, np.where(zpf >= lmax, lmax, round_half_away(zpf)))
    lo, hi = (lmin - zp) * scale, (lmax - zp) * scale
    y = np.clip(x, lo, hi)
    return round_half_away((y - lo) / scale) * scale + lo, lo, hi


@parametrize_class(per_channel=[False, True], dtype=["float32", "float64"])
class TestMinMaxQuantize(FunctionTestCase):
    function = staticmethod(nf.min_max_quantize)
    grad_inputs = ()
    tolerances: ClassVar[dict] = {"float32": {"atol": 1e-5, "rtol": 1e-5}}

    def inputs(self, rng):
        shape = (1, 3, 1) if self.per_channel else (1, 1, 1)
        return (
            rng.uniform(-2, 3, (2, 3, 4)).astype(self.dtype),
            np.full(shape, -1.3, self.dtype),
            np.full(shape, 2.2, self.dtype),
            np.zeros(shape, self.dtype),
            np.full(shape, 15.0, self.dtype),
        )

    def expected(self, x, a, b, c, d):
        f = np.float64
        return (minmax_ref(x.astype(f), a.astype(f), b.astype(f), c, d)[0].astype(x.dtype),)


def test_min_max_range_gradients_and_straight_through():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 4, (3, 5))
    args = (x, np.full((1, 1), -1.0), np.full((1, 1), 2.0), np.zeros((1, 1)), np.full((1, 1), 7.0))
    _, lo, hi = minmax_ref(x, -1.0, 2.0, 0.0, 7.0)
    check_ste(nf.min_max_quantize, args, 0, ((x >= lo) & (x <= hi)).astype(float))
    check_ste(nf.min_max_quantize, args, 0, np.ones_like(x), ste_fine_grained=False)
    gy = rng.standard_normal(x.shape)
    vs = [nf.Variable(a, requires_grad=True) for a in args]
    g = nf.grad(nf.min_max_quantize(*vs), vs[1:3], grad_outputs=[gy])
    np.testing.assert_allclose(g[0].data, [[np.sum(gy * (x < lo))]])
    np.testing.assert_allclose(g[1].data, [[np.sum(gy * (x > hi))]])
    vs = [nf.Variable(a.copy(), requires_grad=True) for a in args]
    g = nf.grad(nf.min_max_quantize(*vs, x_min_max=True), vs[1:3], grad_outputs=[gy])
    assert all(not np.any(gi.data) for gi in g)  # range taken from x: no range gradient


def test_min_max_updates_the_range_in_place_across_calls_and_graph_runs():
    x1 = np.array([[-1.0, 0.5, 3.0]])
    x2 = np.array([[-2.0, 0.0, 1.0]])
    lo, hi = np.zeros((1, 1)), np.zeros((1, 1))
    ql, qh = np.zeros((1, 1)), np.full((1, 1), 255.0)
    nf.min_max_quantize(x1, lo, hi, ql, qh, x_min_max=True)
    assert (lo[0, 0], hi[0, 0]) == (-1.0, 3.0)
    nf.min_max_quantize(x2, lo, hi, ql, qh, x_min_max=True, ema=True, decay=0.75)
    np.testing.assert_allclose([lo[0, 0], hi[0, 0]], [0.75 * -1 + 0.25 * -2, 0.75 * 3 + 0.25 * 1])
    # a range narrower than eps is widened in place
    lo2, hi2 = np.full((1, 1), 0.5), np.full((1, 1), 0.5)
    nf.min_max_quantize(x1, lo2, hi2, ql, qh, eps=0.25)
    assert hi2[0, 0] == 0.75
    g = nf.Graph()
    p = g.placeholder("x", (None, 3), np.float64)
    ps = [g.parameter(n, np.zeros((1, 1))) for n in ("lo", "hi")]
    y = nf.min_max_quantize(
        p, *ps, g.constant(ql), g.constant(qh), x_min_max=True, ema=True, decay=0.5
    )
    g.run(y, {"x": x1})
    g.run(y, {"x": x1})
    np.testing.assert_allclose(g.get_value("lo"), [[-0.75]])
    np.testing.assert_allclose(g.get_value("hi"), [[2.25]])
    # quantize=False: the identity, nothing updated
    lo3 = np.zeros((1, 1))
    np.testing.assert_array_equal(
        nf.min_max_quantize(x1, lo3, hi.copy(), ql, qh, x_min_max=True, quantize=False), x1
    )
    assert lo3[0, 0] == 0.0


# ---------------------------------------------------------------- bad input
Q = (np.zeros((2, 3)), np.zeros((1, 1)), np.ones((1, 1)), np.zeros((1, 1)), np.full((1, 1), 3.0))


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.fixed_point_quantize(np.ones(3), n=1),
            nf.ArgumentError,
            "fixed_point_quantize: `n` must be in [2, 64] (one bit is the sign); received n=1.",
        ),
        (
            lambda: nf.fixed_point_quantize(np.ones(3), delta=0.0),
            nf.ArgumentError,
            "fixed_point_quantize: `delta` must be in (0, inf); received delta=0.0.",
        ),
        (
            lambda: nf.pow2_quantize(np.ones(3), n=2),
            nf.ArgumentError,
            "pow2_quantize: `n` must be in [3, 64] (sign and zero take one bit each); "
            "received n=2, sign=True, with_zero=True.",
        ),
        (
            lambda: nf.prune(np.ones(3), rate=1.5),
            nf.ArgumentError,
            "prune: `rate` must be in [0, 1]; received rate=1.5.",
        ),
        (
            lambda: nf.prune(np.ones(3), rate=-0.1),
            nf.ArgumentError,
            "prune: `rate` must be in [0, 1]; received rate=-0.1.",
        ),
        (
            lambda: nf.min_max_quantize(Q[0], np.full((1, 1), 2.0), *Q[2:]),
            nf.ArgumentError,
            "min_max_quantize: `qr_min` must be <= qr_max everywhere; "
            "received qr_min=[[2.0]], qr_max=[[1.0]].",
        ),
        (
            lambda: nf.min_max_quantize(*Q[:3], np.full((1, 1), 3.0), Q[4]),
            nf.ArgumentError,
            "min_max_quantize: `ql_min` must be < ql_max everywhere; "
            "received ql_min=[[3.0]], ql_max=[[3.0]].",
        ),
        (
            lambda: nf.min_max_quantize(Q[0], np.zeros(1), np.ones(1), np.zeros(1), np.ones(1)),
            nf.ShapeError,
            "min_max_quantize: `qr_min` must have the rank of `x` (size 1 on the reduced axes); "
            "received qr_min.shape=(1,), x.shape=(2, 3).",
        ),
        (
            lambda: nf.min_max_quantize(Q[0], np.zeros((1, 1), np.int64), *Q[2:]),
            nf.DTypeError,
            "min_max_quantize: `qr_min` must have a floating dtype (it is written in place); "
            "received qr_min.dtype=int64.",
        ),
        (
            lambda: nf.min_max_quantize(*Q, decay=2.0),
            nf.ArgumentError,
            "min_max_quantize: `decay` must be in [0, 1]; received decay=2.0.",
        ),
        (
            lambda: nf.binary_tanh(np.ones(2, complex)),
            nf.DTypeError,
            "binary_tanh: `x` must have a real dtype; received x.dtype=complex128.",
        ),
    ],
)
def test_bad_input(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message


def test_range_shape_errors_name_the_graph_node():
    assert_raises_both_modes(
        nf.min_max_quantize,
        (Q[0], np.zeros((1, 2)), np.ones((1, 2)), np.zeros((1, 2)), np.ones((1, 2))),
        {},
        nf.ShapeError,
        "min_max_quantize: `qr_min` must have size 1 or the size of `x` on axis 1; "
        "received qr_min.shape=(1, 2), x.shape=(2, 3).",
    )
