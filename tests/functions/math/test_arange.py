import re

import numpy as np
import pytest

import nnfunc as nf


def arange_ref(start, stop, step):
    out, v = [], start
    i = 0
    while (step > 0 and v < stop) or (step < 0 and v > stop):
        out.append(v)
        i += 1
        v = start + i * step
    return np.array(out, np.float64)


@pytest.mark.parametrize(
    "start, stop, step",
    [(1, 11, 1), (0, 1, 0.25), (5, 0, -2), (0, 0, 1), (3, 1, 1), (-1.5, 1.0, 0.5)],
)
def test_arange_values(start, stop, step):
    out = nf.arange(start, stop, step)
    assert type(out) is np.ndarray and out.dtype == np.float32
    np.testing.assert_array_equal(out, arange_ref(start, stop, step).astype(np.float32))


def test_arange_nnabla_example():
    data = nf.arange(1, 11).reshape(2, 5)
    np.testing.assert_array_equal(data, [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])


def test_arange_dtype():
    assert nf.arange(0, 3, dtype=np.int64).dtype == np.int64


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.arange(0, 3, 0),
            nf.ArgumentError,
            "arange: `step` must not be 0; received step=0.",
        ),
        (
            lambda: nf.arange(0, np.inf),
            nf.ArgumentError,
            "arange: `stop` must be finite; received stop=inf.",
        ),
    ],
)
def test_arange_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
