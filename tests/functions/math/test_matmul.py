import numpy as np
import pytest

import nnfunc as nf
from nnfunc.kernels.cpu import blas
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


@parametrize_class(
    shapes=[
        ((5, 3), (3, 4)),
        ((2, 4, 3), (2, 3, 5)),
        ((2, 2, 4, 3), (3, 5)),
        ((0, 3), (3, 2)),
        ((4, 0), (0, 3)),
        ((0, 4, 3), (3, 2)),
        ((2, 3, 0), (0, 4)),
        ((2, 3, 4), (4, 0)),
    ],
    dtype=["float32", "float64"],
)
class TestMatmulBothGradients(FunctionTestCase):
    """Equal batch dimensions, or a batch times a matrix, one floating dtype: both gradients
    come from one ``MatMulGrad`` node (its own backward gives the double backward, summed over
    the batch for the matrix); the batch axis is unknown in graph mode."""

    function = staticmethod(nf.matmul)

    def inputs(self, rng):
        sa, sb = self.shapes
        return (
            rng.uniform(-1, 1, sa).astype(self.dtype),
            rng.uniform(-1, 1, sb).astype(self.dtype),
        )

    def expected(self, a, b):
        return (np.asarray(mm_ref(a, b)).astype(a.dtype),)


def _vjp_ref(a, b, gy):
    a, b, gy = (x.astype(np.float64) for x in (a, b, gy))
    return mm_ref(gy, np.swapaxes(b, -1, -2)), mm_ref(np.swapaxes(a, -1, -2), gy)


def test_matmul_both_gradients_one_node():
    rng = np.random.default_rng(0)
    va = nf.Variable(rng.standard_normal((3, 4)), requires_grad=True)
    vb = nf.Variable(rng.standard_normal((4, 2)), requires_grad=True)
    ga, gb = nf.grad(nf.matmul(va, vb), [va, vb], grad_outputs=np.ones((3, 2)), create_graph=True)
    assert ga.creator.op_name == gb.creator.op_name == "matmul_grad"
    assert ga.creator is gb.creator
    # one gradient only, broadcast batch, or mixed dtypes: the per-input products
    gy = nf.Variable(np.ones((3, 2)), requires_grad=True)
    (g,) = nf.grad(nf.matmul(va, vb.data), [va], grad_outputs=gy, create_graph=True)
    assert g.creator.op_name == "matmul"
    vc = nf.Variable(rng.standard_normal((2, 4, 2)), requires_grad=True)
    gy = nf.Variable(np.ones((2, 3, 2)), requires_grad=True)
    ga, _ = nf.grad(nf.matmul(va, vc), [va, vc], grad_outputs=gy, create_graph=True)
    assert ga.creator.op_name != "matmul_grad"  # a matrix times a batch: a broadcasts
    ref = _vjp_ref(va.data[None], vc.data, np.ones((2, 3, 2)))[0].sum(0)
    np.testing.assert_allclose(ga.data, ref)
    # a batch times a matrix: one node, the weight gradient one GEMM over all the rows
    vx = nf.Variable(rng.standard_normal((2, 3, 4)), requires_grad=True)
    gx, gb = nf.grad(nf.matmul(vx, vb), [vx, vb], grad_outputs=gy, create_graph=True)
    assert gx.creator is gb.creator and gb.creator.op_name == "matmul_grad"
    ref = _vjp_ref(vx.data, vb.data[None], np.ones((2, 3, 2)))
    np.testing.assert_allclose(gx.data, ref[0])
    np.testing.assert_allclose(gb.data, ref[1].sum(0))


@pytest.mark.parametrize("parts", [1, 3])
@pytest.mark.parametrize("batch", [(), (2,), "x@W"])
def test_matmul_gradients_on_threads_match_reference_and_one_thread(monkeypatch, parts, batch):
    """The two gradient GEMMs split over 2 kernel threads (each cut into ``parts`` row blocks,
    one-thread BLAS) give the float64 reference, and the very values of the one-thread run
    (each output element comes from the same BLAS call shape)."""
    rng = np.random.default_rng(1)
    lead, wb = ((2, 3), ()) if batch == "x@W" else (batch, batch)
    a = rng.standard_normal(lead + (7, 5)).astype(np.float32)
    b = rng.standard_normal(wb + (5, 6)).astype(np.float32)
    gy = rng.standard_normal(lead + (7, 6)).astype(np.float32)

    def run():
        va, vb = nf.Variable(a, requires_grad=True), nf.Variable(b, requires_grad=True)
        return [g.data for g in nf.grad(nf.matmul(va, vb), [va, vb], grad_outputs=gy)]

    calls = []
    real = blas.run
    monkeypatch.setattr(blas, "run", lambda fn, r: calls.append(len(r)) or real(fn, r))
    monkeypatch.setattr(blas, "MIN_PARALLEL_WORK", 0)
    monkeypatch.setattr(blas, "CONCURRENT", True)
    module = nf.functions.math._exp_log_matmul
    monkeypatch.setattr(module, "matmuls", lambda jobs: blas.matmuls(jobs, parts))
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "2")
    threaded = run()
    assert calls == [2 * parts]  # the split ran
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "1")
    single = run()
    assert calls == [2 * parts]  # one thread: no split
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "3")
    many = run()
    assert calls == [2 * parts]  # more threads than products: BLAS's own threads
    for t, m in zip(threaded, many, strict=True):
        np.testing.assert_allclose(t, m, rtol=1e-6, atol=1e-6)
    ref = _vjp_ref(a, b, gy)
    if batch == "x@W":
        ref = (ref[0], ref[1].sum((0, 1)))
    for t, s, r in zip(threaded, single, ref, strict=True):
        np.testing.assert_array_equal(t, s)
        np.testing.assert_allclose(t, r, rtol=1e-5, atol=1e-5)
