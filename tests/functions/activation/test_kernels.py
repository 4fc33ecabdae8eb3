import math

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core.backend import numba_enabled
from nnfunc.functions.activation._fused import ActivationGrad
from nnfunc.kernels.cpu import activation as K

X = np.concatenate(
    [
        np.linspace(-8, 8, 4001),
        [0.0, 1e-300, -1e-12, 2.5, -2.5, 2.5000001, 26.0, -27.5, 1e30, -1e30, np.inf, -np.inf],
    ]
)


def test_numpy_erf_twin_is_float64_accurate():
    ref = np.array([math.erf(v) for v in X])
    np.testing.assert_allclose(K.erf_numpy(X), ref, rtol=0, atol=2e-15)
    refc = np.array([math.erfc(v) for v in X])
    np.testing.assert_allclose(K.erfc_numpy(X), refc, rtol=5e-12, atol=1e-300)
    assert np.isnan(K.erf_numpy(np.array([np.nan])))[0]


@pytest.mark.skipif(not numba_enabled(), reason="numba disabled")
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_numba_kernels_agree_with_numpy_twins(dtype):
    with np.errstate(over="ignore"):
        x = X.astype(dtype)
    tol = {np.float16: 1e-3, np.float32: 1e-6, np.float64: 1e-14}[dtype]
    with np.errstate(all="ignore"):
        a, b = K.erf(x), K.erf_numpy(x)
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        a, b = K.gelu(x, "none"), K.gelu_numpy(x, "none")
    assert a.dtype == b.dtype == dtype
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_numpy_kernels_handle_0d_inputs():
    for f in (K.silu_numpy, K.softplus_numpy, K.log_sigmoid_numpy):
        y = f(np.array(1.5))
        assert isinstance(y, np.ndarray) and y.shape == ()
    y = K.gelu_numpy(np.array(1.0, np.float32), "tanh")
    assert isinstance(y, np.ndarray) and y.dtype == np.float32


# ---------------------------------------------------------------------------- fused kernels
# The forward and gradient kernels of the activations (issue 21): the numba loop (float16 and
# float32) and its NumPy twin against an independent float64 reference written here, then
# against each other on special values (NaN, inf, huge, tiny, empty, 0-d).
SIG_A = 1.702
GELU_K = math.sqrt(2 / math.pi)


def _sig(z):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def _gelu_tanh_ref(x):
    # 0.5 x (1 + tanh(u)) = x e^u / (e^u + e^-u): 1 + tanh(u) would cancel for negative x
    xc = np.clip(x, -100, 100)
    return x * _sig(2 * GELU_K * (xc + 0.044715 * xc**3))


def _gelu_tanh_d_ref(x):
    xc = np.clip(x, -100, 100)
    t = np.tanh(GELU_K * (xc + 0.044715 * xc**3))
    return 0.5 * (1 + t) + 0.5 * GELU_K * xc * (1 - t * t) * (1 + 3 * 0.044715 * xc**2)


_erfc = np.vectorize(math.erfc)

