"""Every public canonical function, called in graph mode with one bad argument, raises an nnfunc
error whose message names the graph node (issue 10, point 2).

The table below holds one bad call per function of ``nnfunc.functions.__all__``; a function
without an entry fails ``test_every_public_function_has_a_bad_call``, so new functions must add
one. ``t(*shape, dtype=...)`` makes a placeholder of the test's graph. Checks made before a node
exists (in a public wrapper or a composite) must run under
``nnfunc.core.function.node_errors(name, ...)`` or move into ``Function.setup``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.functions
from nnfunc.compat.tf import SparseTensor
from nnfunc.compat.tf.nn import rnn_cell

B = "bad"  # the node name every call passes
STR = "<U1"  # a string dtype: every numeric function rejects it


def _names(text: str) -> list[str]:
    return text.split()


# A function of one tensor whose first argument, given a string dtype, is rejected.
_STRING_X = _names("""
abs acos acosh asin asinh atan atanh batch_det batch_inv batch_normalization ceil concat_elu cos
cosh crelu elu exp floor fused_batch_normalization gelu global_avg_pool hard_sigmoid hard_silu
hard_tanh hard_tanh_derivative identity isinf isnan leaky_relu leaky_relu_derivative log
log_sigmoid log_softmax logical_not matrix_diag_part max mean min neg prod relu relu6 round selu
sigmoid sign silu sin sinc sinh softmax softplus softsign sum tan tanh tanh_shrink
""")


def _string_x(fname: str) -> Callable[[Any], Any]:
    return lambda t: getattr(nf, fname)(t(2, 3, dtype=STR), name=B)


def _no_broadcast(fname: str) -> Callable[[Any], Any]:
    return lambda t: getattr(nf, fname)(t(2, 3), t(4), name=B)


def _string_scalar(fname: str) -> Callable[[Any], Any]:
    return lambda t: getattr(nf, fname)(t(2, 3), "a", name=B)


def _in_graph(fname: str, *args: Any) -> Callable[[Any], Any]:
    """A sampler without tensor inputs, called inside ``with graph:`` (where it is a node)."""

    def call(t: Any) -> Any:
        with t().graph:
            return getattr(nf, fname)(*args, name=B)

    return call


def _raw_rnn_symbolic_finished(t: Any) -> Any:
    """``raw_rnn`` whose ``loop_fn`` returns a graph node as ``finished`` (it must be known when
    the Python loop runs)."""
    cell, x = rnn_cell.BasicRNNCell(2), t(3, 2, 4)

    def loop_fn(time: int, out: Any, state: Any, loop_state: Any) -> tuple:
        state = cell.zero_state(2, np.float32) if out is None else state
        return t(2, dtype="bool"), nf.getitem(x, 0), state, out, None

    return nf.raw_rnn(cell, loop_fn, name=B)


BAD_CALLS: dict[str, Callable[[Any], Any]] = {f: _string_x(f) for f in _STRING_X}
BAD_CALLS.update(
    {
        # two broadcast tensors that do not broadcast
        **{
            f: _no_broadcast(f)
            for f in _names("""absolute_error add atan2 div equal greater greater_equal less
            less_equal logical_and logical_or logical_xor maximum minimum mul not_equal pow
            squared_error sub
            huber_loss binary_error sigmoid_cross_entropy_with_logits sigmoid_derivative
            softmax_derivative""")
        },
        # a tensor and a scalar option that is not a number
        **{
            f: _string_scalar(f)
            for f in _names("""add_scalar equal_scalar greater_equal_scalar greater_scalar
            less_equal_scalar less_scalar maximum_scalar minimum_scalar mul_scalar
            not_equal_scalar pow_scalar r_div_scalar r_pow_scalar r_sub_scalar reset_inf reset_nan
            logical_and_scalar logical_or_scalar logical_xor_scalar""")
        },
        "adaptive_separable_convolution": lambda t: nf.adaptive_separable_convolution(
            t(1, 2, 5, 5), t(1, 3, 4, 4), t(1, 3, 4, 4), name=B
        ),
        "assign": lambda t: nf.assign(t(2, 3), t(4), name=B),
        "avg_pool": lambda t: nf.avg_pool(t(1, 1, 4, 4), (2, 0), name=B),
        "batch_matmul": lambda t: nf.batch_matmul(t(2, 3, 4), t(2, 5, 6), name=B),
        "bias_add": lambda t: nf.bias_add(t(2, 3), t(4), name=B),
        "binary_cross_entropy": lambda t: nf.binary_cross_entropy(t(2, 3), t(4), name=B),
        "broadcast": lambda t: nf.broadcast(t(2, 3), (4, 5), name=B),
        "broadcast_to": lambda t: nf.broadcast_to(t(2, 3), (4, 5), name=B),
        "cast": lambda t: nf.cast(t(2, 3), "not a dtype", name=B),
        "categorical_cross_entropy": lambda t: nf.categorical_cross_entropy(
            t(2, 3), t(2, 4), name=B
        ),
        "clip_by_norm": lambda t: nf.clip_by_norm(t(2, 3), -1.0, name=B),
        "clip_by_value": lambda t: nf.clip_by_value(t(2, 3), None, 1.0, name=B),
        "clip_grad_by_norm": lambda t: nf.clip_grad_by_norm(t(2, 3), -1.0, name=B),
        "clip_grad_by_value": lambda t: nf.clip_grad_by_value(t(2, 3), None, 1.0, name=B),
        "concatenate": lambda t: nf.concatenate(t(2, 3), t(4, 5), axis=0, name=B),
        "confusion_matrix": lambda t: nf.confusion_matrix(
            t(2, 3), t(2, dtype="int64"), dtype="float32", name=B
        ),
        "conv": lambda t: nf.conv(t(1, 2, 5, 5), t(3, 4, 3, 3), name=B),
        "conv_transpose": lambda t: nf.conv_transpose(t(1, 2, 5, 5), t(3, 4, 3, 3), name=B),
        "depthwise_conv": lambda t: nf.depthwise_conv(t(1, 2, 5, 5), t(3, 3, 3), name=B),
        "depthwise_conv_transpose": lambda t: nf.depthwise_conv_transpose(
            t(1, 2, 5, 5), t(3, 3, 3), name=B
        ),
        "dilation2d": lambda t: nf.dilation2d(t(1, 2, 5, 5), t(3, 3, 3), name=B),
        "add_n": lambda t: nf.add_n(t(2, 3), t(4), name=B),
        "mul_n": lambda t: nf.mul_n(t(2, 3), t(4), name=B),
        "shift": lambda t: nf.shift(t(2, 3), (1, 1, 1), name=B),
        "dropout": lambda t: nf.dropout(t(2, 3), 0.5, noise_shape=(5,), name=B),
        "epsilon_insensitive_loss": lambda t: nf.epsilon_insensitive_loss(
            t(2, 3), t(4), 0.1, name=B
        ),
        "erosion2d": lambda t: nf.erosion2d(t(1, 2, 5, 5), t(3, 3, 3), name=B),
        "expand_dims": lambda t: nf.expand_dims(t(2, 3), 5, name=B),
        "flip": lambda t: nf.flip(t(2, 3), 5, name=B),
        "fractional_avg_pool": lambda t: nf.fractional_avg_pool(t(1, 2, 5, 5), (1.0, 0.5), name=B),
        "fractional_max_pool": lambda t: nf.fractional_max_pool(t(1, 2, 5, 5), (1.0, 0.5), name=B),
        "gather_nd": lambda t: nf.gather_nd(t(2, 3), t(3, 2), name=B),
        "getitem": lambda t: nf.getitem(t(2, 3), (0, 0, 0), name=B),
        "group_normalization": lambda t: nf.group_normalization(t(2, 4, 3), 3, name=B),
        "in_top_k": lambda t: nf.in_top_k(t(2, 3), t(2, dtype="int64"), -1, name=B),
        "instance_normalization": lambda t: nf.instance_normalization(
            t(2, 3, 4), channel_axis=5, name=B
        ),
        "kl_multinomial": lambda t: nf.kl_multinomial(t(2, 3), t(4, 5), name=B),
        "l2_loss": lambda t: nf.l2_loss(t(2, 3, dtype=STR), name=B),
        "layer_normalization": lambda t: nf.layer_normalization(t(2, 3), axis=5, name=B),
        "linear": lambda t: nf.linear(t(2, 3), t(4, 5), name=B),
        "local_response_normalization": lambda t: nf.local_response_normalization(
            t(2, 3), depth_radius=-1, name=B
        ),
        "log_poisson_loss": lambda t: nf.log_poisson_loss(t(2, 3), t(4), name=B),
        "matmul": lambda t: nf.matmul(t(2, 3), t(4, 5), name=B),
        "matrix_diag": lambda t: nf.matrix_diag(t(dtype="float32"), name=B),
        "max_pool": lambda t: nf.max_pool(t(1, 1, 4, 4), (2, 0), name=B),
        "max_pool_with_argmax": lambda t: nf.max_pool_with_argmax(t(1, 1, 4, 4), (2, 0), name=B),
        "mean_subtraction": lambda t: nf.mean_subtraction(t(2, 3), t(4), name=B),
        "moments": lambda t: nf.moments(t(2, 3), axis=5, name=B),
        "multi_hot": lambda t: nf.multi_hot(t(2, 3, dtype="int64"), 0, name=B),
        "normalize": lambda t: nf.normalize(t(2, 3), axis=5, name=B),
        "normalize_moments": lambda t: nf.normalize_moments(t(), t(2, 3), t(4, 5), name=B),
        "one_hot": lambda t: nf.one_hot(t(2, 3, dtype="int64"), 0, name=B),
        "pad": lambda t: nf.pad(t(2, 3), (1, 1), "wrap", name=B),
        "patch_correlation": lambda t: nf.patch_correlation(t(1, 2, 5, 5), t(1, 3, 5, 5), name=B),
        "prelu": lambda t: nf.prelu(t(2, 3), t(4), name=B),
        "psnr": lambda t: nf.psnr(t(2, 3), t(4), 1.0, name=B),
        "relu_layer": lambda t: nf.relu_layer(t(2, 3), t(4, 5), name=B),
        "reshape": lambda t: nf.reshape(t(2, 3), (4, 5), name=B),
        "scatter_nd": lambda t: nf.scatter_nd(t(2, 3), t(3, 2, dtype="int64"), (4,), name=B),
        "separable_conv": lambda t: nf.separable_conv(
            t(1, 2, 5, 5), t(3, 3, 3), t(4, 5, 1, 1), name=B
        ),
        "slice": lambda t: nf.slice(t(2, 3), (0, 0, 0), name=B),
        "softmax_cross_entropy_with_logits": lambda t: nf.softmax_cross_entropy_with_logits(
            t(2, 3), t(2, 4), name=B
        ),
        "softsign_derivative": lambda t: nf.softsign_derivative(t(2, 3, dtype=STR), name=B),
        "sort": lambda t: nf.sort(t(2, 3), axis=5, name=B),
        "sparse_categorical_cross_entropy": lambda t: nf.sparse_categorical_cross_entropy(
            t(2, 3), t(4, dtype="int64"), name=B
        ),
        "sparse_softmax_cross_entropy_with_logits": (
            lambda t: nf.sparse_softmax_cross_entropy_with_logits(
                t(2, 3), t(4, dtype="int64"), name=B
            )
        ),
        "split": lambda t: nf.split(t(2, 3), axis=5, name=B),
        "squeeze": lambda t: nf.squeeze(t(2, 3), axis=0, name=B),
        "stack": lambda t: nf.stack(t(2, 3), t(4, 5), name=B),
        "stop_gradient": lambda t: nf.stop_gradient(t(2, 3, dtype=STR), name=B),
        "sufficient_statistics": lambda t: nf.sufficient_statistics(t(2, 3), axis=5, name=B),
        "sum_pool": lambda t: nf.sum_pool(t(1, 1, 4, 4), (2, 0), name=B),
        "sync_batch_normalization": lambda t: nf.sync_batch_normalization(
            t(2, 3), comm=None, axis=5, name=B
        ),
        "tile": lambda t: nf.tile(t(2, 3), (1, -1), name=B),
        "top_k": lambda t: nf.top_k(t(2, 3), k=-1, name=B),
        "top_k_data": lambda t: nf.top_k_data(t(2, 3), 0, name=B),
        "top_k_grad": lambda t: nf.top_k_grad(t(2, 3), 0, name=B),
        "top_n_error": lambda t: nf.top_n_error(t(2, 3), t(2, dtype="int64"), n=0, name=B),
        "transpose": lambda t: nf.transpose(t(2, 3), (0, 0), name=B),
        "unpool": lambda t: nf.unpool(t(1, 1, 4, 4), (2, 0), name=B),
        "weight_standardization": lambda t: nf.weight_standardization(
            t(2, 3), channel_axis=5, name=B
        ),
        "weighted_cross_entropy_with_logits": lambda t: nf.weighted_cross_entropy_with_logits(
            t(2, 3), t(4), 1.0, name=B
        ),
        "where": lambda t: nf.where(t(2, 3, dtype="bool"), t(2, 3), t(4), name=B),
        # quantization
        "binary_connect_affine": lambda t: nf.binary_connect_affine(t(2, 3), t(4, 5), name=B),
        "binary_connect_convolution": lambda t: nf.binary_connect_convolution(
            t(1, 2, 5, 5), t(3, 4, 3, 3), name=B
        ),
        "binary_sigmoid": lambda t: nf.binary_sigmoid(t(2, 3, dtype=STR), name=B),
        "binary_tanh": lambda t: nf.binary_tanh(t(2, 3, dtype=STR), name=B),
        "binary_weight_affine": lambda t: nf.binary_weight_affine(t(2, 3), t(4, 5), name=B),
        "binary_weight_convolution": lambda t: nf.binary_weight_convolution(
            t(1, 2, 5, 5), t(3, 4, 3, 3), name=B
        ),
        "fixed_point_quantize": lambda t: nf.fixed_point_quantize(t(2, 3), n=0, name=B),
        "inq_affine": lambda t: nf.inq_affine(t(2, 3), t(4, 5), t(4, 5, dtype="int64"), name=B),
        "inq_convolution": lambda t: nf.inq_convolution(
            t(1, 2, 5, 5), t(3, 4, 3, 3), t(3, 4, 3, 3, dtype="int64"), name=B
        ),
        "min_max_quantize": lambda t: nf.min_max_quantize(t(2, 3), t(4), t(4), t(4), t(4), name=B),
        "pow2_quantize": lambda t: nf.pow2_quantize(t(2, 3), n=0, name=B),
        "prune": lambda t: nf.prune(t(2, 3), rate=2.0, name=B),
        # signal
        "fft": lambda t: nf.fft(t(2, 3), 2, name=B),
        "ifft": lambda t: nf.ifft(t(2, 3), 2, name=B),
        "interpolate": lambda t: nf.interpolate(t(1, 1, 4, 4), output_size=(0, 8), name=B),
        "istft": lambda t: nf.istft(t(2, 5, 4), t(2, 6, 4), 8, 2, 8, name=B),
        "stft": lambda t: nf.stft(t(2, 16), 8, 0, 8, name=B),
        # CTC
        "ctc_beam_search_decoder": lambda t: nf.ctc_beam_search_decoder(
            t(2, 5, 4), t(3, dtype="int64"), name=B
        ),
        "ctc_decode": lambda t: nf.ctc_decode(t(2, 5, 4), t(3, dtype="int64"), name=B),
        "ctc_greedy_decoder": lambda t: nf.ctc_greedy_decoder(
            t(2, 5, 4), t(3, dtype="int64"), name=B
        ),
        "ctc_loss": lambda t: nf.ctc_loss(
            t(2, 3, dtype="int64"), t(2, 5, 4), t(3, dtype="int64"), t(2, dtype="int64"), name=B
        ),
        # attention
        "dot_product_attention": lambda t: nf.dot_product_attention(
            t(2, 3, 4, 5), t(2, 3, 4, 6), t(2, 3, 4, 5), name=B
        ),
        "multi_head_attention": lambda t: nf.multi_head_attention(
            t(2, 3, 4), t(2, 3, 4), t(2, 3, 4), 3, t(4, 4), t(4, 4), t(4, 4), t(4, 4), name=B
        ),
        # embeddings and sampling
        "compute_accidental_hits": lambda t: nf.compute_accidental_hits(
            t(2, 3, dtype="int64"), t(4, dtype="int64"), 2, name=B
        ),
        "embedding_lookup": lambda t: nf.embedding_lookup(t(5, 3), t(2), name=B),
        "embedding_lookup_sparse": lambda t: nf.embedding_lookup_sparse(
            t(5, 3), t(2, dtype="int64"), name=B
        ),
        "fixed_unigram_candidate_sampler": lambda t: nf.fixed_unigram_candidate_sampler(
            t(2, 3, dtype="int64"), 2, 4, True, 10, unigrams=[1.0] * 10, name=B
        ),
        "learned_unigram_candidate_sampler": lambda t: nf.learned_unigram_candidate_sampler(
            t(2, 3, dtype="int64"), 2, 4, True, 10, name=B
        ),
        "log_uniform_candidate_sampler": lambda t: nf.log_uniform_candidate_sampler(
            t(2, 3, dtype="int64"), 2, 4, True, 10, name=B
        ),
        "nce_loss": lambda t: nf.nce_loss(
            t(10, 4), t(10), t(2, 5), t(2, 1, dtype="int64"), 3, 10, name=B
        ),
        "sampled_softmax_loss": lambda t: nf.sampled_softmax_loss(
            t(10, 4), t(10), t(2, 5), t(2, 1, dtype="int64"), 3, 10, name=B
        ),
        "uniform_candidate_sampler": lambda t: nf.uniform_candidate_sampler(
            t(2, 3, dtype="int64"), 2, 4, True, 10, name=B
        ),
        # detection
        "nms_detection2d": lambda t: nf.nms_detection2d(t(2, 3, 2), name=B),
        # random and augmentation; the samplers without tensor inputs are nodes of the
        # graph they are called in
        "image_augmentation": lambda t: nf.image_augmentation(
            t(2, 3, 4, 4), shape=(5, 5, 5), name=B
        ),
        "rand": _in_graph("rand", 1.0, 0.0),
        "rand_beta": _in_graph("rand_beta", -1.0),
        "rand_binomial": _in_graph("rand_binomial", -1),
        "rand_gamma": _in_graph("rand_gamma", -1.0),
        "randint": _in_graph("randint", 3, 1),
        "randn": _in_graph("randn", 0.0, -1.0),
        "random_choice": lambda t: nf.random_choice(t(2, 3), t(4), name=B),
        "random_crop": lambda t: nf.random_crop(t(2, 3), shape=(5, 5, 5), name=B),
        "random_erase": lambda t: nf.random_erase(t(2, 3, 4, 4), prob=2.0, name=B),
        "random_flip": lambda t: nf.random_flip(t(2, 3, 4), axes=(7,), name=B),
        "random_shift": lambda t: nf.random_shift(t(2, 3, 4), border_mode="bogus", name=B),
        "sink": lambda t: nf.sink(t(2, 3, dtype=STR), name=B),
        "vat_noise": lambda t: nf.vat_noise(t(2, 3), t(4), name=B),
        "warp_by_flow": lambda t: nf.warp_by_flow(t(1, 2, 4, 4), t(1, 3, 4, 4), name=B),
        # recurrent: sequence layers and cells (a weight that does not fit x)
        "gru": lambda t: nf.gru(t(5, 2, 3), t(4, 6), t(2, 6), name=B),
        "gru_cell": lambda t: nf.gru_cell(t(2, 3), t(2, 2), t(4, 6), t(2, 6), name=B),
        "lstm": lambda t: nf.lstm(t(5, 2, 3), t(4, 8), t(2, 8), name=B),
        "lstm_block": lambda t: nf.lstm_block(t(5, 2, 3), t(4, 8), name=B),
        "lstm_cell": lambda t: nf.lstm_cell(t(2, 3), t(2, 2), t(2, 2), t(4, 8), t(2, 8), name=B),
        "rnn": lambda t: nf.rnn(t(5, 2, 3), t(4, 2), t(2, 2), name=B),
        "sru": lambda t: nf.sru(t(5, 2, 3), t(4, 12), t(8), name=B),
        "sru_cell": lambda t: nf.sru_cell(t(2, 3), t(2, 3), t(4, 12), t(6), name=B),
        # recurrent: drivers of a cell object (checks made before any node: under node_errors)
        "bidirectional_dynamic_rnn": lambda t: nf.bidirectional_dynamic_rnn(
            rnn_cell.BasicRNNCell(2), rnn_cell.BasicRNNCell(2), t(2, 3), dtype="float32", name=B
        ),
        "dynamic_rnn": lambda t: nf.dynamic_rnn(
            rnn_cell.BasicRNNCell(2), t(2, 3), dtype="float32", name=B
        ),
        "raw_rnn": _raw_rnn_symbolic_finished,
        "state_saving_rnn": lambda t: nf.state_saving_rnn(
            rnn_cell.BasicRNNCell(2), [t(2, 3)], object(), "h", name=B
        ),
        "static_bidirectional_rnn": lambda t: nf.static_bidirectional_rnn(
            rnn_cell.BasicRNNCell(2),
            rnn_cell.BasicRNNCell(2),
            [t(2, 3), t(2, 3, 4)],
            dtype="float32",
            name=B,
        ),
        "static_rnn": lambda t: nf.static_rnn(
            rnn_cell.BasicRNNCell(2), [t(2, 3), t(2, 3, 4)], dtype="float32", name=B
        ),
    }
)

# Functions that cannot be called in graph mode: an entry here must say why.
EXEMPT: dict[str, str] = {
    "arange": "no tensor input: it always returns an array (a graph constant when used in one)",
    "constant": "no tensor input: it always returns an array (a graph constant when used in one)",
}


def test_every_public_function_has_a_bad_call():
    missing = sorted(set(nnfunc.functions.__all__) - set(BAD_CALLS) - set(EXEMPT))
    assert not missing, f"add a bad graph-mode call for: {missing}"
    stale = sorted(set(BAD_CALLS) - set(nnfunc.functions.__all__))
    assert not stale, f"not public functions: {stale}"


@pytest.mark.parametrize("fname", sorted(BAD_CALLS))
def test_graph_error_names_the_node(fname):
    graph = nf.Graph()
    count = iter(range(100))

    def t(*shape: int, dtype: str = "float32") -> Any:
        return graph.placeholder(f"in{next(count)}", shape, np.dtype(dtype))

    with pytest.raises(nf.NNFuncError) as info:
        BAD_CALLS[fname](t)
    assert "(node 'bad')" in str(info.value), str(info.value)


class _Saver:
    """A state saver for ``state_saving_rnn`` (never read: the call fails before)."""

    def state(self, name: str) -> Any:
        raise AssertionError(name)

    def save_state(self, name: str, value: Any) -> None:
        raise AssertionError(name)


# Further bad calls that once lost the node name: options checked before the node exists, a
# composite's unnamed inner node, a string given where a tensor goes.
MORE_BAD_CALLS: dict[str, Callable[[Any], Any]] = {
    "fft-normalized": lambda t: nf.fft(t(2, 3, 2), normalized="yes", name=B),
    "ifft-signal_ndim": lambda t: nf.ifft(t(2, 3, 2), 4, name=B),
    "sink-one_input_grad": lambda t: nf.sink(t(2, 3), one_input_grad=None, name=B),
    "min_max_quantize-decay": lambda t: nf.min_max_quantize(
        t(2, 3), t(1, 1), t(1, 1), t(1, 1), t(1, 1), decay=2.0, name=B
    ),
    "embedding_lookup-max_norm": lambda t: nf.embedding_lookup(t(5, 3), t(2), max_norm=1.0, name=B),
    "embedding_lookup_sparse-partition_strategy": lambda t: nf.embedding_lookup_sparse(
        t(5, 3), SparseTensor([[0, 0]], [1], [1, 2]), partition_strategy="hash", name=B
    ),
    "binary_connect_affine-bias": lambda t: nf.binary_connect_affine(
        t(2, 3), t(3, 5), bias="zz", name=B
    ),
    "rand-seed": _in_graph("rand", 0.0, 1.0, (2,), "x"),
    # recurrent drivers: each of these lost the node name before their checks ran under
    # node_errors (the first raw_rnn case was a raw ValueError)
    "dynamic_rnn-cell": lambda t: nf.dynamic_rnn("zz", t(2, 3, 4), dtype="float32", name=B),
    "dynamic_rnn-sequence_length": lambda t: nf.dynamic_rnn(
        rnn_cell.BasicRNNCell(2), t(2, 3, 4), t(5, dtype="int64"), dtype="float32", name=B
    ),
    "bidirectional_dynamic_rnn-dtype": lambda t: nf.bidirectional_dynamic_rnn(
        rnn_cell.BasicRNNCell(2),
        rnn_cell.BasicRNNCell(2),
        t(2, 3, 4),
        initial_state_fw=t(2, 2),
        name=B,
    ),
    "static_bidirectional_rnn-initial_state_bw": lambda t: nf.static_bidirectional_rnn(
        rnn_cell.BasicRNNCell(2),
        rnn_cell.BasicRNNCell(2),
        [t(2, 3)],
        initial_state_bw=t(2, 5),
        dtype="float32",
        name=B,
    ),
    "state_saving_rnn-state_name": lambda t: nf.state_saving_rnn(
        rnn_cell.BasicLSTMCell(2), [t(2, 3)], _Saver(), "h", name=B
    ),
    "raw_rnn-loop_fn": lambda t: nf.raw_rnn(
        rnn_cell.BasicRNNCell(2), lambda *args: (t(2), t(2, 4)), name=B
    ),
}


@pytest.mark.parametrize("case", sorted(MORE_BAD_CALLS))
def test_more_graph_errors_name_the_node(case):
    graph = nf.Graph()
    count = iter(range(100))

    def t(*shape: int, dtype: str = "float32") -> Any:
        return graph.placeholder(f"in{next(count)}", shape, np.dtype(dtype))

    with pytest.raises(nf.NNFuncError) as info:
        MORE_BAD_CALLS[case](t)
    assert "(node 'bad')" in str(info.value), str(info.value)
