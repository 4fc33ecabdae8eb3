"""NNabla dialect of the Arithmetic, Logical, Math, Reduction and Array Manipulation sections:
signatures as documented, the page's examples, and the dialect's conventions."""

import ast
import csv
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as F

SECTIONS = ("Arithmetic", "Logical", "Math", "Reduction", "Array Manipulation")
NOT_HERE = {"one_hot", "tanh"}  # documented here, owned by the encoding / activation parts
TSV = Path(nf.__file__).parent / "_data" / "functions.tsv"


def _rows():
    with open(TSV, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            ours = row["category"] in SECTIONS and row["name_in_seed"] not in NOT_HERE
            if row["framework"] == "nnabla" and ours:
                yield row


ROWS = list(_rows())


def _documented_params(signature):
    args = signature[signature.index("(") + 1 : signature.rindex(")")]
    tree = ast.parse(f"def f({args}): pass").body[0].args
    defaults = [None] * (len(tree.args) - len(tree.defaults)) + list(tree.defaults)
    out = [(a.arg, None if d is None else ast.literal_eval(d)) for a, d in zip(tree.args, defaults)]
    return out, tree.vararg is not None, tree.kwarg is not None


def _norm(v):
    return tuple(v) if isinstance(v, list) else v


def test_every_row_of_the_five_sections_is_covered():
    assert len(ROWS) == 93
    missing = [r["name_in_seed"] for r in ROWS if not hasattr(F, r["name_in_seed"])]
    assert missing == []


@pytest.mark.parametrize("row", ROWS, ids=[r["name_in_seed"] for r in ROWS])
def test_signature_matches_the_seed(row):
    fn = getattr(F, row["name_in_seed"])
    params, varargs, varkw = _documented_params(row["signature"])
    sig = inspect.signature(fn)
    ours = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_OR_KEYWORD,)]
    assert [p.name for p in ours] == [n for n, _ in params]
    for p, (_, default) in zip(ours, params):
        if default is None and p.default is inspect.Parameter.empty:
            continue
        assert _norm(p.default) == _norm(default), p.name
    kinds = {p.kind for p in sig.parameters.values()}
    assert (inspect.Parameter.VAR_POSITIONAL in kinds) == varargs
    assert (inspect.Parameter.VAR_KEYWORD in kinds) == varkw
    assert "name" in sig.parameters or varkw


# ----------------------------------------------------------------------------- conventions
@pytest.mark.parametrize(
    "fn, args, expected",
    [
        (F.equal, (np.array([1.0, 2.0], np.float32), np.array([1.0, 3.0], np.float32)), [1, 0]),
        (F.not_equal, (np.array([1.0, 2.0], np.float32), np.array([1.0, 3.0], np.float32)), [0, 1]),
        (F.greater, (np.array([1.0, 4.0], np.float32), np.array([1.0, 3.0], np.float32)), [0, 1]),
        (
            F.greater_equal,
            (np.array([1.0, 2.0], np.float32), np.array([1.0, 3.0], np.float32)),
            [1, 0],
        ),
        (F.less, (np.array([1.0, 2.0], np.float32), np.array([1.0, 3.0], np.float32)), [0, 1]),
        (
            F.less_equal,
            (np.array([1.0, 4.0], np.float32), np.array([1.0, 3.0], np.float32)),
            [1, 0],
        ),
        (F.equal_scalar, (np.array([1.0, 2.0], np.float32),), [1, 0]),
        (F.not_equal_scalar, (np.array([1.0, 2.0], np.float32),), [0, 1]),
        (F.greater_scalar, (np.array([1.0, 2.0], np.float32),), [0, 1]),
        (F.greater_equal_scalar, (np.array([0.0, 1.0], np.float32),), [0, 1]),
        (F.less_scalar, (np.array([0.0, 1.0], np.float32),), [1, 0]),
        (F.less_equal_scalar, (np.array([1.0, 2.0], np.float32),), [1, 0]),
        (
            F.logical_and,
            (np.array([0.0, 2.0, 2.0], np.float32), np.array([1.0, 0.0, -1.0], np.float32)),
            [0, 0, 1],
        ),
        (
            F.logical_or,
            (np.array([0.0, 0.0, 2.0], np.float32), np.array([0.0, 1.0, 0.0], np.float32)),
            [0, 1, 1],
        ),
        (F.logical_and_scalar, (np.array([0.0, 2.0], np.float32), 1), [0, 1]),
        (F.logical_or_scalar, (np.array([0.0, 2.0], np.float32), 0), [0, 1]),
        (F.logical_not, (np.array([0.0, 2.0], np.float32),), [1, 0]),
        (F.isnan, (np.array([np.nan, 2.0], np.float32),), [1, 0]),
        (F.isinf, (np.array([-np.inf, 2.0], np.float32),), [1, 0]),
    ],
)
def test_logical_results_are_0_1_in_the_input_dtype(fn, args, expected):
    out = fn(*args)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array(expected, np.float32))


