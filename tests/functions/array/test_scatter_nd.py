import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, parametrize_class


def scatter_ref(data, idx, shape, out, add):
    idx = np.asarray(idx)
    m = idx.shape[0]
    res = np.zeros(shape, data.dtype) if out is None else out.copy()
    for pos in np.ndindex(idx.shape[1:]):
        tup = tuple(int(idx[(k,) + pos]) for k in range(m))
        res[tup] = res[tup] + data[pos] if add else data[pos]
    return res


@parametrize_class(
    case=["elements", "slices", "out"], add=[False, True], dtype=["float32", "float64"]
)
class TestScatterND(FunctionTestCase):
    function = staticmethod(nf.scatter_nd)
    symbolic_dims = ()

    def inputs(self, rng):
        if self.case == "elements":
            return (rng.standard_normal(4).astype(self.dtype), np.array([[4, 3, 1, 7]]))
        if self.case == "slices":
            return (rng.standard_normal((2, 3)).astype(self.dtype), np.array([[2, 0]]))
        return (
            rng.standard_normal((2,)).astype(self.dtype),
            np.array([[0, 2], [1, -1]]),
            rng.standard_normal((3, 3)).astype(self.dtype),
        )

    def _call(self, *args, **extra):
        if self.case == "out":  # `out` is a keyword tensor argument (after `shape`)
            data, idx, out = args
            return (nf.scatter_nd(data, idx, out=out, add=self.add, **extra),)
        return super()._call(*args, **extra)

    def kwargs(self):
        shape = {"elements": (8,), "slices": (4, 3), "out": None}[self.case]
        return {"shape": shape, "add": self.add} if shape else {"add": self.add}

    def expected(self, data, idx, out=None):
        shape = {"elements": (8,), "slices": (4, 3), "out": None}[self.case]
        return (scatter_ref(data, idx, shape, out, self.add),)


def test_scatter_nd_nnabla_example():
    data = np.array([9, 10, 11, 12])
    indices = np.array([[4, 3, 1, 7]])
    scattered = nf.scatter_nd(data, indices, shape=(8,))
    np.testing.assert_array_equal(scattered, [0, 11, 0, 10, 9, 0, 0, 12])
    np.testing.assert_array_equal(nf.gather_nd(scattered, indices), [9, 10, 11, 12])


def test_scatter_nd_add_accumulates_repeats():
    out = nf.scatter_nd(np.array([1.0, 2.0, 4.0]), [[1, 1, 0]], shape=(3,), add=True)
    np.testing.assert_array_equal(out, [4.0, 3.0, 0.0])


def test_scatter_nd_does_not_modify_out():
    out = np.ones(3)
    nf.scatter_nd(np.array([5.0]), [[0]], out=out)
    np.testing.assert_array_equal(out, [1.0, 1.0, 1.0])


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.scatter_nd(np.ones(2), [[0, 1]]),
            nf.ArgumentError,
            "scatter_nd: `shape` or `out` must be given (exactly one of them); received "
            "shape=None, out=None.",
        ),
        (
            lambda: nf.scatter_nd(np.ones(2), [[0, 1]], shape=(3,), out=np.ones(3)),
            nf.ArgumentError,
            "scatter_nd: `shape` or `out` must be given (exactly one of them); received "
            "shape=(3,), out='<tensor>'.",
        ),
        (
            lambda: nf.scatter_nd(np.ones(2), [[0, 3]], shape=(3,)),
            nf.ShapeError,
            "scatter_nd: `indices` must be in [-d, d) for each indexed size d (shape[:M]); "
            "received indices[:, 1]=(3,), shape[:M]=(3,).",
        ),
        (
            lambda: nf.scatter_nd(np.ones(3), [[0, 1]], shape=(3,)),
            nf.ShapeError,
            "scatter_nd: `data` must have shape indices.shape[1:] + shape[M:]; received "
            "data.shape=(3,), indices.shape=(1, 2), shape=(3,).",
        ),
        (
            lambda: nf.scatter_nd(np.ones(2), [[0, 1]], shape=(-3,)),
            nf.ArgumentError,
            "scatter_nd: `shape` must be a sequence of non-negative ints; received shape=(-3,).",
        ),
    ],
)
def test_scatter_nd_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32"])
@pytest.mark.parametrize("width", [1, 5])
def test_scatter_add_kernels_agree(dtype, width):
    from nnfunc.kernels.cpu.scatter_nd import scatter_add_rows_numba, scatter_add_rows_numpy

    rng = np.random.default_rng(0)
    rows = rng.integers(0, 7, 50)
    src = (rng.standard_normal((50, width)) * 4).astype(dtype)
    a = np.zeros((7, width), dtype)
    b = np.zeros((7, width), dtype)
    scatter_add_rows_numba(a, rows, src)
    scatter_add_rows_numpy(b, rows, src)
    expected = np.zeros((7, width))
    for r, s in zip(rows, src.astype(np.float64)):
        expected[r] += s
    tol = 5e-2 if dtype == "float16" else 1e-5
    np.testing.assert_allclose(a.astype(np.float64), expected, rtol=tol, atol=tol)
    np.testing.assert_allclose(b.astype(np.float64), expected, rtol=tol, atol=tol)
