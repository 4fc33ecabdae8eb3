"""The issue's bad-input table for losses and evaluation functions, canonical and dialects.

One row per misuse: error class and EXACT message, on arrays and in a graph. ``where`` says
where the check lives:

* ``setup``: in the function's ``setup``; the graph message names the node;
* ``wrapper``: in the Python function before the node exists, which still names the node
  ``name`` in a graph (:func:`nnfunc.core.shapes.node_errors`);
* ``values``: on label values, known only when the graph runs; the run-time message names the
  node that checks them (``node``: ``"bad"``, or None when it is an inner, auto-named node).
"""

import re

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as NF
from nnfunc.compat import keras, tf

Z23 = np.zeros((2, 3))
P23 = np.full((2, 3), 1 / 3)
SSCE = "sparse_softmax_cross_entropy_with_logits"
SCCE = "sparse_categorical_cross_entropy"
RANGE3 = "must hold class indices in [0, 3); received"

TABLE = [
    # ------------------------------------------------ integer labels outside [0, num_classes)
    ("values", nf.sparse_softmax_cross_entropy_with_logits, (Z23, np.array([0, 3])), {},
     nf.ArgumentError, f"{SSCE}: `labels` {RANGE3} labels[1]=3.", "bad"),
    ("values", nf.sparse_softmax_cross_entropy_with_logits,
     (np.zeros((2, 2, 3)), np.array([[0, 1], [2, -4]])), {},
     nf.ArgumentError, f"{SSCE}: `labels` {RANGE3} labels[1, 1]=-4.", "bad"),
    ("values", nf.sparse_categorical_cross_entropy, (P23, np.array([-1, 5])), {},
     nf.ArgumentError, f"{SCCE}: `target` {RANGE3} target[0]=-1.", None),
    ("values", nf.in_top_k, (Z23, np.array([0, 7])), {"k": 1},
     nf.ArgumentError, f"in_top_k: `targets` {RANGE3} targets[1]=7.", "bad"),
    ("values", nf.top_n_error, (Z23, np.array([5, 0])), {},
     nf.ArgumentError, f"top_n_error: `target` {RANGE3} target[0]=5.", "bad"),
    ("values", nf.confusion_matrix, (Z23, np.array([[0], [-2]])), {},
     nf.ArgumentError, f"confusion_matrix: `target` {RANGE3} target[1, 0]=-2.", "bad"),
    ("values", tf.nn.sparse_softmax_cross_entropy_with_logits, (Z23, np.array([3, 0])), {},
     nf.ArgumentError, f"{SSCE}: `labels` {RANGE3} labels[0]=3.", "bad"),
    ("values", tf.nn.in_top_k, (Z23, np.array([0, -1])), {"k": 2},
     nf.ArgumentError, f"in_top_k: `targets` {RANGE3} targets[1]=-1.", "bad"),
    ("values", keras.ops.sparse_categorical_crossentropy, (np.array([1, 3]), P23), {},
     nf.ArgumentError, f"{SCCE}: `target` {RANGE3} target[1]=3.", None),
    ("values", NF.softmax_cross_entropy, (Z23, np.array([[1], [-1]])), {},
     nf.ArgumentError, f"{SSCE}: `labels` {RANGE3} labels[1, 0]=-1.", "bad"),
    ("values", NF.categorical_cross_entropy, (P23, np.array([[-1], [0]])), {},
     nf.ArgumentError, f"{SCCE}: `target` {RANGE3} target[0, 0]=-1.", None),
    ("values", NF.top_n_error, (Z23, np.array([[0], [3]])), {},
     nf.ArgumentError, f"top_n_error: `target` {RANGE3} target[1, 0]=3.", "bad"),
    ("values", NF.confusion_matrix, (Z23, np.array([[4], [0]])), {},
     nf.ArgumentError, f"confusion_matrix: `target` {RANGE3} target[0, 0]=4.", "bad"),
    # ------------------------------------------------ labels of the wrong rank, shape or dtype
    ("wrapper", tf.nn.sparse_softmax_cross_entropy_with_logits, (Z23, np.zeros((2, 1), int)), {},
     ValueError, f"{SSCE}: `labels` must have rank 1 (the rank of `logits` minus one); "
     "received labels.shape=(2, 1), logits.shape=(2, 3).", "bad"),
    ("wrapper", tf.nn.sparse_softmax_cross_entropy_with_logits, (Z23, np.zeros(3, int)), {},
     nf.ShapeError, f"{SSCE}: `labels` must have the shape of `logits` without its last axis; "
     "received labels.shape=(3,), logits.shape=(2, 3).", "bad"),
    ("wrapper", tf.nn.sparse_softmax_cross_entropy_with_logits,
     (np.zeros(()), np.zeros((), int)), {},
     nf.ShapeError, f"{SSCE}: `logits` must have rank >= 1; received logits.shape=().", "bad"),
    ("wrapper", tf.nn.in_top_k, (np.zeros((2, 3, 1)), np.zeros(2, int)), {"k": 1},
     nf.ShapeError, "in_top_k: `predictions` must have rank 2; "
     "received predictions.shape=(2, 3, 1).", "bad"),
    ("wrapper", tf.nn.in_top_k, (Z23, np.zeros((2, 1), int)), {"k": 1},
     nf.ShapeError, "in_top_k: `targets` must have rank 1; received targets.shape=(2, 1).",
     "bad"),
    ("setup", nf.in_top_k, (Z23, np.zeros(3, int)), {"k": 1},
     nf.ShapeError, "in_top_k: `targets` must have the shape of `predictions` without its "
     "last axis; received targets.shape=(3,), predictions.shape=(2, 3).", "bad"),
    ("setup", nf.sparse_softmax_cross_entropy_with_logits, (Z23, np.zeros((2, 2), int)), {},
     nf.ShapeError, f"{SSCE}: `labels` must have the shape of `logits` without the class axis "
     "1 (or with it of size 1); received labels.shape=(2, 2), logits.shape=(2, 3).", "bad"),
    ("setup", nf.sparse_softmax_cross_entropy_with_logits, (Z23, np.zeros(2)), {},
     nf.DTypeError, f"{SSCE}: `labels` must have an integer dtype; "
     "received labels.dtype=float64.", "bad"),
    ("wrapper", nf.sparse_categorical_cross_entropy, (P23, np.zeros((3,), int)), {},
     nf.ShapeError, f"{SCCE}: `target` must have the shape of `x` without the class axis 1 (or "
     "with it of size 1); received target.shape=(3,), x.shape=(2, 3).", None),
    # ------------------------------------------------ logits and targets of different shapes
    ("setup", nf.sigmoid_cross_entropy_with_logits, (Z23, np.zeros((3, 2))), {},
     ValueError, "sigmoid_cross_entropy_with_logits: `logits` and `targets` must have the same "
     "shape; received logits.shape=(2, 3), targets.shape=(3, 2).", "bad"),
    ("setup", nf.weighted_cross_entropy_with_logits, (Z23, np.zeros(3)), {"pos_weight": 2.0},
     ValueError, "weighted_cross_entropy_with_logits: `logits` and `targets` must have the same "
     "shape; received logits.shape=(2, 3), targets.shape=(3,).", "bad"),
    ("setup", nf.softmax_cross_entropy_with_logits, (Z23, np.zeros((2, 4))), {},
     ValueError, "softmax_cross_entropy_with_logits: `logits` and `labels` must have the same "
     "shape; received logits.shape=(2, 3), labels.shape=(2, 4).", "bad"),
    ("setup", tf.nn.softmax_cross_entropy_with_logits, (Z23, np.zeros((3, 2))), {},
     ValueError, "softmax_cross_entropy_with_logits: `logits` and `labels` must have the same "
     "shape; received logits.shape=(2, 3), labels.shape=(3, 2).", "bad"),
    ("wrapper", tf.nn.softmax_cross_entropy_with_logits, (Z23, Z23), {"dim": 2},
     nf.ShapeError, "softmax_cross_entropy_with_logits: `dim` must be in [-2, 2) for an input "
     "of rank 2; received dim=2.", "bad"),
    ("wrapper", nf.binary_cross_entropy, (Z23, np.zeros(3)), {},
     ValueError, "binary_cross_entropy: `x` and `target` must have the same shape; "
     "received x.shape=(2, 3), target.shape=(3,).", "bad"),
    ("wrapper", nf.binary_cross_entropy, (Z23, np.zeros(3)), {"from_logits": True},
     ValueError, "binary_cross_entropy: `x` and `target` must have the same shape; "
     "received x.shape=(2, 3), target.shape=(3,).", "bad"),
    ("wrapper", keras.ops.binary_crossentropy, (np.zeros(3), Z23), {},
     ValueError, "binary_crossentropy: `target` and `output` must have the same shape; "
     "received target.shape=(3,), output.shape=(2, 3).", "bad"),
    ("wrapper", keras.ops.categorical_crossentropy, (np.zeros((2, 2)), Z23), {},
     ValueError, "categorical_crossentropy: `target` and `output` must have the same shape; "
     "received target.shape=(2, 2), output.shape=(2, 3).", "bad"),
    ("wrapper", keras.ops.sparse_categorical_crossentropy, (np.zeros(3, int), P23), {},
     ValueError, "sparse_categorical_crossentropy: `target` must have the shape of `output` "
     "without the class axis 1 (or with it of size 1); received target.shape=(3,), "
     "output.shape=(2, 3).", "bad"),
    ("wrapper", NF.sigmoid_cross_entropy, (Z23, np.zeros(3)), {},
     ValueError, "sigmoid_cross_entropy: `x` and `target` must have the same shape; "
     "received x.shape=(2, 3), target.shape=(3,).", "bad"),
    ("wrapper", NF.softmax_cross_entropy, (Z23, np.zeros((3, 1), int)), {},
     ValueError, "softmax_cross_entropy: `target` must have the shape of `x` without the class "
     "axis 1 (or with it of size 1); received target.shape=(3, 1), x.shape=(2, 3).", "bad"),
    ("wrapper", NF.categorical_cross_entropy, (P23, np.zeros((2, 1), int)), {"axis": 2},
     nf.ShapeError, "categorical_cross_entropy: `axis` must be in [-2, 2) for an input of "
     "rank 2; received axis=2.", "bad"),
    ("wrapper", NF.kl_multinomial, (Z23, Z23), {"base_axis": 2},
     nf.ShapeError, "kl_multinomial: `base_axis` must be in [-2, 2) for an input of rank 2; "
     "received base_axis=2.", "bad"),
    ("wrapper", nf.categorical_cross_entropy, (Z23, np.zeros((3, 2))), {},
     ValueError, "categorical_cross_entropy: `x` and `target` must have the same shape; "
     "received x.shape=(2, 3), target.shape=(3, 2).", None),
    ("wrapper", nf.log_poisson_loss, (Z23, np.zeros((2, 1))), {},
     ValueError, "log_poisson_loss: `log_input` and `targets` must have the same shape; "
     "received log_input.shape=(2, 3), targets.shape=(2, 1).", "bad"),
    ("wrapper", nf.kl_multinomial, (Z23, np.zeros((2, 1))), {},
     ValueError, "kl_multinomial: `p` and `q` must have the same shape; "
     "received p.shape=(2, 3), q.shape=(2, 1).", "bad"),
    ("wrapper", nf.squared_error, (Z23, np.zeros(2)), {},
     ValueError, "squared_error: `x0` and `x1` must have broadcastable shapes; "
     "received x0.shape=(2, 3), x1.shape=(2,).", "bad"),
    ("setup", nf.binary_error, (Z23, np.zeros(3)), {},
     ValueError, "binary_error: `x` and `target` must have the same shape; "
     "received x.shape=(2, 3), target.shape=(3,).", "bad"),
    ("wrapper", nf.psnr, (Z23, np.zeros((3, 2))), {"max_val": 1.0},
     ValueError, "psnr: `x1` and `x2` must have the same shape; "
     "received x1.shape=(2, 3), x2.shape=(3, 2).", "bad"),
    # ------------------------------------------------ k larger than the last dimension, or < 0
    ("setup", nf.top_k, (Z23,), {"k": 4},
     nf.ShapeError, "top_k: `input` must have a last dimension of at least k=4; "
     "received input.shape=(2, 3).", "bad"),
    ("setup", tf.nn.top_k, (Z23, 5), {},
     nf.ShapeError, "top_k: `input` must have a last dimension of at least k=5; "
     "received input.shape=(2, 3).", "bad"),
    ("wrapper", nf.top_k, (Z23,), {"k": -1},
     nf.ArgumentError, "top_k: `k` must be >= 0; received k=-1.", "bad"),
    ("wrapper", tf.nn.top_k, (Z23, -2), {},
     nf.ArgumentError, "top_k: `k` must be >= 0; received k=-2.", "bad"),
    ("wrapper", nf.in_top_k, (Z23, np.zeros(2, int)), {"k": -1},
     nf.ArgumentError, "in_top_k: `k` must be >= 0; received k=-1.", "bad"),
    ("wrapper", nf.top_n_error, (Z23, np.zeros(2, int)), {"n": 0},
     nf.ArgumentError, "top_n_error: `n` must be positive; received n=0.", "bad"),
    # ------------------------------------------------ pos_weight of the wrong shape
    ("setup", nf.weighted_cross_entropy_with_logits, (Z23, Z23, np.ones((3, 1))), {},
     ValueError, "weighted_cross_entropy_with_logits: `pos_weight` must broadcast to the shape "
     "of `logits`; received pos_weight.shape=(3, 1), logits.shape=(2, 3).", "bad"),
    ("setup", tf.nn.weighted_cross_entropy_with_logits, (Z23, Z23, np.ones((1, 2, 3))), {},
     ValueError, "weighted_cross_entropy_with_logits: `pos_weight` must broadcast to the shape "
     "of `logits`; received pos_weight.shape=(1, 2, 3), logits.shape=(2, 3).", "bad"),
    # ------------------------------------------------ max_val <= 0 for psnr
    ("wrapper", nf.psnr, (Z23, Z23), {"max_val": 0.0},
     nf.ArgumentError, "psnr: `max_val` must be in (0, inf); received max_val=0.0.", "bad"),
    ("wrapper", keras.ops.psnr, (Z23, Z23, -255), {},
     nf.ArgumentError, "psnr: `max_val` must be in (0, inf); received max_val=-255.0.", "bad"),
]  # fmt: skip