def test_logical_results_keep_integer_dtypes():
    out = F.greater(np.array([1, 5], np.int32), np.array([2, 2], np.int32))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [0, 1])


def test_logical_xor_is_xor_not_the_pages_xnor():
    x0 = np.array([0.0, 0.0, 2.0, 2.0], np.float32)
    x1 = np.array([0.0, 1.0, 0.0, 3.0], np.float32)
    np.testing.assert_array_equal(F.logical_xor(x0, x1), [0, 1, 1, 0])
    np.testing.assert_array_equal(F.logical_xor_scalar(x0, 1), [1, 1, 0, 0])


def test_logical_scalar_val_is_required():
    with pytest.raises(TypeError):
        F.logical_and_scalar(np.ones(2))


def test_sign_alpha_and_straight_through_gradient():
    x = nf.Variable(np.array([-2.0, 0.0, 3.0]), requires_grad=True)
    y = F.sign(x)
    np.testing.assert_array_equal(y.data, [-1.0, 1.0, 1.0])
    np.testing.assert_array_equal(F.sign(np.array([0.0]), alpha=-0.5), [-0.5])
    nf.sum(y * np.array([1.0, 2.0, 3.0])).backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("fn", [F.round, F.ceil, F.floor])
def test_rounding_uses_a_straight_through_gradient(fn):
    x = nf.Variable(np.array([0.3, -1.7]), requires_grad=True)
    nf.sum(fn(x) * np.array([2.0, 5.0])).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 5.0])


def test_round_halves_away_from_zero():
    np.testing.assert_array_equal(F.round(np.array([-2.5, -0.5, 0.5, 2.5])), [-3, -1, 1, 3])


def test_reset_nan_and_inf_defaults():
    x = np.array([np.nan, np.inf, -np.inf, 1.0])
    np.testing.assert_array_equal(F.reset_nan(x), [0.0, np.inf, -np.inf, 1.0])
    np.testing.assert_array_equal(F.reset_inf(x)[1:], [0.0, 0.0, 1.0])


def test_add_n_mul_n_variadic_and_name():
    g = nf.Graph()
    a, b, c = (g.placeholder(n, (2,)) for n in "abc")
    y = F.add_n(a, b, c, name="s")
    assert g["s"] is y
    vals = {n: np.array([1.0, 2.0], np.float32) for n in "abc"}
    np.testing.assert_array_equal(g.run(y, vals), [3.0, 6.0])
    np.testing.assert_array_equal(
        F.mul_n(np.array([2.0]), np.array([3.0]), np.array([4.0])), [24.0]
    )
    with pytest.raises(
        nf.ArgumentError, match=re.escape("add_n: `kw` must hold only the documented keywords")
    ):
        F.add_n(np.ones(2), axis=0)


def test_constant_and_arange_are_float32():
    c = F.constant()
    assert c.shape == () and c.dtype == np.float32 and float(c) == 0.0
    assert F.constant(2, [2, 3]).shape == (2, 3)
    np.testing.assert_array_equal(F.arange(0, 5, 2), np.array([0, 2, 4], np.float32))


def test_batch_matmul_transposes():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 4))
    out = F.batch_matmul(a, b, transpose_a=True, transpose_b=True)
    ref = np.stack([a[i].T @ b[i].T for i in range(2)])
    np.testing.assert_allclose(out, ref, rtol=1e-12)


def test_batch_inv_det_examples():
    x = np.array([[[2.0, 1.0], [1.0, 3.0]], [[1.0, 0.0], [0.0, 4.0]]])
    np.testing.assert_allclose(F.batch_det(x), [5.0, 4.0])
    eye = np.einsum("bij,bjk->bik", F.batch_inv(x), x)
    np.testing.assert_allclose(eye, np.stack([np.eye(2)] * 2), atol=1e-12)


