import inspect

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as F
from nnfunc.distributed import InProcessGroup, SingleProcessCommunicator, run_replicas
from nnfunc.testing import assert_raises_both_modes


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


X = np.zeros((2, 3, 4), np.float32)
C3 = np.ones((1, 3, 1), np.float32)


def _bn(x, *args, **kw):
    return F.batch_normalization(x, None, None, *args, **kw)


def _sync(x, *args, **kw):
    return F.sync_batch_normalization(x, None, None, *args, SingleProcessCommunicator(), **kw)


@pytest.mark.parametrize(
    "fn, inputs, kwargs, exc, message",
    [
        (
            _bn,
            (X, None, None),
            {"batch_stat": False},
            nf.ArgumentError,
            "batch_normalization: `mean` must not be None when batch_stat=False (the running "
            "statistics are used); received mean=None, batch_stat=False.",
        ),
        (
            _bn,
            (X, C3, None),
            {"batch_stat": False},
            nf.ArgumentError,
            "batch_normalization: `variance` must not be None when batch_stat=False (the "
            "running statistics are used); received variance=None, batch_stat=False.",
        ),
        (
            _sync,
            (X, None, C3),
            {"batch_stat": False},
            nf.ArgumentError,
            "sync_batch_normalization: `mean` must not be None when batch_stat=False (the "
            "running statistics are used); received mean=None, batch_stat=False.",
        ),
        (
            _bn,
            (X, C3, C3),
            {"batch_stat": False, "output_stat": True},
            nf.ArgumentError,
            "batch_normalization: `output_stat` must be False when batch_stat=False (no batch "
            "statistics are computed); received output_stat=True, batch_stat=False.",
        ),
        (
            _bn,
            (X, None, None),
            {"decay_rate": 1.5},
            nf.ArgumentError,
            "batch_normalization: `decay_rate` must be in [0, 1]; received decay_rate=1.5.",
        ),
        (
            lambda x, **kw: F.fused_batch_normalization(x, None, None, None, None, **kw),
            (X,),
            {"decay_rate": -0.5},
            nf.ArgumentError,
            "fused_batch_normalization: `decay_rate` must be in [0, 1]; received decay_rate=-0.5.",
        ),
        (
            _bn,
            (X, None, None),
            {"eps": -1e-5},
            nf.ArgumentError,
            "batch_normalization: `eps` must be in [0, inf); received eps=-1e-05.",
        ),
        (
            _bn,
            (X, None, None),
            {"axes": [3]},
            nf.ShapeError,
            "batch_normalization: `axes` must be in [-3, 3) for an input of rank 3; received "
            "axes=3.",
        ),
        (
            _bn,
            (X, None, None),
            {"axes": [1, -2]},
            nf.ArgumentError,
            "batch_normalization: `axes` must not repeat an axis; received axes=[1, -2].",
        ),
        (
            _bn,
            (X, np.zeros((1, 4, 1), np.float32), C3),
            {},
            nf.ShapeError,
            "batch_normalization: `mean` must have shape (3,) (the size of `x` along axis 1) or "
            "x's rank with those sizes and 1 elsewhere; received mean.shape=(1, 4, 1), "
            "x.shape=(2, 3, 4).",
        ),
        (
            _bn,
            (X, None, None),
            {"axes": None},
            nf.ArgumentError,
            "batch_normalization: `axes` must name at least one axis; received axes=None.",
        ),
        (
            lambda x, **kw: F.layer_normalization(x, None, None, **kw),
            (X,),
            {"batch_axis": 3},
            nf.ShapeError,
            "layer_normalization: `batch_axis` must be in [-3, 3) for an input of rank 3; "
            "received batch_axis=3.",
        ),
        (
            lambda x, **kw: F.layer_normalization(x, None, None, **kw),
            (X,),
            {"batch_axis": [0, -3]},
            nf.ArgumentError,
            "layer_normalization: `batch_axis` must not repeat an axis; received "
            "batch_axis=[0, -3].",
        ),
        (
            lambda x, **kw: F.layer_normalization(x, None, None, **kw),
            (X,),
            {"batch_axis": [0, 1, 2]},
            nf.ArgumentError,
            "layer_normalization: `batch_axis` must leave at least one of the 3 axes of `x` "
            "to normalize; received batch_axis=[0, 1, 2].",
        ),
        (
            lambda x, **kw: F.group_normalization(x, None, None, 2, **kw),
            (X,),
            {},
            nf.ArgumentError,
            "group_normalization: `num_groups` must divide the number of channels; received "
            "num_groups=2, channels=3.",
        ),
        (
            lambda x, **kw: F.instance_normalization(x, None, None, **kw),
            (X,),
            {"channel_axis": 0},
            nf.ArgumentError,
            "instance_normalization: `channel_axis` must differ from every `batch_axis`; "
            "received channel_axis=0, batch_axis=0.",
        ),
    ],
)
def test_bad_input(fn, inputs, kwargs, exc, message):
    assert_raises_both_modes(fn, inputs, kwargs, exc, message)


