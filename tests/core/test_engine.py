"""The engine: three calling modes, the tape, higher-order gradients, graphs."""

import gc
import re

import numpy as np
import pytest

import nnfunc as nf


def composite(x, w, b):
    h = nf.relu(nf.matmul(x, w) + b)
    return nf.mean(h * h, axis=1) - nf.sum(nf.exp(-h), axis=1) / 3.0 + nf.log(1.5 + h[:, 0])


def composite_ref(x, w, b):
    h = np.maximum(x @ w + b, 0)
    return (h * h).mean(axis=1) - np.exp(-h).sum(axis=1) / 3.0 + np.log(1.5 + h[:, 0])


def composite_grads_ref(x, w, b, gy):
    # Hand-derived float64 gradient of composite_ref, written independently of the engine.
    z = x @ w + b
    h = np.maximum(z, 0)
    n = h.shape[1]
    dh = gy[:, None] * (2 * h / n + np.exp(-h) / 3.0)
    dh[:, 0] += gy / (1.5 + h[:, 0])
    dz = dh * (z > 0)
    return dz @ w.T, x.T @ dz, dz.sum(axis=0)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return (
        rng.normal(size=(4, 3)),
        rng.normal(size=(3, 5)),
        rng.normal(size=(5,)),
        rng.normal(size=4),
    )


def test_three_modes_give_identical_values_and_gradients(data):
    x, w, b, gy = data
    expected = composite_ref(x, w, b)
    np.testing.assert_allclose(composite(x, w, b), expected, rtol=1e-12)

    vs = [nf.Variable(a, requires_grad=True) for a in (x, w, b)]
    y = composite(*vs)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    y.backward(gy)
    eager = [v.grad for v in vs]
    for g, r in zip(eager, composite_grads_ref(x, w, b, gy), strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)

    g = nf.Graph()
    px = g.placeholder("x", (None, 3), np.float64)
    pw = g.parameter("w", w)
    pb = g.parameter("b", b)
    out = composite(px, pw, pb)
    grads = g.grad(out, [px, pw, pb], grad_ys=gy)
    values = g.run([out, *grads], {"x": x})
    np.testing.assert_allclose(values[0], expected, rtol=1e-12)
    for got, want in zip(values[1:], eager, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_grad_of_grad_of_sum_cube_is_6x():
    x = nf.Variable(np.array([-2.0, 0.5, 3.0]), requires_grad=True)
    (g,) = nf.grad(nf.sum(x**3), x, create_graph=True)
    np.testing.assert_allclose(g.data, 3 * x.data**2)
    (gg,) = nf.grad(nf.sum(g), x, create_graph=True)
    np.testing.assert_allclose(gg.data, 6 * x.data)
    (ggg,) = nf.grad(nf.sum(gg), x)
    np.testing.assert_allclose(ggg.data, 6 * np.ones(3))


def test_graph_grad_of_grad():
    g = nf.Graph()
    x = g.placeholder("x", (None,), np.float64)
    (dx,) = g.grad(nf.sum(x**3), x)
    (ddx,) = g.grad(nf.sum(dx), x)
    xs = np.array([1.0, -2.0])
    np.testing.assert_allclose(g.run(ddx, {"x": xs}), 6 * xs)


def test_graph_with_unknown_batch_runs_with_two_batch_sizes():
    g = nf.Graph()
    x = g.placeholder("x", (None, 2), np.float32)
    w = g.parameter("w", np.array([[1.0, -1.0], [2.0, 0.5]], np.float32))
    y = nf.sum(nf.relu(nf.matmul(x, w, name="xw")), axis=1, name="y")
    assert y.shape == (None,) and g["xw"].shape == (None, 2)
    (gw,) = g.grad(nf.mean(y), w)
    for n in (1, 7):
        xs = np.arange(2 * n, dtype=np.float32).reshape(n, 2) - 3
        np.testing.assert_allclose(g.run("y", {"x": xs}), np.maximum(xs @ w_value(g), 0).sum(1))
        wv = nf.Variable(w_value(g), requires_grad=True)
        nf.mean(nf.sum(nf.relu(nf.matmul(xs, wv)), axis=1)).backward()
        np.testing.assert_allclose(g.run(gw, {"x": xs}), wv.grad, rtol=1e-6)


def w_value(graph):
    return graph.get_value("w")


def test_run_computes_only_needed_nodes():
    g = nf.Graph()
    x = g.placeholder("x", (2,))
    unused = g.placeholder("unused", (2,))
    y = nf.exp(x, name="y")
    nf.log(unused, name="z")
    # `unused` is not fed: fine, since `y` does not need it.
    np.testing.assert_allclose(g.run(y, {x: np.zeros(2, np.float32)}), np.ones(2))
    assert g.run({"a": "y"}, {"x": np.zeros(2, np.float32)})["a"].shape == (2,)


def test_names_exact_unique_and_automatic():
    g = nf.Graph()
    x = g.placeholder("x", (3,))
    a = nf.relu(x)
    b = nf.relu(x)
    c = nf.relu(x, name="act")
    assert (a.name, b.name, c.name) == ("relu_0", "relu_1", "act")
    assert g["act"] is c and "relu_1" in g
    with pytest.raises(nf.GraphError, match=re.escape("relu: `name` must be unique in the graph")):
        nf.relu(x, name="act")
    with pytest.raises(nf.ArgumentError, match="relu: `name` must be a non-empty string"):
        nf.relu(x, name="a/b")


def test_build_time_shape_error_names_the_node():
    g = nf.Graph()
    x = g.placeholder("x", (None, 3))
    w = g.parameter("w", np.ones((4, 2), np.float32))
    msg = (
        "matmul (node 'h'): the last dimension of `a` must equal the second-to-last dimension "
        "of `b`; received a.shape=(None, 3), b.shape=(4, 2)."
    )
    with pytest.raises(nf.ShapeError, match=re.escape(msg)):
        nf.matmul(x, w, name="h")
    assert "h" not in g  # a failed build adds no node


def test_backward_accumulates_and_grad_does_not_touch_dot_grad():
    x = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
    nf.sum(x * x).backward()
    nf.sum(x * x).backward()
    np.testing.assert_allclose(x.grad, [4.0, 8.0])
    (g,) = nf.grad(nf.sum(x * x), x)
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    np.testing.assert_allclose(x.grad, [4.0, 8.0])
    x.zero_grad()
    assert x.grad is None


def test_graph_freed_unless_retain_graph():
    x = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
    y = nf.sum(nf.exp(x))
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp(x.data))
    with pytest.raises(nf.GraphError, match="backward: the graph must not have been freed"):
        y.backward()


