import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


def correlation_ref(x1, x2, patch, shift, patch_step, shift_step, pads, channel_last):
    """NNabla's definition, one output value at a time, bounds checked per tap (float64)."""
    a = x1.astype(np.float64)
    b = x2.astype(np.float64)
    if not channel_last:
        a, b = np.moveaxis(a, 1, -1), np.moveaxis(b, 1, -1)
    n, h, w, _ = a.shape
    (ph, pw), (sh, sw) = pair(patch), pair(shift)
    (tv, th), (uv, uh) = pair(patch_step), pair(shift_step)
    (top, bottom), (left, right) = pads
    ys = range(-top, h - ph + bottom + 1, tv)
    xs = range(-left, w - pw + right + 1, th)
    dys = range(-sh, sh + 1, uv)
    dxs = range(-sw, sw + 1, uh)
    out = np.zeros((n, len(ys), len(xs), len(dys), len(dxs)))
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            for u, dy in enumerate(dys):
                for v, dx in enumerate(dxs):
                    for ky in range(ph):
                        for kx in range(pw):
                            y1, x1_, y2, x2_ = y + ky, x + kx, y + ky + dy, x + kx + dx
                            if 0 <= y1 < h and 0 <= x1_ < w and 0 <= y2 < h and 0 <= x2_ < w:
                                out[:, i, j, u, v] += (a[:, y1, x1_] * b[:, y2, x2_]).sum(-1)
    return out if channel_last else out.transpose(0, 3, 4, 1, 2)


def as_pairs(pad):
    if np.isscalar(pad):
        return ((pad, pad), (pad, pad))
    return tuple((p, p) if np.isscalar(p) else tuple(p) for p in pad)


CASES = [
    {"x": (2, 3, 4, 5), "patch": 1, "shift": 1, "patch_step": 1, "shift_step": 1, "pad": 0},
    {
        "x": (1, 2, 5, 6),
        "patch": (2, 3),
        "shift": (1, 2),
        "patch_step": (2, 1),
        "shift_step": (1, 2),
        "pad": ((0, 1), (2, 1)),
    },
    {
        "x": (2, 2, 4, 4),
        "patch": 2,
        "shift": (0, 1),
        "patch_step": 1,
        "shift_step": 1,
        "pad": 1,
        "channel_last": True,
    },
    {
        "x": (1, 1, 3, 5),
        "patch": (3, 2),
        "shift": (2, 0),
        "patch_step": 3,
        "shift_step": 2,
        "pad": (0, 2),
    },
]


@parametrize_class(case=CASES, dtype=["float32"])
class TestPatchCorrelation(FunctionTestCase):
    function = staticmethod(nf.patch_correlation)
    tolerances = {"float32": {"atol": 1e-5, "rtol": 1e-5}}  # noqa: RUF012

    def inputs(self, rng):
        c = self.case
        xs = c["x"] if not c.get("channel_last") else (c["x"][0], *c["x"][2:], c["x"][1])
        return (
            rng.standard_normal(xs).astype(self.dtype),
            rng.standard_normal(xs).astype(self.dtype),
        )

    def kwargs(self):
        c = self.case
        return {k: c[k] for k in ("patch", "shift", "patch_step", "shift_step", "pad")} | {
            "channel_last": c.get("channel_last", False)
        }

    def expected(self, x1, x2):
        c = self.case
        y = correlation_ref(
            x1,
            x2,
            c["patch"],
            c["shift"],
            c["patch_step"],
            c["shift_step"],
            as_pairs(c["pad"]),
            c.get("channel_last", False),
        )
        return (y.astype(x1.dtype),)


@parametrize_class(dtype=["float16", "float64"])
class TestPatchCorrelationDtypes(FunctionTestCase):
    function = staticmethod(nf.patch_correlation)
    tolerances = {"float16": {"atol": 1e-2, "rtol": 1e-2}}  # noqa: RUF012
    symbolic_dims = (0, 2, 3)  # unknown batch and spatial sizes

    def inputs(self, rng):
        return (
            rng.standard_normal((1, 3, 4, 4)).astype(self.dtype),
            rng.standard_normal((1, 3, 4, 4)).astype(self.dtype),
        )

    def kwargs(self):
        return {"patch": 2, "shift": 1, "pad": "same"}

    def expected(self, x1, x2):
        y = correlation_ref(x1, x2, 2, 1, 1, 1, ((0, 1), (0, 1)), False)
        return (y.astype(x1.dtype),)


def test_integer_inputs_give_float32():
    x = np.arange(12).reshape(1, 1, 3, 4)
    y = nf.patch_correlation(x, x, shift=1)
    assert y.dtype == np.float32 and y.shape == (1, 3, 3, 3, 4)
    np.testing.assert_array_equal(y, correlation_ref(x, x, 1, 1, 1, 1, ((0, 0), (0, 0)), False))


