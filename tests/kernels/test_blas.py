"""The one BLAS thread limiter (``kernels/cpu/blas.py``) that attention, the recurrent layers and
Winograd's parallel chunks share: one thread inside, nested and concurrent users share one
limit, the original count comes back after the last exit, and an exception restores it too."""

import threading

import numpy as np
import pytest

from nnfunc.kernels.cpu import blas

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads():
    """The thread counts of the BLAS libraries the limiter sets (NumPy's OpenBLAS, else the
    ones threadpoolctl sees; another library loaded by another package, e.g. PyTorch's, may
    keep its own count under OpenBLAS's own call)."""
    api = blas.openblas()
    if api is not None:
        return [api[1]()]
    return [c.num_threads for c in blas._controller().lib_controllers]


@pytest.fixture(params=["openblas", "threadpoolctl"])
def two_blas_threads(request, monkeypatch):
    """BLAS at two threads; the limiter through OpenBLAS's own call, or through threadpoolctl
    (the path for MKL or BLIS: taken here by hiding OpenBLAS's entry points)."""
    if request.param == "openblas" and blas.openblas() is None:
        pytest.skip("NumPy's BLAS is not OpenBLAS")
    if request.param == "threadpoolctl":
        monkeypatch.setattr(blas, "openblas", lambda: None)
    if not blas.can_limit():
        pytest.skip("no BLAS whose threads can be set")
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        yield


def test_one_thread_inside_restored_after(two_blas_threads):
    before = _blas_threads()
    assert all(n == 2 for n in before)
    with blas.one_thread_blas():
        assert all(n == 1 for n in _blas_threads())
        with blas.one_thread_blas():  # nested: still one, the outer exit restores
            assert all(n == 1 for n in _blas_threads())
        assert all(n == 1 for n in _blas_threads())
    assert _blas_threads() == before


def test_inactive_is_a_no_op(two_blas_threads):
    before = _blas_threads()
    with blas.one_thread_blas(active=False):
        assert _blas_threads() == before
    assert _blas_threads() == before


def test_an_exception_restores_the_count(two_blas_threads):
    before = _blas_threads()
    with pytest.raises(KeyError), blas.one_thread_blas():
        raise KeyError("inside")
    assert _blas_threads() == before


def test_concurrent_users_share_one_limit(two_blas_threads, request):
    if request.node.callspec.params["two_blas_threads"] == "threadpoolctl":
        # Observed with NumPy's OpenBLAS: threadpoolctl's limit set from a second thread is not
        # what threadpool_info reads, so this check can only run on OpenBLAS's own call (the
        # path NumPy's wheels take; the fallback is for MKL/BLIS, set as before this module).
        pytest.skip("threadpoolctl's limit from a second thread is not observable here")
    before = _blas_threads()
    inside, leave = threading.Barrier(2), threading.Event()
    seen = []

    def user():
        with blas.one_thread_blas():
            inside.wait(timeout=10)
            leave.wait(timeout=10)
            seen.append(_blas_threads())

    t = threading.Thread(target=user)
    t.start()
    with blas.one_thread_blas():
        inside.wait(timeout=10)
        leave.set()
        t.join(timeout=10)  # the other user leaves first: the limit must still hold here
        assert all(n == 1 for n in _blas_threads())
    assert seen and all(n == 1 for n in seen[0])
    assert _blas_threads() == before
    # and products still compute the same under the limit
    a = np.arange(12.0).reshape(3, 4)
    with blas.one_thread_blas():
        np.testing.assert_array_equal(a @ a.T, np.einsum("ij,kj->ik", a, a))


def test_short_idle_spin_leaves_a_users_setting(monkeypatch):
    monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", "28")
    assert blas.shorten_idle_spin() is False
    assert blas.os.environ["OPENBLAS_THREAD_TIMEOUT"] == "28"


def test_short_idle_spin_restarts_openblas_threads_that_still_compute(monkeypatch):
    """Without the user's setting, an OpenBLAS that exports the two entry points re-reads its
    environment (the short poll) and stops its threads; the next threaded GEMM starts them
    again and is right. Another BLAS: nothing changes."""
    monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT", raising=False)
    lib = blas._lib if blas.openblas() is not None else None
    exported = lib is not None and all(
        getattr(lib, name, None) is not None
        for name in ("openblas_read_env", "blas_thread_shutdown_")
    )
    assert blas.shorten_idle_spin() is exported
    if exported:
        assert blas.os.environ["OPENBLAS_THREAD_TIMEOUT"] == str(blas.IDLE_SPIN_LOG2)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((512, 384))
    b = rng.standard_normal((384, 256))
    want = np.einsum("ik,kj->ij", a, b)  # not BLAS
    for _ in range(3):  # threaded GEMMs after the restart, and the one-thread limit
        np.testing.assert_allclose(a @ b, want, rtol=1e-12, atol=1e-12)
        with blas.one_thread_blas():
            np.testing.assert_allclose(a @ b, want, rtol=1e-12, atol=1e-12)
