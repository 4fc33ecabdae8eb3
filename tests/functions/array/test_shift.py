import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def shift_ref(x, shifts, mode):
    shifts = tuple(shifts or ())
    lead = x.ndim - len(shifts)
    out = np.empty_like(x)
    for pos in np.ndindex(x.shape):
        src = list(pos)
        for k, s in enumerate(shifts):
            d = lead + k
            n = x.shape[d]
            j = pos[d] - s
            if mode == "nearest":
                j = min(max(j, 0), n - 1)
            else:  # mirror with the edge repeated: ... 1 0 | 0 1 2 ... n-1 | n-1 n-2 ...
                while j < 0 or j >= n:
                    j = -j - 1 if j < 0 else 2 * n - 1 - j
            src[d] = j
        out[pos] = x[tuple(src)]
    return out


@parametrize_class(
    shifts=[None, (1,), (-2,), (1, -1), (0, 5, -7)],
    mode=["nearest", "reflect"],
    dtype=["float32", "int32"],
)
class TestShift(FunctionTestCase):
    function = staticmethod(nf.shift)

    def inputs(self, rng):
        return ((rng.standard_normal((2, 3, 4)) * 3).astype(self.dtype),)

    def kwargs(self):
        return {"shifts": self.shifts, "border_mode": self.mode}

    def expected(self, x):
        return (shift_ref(x, self.shifts, self.mode),)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.shift(np.ones(3), (1,), "wrap"),
            nf.ArgumentError,
            "shift: `border_mode` must be one of 'nearest', 'reflect'; received "
            "border_mode='wrap'.",
        ),
        (
            lambda: nf.shift(np.ones(3), (1, 1)),
            nf.ArgumentError,
            "shift: `shifts` must have at most 1 entries; received shifts=(1, 1).",
        ),
        (
            lambda: nf.shift(np.ones(3), (1.5,)),
            nf.ArgumentError,
            "shift: `shifts` must be a sequence of ints; received shifts=(1.5,).",
        ),
    ],
)
def test_shift_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


@pytest.mark.parametrize("mode", ["nearest", "reflect"])
@pytest.mark.parametrize("n, s", [(1, 3), (2, -5), (6, 2), (6, -13)])
def test_shift_long_shifts_and_their_adjoint(mode, n, s):
    rng = np.random.default_rng(n * 7 + s)
    x = rng.standard_normal((3, n))
    y = nf.shift(x, (s,), mode)
    np.testing.assert_array_equal(y, shift_ref(x, (s,), mode))
    w = rng.standard_normal(y.shape)
    v = nf.Variable(x, requires_grad=True)
    (g,) = nf.grad(nf.sum(nf.shift(v, (s,), mode) * w), v)
    dx = rng.standard_normal(x.shape)
    np.testing.assert_allclose(
        np.sum(g.data * dx), np.sum(shift_ref(dx, (s,), mode) * w), rtol=1e-12
    )
