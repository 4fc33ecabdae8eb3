"""The Conv setup cache (functions/convolution/_conv.py ``_SETUPS``): a setup answered from the
cache leaves the node as a full setup would, arguments that compare equal but differ in type
never share an entry, failed setups are not kept, and graph specs with unknown sizes bypass it."""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import ArgumentError
from nnfunc.functions.convolution import _conv


def _fresh(args, x, w, b=None):
    _conv._SETUPS.clear()
    node = _conv.Conv(*args)
    specs = node.setup(x, w, b)
    return node, specs


@pytest.mark.parametrize(
    "args",
    [(1, 1, 1, 1, False), ((1, 2), ((0, 1), (2, 0)), 1, 1, False), (1, "same", (2, 1), 1, True)],
)
def test_cached_setup_equals_a_full_setup(args):
    channel_last = args[-1]
    x = np.zeros((2, 9, 10, 4) if channel_last else (2, 4, 9, 10), np.float32)
    w = np.zeros((6, 4, 3, 3), np.float32)
    b = np.zeros(6, np.float32)
    full, specs = _fresh(args, x, w, b)
    assert len(_conv._SETUPS) == 1
    cached = _conv.Conv(*args)
    assert cached.setup(x, w, b) == specs
    assert cached.__dict__ == full.__dict__
    for name in _conv._SETUP_ATTRS:  # everything the forward reads
        assert getattr(cached, name) == getattr(full, name)


def test_equal_but_different_arguments_do_not_share():
    x = np.zeros((1, 1, 5, 5), np.float32)
    w = np.zeros((1, 1, 3, 3), np.float32)
    _fresh((1, 1, 1, 1, False), x, w)
    node = _conv.Conv(1, True, 1, 1, False)  # pad=True: validated again, not the cached pad=1
    with pytest.raises(ArgumentError):
        node.setup(x, w)
    assert len(_conv._SETUPS) == 1  # the failed setup is not kept
    node = _conv.Conv(1, 1, 1, 1, False)
    node.setup(x.astype(np.float64), w.astype(np.float64))
    assert node.out_dtype == np.float64 and len(_conv._SETUPS) == 2


def test_unknown_sizes_bypass_the_cache():
    _conv._SETUPS.clear()
    node = _conv.Conv(1, 1, 1, 1, False)
    (spec,) = node.setup(
        TensorSpec((None, 2, 8, 8), np.dtype(np.float32)),
        TensorSpec((3, 2, 3, 3), np.dtype(np.float32)),
    )
    assert spec.shape == (None, 3, 8, 8) and not _conv._SETUPS


def test_repeated_calls_give_the_same_result():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    _conv._SETUPS.clear()
    first = nf.conv(x, w, pad=1)
    np.testing.assert_array_equal(nf.conv(x, w, pad=1), first)
    assert nf.conv(x, w, pad=0).shape == (2, 4, 6, 6)


def test_the_memory_bound_is_checked_again_when_it_changes(monkeypatch):
    x = np.zeros((4, 1, 100), np.float32)
    w = np.ones((1, 1, 3), np.float32)
    assert nf.conv(x, w, pad=1000).shape == (4, 1, 2098)
    monkeypatch.setattr(nf.core.function, "MEMORY_BYTES", 10_000)
    with pytest.raises(ArgumentError, match="padded input must fit in memory"):
        nf.conv(x, w, pad=1000)
