"""Random shapes and axes: every primitive gives NumPy's result or an NNFuncError, never a crash."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nnfunc as nf

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
axes = st.one_of(st.none(), st.integers(-5, 5), st.lists(st.integers(-5, 5), max_size=3).map(tuple))
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
SETTINGS = settings(
    max_examples=int(os.environ.get("NNFUNC_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    derandomize=not os.environ.get("NNFUNC_HYPOTHESIS_EXAMPLES"),  # CI is reproducible
    suppress_health_check=[HealthCheck.too_slow],
)


def _outcome(fn):
    try:
        return fn(), None
    except Exception as exc:  # classify any exception: that is the point of the test
        return None, exc


def _check(ours, theirs):
    got, err = _outcome(ours)
    if err is not None:
        assert isinstance(err, nf.NNFuncError), f"raw {type(err).__name__}: {err}"
        return
    want, np_err = _outcome(theirs)
    assert np_err is None, f"nnfunc accepted what NumPy rejects: {np_err}"
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert np.shape(got) == np.shape(want)


@SETTINGS
@given(shape=shapes, axis=axes, keepdims=st.booleans(), op=st.sampled_from(["sum", "mean"]))
def test_reductions(shape, axis, keepdims, op):
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) / 7.0
    ours = getattr(nf, op)
    theirs = getattr(np, op)
    _check(
        lambda: ours(x, axis=axis, keepdims=keepdims),
        lambda: theirs(x, axis=axis, keepdims=keepdims),
    )


@SETTINGS
@given(a=shapes, b=shapes, op=st.sampled_from(["add", "sub", "mul", "maximum", "minimum"]))
def test_broadcasting_binary(a, b, op):
    x = np.linspace(-1, 1, int(np.prod(a))).reshape(a)
    y = np.linspace(2, 3, int(np.prod(b))).reshape(b)
    np_op = {"add": np.add, "sub": np.subtract, "mul": np.multiply}.get(op, getattr(np, op, None))
    _check(lambda: getattr(nf, op)(x, y), lambda: np_op(x, y))


@SETTINGS
@given(shape=shapes, target=st.lists(st.integers(-2, 6), max_size=4).map(tuple))
def test_reshape(shape, target):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    _check(lambda: nf.reshape(x, target), lambda: np.reshape(x, target))


@SETTINGS
@given(shape=shapes, perm=st.lists(st.integers(-5, 5), max_size=4).map(tuple))
def test_transpose(shape, perm):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    _check(lambda: nf.transpose(x, perm), lambda: np.transpose(x, perm))


@SETTINGS
@given(shape=shapes, target=shapes)
def test_broadcast_to(shape, target):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    _check(lambda: nf.broadcast_to(x, target), lambda: np.broadcast_to(x, target))


@SETTINGS
@given(a=shapes, b=shapes)
def test_matmul(a, b):
    x = np.ones(a, np.float64)
    y = np.full(b, 0.5)
    _check(lambda: nf.matmul(x, y), lambda: np.matmul(x, y))


@SETTINGS
@given(shape=shapes, index=st.lists(st.integers(-6, 6), max_size=3))
def test_getitem(shape, index):
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    key = tuple(index)
    _check(lambda: nf.getitem(x, key), lambda: x[key])
