import itertools
import math

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def tf_same(size, k, s):
    out = math.ceil(size / s)
    total = max(0, (out - 1) * s + k - size)
    return total // 2, total - total // 2


def windows(sizes, kernel, stride, pad, ignore_border):
    """Per output position, the clipped input slices (NNabla/TF definition) and the pad info."""
    nsp = len(sizes)
    if isinstance(pad, str):
        pads = [
            tf_same(sizes[i], kernel[i], stride[i]) if pad.lower() == "same" else (0, 0)
            for i in range(nsp)
        ]
    elif np.isscalar(pad):
        pads = [(pad, pad)] * nsp
    else:
        pads = [(p, p) if np.isscalar(p) else tuple(p) for p in pad]
    if ignore_border:
        out = [(sizes[i] + sum(pads[i]) - kernel[i]) // stride[i] + 1 for i in range(nsp)]
    else:
        out = [(sizes[i] + pads[i][0] - 1) // stride[i] + 1 for i in range(nsp)]
    result = []
    for idx in itertools.product(*(range(n) for n in out)):
        starts = [idx[i] * stride[i] - pads[i][0] for i in range(nsp)]
        sl = tuple(slice(max(st, 0), min(st + kernel[i], sizes[i])) for i, st in enumerate(starts))
        incl = math.prod(
            min(st + kernel[i], sizes[i] + pads[i][1]) - st for i, st in enumerate(starts)
        )
        excl = math.prod(s.stop - s.start for s in sl)
        result.append((idx, sl, incl, excl))
    return out, result


def pool_ref(x, kernel, stride, pad, ignore_border, channel_last, mode):
    x64 = x.astype(np.float64)
    nsp = len(kernel)
    if channel_last:
        x64 = np.moveaxis(x64, -1, -nsp - 1)
    sizes = x64.shape[-nsp:]
    stride = kernel if stride is None else stride
    stride = (stride,) * nsp if np.isscalar(stride) else tuple(stride)
    out, wins = windows(sizes, kernel, stride, pad, ignore_border)
    y = np.zeros(x64.shape[:-nsp] + tuple(out))
    for idx, sl, incl, excl in wins:
        region = x64[(Ellipsis, *sl)].reshape(x64.shape[:-nsp] + (-1,))
        if mode == "max":
            v = region.max(axis=-1)
        elif mode == "sum":
            v = region.sum(axis=-1)
        elif mode == "avg_incl":
            v = region.sum(axis=-1) / incl
        else:
            v = region.sum(axis=-1) / excl
        y[(Ellipsis, *idx)] = v
    if channel_last:
        y = np.moveaxis(y, -nsp - 1, -1)
    return y


CASES = [
    {"x": (2, 3, 7), "kernel": (2,), "stride": None, "pad": 0},
    {"x": (2, 2, 5, 6), "kernel": (3, 2), "stride": (1, 2), "pad": 1},
    {"x": (1, 2, 5, 5), "kernel": (3, 3), "stride": 2, "pad": "same"},
    {"x": (1, 2, 6, 5), "kernel": (2, 3), "stride": (3, 1), "pad": [(0, 1), (1, 0)]},
    {"x": (1, 3, 5, 4), "kernel": (2, 2), "stride": None, "pad": 0, "ignore_border": False},
    {
        "x": (1, 4, 4, 2),
        "kernel": (3, 3),
        "stride": 1,
        "pad": 1,
        "ignore_border": False,
        "channel_last": True,
    },
    {"x": (1, 2, 4, 3, 4), "kernel": (2, 2, 2), "stride": (2, 1, 2), "pad": "valid"},
    {"x": (3, 5, 5), "kernel": (2, 2), "stride": 1, "pad": 0},
]


class PoolCase(FunctionTestCase):
    mode = "max"

    def inputs(self, rng):
        c = self.case
        xs = c["x"]
        if c.get("channel_last"):
            xs = (*xs[: -len(c["kernel"]) - 1], *xs[-len(c["kernel"]) :], xs[-len(c["kernel"]) - 1])
        # distinct values: no ties between window entries
        x = rng.permutation(math.prod(xs)).reshape(xs) / math.prod(xs) * 4 - 2
        return (x.astype(self.dtype),)

    def kwargs(self):
        c = self.case
        return {
            "stride": c["stride"],
            "pad": c["pad"],
            "ignore_border": c.get("ignore_border", True),
            "channel_last": c.get("channel_last", False),
        }

    def call_args(self):
        return self.case["kernel"]

    def _call(self, *args, **extra):
        out = type(self).function(*args, self.case["kernel"], **self.kwargs(), **extra)
        return (out,)

    def expected(self, x):
        c = self.case
        y = pool_ref(
            x,
            c["kernel"],
            c["stride"],
            c["pad"],
            c.get("ignore_border", True),
            c.get("channel_last", False),
            self.mode,
        )
        return (y.astype(self.out_dtype(x)),)

    def out_dtype(self, x):
        return x.dtype


@parametrize_class(case=CASES, dtype=["float32"])
class TestMaxPool(PoolCase):
    function = staticmethod(nf.max_pool)


@parametrize_class(case=CASES[1:3], dtype=["float16", "float64", "int32"])
class TestMaxPoolDtypes(PoolCase):
    function = staticmethod(nf.max_pool)

    def inputs(self, rng):
        (x,) = super().inputs(rng)
        return ((x * 50).astype(self.dtype),) if self.dtype == "int32" else (x,)


def test_max_pool_gradient_goes_to_first_maximum_and_accumulates():
    x = nf.Variable(np.array([[[1.0, 3.0, 3.0, 0.0, 3.0]]]), requires_grad=True)
    y = nf.max_pool(x, (2,), stride=1)
    np.testing.assert_array_equal(y.data, [[[3.0, 3.0, 3.0, 3.0]]])
    nf.sum(y).backward()
    # windows [1,3] [3,3] [3,0] [0,3]: first maxima at 1, 1, 2, 4
    np.testing.assert_array_equal(x.grad, [[[0.0, 2.0, 1.0, 0.0, 1.0]]])


def test_max_pool_padding_never_wins():
    x = -np.ones((1, 1, 2, 2))
    np.testing.assert_array_equal(nf.max_pool(x, 3, stride=1, pad=1), -np.ones((1, 1, 2, 2)))


def test_max_pool_all_minus_inf_window_gives_its_gradient_to_a_cell_of_x():
    # padding never wins, even against -inf: the first cell of x in the window gets it
    for dtype in (np.float32, np.float64, np.float16):
        x = nf.Variable(np.full((1, 1, 2, 2), -np.inf, dtype), requires_grad=True)
        y = nf.max_pool(x, 2, stride=1, pad=1)
        assert np.all(y.data == -np.inf)
        nf.sum(y).backward()
        # 9 windows; first cells: (0,0) for 4 of them, (0,1) for 2, (1,0) for 2, (1,1) for 1
        np.testing.assert_array_equal(x.grad, [[[[4.0, 2.0], [2.0, 1.0]]]])
    # 1-D and integer inputs take the NumPy path: the same rule
    x = nf.Variable(np.full((1, 1, 2), -np.inf), requires_grad=True)
    nf.sum(nf.max_pool(x, 2, stride=1, pad=1)).backward()
    np.testing.assert_array_equal(x.grad, [[[2.0, 1.0]]])


def test_max_pool_nan_window_propagates_and_gets_no_gradient():
    x = nf.Variable(np.array([[[[1.0, np.nan], [2.0, 3.0]]]], np.float32), requires_grad=True)
    y = nf.max_pool(x, 2, stride=1, pad=1)
    assert np.isnan(y.data).sum() == 4 and y.data[0, 0, 2, 0] == 2.0
    nf.sum(y).backward()
    np.testing.assert_array_equal(x.grad, [[[[1.0, 0.0], [2.0, 2.0]]]])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_max_pool_empty_batch_forward_and_backward(dtype):
    x = nf.Variable(np.zeros((0, 3, 4, 4), dtype), requires_grad=True)
    y = nf.max_pool(x, 2)
    assert y.shape == (0, 3, 2, 2)
    (g,) = nf.grad(y, [x], grad_outputs=[np.ones((0, 3, 2, 2), dtype)])
    assert g.shape == (0, 3, 4, 4) and g.dtype == np.dtype(dtype)


def test_max_pool_gradient_without_the_saved_argmax():
    """Eager gradients gather from the forward's argmax; a graph recomputes it when its
    gradient node runs: both agree with a loop reference (ties to the first maximum)."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, (2, 3, 7, 6)).astype(np.float32)  # ties
    gy = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    xv = nf.Variable(x, requires_grad=True)
    (g_eager,) = nf.grad(nf.max_pool(xv, (3, 2), stride=2, pad=1), [xv], grad_outputs=[gy])
    graph = nf.Graph()
    xs = graph.placeholder("x", (None, 3, 7, 6))
    gys = graph.placeholder("gy", (None, 3, 4, 4))
    (gs,) = graph.grad([nf.max_pool(xs, (3, 2), stride=2, pad=1)], [xs], [gys])
    g_graph = graph.run(gs, {"x": x, "gy": gy})
    ref = np.zeros_like(x)
    for n, c, i, j in np.ndindex(2, 3, 4, 4):
        cells = [
            (r, q)
            for r in range(2 * i - 1, 2 * i + 2)
            for q in range(2 * j - 1, 2 * j + 1)
            if 0 <= r < 7 and 0 <= q < 6
        ]
        vals = [x[n, c, r, q] for r, q in cells]
        r, q = cells[int(np.argmax(vals))]  # argmax: the first maximum
        ref[n, c, r, q] += gy[n, c, i, j]
    np.testing.assert_allclose(g_eager.data, ref, rtol=1e-6)
    np.testing.assert_allclose(g_graph, ref, rtol=1e-6)


X = np.zeros((1, 2, 4, 4), np.float32)


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (X, (5, 2)),
            {},
            nf.ShapeError,
            "max_pool: output size must be positive in spatial dim 0; received input=4, "
            "kernel=5, pad=0, stride=5.",
        ),
        (
            (X, (2, 2)),
            {"pad": "full"},
            nf.ArgumentError,
            "max_pool: `pad` must be an int, a sequence of 2 ints, a sequence of 2 (low, high) "
            "pairs of non-negative ints, 'valid' or 'same'; received pad='full'.",
        ),
        (
            (X, (2, 0)),
            {},
            nf.ArgumentError,
            "max_pool: `kernel` must be positive in every dimension; received kernel=(2, 0).",
        ),
        (
            (X, (2, 2)),
            {"stride": (1, 2, 3)},
            nf.ArgumentError,
            "max_pool: `stride` must be an int or a sequence of 2 ints; received stride=(1, 2, 3).",
        ),
        (
            (np.zeros((4, 4), np.float32), (2, 2)),
            {},
            nf.ShapeError,
            "max_pool: `x` must have rank >= 3; received x.shape=(4, 4).",
        ),
        (
            (np.zeros((4, 4), np.float32), 2),
            {},
            nf.ShapeError,
            "max_pool: `x` must have rank >= 3; received x.shape=(4, 4).",
        ),
        (
            (X, "2"),
            {},
            nf.ArgumentError,
            "max_pool: `kernel` must be an int or a sequence of ints; received kernel='2'.",
        ),
        (
            (X, (2, 2)),
            {"stride": 1, "pad": 2},
            nf.ArgumentError,
            "max_pool: `pad` must leave at least one element of `x` in every window; "
            "received pad=2, kernel=(2, 2), stride=(1, 1), input=(4, 4).",
        ),
        (
            (X, (3, 3)),
            {"stride": 2, "pad": [(0, 0), (1, 4)]},
            nf.ArgumentError,
            "max_pool: `pad` must leave at least one element of `x` in every window; "
            "received pad=[(0, 0), (1, 4)], kernel=(3, 3), stride=(2, 2), input=(4, 4).",
        ),
    ],
)
def test_max_pool_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.max_pool, inputs[:1], {"kernel": inputs[1], **kwargs}, exc, message)
