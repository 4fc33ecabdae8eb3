import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def py_slice_ref(x, start, stop, step):
    """Per-axis Python list slicing of the trailing axes, by recursion over nested lists."""
    n = 0 if start is None else len(start)
    lead = x.ndim - n

    def rec(v, d):
        if d == x.ndim:
            return v
        if d < lead:
            return [rec(e, d + 1) for e in v]
        k = d - lead
        return [rec(e, d + 1) for e in v[start[k] : stop[k] : step[k]]]

    return np.array(rec(x.tolist(), 0), x.dtype).reshape(
        x.shape[:lead]
        + tuple(
            len(range(*slice(a, b, c).indices(s)))
            for a, b, c, s in zip(start or (), stop or (), step or (), x.shape[lead:])
        )
    )


CASES = {
    "basic": ((0, 1), (2, 4), (1, 2)),
    "trailing": ((1,), (None,), (1,)),
    "reverse": ((None,), (None,), (-1,)),
    "reverse_from_last": ((-1,), (None,), (-1,)),
    "negative": ((-2, 0), (None, -1), (1, 1)),
    "clip": ((0, 0), (10, 10), (2, 3)),
}


@parametrize_class(case=list(CASES), dtype=["float32", "int32"])
class TestSlice(FunctionTestCase):
    function = staticmethod(nf.slice)
    symbolic_dims = ()

    def inputs(self, rng):
        return ((rng.standard_normal((3, 4)) * 3).astype(self.dtype),)

    def kwargs(self):
        start, stop, step = CASES[self.case]
        return {"start": start, "stop": stop, "step": step}

    def expected(self, x):
        return (py_slice_ref(x, *CASES[self.case]),)


def test_slice_defaults_copy_everything():
    x = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(nf.slice(x), x)


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.slice(np.ones((2, 3)), step=(0, 1)),
            nf.ArgumentError,
            "slice: `step` must not contain 0; received step=(0, 1).",
        ),
        (
            lambda: nf.slice(np.ones((2, 3)), start=(0,), stop=(1, 1)),
            nf.ArgumentError,
            "slice: `start`, `stop` and `step` must have one length; received start=(0,), "
            "stop=(1, 1).",
        ),
        (
            lambda: nf.slice(np.ones(3), start=(0, 0)),
            nf.ArgumentError,
            "slice: `start`, `stop` and `step` must have at most 1 entries; received start=(0, 0).",
        ),
        (
            lambda: nf.slice(np.ones(3), start=("a",)),
            nf.ArgumentError,
            "slice: `start` must be a sequence of ints or None; received start=('a',).",
        ),
    ],
)
def test_slice_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
