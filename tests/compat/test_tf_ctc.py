"""tf.nn CTC and tf.tanh on SparseTensors: signatures, layouts, blank = last class, examples."""

import inspect
import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.compat import tf


@pytest.mark.parametrize(
    "fn, names, defaults",
    [
        (
            tf.nn.ctc_loss,
            [
                "inputs",
                "labels",
                "sequence_length",
                "preprocess_collapse_repeated",
                "ctc_merge_repeated",
                "time_major",
            ],
            {"preprocess_collapse_repeated": False, "ctc_merge_repeated": True, "time_major": True},
        ),
        (
            tf.nn.ctc_greedy_decoder,
            ["inputs", "sequence_length", "merge_repeated"],
            {"merge_repeated": True},
        ),
        (
            tf.nn.ctc_beam_search_decoder,
            ["inputs", "sequence_length", "beam_width", "top_paths", "merge_repeated"],
            {"beam_width": 100, "top_paths": 1, "merge_repeated": True},
        ),
    ],
)
def test_signatures(fn, names, defaults):
    params = inspect.signature(fn).parameters
    positional = [n for n, p in params.items() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    assert positional == names
    for k, v in defaults.items():
        assert params[k].default == v
    assert params["name"].kind is inspect.Parameter.KEYWORD_ONLY


def _sparse_labels(rows):
    idx = [[b, t] for b, r in enumerate(rows) for t in range(len(r))]
    vals = [v for r in rows for v in r]
    return tf.SparseTensor(
        np.array(idx, np.int64).reshape(-1, 2),
        np.array(vals, np.int32),
        [len(rows), max(len(r) for r in rows)],
    )


@pytest.mark.parametrize("time_major", [True, False])
def test_ctc_loss_is_the_canonical_loss_with_the_last_class_blank(time_major):
    rng = np.random.default_rng(0)
    t, n, c = 6, 3, 4
    x = rng.normal(size=(t, n, c)).astype(np.float32)
    rows = [[0, 2, 2], [1], []]
    labels = _sparse_labels(rows)
    dense = np.array([[0, 2, 2], [1, 0, 0], [0, 0, 0]])
    lengths = np.array([6, 3, 2])
    inputs = x if time_major else x.transpose(1, 0, 2)
    out = tf.nn.ctc_loss(inputs, labels, lengths, time_major=time_major)
    ref = nf.ctc_loss(dense, x, [3, 1, 0], lengths, blank_index=c - 1, logits_time_major=True)
    np.testing.assert_allclose(out, ref, rtol=1e-6)
    assert out.dtype == np.float32 and out.shape == (3,)


def test_ctc_loss_options_reach_the_loss():
    x = np.zeros((3, 1, 3))
    labels = _sparse_labels([[0, 0]])
    # 'a a' in 3 steps: only 'a * a' (blank = 2); collapsed first: 'a' has 6 alignments of 27.
    np.testing.assert_allclose(tf.nn.ctc_loss(x, labels, [3]), [np.log(27)])
    collapsed = tf.nn.ctc_loss(x, labels, [3], preprocess_collapse_repeated=True)
    np.testing.assert_allclose(collapsed, [np.log(27 / 6)])
    # Not merging repeats: 'a a' is any path whose non-blank steps are two a's: 3 of 27.
    unmerged = tf.nn.ctc_loss(x, labels, [3], ctc_merge_repeated=False)
    np.testing.assert_allclose(unmerged, [np.log(9)])
    short = tf.nn.ctc_loss(x, labels, [2])
    assert short[0] == np.inf
    ignored = tf.nn.ctc_loss(x, labels, [2], ignore_longer_outputs_than_inputs=True)
    assert ignored[0] == 0


def test_ctc_loss_requires_sparse_labels():
    with pytest.raises(
        TypeError,
        match=re.escape(
            "ctc_loss: `labels` must be a SparseTensor; received labels=<class 'numpy.ndarray'>."
        ),
    ):
        tf.nn.ctc_loss(np.zeros((2, 1, 3)), np.array([[0]]), [2])


def test_ctc_loss_bad_label_names_the_position():
    labels = _sparse_labels([[0, 2]])  # 2 is the blank of 3 classes
    with pytest.raises(
        nf.ArgumentError,
        match=re.escape(
            "ctc_loss: `labels` must hold class indices in [0, 3) other than the blank index 2; "
            "received labels[0, 1]=2."
        ),
    ):
        tf.nn.ctc_loss(np.zeros((4, 1, 3)), labels, [4])


def test_ctc_loss_gradient_and_graph_mode():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 2, 3))
    labels = _sparse_labels([[0, 1], [1]])
    v = nf.Variable(x, requires_grad=True)
    (g,) = nf.grad(nf.sum(tf.nn.ctc_loss(v, labels, [5, 4])), [v])
    ref_v = nf.Variable(x, requires_grad=True)
    ref = nf.ctc_loss(
        np.array([[0, 1], [1, 0]]), ref_v, [2, 1], [5, 4], blank_index=2, logits_time_major=True
    )
    (gr,) = nf.grad(nf.sum(ref), [ref_v])
    np.testing.assert_allclose(g.data, gr.data, rtol=1e-12)
    graph = nf.Graph()
    px = graph.placeholder("x", (None, None, 3), np.float64)
    out = tf.nn.ctc_loss(px, labels, np.array([5, 4]), name="loss")
    np.testing.assert_allclose(graph.run([out], {"x": x})[0], ref.data, rtol=1e-12)