def test_large_shift_matches_reference_and_displacement_order():
    # displacement (dy, dx) at index (i, j): x2 shifted by a known offset peaks there
    rng = np.random.default_rng(3)
    x1 = rng.standard_normal((1, 64, 9, 9))
    x2 = np.roll(x1, (1, -2), axis=(2, 3))  # x2[.., y + 1, x - 2] = x1[.., y, x]
    y = nf.patch_correlation(x1, x2, shift=(2, 3))
    assert y.shape == (1, 5, 7, 9, 9)
    np.testing.assert_allclose(y, correlation_ref(x1, x2, 1, (2, 3), 1, 1, as_pairs(0), False))
    centre = y[0, :, :, 4, 4]
    assert np.unravel_index(centre.argmax(), centre.shape) == (2 + 1, 3 - 2)


def test_gradient_through_both_inputs_of_one_tensor():
    # x correlated with itself: the gradient is the sum of both partial gradients
    rng = np.random.default_rng(4)
    xv = nf.Variable(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    (g,) = nf.grad(nf.sum(nf.patch_correlation(xv, xv, shift=1) ** 2), [xv])
    eps = 1e-6
    d = rng.standard_normal(xv.shape)

    def f(x):
        return float((nf.patch_correlation(x, x, shift=1) ** 2).sum())

    num = (f(xv.data + eps * d) - f(xv.data - eps * d)) / (2 * eps)
    np.testing.assert_allclose((g.data * d).sum(), num, rtol=1e-7)


def test_graph_gradient_with_unknown_spatial_sizes():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((2, 1, 2, 3, 5))
    graph = nf.Graph()
    p1 = graph.placeholder("a", (None, 2, None, None), np.float64)
    p2 = graph.placeholder("b", (None, 2, None, None), np.float64)
    y = nf.patch_correlation(p1, p2, patch=2, shift=1, pad=1)
    grads = graph.grad(nf.sum(y * y), [p1, p2])
    got = graph.run(grads, {"a": a, "b": b})
    va, vb = nf.Variable(a, requires_grad=True), nf.Variable(b, requires_grad=True)
    want = nf.grad(nf.sum(nf.patch_correlation(va, vb, patch=2, shift=1, pad=1) ** 2), [va, vb])
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w.data, rtol=1e-12)


X = np.zeros((1, 2, 3, 4), np.float32)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.zeros((2, 3, 4), np.float32), np.zeros((2, 3, 4), np.float32)),
            {},
            nf.ShapeError,
            "patch_correlation: `x1` must have rank 4; received x1.shape=(2, 3, 4).",
        ),
        (
            (X, np.zeros((1, 2, 3, 4, 1), np.float32)),
            {},
            nf.ShapeError,
            "patch_correlation: `x2` must have rank 4; received x2.shape=(1, 2, 3, 4, 1).",
        ),
        (
            (X, np.zeros((1, 2, 3, 5), np.float32)),
            {},
            nf.ShapeError,
            "patch_correlation: `x2` must have the shape of `x1`; received "
            "x1.shape=(1, 2, 3, 4), x2.shape=(1, 2, 3, 5).",
        ),
        (
            (X, X.astype(np.float64)),
            {},
            nf.DTypeError,
            "patch_correlation: `x1` and `x2` must have the same dtype; received "
            "x1.dtype=float32, x2.dtype=float64.",
        ),
        (
            (X, X),
            {"patch": (4, 1)},
            nf.ShapeError,
            "patch_correlation: output size must be positive in spatial dim 0; received "
            "input=3, patch=4, pad=0, patch_step=1.",
        ),
        (
            (X, X),
            {"patch": (3, 6), "pad": ((1, 1), (0, 1))},
            nf.ShapeError,
            "patch_correlation: output size must be positive in spatial dim 1; received "
            "input=4, patch=6, pad=(0, 1), patch_step=1.",
        ),
        (
            (X, X),
            {"patch": 0},
            nf.ArgumentError,
            "patch_correlation: `patch` must be positive in every dimension; received patch=0.",
        ),
        (
            (X, X),
            {"shift": (1, -1)},
            nf.ArgumentError,
            "patch_correlation: `shift` must be >= 0 in every dimension; received shift=(1, -1).",
        ),
        (
            (X, X),
            {"patch_step": (1, 2, 3)},
            nf.ArgumentError,
            "patch_correlation: `patch_step` must be an int or a sequence of 2 ints; received "
            "patch_step=(1, 2, 3).",
        ),
        (
            (X, X),
            {"shift_step": 0},
            nf.ArgumentError,
            "patch_correlation: `shift_step` must be positive in every dimension; received "
            "shift_step=0.",
        ),
        (
            (X, X),
            {"pad": -1},
            nf.ArgumentError,
            "patch_correlation: `pad` must be non-negative; received pad=-1.",
        ),
        (
            (X, X),
            {"pad": "full"},
            nf.ArgumentError,
            "patch_correlation: `pad` must be an int, a sequence of 2 ints, a sequence of 2 "
            "(low, high) pairs of non-negative ints, 'valid' or 'same'; received pad='full'.",
        ),
        (
            (X, X),
            {"channel_last": "yes"},
            nf.ArgumentError,
            "patch_correlation: `channel_last` must be a bool; received channel_last='yes'.",
        ),
    ],
)
def test_patch_correlation_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.patch_correlation, inputs, kwargs, exc, message)
