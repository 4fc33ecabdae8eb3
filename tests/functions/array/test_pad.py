import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def pad_ref(x, pad_width, mode, value):
    flat = list(pad_width) if not isinstance(pad_width, int) else [pad_width] * (2 * x.ndim)
    if flat and isinstance(flat[0], (tuple, list)):
        flat = [v for p in flat for v in p]
    pairs = [(0, 0)] * (x.ndim - len(flat) // 2) + [
        (flat[i], flat[i + 1]) for i in range(0, len(flat), 2)
    ]
    shape = tuple(n + a + b for n, (a, b) in zip(x.shape, pairs))
    out = np.empty(shape, x.dtype)
    for pos in np.ndindex(shape):
        src = []
        inside = True
        for p, n, (a, _) in zip(pos, x.shape, pairs):
            i = p - a
            if mode == "repeat":
                i = min(max(i, 0), n - 1)
            elif mode == "reflect":
                while i < 0 or i >= n:
                    i = -i if i < 0 else 2 * (n - 1) - i
                    if n == 1:
                        i = 0
            elif not 0 <= i < n:
                inside = False
            src.append(i)
        out[pos] = x[tuple(src)] if inside else value
    return out


@parametrize_class(
    pad_width=[(1, 2), (0, 1, 2, 1), ((1, 0), (2, 3)), 1, (3, 5)],
    mode=["constant", "reflect", "repeat"],
    dtype=["float32", "float64"],
)
class TestPad(FunctionTestCase):
    function = staticmethod(nf.pad)

    def inputs(self, rng):
        return (rng.standard_normal((2, 3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"pad_width": self.pad_width, "mode": self.mode, "constant_value": -1.5}

    def expected(self, x):
        return (pad_ref(x, self.pad_width, self.mode, -1.5),)


def test_pad_nnabla_examples():
    x = np.array([1, 2, 3, 4])
    np.testing.assert_array_equal(
        nf.pad(x, (3, 3), "constant", constant_value=1), [1, 1, 1, 1, 2, 3, 4, 1, 1, 1]
    )
    np.testing.assert_array_equal(nf.pad(x, (3, 3), "reflect"), [4, 3, 2, 1, 2, 3, 4, 3, 2, 1])
    assert nf.pad(np.ones((2, 3, 4)), (1, 1, 2, 2)).shape == (2, 5, 8)
    v = np.ones((3, 3, 4, 2))
    assert nf.pad(v, (1, 2)).shape == (3, 3, 4, 5)
    assert nf.pad(v, (2, 2, 1, 1)).shape == (3, 3, 8, 4)
    assert nf.pad(v, (0, 1, 2, 1, 3, 3)).shape == (3, 4, 7, 8)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.pad(np.ones((2, 3)), (1, 2, 3)),
            nf.ArgumentError,
            "pad: `pad_width` must have an even length; received pad_width=(1, 2, 3).",
        ),
        (
            lambda: nf.pad(np.ones(3), (1, 1, 1, 1)),
            nf.ArgumentError,
            "pad: `pad_width` must have at most 2 values (2 per axis of x); received "
            "pad_width=(1, 1, 1, 1).",
        ),
        (
            lambda: nf.pad(np.ones(3), (-1, 1)),
            nf.ArgumentError,
            "pad: `pad_width` must hold non-negative values; received pad_width=(-1, 1).",
        ),
        (
            lambda: nf.pad(np.ones(3), (1, 1), "wrap"),
            nf.ArgumentError,
            "pad: `mode` must be one of 'constant', 'reflect', 'repeat'; received mode='wrap'.",
        ),
        (
            lambda: nf.pad(np.ones(3), "a"),
            nf.ArgumentError,
            "pad: `pad_width` must be an int, a flat sequence of (before, after) ints or a "
            "sequence of pairs; received pad_width='a'.",
        ),
    ],
)
def test_pad_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


@pytest.mark.parametrize("mode", ["reflect", "repeat"])
@pytest.mark.parametrize("n, before, after", [(1, 2, 3), (2, 7, 20), (5, 0, 9), (5, 4, 1)])
def test_pad_long_and_periodic_borders_and_their_adjoint(mode, n, before, after):
    # Copies by runs of slices, or by a gather when the map has too many runs (n = 1, pads
    # much longer than the axis): both against the loop reference, the gradient by the adjoint
    # identity <pad(dx), w> = <dx, grad>.
    rng = np.random.default_rng(n + before)
    x = rng.standard_normal((2, n))
    y = nf.pad(x, (before, after), mode)
    np.testing.assert_array_equal(y, pad_ref(x, (before, after), mode, 0))
    w = rng.standard_normal(y.shape)
    v = nf.Variable(x, requires_grad=True)
    (g,) = nf.grad(nf.sum(nf.pad(v, (before, after), mode) * w), v)
    dx = rng.standard_normal(x.shape)
    np.testing.assert_allclose(
        np.sum(g.data * dx), np.sum(pad_ref(dx, (before, after), mode, 0) * w), rtol=1e-12
    )
