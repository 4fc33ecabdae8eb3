import itertools

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def dilation_ref(x, f, stride, rate, pad):
    """TF definition, NCHW: y = max_{a,b} x_pad[s*i + r*a, s*j + r*b] + f[c, a, b]."""
    x = x.astype(np.float64)
    n, c, h, w = x.shape
    kh, kw = f.shape[1:]
    (pt, pb), (pl, pr) = pad
    xp = np.pad(x, [(0, 0), (0, 0), (pt, pb), (pl, pr)], constant_values=-np.inf)
    oh = (h + pt + pb - rate[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (w + pl + pr - rate[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.full((n, c, oh, ow), -np.inf)
    for i, j, a, b in itertools.product(range(oh), range(ow), range(kh), range(kw)):
        v = xp[:, :, i * stride[0] + a * rate[0], j * stride[1] + b * rate[1]] + f[:, a, b]
        y[:, :, i, j] = np.maximum(y[:, :, i, j], v)
    return y


@parametrize_class(
    case=[
        {"stride": (1, 1), "rate": (1, 1), "pad": "valid", "pads": ((0, 0), (0, 0))},
        {"stride": (2, 1), "rate": (1, 2), "pad": "same", "pads": ((1, 1), (2, 2))},
    ],
    dtype=["float32", "float64"],
)
class TestDilation2D(FunctionTestCase):
    function = staticmethod(nf.dilation2d)

    def inputs(self, rng):
        x = rng.permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) / 10.0
        f = rng.permutation(2 * 3 * 3).reshape(2, 3, 3) / 7.0
        return x.astype(self.dtype), f.astype(self.dtype)

    def kwargs(self):
        return {k: self.case[k] for k in ("stride", "rate", "pad")}

    def expected(self, x, f):
        c = self.case
        return (
            dilation_ref(x, f.astype(np.float64), c["stride"], c["rate"], c["pads"]).astype(
                x.dtype
            ),
        )


@parametrize_class(dtype=["float64"])
class TestErosion2D(FunctionTestCase):
    function = staticmethod(nf.erosion2d)

    def inputs(self, rng):
        x = rng.permutation(2 * 5 * 5).reshape(1, 5, 5, 2) / 10.0
        k = rng.permutation(2 * 2 * 2).reshape(2, 2, 2) / 7.0
        return x.astype(self.dtype), k.astype(self.dtype)

    def kwargs(self):
        return {"channel_last": True, "pad": "same"}

    def expected(self, x, k):
        # duality (TF's definition of erosion2d): -dilation(-x, reversed k)
        xf = np.moveaxis(-x, -1, 1)
        y = -dilation_ref(xf, k[:, ::-1, ::-1], (1, 1), (1, 1), ((0, 1), (0, 1)))
        return (np.moveaxis(y, 1, -1).astype(x.dtype),)


@parametrize_class(case=[((2,), False), ((2, 3), False), ((1, 2), True)], dtype=["float32"])
class TestUnpool(FunctionTestCase):
    function = staticmethod(nf.unpool)

    def inputs(self, rng):
        return (rng.standard_normal((2, 3, 2, 3)).astype(self.dtype),)

    def kwargs(self):
        return {"kernel": self.case[0], "channel_last": self.case[1]}

    def expected(self, x):
        kernel, cl = self.case
        y = x
        axes = range(x.ndim - len(kernel) - (1 if cl else 0), x.ndim - (1 if cl else 0))
        for a, k in zip(axes, kernel, strict=True):
            y = np.repeat(y, k, axis=a)
        return (y,)


@parametrize_class(
    case=[("max", False, False), ("avg", True, False), ("max", False, True), ("avg", False, True)],
    dtype=["float64"],
)
class TestFractionalPool(FunctionTestCase):
    symbolic_dims = ()

    @property
    def function(self):
        return nf.fractional_max_pool if self.case[0] == "max" else nf.fractional_avg_pool

    def _call(self, *args, **extra):
        fn = nf.fractional_max_pool if self.case[0] == "max" else nf.fractional_avg_pool
        return tuple(fn(*args, **self.kwargs(), **extra))

    def inputs(self, rng):
        return (rng.permutation(2 * 2 * 7 * 6).reshape(2, 2, 7, 6).astype(self.dtype),)

    def kwargs(self):
        return {
            "pooling_ratio": (1.6, 1.4),
            "pseudo_random": self.case[1],
            "overlapping": self.case[2],
            "seed": 5,
        }

    def expected(self, x):
        _, rows, cols = self._call(x)
        out = np.zeros((2, 2, len(rows) - 1, len(cols) - 1))
        extra = 1 if self.case[2] else 0
        for i in range(len(rows) - 1):
            for j in range(len(cols) - 1):
                reg = x[:, :, rows[i] : rows[i + 1] + extra, cols[j] : cols[j + 1] + extra]
                reg = reg.astype(np.float64)
                out[:, :, i, j] = (
                    reg.max(axis=(2, 3)) if self.case[0] == "max" else reg.mean(axis=(2, 3))
                )
        return (out.astype(x.dtype), rows, cols)


def test_max_pool_with_argmax_nchw_and_grad():
    rng = np.random.default_rng(0)
    x = rng.permutation(2 * 3 * 4 * 4).reshape(2, 3, 4, 4).astype(np.float64)
    y, idx = nf.max_pool_with_argmax(x, 2, stride=1, pad="same")
    np.testing.assert_array_equal(x.ravel()[idx], y)
    np.testing.assert_array_equal(y, nf.max_pool(x, 2, stride=1, pad="same"))
    v = nf.Variable(x, requires_grad=True)
    yv, iv = nf.max_pool_with_argmax(v, 2)
    assert not iv.requires_grad
    nf.sum(yv).backward()
    expected = np.zeros(x.size)
    np.add.at(expected, nf.max_pool_with_argmax(x, 2)[1].ravel(), 1.0)
    np.testing.assert_array_equal(v.grad.ravel(), expected)


XP = np.zeros((1, 2, 4, 4))


@pytest.mark.parametrize(
    "fn, inputs, kwargs, exc, message",
    [
        (
            nf.fractional_max_pool,
            (XP,),
            {"pooling_ratio": (0.5, 2.0)},
            nf.ArgumentError,
            "fractional_max_pool: `pooling_ratio` must be in [1, inf); received pooling_ratio=0.5.",
        ),
        (
            nf.fractional_max_pool,
            (XP,),
            {"pooling_ratio": (1.0, 1.5, 2.0, 1.0)},
            nf.ArgumentError,
            "fractional_max_pool: `pooling_ratio` must be a sequence of 2 floats; received "
            "pooling_ratio=(1.0, 1.5, 2.0, 1.0).",
        ),
        (
            nf.fractional_avg_pool,
            (np.ones((1, 1, 1, 4)),),
            {"pooling_ratio": (2.0, 2.0)},
            nf.ShapeError,
            "fractional_avg_pool: output size must be positive in spatial dim 0; received "
            "input=1, ratio=2.0.",
        ),
        (
            nf.fractional_avg_pool,
            (np.ones((2, 4, 4)),),
            {"pooling_ratio": (2.0, 2.0)},
            nf.ShapeError,
            "fractional_avg_pool: `x` must have rank 4; received x.shape=(2, 4, 4).",
        ),
        (
            nf.unpool,
            (XP,),
            {"kernel": (2, 0)},
            nf.ArgumentError,
            "unpool: `kernel` must be positive in every dimension; received kernel=(2, 0).",
        ),
        (
            nf.unpool,
            (np.zeros(4),),
            {"kernel": (2, 2)},
            nf.ShapeError,
            "unpool: `x` must have rank >= 3; received x.shape=(4,).",
        ),
        (
            nf.dilation2d,
            (XP, np.zeros((2, 5, 2))),
            {},
            nf.ShapeError,
            "dilation2d: output size must be positive in spatial dim 0; received input=4, "
            "kernel=5, pad=0, stride=1.",
        ),
        (
            nf.dilation2d,
            (XP, np.zeros((3, 2, 2))),
            {},
            nf.ShapeError,
            "dilation2d: `filter` must have 2 channels on axis 0 (the depth of `x`); received "
            "filter.shape=(3, 2, 2), x.shape=(1, 2, 4, 4).",
        ),
        (
            nf.dilation2d,
            (XP, np.zeros((2, 2))),
            {},
            nf.ShapeError,
            "dilation2d: `filter` must have rank 3; received filter.shape=(2, 2).",
        ),
        (
            nf.erosion2d,
            (XP, np.zeros((2, 2, 2))),
            {"pad": "full"},
            nf.ArgumentError,
            "erosion2d: `pad` must be an int, a sequence of 2 ints, a sequence of 2 (low, high) "
            "pairs of non-negative ints, 'valid' or 'same'; received pad='full'.",
        ),
        (
            nf.erosion2d,
            (XP, np.zeros((2, 2))),
            {},
            nf.ShapeError,
            "erosion2d: `kernel` must have rank 3; received kernel.shape=(2, 2).",
        ),
        (
            nf.erosion2d,
            (XP, np.zeros((3, 2, 2))),
            {"channel_last": True},
            nf.ShapeError,
            "erosion2d: `kernel` must have 4 channels on axis 0 (the depth of `x`); received "
            "kernel.shape=(3, 2, 2), x.shape=(1, 2, 4, 4).",
        ),
        (
            nf.max_pool_with_argmax,
            (XP,),
            {"kernel": 2, "index_dtype": "int8"},
            nf.ArgumentError,
            "max_pool_with_argmax: `index_dtype` must be one of 'int32', 'int64'; received "
            "index_dtype='int8'.",
        ),
        (
            nf.max_pool_with_argmax,
            (XP,),
            {"kernel": (5, 2)},
            nf.ShapeError,
            "max_pool_with_argmax: output size must be positive in spatial dim 0; received "
            "input=4, kernel=5, pad=0, stride=5.",
        ),
        (
            nf.global_avg_pool,
            (np.zeros((2, 3)),),
            {},
            nf.ShapeError,
            "global_avg_pool: `x` must have rank >= 3; received x.shape=(2, 3).",
        ),
    ],
)
def test_pool_extras_errors(fn, inputs, kwargs, exc, message):
    assert_raises_both_modes(fn, inputs, kwargs, exc, message)
