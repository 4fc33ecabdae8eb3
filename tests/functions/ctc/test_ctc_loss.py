"""nnfunc.ctc_loss against every alignment enumerated, finite differences, PyTorch (oracle)."""

import re

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.kernels.cpu import ctc as K
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class

from . import _brute

# (labels, label_length, logit_length) of a batch of 4 over C = 3 classes, T = 5 or 6 steps:
# an empty label, a repeated label (needs a blank between), a full-length one, a short input.
_LABELS = np.array([[1, 2, 0], [1, 1, 0], [2, 1, 2], [2, 0, 0]])
_LL = np.array([0, 2, 3, 1])
_IL = np.array([5, 4, 6, 1])

_OPTIONS = [
    {"blank": 0, "time_major": False, "merge": True, "collapse": False},
    {"blank": -1, "time_major": True, "merge": True, "collapse": False},
    {"blank": 0, "time_major": True, "merge": False, "collapse": False},
    {"blank": 0, "time_major": False, "merge": True, "collapse": True},
]


def _labels_for(blank):
    """The test labels with the blank moved to class 2 when blank = -1 (2 <-> 0)."""
    if blank == 0:
        return _LABELS
    return np.where(_LABELS == 2, 0, _LABELS)


def ctc_ref(labels, logits, ll, il, blank, time_major, merge, collapse):
    """Brute-force losses (N,), float64."""
    x = np.asarray(logits, np.float64)
    if time_major:
        x = x.transpose(1, 0, 2)
    blank %= x.shape[2]
    out = []
    for b in range(x.shape[0]):
        label = tuple(int(v) for v in labels[b, : ll[b]])
        if collapse:
            label = _brute.collapse_labels(label)
        out.append(_brute.nll(x[b, : il[b]], label, blank, merge))
    return np.array(out)


@parametrize_class(dtype=["float32", "float64"], opts=_OPTIONS)
class TestCTCLoss(FunctionTestCase):
    function = staticmethod(nf.ctc_loss)
    symbolic_dims = (0, 1)  # unknown batch and time (and label width)

    def inputs(self, rng):
        shape = (6, 4, 3) if self.opts["time_major"] else (4, 6, 3)
        x = rng.normal(0, 1.5, shape).astype(self.dtype)
        return _labels_for(self.opts["blank"]), x, _LL, _IL

    def kwargs(self):
        o = self.opts
        return {
            "blank_index": o["blank"],
            "logits_time_major": o["time_major"],
            "ctc_merge_repeated": o["merge"],
            "preprocess_collapse_repeated": o["collapse"],
        }

    def expected(self, labels, x, ll, il):
        o = self.opts
        ref = ctc_ref(labels, x, ll, il, o["blank"], o["time_major"], o["merge"], o["collapse"])
        return (ref.astype(x.dtype),)


@pytest.mark.parametrize("opts", _OPTIONS)
def test_gradient_is_softmax_minus_brute_force_posterior(opts):
    rng = np.random.default_rng(5)
    labels = _labels_for(opts["blank"])
    x = rng.normal(0, 2, (4, 6, 3))
    blank = opts["blank"] % 3
    v = nf.Variable(x.transpose(1, 0, 2).copy() if opts["time_major"] else x, requires_grad=True)
    loss = nf.ctc_loss(
        labels,
        v,
        _LL,
        _IL,
        blank_index=opts["blank"],
        logits_time_major=opts["time_major"],
        ctc_merge_repeated=opts["merge"],
        preprocess_collapse_repeated=opts["collapse"],
    )
    (g,) = nf.grad(nf.sum(loss), [v])
    g = g.data.transpose(1, 0, 2) if opts["time_major"] else g.data
    for b in range(4):
        label = tuple(labels[b, : _LL[b]])
        if opts["collapse"]:
            label = _brute.collapse_labels(label)
        ref = _brute.grad(x[b, : _IL[b]], label, blank, opts["merge"])
        np.testing.assert_allclose(g[b, : _IL[b]], ref, atol=1e-12, err_msg=f"sequence {b}")
        np.testing.assert_array_equal(g[b, _IL[b] :], 0)


