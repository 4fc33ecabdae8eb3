"""The bad-input table of the elementwise, logical, reduction, math and array families.

One row per documented misuse: the error class and the EXACT message, on arrays and in a graph.
``where`` says where the check lives:

* ``setup``: in the function's ``setup``; the graph message names the node
  (:func:`nnfunc.testing.assert_raises_both_modes`);
* ``wrapper``: in the Python function before any node exists (arguments that fix the number or
  kind of nodes), under ``node_errors``: the graph message names the node too (issue 10);
* ``values``: on index values, known only when the graph runs; the run-time message names the
  node.
"""

import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import assert_raises_both_modes

ONES23 = np.ones((2, 3))

TABLE = [
    # ------------------------------------------------------------------ non-broadcastable shapes
    (
        "setup",
        nf.add,
        (ONES23, np.ones(4)),
        {},
        nf.ShapeError,
        "add: `x0` and `x1` must have broadcastable shapes; "
        "received x0.shape=(2, 3), x1.shape=(4,).",
    ),
    (
        "setup",
        nf.add_n,
        (ONES23, np.ones(3), np.ones(4)),
        {},
        nf.ShapeError,
        "add_n: `x[0]` and `x[1]` and `x[2]` must have broadcastable shapes; "
        "received x[0].shape=(2, 3), x[1].shape=(3,), x[2].shape=(4,).",
    ),
    (
        "setup",
        nf.greater,
        (ONES23, np.ones(4)),
        {},
        nf.ShapeError,
        "greater: `x0` and `x1` must have broadcastable shapes; "
        "received x0.shape=(2, 3), x1.shape=(4,).",
    ),
    (
        "setup",
        nf.where,
        (ONES23, np.ones(4), np.ones(4)),
        {},
        nf.ShapeError,
        "where: `condition` and `x_true` and `x_false` must have broadcastable shapes; "
        "received condition.shape=(2, 3), x_true.shape=(4,), x_false.shape=(4,).",
    ),
    (
        "setup",
        nf.broadcast,
        (np.ones(3),),
        {"shape": (2, 4)},
        nf.ShapeError,
        "broadcast_to: `x` must be broadcastable to `shape`; received x.shape=(3,), shape=(2, 4).",
    ),
    # ------------------------------------------------------------------ out-of-range axes
    (
        "setup",
        nf.sum,
        (ONES23,),
        {"axis": 2},
        nf.ShapeError,
        "sum: `axis` must be in [-2, 2) for an input of rank 2; received axis=2.",
    ),
    (
        "setup",
        nf.mean,
        (ONES23,),
        {"axis": (0, -3)},
        nf.ShapeError,
        "mean: `axis` must be in [-2, 2) for an input of rank 2; received axis=-3.",
    ),
    (
        "setup",
        nf.max,
        (ONES23,),
        {"axis": 5, "with_index": True},
        nf.ShapeError,
        "max: `axis` must be in [-2, 2) for an input of rank 2; received axis=5.",
    ),
    (
        "setup",
        nf.concatenate,
        (ONES23, ONES23),
        {"axis": 2},
        nf.ShapeError,
        "concatenate: `axis` must be in [-2, 2) for an input of rank 2; received axis=2.",
    ),
    (
        "setup",
        nf.stack,
        (ONES23, ONES23),
        {"axis": -4},
        nf.ShapeError,
        "stack: `axis` must be in [-3, 3) for an output of rank 3; received axis=-4.",
    ),
    (
        "setup",
        nf.sort,
        (ONES23,),
        {"axis": 2},
        nf.ShapeError,
        "sort: `axis` must be in [-2, 2) for an input of rank 2; received axis=2.",
    ),
    (
        "setup",
        nf.split,
        (ONES23,),
        {"axis": -3},
        nf.ShapeError,
        "split: `axis` must be in [-2, 2) for an input of rank 2; received axis=-3.",
    ),
    (
        "wrapper",
        nf.flip,
        (ONES23,),
        {"axes": (0, 2)},
        nf.ShapeError,
        "flip: `axes` must be in [-2, 2) for an input of rank 2; received axes=2.",
    ),
    # ------------------------------------------------------------------ pad_width
    (
        "wrapper",
        nf.pad,
        (ONES23,),
        {"pad_width": (1, 2, 3)},
        nf.ArgumentError,
        "pad: `pad_width` must have an even length; received pad_width=(1, 2, 3).",
    ),
    (
        "wrapper",
        nf.pad,
        (ONES23,),
        {"pad_width": (1, 1, 1, 1, 1, 1)},
        nf.ArgumentError,
        "pad: `pad_width` must have at most 4 values (2 per axis of x); "
        "received pad_width=(1, 1, 1, 1, 1, 1).",
    ),
    (
        "wrapper",
        nf.pad,
        (ONES23,),
        {"pad_width": (0, -1)},
        nf.ArgumentError,
        "pad: `pad_width` must hold non-negative values; received pad_width=(0, -1).",
    ),
    # ------------------------------------------------------------------ negative sizes
    (
        "setup",
        nf.reshape,
        (np.ones(6),),
        {"shape": (-2, 3)},
        nf.ArgumentError,
        "reshape: `shape` must be a sequence of ints >= -1; received shape=(-2, 3).",
    ),
    (
        "setup",
        nf.broadcast,
        (np.ones(3),),
        {"shape": (-1, 3)},
        nf.ArgumentError,
        "broadcast_to: `shape` must be a sequence of non-negative ints; received shape=(-1, 3).",
    ),
    (
        "wrapper",
        nf.tile,
        (np.ones(3),),
        {"reps": (2, -1)},
        nf.ArgumentError,
        "tile: `reps` must hold non-negative ints; received reps=(2, -1).",
    ),
    (
        "wrapper",
        nf.scatter_nd,
        (np.ones(2), np.array([[0, 1]])),
        {"shape": (-3,)},
        nf.ArgumentError,
        "scatter_nd: `shape` must be a sequence of non-negative ints; received shape=(-3,).",
    ),
    # ------------------------------------------------------------------ indices out of range
    (
        "values",
        nf.gather_nd,
        (ONES23, np.array([[0, 1, 1], [2, 3, 0]])),
        {},
        nf.ShapeError,
        "gather_nd: `indices` must be in [-d, d) for each indexed size d (data.shape[:M]); "
        "received indices[:, 1]=(1, 3), data.shape[:M]=(2, 3).",
    ),
    (
        "values",
        nf.gather_nd,
        (ONES23, np.array([[0, -3]])),
        {},
        nf.ShapeError,
        "gather_nd: `indices` must be in [-d, d) for each indexed size d (data.shape[:M]); "
        "received indices[:, 1]=(-3,), data.shape[:M]=(2,).",
    ),
    (
        "values",
        nf.scatter_nd,
        (np.ones(3), np.array([[0, 3, 9]])),
        {"shape": (3,)},
        nf.ShapeError,
        "scatter_nd: `indices` must be in [-d, d) for each indexed size d (shape[:M]); "
        "received indices[:, 1]=(3,), shape[:M]=(3,).",
    ),
    (
        "values",
        nf.scatter_nd,
        (np.ones(2), np.array([[-4, 0]])),
        {"shape": (3,)},
        nf.ShapeError,
        "scatter_nd: `indices` must be in [-d, d) for each indexed size d (shape[:M]); "
        "received indices[:, 0]=(-4,), shape[:M]=(3,).",
    ),
    # ------------------------------------------------------------------ split of an empty axis
    (
        "setup",
        nf.split,
        (np.ones((3, 0)),),
        {"axis": 1},
        nf.ShapeError,
        "split: `x` must not be empty along `axis`; received x.shape=(3, 0), axis=1.",
    ),
    # ------------------------------------------------------------------ arange with step 0
    (
        "creation",
        nf.arange,
        (),
        {"start": 0, "stop": 5, "step": 0},
        nf.ArgumentError,
        "arange: `step` must not be 0; received step=0.",
    ),
    (
        "creation",
        nf.constant,
        (),
        {"val": 1.0, "shape": (2, -1)},
        nf.ArgumentError,
        "constant: `shape` must be a sequence of non-negative ints; received shape=(2, -1).",
    ),
    # ------------------------------------------------------------------ reshape to another size
    (
        "setup",
        nf.reshape,
        (np.ones(6),),
        {"shape": (4, 2)},
        nf.ShapeError,
        "reshape: `shape` must fit the input's size; received shape=(4, 2), x.shape=(6,).",
    ),
    (
        "setup",
        nf.reshape,
        (np.ones(6),),
        {"shape": (-1, 4)},
        nf.ShapeError,
        "reshape: `shape` must fit the input's size; received shape=(-1, 4), x.shape=(6,).",
    ),
    # ------------------------------------------------------------------ transpose axes
    (
        "setup",
        nf.transpose,
        (np.ones((2, 3, 4)),),
        {"axes": (0, 1, 1)},
        nf.ArgumentError,
        "transpose: `axes` must be a permutation of the 3 axes; received axes=(0, 1, 1), "
        "x.shape=(2, 3, 4).",
    ),
    (
        "setup",
        nf.transpose,
        (np.ones((2, 3, 4)),),
        {"axes": (1, 0)},
        nf.ArgumentError,
        "transpose: `axes` must be a permutation of the 3 axes; received axes=(1, 0), "
        "x.shape=(2, 3, 4).",
    ),
    # ------------------------------------------------------------------ linear algebra
    (
        "setup",
        nf.batch_inv,
        (np.ones((2, 2, 3)),),
        {},
        nf.ShapeError,
        "batch_inv: `x` must hold square matrices (..., N, N); received x.shape=(2, 2, 3).",
    ),
    (
        "values",
        nf.batch_inv,
        (np.stack([np.eye(2), np.ones((2, 2))]),),
        {},
        nf.ArgumentError,
        "batch_inv: `x` must hold invertible matrices; received x.shape=(2, 2, 2), "
        "singular_index=(1,).",
    ),
    (
        "wrapper",
        nf.batch_matmul,
        (np.ones((2, 4, 3)), np.ones((2, 3, 5))),
        {"transpose_a": True},
        nf.ShapeError,
        "batch_matmul: `a` and `b` must have equal inner sizes (the columns of a and the rows "
        "of b, after the transposes); received a.shape=(2, 4, 3), b.shape=(2, 3, 5), "
        "transpose_a=True, transpose_b=False.",
    ),
]