def test_matrix_diag_roundtrip():
    x = np.arange(6.0).reshape(2, 3)
    assert F.matrix_diag(x).shape == (2, 3, 3)
    np.testing.assert_array_equal(F.matrix_diag_part(F.matrix_diag(x)), x)


# ----------------------------------------------------------------------------- the page's examples
def test_max_min_examples():
    x = np.random.default_rng(1).random((2, 3, 4))
    for fn, ref, arg in ((F.max, np.max, np.argmax), (F.min, np.min, np.argmin)):
        np.testing.assert_allclose(fn(x, axis=1), ref(x, axis=1))
        val, idx = fn(x, axis=1, with_index=True)
        np.testing.assert_allclose(val, ref(x, axis=1))
        assert np.all(idx == arg(x, axis=1))
        assert np.all(fn(x, axis=1, only_index=True) == arg(x, axis=1))


def test_where_example_lower_rank_condition():
    rng = np.random.default_rng(2)
    a, x, y = rng.random((2, 3)), rng.random((2, 3, 4)), rng.random((2, 3, 4))
    z = F.where(F.greater_scalar(a, 0.5), x, y)
    np.testing.assert_allclose(z, np.where((a > 0.5)[..., None], x, y))


def test_gather_nd_examples():
    data = F.arange(1, 11).reshape([2, 5])
    np.testing.assert_array_equal(data, [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]])
    assert F.gather_nd(data, [[1, 1, 0]]).shape == (3, 5)
    assert F.gather_nd(data, [[1, 1, 0], [0, 1, 0]]).shape == (3,)
    np.testing.assert_array_equal(F.gather_nd(data, [[1, 1, 0], [0, 1, 0]]), [6.0, 7.0, 1.0])
    np.testing.assert_array_equal(
        F.gather_nd(data, [[1, 1, 0]]), [[6, 7, 8, 9, 10], [6, 7, 8, 9, 10], [1, 2, 3, 4, 5]]
    )
    np.testing.assert_array_equal(F.gather_nd(data, np.array([[0], [0]])), [1.0])
    np.testing.assert_array_equal(F.gather_nd(data, np.array([[1], [4]])), [10.0])


def test_gather_nd_indices_changed_after_the_graph_is_built():
    # The page's `indices = nn.Variable((2, 1))`, forwarded with two sets of values.
    g = nf.Graph()
    indices = g.placeholder("indices", (2, 1), np.int64)
    y = F.gather_nd(F.arange(1, 11).reshape([2, 5]), indices)
    out = g.run(y, {"indices": np.array([[0], [0]])})
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [1.0])
    np.testing.assert_array_equal(g.run(y, {"indices": np.array([[1], [4]])}), [10.0])


def test_gather_nd_out_of_bound_raises():
    with pytest.raises(
        nf.ShapeError,
        match=re.escape(
            "gather_nd: `indices` must be in [-d, d) for each indexed size d (data.shape[:M]); "
            "received indices[:, 0]=(2,), data.shape[:M]=(2,)."
        ),
    ):
        F.gather_nd(np.ones((2, 5)), [[2]])


def test_scatter_nd_example():
    data = np.array([9, 10, 11, 12])
    indices = np.array([[4, 3, 1, 7]])
    scattered = F.scatter_nd(data, indices, shape=(8,))
    np.testing.assert_array_equal(scattered, [0, 11, 0, 10, 9, 0, 0, 12])
    np.testing.assert_array_equal(F.gather_nd(scattered, indices), [9, 10, 11, 12])


def test_pad_examples():
    x = np.ones((2, 3, 4))
    assert F.pad(x, (1, 1, 2, 2)).shape == (2, 5, 8)
    v = np.array([1, 2, 3, 4])
    y = F.pad(v, (3, 3), "constant", constant_value=1)
    assert np.all(y == np.array([1, 1, 1, 1, 2, 3, 4, 1, 1, 1]))
    y = F.pad(v, (3, 3), "constant", constant_value=-1)  # the page's minus sign may be lost
    assert np.all(y == np.array([-1, -1, -1, 1, 2, 3, 4, -1, -1, -1]))
    y = F.pad(v, (3, 3), "reflect")
    assert np.all(y == np.array([4, 3, 2, 1, 2, 3, 4, 3, 2, 1]))
    x = np.zeros((3, 3, 4, 2))
    assert F.pad(x, (1, 2)).shape == (3, 3, 4, 5)
    assert F.pad(x, (2, 2, 1, 1)).shape == (3, 3, 8, 4)
    assert F.pad(x, (0, 1, 2, 1, 3, 3)).shape == (3, 4, 7, 8)


