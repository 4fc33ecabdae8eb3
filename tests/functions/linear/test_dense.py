import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def linear_ref(x, w, b=None):
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    out = np.zeros(x.shape[:-1] + w.shape[1:])
    for idx in np.ndindex(x.shape[:-1]):
        for o in np.ndindex(w.shape[1:]):
            out[idx + o] = sum(x64[idx + (i,)] * w64[(i, *o)] for i in range(x.shape[-1]))
    if b is not None:
        out = out + b.astype(np.float64)
    return out


@parametrize_class(case=["2d", "3d_bias", "multi_out", "1d"], dtype=["float32", "float64"])
class TestLinear(FunctionTestCase):
    function = staticmethod(nf.linear)

    def inputs(self, rng):
        xs, ws, bias = {
            "2d": ((3, 4), (4, 5), False),
            "3d_bias": ((2, 3, 4), (4, 2), True),
            "multi_out": ((3, 4), (4, 2, 3), True),
            "1d": ((4,), (4, 3), True),
        }[self.case]
        out = [
            rng.standard_normal(xs).astype(self.dtype),
            rng.standard_normal(ws).astype(self.dtype),
        ]
        if bias:
            out.append(rng.standard_normal(ws[1:]).astype(self.dtype))
        return tuple(out)

    @property
    def symbolic_dims(self):
        return (0,) if self.case != "1d" else ()

    def expected(self, x, w, b=None):
        return (linear_ref(x, w, b).astype(x.dtype),)


@parametrize_class(base_axis=[1, -2, 2], dtype=["float32", "float64"])
class TestLinearBaseAxis(FunctionTestCase):
    """NNabla's affine: the axes from base_axis on are flattened into nIn."""

    function = staticmethod(nf.linear)
    symbolic_dims = (0, 1)  # with base_axis=2, two unknown sample axes

    def inputs(self, rng):
        n_in = {1: 12, -2: 12, 2: 4}[self.base_axis]
        return (
            rng.standard_normal((2, 3, 4)).astype(self.dtype),
            rng.standard_normal((n_in, 2, 3)).astype(self.dtype),
            rng.standard_normal((2, 3)).astype(self.dtype),
        )

    def kwargs(self):
        return {"base_axis": self.base_axis}

    def expected(self, x, w, b):
        ba = self.base_axis % x.ndim
        x2 = x.reshape(x.shape[:ba] + (-1,))
        return (linear_ref(x2, w, b).astype(x.dtype),)


@parametrize_class(dtype=["float64"])
class TestReluLayer(FunctionTestCase):
    function = staticmethod(nf.relu_layer)
    grad_atol = 1e-5

    def inputs(self, rng):
        return (
            rng.standard_normal((3, 4)),
            rng.standard_normal((4, 5)),
            rng.standard_normal((5,)),
        )

    def expected(self, x, w, b):
        return (np.maximum(linear_ref(x, w, b), 0),)


@parametrize_class(case=["nchw4", "nhwc4", "rank2", "rank1", "nchw3"], dtype=["float32", "float64"])
class TestBiasAdd(FunctionTestCase):
    function = staticmethod(nf.bias_add)

    def inputs(self, rng):
        shape, c = {
            "nchw4": ((2, 3, 2, 2), 3),
            "nhwc4": ((2, 2, 2, 3), 3),
            "rank2": ((2, 3), 3),
            "rank1": ((3,), 3),
            "nchw3": ((2, 3, 4), 3),
        }[self.case]
        return (
            rng.standard_normal(shape).astype(self.dtype),
            rng.standard_normal(c).astype(self.dtype),
        )

    def kwargs(self):
        return {"channel_last": self.case == "nhwc4"}

    @property
    def symbolic_dims(self):
        return () if self.case == "rank1" else (0,)

    def expected(self, x, b):
        out = x.astype(np.float64).copy()
        ax = {"nchw4": 1, "nhwc4": 3, "rank2": 1, "rank1": 0, "nchw3": 1}[self.case]
        for c in range(b.shape[0]):
            idx = [slice(None)] * x.ndim
            idx[ax] = c
            out[tuple(idx)] += b[c]
        return (out.astype(x.dtype),)


