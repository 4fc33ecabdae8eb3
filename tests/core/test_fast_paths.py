"""The per-call fast paths (issue 21, point 4) give what the general paths give.

The arithmetic wrappers call the ufunc directly for two same-shape arrays of one floating dtype;
``Function.apply1`` takes arrays and Variables inline; the input gate ``check.tensor`` returns a
tensor array at once; ``backward()`` sums gradients in place once it owns the array. Each test
compares with the general path or an independent NumPy value.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core import check
from nnfunc.core.spec import TensorSpec
from nnfunc.errors import DTypeError
from nnfunc.functions.arithmetic._operators import Add, Div, Maximum, Minimum, Mul, Neg, Sub

BINARY = [
    (nf.add, Add, np.add),
    (nf.sub, Sub, np.subtract),
    (nf.mul, Mul, np.multiply),
    (nf.div, Div, np.true_divide),
    (nf.maximum, Maximum, np.maximum),
    (nf.minimum, Minimum, np.minimum),
]


@pytest.mark.parametrize("fn, cls, ufunc", BINARY, ids=lambda v: getattr(v, "__name__", ""))
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("shape", [(3,), (2, 3), (0, 4), ()])
def test_binary_fast_path_matches_the_function(fn, cls, ufunc, dtype, shape):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(dtype)
    b = (rng.standard_normal(shape) + 3).astype(dtype)
    y = fn(a, b)
    expected = cls().apply1(a, b)  # the engine's path
    assert type(y) is np.ndarray and y.dtype == np.dtype(dtype) and y.shape == shape
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_array_equal(
        y, ufunc(a.astype(np.float64), b.astype(np.float64)).astype(dtype)
    )


@pytest.mark.parametrize(
    "a, b",
    [
        (np.ones(3, np.float32), np.ones(3, np.float64)),  # promotion
        (np.ones((2, 3), np.float32), np.ones(3, np.float32)),  # broadcasting
        (np.ones(3, np.int32), np.ones(3, np.int32)),  # integers
        (np.ones(3, ">f4"), np.ones(3, ">f4")),  # non-native byte order: another dtype object
        (np.ones(3, np.float32), 2.0),  # a Python scalar
        (np.ma.masked_array(np.ones(3)), np.ones(3)),  # an ndarray subclass
    ],
)
def test_other_arrays_take_the_engine_path(a, b):
    np.testing.assert_array_equal(nf.add(a, b), Add().apply1(a, b))
    assert nf.add(a, b).dtype == Add().apply1(a, b).dtype


def test_neg_fast_path():
    x = np.array([1.5, -2.0], np.float32)
    y = nf.neg(x)
    assert type(y) is np.ndarray and y.dtype == np.float32
    np.testing.assert_array_equal(y, [-1.5, 2.0])
    assert type(nf.neg(np.float32(2.0) * np.ones((), np.float32))) is np.ndarray  # 0-d: engine
    np.testing.assert_array_equal(nf.neg(np.array([1, 2])), Neg().apply1(np.array([1, 2])))


def test_fast_path_keeps_the_input_gate():
    with pytest.raises(DTypeError, match=r"add: `x1` must have a real dtype"):
        nf.add(np.ones(2), np.ones(2, np.complex64))
    with pytest.raises(DTypeError, match=r"add: `x0` must have a numeric dtype"):
        nf.add(np.array(["a", "b"]), np.ones(2))
    with pytest.raises(DTypeError, match=r"add: `x1` must be an array"):
        nf.add(np.ones(2), None)
    np.testing.assert_array_equal(nf.add([1.0, 2.0], np.ones(2)), [2.0, 3.0])  # lists accepted


def test_gate_fast_path_returns_the_array_itself():
    a = np.ones(3, np.float32)
    assert check.tensor("f", "x", a) is a
    assert check.tensor("f", "x", np.ones(2, bool)).dtype == bool
    with pytest.raises(DTypeError, match=r"f: `x` must have a real dtype"):
        check.tensor("f", "x", np.ones(2, np.complex128))
    with pytest.raises(DTypeError, match=r"f: `x` must have a numeric dtype"):
        check.tensor("f", "x", np.array([None]))
    assert check.tensor("f", "x", np.ones(2, np.complex128), complex_ok=True).dtype.kind == "c"


def test_variables_with_and_without_recording():
    a = np.array([1.0, 2.0], np.float32)
    v = nf.Variable(a)
    y = nf.mul(v, v)
    assert isinstance(y, nf.Variable) and not y.requires_grad and y.creator is None
    g = nf.Variable(a, requires_grad=True)
    z = nf.mul(g, v)
    assert z.requires_grad and z.creator is not None and z.creator.rank == 1
    with nf.no_grad():
        assert nf.mul(g, v).creator is None


def test_in_place_accumulation_keeps_every_contribution():
    # x feeds 5 functions; add(x, x) hands the same upstream gradient to both of its inputs.
    xv = np.array([0.5, -1.5, 2.0])
    x = nf.Variable(xv.copy(), requires_grad=True)
    y = nf.add(x, x) + nf.mul(x, x) + nf.mul(x, 3.0) + x
    gy = np.array([1.0, 2.0, -1.0])
    gy_copy = gy.copy()
    y.backward(gy)
    np.testing.assert_allclose(x.grad, gy * (2 + 2 * xv + 3 + 1))
    np.testing.assert_array_equal(gy, gy_copy)  # the caller's gradient is not written to
    y2 = nf.add(x, x) + x
    y2.backward(gy)  # .grad accumulates over passes
    np.testing.assert_allclose(x.grad, gy * (2 + 2 * xv + 3 + 1) + gy * 3)


def test_in_place_accumulation_at_an_intermediate_and_with_create_graph():
    xv = np.array([0.5, -1.5, 2.0])
    x = nf.Variable(xv.copy(), requires_grad=True)
    h = nf.mul(x, x)
    y = nf.sum(h + h + h * h + h)
    (gh, gx) = nf.grad(y, [h, x])
    hv = xv * xv
    np.testing.assert_allclose(gh.data, 3 + 2 * hv)
    np.testing.assert_allclose(gx.data, (3 + 2 * hv) * 2 * xv)
    # recorded (create_graph): no in-place sum, the second derivative stays right
    x2 = nf.Variable(xv.copy(), requires_grad=True)
    y2 = nf.sum(x2 * x2 + x2 * x2 * x2 + x2)
    (g,) = nf.grad(y2, x2, create_graph=True)
    np.testing.assert_allclose(g.data, 2 * xv + 3 * xv**2 + 1)
    (gg,) = nf.grad(nf.sum(g), x2)
    np.testing.assert_allclose(gg.data, 2 + 6 * xv)


def test_retain_graph_backward_twice_gives_the_same_gradient():
    x = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
    y = nf.sum(x * x + x * x + x)
    y.backward(retain_graph=True)
    first = x.grad.copy()
    x.zero_grad()
    y.backward()
    np.testing.assert_array_equal(x.grad, first)


def test_recording_and_backward_on_threads_at_once():
    # The inline paths keep no shared state: per-thread recording (one thread under no_grad)
    # and concurrent backward passes each get their own exact gradients.
    errors: list[str] = []

    def work(k: int) -> None:
        xv = np.array([0.5 + k, -1.0, 2.0])
        for _ in range(100):
            x = nf.Variable(xv.copy(), requires_grad=True)
            if k == 0:
                with nf.no_grad():
                    y = x * x + x
                if y.requires_grad or y.creator is not None:
                    errors.append("recorded under no_grad")
                continue
            y = nf.sum(x * x * 3.0 + x + x)
            y.backward()
            if not np.allclose(x.grad, 6 * xv + 2):
                errors.append(f"thread {k}: {x.grad}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_input_specs_of_a_recorded_call():
    f = Mul()
    assert not hasattr(f, "_in_specs")  # not applied yet (onnx_export relies on this)
    x = nf.Variable(np.ones((2, 3), np.float32), requires_grad=True)
    f.apply1(x, 2.0)
    assert f._in_specs == (
        TensorSpec((2, 3), np.dtype(np.float32)),
        TensorSpec((), np.dtype(np.float32)),
    )
    assert isinstance(f.input_spec(0), TensorSpec)
    f.apply1(x, np.ones(3, np.float32))  # an instance recorded again: its new inputs
    assert f.input_spec(1) == TensorSpec((3,), np.dtype(np.float32))
