"""Row softmax, log-softmax and dense softmax cross-entropy: numba against NumPy and float64."""

import numpy as np
import pytest

from nnfunc.core.backend import numba_enabled
from nnfunc.kernels.cpu import _jit
from nnfunc.kernels.cpu import softmax as S

needs_numba = pytest.mark.skipif(not numba_enabled(), reason="numba disabled")

# K below, at and above the 64 lanes of the row maximum; logits far apart (exp underflows).
SHAPES = [(1, 1), (4, 3), (9, 64), (5, 1000), (3, 1030)]


def _logits(rng, shape, scale=5.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _log_softmax_ref(x):
    x = x.astype(np.float64)
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@needs_numba
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("log", [False, True])
def test_softmax_kernels_agree_with_float64(shape, log):
    rng = np.random.default_rng(shape[1])
    x = _logits(rng, shape)
    if shape[1] > 1:
        x[0, 0] = -np.inf  # an excluded class: probability 0, log-probability -inf
    ref = _log_softmax_ref(x)
    if not log:
        ref = np.exp(ref)
    for fn in (S.softmax_rows_numba, S.softmax_rows_numpy):
        with np.errstate(invalid="ignore"):
            y = fn(x, log)
        assert y.dtype == np.float32 and y.shape == shape
        if shape[1] > 1:
            assert y[0, 0] == (-np.inf if log else 0.0)
        finite = np.isfinite(ref)
        # The float32 shift z = x - max rounds (|z| * 6e-8 absolute on z, so relative on
        # exp(z): 2.4e-6 at z = -40), then exp, the sum and the scaling round once each.
        np.testing.assert_allclose(y[finite], ref[finite], rtol=4e-6, atol=1e-6 if log else 0)


@needs_numba
def test_log_softmax_of_a_dominant_logit_is_relatively_accurate():
    # log(sum) near 0: the sum is accumulated in float64 and the output not re-associated.
    x = np.array([[-2.0, 0.5, 7.0], [0.0, -20.0, -30.0]], np.float32)
    ref = _log_softmax_ref(x)
    for fn in (S.softmax_rows_numba, S.softmax_rows_numpy):
        np.testing.assert_allclose(fn(x, True), ref, rtol=1e-6)


@needs_numba
@pytest.mark.parametrize(
    "row", [[np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf], [0.0, np.nan, 1.0], [np.nan] * 3]
)
def test_rows_without_finite_shift_are_refused(row):
    x = np.array([[0.0, 1.0, 2.0], row], np.float32)
    for fn in (S.softmax_rows_numba, S.softmax_rows_numpy):
        assert fn(x, False) is None
        assert fn(x, True) is None
    t = np.full(x.shape, 1 / 3, np.float32)
    for fn in (S.softmax_xent_rows_numba, S.softmax_xent_rows_numpy):
        assert fn(x, t) is None
    for fn in (S.sparse_xent_rows_numba, S.sparse_xent_rows_numpy):
        assert fn(x, np.array([0, 1])) is None


def _xent_ref(x, t):
    t = t.astype(np.float64)
    lp = _log_softmax_ref(x)
    with np.errstate(invalid="ignore"):
        return -np.where(t == 0, 0, t * lp).sum(axis=1)


@needs_numba
@pytest.mark.parametrize("shape", SHAPES)
def test_softmax_xent_kernels_agree_with_float64(shape):
    rng = np.random.default_rng(shape[1] + 1)
    x = _logits(rng, shape, 3.0)
    t = rng.dirichlet(np.ones(shape[1]), shape[0]).astype(np.float32)
    if shape[1] > 1:
        x[0, 0] = -np.inf
        t[0, 0] = 0.0  # 0 * -inf counts 0
        t[-1] *= 2.5  # labels need not sum to 1
    ref = _xent_ref(x, t)
    gy = rng.standard_normal(shape[0]).astype(np.float32)
    p = np.exp(_log_softmax_ref(x))
    gref = gy[:, None] * (p * t.astype(np.float64).sum(axis=1, keepdims=True) - t)
    pairs = (
        (S.softmax_xent_rows_numba, S.softmax_xent_grad_rows_numba),
        (S.softmax_xent_rows_numpy, S.softmax_xent_grad_rows_numpy),
    )
    for fwd, bwd in pairs:
        with np.errstate(invalid="ignore"):
            loss, stats = fwd(x, t)
        assert loss.dtype == np.float32 and loss.shape == (shape[0],)
        assert stats.shape == (3, shape[0])
        np.testing.assert_allclose(loss, ref, rtol=2e-6, atol=1e-6, err_msg=fwd.__name__)
        gx = bwd(x, t, gy, stats)
        assert gx.dtype == np.float32 and gx.shape == shape
        np.testing.assert_allclose(gx, gref, rtol=2e-6, atol=1e-7, err_msg=bwd.__name__)


@needs_numba
def test_float32_exp_helper_is_within_one_ulp():
    kernels = _jit.kernels()
    del kernels  # compiles the helpers
    x = np.concatenate([np.linspace(-110, 0, 200001), [-0.0, -1e-30, -87.3, -103.9, -np.inf]])
    x = x.astype(np.float32)
    y = np.array([_jit.expf_nonpos(v) for v in x[::50]] + [_jit.expf_nonpos(v) for v in x[-5:]])
    xs = np.concatenate([x[::50], x[-5:]]).astype(np.float64)
    ref = np.exp(xs)
    r32 = ref.astype(np.float32)
    normal = r32 >= np.finfo(np.float32).tiny
    ulps = np.abs(y[normal] - ref[normal]) / np.spacing(r32[normal]).astype(np.float64)
    assert ulps.max() <= 1.0
    np.testing.assert_allclose(y[~normal], r32[~normal], rtol=0, atol=1.5e-45)
    assert _jit.expf_nonpos(np.float32(-np.inf)) == 0.0
    assert np.isnan(_jit.expf_nonpos(np.float32(np.nan)))


@needs_numba
@pytest.mark.parametrize("shape", SHAPES)
def test_sparse_xent_kernels_agree_with_float64(shape):
    rng = np.random.default_rng(shape[1] + 2)
    x = _logits(rng, shape, 3.0)
    labels = rng.integers(0, shape[1], shape[0])
    if shape[1] > 1:
        x[0, (labels[0] + 1) % shape[1]] = -np.inf  # another class excluded
    lp = _log_softmax_ref(x)
    ref = -lp[np.arange(shape[0]), labels]
    gy = rng.standard_normal(shape[0]).astype(np.float32)
    gref = gy[:, None] * (np.exp(lp) - np.eye(shape[1])[labels])
    pairs = (
        (S.sparse_xent_rows_numba, S.sparse_xent_grad_rows_numba),
        (S.sparse_xent_rows_numpy, S.sparse_xent_grad_rows_numpy),
    )
    for fwd, bwd in pairs:
        for threads in (1, 2):
            loss, stats = fwd(x, labels.astype(np.int32), threads)
            assert loss.dtype == np.float32 and loss.shape == (shape[0],)
            np.testing.assert_allclose(loss, ref, rtol=2e-6, atol=1e-6, err_msg=fwd.__name__)
            gx = bwd(x, labels, gy, stats, threads)
            assert gx.dtype == np.float32 and gx.shape == shape
            np.testing.assert_allclose(gx, gref, rtol=2e-6, atol=1e-7, err_msg=bwd.__name__)


@needs_numba
@pytest.mark.parametrize("label", [-1, 3])
def test_sparse_xent_refuses_out_of_range_labels(label):
    x = np.zeros((2, 3), np.float32)
    labels = np.array([0, label])
    assert S.sparse_xent_rows_numba(x, labels) is None
    assert S.sparse_xent_rows_numpy(x, labels) is None
