import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def gather_ref(data, idx):
    idx = np.asarray(idx)
    m = idx.shape[0]
    out = np.empty(idx.shape[1:] + data.shape[m:], data.dtype)
    for pos in np.ndindex(idx.shape[1:]):
        tup = tuple(int(idx[(k,) + pos]) for k in range(m))
        out[pos] = data[tup]
    return out


INDICES = {
    "full": np.array([[1, 1, 0], [0, 4, -1]]),
    "slices": np.array([[1, 1, 0]]),
    "2d_y": np.array([[[0, 1], [1, 1]], [[2, 3], [0, -5]]]),
}


@parametrize_class(case=list(INDICES), dtype=["float32", "float64"])
class TestGatherND(FunctionTestCase):
    function = staticmethod(nf.gather_nd)
    symbolic_dims = ()

    def inputs(self, rng):
        return (rng.standard_normal((2, 5, 3)).astype(self.dtype), INDICES[self.case])

    def expected(self, data, idx):
        return (gather_ref(data, idx),)


@pytest.mark.parametrize("numba", [True, False])
def test_gather_nd_gradient_accumulates_repeats(monkeypatch, numba):
    from nnfunc.kernels.cpu import scatter_nd as kernel

    if not numba:
        monkeypatch.setattr(kernel, "numba_enabled", lambda: False)
    data = nf.Variable(np.zeros((3, 2)), requires_grad=True)
    y = nf.gather_nd(data, [[0, 2, 0, 0]])
    nf.sum(y * np.arange(8.0).reshape(4, 2)).backward()
    np.testing.assert_array_equal(data.grad, [[0 + 4 + 6, 1 + 5 + 7], [0, 0], [2, 3]])


def test_gather_nd_nnabla_examples():
    data = nf.arange(1, 11).reshape(2, 5)
    np.testing.assert_array_equal(nf.gather_nd(data, [[1, 1, 0], [0, 1, 0]]), [6.0, 7.0, 1.0])
    assert nf.gather_nd(data, [[1, 1, 0]]).shape == (3, 5)
    np.testing.assert_array_equal(nf.gather_nd(data, [[0], [0]]), [1.0])
    np.testing.assert_array_equal(nf.gather_nd(data, [[1], [4]]), [10.0])


def test_gather_nd_out_of_range_in_graph_is_reported_at_run():
    g = nf.Graph()
    d = g.placeholder("d", (2, 5))
    i = g.placeholder("i", (2, 1), np.int64)
    y = nf.gather_nd(d, i, name="y")
    with pytest.raises(
        nf.ShapeError,
        match=re.escape(
            "gather_nd (node 'y'): `indices` must be in [-d, d) for each indexed size d "
            "(data.shape[:M]); received indices[:, 0]=(0, 5), data.shape[:M]=(2, 5)."
        ),
    ):
        g.run(y, {"d": np.zeros((2, 5), np.float32), "i": np.array([[0], [5]])})


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.gather_nd(np.ones((2, 5)), [[0, 2, 1], [1, 5, 0]]),
            nf.ShapeError,
            "gather_nd: `indices` must be in [-d, d) for each indexed size d (data.shape[:M]); "
            "received indices[:, 1]=(2, 5), data.shape[:M]=(2, 5).",
        ),
        (
            lambda: nf.gather_nd(np.ones((2, 5)), [[-3]]),
            nf.ShapeError,
            "gather_nd: `indices` must be in [-d, d) for each indexed size d (data.shape[:M]); "
            "received indices[:, 0]=(-3,), data.shape[:M]=(2,).",
        ),
        (
            lambda: nf.gather_nd(np.ones((2, 5)), np.array([[0.0, np.nan]])),
            nf.ShapeError,
            "gather_nd: `indices` must be in [-d, d) for each indexed size d (data.shape[:M]); "
            "received indices[:, 1]=(nan,), data.shape[:M]=(2,).",
        ),
        (
            lambda: nf.gather_nd(np.ones((2, 5)), [0, 1]),
            nf.ShapeError,
            "gather_nd: `indices` must have rank >= 2 (M, Y...); received indices.shape=(2,).",
        ),
        (
            lambda: nf.gather_nd(np.ones(2), [[0], [0]]),
            nf.ShapeError,
            "gather_nd: `indices` must have a known first dimension M in [1, 1] (the rank of the "
            "data); received indices.shape=(2, 1).",
        ),
    ],
)
def test_gather_nd_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