def test_pad_repeat_mode():
    np.testing.assert_array_equal(F.pad(np.array([1, 2, 3]), (2, 1), "repeat"), [1, 1, 1, 2, 3, 3])


def test_tile_examples():
    assert F.tile(np.zeros((2, 3)), 3).shape == (2, 9)
    assert F.tile(np.zeros(3), [2, 3]).shape == (2, 9)
    x = np.array([1, 2, 3])
    np.testing.assert_array_equal(F.tile(x, 3), [1, 2, 3, 1, 2, 3, 1, 2, 3])
    np.testing.assert_array_equal(F.tile(x, [2, 3]), [[1, 2, 3, 1, 2, 3, 1, 2, 3]] * 2)
    x = np.array([[1, 3], [2, 4]])
    np.testing.assert_array_equal(F.tile(x, 3), [[1, 3, 1, 3, 1, 3], [2, 4, 2, 4, 2, 4]])
    np.testing.assert_array_equal(
        F.tile(x, [2, 3]),
        [[1, 3, 1, 3, 1, 3], [2, 4, 2, 4, 2, 4], [1, 3, 1, 3, 1, 3], [2, 4, 2, 4, 2, 4]],
    )


def test_sort_example():
    x = np.random.default_rng(3).random((2, 3, 4))
    np.testing.assert_allclose(F.sort(x), np.sort(x))
    s, i = F.sort(x, with_index=True)
    np.testing.assert_allclose(s, np.sort(x))
    assert np.all(i == np.argsort(x))
    assert np.all(F.sort(x, only_index=True) == np.argsort(x))
    np.testing.assert_allclose(F.sort(x, reverse=True), np.sort(x)[..., ::-1])


def test_stack_concatenate_split_examples():
    xs = [np.zeros((3, 28, 28))] * 4
    assert F.stack(*xs, axis=1).shape == (3, 4, 28, 28)
    assert F.stack(*xs).shape == (4, 3, 28, 28)
    assert F.concatenate(np.zeros((2, 3)), np.zeros((2, 4))).shape == (2, 7)
    assert F.concatenate(np.zeros((2, 3)), np.zeros((1, 3)), axis=0).shape == (3, 3)
    parts = F.split(np.arange(6).reshape(2, 3), axis=1)
    assert len(parts) == 3 and all(p.shape == (2,) for p in parts)


def test_slice_flip_examples():
    x = np.arange(5)
    np.testing.assert_array_equal(F.slice(x, (None,), (None,), (-1,)), x[::-1])
    np.testing.assert_array_equal(F.slice(x, (-1,), (None,), (-1,)), x[-1::-1])
    np.testing.assert_array_equal(
        F.slice(np.arange(12).reshape(3, 4), (1, 0), (3, 4), (1, 2)), [[4, 6], [8, 10]]
    )
    imgs = np.random.default_rng(4).random((100, 3, 24, 32))
    np.testing.assert_array_equal(F.flip(imgs, (2, 3)), imgs[:, :, ::-1, ::-1])
    np.testing.assert_array_equal(F.flip(np.arange(3)), [2, 1, 0])


def test_shift_right_by_2_and_up_by_3():
    img = np.arange(1, 31).reshape(5, 6)
    out = F.shift(img, (-3, 2))
    rows = np.clip(np.arange(5) + 3, 0, 4)
    cols = np.clip(np.arange(6) - 2, 0, 5)
    np.testing.assert_array_equal(out, img[rows][:, cols])
    np.testing.assert_array_equal(F.shift(np.array([1, 2, 3, 4]), (2,), "reflect"), [2, 1, 1, 2])


def test_top_k_data_examples():
    x = np.zeros((4, 5, 6))
    assert F.top_k_data(x, 3, reduce=False).shape == (4, 5, 6)
    assert F.top_k_data(x, 3, reduce=True).shape == (4, 3)
    assert F.top_k_data(x, 3, reduce=True, base_axis=2).shape == (4, 5, 3)


