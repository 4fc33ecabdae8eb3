import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def tile_ref(x, reps):
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    d = max(len(reps), x.ndim)
    x = x.reshape((1,) * (d - x.ndim) + x.shape)
    reps = (1,) * (d - len(reps)) + reps
    out = np.empty(tuple(n * r for n, r in zip(x.shape, reps)), x.dtype)
    for pos in np.ndindex(out.shape):
        out[pos] = x[tuple(p % n for p, n in zip(pos, x.shape))]
    return out


@parametrize_class(reps=[3, (2, 3), (2, 1, 2)], dtype=["float32", "int32"])
class TestTile(FunctionTestCase):
    function = staticmethod(nf.tile)

    def inputs(self, rng):
        return ((rng.standard_normal((2, 3)) * 3).astype(self.dtype),)

    def kwargs(self):
        return {"reps": self.reps}

    def expected(self, x):
        return (tile_ref(x, self.reps),)


def test_tile_zero_repetitions_give_an_empty_axis():
    assert nf.tile(np.ones((2, 3)), (1, 0)).shape == (2, 0)


def test_tile_nnabla_examples():
    assert nf.tile(np.zeros((2, 3)), 3).shape == (2, 9)
    assert nf.tile(np.zeros(3), [2, 3]).shape == (2, 9)
    np.testing.assert_array_equal(nf.tile(np.array([1, 2, 3]), 3), [1, 2, 3, 1, 2, 3, 1, 2, 3])
    x = np.array([[1, 3], [2, 4]])
    np.testing.assert_array_equal(nf.tile(x, [2, 3]), [[1, 3, 1, 3, 1, 3], [2, 4, 2, 4, 2, 4]] * 2)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.tile(np.ones(3), (-1,)),
            nf.ArgumentError,
            "tile: `reps` must hold non-negative ints; received reps=(-1,).",
        ),
        (
            lambda: nf.tile(np.ones(3), 1.5),
            nf.ArgumentError,
            "tile: `reps` must be a sequence of ints; received reps=1.5.",
        ),
    ],
)
def test_tile_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