IDS = [f"{row[1].__name__}-{i}" for i, row in enumerate(TABLE)]


def _graph_inputs(graph, inputs):
    return [
        graph.placeholder(f"in{i}", x.shape, x.dtype) if isinstance(x, np.ndarray) else x
        for i, x in enumerate(inputs)
    ]


@pytest.mark.parametrize("where, fn, inputs, kwargs, exc, message", TABLE, ids=IDS)
def test_bad_input(where, fn, inputs, kwargs, exc, message):
    if where in ("setup", "wrapper"):
        assert_raises_both_modes(fn, inputs, kwargs, exc, message)
        return
    with pytest.raises(exc, match=re.escape(message)):
        fn(*inputs, **kwargs)
    graph = nf.Graph()
    if where == "creation":  # a constant node of the graph: the same check, no node yet
        with graph, pytest.raises(exc, match=re.escape(message)):
            fn(*inputs, **kwargs, name="bad")
    else:  # values: the node is built; running it reports the node
        y = fn(*_graph_inputs(graph, inputs), **kwargs, name="bad")
        op, _, rest = message.partition(": ")
        feeds = {f"in{i}": x for i, x in enumerate(inputs) if isinstance(x, np.ndarray)}
        with pytest.raises(exc, match=re.escape(f"{op} (node 'bad'): {rest}")):
            graph.run(y, feeds)


def test_every_documented_category_has_a_row():
    functions = {row[1].__name__ for row in TABLE}
    for name in ("add", "sum", "pad", "reshape", "gather_nd", "scatter_nd", "split", "arange"):
        assert name in functions
    assert "transpose" in functions and "tile" in functions and "constant" in functions