#: kind, a, b -> float64 reference of f(x)
FWD_REFS = {
    ("sigmoid", 0.0, 0.0): _sig,
    ("swish", 1.0, 0.0): lambda x: x * _sig(x),
    ("swish", SIG_A, 0.0): lambda x: x * _sig(SIG_A * x),
    ("gelu_tanh", 0.0, 0.0): _gelu_tanh_ref,
    ("softplus", 0.0, 0.0): lambda x: np.logaddexp(x, 0),
    ("log_sigmoid", 0.0, 0.0): lambda x: -np.logaddexp(-x, 0),
    ("elu", 1.3, 1.05): lambda x: 1.05 * np.where(x > 0, x, 1.3 * np.expm1(np.minimum(x, 0))),
    ("leaky_relu", 0.2, 0.0): lambda x: np.where(x >= 0, x, 0.2 * x),
    ("clip", 0.0, np.inf): lambda x: np.maximum(x, 0),
    ("clip", -1.5, 6.0): lambda x: np.clip(x, -1.5, 6),
    ("hard_silu", 0.0, 0.0): lambda x: x * np.clip(x + 3, 0, 6) / 6,
}
#: kind, a, b -> (v of x, float64 reference of f'(x))
GRAD_REFS = {
    ("sigmoid", 0.0, 0.0): (_sig, lambda x: _sig(x) * _sig(-x)),
    ("tanh", 0.0, 0.0): (np.tanh, lambda x: 1 / np.cosh(np.clip(x, -300, 300)) ** 2),
    ("relu", 0.0, 0.0): (lambda x: np.maximum(x, 0), lambda x: (x > 0) * 1.0),
    ("relu", 0.5, 0.0): (lambda x: x, lambda x: (x > 0.5) * 1.0),
    ("leaky_relu", 0.2, 0.0): (lambda x: x, lambda x: np.where(x >= 0, 1.0, 0.2)),
    ("softplus", 0.0, 0.0): (lambda x: x, _sig),
    ("log_sigmoid", 0.0, 0.0): (lambda x: x, lambda x: _sig(-x)),
    ("swish", 1.0, 0.0): (lambda x: x, lambda x: _sig(x) * (1 + x * _sig(-x))),
    ("swish", SIG_A, 0.0): (
        lambda x: x,
        lambda x: _sig(SIG_A * x) * (1 + SIG_A * x * _sig(-SIG_A * x)),
    ),
    ("gelu_tanh", 0.0, 0.0): (lambda x: x, _gelu_tanh_d_ref),
    ("gelu_erf", 0.0, 0.0): (
        lambda x: x,
        lambda x: (
            0.5 * _erfc(-x / math.sqrt(2)) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        ),
    ),
    ("elu", 1.3, 1.05): (lambda x: x, lambda x: 1.05 * np.where(x > 0, 1, 1.3 * np.exp(x))),
    ("softsign", 0.0, 0.0): (lambda x: x, lambda x: 1 / (1 + np.abs(x)) ** 2),
    ("window", 0.5, 6.0): (lambda x: x, lambda x: ((x > 0.5) & (x < 6)) * 1.0),
    ("hard_silu", 0.0, 0.0): (
        lambda x: x,
        lambda x: np.where(x >= 3, 1.0, np.where(x > -3, (2 * x + 3) / 6, 0.0)),
    ),
}
XS = np.linspace(-12, 12, 2401)  # float32-exact grid points and their float64 references
SPECIAL = np.array(
    [0.0, -0.0, 1e-30, -1e-30, 1e30, -1e30, 3.4e38, -3.4e38, np.inf, -np.inf, np.nan]
)


def _ids(table):
    return [f"{k}-{a}" for k, a, _ in table]


def _tol(dtype):
    return {np.float16: 2e-3, np.float32: 2e-6}[dtype]


@pytest.mark.parametrize("kind, a, b", list(FWD_REFS), ids=_ids(FWD_REFS))
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
@pytest.mark.parametrize("twin", ["numba", "numpy"])
def test_forward_kernels_match_float64_reference(kind, a, b, dtype, twin):
    if twin == "numba" and not numba_enabled():
        pytest.skip("numba disabled")
    x = XS.astype(dtype)
    fn = K.forward_numba if twin == "numba" else K.forward_numpy
    y = fn(kind, x, a, b)
    assert y.dtype == dtype and y.shape == x.shape
    ref = FWD_REFS[(kind, a, b)](x.astype(np.float64))
    # The float32 NumPy twin computes in float32 (a few ulps more), numba mostly in float64.
    tol = _tol(dtype) * (1 if twin == "numba" or dtype == np.float16 else 8)
    np.testing.assert_allclose(y, ref.astype(dtype), rtol=tol, atol=1e-30)


@pytest.mark.parametrize("kind, a, b", list(FWD_REFS), ids=_ids(FWD_REFS))
def test_forward_numpy_twin_is_float64_accurate(kind, a, b):
    y = K.forward_numpy(kind, XS, a, b)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, FWD_REFS[(kind, a, b)](XS), rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("kind, a, b", list(GRAD_REFS), ids=_ids(GRAD_REFS))
@pytest.mark.parametrize(
    "twin, dtype",  # float64 always runs the NumPy twin
    [("numba", np.float16), ("numba", np.float32)]
    + [("numpy", d) for d in (np.float16, np.float32, np.float64)],
)
def test_grad_kernels_match_float64_reference(kind, a, b, dtype, twin):
    if twin == "numba" and not numba_enabled():
        pytest.skip("numba disabled")
    vfn, dfn = GRAD_REFS[(kind, a, b)]
    x = XS.astype(dtype).astype(np.float64)
    v = vfn(x).astype(dtype)
    gy = np.random.default_rng(0).uniform(-2, 2, x.shape).astype(dtype)
    fn = K.grad_numba if twin == "numba" else K.grad_numpy
    gx = fn(kind, v, gy, a, b)
    assert gx.dtype == dtype and gx.shape == x.shape
    ref = gy.astype(np.float64) * dfn(x)
    if dtype == np.float64:
        np.testing.assert_allclose(gx, ref, rtol=1e-12, atol=1e-14)
        return
    # f'(x) crosses 0 (swish, GELU): relative to the gradient's scale, not to each value;
    # sigmoid and tanh work from the rounded output v (1 - v cancels as in any framework).
    tol = _tol(dtype) * (4 if twin == "numba" else 16)
    np.testing.assert_allclose(gx, ref, rtol=tol, atol=tol * 4)