def test_assign_example():
    dst = np.zeros((2, 3, 4), np.float32)
    src = np.random.default_rng(5).random((2, 3, 4)).astype(np.float32)
    out = F.assign(dst, src)
    assert np.allclose(dst, src)
    assert np.allclose(out, dst)


def test_broadcast_to_fits_y_to_x_shape():
    x = np.zeros((2, 3, 4))
    np.testing.assert_array_equal(
        F.broadcast_to(x, np.arange(4.0)), np.broadcast_to(np.arange(4.0), (2, 3, 4))
    )
    y = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(
        F.broadcast_to(x, y, axis=0), np.broadcast_to(y[..., None], (2, 3, 4))
    )
    np.testing.assert_array_equal(
        F.broadcast_to(x, np.arange(3.0), axis=1),
        np.broadcast_to(np.arange(3.0)[:, None], (2, 3, 4)),
    )
    with pytest.raises(
        nf.ShapeError,
        match=re.escape("broadcast_to: `y` must have the dimensions of `x` at the aligned axes"),
    ):
        F.broadcast_to(x, np.arange(3.0))


def test_reductions_and_prod():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    np.testing.assert_array_equal(F.prod(x, axis=1), [6.0, 120.0])
    assert F.prod(x).shape == ()
    assert F.prod(x, axis=0, keepdims=True).shape == (1, 3)


# ----------------------------------------------------------------------------- NNabla's kernels
def test_maximum2_minimum2_ties_send_the_gradient_to_x1_as_nnabla():
    # NNabla: maximum2 backward is (x0 > x1) * dy for x0 and (x0 <= x1) * dy for x1.
    for fn, canonical in ((F.maximum2, nf.maximum), (F.minimum2, nf.minimum)):
        a = nf.Variable(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        b = nf.Variable(np.array([1.0, 0.0, 5.0]), requires_grad=True)
        y = fn(a, b)
        np.testing.assert_array_equal(y.data, canonical(a.data, b.data))
        ga, gb = nf.grad(nf.sum(y * np.array([1.0, 2.0, 4.0])), [a, b])
        first = (a.data > b.data) if fn is F.maximum2 else (a.data < b.data)
        np.testing.assert_array_equal(ga.data, np.where(first, [1.0, 2.0, 4.0], 0.0))
        np.testing.assert_array_equal(gb.data, np.where(first, 0.0, [1.0, 2.0, 4.0]))
        assert ga.data[0] == 0.0 and gb.data[0] == 1.0  # the tie


@pytest.mark.parametrize("fn", [F.maximum_scalar, F.minimum_scalar])
def test_maximum_minimum_scalar_tie_gives_x_no_gradient_as_nnabla(fn):
    x = nf.Variable(np.array([0.0, 1.0, 2.0]), requires_grad=True)
    y = fn(x)  # val = 1.0
    expected = np.maximum(x.data, 1.0) if fn is F.maximum_scalar else np.minimum(x.data, 1.0)
    np.testing.assert_array_equal(y.data, expected)
    (g,) = nf.grad(nf.sum(y), x)
    np.testing.assert_array_equal(g.data, [0.0, 0.0, 1.0] if fn is F.maximum_scalar else [1, 0, 0])


@pytest.mark.parametrize(
    "fn",
    [
        F.add_scalar,
        F.mul_scalar,
        F.pow_scalar,
        F.r_sub_scalar,
        F.r_div_scalar,
        F.r_pow_scalar,
        F.maximum_scalar,
        F.minimum_scalar,
    ],
)
def test_scalar_forms_validate_val(fn):
    op = fn.__name__
    with pytest.raises(
        nf.ArgumentError, match=re.escape(f"{op}: `val` must be a real number; received val='a'.")
    ):
        fn(np.ones(2), "a")


def test_where_lower_rank_condition_with_a_scalar_branch():
    c = np.array([1.0, 0.0])
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(F.where(c, 0.0, x), [[0.0, 0.0, 0.0], [3.0, 4.0, 5.0]])
    np.testing.assert_array_equal(F.where(c, x, -1.0), [[0.0, 1.0, 2.0], [-1.0, -1.0, -1.0]])