IDS = [f"{row[1].__module__.split('.')[-2]}.{row[1].__name__}-{i}" for i, row in enumerate(TABLE)]


def _graph_inputs(graph, inputs):
    return [
        graph.placeholder(f"in{i}", x.shape, x.dtype) if isinstance(x, np.ndarray) else x
        for i, x in enumerate(inputs)
    ]


def _with_node(message, node):
    op, _, rest = message.partition(": ")
    return (
        re.escape(f"{op} (node '{node}'): {rest}")
        if node
        else (re.escape(f"{op} (node '") + r"[^']+" + re.escape(f"'): {rest}"))
    )


@pytest.mark.parametrize("where, fn, inputs, kwargs, exc, message, node", TABLE, ids=IDS)
def test_bad_input(where, fn, inputs, kwargs, exc, message, node):
    with pytest.raises(exc, match=re.escape(message)):
        fn(*inputs, **kwargs)
    graph = nf.Graph()
    symbolic = _graph_inputs(graph, inputs)
    if where == "values":  # the node is built; running it reports the checking node
        y = fn(*symbolic, **kwargs, name="bad")
        feeds = {f"in{i}": x for i, x in enumerate(inputs) if isinstance(x, np.ndarray)}
        with pytest.raises(exc, match=_with_node(message, node)):
            graph.run(y, feeds)
        return
    with pytest.raises(exc, match=_with_node(message, "bad")):
        fn(*symbolic, **kwargs, name="bad")


