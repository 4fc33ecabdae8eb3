import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.functions.array._getitem import _index_shape
from nnfunc.testing import FunctionTestCase, parametrize_class

KEYS = {
    "int": 1,
    "slice": (slice(None), slice(1, 3)),
    "neg_step": (Ellipsis, slice(None, None, -2)),
    "newaxis": (None, 0),
    "int_array": np.array([2, 0, 2]),
    "int_arrays": (np.array([0, 2]), np.array([1, 3])),
    "bool_mask": np.array([True, False, True]),
    "list": [0, 0, 1],
}


@parametrize_class(key=list(KEYS), dtype=["float32", "float64"])
class TestGetitem(FunctionTestCase):
    function = staticmethod(nf.getitem)
    symbolic_dims = ()

    def inputs(self, rng):
        return (rng.standard_normal((3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"key": KEYS[self.key]}

    def expected(self, x):
        # Independent element-by-element construction for the advanced keys.
        key = KEYS[self.key]
        if self.key == "int_array":
            return (np.stack([x[i] for i in key]),)
        if self.key == "int_arrays":
            return (np.array([x[i, j] for i, j in zip(*key)], x.dtype),)
        if self.key == "bool_mask":
            return (np.stack([x[i] for i, m in enumerate(key) if m]),)
        if self.key == "list":
            return (np.stack([x[i] for i in key]),)
        return (np.array(x[key]),)


def test_getitem_repeated_indices_accumulate_gradient():
    x = nf.Variable(np.arange(4.0), requires_grad=True)
    nf.sum(x[[0, 0, 3]]).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 0.0, 1.0])


def test_getitem_operator_routes_here():
    x = nf.Variable(np.arange(4.0), requires_grad=True)
    assert x[1:].creator.op_name == "getitem"


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (lambda: nf.getitem(np.ones(3), 5), nf.ShapeError, "getitem: `key` must be a valid index"),
        (
            lambda: nf.getitem(np.ones(3), np.array([0.5])),
            nf.ArgumentError,
            "getitem: `key` must hold integer or boolean arrays",
        ),
    ],
)
def test_getitem_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


ADVANCED_KEYS = [
    (slice(None), np.array([0, 1, 1])),
    (np.array([[0], [1]]), slice(1, 3), np.array([2, 3, 0])),
    (Ellipsis, np.array([1, 2])),
    (None, np.array([1]), None, 2),
    (1, slice(None), np.array([0, 2])),
    (slice(None), np.array([True, False, True, True, False, False])),
    (np.array([0, 1]), Ellipsis, np.array([1, 0])),
    (slice(None, None, 2), None, np.array([3]), 1, slice(2)),
]


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=range(len(ADVANCED_KEYS)))
def test_getitem_advanced_key_on_unknown_dims(key):
    # The graph's shape of an advanced index over two unknown dims (formerly a terabyte probe
    # copy: MemoryError, or minutes), checked against NumPy on a fed array.
    x = np.random.default_rng(0).standard_normal((5, 6, 7, 4)).astype(np.float32)
    g = nf.Graph()
    with g:
        p = g.placeholder("x", (None, 6, None, 4))
        y = nf.getitem(p, key)
    want = x[key].shape
    assert len(y.shape) == len(want)
    assert all(d is None or d == w for d, w in zip(y.shape, want))
    np.testing.assert_array_equal(g.run(y, {"x": x}), x[key])


def test_getitem_advanced_key_out_of_range_on_unknown_dims():
    g = nf.Graph()
    message = "getitem (node 'k'): `key` must be a valid index (index 3 is out of bounds for axis 1"
    with g, pytest.raises(nf.ShapeError, match=re.escape(message)):
        nf.getitem(g.placeholder("x", (None, 3)), (slice(None), np.array([3])), name="k")


def test_getitem_on_four_unknown_dims():
    # the probe sizes of four unknown dims make any probe array too big (NumPy's "array is too
    # big": a raw ValueError): the shape comes from the indexing rules
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    g = nf.Graph()
    with g:
        p = g.placeholder("x", (None, None, None, None))
        a = nf.getitem(p, (slice(None), 0, slice(1, None), np.array([0, 1])))
        b = p[..., 1:]
    assert a.shape == (2, None, None) and b.shape == (None,) * 4
    got_a, got_b = g.run([a, b], {"x": x})
    np.testing.assert_array_equal(got_a, x[:, 0, 1:, [0, 1]])
    np.testing.assert_array_equal(got_b, x[..., 1:])


def _random_key(rng, dims):
    key, axis = [], 0
    for _ in range(rng.integers(1, 5)):
        d = dims[axis] if axis < len(dims) else 3
        r = rng.random()
        if r < 0.25:
            e = slice(*(rng.choice(v) for v in ([None, -3, 0, 1, 5], [None, -1, 2, 4, 9])),
                      rng.choice([None, 1, 2, -1, -2]))  # fmt: skip
        elif r < 0.4:
            e = int(rng.integers(-d, d)) if d else slice(None)
        elif r < 0.55:
            e = rng.integers(-d, d, size=[(2,), (1, 3), (3, 1), ()][rng.integers(4)]) if d else 0
        elif r < 0.65:
            e = rng.random(d) < 0.5
        else:
            e = [None, Ellipsis, slice(None)][rng.integers(3)]
        key.append(e)
        axis += e is not None and e is not Ellipsis
    return tuple(key)


def test_index_shape_follows_numpy():
    # NumPy's own result on small arrays is the reference for the rules the graph shape uses
    rng = np.random.default_rng(1)
    for _ in range(3000):
        dims = tuple(int(d) for d in rng.integers(0, 6, size=rng.integers(1, 5)))
        key = _random_key(rng, dims)
        try:
            want = np.zeros(dims)[key].shape
        except IndexError:
            with pytest.raises(IndexError):
                _index_shape(dims, key)
        else:
            assert _index_shape(dims, key) == want, (dims, key)


def test_slice_past_the_end_of_an_unknown_dim_is_unknown():
    # slice(0, 10, 2) has 5 elements on large sizes but 2 on 3: the graph must not claim 5
    # (it did, and the gradient then failed at run with a shape mismatch)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    g = nf.Graph()
    with g:
        p = g.placeholder("x", (None, None))
        y = nf.slice(p, (0, 0), (10, 10), (2, 3))
        (gx,) = g.grad(nf.sum(y * y), [p])
    assert y.shape == (None, None)
    got_y, got_gx = g.run([y, gx], {"x": x})
    np.testing.assert_array_equal(got_y, x[0:10:2, 0:10:3])
    want = np.zeros_like(x)
    want[0:10:2, 0:10:3] = 2 * x[0:10:2, 0:10:3]
    np.testing.assert_allclose(got_gx, want)


def test_index_shape_with_unknown_dims_is_sound():
    # every size the graph claims for an output dim holds for every size of the unknown dims
    rng = np.random.default_rng(2)
    for _ in range(1500):
        dims = tuple(int(d) for d in rng.integers(0, 6, size=rng.integers(1, 5)))
        key = _random_key(rng, dims)
        try:
            np.zeros(dims)[key]
        except IndexError:
            continue
        sym = tuple(None if rng.random() < 0.5 else d for d in dims)
        pred = _index_shape(sym, key)
        for _ in range(4):
            alt = tuple(int(rng.integers(0, 13)) if s is None else s for s in sym)
            try:
                actual = np.zeros(alt)[key].shape
            except IndexError:
                continue
            assert len(actual) == len(pred), (sym, key, alt)
            assert all(p is None or p == a for p, a in zip(pred, actual)), (sym, key, alt)