def test_repeated_labels_need_a_blank_between():
    # 'a a' needs 3 steps (a, blank, a); with 2 steps no alignment exists.
    x = np.zeros((1, 3, 2))
    out = nf.ctc_loss(np.array([[1, 1]]), x, [2], [3])
    np.testing.assert_allclose(out, [np.log(8)])  # only 'a * a' of 2**3 paths
    assert nf.ctc_loss(np.array([[1, 1]]), x, [2], [2])[0] == np.inf
    # Without ctc_merge_repeated, 'a a' (two steps) is the labelling 'a a' itself.
    out = nf.ctc_loss(np.array([[1, 1]]), x, [2], [2], ctc_merge_repeated=False)
    np.testing.assert_allclose(out, [np.log(4)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_infeasible_gives_inf_or_zero_with_zero_gradient(dtype):
    x = np.random.default_rng(0).normal(size=(3, 4, 3)).astype(dtype)
    labels = np.array([[1, 2, 1], [1, 1, 1], [1, 0, 0]])
    ll, il = np.array([3, 3, 1]), np.array([2, 4, 0])  # 3 labels in 2 steps; 'aaa' needs 5
    for zero in (False, True):
        v = nf.Variable(x, requires_grad=True)
        loss = nf.ctc_loss(labels, v, ll, il, zero_infinity=zero)
        np.testing.assert_array_equal(loss.data, [0, 0, 0] if zero else [np.inf] * 3)
        (g,) = nf.grad(loss, [v], grad_outputs=[np.ones(3, dtype)])
        np.testing.assert_array_equal(g.data, 0)


def test_empty_label_and_empty_input():
    x = np.log(np.array([[[0.25, 0.75], [0.5, 0.5]]]))  # blank 0
    # The empty label: the all-blank path.
    np.testing.assert_allclose(nf.ctc_loss(np.zeros((1, 0), int), x, [0], [2]), [-np.log(0.125)])
    # No step: probability 1 for the empty label, 0 for any other.
    np.testing.assert_array_equal(nf.ctc_loss(np.zeros((1, 1), int) + 1, x, [0], [0]), [0.0])
    assert nf.ctc_loss(np.array([[1]]), x, [1], [0])[0] == np.inf
    # An empty batch.
    v = nf.Variable(np.zeros((0, 2, 2)), requires_grad=True)
    loss = nf.ctc_loss(np.zeros((0, 1), int), v, np.zeros(0, int), np.zeros(0, int))
    assert loss.shape == (0,)
    (g,) = nf.grad(nf.sum(loss), [v])
    assert g.shape == (0, 2, 2)


@pytest.mark.parametrize("peaked", [20.0, 200.0])
def test_float32_stable_for_long_peaked_inputs(peaked):
    # T = 1000 steps, logits one-hot times `peaked`: the labels disagree with the peaks on
    # most steps, so the probability is far below float32's range (exp(-1e5)), yet finite in
    # log space: no -inf, no NaN, and the float64 twin agrees.
    rng = np.random.default_rng(1)
    n, t, c, m = 3, 1000, 6, 40
    x = (np.eye(c)[rng.integers(0, c, (n, t))] * peaked).astype(np.float32)
    labels = rng.integers(1, c, (n, m))
    ll, il = np.array([m, m // 2, 0]), np.array([t, t - 7, t])
    v = nf.Variable(x, requires_grad=True)
    loss = nf.ctc_loss(labels, v, ll, il)
    assert np.isfinite(loss.data).all() and (loss.data > 0).all()
    (g,) = nf.grad(nf.sum(loss), [v])
    assert np.isfinite(g.data).all()
    ext, el = K.extend_labels(np, labels, ll, 0)
    ref, _, _ = K.ctc_forward_numpy(x.astype(np.float64), ext, el, il, 0, True)
    np.testing.assert_allclose(loss.data, ref, rtol=2e-5)
    # Each step's gradient is a difference of two distributions: it sums to 0.
    np.testing.assert_allclose(g.data.sum(axis=2), 0, atol=2e-5)


def test_float16_computes_in_float32():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 6, 3)).astype(np.float16)
    out = nf.ctc_loss(_LABELS, x, _LL, _IL)
    assert out.dtype == np.float16
    ref = ctc_ref(_LABELS, x, _LL, _IL, 0, False, True, False)
    np.testing.assert_allclose(out, ref, rtol=2e-3)


def test_third_order_is_unsupported():
    x = nf.Variable(np.random.default_rng(0).normal(size=(1, 3, 3)), requires_grad=True)
    loss = nf.ctc_loss(np.array([[1]]), x, [1], [3])
    (g,) = nf.grad(nf.sum(loss), [x], create_graph=True)
    (h,) = nf.grad(nf.sum(g * g), [x], create_graph=True)
    with pytest.raises(nf.UnsupportedError, match="order three"):
        nf.grad(nf.sum(h * h), [x])


_BAD = [
    # (inputs, kwargs, error, message)
    (
        (np.zeros((2, 1)), np.zeros((2, 3, 4)), np.ones(2, int), np.ones(2, int)),
        {},
        nf.DTypeError,
        "ctc_loss: `labels` must have an integer dtype; received labels.dtype=float64.",
    ),
    (
        (np.zeros((2,), int), np.zeros((2, 3, 4)), np.ones(2, int), np.ones(2, int)),
        {},
        nf.ShapeError,
        "ctc_loss: `labels` must have rank 2; received labels.shape=(2,).",
    ),
    (
        (np.zeros((2, 1), int), np.zeros((2, 3)), np.ones(2, int), np.ones(2, int)),
        {},
        nf.ShapeError,
        "ctc_loss: `logits` must have rank 3; received logits.shape=(2, 3).",
    ),
    (
        (np.zeros((2, 1), int), np.zeros((2, 3, 4), complex), np.ones(2, int), np.ones(2, int)),
        {},
        nf.DTypeError,
        "ctc_loss: `logits` must have a real dtype; received logits.dtype=complex128.",
    ),
    (
        (np.zeros((2, 1), int), np.zeros((2, 3, 4)), np.ones((2, 1), int), np.ones(2, int)),
        {},
        nf.ShapeError,
        "ctc_loss: `label_length` must have rank 1; received label_length.shape=(2, 1).",
    ),
    (
        (np.zeros((3, 1), int), np.zeros((2, 3, 4)), np.ones(2, int), np.ones(2, int)),
        {},
        nf.ShapeError,
        "ctc_loss: the batch sizes of `labels` and `logits` and `label_length` and "
        "`logit_length` must agree; received labels.shape=(3, 1), logits.shape=(2, 3, 4), "
        "label_length.shape=(2,), logit_length.shape=(2,).",
    ),
    (
        (np.zeros((2, 1), int), np.zeros((2, 3, 4)), np.ones(2, int), np.ones(2, int)),
        {"logits_time_major": True},
        nf.ShapeError,
        "ctc_loss: the batch sizes of `labels` and `logits` and `label_length` and "
        "`logit_length` must agree; received labels.shape=(2, 1), logits.shape=(2, 3, 4), "
        "label_length.shape=(2,), logit_length.shape=(2,).",
    ),
    (
        (np.zeros((2, 1), int), np.zeros((2, 3, 4)), np.ones(2, int), np.ones(2, int)),
        {"blank_index": 4},
        nf.ArgumentError,
        "ctc_loss: `blank_index` must lie in [-4, 4); received blank_index=4, num_classes=4.",
    ),
    (
        (np.zeros((2, 1), int), np.zeros((2, 3, 0)), np.ones(2, int), np.ones(2, int)),
        {},
        nf.ShapeError,
        "ctc_loss: `num_classes` must be positive; received num_classes=0.",
    ),
]

_BAD_VALUES = [
    (
        (np.array([[1, 2], [3, 4]]), np.zeros((2, 3, 4)), np.array([2, 2]), np.ones(2, int)),
        {},
        "ctc_loss: `labels` must hold class indices in [0, 4) other than the blank index 0; "
        "received labels[1, 1]=4.",
    ),
    (
        (np.array([[1, 0], [3, 1]]), np.zeros((2, 3, 4)), np.array([2, 1]), np.ones(2, int)),
        {},
        "ctc_loss: `labels` must hold class indices in [0, 4) other than the blank index 0; "
        "received labels[0, 1]=0.",
    ),
    (
        (np.array([[1, 2], [0, 3]]), np.zeros((2, 3, 4)), np.array([2, 2]), np.ones(2, int)),
        {"blank_index": -1},
        "ctc_loss: `labels` must hold class indices in [0, 4) other than the blank index 3; "
        "received labels[1, 1]=3.",
    ),
    (
        (np.array([[1, -1], [1, 1]]), np.zeros((2, 3, 4)), np.array([2, 2]), np.ones(2, int)),
        {},
        "ctc_loss: `labels` must hold class indices in [0, 4) other than the blank index 0; "
        "received labels[0, 1]=-1.",
    ),
    (
        (np.ones((2, 2), int), np.zeros((2, 3, 4)), np.array([2, 3]), np.ones(2, int)),
        {},
        "ctc_loss: `label_length` must lie in [0, 2] (at most the label tensor's width); "
        "received label_length[1]=3.",
    ),
    (
        (np.ones((2, 2), int), np.zeros((2, 3, 4)), np.array([2, 2]), np.array([4, 3])),
        {},
        "ctc_loss: `logit_length` must lie in [0, 3] (at most the number of time steps); "
        "received logit_length[0]=4.",
    ),
    (
        (np.ones((2, 2), int), np.zeros((2, 3, 4)), np.array([2, 2]), np.array([3, -1])),
        {},
        "ctc_loss: `logit_length` must lie in [0, 3] (at most the number of time steps); "
        "received logit_length[1]=-1.",
    ),
]


@pytest.mark.parametrize("inputs, kwargs, exc, message", _BAD)
def test_bad_inputs(inputs, kwargs, exc, message):
    assert_raises_both_modes(nf.ctc_loss, inputs, kwargs, exc, message)


@pytest.mark.parametrize("inputs, kwargs, message", _BAD_VALUES)
def test_bad_values_eager_and_when_the_graph_runs(inputs, kwargs, message):
    with pytest.raises(nf.ArgumentError, match=re.escape(message)):
        nf.ctc_loss(*inputs, **kwargs)
    graph = nf.Graph()
    phs = [graph.placeholder(f"in{i}", x.shape, x.dtype) for i, x in enumerate(inputs)]
    out = nf.ctc_loss(*phs, **kwargs, name="loss")
    node = message.replace("ctc_loss: ", "ctc_loss (node 'loss'): ")
    with pytest.raises(nf.ArgumentError, match=re.escape(node)):
        graph.run([out], {f"in{i}": x for i, x in enumerate(inputs)})


def test_bad_options():
    args = (np.ones((1, 1), int), np.zeros((1, 2, 3)), [1], [2])
    with pytest.raises(nf.ArgumentError, match="`zero_infinity` must be a bool"):
        nf.ctc_loss(*args, zero_infinity="yes")
    with pytest.raises(nf.ArgumentError, match="`blank_index` must be an integer"):
        nf.ctc_loss(*args, blank_index=None)
    with pytest.raises(nf.DTypeError):
        nf.ctc_loss(None, *args[1:])


@pytest.mark.oracle
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_torch_ctc_loss(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    n, t, c, m = 5, 30, 7, 10
    x = rng.normal(0, 2, (t, n, c)).astype(dtype)
    labels = rng.integers(1, c, (n, m))
    labels[:, 3] = labels[:, 2]  # a repeat
    ll = np.array([10, 0, 4, 7, 1])
    il = np.array([30, 5, 9, 30, 1])
    v = nf.Variable(x, requires_grad=True)
    loss = nf.ctc_loss(labels, v, ll, il, logits_time_major=True)
    gy = rng.normal(size=n).astype(dtype)
    (g,) = nf.grad(loss, [v], grad_outputs=[gy])
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.ctc_loss(
        torch.log_softmax(xt, 2),
        torch.tensor(labels),
        torch.tensor(il),
        torch.tensor(ll),
        reduction="none",
    )
    ref.backward(torch.tensor(gy))
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(loss.data, ref.detach().numpy(), rtol=rtol)
    np.testing.assert_allclose(g.data, xt.grad.numpy(), atol=50 * rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minus_inf_logits(dtype):
    # Step 1 allows only the blank (probability 1): 'a' is 'a * *' or '* * a', 2 of the 9
    # equally likely choices of steps 0 and 2 ('a * a' is 'a a').
    x = np.zeros((1, 3, 3), dtype)
    x[0, 1, 1:] = -np.inf
    v = nf.Variable(x, requires_grad=True)
    loss = nf.ctc_loss([[1]], v, [1], [3])
    np.testing.assert_allclose(loss.data, [np.log(9 / 2)], rtol=1e-6)
    (g,) = nf.grad(nf.sum(loss), [v])
    assert np.isfinite(g.data).all()
    np.testing.assert_array_equal(g.data[0, 1], 0)  # softmax (1, 0, 0) = posterior
    # A step whose logits are all -inf has no class: no alignment, +inf, gradient 0.
    x[0, 1, :] = -np.inf
    v = nf.Variable(x, requires_grad=True)
    loss = nf.ctc_loss([[1]], v, [1], [3])
    assert loss.data[0] == np.inf
    (g,) = nf.grad(nf.sum(loss), [v])
    np.testing.assert_array_equal(g.data, 0)


def test_one_class_only_the_blank():
    out = nf.ctc_loss(np.zeros((2, 0), int), np.zeros((2, 3, 1)), [0, 0], [3, 0])
    np.testing.assert_array_equal(out, [0.0, 0.0])
    assert not np.signbit(out).any()
