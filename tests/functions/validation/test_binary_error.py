import numpy as np

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


@parametrize_class(dtype=["float16", "float32", "float64"])
class TestBinaryError(FunctionTestCase):
    function = staticmethod(nf.binary_error)
    differentiable = False

    def inputs(self, rng):
        x = rng.choice([0.0, 0.3, 0.5, 0.7, 1.0], (3, 4)).astype(self.dtype)
        t = rng.choice([0.0, 0.49, 0.5, 1.0], (3, 4)).astype(self.dtype)
        return x, t

    def expected(self, x, t):
        out = [
            [0.0 if (a >= 0.5) == (b >= 0.5) else 1.0 for a, b in zip(r, s)] for r, s in zip(x, t)
        ]
        return (np.array(out, x.dtype),)


def test_bad_shape():
    assert_raises_both_modes(
        nf.binary_error,
        (np.zeros(3), np.zeros(2)),
        {},
        nf.ShapeError,
        "binary_error: `x` and `target` must have the same shape; "
        "received x.shape=(3,), target.shape=(2,).",
    )
