"""nnfunc's deliberate differences from PyTorch and Keras, in one place (torch-free).

The oracle suites (``test_torch_opinfo.py``, ``test_keras_own_suite.py``) name an entry of
``DOCUMENTED`` for each difference they list: the reason comes from here, the predicate that
picks the affected samples stays with the suite. Each entry also names the canonical functions
whose docstring Notes state the difference and a phrase those Notes contain;
``test_documented_differences.py`` (no torch, no Keras) checks it, so the list and the
docstrings cannot drift apart.
"""

# No ``from __future__ import annotations``: the suites load this file by path (not in
# sys.modules), where dataclasses cannot resolve string annotations.
from dataclasses import dataclass


@dataclass(frozen=True)
class Documented:
    """One deliberate difference.

    Attributes:
        fns: Canonical functions whose docstring Notes state the difference.
        doc: A phrase each of those Notes sections contains (compared without backticks,
            whitespace collapsed, case-insensitively).
        reason: The explanation the suites report.
        system: The reference system the difference is with ("PyTorch" or "Keras").
        sample: Whether a suite sample hits it (False: documented only, e.g. round's halves,
            which no OpInfo sample reaches).
    """

    fns: tuple[str, ...]
    doc: str
    reason: str
    system: str = "PyTorch"
    sample: bool = True


_REDUCTIONS = ("sum", "mean", "prod", "max", "min")