BAD = [
    (
        nf.linear,
        (np.ones((2, 3)), np.ones((4, 5))),
        nf.ShapeError,
        "linear: `weight` must have as many rows (nIn) as `x` has features (its last axis); "
        "received weight.shape=(4, 5), x.shape=(2, 3).",
    ),
    (
        nf.linear,
        (np.ones((2, 3)), np.ones((3, 5)), np.ones((4,))),
        nf.ShapeError,
        "linear: `bias` must have the shape weight.shape[1:]; received bias.shape=(4,), "
        "weight.shape=(3, 5).",
    ),
    (
        nf.linear,
        (np.ones((2, 3)), np.ones((3,))),
        nf.ShapeError,
        "linear: `weight` must have rank >= 2; received weight.shape=(3,).",
    ),
    (
        lambda x, w, **k: nf.linear(x, w, base_axis=1, **k),
        (np.ones((2, 3, 4)), np.ones((4, 5))),
        nf.ShapeError,
        "linear: `weight` must have as many rows (nIn) as `x` has features (the product of its "
        "axes from base_axis on); received weight.shape=(4, 5), x.shape=(2, 3, 4), base_axis=1.",
    ),
    (
        lambda x, w, **k: nf.linear(x, w, base_axis=3, **k),
        (np.ones((2, 3, 4)), np.ones((4, 5))),
        nf.ShapeError,
        "linear: `base_axis` must be in [-3, 3) for an input of rank 3; received base_axis=3.",
    ),
    (
        nf.relu_layer,
        (np.ones((2, 3)), np.ones((4, 5))),
        nf.ShapeError,
        "relu_layer: `weight` must have as many rows (nIn) as `x` has features (its last "
        "axis); received weight.shape=(4, 5), x.shape=(2, 3).",
    ),
    (
        nf.bias_add,
        (np.ones((2, 3)), np.ones((3, 1))),
        nf.ShapeError,
        "bias_add: `bias` must have rank 1; received bias.shape=(3, 1).",
    ),
    (
        nf.bias_add,
        (np.ones((2, 3, 4)), np.ones((4,))),
        nf.ShapeError,
        "bias_add: `bias` must have the size of the channel axis 1 of `x`; received "
        "bias.shape=(4,), x.shape=(2, 3, 4).",
    ),
    (
        nf.bias_add,
        (np.ones((2, 3)), np.ones((3,), np.float32)),
        nf.DTypeError,
        "bias_add: `x` and `bias` must have the same dtype; received x.dtype=float64, "
        "bias.dtype=float32.",
    ),
]


@pytest.mark.parametrize("fn, inputs, exc, message", BAD)
def test_bad_input(fn, inputs, exc, message):
    if fn is nf.relu_layer:
        with pytest.raises(exc, match=__import__("re").escape(message)):
            fn(*inputs)
        return
    assert_raises_both_modes(fn, inputs, {}, exc, message)


def test_linear_integer_input_promotes():
    y = nf.linear(np.array([[1, 2]]), np.ones((2, 2), np.int64))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [[3.0, 3.0]])


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "base_axis"),
    [((2, 3, 4), (12, 2, 3), 1), ((2, 3, 4), (4, 2, 3), 2), ((3, 4), (4, 5), -1)],
    ids=["base_axis_1", "base_axis_2", "last_axis"],
)
def test_second_order_graph_with_every_dim_unknown(x_shape, w_shape, base_axis):
    # Only the ranks are known when the graph is built: nIn and nOut are products of unknown
    # sizes (the backward once took math.prod of a None: a raw TypeError). Float64 closed forms
    # on the matrices X (R, I), W (I, O), G (R, O): L = sum(y * G) gives gx = G W^T,
    # gw = X^T G, gb = sum_r G; L2 = sum(gx * U) + sum(gw * V) + sum(gb * c) gives
    # d/dx = G V^T, d/dw = U^T G, d/dG = U W + X V + c.
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[1:])
    y_shape = x_shape[: base_axis % len(x_shape)] + w_shape[1:]
    gy, u, v, c = (rng.standard_normal(s) for s in (y_shape, x_shape, w_shape, w_shape[1:]))
    g = nf.Graph()
    px, pw, pb, pg = (
        g.placeholder(n, (None,) * len(s), np.float64)
        for n, s in (("x", x_shape), ("w", w_shape), ("b", b.shape), ("g", y_shape))
    )
    y = nf.linear(px, pw, pb, base_axis=base_axis)
    gx, gw, gb = g.grad(nf.sum(y * pg), [px, pw, pb])
    loss2 = nf.sum(gx * u) + nf.sum(gw * v) + nf.sum(gb * c)
    hx, hw, hg = g.grad(loss2, [px, pw, pg])
    got = g.run([y, gx, gw, gb, hx, hw, hg], {"x": x, "w": w, "b": b, "g": gy})
    n_in = w_shape[0]
    xm, wm = x.reshape(-1, n_in), w.reshape(n_in, -1)
    gm, um, vm = gy.reshape(xm.shape[0], -1), u.reshape(xm.shape), v.reshape(wm.shape)
    want = [
        (xm @ wm).reshape(y_shape) + b,
        (gm @ wm.T).reshape(x_shape),
        (xm.T @ gm).reshape(w_shape),
        gm.sum(0).reshape(b.shape),
        (gm @ vm.T).reshape(x_shape),
        (um.T @ gm).reshape(w_shape),
        (um @ wm + xm @ vm + c.reshape(-1)).reshape(y_shape),
    ]
    for i, (a, e) in enumerate(zip(got, want, strict=True)):
        assert a.shape == e.shape, f"value {i}: {a.shape} vs {e.shape}"
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12, err_msg=f"value {i}")


def test_graph_with_unknown_dims_and_an_empty_batch():
    # the run-time matrix view takes its sizes from the arrays (a -1 is ambiguous when empty)
    g = nf.Graph()
    px, pw = g.placeholder("x", (None, None, None)), g.placeholder("w", (None, None, None))
    y = nf.linear(px, pw, base_axis=1)
    gx, gw = g.grad(nf.sum(y * y), [px, pw])
    x, w = np.zeros((0, 3, 4), np.float32), np.ones((12, 2, 5), np.float32)
    yv, gxv, gwv = g.run([y, gx, gw], {"x": x, "w": w})
    assert yv.shape == (0, 2, 5) and gxv.shape == (0, 3, 4)
    np.testing.assert_array_equal(gwv, np.zeros((12, 2, 5), np.float32))
