import re

import numpy as np
import pytest

import nnfunc as nf


@pytest.mark.parametrize(
    "val, shape, dtype",
    [(0, (), np.float32), (2.5, (2, 3), np.float32), (-1, 4, np.int32), (True, (2,), bool)],
)
def test_constant_values(val, shape, dtype):
    out = nf.constant(val, shape, dtype)
    dims = (shape,) if isinstance(shape, int) else shape
    assert type(out) is np.ndarray and out.shape == dims and out.dtype == np.dtype(dtype)
    assert all(v == val for v in out.ravel().tolist())


def test_constant_defaults_are_nnabla_s():
    out = nf.constant()
    assert out.shape == () and out.dtype == np.float32 and float(out) == 0.0


def test_constant_inside_graph_is_a_constant_node():
    with nf.Graph() as g:
        c = nf.constant(3.0, (2,), name="c")
        y = nf.add(g.placeholder("x", (2,)), c, name="y")
    assert c.kind == "constant"
    np.testing.assert_array_equal(g.run(y, {"x": np.ones(2, np.float32)}), [4.0, 4.0])


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.constant(1.0, (2, -1)),
            nf.ArgumentError,
            "constant: `shape` must be a sequence of non-negative ints; received shape=(2, -1).",
        ),
        (
            lambda: nf.constant("a"),
            nf.ArgumentError,
            "constant: `val` must be a real number; received val='a'.",
        ),
        (
            lambda: nf.constant(1, (2,), np.complex64),
            nf.DTypeError,
            "constant: `dtype` must be a bool, integer or float dtype; received dtype=complex64.",
        ),
    ],
)
def test_constant_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
