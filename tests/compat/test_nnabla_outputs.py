"""nnabla.functions ``outputs=``: arrays given there receive the results in place."""

import inspect

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as F
from nnfunc.compat.nnabla._imperative import write_outputs


def _takes_outputs(f):
    p = inspect.signature(f).parameters
    return "outputs" in p or any(q.kind is q.VAR_KEYWORD for q in p.values())


ENTRIES = [n for n in F.__all__ if inspect.isfunction(getattr(F, n))]


@pytest.mark.parametrize("name", [n for n in ENTRIES if _takes_outputs(getattr(F, n))])
def test_every_entry_with_outputs_honours_it(name):
    """One helper for all: each such entry is wrapped by outputs_in_place."""
    assert getattr(getattr(F, name), "__wrapped__", None) is not None


def test_keyword_positional_and_single_array():
    x = np.array([-1.0, 2.0])
    y = np.full(2, 7.0)
    assert F.relu(x, outputs=[y]) is y
    np.testing.assert_array_equal(y, [0.0, 2.0])
    z = np.zeros(2)
    assert F.sub2(x, -x, 1, [z]) is z  # positional: (x0, x1, n_outputs, outputs)
    np.testing.assert_array_equal(z, [-2.0, 4.0])
    w = np.zeros(2, np.float32)  # a float64 result cast within its kind
    assert F.mul_scalar(x, 3.0, outputs=w) is w
    np.testing.assert_array_equal(w, np.array([-3.0, 6.0], np.float32))
    c = np.zeros(4)
    assert F.concatenate(x, x, axis=0, outputs=[c]) is c  # **kw entries too
    np.testing.assert_array_equal(c, [-1.0, 2.0, -1.0, 2.0])


def test_several_outputs_and_errors():
    a, b = np.zeros(2), np.zeros(3)
    out = write_outputs("f", (np.ones(2), np.arange(3.0)), [a, b])
    assert out[0] is a and out[1] is b
    np.testing.assert_array_equal(b, [0.0, 1.0, 2.0])
    x = np.array([1.0, 2.0])
    with pytest.raises(nf.ArgumentError, match=r"relu: `outputs` must hold one array per output"):
        F.relu(x, outputs=[np.zeros(2), np.zeros(2)])
    with pytest.raises(nf.ShapeError, match=r"relu: `outputs` must have the shape of each output"):
        F.relu(x, outputs=[np.zeros(3)])
    with pytest.raises(nf.DTypeError, match=r"relu: `outputs` must have dtypes the outputs cast"):
        F.relu(x, outputs=[np.zeros(2, np.int64)])
    with pytest.raises(nf.ArgumentError, match=r"relu: `outputs` must be NumPy arrays"):
        F.relu(x, outputs=[[0.0, 0.0]])
    with pytest.raises(nf.ArgumentError, match=r"relu: `outputs` must be None when the inputs"):
        F.relu(nf.Variable(x), outputs=[np.zeros(2)])
    ro = np.zeros(2)
    ro.flags.writeable = False
    with pytest.raises(nf.ArgumentError, match=r"relu: `outputs` must be writeable arrays"):
        F.relu(x, outputs=[ro])


def test_n_outputs_is_accepted_and_ignored():
    x = np.array([-1.0, 2.0])
    np.testing.assert_array_equal(F.relu(x, n_outputs=5), [0.0, 2.0])
