import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


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


@parametrize_class(
    shapes=[
        ((2, 3), (3, 4)),
        ((2, 2, 3), (3, 4)),
        ((3,), (3, 2)),
        ((2, 3), (3,)),
        ((4,), (4,)),
        ((2, 1, 2, 3), (3, 3, 2)),
    ],
    dtype=["float16", "float32", "float64"],
)
class TestMatmul(FunctionTestCase):
    function = staticmethod(nf.matmul)
    symbolic_dims = ()
    tolerances = {"float16": {"atol": 1e-2, "rtol": 1e-2}}  # noqa: RUF012

    def inputs(self, rng):
        sa, sb = self.shapes
        return (
            rng.uniform(-1, 1, sa).astype(self.dtype),
            rng.uniform(-1, 1, sb).astype(self.dtype),
        )

    def expected(self, a, b):
        return (np.asarray(mm_ref(a, b)).astype(a.dtype),)


def test_matmul_operator_routes_here():
    a = nf.Variable(np.ones((2, 3)), requires_grad=True)
    y = a @ np.ones((3, 1))
    assert y.creator.op_name == "matmul"


@pytest.mark.parametrize(
    "inputs, kwargs, exc, message",
    [
        (
            (np.ones((2, 3)), np.ones((4, 2))),
            {},
            nf.ShapeError,
            "matmul: the last dimension of `a` must equal the second-to-last dimension of `b`; "
            "received a.shape=(2, 3), b.shape=(4, 2).",
        ),
        (
            (np.ones(()), np.ones((2,))),
            {},
            nf.ShapeError,
            "matmul: `a` and `b` must have rank >= 1",
        ),
        (
            (np.ones((2, 2, 3)), np.ones((3, 3, 2))),
            {},
            nf.ShapeError,
            "matmul: `a` and `b` must have broadcastable batch dimensions (all but the last "
            "two); received a.shape=(2, 2, 3), b.shape=(3, 3, 2).",
        ),
    ],
)
def test_matmul_errors(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.matmul, inputs, kwargs, exc, message)
