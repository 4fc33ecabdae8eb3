import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def mm_ref(a, b):
    """Batched product by explicit sums (float64)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    va, vb = a.ndim == 1, b.ndim == 1
    a = a[None, :] if va else a
    b = b[:, None] if vb else b
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    out = np.zeros(batch + (a.shape[-2], b.shape[-1]))
    for k in range(a.shape[-1]):
        out += a[..., :, k : k + 1] * b[..., k : k + 1, :]
    if va:
        out = out[..., 0, :]
    if vb:
        out = out[..., 0]
    return out


def swap(v):
    return np.swapaxes(v, -1, -2)


@parametrize_class(
    shapes=[((2, 3, 4), (2, 4, 5)), ((1, 2, 3, 4), (1, 2, 4, 2))],
    ta=[False, True],
    tb=[False, True],
    dtype=["float32", "float64"],
)
class TestBatchMatmul(FunctionTestCase):
    function = staticmethod(nf.batch_matmul)

    def inputs(self, rng):
        sa, sb = self.shapes
        a = rng.uniform(-1, 1, sa)
        b = rng.uniform(-1, 1, sb)
        a = swap(a) if self.ta else a
        b = swap(b) if self.tb else b
        return (
            np.ascontiguousarray(a).astype(self.dtype),
            np.ascontiguousarray(b).astype(self.dtype),
        )

    def kwargs(self):
        return {"transpose_a": self.ta, "transpose_b": self.tb}

    def expected(self, a, b):
        a = swap(a) if self.ta else a
        b = swap(b) if self.tb else b
        return (mm_ref(a, b).astype(a.dtype),)


class TestBatchMatmulSameBatchProduct(FunctionTestCase):
    """NNabla's rule: b's batch dimensions need only have the product of a's."""

    function = staticmethod(nf.batch_matmul)
    symbolic_dims = ()

    def inputs(self, rng):
        return (rng.uniform(-1, 1, (2, 3, 2, 4)), rng.uniform(-1, 1, (6, 4, 5)))

    def expected(self, a, b):
        return (mm_ref(a, b.reshape(2, 3, 4, 5)),)


class TestBatchMatmulSameRankSameProduct(TestBatchMatmulSameBatchProduct):
    """Batch shapes (2, 3) and (3, 2): no NumPy broadcast, but NNabla's rule applies."""

    def inputs(self, rng):
        return (rng.uniform(-1, 1, (2, 3, 2, 4)), rng.uniform(-1, 1, (3, 2, 4, 5)))


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.batch_matmul(np.ones(3), np.ones((3, 3))),
            nf.ShapeError,
            "batch_matmul: `a` and `b` must have rank >= 2; received a.shape=(3,), b.shape=(3, 3).",
        ),
        (
            lambda: nf.batch_matmul(np.ones((2, 3)), np.ones((2, 3)), transpose_a=1),
            nf.ArgumentError,
            "batch_matmul: `transpose_a` must be a bool; received transpose_a=1.",
        ),
        (
            lambda: nf.batch_matmul(np.ones((2, 3)), np.ones((2, 3))),
            nf.ShapeError,
            "batch_matmul: `a` and `b` must have equal inner sizes (the columns of a and the rows "
            "of b, after the transposes); received a.shape=(2, 3), b.shape=(2, 3), "
            "transpose_a=False, transpose_b=False.",
        ),
        (
            lambda: nf.batch_matmul(np.ones((2, 4, 3)), np.ones((2, 3, 5)), transpose_a=True),
            nf.ShapeError,
            "batch_matmul: `a` and `b` must have equal inner sizes (the columns of a and the rows "
            "of b, after the transposes); received a.shape=(2, 4, 3), b.shape=(2, 3, 5), "
            "transpose_a=True, transpose_b=False.",
        ),
        (
            lambda: nf.batch_matmul(np.ones((2, 2, 3)), np.ones((3, 3, 2))),
            nf.ShapeError,
            "batch_matmul: `a` and `b` must have batch dimensions (all but the last two) with "
            "the same product or broadcastable; received a.shape=(2, 2, 3), b.shape=(3, 3, 2).",
        ),
    ],
)
def test_batch_matmul_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