def test_running_statistics_in_graph_mode():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 2, 3))
    g = nf.Graph()
    xs = g.placeholder("x", (None, 2, 3), np.float64)
    rm = g.parameter("rm", np.zeros((1, 2, 1)))
    rv = g.parameter("rv", np.ones((1, 2, 1)))
    y = F.batch_normalization(xs, None, None, rm, rv, decay_rate=0.6, name="bn")
    yt = F.batch_normalization(xs, None, None, rm, rv, batch_stat=False, eps=0.0, name="bnt")
    out = g.run(y, {"x": x})
    mu, var = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
    np.testing.assert_allclose(out, (x - mu) / np.sqrt(var + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(g.get_value("rm"), 0.4 * mu, rtol=1e-12)
    np.testing.assert_allclose(g.get_value("rv"), 0.6 + 0.4 * var * 18 / 17, rtol=1e-12)
    # batch_stat=False reads the running statistics the graph holds now
    out_t = g.run(yt, {"x": x})
    ref = (x - g.get_value("rm")) / np.sqrt(g.get_value("rv"))
    np.testing.assert_allclose(out_t, ref, rtol=1e-12)


def test_fused_with_z_gradients_and_stats():
    rng = np.random.default_rng(6)
    x = nf.Variable(rng.standard_normal((5, 2)), requires_grad=True)
    z = nf.Variable(rng.standard_normal((5, 2)), requires_grad=True)
    gamma = nf.Variable(np.array([[1.5, 0.5]]), requires_grad=True)
    beta = nf.Variable(np.array([[0.1, -0.2]]), requires_grad=True)
    y, m, v = F.fused_batch_normalization(x, beta, gamma, None, None, z, output_stat=True)
    xd = x.data
    xhat = (xd - xd.mean(0)) / np.sqrt(xd.var(0) + 1e-5)
    pre = xhat * gamma.data + beta.data + z.data
    np.testing.assert_allclose(y.data, np.maximum(pre, 0), rtol=1e-12)
    nf.sum(y).backward()
    np.testing.assert_allclose(z.grad, (pre > 0).astype(float))
    np.testing.assert_allclose(beta.grad, (pre > 0).sum(0, keepdims=True))
    np.testing.assert_allclose(gamma.grad, ((pre > 0) * xhat).sum(0, keepdims=True), rtol=1e-12)
    assert m.shape == v.shape == (1, 2)


def test_sync_batch_stat_false_no_communication():
    class Counting(SingleProcessCommunicator):
        calls = 0

        def all_reduce(self, array, group="world"):
            self.calls += 1
            return super().all_reduce(array, group)

    comm = Counting()
    rm, rv = np.full((1, 3), 0.5), np.full((1, 3), 4.0)
    x = np.arange(6.0).reshape(2, 3)
    y = F.sync_batch_normalization(x, None, None, rm, rv, comm, batch_stat=False, eps=0.0)
    np.testing.assert_allclose(y, (x - 0.5) / 2.0)
    assert comm.calls == 0


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


class _NNablaStyleCommunicator:
    """NNabla's interface: list_groups()/find_group(), all_reduce in place returning None."""

    def __init__(self, inner):
        self.inner, self.size, self.rank, self.calls = inner, inner.size, inner.rank, 0

    def list_groups(self):
        return {"world": list(range(self.size))}

    def find_group(self, group):
        return self.list_groups()[group]

    def all_reduce(self, data, division=False, inplace=False, group="world"):
        self.calls += 1
        data[...] = self.inner.all_reduce(data, group)


def test_sync_batch_normalization_nnabla_communicator():
    rng = np.random.default_rng(4)
    xs = [rng.standard_normal((n, 3)) for n in (3, 2)]

    def replica(comm):
        c = _NNablaStyleCommunicator(comm)
        y = F.sync_batch_normalization(xs[comm.rank], None, None, None, None, c)
        return y, c.calls

    out = run_replicas(replica, InProcessGroup(2))
    ref = _bn_ref(np.concatenate(xs))[0]
    np.testing.assert_allclose(np.concatenate([y for y, _ in out]), ref, rtol=1e-10)
    assert all(calls > 0 for _, calls in out)
    c = _NNablaStyleCommunicator(SingleProcessCommunicator())
    with pytest.raises(nf.ArgumentError, match="`group` must be one of 'world'"):
        F.sync_batch_normalization(xs[0], None, None, None, None, c, group="g")
