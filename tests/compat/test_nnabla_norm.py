import inspect

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as F
from nnfunc.distributed import InProcessGroup, run_replicas


def _sig(fn):
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            continue
        d = p.default
        if isinstance(d, tuple):
            d = list(d)
        out.append(p.name if d is inspect.Parameter.empty else f"{p.name}={d!r}")
    return " ".join(out)


@pytest.mark.parametrize(
    "name, params",
    [
        (
            "batch_normalization",
            "x beta gamma mean variance axes=[1] decay_rate=0.9 eps=1e-05 batch_stat=True "
            "output_stat=False n_outputs=None",
        ),
        (
            "fused_batch_normalization",
            "x beta gamma mean variance z=None axes=[1] decay_rate=0.9 eps=1e-05 "
            "batch_stat=True nonlinearity='relu' output_stat=False n_outputs=None",
        ),
        (
            "sync_batch_normalization",
            "x beta gamma mean variance comm group='world' axes=[1] decay_rate=0.9 eps=1e-05 "
            "batch_stat=True output_stat=False n_outputs=None",
        ),
        ("mean_subtraction", "x mean t base_axis=1 update_running_mean=True"),
        ("layer_normalization", "x beta gamma batch_axis=0 eps=1e-05 output_stat=False"),
        (
            "instance_normalization",
            "x beta gamma channel_axis=1 batch_axis=0 eps=1e-05 output_stat=False",
        ),
        (
            "group_normalization",
            "x beta gamma num_groups channel_axis=1 batch_axis=0 eps=1e-05 output_stat=False",
        ),
        ("weight_standardization", "w channel_axis=0 eps=1e-05 output_stat=False"),
    ],
)
def test_signature(name, params):
    assert _sig(getattr(F, name)) == params


def _bn_ref(x, axes=(1,), eps=1e-5):
    red = tuple(j for j in range(x.ndim) if j not in axes)
    mu = x.mean(axis=red, keepdims=True)
    var = x.var(axis=red, keepdims=True)
    return (x - mu) / np.sqrt(var + eps), mu, var


def test_batch_normalization_training_and_running_stats():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 2, 2))
    beta, gamma = rng.standard_normal((1, 3, 1, 1)), rng.uniform(1, 2, (1, 3, 1, 1))
    rm, rv = np.zeros((1, 3, 1, 1)), np.ones((1, 3, 1, 1))
    y, bm, bv = F.batch_normalization(x, beta, gamma, rm, rv, output_stat=True)
    ref, mu, var = _bn_ref(x)
    np.testing.assert_allclose(y, ref * gamma + beta, rtol=1e-10)
    np.testing.assert_allclose(bm, mu, rtol=1e-12)
    np.testing.assert_allclose(bv, var, rtol=1e-12)
    np.testing.assert_allclose(rm, 0.1 * mu, rtol=1e-12)
    np.testing.assert_allclose(rv, 0.9 + 0.1 * var * 16 / 15, rtol=1e-12)
    # batch_stat=False uses the running statistics
    y2 = F.batch_normalization(x, beta, gamma, rm, rv, batch_stat=False)
    np.testing.assert_allclose(y2, (x - rm) / np.sqrt(rv + 1e-5) * gamma + beta, rtol=1e-12)


def test_batch_stat_false_requires_running_stats():
    with pytest.raises(nf.ArgumentError, match="`mean` must be given when training=False"):
        F.batch_normalization(np.ones((2, 3)), None, None, None, np.ones(3), batch_stat=False)


def test_multiple_axes_and_fused():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 4))
    y = F.batch_normalization(x, None, None, None, None, axes=[1, 2])
    np.testing.assert_allclose(y, _bn_ref(x, (1, 2))[0], rtol=1e-10)
    z = rng.standard_normal(x.shape)
    yf = F.fused_batch_normalization(x, None, None, None, None, z)
    np.testing.assert_allclose(yf, np.maximum(_bn_ref(x)[0] + z, 0), rtol=1e-10)


def test_sync_batch_normalization_replicas():
    rng = np.random.default_rng(2)
    xs = [rng.standard_normal((n, 3)) for n in (2, 5)]

    def replica(comm):
        return F.sync_batch_normalization(xs[comm.rank], None, None, None, None, comm)

    ys = run_replicas(replica, InProcessGroup(2))
    ref = _bn_ref(np.concatenate(xs))[0]
    np.testing.assert_allclose(np.concatenate(ys), ref, rtol=1e-10)


def test_tensor_normalizations_follow_library_eps_and_return_variance():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 3))
    eps = 0.5
    y, m, v = F.layer_normalization(x, None, None, eps=eps, output_stat=True)
    mu = x.mean((1, 2), keepdims=True)
    var = x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mu) / np.sqrt(var + eps), rtol=1e-10)
    np.testing.assert_allclose(v, var, rtol=1e-12)
    assert m.shape == (2, 1, 1)
    y, _, v = F.instance_normalization(x, None, None, eps=eps, output_stat=True)
    var = x.var(2, keepdims=True)
    np.testing.assert_allclose(y, (x - x.mean(2, keepdims=True)) / np.sqrt(var + eps), rtol=1e-10)
    np.testing.assert_allclose(v, var, rtol=1e-12)
    y, _, v = F.group_normalization(x, None, None, 2, eps=eps, output_stat=True)
    xg = x.reshape(2, 2, 2, 3)
    var = xg.var((2, 3), keepdims=True)
    ref = ((xg - xg.mean((2, 3), keepdims=True)) / np.sqrt(var + eps)).reshape(x.shape)
    np.testing.assert_allclose(y, ref, rtol=1e-10)
    assert v.shape == (2, 2, 1, 1)
    w = rng.standard_normal((4, 3, 2))
    y, _, v = F.weight_standardization(w, eps=eps, output_stat=True)
    var = w.var((1, 2), keepdims=True)
    np.testing.assert_allclose(y, (w - w.mean((1, 2), keepdims=True)) / np.sqrt(var + eps))


def test_adaptive_parameter_shapes():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4))
    beta, gamma = rng.standard_normal((1, 3, 4)), rng.uniform(1, 2, (1, 3, 4))
    y = F.layer_normalization(x, beta, gamma)
    mu, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mu) / np.sqrt(var + 1e-5) * gamma + beta, rtol=1e-10)
    b2, g2 = rng.standard_normal((1, 3, 1)), rng.uniform(1, 2, (1, 3, 1))
    y = F.group_normalization(x, b2, g2, 3)
    mu, var = x.mean(2, keepdims=True), x.var(2, keepdims=True)
    np.testing.assert_allclose(y, (x - mu) / np.sqrt(var + 1e-5) * g2 + b2, rtol=1e-10)


def test_mean_subtraction():
    rm, t = np.zeros(2), np.array([0])
    y = F.mean_subtraction(np.array([[1.0, 2.0], [3.0, 6.0]]), rm, t)
    np.testing.assert_allclose(y, [[-1.0, -2.0], [1.0, 2.0]])
    assert t[0] == 1
    y = F.mean_subtraction(np.array([[0.0, 0.0]]), rm, t, update_running_mean=False)
    np.testing.assert_allclose(y, [[-2.0, -4.0]])
    assert t[0] == 1
