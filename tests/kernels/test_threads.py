"""Row ranges over threads: same results as one range, any thread count, also after a fork."""

import multiprocessing
import os
import sys
import threading
import time

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import _threads
from nnfunc.kernels.cpu import erf as E
from nnfunc.kernels.cpu import layer_norm as L
from nnfunc.kernels.cpu import softmax as S

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")


def test_row_ranges_cover_the_rows_in_order():
    for rows, threads in [(10, 3), (2, 5), (1, 1), (0, 2), (7, 7)]:
        ranges = _threads.row_ranges(rows, 100, threads)
        assert len(ranges) == max(1, min(threads, rows))
        assert ranges[0][0] == 0 and ranges[-1][1] == rows
        assert all(a <= b for a, b in ranges)
        assert all(ranges[k][1] == ranges[k + 1][0] for k in range(len(ranges) - 1))


def test_automatic_ranges_need_enough_work(monkeypatch):
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "4")
    assert _threads.num_threads() == 4
    assert len(_threads.row_ranges(100, 10)) == 1  # 1000 elements: one range
    assert len(_threads.row_ranges(4096, 1024)) == 4 * _threads.RANGES_PER_THREAD
    assert len(_threads.row_ranges(3 * _threads.MIN_WORK, 1)) == 3 * _threads.RANGES_PER_THREAD
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "1")
    assert len(_threads.row_ranges(4096, 1024)) == 1


def test_run_returns_results_in_range_order():
    out = _threads.run(lambda a, b: list(range(a, b)), _threads.row_ranges(10, 1, 4))
    assert [v for part in out for v in part] == list(range(10))


def test_run_reraises_an_exception_of_any_range():
    def fn(a, b):
        if a == 5:
            raise ValueError("range 5")
        return a

    with pytest.raises(ValueError, match="range 5"):
        _threads.run(fn, _threads.row_ranges(10, 1, 10))


@needs_numba
@pytest.mark.parametrize("threads", [2, 3])
def test_kernels_give_the_same_results_on_any_number_of_ranges(threads):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((37, 70)) * 4).astype(np.float32)
    t = rng.dirichlet(np.ones(70), 37).astype(np.float32)
    gy = rng.standard_normal(37).astype(np.float32)
    for log in (False, True):
        np.testing.assert_array_equal(
            S.softmax_rows_numba(x, log, threads), S.softmax_rows_numba(x, log, 1)
        )
    (l1, s1), (ln, sn) = (
        S.softmax_xent_rows_numba(x, t, 1),
        S.softmax_xent_rows_numba(x, t, threads),
    )
    np.testing.assert_array_equal(ln, l1)
    np.testing.assert_array_equal(sn, s1)
    np.testing.assert_array_equal(
        S.softmax_xent_grad_rows_numba(x, t, gy, s1, threads),
        S.softmax_xent_grad_rows_numba(x, t, gy, s1, 1),
    )
    for fn in (E.gelu_erf_numba, E.erf_numba):
        np.testing.assert_array_equal(fn(x, threads), fn(x, 1))
    cs, co = rng.uniform(0.5, 2, 70), rng.standard_normal(70)
    one = L.normalize_rows_numba(x, 1e-5, None, None, cs, co, 1)
    many = L.normalize_rows_numba(x, 1e-5, None, None, cs, co, threads)
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a, b)
    g2 = rng.standard_normal(x.shape).astype(np.float32)
    one = L.normalize_rows_backward_numba(x, g2, one[1], one[3], None, cs, True, True, 1)
    many = L.normalize_rows_backward_numba(x, g2, many[1], many[3], None, cs, True, True, threads)
    np.testing.assert_array_equal(many[0], one[0])
    np.testing.assert_array_equal(many[1], one[1])
    # Column sums add per-range float32 block sums: equal up to float32 rounding of the
    # terms (|gy * xhat| up to ~10, 37 rows).
    np.testing.assert_allclose(many[2], one[2], rtol=0, atol=37 * 10 * 6e-8)


def _child(queue):
    x = np.linspace(-3, 3, 64, dtype=np.float32)
    queue.put(float(E.gelu_erf_numba(x, 2).sum()))


@needs_numba
@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_pool_works_after_fork():
    x = np.linspace(-3, 3, 64, dtype=np.float32)
    expected = float(E.gelu_erf_numba(x, 2).sum())  # the parent's pool exists now
    assert _in_forked_child(_child) == expected


