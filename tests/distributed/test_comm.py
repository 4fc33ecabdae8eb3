import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.distributed import (
    InProcessGroup,
    SingleProcessCommunicator,
    all_reduce,
    run_replicas,
)


def test_single_process():
    c = SingleProcessCommunicator()
    assert (c.size, c.rank) == (1, 0)
    a = np.array([1.0, 2.0])
    r = c.all_reduce(a)
    np.testing.assert_array_equal(r, a)
    assert r is not a


def test_in_process_sum_identical_on_every_rank():
    vals = [np.array([0.1, 1e8]), np.array([0.2, 1.0]), np.array([0.3, -1e8])]
    out = run_replicas(lambda c: (c.rank, c.size, c.all_reduce(vals[c.rank])), 3)
    assert [o[0] for o in out] == [0, 1, 2] and all(o[1] == 3 for o in out)
    for o in out:
        np.testing.assert_array_equal(o[2], out[0][2])
    np.testing.assert_allclose(out[0][2], [0.6, 1.0])


def test_repeated_reductions_keep_order():
    def fn(c):
        return [c.all_reduce(np.array([c.rank * 10 + k])) for k in range(4)]

    out = run_replicas(fn, InProcessGroup(2))
    assert [int(a[0]) for a in out[0]] == [10, 12, 14, 16]


def test_failure_in_one_replica_is_raised():
    def fn(c):
        if c.rank == 1:
            raise ValueError("boom")
        return c.all_reduce(np.zeros(1))

    with pytest.raises(ValueError, match="boom"):
        run_replicas(fn, InProcessGroup(2, timeout=5))


def test_all_reduce_function_gradient():
    def fn(c):
        x = nf.Variable(np.array([1.0, 2.0]) * (c.rank + 1), requires_grad=True)
        y = all_reduce(x, c)
        (g,) = nf.grad(nf.sum(y * np.array([1.0, 3.0])), [x])
        return y.data, g.data

    out = run_replicas(fn, 2)
    np.testing.assert_array_equal(out[0][0], [3.0, 6.0])
    # d/dx_r of sum_r' sum(y * w) with y shared = size * w
    np.testing.assert_array_equal(out[1][1], [2.0, 6.0])


def test_unknown_group():
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape("all_reduce: `group` must be one of 'world'; received group='x'."),
    ):
        SingleProcessCommunicator().all_reduce(np.zeros(1), group="x")


def test_group_size_must_be_positive():
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape("InProcessGroup: `size` must be positive; received size=0."),
    ):
        InProcessGroup(0)


def test_mismatched_shapes_raise_on_every_replica():
    group = InProcessGroup(2, timeout=5)

    def fn(c):
        return c.all_reduce(np.zeros(3 if c.rank == 0 else 1))

    with pytest.raises(
        nf.ArgumentError,
        match=re.escape(
            "all_reduce: `array` must have the same shape and dtype on every replica; received "
            "shapes=[(3,), (1,)], dtypes=['float64', 'float64']."
        ),
    ):
        run_replicas(fn, group)  # each replica raises (or is released): nobody hangs
    # the group still works afterwards
    out = run_replicas(lambda c: c.all_reduce(np.array([1.0])), group)
    np.testing.assert_array_equal(out[1], [2.0])


def test_group_reusable_after_a_failure():
    group = InProcessGroup(2, timeout=5)

    def bad(c):
        if c.rank == 0:
            raise ValueError("boom")
        return c.all_reduce(np.zeros(1))

    with pytest.raises(ValueError, match="boom"):
        run_replicas(bad, group)
    out = run_replicas(lambda c: c.all_reduce(np.array([c.rank + 1.0])), group)
    np.testing.assert_array_equal(out[0], [3.0])


def test_sync_batch_normalization_channel_mismatch_across_replicas():
    def fn(c):
        x = np.ones((2, 3 if c.rank == 0 else 4))
        return nf.sync_batch_normalization(x, comm=c, training=True)

    with pytest.raises(nf.ArgumentError, match="must have the same shape and dtype"):
        run_replicas(fn, InProcessGroup(2, timeout=5))