def test_greedy_decoder_page_example_as_tensorflow_decodes_it():
    a, b, blank = 0, 1, 2
    inputs = np.eye(3, dtype=np.float32)[[a, b, b, blank, b, blank, b]][:, None, :]
    (decoded,), log_prob = tf.nn.ctc_greedy_decoder(inputs, np.array([7]))
    np.testing.assert_array_equal(decoded.values, [a, b, b, b])
    np.testing.assert_array_equal(decoded.indices, [[0, 0], [0, 1], [0, 2], [0, 3]])
    np.testing.assert_array_equal(decoded.dense_shape, [1, 4])
    np.testing.assert_array_equal(log_prob, [[-7.0]])
    (decoded,), _ = tf.nn.ctc_greedy_decoder(inputs, np.array([7]), merge_repeated=False)
    np.testing.assert_array_equal(decoded.values, [a, b, b, b, b])


def test_greedy_decoder_sparse_output_per_batch():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 3, 4)).astype(np.float32)
    lengths = np.array([6, 0, 3])
    (decoded,), log_prob = tf.nn.ctc_greedy_decoder(x, lengths)
    d, n, s = nf.ctc_greedy_decoder(x, lengths, blank_index=-1, logits_time_major=True)
    dense = tf.sparse_tensor_to_dense(decoded, default_value=-1)
    assert dense.shape == (3, int(n.max()))
    np.testing.assert_array_equal(dense, d[:, : dense.shape[1]])
    np.testing.assert_array_equal(log_prob, s)


def test_beam_search_decoder_top_paths_and_merge():
    # Class 0 and blank 1; '0 0' (blank between) is the best labelling of 3 steps.
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.9, 0.1]], np.float32)
    inputs = np.log(p)[:, None, :]
    decoded, log_prob = tf.nn.ctc_beam_search_decoder(inputs, [3], beam_width=4, top_paths=2)
    assert len(decoded) == 2 and log_prob.shape == (1, 2)
    np.testing.assert_array_equal(decoded[0].values, [0])  # '0 0' merged (TF 1)
    unmerged, lp2 = tf.nn.ctc_beam_search_decoder(inputs, [3], 4, 2, merge_repeated=False)
    np.testing.assert_array_equal(unmerged[0].values, [0, 0])
    np.testing.assert_array_equal(unmerged[0].dense_shape, [1, 2])
    np.testing.assert_allclose(np.exp(log_prob[0, 0]), 0.9 * 0.8 * 0.9, rtol=1e-6)
    np.testing.assert_array_equal(log_prob, lp2)


def test_decoders_refuse_symbolic_inputs():
    graph = nf.Graph()
    px = graph.placeholder("x", (3, 1, 2), np.float32)
    with pytest.raises(nf.UnsupportedError, match="runs eagerly only"):
        tf.nn.ctc_greedy_decoder(px, np.array([3]))


def test_tanh_of_a_sparse_tensor_keeps_its_indices():
    st = tf.SparseTensor([[0, 1], [2, 0]], np.array([1.0, -2.0], np.float32), [3, 2])
    out = tf.tanh(st)
    assert isinstance(out, tf.SparseTensor)
    np.testing.assert_array_equal(out.indices, st.indices)
    np.testing.assert_array_equal(out.dense_shape, st.dense_shape)
    np.testing.assert_allclose(out.values, np.tanh([1.0, -2.0]), rtol=1e-6)
    assert out.values.dtype == np.float32
    np.testing.assert_allclose(
        tf.sparse_tensor_to_dense(out), np.tanh(tf.sparse_tensor_to_dense(st)), rtol=1e-6
    )


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_tanh_of_complex(dtype):
    z = np.array([0.5 + 1j, -2 - 0.25j], dtype)
    out = tf.tanh(z)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, np.tanh(z.astype(np.complex128)), rtol=1e-6)


def test_beam_search_pages_example_top_path_a_b_b_b_b():
    # The page: when the top path is 'A B B B B', merge_repeated=True returns 'A B' and
    # False returns 'A B B B B'. Peaked logits whose best labelling is A B B B B.
    a, b, blank = 0, 1, 2
    steps = [a, b, blank, b, blank, b, blank, b]
    inputs = (8.0 * np.eye(3, dtype=np.float32)[steps])[:, None, :]
    (merged,), lp1 = tf.nn.ctc_beam_search_decoder(inputs, [8], beam_width=10)
    (plain,), lp2 = tf.nn.ctc_beam_search_decoder(inputs, [8], beam_width=10, merge_repeated=False)
    np.testing.assert_array_equal(merged.values, [a, b])
    np.testing.assert_array_equal(plain.values, [a, b, b, b, b])
    np.testing.assert_array_equal(lp1, lp2)
