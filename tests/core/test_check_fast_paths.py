"""The plain-value fast paths of the argument checks (and apply1's None inputs) give what the
general paths give.

``check.axis``, ``axes``, ``integer``, ``int_tuple``, ``boolean``, ``real_scalar`` and
``shapes._is_int`` answer plain Python ints / tuples of ints / bools / floats without the ABC
``isinstance`` (issue 21: a few microseconds per reduction, pooling or convolution call). Each
value is compared with the same value in a form that takes the general path (NumPy scalars,
lists, 0-d arrays), and the errors at the fast paths' boundaries keep their class and message.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core import check, shapes
from nnfunc.core.dtypes import accumulation_dtype, real_dtype
from nnfunc.errors import ArgumentError, ShapeError
from nnfunc.functions.linear._dense import Linear


def _same(fast, general):
    assert fast == general
    assert type(fast) is type(general)
    if isinstance(fast, tuple):
        assert [type(v) for v in fast] == [type(v) for v in general]


@pytest.mark.parametrize("ndim", [1, 3, 4])
def test_axis_and_axes_plain_values_match_the_general_path(ndim):
    for a in range(-ndim, ndim):
        _same(check.axis("op", "axis", a, ndim), check.axis("op", "axis", np.int64(a), ndim))
        _same(check.axes("op", "axis", a, ndim), check.axes("op", "axis", np.int32(a), ndim))
    for t in [(), (0,), (-1, 0), tuple(range(ndim)), tuple(range(-ndim, 0))[::-1]]:
        if len({a % ndim for a in t}) < len(t):
            continue  # a repeated axis (rank 1): an error, below
        _same(check.axes("op", "axis", t, ndim), check.axes("op", "axis", list(t), ndim))
    _same(check.axes("op", "axis", None, ndim), tuple(range(ndim)))


def test_axis_errors_keep_their_class_and_message():
    with pytest.raises(ShapeError) as e:
        check.axis("op", "axis", 3, 3)
    assert str(e.value) == (
        "op: `axis` must be in [-3, 3) for an input of rank 3; received axis=3."
    )
    with pytest.raises(ShapeError, match=r"received axis=-4\."):
        check.axes("op", "axis", (0, -4), 3)
    with pytest.raises(ArgumentError) as e:
        check.axes("op", "axis", (1, -2), 3)
    assert str(e.value) == "op: `axis` must not repeat an axis; received axis=(1, -2)."
    with pytest.raises(ArgumentError, match="be None, an int or a sequence of ints"):
        check.axes("op", "axis", (0, True), 3)
    with pytest.raises(ArgumentError, match="be an integer"):
        check.axis("op", "axis", True, 3)
    with pytest.raises(ShapeError):
        check.axis("op", "axis", 0, 0)  # rank 0: no axis at all


def test_integer_and_int_tuple_plain_values_match_the_general_path():
    for v in [0, 1, 7, 2**63 - 1]:
        _same(check.integer("op", "n", v), check.integer("op", "n", np.uint64(v)))
        _same(check.int_tuple("op", "k", v, 2), check.int_tuple("op", "k", np.int64(v), 2))
    for t in [(1, 2), (3, 3), (0, 5)]:
        _same(check.int_tuple("op", "k", t, 2), check.int_tuple("op", "k", list(t), 2))
    _same(check.int_tuple("op", "k", (4,), 1, min_value=1), (4,))
    assert check.int_tuple("op", "k", 3, 3, min_value=1) == (3, 3, 3)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "op: `k` must be positive in every dimension; received k=0."),
        ((2, 0), "op: `k` must be positive in every dimension; received k=(2, 0)."),
        ((2,), "op: `k` must be an int or a sequence of 2 ints; received k=(2,)."),
        ((2, True), "op: `k` must be an int or a sequence of 2 ints; received k=(2, True)."),
        (2.0, "op: `k` must be an int or a sequence of 2 ints; received k=2.0."),
        (2**63, "op: `k` must fit in int64 in every dimension; received k=9223372036854775808."),
    ],
)
def test_int_tuple_errors_keep_their_message(value, message):
    with pytest.raises(ArgumentError) as e:
        check.int_tuple("op", "k", value, 2, min_value=1)
    assert str(e.value) == message


def test_integer_boolean_real_scalar_boundaries():
    with pytest.raises(ArgumentError, match=r"`n` must be positive; received n=0\."):
        check.integer("op", "n", 0, min_value=1)
    with pytest.raises(ArgumentError, match="be an integer"):
        check.integer("op", "n", False)
    assert check.boolean("op", "b", True) is True
    assert check.boolean("op", "b", np.bool_(False)) is False
    with pytest.raises(ArgumentError, match="be a bool"):
        check.boolean("op", "b", 1)
    for v in [0, 3, -2.5, 1e300]:
        got = check.real_scalar("op", "t", v)
        assert got == check.real_scalar("op", "t", np.float64(v)) and type(got) is float
    for v in [float("inf"), float("nan"), -float("inf")]:
        with pytest.raises(ArgumentError, match=r"`t` must be finite; received t="):
            check.real_scalar("op", "t", v)
    assert check.real_scalar("op", "t", float("inf"), finite=False) == float("inf")
    with pytest.raises(ArgumentError, match="be a real number"):
        check.real_scalar("op", "t", True)
    with pytest.raises(ArgumentError, match=r"be in \[0, 1\)"):
        check.real_scalar("op", "t", 1, min_value=0.0, max_value=1.0, open_max=True)


def test_shapes_is_int_and_dtype_helpers():
    assert shapes._is_int(3) and shapes._is_int(np.int8(3))
    assert not shapes._is_int(True) and not shapes._is_int(3.0)
    assert shapes.resolve_padding("op", 1, [5, 5], [3, 3]) == ((1, 1), (1, 1))
    for dt in ["float32", np.float16, np.dtype(np.float64), np.int32, bool]:
        assert real_dtype(dt) == real_dtype(np.dtype(dt).str)
        assert accumulation_dtype(dt) == accumulation_dtype(np.dtype(dt).str)
    assert real_dtype(np.dtype(np.int64)) == np.float32
    assert accumulation_dtype(np.dtype(np.float16)) == np.float32


def test_apply1_with_an_omitted_input_matches_apply():
    """``apply1`` takes None inputs (an omitted bias) inline: the same output, recording and
    gradients as ``apply``; a None where a tensor is required says so, as ``apply`` does."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    w = rng.standard_normal((3, 2)).astype(np.float32)
    np.testing.assert_array_equal(Linear().apply1(x, w, None), Linear().apply(x, w, None)[0])
    grads = []
    for call in (lambda f, *a: f.apply1(*a), lambda f, *a: f.apply(*a)[0]):
        vx, vw = nf.Variable(x, requires_grad=True), nf.Variable(w, requires_grad=True)
        y = call(Linear(), vx, vw, None)
        assert y.requires_grad
        grads.append([g.data for g in nf.grad(nf.sum(y * y), [vx, vw])])
        with nf.no_grad():
            assert not call(Linear(), vx, vw, None).requires_grad
    for a, b in zip(*grads, strict=True):
        np.testing.assert_array_equal(a, b)
    errors = []
    for call in (lambda f, *a: f.apply1(*a), lambda f, *a: f.apply(*a)[0]):
        with pytest.raises(Exception) as e:
            call(Linear(), None, w, None)
        errors.append((type(e.value), str(e.value)))
    assert errors[0] == errors[1]
    assert "x" in errors[0][1]
