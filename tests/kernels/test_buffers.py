import gc

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import _buffers as B
from nnfunc.kernels.cpu import activation as K

BIG = (B.MIN_BYTES // 4,)  # float32 elements of the smallest pooled output


@pytest.fixture(autouse=True)
def _empty_pool(monkeypatch):
    monkeypatch.delenv("NNFUNC_BUFFER_POOL_MB", raising=False)
    # Earlier tests may leave pooled arrays in reference cycles: collected in the middle of a
    # test (a numba compilation triggers the collector), they would put blocks in the pool.
    gc.collect()
    B.clear()
    yield
    B.clear()


def _address(a):
    return a.__array_interface__["data"][0]


def test_small_outputs_are_plain_numpy_arrays():
    a = B.empty((3, 4), np.float32)
    assert a.flags.owndata and a.shape == (3, 4) and a.dtype == np.float32
    assert B.empty((), np.float64).shape == ()


def test_a_released_block_is_reused_only_after_every_view_is_gone():
    a = B.empty(BIG, np.float32)
    assert a.shape == BIG and a.dtype == np.float32 and a.flags.writeable
    assert a.flags.c_contiguous and a.flags.aligned
    addr = _address(a)
    view = a[10:20]
    del a
    gc.collect()
    b = B.empty(BIG, np.float32)  # the view still holds the first block
    assert _address(b) != addr
    view[:] = 7.0
    del view
    gc.collect()
    c = B.empty(BIG, np.float32)
    assert _address(c) == addr  # reused once released
    assert not np.shares_memory(b, c)


def test_reuse_needs_the_same_byte_size_and_keeps_shape_and_dtype():
    a = B.empty(BIG, np.float32)
    addr = _address(a)
    del a
    b = B.empty((BIG[0] + 16,), np.float32)
    assert _address(b) != addr
    c = B.empty((2, BIG[0] // 4), np.float64)  # same bytes, other shape and dtype
    assert _address(c) == addr and c.shape == (2, BIG[0] // 4) and c.dtype == np.float64


def test_pool_size_limit_and_switch_off(monkeypatch):
    monkeypatch.setenv("NNFUNC_BUFFER_POOL_MB", "0")
    a = B.empty(BIG, np.float32)
    assert a.flags.owndata  # off: numpy.empty
    monkeypatch.setenv("NNFUNC_BUFFER_POOL_MB", str(B.MIN_BYTES >> 20))  # room for one block
    a, b = B.empty(BIG, np.float32), B.empty(BIG, np.float32)
    addr_b = _address(b)
    del a, b  # a is released first, then b: the oldest (a) is dropped
    c = B.empty(BIG, np.float32)
    assert _address(c) == addr_b
    d = B.empty(BIG, np.float32)  # nothing left in the pool
    assert _address(d) != addr_b


@pytest.mark.skipif(not numba_enabled(), reason="numba disabled (the NumPy twins allocate)")
def test_large_activation_outputs_use_the_pool_and_stay_intact():
    x = np.linspace(-4, 4, BIG[0], dtype=np.float32)
    K.grad("gelu_tanh", x[:8], x[:8])  # compiled now, not between the release and the reuse
    y1 = K.forward("gelu_tanh", x)
    assert isinstance(y1.base, B._Lease)
    ref = y1.copy()
    y2 = K.forward("gelu_tanh", -x)  # y1 is alive: its block is not handed out again
    assert not np.shares_memory(y1, y2)
    np.testing.assert_array_equal(y1, ref)
    addr = _address(y1)
    del y1
    y3 = K.grad("gelu_tanh", x, x)
    assert _address(y3) == addr


def test_products_and_binary_operators_take_large_outputs_from_the_pool():
    """Linear's product, MatMulGrad's two gradients and a float binary operator write large
    outputs into pooled blocks (their base is a lease); the values are NumPy's."""
    import nnfunc as nf

    def leased(a):
        while isinstance(a, np.ndarray):
            a = a.base
        return isinstance(a, B._Lease)

    rng = np.random.default_rng(0)
    rows = B.MIN_BYTES // 4 // 64  # (rows, 64) float32 outputs of exactly MIN_BYTES
    x = rng.standard_normal((rows, 32)).astype(np.float32)
    w = rng.standard_normal((32, 64)).astype(np.float32)
    y = nf.linear(x, w)
    assert leased(y)
    np.testing.assert_allclose(y, x @ w, rtol=1e-5, atol=1e-5)
    s = nf.add(y, y[:1])  # broadcast over the rows
    assert leased(s)
    np.testing.assert_array_equal(s, y + y[:1])
    small = nf.add(w, w)  # below MIN_BYTES: a plain array
    assert small.flags.owndata
    xv, wv = nf.Variable(y, requires_grad=True), nf.Variable(w.T.copy(), requires_grad=True)
    gy = rng.standard_normal((rows, 32)).astype(np.float32)
    gx, gw = nf.grad(nf.matmul(xv, wv), [xv, wv], grad_outputs=gy)
    assert leased(gx.data)
    np.testing.assert_allclose(gx.data, gy @ wv.data.T, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(gw.data, y.T @ gy, rtol=1e-4, atol=1e-2)