@pytest.mark.skipif(not numba_enabled(), reason="numba disabled")
@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_kernels_and_twins_agree_on_special_values(dtype):
    with np.errstate(over="ignore"):
        x = SPECIAL.astype(dtype)
    gy = np.ones_like(x)
    for kind, a, b in FWD_REFS:
        with np.errstate(all="ignore"):
            y1, y2 = K.forward_numba(kind, x, a, b), K.forward_numpy(kind, x, a, b)
        np.testing.assert_array_equal(np.isnan(y1), np.isnan(x), err_msg=kind)
        np.testing.assert_allclose(y1, y2, rtol=_tol(dtype) * 8, atol=0, err_msg=kind)
    for kind, a, b in GRAD_REFS:
        v = GRAD_REFS[(kind, a, b)][0](x.astype(np.float64)).astype(dtype)
        with np.errstate(all="ignore"):
            g1, g2 = K.grad_numba(kind, v, gy, a, b), K.grad_numpy(kind, v, gy, a, b)
        np.testing.assert_allclose(g1, g2, rtol=_tol(dtype) * 8, atol=0, err_msg=kind)
        # finite inputs (huge ones too) give finite gradients
        assert np.isfinite(g1[np.isfinite(x)]).all(), kind


@pytest.mark.parametrize("twin", ["numba", "numpy"])
@pytest.mark.parametrize("shape", [(0,), (0, 3), ()])
def test_kernels_on_empty_and_0d_arrays(twin, shape):
    if twin == "numba" and not numba_enabled():
        pytest.skip("numba disabled")
    fwd = K.forward_numba if twin == "numba" else K.forward_numpy
    grad = K.grad_numba if twin == "numba" else K.grad_numpy
    x = np.full(shape, 0.5, np.float32)
    for kind, a, b in FWD_REFS:
        y = fwd(kind, x, a, b)
        assert isinstance(y, np.ndarray) and y.shape == shape and y.dtype == np.float32
    for kind, a, b in GRAD_REFS:
        g = grad(kind, x, x, a, b)
        assert isinstance(g, np.ndarray) and g.shape == shape and g.dtype == np.float32


@pytest.mark.skipif(not numba_enabled(), reason="numba disabled")
def test_threaded_kernels_equal_one_thread():
    x = np.random.default_rng(1).standard_normal((7, 1001)).astype(np.float32)
    for kind, a, b in FWD_REFS:
        np.testing.assert_array_equal(
            K.forward_numba(kind, x, a, b, threads=5), K.forward_numba(kind, x, a, b, threads=1)
        )
    for kind, a, b in GRAD_REFS:
        np.testing.assert_array_equal(
            K.grad_numba(kind, x, x, a, b, threads=5), K.grad_numba(kind, x, x, a, b, threads=1)
        )


def test_dispatch_uses_numpy_twin_for_float64_and_noncontiguous_views():
    x = np.linspace(-3, 3, 40).reshape(5, 8)
    np.testing.assert_array_equal(K.forward("gelu_tanh", x), K.forward_numpy("gelu_tanh", x))
    xt = x.astype(np.float32).T  # a non-contiguous view
    y = K.forward("gelu_tanh", xt)
    np.testing.assert_allclose(y, _gelu_tanh_ref(xt.astype(np.float64)), rtol=2e-6)
    g = K.grad("swish", xt, np.ones_like(xt), 1.0)
    assert g.shape == xt.shape and g.dtype == np.float32


def _ulps(y, ref):
    """|y - ref| in units of the float32 spacing at ref (the least denormal at most)."""
    spacing = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64)
    return np.abs(y.astype(np.float64) - ref) / spacing


