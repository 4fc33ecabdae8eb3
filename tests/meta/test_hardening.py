"""Every case listed in issue 17, as a table: exact class and message.

Rows marked ``xfail(strict=True)`` are not fixed yet (the reason says what happens today and
where the fix belongs); a fix makes them pass, and strict xfail then fails until the mark is
removed. Each unfixed case is also in ``fuzz_baseline.tsv`` when the fuzz test reaches it.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as NF
from nnfunc.compat import keras, samediff, tf

X4 = np.ones((1, 1, 4, 4), np.float32)
W2 = np.ones((1, 1, 2, 2), np.float32)


def _var(a):
    return nf.Variable(np.asarray(a), requires_grad=True)


def todo(reason):
    return pytest.mark.xfail(strict=True, reason=reason)


# (id, call, exception class or None for "returns", exact message or None)
RAISES = [
    # None / strings / objects where a tensor goes: the engine's input gate.
    (
        "relu-None",
        lambda: nf.relu(None),
        nf.DTypeError,
        "relu: `x` must be an array, a Variable or a number; received x=None.",
    ),
    (
        "conv-weight-None",
        lambda: nf.conv(X4, None),
        nf.DTypeError,
        "conv: `weight` must be an array, a Variable or a number; received weight=None.",
    ),
    (
        "Variable-None",
        lambda: nf.Variable(None),
        nf.DTypeError,
        "Variable: `data` must be an array, a Variable or a number; received data=None.",
    ),
    (
        "Variable-str",
        lambda: nf.Variable("abc"),
        nf.DTypeError,
        "Variable: `data` must be an array, a Variable or a number; received data='abc'.",
    ),
    (
        "relu-object-array",
        lambda: nf.relu(np.array([1.0, None], dtype=object)),
        nf.DTypeError,
        "relu: `x` must have a numeric dtype; received x.dtype=object.",
    ),
    (
        "relu-dict",
        lambda: nf.relu({}),
        nf.DTypeError,
        "relu: `x` must be an array, a Variable or a number; received x={}.",
    ),
    (
        "nnabla-split-object",
        lambda: NF.split(np.array([1.0, None], dtype=object)),
        nf.DTypeError,
        "split: `x` must have a numeric dtype; received x.dtype=object.",
    ),
    # Complex input: one rule, DTypeError (no function documents complex input).
    (
        "sigmoid-complex",
        lambda: nf.sigmoid(np.array([1 + 2j], np.complex64)),
        nf.DTypeError,
        "sigmoid: `x` must have a real dtype; received x.dtype=complex64.",
    ),
    (
        "relu-complex",
        lambda: nf.relu(np.array([1 + 2j], np.complex64)),
        nf.DTypeError,
        "relu: `x` must have a real dtype; received x.dtype=complex64.",
    ),
    (
        "tanh-complex",
        lambda: nf.tanh(np.array([1 + 2j])),
        nf.DTypeError,
        "tanh: `x` must have a real dtype; received x.dtype=complex128.",
    ),
    (
        "max_pool-complex",
        lambda: nf.max_pool(np.ones((1, 1, 2, 2), complex), 2),
        nf.DTypeError,
        "max_pool: `x` must have a real dtype; received x.dtype=complex128.",
    ),
    (
        "top_k-complex",
        lambda: nf.top_k(np.ones(3, complex), 1),
        nf.DTypeError,
        "top_k: `input` must have a real dtype; received input.dtype=complex128.",
    ),
    # Huge integers: the engine's size guard, before anything is allocated.
    (
        "one_hot-2**63",
        lambda: nf.one_hot(np.array([0, 1]), 2**63),
        nf.ArgumentError,
        None,  # the message shows the machine's memory size: checked by prefix below
    ),
    # Dialect arguments.
    (
        "nnabla-deconvolution-base_axis-None",
        lambda: NF.deconvolution(np.ones((1, 1, 2)), np.ones((1, 1, 2)), base_axis=None),
        nf.ArgumentError,
        "deconvolution: `base_axis` must be an integer; received base_axis=None.",
    ),
    (
        "tf-fractional_max_pool-seed-1.5",
        lambda: tf.nn.fractional_max_pool(np.ones((1, 4, 4, 1)), [1.0, 2.0, 2.0, 1.0], seed=1.5),
        nf.ArgumentError,
        "fractional_max_pool: `seed` must be an integer; received seed=1.5.",
    ),
    (
        "fractional_max_pool-seed-1.5",
        lambda: nf.fractional_max_pool(X4, (2.0, 2.0), seed=1.5),
        nf.ArgumentError,
        "fractional_max_pool: `seed` must be None, -1, a non-negative int or a Generator; "
        "received seed=1.5.",
    ),
    (
        "tf-conv2d_transpose-float-output_shape",
        lambda: tf.nn.conv2d_transpose(
            np.ones((1, 2, 2, 1)), np.ones((2, 2, 1, 1)), [1.9, 2.9, 2.9, 1.0], [1] * 4, "VALID"
        ),
        nf.ArgumentError,
        "conv2d_transpose: `output_shape` must be a 1-D sequence of ints; "
        "received output_shape=[1.9, 2.9, 2.9, 1.0].",
    ),
    (
        "tf-conv2d_transpose-None-output_shape",
        lambda: tf.nn.conv2d_transpose(
            np.ones((1, 2, 2, 1)), np.ones((2, 2, 1, 1)), None, [1, 1, 1, 1], "VALID"
        ),
        nf.ArgumentError,
        "conv2d_transpose: `output_shape` must be a 1-D sequence of ints; "
        "received output_shape=None.",
    ),
    (
        "tf-sparse_tensor_to_dense-default-2**63",
        lambda: tf.sparse_tensor_to_dense(tf.SparseTensor([[1]], [7], [3]), default_value=2**63),
        nf.ArgumentError,
        "sparse_tensor_to_dense: `default_value` must be a number that fits int64; "
        "received default_value=9223372036854775808.",
    ),
    # Not fixed yet: canonical functions under reorganisation (consolidate-core branch).
    pytest.param(
        "softsign-0d",
        lambda: nf.softsign(np.array(1.0, np.float32)),
        None,
        None,
    ),
    pytest.param(
        "mean-empty-axis-grad",
        lambda: nf.grad(
            nf.mean(v := _var(np.zeros((0, 3), np.float32)), axis=0),
            [v],
            grad_outputs=[np.ones(3, np.float32)],
        ),
        None,
        None,
    ),
    pytest.param(
        "top_k_grad-empty-grad",
        lambda: nf.grad(
            nf.top_k_grad(v := _var(np.zeros((0, 3), np.float32)), 1),
            [v],
            grad_outputs=[np.zeros((0, 3), np.float32)],
        ),
        None,
        None,
    ),
    pytest.param(
        "nnabla-multi_head_attention-empty-query",
        lambda: NF.multi_head_attention(
            np.zeros((0, 2, 8), np.float32),
            np.ones((5, 2, 8), np.float32),
            np.ones((5, 2, 8), np.float32),
            2,
            *[np.eye(8, dtype=np.float32)] * 4,
        ),
        None,
        None,
    ),
    pytest.param(
        "conv-0-out-channels-backward",
        lambda: nf.sum(nf.conv(X4, _var(np.zeros((0, 1, 2, 2), np.float32)))).backward(),
        None,
        None,
    ),
    pytest.param(
        "depthwise_conv-multiplier-0-grad",
        lambda: nf.grad(
            nf.depthwise_conv(np.ones((1, 2, 3)), v := _var(np.zeros((0, 1, 2)))),
            [v],
            grad_outputs=[np.zeros((1, 0, 2))],
        ),
        None,
        None,
    ),
    pytest.param(
        "depthwise_conv-empty-batch-grad",
        lambda: nf.grad(
            nf.depthwise_conv(v := _var(np.zeros((0, 2, 3))), np.ones((2, 1, 2))),
            [v],
            grad_outputs=[np.zeros((0, 2, 2))],
        ),
        None,
        None,
    ),
    pytest.param(
        "binary_weight_convolution-0-out-channels",
        lambda: nf.binary_weight_convolution(X4, np.zeros((0, 1, 2, 2), np.float32)),
        None,
        None,
    ),
    pytest.param(
        "depthwise_conv-0-channels",
        lambda: nf.depthwise_conv(np.zeros((2, 0, 4), np.float32), np.zeros((0, 1, 2), np.float32)),
        nf.ShapeError,
        "depthwise_conv: `x` must have at least one channel (axis 1); "
        "received weight.shape=(0, 1, 2), x.shape=(2, 0, 4).",
    ),
    pytest.param(
        "top_k_data-empty",
        lambda: nf.top_k_data(np.zeros((0, 3), np.float32), 1),
        None,
        None,
    ),
    pytest.param(
        "top_k_data-empty-grad",
        lambda: nf.grad(
            nf.top_k_data(v := _var(np.zeros((0, 3), np.float32)), 1),
            [v],
            grad_outputs=[np.zeros((0, 1), np.float32)],
        ),
        None,
        None,
    ),
    pytest.param(
        "shift-empty",
        lambda: nf.shift(np.zeros((0,), np.float32), (1,)),
        None,
        None,
    ),
    pytest.param(
        "shift-empty-grad",
        lambda: nf.grad(
            nf.shift(v := _var(np.zeros((2, 0), np.float32)), (1, 1)),
            [v],
            grad_outputs=[np.zeros((2, 0), np.float32)],
        ),
        None,
        None,
    ),
    pytest.param(
        "pad-repeat-empty",
        lambda: nf.pad(np.zeros((0,), np.float32), (1, 1), "repeat"),
        nf.ShapeError,
        "pad: `x` must have a non-empty axis 0 to pad with mode 'repeat'; received x.shape=(0,).",
    ),
    pytest.param(
        "pad-reflect-empty",
        lambda: nf.pad(np.zeros((0,), np.float32), (3, 3), "reflect"),
        nf.ShapeError,
        "pad: `x` must have a non-empty axis 0 to pad with mode 'reflect'; received x.shape=(0,).",
    ),
    pytest.param(
        "multi_hot-empty",
        lambda: nf.multi_hot(np.zeros((0,), np.int64), 5),
        None,
        None,
    ),
    pytest.param(
        "shift-2**63",
        lambda: nf.shift(np.arange(4.0), (2**63,)),
        None,
        None,
    ),
    pytest.param(
        "getitem-2**63",
        lambda: nf.getitem(np.ones(4), 2**63),
        nf.ShapeError,
        "getitem: `key` must be a valid index (Python int too large to convert to C long); "
        "received key=9223372036854775808, x.shape=(4,).",
    ),
    pytest.param(
        "scatter_nd-shape-2**63",
        lambda: nf.scatter_nd(np.ones(1), np.zeros((1, 1), np.int64), 2**63),
        nf.ArgumentError,
        "scatter_nd: `shape` must fit in int64 in every dimension; "
        "received shape=9223372036854775808.",
    ),
    pytest.param(
        "constant-shape-2**63",
        lambda: nf.constant(1.0, (0, 2**63)),
        nf.ArgumentError,
        "constant: `shape` must fit in int64 in every dimension; "
        "received shape=(0, 9223372036854775808).",
    ),
    pytest.param(
        "constant-shape-beyond-memory",
        lambda: nf.constant(1.0, (2**62,)),
        nf.ArgumentError,
        None,
    ),
    pytest.param(
        "arange-beyond-memory",
        lambda: nf.arange(0, 2**62),
        nf.ArgumentError,
        None,
    ),
    pytest.param(
        "keras-multi_hot-empty",
        lambda: keras.ops.multi_hot(np.zeros((0, 0), np.int64), 5),
        None,
        None,
    ),
    pytest.param(
        "arange-2**63",
        lambda: nf.arange(1, 2**63),
        nf.ArgumentError,
        None,
    ),
    pytest.param(
        "keras-scce-label-2**62-list",
        lambda: keras.ops.sparse_categorical_crossentropy([2**62], np.array([[0.25, 0.75]])),
        nf.ArgumentError,
        "sparse_categorical_cross_entropy: `target` must hold class indices in [0, 2); "
        "received target[0]=4611686018427387904.",
    ),
    pytest.param(
        "keras-scce-label-2**64-list",
        lambda: keras.ops.sparse_categorical_crossentropy([2**64], np.array([[0.25, 0.75]])),
        nf.DTypeError,
        "sparse_categorical_crossentropy: `target` must have a numeric dtype; "
        "received target.dtype=object.",
    ),
    pytest.param(
        "max_pool-pad-only-windows",
        lambda: nf.max_pool(np.ones((1, 1, 2, 2), np.float32), 2, stride=1, pad=2),
        nf.ArgumentError,
        "max_pool: `pad` must leave at least one element of `x` in every window; "
        "received pad=2, kernel=(2, 2), stride=(1, 1), input=(2, 2).",
    ),
    pytest.param(
        "hard_sigmoid-list",
        lambda: nf.hard_sigmoid([1.0, 2.0]),
        None,
        None,
    ),
    pytest.param("hard_silu-list", lambda: nf.hard_silu([1.0, 2.0]), None, None),
    pytest.param(
        "hard_silu-None",
        lambda: nf.hard_silu(None),
        nf.DTypeError,
        "hard_silu: `x` must be an array, a Variable or a number; received x=None.",
    ),
    pytest.param(
        "batch_matmul-list",
        lambda: nf.batch_matmul([[[1.0, 2.0]]], np.ones((1, 2, 1))),
        None,
        None,
    ),
    pytest.param(
        "batch_matmul-None",
        lambda: nf.batch_matmul(None, np.ones((1, 2, 1))),
        nf.DTypeError,
        "batch_matmul: `a` must be an array, a Variable or a number; received a=None.",
    ),
    pytest.param(
        "fractional_max_pool-ratio-0d",
        lambda: nf.fractional_max_pool(X4, np.array(2.0)),
        nf.ArgumentError,
        "fractional_max_pool: `pooling_ratio` must be a sequence of 2 floats; "
        "received pooling_ratio=2.0.",
    ),
    pytest.param(
        "nnabla-patch_correlation-padding-0d-ok",
        lambda: NF.patch_correlation(X4, X4, padding=np.array(1)),
        None,
        None,
    ),
    pytest.param(
        "nnabla-patch_correlation-padding-0d-float",
        lambda: NF.patch_correlation(X4, X4, padding=np.array(1.5)),
        nf.ArgumentError,
        "patch_correlation: `padding` must be an int, (vertical, horizontal) or "
        "(top, bottom, left, right); received padding=1.5.",
    ),
    pytest.param(
        "normalize-list",
        lambda: nf.normalize([1.0, 2.0]),
        None,
        None,
    ),
    pytest.param(
        "conv-pad-2**63",
        lambda: nf.conv(X4, W2, pad=2**63),
        nf.ArgumentError,
        None,
    ),
    pytest.param(
        "tile-2**63",
        lambda: nf.tile(np.ones(2), 2**63),
        nf.ArgumentError,
        None,
    ),
    pytest.param(
        "div-2**63",
        lambda: nf.div(np.array([1, 3]), 2**63),
        nf.ArgumentError,
        "div: `x1` must fit in int64; received x1=9223372036854775808.",
    ),
    pytest.param(
        "fractional_max_pool-seed--1-ok",
        lambda: nf.fractional_max_pool(X4, (2.0, 2.0), seed=-1),
        None,
        None,
    ),
    pytest.param(
        "dropout-None",
        lambda: nf.dropout(np.ones(3, np.float32), None),
        nf.ArgumentError,
        "dropout: `rate` must be a real number in [0, 1); received rate=None.",
    ),
    pytest.param(
        "broadcast-None",
        lambda: nf.broadcast(np.ones(2), None),
        nf.ArgumentError,
        "broadcast: `shape` must be a sequence of ints; received shape=None.",
    ),
    pytest.param(
        "normalize_moments-None",
        lambda: nf.normalize_moments(None, np.ones(2), np.ones(2), None),
        nf.DTypeError,
        "normalize_moments: `counts` must be an array, a Variable or a number; "
        "received counts=None.",
    ),
    pytest.param(
        "reset_nan-uint8--1",
        lambda: nf.reset_nan(np.array([1, 2], np.uint8), -1),
        nf.ArgumentError,
        "reset_nan: `val` must fit in uint8 (the dtype of `x`); received val=-1.",
    ),
    pytest.param(
        "reset_inf-int8-fraction",
        lambda: nf.reset_inf(np.array([1, 2], np.int8), 1.5),
        nf.ArgumentError,
        "reset_inf: `val` must fit in int8 (the dtype of `x`); received val=1.5.",
    ),
    pytest.param(
        "reset_nan-float16-overflow",
        lambda: nf.reset_nan(np.array([np.nan], np.float16), 1e10),
        nf.ArgumentError,
        "reset_nan: `val` must fit in float16 (the dtype of `x`); received val=10000000000.0.",
    ),
]


def _id(row):
    return row.values[0] if hasattr(row, "values") else row[0]


@pytest.mark.parametrize("case, call, exc, message", RAISES, ids=[_id(r) for r in RAISES])
def test_issue_17_case(case, call, exc, message):
    if exc is None:
        call()  # must return (a result, not an exception)
        return
    with pytest.raises(exc) as info:
        call()
    if message is not None:
        assert str(info.value) == message
    if case in SIZE_GUARD:
        assert str(info.value).startswith(f"{SIZE_GUARD[case]} must fit in memory (")


# The size guard's message shows the machine's memory: checked up to it.
SIZE_GUARD = {
    "one_hot-2**63": "one_hot: `output`",
    "conv-pad-2**63": "conv: padded input",  # the padded input is allocated first
    "tile-2**63": "tile: `output`",
    "constant-shape-beyond-memory": "constant: `output`",
    "arange-beyond-memory": "arange: `output`",
    "arange-2**63": "arange: `output`",
}


# Padded inputs in a graph whose batch is unknown (the fuzz baseline's avg_pool lines): the bound
# holds per sample when the graph is built, and for the whole batch when it runs, before the
# kernel allocates anything. The memory limit is set so that the messages are exact.
MEM = 10**6


@pytest.fixture
def small_memory(monkeypatch):
    monkeypatch.setattr(nf.core.function, "MEMORY_BYTES", MEM)


def _graph_pool(fn, pad, stride, n, x_shape=(1, 4)):
    with nf.Graph() as g:
        x = g.placeholder("x", (None, *x_shape))
        if fn is nf.conv:
            y = nf.conv(x, np.ones((1, 1, 3), np.float32), pad=pad, stride=stride)
        else:
            y = fn(x, 3, stride=stride, pad=pad)
    return g.run(y, {"x": np.ones((n, *x_shape), np.float32)})


@pytest.mark.parametrize("pad", [2**63, 10**9], ids=["2**63", "10**9"])
@pytest.mark.parametrize("fn", [nf.avg_pool, nf.sum_pool, nf.conv], ids=lambda f: f.__name__)
def test_graph_padded_input_per_sample_at_build(small_memory, fn, pad):
    with pytest.raises(nf.ArgumentError) as info:
        _graph_pool(fn, pad, 1, 1)
    op = fn.__name__
    assert str(info.value) == (
        f"{op} (node '{op}_0'): padded input must fit in memory ({MEM} bytes); received "
        f"kernel=(3,), stride=(1,), pad={pad}."
    )


@pytest.mark.parametrize("fn", [nf.avg_pool, nf.sum_pool, nf.conv], ids=lambda f: f.__name__)
def test_graph_padded_input_whole_batch_at_run(small_memory, fn):
    # 60,003 padded cells per sample fit in MEM bytes, a batch of 8 does not (the output is
    # only 3 cells per sample: the output guard alone would let the padding through)
    assert _graph_pool(fn, 30000, 30000, 1).shape == (1, 1, 3)
    with pytest.raises(nf.ArgumentError) as info:
        _graph_pool(fn, 30000, 30000, 8)
    op = fn.__name__
    assert str(info.value) == (
        f"{op} (node '{op}_0'): padded input must fit in memory ({MEM} bytes); received "
        "kernel=(3,), stride=(30000,), pad=30000."
    )


def test_gelu_tanh_stays_finite():
    assert np.isfinite(nf.gelu(np.array([3.4e38], np.float32), "tanh")).all()


# Lists are tensors wherever arrays are (issue 17: "Python lists rejected where nf.relu
# accepts them"): each returns what the array call returns.
LISTS = [
    ("tf-bias_add", lambda a: tf.nn.bias_add(a([[1.0, 2.0]]), a([1.0, 1.0]))),
    ("keras-conv", lambda a: keras.ops.conv(np.ones((1, 2, 1)), a([[[1.0]], [[1.0]]]))),
    ("samediff-softmax", lambda a: samediff.nn.softmax(a([1.0, 2.0]))),
    ("keras-average_pool", lambda a: keras.ops.average_pool(a([[[0.0], [1.0]]]), 2)),
    ("relu", lambda a: nf.relu(a([-1.0, 2.0]))),
]


@pytest.mark.parametrize("case, call", LISTS, ids=[c[0] for c in LISTS])
def test_lists_are_tensors(case, call):
    as_list = call(lambda v: v)
    as_array = call(lambda v: np.asarray(v))
    np.testing.assert_allclose(np.asarray(as_list), np.asarray(as_array))


def test_array_where_a_flag_goes_is_an_argument_error():
    x, f = np.ones((1, 4, 1)), np.ones((2, 1, 1))
    with pytest.raises(nf.ArgumentError, match=re.escape("conv1d: `data_format`")):
        tf.nn.conv1d(x, f, 1, "VALID", data_format=np.array(["NWC", "NCW"]))
    with pytest.raises(nf.ArgumentError, match=re.escape("gelu: `approximate`")):
        keras.ops.gelu(np.ones(2), approximate=np.array([True, False]))


# Running statistics (normalization family, fixed here).
def test_empty_batch_leaves_running_statistics_alone():
    mean, var = np.zeros(2), np.ones(2)
    y = nf.batch_normalization(np.zeros((0, 2)), mean, var, training=True)
    assert y.shape == (0, 2)
    np.testing.assert_array_equal(mean, [0.0, 0.0])
    np.testing.assert_array_equal(var, [1.0, 1.0])
    m5, v5 = np.zeros((1, 2, 1)), np.ones((1, 2, 1))
    NF.batch_normalization(
        np.zeros((0, 2, 1)), np.zeros((1, 2, 1)), np.ones((1, 2, 1)), m5, v5, batch_stat=True
    )
    assert np.isfinite(m5).all() and np.isfinite(v5).all()
    ms, t = np.zeros(2), np.array([0.0])
    NF.mean_subtraction(np.zeros((0, 2)), ms, t)
    np.testing.assert_array_equal(ms, [0.0, 0.0])
    np.testing.assert_array_equal(t, [0.0])


def _read_only(a):
    a.flags.writeable = False
    return a


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (
            lambda: nf.batch_normalization(
                np.ones((3, 2)), _read_only(np.zeros(2)), np.ones(2), training=True
            ),
            nf.ArgumentError,
            "batch_normalization: `mean` must be writeable (it is updated in place); "
            "received mean=[0.0, 0.0].",
        ),
        (
            lambda: nf.batch_normalization(np.ones((3, 2)), [0.0, 0.0], [1.0, 1.0], training=True),
            nf.ArgumentError,
            "batch_normalization: `mean` must be an array or a Variable (updated in place); "
            "received mean=[0.0, 0.0].",
        ),
        (
            lambda: NF.mean_subtraction(np.ones((3, 2)), np.zeros(2), np.array([-1.0])),
            nf.ArgumentError,
            "mean_subtraction: `t` must be a count >= 0; received t=-1.0.",
        ),
    ],
    ids=["read-only-running-mean", "list-running-mean", "negative-counter"],
)
def test_running_statistics_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message


# Shape checks that a graph could not make when it was built (a size unknown then) run again
# when it runs (the fuzz's former "graph-accepts" cases: a size-1 batch broadcast against an
# empty one gave an empty result where eager raises). Each row: build(graph) -> (outputs, feeds)
# with the first dimension of every placeholder unknown, and the exact error of the run. The node
# that raises is the composite's check node (op ``identity``: nnfunc.core.shapes.recheck).
F64 = np.float64


def _ph(g, name, shape, dtype=np.float32):
    return g.placeholder(name, (None, *shape[1:]), dtype)


def _feed_build(call, **arrays):
    def build(g):
        phs = {k: _ph(g, k, a.shape, a.dtype) for k, a in arrays.items()}
        return call(**phs), arrays

    return build


GRAPH_RUN_CHECKS = [
    (
        "lstm_cell-empty-x",
        _feed_build(
            lambda x, h, c: nf.lstm_cell(x, h, c, np.zeros((2, 4)), np.zeros((1, 4))),
            x=np.zeros((0, 2)),
            h=np.zeros((1, 1)),
            c=np.zeros((1, 1)),
        ),
        nf.ShapeError,
        "lstm_cell (node 'identity_0'): `h` must have shape (0, 1) (batch from x, hidden 1 "
        "from w_h); received h.shape=(1, 1).",
    ),
    (
        "gru_cell-empty-h",
        _feed_build(
            lambda x, h: nf.gru_cell(x, h, np.zeros((1, 3)), np.zeros((1, 3))),
            x=np.zeros((1, 1)),
            h=np.zeros((0, 1)),
        ),
        nf.ShapeError,
        "gru_cell (node 'identity_0'): `h` must have shape (1, 1) (batch from x, hidden 1 "
        "from w_h); received h.shape=(0, 1).",
    ),
    (
        "sru_cell-empty-c",
        _feed_build(
            lambda x, c: nf.sru_cell(x, c, np.zeros((2, 6)), np.zeros(4)),
            x=np.zeros((1, 2)),
            c=np.zeros((0, 2)),
        ),
        nf.ShapeError,
        "sru_cell (node 'identity_0'): `c` must have shape (1, 2) (batch and input size 2 "
        "from x); received c.shape=(0, 2).",
    ),
    (
        "adaptive_separable_convolution-empty-x",
        _feed_build(
            lambda x, v, h: nf.adaptive_separable_convolution(x, v, h),
            x=np.zeros((0, 1, 3, 3)),
            v=np.ones((1, 2, 2, 2)),
            h=np.ones((1, 2, 2, 2)),
        ),
        nf.ShapeError,
        "adaptive_separable_convolution (node 'identity_0'): "
        "`vertical_kernel` must have shape (0, 2, 2, 2) (B, K, H - Kv + 1, W - Kh + 1), every "
        "size positive; received vertical_kernel.shape=(1, 2, 2, 2), x.shape=(0, 1, 3, 3).",
    ),
    (
        "random_choice-empty-w",
        _feed_build(
            lambda x, w: nf.random_choice(x, w, seed=0),
            x=np.ones((2, 3)),
            w=np.ones((0, 3)),
        ),
        nf.ShapeError,
        "random_choice (node 'identity_0'): `x` and `w` must have one shape of rank >= 1; "
        "received x.shape=(2, 3), w.shape=(0, 3).",
    ),
    (
        "tf-conv2d_transpose-empty-value",
        _feed_build(
            lambda v: tf.nn.conv2d_transpose(
                v, np.ones((3, 3, 1, 1), np.float32), [1, 4, 4, 1], [1, 2, 2, 1], "SAME"
            ),
            v=np.zeros((0, 2, 2, 1), np.float32),
        ),
        nf.ShapeError,
        "conv2d_transpose (node 'identity_0'): `output_shape` must start with the batch "
        "size of `value`; received output_shape=[1, 4, 4, 1], value.shape=(0, 2, 2, 1).",
    ),
    (
        "tf-softmax-empty-classes",
        _feed_build(lambda x: tf.nn.softmax(x), x=np.zeros((0,), np.float32)),
        nf.ArgumentError,
        "softmax (node 'identity_0'): `logits` must have at least one class along `dim` -1; "
        "received logits.shape=(0,).",
    ),
    (
        "tf-log_poisson_loss-empty-targets",
        _feed_build(
            lambda c, z: tf.nn.log_poisson_loss(targets=z, log_input=c),
            c=np.zeros((1,), np.float32),
            z=np.zeros((0,), np.float32),
        ),
        nf.ShapeError,
        "log_poisson_loss (node 'identity_0'): `log_input` and `targets` must have the "
        "same shape; received log_input.shape=(1,), targets.shape=(0,).",
    ),
    (
        "nnabla-categorical_cross_entropy-empty-x",
        _feed_build(
            lambda x, t: NF.categorical_cross_entropy(x, t),
            x=np.full((0, 3), 0.25),
            t=np.zeros((1, 1), np.int64),
        ),
        nf.ShapeError,
        "categorical_cross_entropy (node 'identity_0'): `target` must have the "
        "shape of `x` without the class axis 1 (or with it of size 1); received "
        "target.shape=(1, 1), x.shape=(0, 3).",
    ),
    (
        "kl_multinomial-empty-q",
        _feed_build(
            lambda p, q: nf.kl_multinomial(p, q),
            p=np.full((1, 2), 0.5),
            q=np.full((0, 2), 0.5),
        ),
        nf.ShapeError,
        "kl_multinomial (node 'identity_0'): `p` and `q` must have the same shape; "
        "received p.shape=(1, 2), q.shape=(0, 2).",
    ),
]


@pytest.mark.parametrize(
    "case, build, exc, message", GRAPH_RUN_CHECKS, ids=[r[0] for r in GRAPH_RUN_CHECKS]
)
def test_graph_checks_shapes_when_it_runs(case, build, exc, message):
    with nf.Graph() as g:
        outs, feeds = build(g)
    outs = list(outs) if isinstance(outs, tuple) else [outs]
    with pytest.raises(exc) as info:
        g.run(outs, feeds)
    assert str(info.value) == message
    # the same graph with consistent sizes runs (the check node is an identity)
    ok = {k: np.ones((1, *a.shape[1:]), a.dtype) for k, a in feeds.items()}
    if case.startswith("tf-softmax"):
        ok = {"x": np.ones((2,), np.float32)}
    if case.startswith("random_choice"):
        ok = {"x": np.ones((2, 3)), "w": np.ones((2, 3))}
    g.run(outs, ok)


def test_graph_with_run_time_check_saves_and_loads():
    with nf.Graph() as g:
        x, h, c = (g.placeholder(k, (None, 1), F64) for k in "xhc")
        nf.lstm_cell(x, h, c, np.zeros((1, 4)), np.zeros((1, 4)), name="cell")
    buf = io.BytesIO()
    g.save(buf)
    buf.seek(0)
    g2 = nf.load_graph(buf)
    feeds = {"x": np.zeros((0, 1)), "h": np.zeros((1, 1)), "c": np.zeros((1, 1))}
    with pytest.raises(nf.ShapeError, match=r"`h` must have shape \(0, 1\)"):
        g2.run(["cell:0"], feeds)


def test_patch_correlation_padded_input_is_bounded(small_memory):
    # a huge pad with a huge patch_step: 3 outputs per axis, but a padded copy of 2e9 x 2e9
    # (was NumPy's raw "array is too big"), eager and in a graph with an unknown batch
    x = np.ones((1, 4, 4, 1), np.float32)
    message = (
        "padded input must fit in memory (1000000 bytes); received patch=(1, 1), "
        "patch_step=(1000000000, 1000000000), pad=1000000000."
    )
    kw = {"patch_step": 10**9, "pad": 10**9, "channel_last": True}
    with pytest.raises(nf.ArgumentError) as info:
        nf.patch_correlation(x, x, **kw)
    assert str(info.value) == "patch_correlation: " + message
    with nf.Graph() as g, pytest.raises(nf.ArgumentError) as info:
        p = g.placeholder("x", (None, 4, 4, 1))
        nf.patch_correlation(p, p, **kw)
    assert str(info.value) == "patch_correlation (node 'patch_correlation_0'): " + message


def test_binary_cross_entropy_target_gradient_keeps_its_dtype():
    # a bool `x` gives a float32 loss; the float64 target's gradient was float32 (engine bug
    # report, an AssertionError), found by the fuzz (x replaced by a flag array)
    t = nf.Variable(np.array([1.0, 0.0]), requires_grad=True)
    nf.sum(NF.binary_cross_entropy(np.array([True, False]), t)).backward()
    assert t.grad.dtype == np.float64
    np.testing.assert_allclose(t.grad, [-87.33654785, 87.33654785])