def test_k_above_an_unknown_last_dimension_is_reported_when_the_graph_runs():
    graph = nf.Graph()
    x = graph.placeholder("x", (2, None), np.float32)
    values, _ = nf.top_k(x, 3, name="bad")
    assert values.shape == (2, 3)
    msg = "top_k (node 'bad'): `input` must have a last dimension of at least k=3; "
    with pytest.raises(nf.ShapeError, match=re.escape(msg + "received input.shape=(2, 2).")):
        graph.run(values, {"x": np.zeros((2, 2), np.float32)})


def test_out_of_range_labels_never_give_nan():
    # Same error for labels out of range in every position of a batch, never a NaN loss.
    x = np.zeros((4, 3), np.float32)
    for bad in (3, -1, 2**31 - 1, -(2**31)):
        labels = np.array([0, 1, bad, 2], np.int32)
        msg = f"{SSCE}: `labels` {RANGE3} labels[2]={bad}."
        with pytest.raises(nf.ArgumentError, match=re.escape(msg)):
            nf.sparse_softmax_cross_entropy_with_logits(x, labels)
        with pytest.raises(nf.ArgumentError, match=re.escape(f"received target[2]={bad}.")):
            nf.sparse_categorical_cross_entropy(x + 1 / 3, labels.astype(np.int64))


def test_from_logits_label_errors_use_the_callers_names():
    import re as _re

    import pytest as _pytest

    msg = (
        "sparse_categorical_cross_entropy: `target` must hold class indices in [0, 3); "
        "received target[1]=3."
    )
    logits = np.zeros((2, 3))
    for target in (np.array([0, 3]), nf.Variable(np.array([0, 3]))):
        with _pytest.raises(nf.ArgumentError, match=_re.escape(msg)):
            nf.sparse_categorical_cross_entropy(logits, target, from_logits=True)
    # In a graph the values are known only when it runs: the fused node (named by the caller)
    # reports them under its own argument names.
    graph = nf.Graph()
    x = graph.placeholder("x", (2, 3), np.float64)
    t = graph.placeholder("t", (2,), np.int64)
    y = nf.sparse_categorical_cross_entropy(x, t, from_logits=True, name="bad")
    with _pytest.raises(
        nf.ArgumentError, match=_re.escape(f"{SSCE} (node 'bad'): `labels` {RANGE3} labels[1]=3.")
    ):
        graph.run(y, {"x": logits, "t": np.array([0, 3])})