def test_no_grad_and_detach():
    x = nf.Variable(np.ones(3), requires_grad=True)
    with nf.no_grad():
        y = x * 2
    assert not y.requires_grad and y.creator is None
    z = (x * 2).detach()
    assert not z.requires_grad and z.is_leaf
    assert nf.is_grad_enabled()


def test_unused_input_gets_zeros():
    x = nf.Variable(np.ones(2), requires_grad=True)
    u = nf.Variable(np.ones(3), requires_grad=True)
    _gx, gu = nf.grad(nf.sum(x), [x, u])
    np.testing.assert_array_equal(gu.data, np.zeros(3))


def test_intermediate_gradient():
    x = nf.Variable(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 3
    (gh,) = nf.grad(nf.sum(h * h), h)
    np.testing.assert_allclose(gh.data, 2 * h.data)


def test_variable_api():
    v = nf.Variable(np.arange(6.0).reshape(2, 3), need_grad=True)
    assert v.requires_grad and v.need_grad
    assert (v.shape, v.ndim, v.size, v.dtype, len(v)) == ((2, 3), 2, 6, np.float64, 2)
    assert v.d is v.data and np.asarray(v) is v.data and v.numpy() is v.data
    y = (2 ** v[:, 1] - 1 / (v[0, 2] + 1) + v @ np.ones(3)) * -1
    nf.sum(y).backward()
    expected = np.zeros((2, 3))
    expected[:, 1] -= np.log(2) * 2 ** v.data[:, 1]
    expected[0, 2] -= 2 / (v.data[0, 2] + 1) ** 2
    expected -= 1
    np.testing.assert_allclose(v.g, expected)
    assert ((v > 2).data == (v.data > 2)).all() and not (v > 2).requires_grad
    assert (v == v).data.all() and not (v != v).data.any()
    assert repr(nf.Variable(np.array([1.0]), requires_grad=True)) == (
        "Variable([1.], requires_grad=True)"
    )


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.Variable(np.arange(3), requires_grad=True),
            nf.DTypeError,
            "Variable: `requires_grad` must be False for a non-floating dtype; received "
            "dtype=int64.",
        ),
        (
            lambda: (nf.Variable(np.ones(3), requires_grad=True) * 2).backward(),
            nf.ArgumentError,
            "backward: `grad` must be given for an output with more than one element; "
            "received grad=None, output.shape=(3,).",
        ),
        (
            lambda: nf.Variable(np.ones(3)).backward(np.ones(3)),
            nf.GraphError,
            "backward: the output must depend on a Variable with requires_grad=True",
        ),
        (
            lambda: (nf.Variable(np.ones(3), requires_grad=True) * 2).backward(np.ones(2)),
            nf.ArgumentError,
            "backward: `grad` must have the shape of the output; received grad.shape=(2,), "
            "output.shape=(3,).",
        ),
        (
            lambda: nf.add(np.ones((2, 3)), np.ones(4)),
            nf.ShapeError,
            "add: `x0` and `x1` must have broadcastable shapes; received x0.shape=(2, 3), "
            "x1.shape=(4,).",
        ),
        (
            lambda: nf.sum(np.ones((2, 3)), axis=2),
            nf.ShapeError,
            "sum: `axis` must be in [-2, 2) for an input of rank 2; received axis=2.",
        ),
        (
            lambda: nf.add(np.ones(2), object()),
            nf.DTypeError,
            "add: `x1` must have a numeric dtype; received x1.dtype=object.",
        ),
    ],
)
def test_engine_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


