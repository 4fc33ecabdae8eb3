import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def one_hot_ref(x, n, axis, dtype=np.float32):
    out = np.zeros(x.shape + (n,), dtype)
    for idx in np.ndindex(x.shape):
        if 0 <= x[idx] < n:
            out[idx + (x[idx],)] = 1
    return np.moveaxis(out, -1, axis)


@parametrize_class(axis=[-1, 0, 1], dtype=["int32", "int64"], invalid=["raise", "zeros"])
class TestOneHot(FunctionTestCase):
    function = staticmethod(nf.one_hot)
    differentiable = False

    def inputs(self, rng):
        # Out-of-range labels (-1 and 4) only where they are allowed to give zeros.
        low, high = (-1, 5) if self.invalid == "zeros" else (0, 4)
        return (rng.integers(low, high, (3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"num_classes": 4, "axis": self.axis, "invalid": self.invalid}

    @property
    def symbolic_dims(self):
        return (0,) if self.axis != 0 else (1,)

    def expected(self, x):
        return (one_hot_ref(x, 4, self.axis),)


@parametrize_class(dtype=["int64"])
class TestOneHotTuple(FunctionTestCase):
    function = staticmethod(nf.one_hot)
    differentiable = False

    def inputs(self, rng):
        return (np.array([[1, 7], [4, 7], [8, 6], [5, 0], [2, 9]]),)

    def kwargs(self):
        return {"num_classes": (10, 8), "invalid": "zeros"}

    def expected(self, x):
        out = np.zeros((5, 10, 8), np.float32)
        for r, (i, j) in enumerate(x):
            if i < 10 and j < 8:
                out[r, i, j] = 1
        return (out,)


@pytest.mark.parametrize(
    "x, classes, message",
    [
        (np.array([0, 3, 5]), 4, "one_hot: `x` must hold labels in [0, 4); received x[2]=5."),
        (
            np.array([[0, 1], [-1, 2]]),
            3,
            "one_hot: `x` must hold labels in [0, 3); received x[1, 0]=-1.",
        ),
        (
            np.array([[1, 7], [2, 9]]),
            (10, 8),
            "one_hot: `x` must hold indices below num_classes=(10, 8) (and >= 0); "
            "received x[1]=(2, 9).",
        ),
    ],
)
def test_out_of_range_labels_raise_eagerly_and_when_a_graph_runs(x, classes, message):
    with pytest.raises(nf.ArgumentError, match=re.escape(message)):
        nf.one_hot(x, classes)
    g = nf.Graph()
    p = g.placeholder("labels", x.shape, x.dtype)
    y = nf.one_hot(p, classes, name="oh")
    op, _, rest = message.partition(": ")
    with pytest.raises(nf.ArgumentError, match=re.escape(f"{op} (node 'oh'): {rest}")):
        g.run(y, {"labels": x})


def test_keras_dialect_gives_zeros_for_out_of_range_labels():
    from nnfunc.compat import keras

    np.testing.assert_array_equal(
        keras.ops.one_hot(np.array([1, 3, -1]), 3), [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
    )


def test_one_hot_dtype_argument():
    y = nf.one_hot(np.array([0, 2]), 3, dtype="int8")
    assert y.dtype == np.int8
    np.testing.assert_array_equal(y, [[1, 0, 0], [0, 0, 1]])


def multi_hot_ref(x, n, axis):
    lead = x.shape[:-1]
    out = np.zeros(lead + (n,), np.float32)
    for idx in np.ndindex(lead):
        for v in x[idx]:
            if 0 <= v < n:
                out[idx + (v,)] = 1
    return np.moveaxis(out, -1, axis)


@parametrize_class(shape=[(4,), (3, 4), (2, 3, 4)], axis=[-1, 0])
class TestMultiHot(FunctionTestCase):
    function = staticmethod(nf.multi_hot)
    differentiable = False

    def inputs(self, rng):
        return (rng.integers(-1, 6, self.shape),)

    def kwargs(self):
        return {"num_classes": 5, "axis": self.axis}

    @property
    def symbolic_dims(self):
        return (0,) if len(self.shape) > 1 and self.axis != 0 else ()

    def expected(self, x):
        return (multi_hot_ref(x, 5, self.axis),)


BAD_INIT = [
    (
        lambda: nf.one_hot(np.array([1]), 0),
        nf.ArgumentError,
        "one_hot: `num_classes` must be positive; received num_classes=0.",
    ),
    (
        lambda: nf.one_hot(np.array([1]), -3),
        nf.ArgumentError,
        "one_hot: `num_classes` must be positive; received num_classes=-3.",
    ),
    (
        lambda: nf.one_hot(np.array([1]), 3, sparse=True),
        nf.UnsupportedError,
        "one_hot: `sparse` must be False (sparse tensors are not supported); received sparse=True.",
    ),
    (
        lambda: nf.multi_hot(np.array([1]), None),
        nf.ArgumentError,
        "multi_hot: `num_classes` must be an integer; received num_classes=None.",
    ),
    (
        lambda: nf.multi_hot(np.array([1]), 2, sparse=True),
        nf.UnsupportedError,
        "multi_hot: `sparse` must be False (sparse tensors are not supported); received "
        "sparse=True.",
    ),
    (
        lambda: nf.one_hot(np.array([[1, 2]]), (3, 3), axis=0),
        nf.ArgumentError,
        "one_hot: `axis` must be -1 when `num_classes` is a tuple; received axis=0.",
    ),
]


@pytest.mark.parametrize("call, exc, message", BAD_INIT)
def test_bad_arguments(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


@pytest.mark.parametrize(
    "fn, inputs, exc, message",
    [
        (
            lambda x, **k: nf.one_hot(x, 3, **k),
            (np.array([1.0]),),
            nf.DTypeError,
            "one_hot: `x` must have an integer dtype; received x.dtype=float64.",
        ),
        (
            lambda x, **k: nf.one_hot(x, 3, axis=3, **k),
            (np.array([[1]]),),
            nf.ShapeError,
            "one_hot: `axis` must be in [-3, 3) for an input of rank 3; received axis=3.",
        ),
        (
            lambda x, **k: nf.one_hot(x, (3, 3), **k),
            (np.array([[1, 2, 0]]),),
            nf.ShapeError,
            "one_hot: `x` must have a last axis of length 2 (one index per one-hot axis); "
            "received x.shape=(1, 3), num_classes=(3, 3).",
        ),
        (
            lambda x, **k: nf.multi_hot(x, 3, **k),
            (np.array(1),),
            nf.ShapeError,
            "multi_hot: `inputs` must have rank >= 1; received inputs.shape=().",
        ),
    ],
)
def test_bad_input(fn, inputs, exc, message):
    assert_raises_both_modes(fn, inputs, {}, exc, message)