def _in_forked_child(target):
    """What ``target(queue)`` puts in the queue, run in a forked child (which must not hang on
    the parent's thread pool)."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(queue,))
    proc.start()
    proc.join(timeout=120)
    if proc.is_alive():  # pragma: no cover - the failure these tests guard against
        os.kill(proc.pid, 9)
        pytest.fail("a forked child hung on the parent's thread pool")
    assert proc.exitcode == 0
    return queue.get(timeout=5)


def _wait_all_asleep(timeout=5.0):
    """True once every pool helper is blocked (its poll window over)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pool = _threads._pool
        if pool is not None and pool.sleeping == len(pool.helpers):
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("spin_us", ["0", "1000"])
def test_helpers_block_after_the_poll_window_and_burn_no_cpu_idle(monkeypatch, spin_us):
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "3")
    monkeypatch.setenv("NNFUNC_SPIN_US", spin_us)
    assert _threads.spin_seconds() == pytest.approx(int(spin_us) * 1e-6)
    out = _threads.run(lambda a, b: (time.sleep(0.002), a)[1], [(k, k) for k in range(6)])
    assert out == list(range(6))
    assert len(_threads._pool.helpers) >= 2
    assert _wait_all_asleep()
    cpu = time.process_time()
    time.sleep(0.3)
    # Helpers polling for the whole 0.3 s would take ~0.3 s of CPU each.
    assert time.process_time() - cpu < 0.05


def test_spin_setting_falls_back_to_the_default(monkeypatch):
    monkeypatch.setenv("NNFUNC_SPIN_US", "soon")
    assert _threads.spin_seconds() == pytest.approx(_threads.SPIN_US * 1e-6)
    monkeypatch.setenv("NNFUNC_SPIN_US", "-5")
    assert _threads.spin_seconds() == 0


@pytest.mark.parametrize("spin_us", ["0", "200"])
def test_an_exception_in_a_helper_is_raised_after_the_started_ranges_end(monkeypatch, spin_us):
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "2")
    monkeypatch.setenv("NNFUNC_SPIN_US", spin_us)
    caller = threading.current_thread()
    running, finished = [0], []
    lock = threading.Lock()

    def fn(a, b):
        with lock:
            running[0] += 1
        try:
            time.sleep(0.004)
            if threading.current_thread() is not caller:
                raise KeyError(f"helper range {a}")
            return a
        finally:
            with lock:
                running[0] -= 1
                finished.append(a)

    with pytest.raises(KeyError, match="helper range"):
        _threads.run(fn, [(k, k + 1) for k in range(20)])
    assert running[0] == 0  # nothing still running once run() has raised
    # The pool still works after an error.
    assert _threads.run(lambda a, b: a, [(k, k + 1) for k in range(5)]) == list(range(5))


def test_nested_calls_share_the_pool(monkeypatch):
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "2")

    def inner(a, b):
        time.sleep(0.001)
        return list(range(a, b))

    def outer(a, b):
        parts = _threads.run(inner, _threads.row_ranges(b - a, 1, 4))
        return [a + v for part in parts for v in part]

    for _ in range(20):
        out = _threads.run(outer, [(k * 10, k * 10 + 10) for k in range(6)])
        assert [v for part in out for v in part] == list(range(60))


def test_concurrent_callers_get_their_own_results(monkeypatch):
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "2")
    got = {}

    def caller(tag):
        got[tag] = [
            _threads.run(lambda a, b: (tag, a), [(k, k + 1) for k in range(8)]) for _ in range(50)
        ]

    threads = [threading.Thread(target=caller, args=(t,)) for t in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(got[t] == [[(t, k) for k in range(8)]] * 50 for t in range(3))


def _child_run(queue):
    queue.put(_threads.run(lambda a, b: a * b, [(k, k + 1) for k in range(8)]))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_fork_while_helpers_poll(monkeypatch):
    monkeypatch.setenv("NNFUNC_NUM_THREADS", "2")
    monkeypatch.setenv("NNFUNC_SPIN_US", "100000")  # the helper is polling when we fork
    _threads.run(lambda a, b: a, [(k, k + 1) for k in range(8)])
    assert _in_forked_child(_child_run) == [k * (k + 1) for k in range(8)]