def _graph():
    g = nf.Graph()
    x = g.placeholder("x", (None, 3), np.float32)
    return g, x, nf.sum(x, name="s")


@pytest.mark.parametrize(
    "feeds, exc, message",
    [
        ({}, nf.GraphError, "run: placeholder 'x' must be fed; it is needed by the fetches."),
        (
            {"x": np.ones((2, 4), np.float32)},
            nf.ShapeError,
            "run: feed for placeholder 'x' must have shape (None, 3); received x.shape=(2, 4).",
        ),
        (
            {"x": np.ones((2, 3))},
            nf.DTypeError,
            "run: feed for placeholder 'x' must have dtype float32; received x.dtype=float64.",
        ),
        (
            {"x": "abc"},
            nf.DTypeError,
            "run: feed for placeholder 'x' must be an array, a list or a number; received x='abc'.",
        ),
        (
            {"x": [[1, 2], [3]]},
            nf.DTypeError,
            "run: feed for placeholder 'x' must be an array, a list or a number; received "
            "x=[[1, 2], [3]].",
        ),
        (
            {"x": [[1 + 2j, 0.0, 0.0]]},
            nf.DTypeError,
            "run: feed for placeholder 'x' must have dtype float32 (or convert to it without "
            "truncation); received x.dtype=complex128.",
        ),
        (
            {"nope": np.ones((2, 3), np.float32)},
            nf.GraphError,
            "graph: `name` must name a node of the graph; received name='nope'.",
        ),
        (
            {"s": np.ones((), np.float32)},
            nf.GraphError,
            "run: feeds must be placeholders or parameters; received 's', a op node.",
        ),
    ],
)
def test_feed_errors(feeds, exc, message):
    g, _, s = _graph()
    with pytest.raises(exc, match=re.escape(message)):
        g.run(s, feeds)
    # The graph still works afterwards.
    assert g.run(s, {"x": np.ones((2, 3), np.float32)}) == 6


def test_feeds_given_as_python_data():
    g, _, s = _graph()
    assert g.run(s, {"x": [[1, 2, 3]]}) == 6  # ints convert to the float placeholder
    assert g.run(s, {"x": [[0.5, 0.5, 0.5]]}) == 1.5
    n = g.placeholder("n", (None,), np.int32)
    t = nf.sum(n, name="t")
    assert g.run(t, {"n": [1, 2]}) == 3
    with pytest.raises(nf.DTypeError) as info:  # a float list would be truncated
        g.run(t, {"n": [1.5]})
    assert str(info.value) == (
        "run: feed for placeholder 'n' must have dtype int32 (or convert to it without "
        "truncation); received n.dtype=float64."
    )
    with pytest.raises(nf.ArgumentError) as info:  # NumPy would raise OverflowError
        g.run(t, {"n": [1, 2**40]})
    assert str(info.value) == (
        "run: feed for placeholder 'n' must fit in int32; received n with values in "
        "[1, 1099511627776]."
    )


def test_mixing_graphs_and_eager_is_an_error():
    g1, x1, _ = _graph()
    _g2, x2, _ = _graph()
    with pytest.raises(nf.GraphError, match="add: inputs must belong to one graph"):
        nf.add(x1, x2)
    with pytest.raises(nf.GraphError, match="add: inputs must not mix symbolic variables"):
        nf.add(x1, nf.Variable(np.ones(3, np.float32)))
    with pytest.raises(nf.GraphError, match="graph: fetches and feeds must belong to this graph"):
        g1.run(x2, {})


def test_engine_state_survives_errors():
    x = nf.Variable(np.ones(2), requires_grad=True)
    with pytest.raises(nf.ShapeError):
        nf.add(x, np.ones(3))
    with nf.no_grad(), pytest.raises(nf.ShapeError):
        nf.add(x, np.ones(3))
    assert nf.is_grad_enabled()
    nf.sum(x * 2).backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0])


def test_unretained_inputs_are_released():
    import weakref

    x = nf.Variable(np.ones(3), requires_grad=True)
    h = x * 2.0  # mul retains both inputs
    big = nf.exp(h)  # exp retains only its output
    ref = weakref.ref(h)
    y = nf.sum(big)
    del h
    gc.collect()
    # `h` is still retained by mul? No: mul retained x and the constant; exp kept its output.
    assert ref() is None
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp(2.0) * np.ones(3))