@pytest.mark.skipif(not numba_enabled(), reason="numba disabled")
@pytest.mark.parametrize("kind, a", [("gelu_tanh", 0.0), ("swish", SIG_A)])
def test_float32_gelu_kernels_are_within_four_ulps(kind, a):
    # The float32 kernels (argument and exp reduction in float64, the rest in float32) keep
    # every float32 result within a few ulps, the tiny ones of the lower tail and the
    # denormals included: every 97th float32 of [-120, 120] (a float32 argument would cost
    # |z| / 2 ulps there, ~50 at x = -9), plus the neighbourhoods of 0 and of the cut-offs.
    hi = np.array(120.0, np.float32).view(np.int32)
    pos = np.arange(0, hi, 97, dtype=np.int32).view(np.float32)
    tiny = np.arange(0, 1 << 16, dtype=np.int32).view(np.float32)  # the smallest denormals
    edges = np.concatenate([np.linspace(c - 0.01, c + 0.01, 2001) for c in (12, 64.6, 110)])
    edges = edges.astype(np.float32)
    x = np.concatenate([pos, -pos, tiny, -tiny, edges, -edges])
    y = K.forward_numba(kind, x, a)
    ref = FWD_REFS[(kind, a, 0.0)](x.astype(np.float64))
    assert _ulps(y, ref).max() <= 4
    np.testing.assert_array_equal(np.signbit(y[ref == 0]), np.signbit(x[ref == 0]))


# ---------------------------------------------------------------------------- ActivationGrad
ACTIVATIONS = {
    "sigmoid": nf.sigmoid,
    "tanh": nf.tanh,
    "softplus": nf.softplus,
    "gelu_none": nf.gelu,
    "gelu_tanh": lambda v: nf.gelu(v, approximate="tanh"),
    "gelu_sigmoid": lambda v: nf.gelu(v, approximate="sigmoid"),
    "silu": nf.silu,
    "elu": lambda v: nf.elu(v, 0.7),
    "selu": nf.selu,
    "relu": nf.relu,
    "relu_threshold": lambda v: nf.relu(v, threshold=0.25),
    "leaky_relu": lambda v: nf.leaky_relu(v, 0.2),
    "relu6": nf.relu6,
    "hard_sigmoid": nf.hard_sigmoid,
    "hard_silu": nf.hard_silu,
    "log_sigmoid": nf.log_sigmoid,
    "softsign": nf.softsign,
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_backward_is_one_fused_node(name):
    x = nf.Variable(np.array([-3.5, -0.3, 0.4, 2.0, 7.0], np.float32), requires_grad=True)
    (g,) = nf.grad(ACTIVATIONS[name](x), [x], grad_outputs=[np.ones(5, np.float32)],
                   create_graph=True)  # fmt: skip
    creator = g.creator
    if name == "hard_sigmoid":  # the composite's mul backward follows the fused clip node
        assert type(creator).__name__ != "ActivationGrad"
        return
    assert isinstance(creator, ActivationGrad), type(creator)
    assert g.dtype == np.float32


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_second_derivative_of_the_fused_node(name):
    # d/dx sum(w * f'(x)) against central differences of f' itself (float64, away from kinks)
    fn = ACTIVATIONS[name]
    x0 = np.array([-3.7, -1.3, -0.45, 0.35, 1.1, 2.6, 6.3])
    w = np.linspace(0.5, 1.5, x0.size)

    def first(v):
        xv = nf.Variable(v, requires_grad=True)
        (g,) = nf.grad(fn(xv), [xv], grad_outputs=[np.ones_like(v)])
        return g.data

    x = nf.Variable(x0, requires_grad=True)
    (g,) = nf.grad(fn(x), [x], grad_outputs=[np.ones_like(x0)], create_graph=True)
    (gg,) = nf.grad(nf.sum(g * w), [x])
    h = 1e-6
    numeric = w * (first(x0 + h) - first(x0 - h)) / (2 * h)
    np.testing.assert_allclose(gg.data, numeric, rtol=1e-5, atol=1e-7)


def test_fused_gradient_in_graph_mode_saves_and_loads(tmp_path):
    g = nf.Graph()
    x = g.placeholder("x", (None, 3), np.float32)
    (gx,) = g.grad(nf.gelu(x, approximate="tanh", name="y"), [x])
    xv = np.array([[-1.0, 0.5, 3.0]], np.float32)
    out = g.run(gx, {"x": xv})
    v = nf.Variable(xv, requires_grad=True)
    (ref,) = nf.grad(nf.gelu(v, approximate="tanh"), [v], grad_outputs=[np.ones_like(xv)])
    np.testing.assert_allclose(out, ref.data, rtol=1e-6)
    path = tmp_path / "g.json"
    g.save(path)
    loaded = nf.Graph.load(path)
    np.testing.assert_allclose(loaded.run(gx.name, {"x": xv}), out, rtol=0)