DOCUMENTED: dict[str, Documented] = {
    "softplus_threshold": Documented(
        ("softplus",),
        "PyTorch's threshold shortcut",
        "PyTorch's softplus returns x where beta * x > threshold (a speed shortcut, 0.2 in "
        "this sample, far from exact); nnfunc computes log1p(exp(x)) stably everywhere.",
    ),
    "conv_transpose_output_padding": Documented(
        ("conv_transpose",),
        "output_padding smaller than dilation",
        "PyTorch accepts output_padding < max(stride, dilation); nnfunc requires "
        "output_padding < stride (TensorFlow's rule: the output sizes a strided "
        "convolution maps onto one input size differ by less than the stride), "
        "ArgumentError otherwise.",
    ),
    "avg_pool_divisor_override": Documented(
        ("avg_pool",),
        "divisor_override has no equivalent",
        "divisor_override has no nnfunc equivalent (none of the four dialects has one).",
    ),
    "avg_pool_ceil_mode": Documented(
        ("avg_pool",),
        "nor its ceil_mode",
        "ceil_mode with count_include_pad: PyTorch's divisor leaves out the part of the "
        "last window beyond the padded input; nnfunc has no ceil_mode (its "
        "ignore_border=False is NNabla's rule) and the adapter's extra high padding "
        "counts in its divisor.",
    ),
    "max_pool_dilation": Documented(
        ("max_pool",),
        "No dilation",
        "nnfunc's max_pool has no dilation argument (none of the four dialects' max pools has "
        "one); UnsupportedError raised by the adapter.",
    ),
    "batch_norm_rank1": Documented(
        ("batch_normalization",),
        "a rank-1 input",
        "nnfunc's batch_normalization takes the channel axis 1, so rank >= 2; PyTorch also "
        "accepts this rank-1 empty input.",
    ),
    "batch_norm_momentum": Documented(
        ("batch_normalization",),
        "any momentum",
        "nnfunc validates the running-statistics decay (1 - PyTorch's momentum) in [0, 1]; "
        "PyTorch accepts any momentum (here negative).",
    ),
    "norm_negative_eps": Documented(
        ("layer_normalization", "group_normalization"),
        "accepts a negative eps",
        "nnfunc requires eps >= 0 (a negative eps can make the variance term negative: "
        "NaN); PyTorch accepts it.",
    ),
    "lrn_even_size": Documented(
        ("local_response_normalization",),
        "even size is asymmetric",
        "PyTorch's local_response_norm with an EVEN size uses an asymmetric window (size // 2 "
        "channels before, (size - 1) // 2 after); nnfunc's (TensorFlow's) window is symmetric, "
        "2 * depth_radius + 1 channels, so only odd sizes translate.",
    ),
    "normalize_order": Documented(
        ("normalize",),
        "negative or fractional p are rejected",
        "nnfunc's normalize takes an integer order p >= 1 (a norm); PyTorch also accepts "
        "p = 0, negative and fractional p.",
    ),
    "poisson_log_input": Documented(
        ("log_poisson_loss",),
        "poisson_nll_loss(log_input=False)",
        "nnfunc's log_poisson_loss (TensorFlow's) takes log-rates; PyTorch's log_input=False "
        "(rates, with its own eps inside the log) has no canonical equivalent.",
    ),
    "reduce_0d": Documented(
        _REDUCTIONS,
        "A 0-d input has no axis 0",
        "PyTorch lets a 0-d tensor be reduced over dim 0 or -1 (as if 1-D); nnfunc follows "
        "NumPy, where a 0-d array has no axis 0, and raises ShapeError.",
    ),
    "clamp_min_gt_max": Documented(
        ("clip_by_value",),
        "min > max anywhere raises ArgumentError",
        "clamp with tensor bounds where min > max somewhere: PyTorch returns max there; "
        "nnfunc's clip_by_value raises ArgumentError (an empty interval is a bug in the "
        "caller's bounds).",
    ),
    "clamp_int_bounds": Documented(
        ("clip_by_value",),
        "follows NumPy promotion",
        "an integer bound tensor with float32 data: nnfunc's result dtype follows NumPy's "
        "promotion (float32 with int32 -> float64); PyTorch keeps the floating dtype.",
    ),
    "cat_empty_1d": Documented(
        ("concatenate",),
        "skips 1-D empty tensors",
        "PyTorch's legacy rule skips 1-D empty tensors in cat whatever the other ranks; nnfunc "
        "(as numpy.concatenate) requires one rank.",
    ),
    "squeeze_noop": Documented(
        ("squeeze",),
        "squeeze(dim) is a no-op",
        "PyTorch's squeeze(dim) of an axis whose size is not 1 (or of a 0-d tensor) is a no-op; "
        "nnfunc follows numpy.squeeze and raises ShapeError: a silent no-op hides shape bugs.",
    ),
    "huber_delta": Documented(
        ("huber_loss",),
        "beta=0 is the L1 loss",
        "PyTorch's smooth_l1_loss with beta=0 is the L1 loss; nnfunc's huber_loss requires "
        "delta > 0 (the L1 loss is absolute_error).",
    ),
    "diagonal": Documented(
        ("matrix_diag_part",),
        "diagonal also takes an offset",
        "nnfunc's matrix_diag_part (NNabla's) takes the main diagonal of square trailing "
        "matrices; PyTorch's diagonal also takes other offsets and rectangular matrices.",
    ),
    "diag_embed": Documented(
        ("matrix_diag",),
        "diag_embed also takes an offset",
        "nnfunc's matrix_diag (NNabla's) puts the vector on the main diagonal of two new "
        "trailing axes; PyTorch's diag_embed also takes offsets and other axes.",
    ),
    "pad_negative": Documented(
        ("pad",),
        "Negative pads raise ArgumentError",
        "PyTorch's negative pads crop; nnfunc's pad only pads (ArgumentError), cropping is "
        "nnfunc.slice.",
    ),
    "round_half": Documented(
        ("round",),
        "torch.round (halves to even)",
        "nnfunc's round takes halves away from zero (NNabla's, C's); PyTorch's rounds them to "
        "even. No OpInfo sample hits an exact half, so no sample lists it.",
        sample=False,
    ),
    "keras_hard_sigmoid": Documented(
        ("hard_sigmoid",),
        "Keras 3 itself computes relu6(x + 3) / 6",
        "Keras 3 computes relu6(x + 3) / 6 (slope 1/6); the Keras page documents and prints "
        "0.2 * x + 0.5, which the catalog DECISION keeps for keras.ops.hard_sigmoid (Keras's "
        "own formula is nnfunc.hard_sigmoid(x, 1/6, 0.5)).",
        system="Keras",
    ),
}