def test_python_scalars_never_upcast():
    x = np.ones(2, np.float32)
    assert nf.add(x, 1.5).dtype == np.float32
    assert nf.mul(2, x).dtype == np.float32
    assert nf.add(np.ones(2, np.int32), 1).dtype == np.int32
    assert nf.add(np.ones(2, np.int32), 1.5).dtype == np.float32
    assert type(nf.sum(x)) is np.ndarray and nf.sum(x).shape == ()


def test_numpy_scalars_keep_their_dtype():
    # np.float64 subclasses float, but only Python scalars adopt their partner's dtype.
    assert nf.add(np.ones(2, np.float32), np.float64(1.0)).dtype == np.float64
    assert nf.where(np.array([True, False]), np.float64(1.0), 0.0).dtype == np.float64
    g = nf.Graph()
    x = g.placeholder("x", (2,), np.float32)
    assert nf.add(x, np.float64(1.0)).dtype == np.float64
    assert nf.add(x, 1.0).dtype == np.float32


def test_strings_are_not_tensors():
    msg = "add: `x1` must have a numeric dtype; received x1.dtype=<U1."
    with pytest.raises(nf.DTypeError, match=re.escape(msg)):
        nf.add(np.ones(2), ["a", "b"])
    msg = "relu: `x` must be an array, a Variable or a number; received x='x'."
    with pytest.raises(nf.DTypeError, match=re.escape(msg)):
        nf.relu("x")


def test_division_gradient_does_not_overflow_for_huge_divisors():
    x1 = nf.Variable(np.array([1e30], np.float32), requires_grad=True)
    with np.errstate(over="raise"):
        (g,) = nf.grad(nf.sum(nf.div(np.float32(3.0), x1)), x1)
    np.testing.assert_allclose(g.data, [-3e-60], atol=1e-44)


# ------------------------------------------------------------------ grad(ys, xs) prunes targets
def test_grad_computes_only_the_gradients_that_reach_the_inputs_asked_for():
    """``grad(y, [x])`` does not compute the weight's gradient (the convolution's backward
    builds the input-gradient node alone); ``backward()`` and ``grad(y, [x, w])`` still do, and
    every value equals the unpruned one."""
    rng = np.random.default_rng(0)
    x = nf.Variable(rng.standard_normal((2, 3, 5, 5)), requires_grad=True)
    w = nf.Variable(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    y = nf.sum(nf.conv(x, w, pad=1) ** 2)
    (gx,) = nf.grad(y, [x], create_graph=True)
    assert gx.creator.op_name == "conv_grad_input"
    gx_all, gw_all = nf.grad(nf.sum(nf.conv(x, w, pad=1) ** 2), [x, w], create_graph=True)
    assert gx_all.creator.op_name == gw_all.creator.op_name == "conv_grad"
    np.testing.assert_array_equal(gx.data, gx_all.data)
    (gw,) = nf.grad(nf.sum(nf.conv(x, w, pad=1) ** 2), [w], create_graph=True)
    assert gw.creator.op_name == "conv_grad_weight"
    np.testing.assert_array_equal(gw.data, gw_all.data)


def test_grad_pruning_keeps_every_path_to_an_input_and_intermediate_inputs():
    """A diamond (x reaches y through two paths), an unrelated leaf that requires a gradient,
    and an intermediate variable asked for: the same gradients as the definition."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 4))
    x = nf.Variable(a, requires_grad=True)
    other = nf.Variable(rng.standard_normal((3, 4)), requires_grad=True)
    h = nf.tanh(x)
    y = nf.sum(h * nf.exp(x) + other * 2.0)
    gx, gh = nf.grad(y, [x, h])
    t = np.tanh(a)
    np.testing.assert_allclose(gh.data, np.exp(a), rtol=1e-12)
    np.testing.assert_allclose(gx.data, (1 - t**2) * np.exp(a) + t * np.exp(a), rtol=1e-12)


def test_graph_grad_prunes_like_eager():
    rng = np.random.default_rng(2)
    xa = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    wa = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    g = nf.Graph()
    px = g.placeholder("x", (None, 3, 5, 5), np.float32)
    pw = g.placeholder("w", (4, 3, 3, 3), np.float32)
    with g:
        y = nf.conv(px, pw, pad=1)
        (gx,) = g.grad(nf.sum(nf.mul(y, y)), [px])
    assert gx.creator.op_name == "conv_grad_input"
    got = g.run(gx, {"x": xa, "w": wa})
    xv = nf.Variable(xa, requires_grad=True)
    (want,) = nf.grad(nf.sum(nf.conv(xv, wa, pad=1) ** 2), [xv])
    np.testing.assert_allclose(got, want.data, rtol=1e-5, atol=1e-4)
