import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def adaptive_ref(x, kv, kh):
    """y[b, c, h, w] = sum_{j, i} kv[b, j, h, w] kh[b, i, h, w] x[b, c, h + j, w + i] (loops)."""
    x, kv, kh = (a.astype(np.float64) for a in (x, kv, kh))
    b, c, _, _ = x.shape
    _, nv, ho, wo = kv.shape
    nh = kh.shape[1]
    y = np.zeros((b, c, ho, wo))
    for h in range(ho):
        for w in range(wo):
            for j in range(nv):
                for i in range(nh):
                    y[:, :, h, w] += (kv[:, j, h, w] * kh[:, i, h, w])[:, None] * x[
                        :, :, h + j, w + i
                    ]
    return y


@parametrize_class(case=[((2, 3, 5, 4), 3, 2), ((1, 2, 4, 4), 1, 3)], dtype=["float32"])
class TestAdaptiveSeparableConvolution(FunctionTestCase):
    function = staticmethod(nf.adaptive_separable_convolution)
    tolerances = {"float32": {"atol": 1e-5, "rtol": 1e-5}}  # noqa: RUF012
    symbolic_dims = (0, 2, 3)  # unknown batch and spatial sizes

    def inputs(self, rng):
        (b, c, h, w), nv, nh = self.case
        ho, wo = h - nv + 1, w - nh + 1
        return (
            rng.standard_normal((b, c, h, w)).astype(self.dtype),
            rng.standard_normal((b, nv, ho, wo)).astype(self.dtype),
            rng.standard_normal((b, nh, ho, wo)).astype(self.dtype),
        )

    def expected(self, x, kv, kh):
        return (adaptive_ref(x, kv, kh).astype(x.dtype),)


X = np.zeros((1, 2, 5, 4), np.float32)


@pytest.mark.parametrize(
    "inputs, exc, message",
    [
        (
            (X[0], np.zeros((1, 3, 3, 3), np.float32), np.zeros((1, 2, 3, 3), np.float32)),
            nf.ShapeError,
            "adaptive_separable_convolution: `x` must have rank 4; received x.shape=(2, 5, 4).",
        ),
        (
            (X, np.zeros((1, 3, 3, 3), np.float32), np.zeros((1, 2, 3), np.float32)),
            nf.ShapeError,
            "adaptive_separable_convolution: `horizontal_kernel` must have rank 4; received "
            "horizontal_kernel.shape=(1, 2, 3).",
        ),
        (
            (X, np.zeros((1, 3, 3, 2), np.float32), np.zeros((1, 2, 3, 3), np.float32)),
            nf.ShapeError,
            "adaptive_separable_convolution: `vertical_kernel` must have shape (1, 3, 3, 3) "
            "(B, K, H - Kv + 1, W - Kh + 1), every size positive; received "
            "vertical_kernel.shape=(1, 3, 3, 2), x.shape=(1, 2, 5, 4).",
        ),
        (
            (X, np.zeros((2, 3, 3, 3), np.float32), np.zeros((2, 2, 3, 3), np.float32)),
            nf.ShapeError,
            "adaptive_separable_convolution: `vertical_kernel` must have shape (1, 3, 3, 3) "
            "(B, K, H - Kv + 1, W - Kh + 1), every size positive; received "
            "vertical_kernel.shape=(2, 3, 3, 3), x.shape=(1, 2, 5, 4).",
        ),
        (
            (X, np.zeros((1, 6, 0, 3), np.float32), np.zeros((1, 2, 0, 3), np.float32)),
            nf.ShapeError,
            "adaptive_separable_convolution: `vertical_kernel` must have shape (1, 6, 0, 3) "
            "(B, K, H - Kv + 1, W - Kh + 1), every size positive; received "
            "vertical_kernel.shape=(1, 6, 0, 3), x.shape=(1, 2, 5, 4).",
        ),
    ],
)
def test_adaptive_separable_convolution_errors(inputs, exc, message):
    assert_raises_both_modes(nf.adaptive_separable_convolution, inputs, {}, exc, message)
