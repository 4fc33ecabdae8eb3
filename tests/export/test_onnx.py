"""ONNX export: every mapped op, exported from its registered sample, matches ONNX Runtime.

Parametrised from the registry (nnfunc.core.onnx_export.EXPORTERS), so a new mapping is tested
the day it is added. Skipped where onnx or onnxruntime are not installed.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.functions as F
from nnfunc._cli import demo
from nnfunc.core.onnx_export import EXPORTERS

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _run_onnx(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


@pytest.mark.parametrize("op", sorted(EXPORTERS))
def test_mapped_op_matches_onnx_runtime(op):
    exporter = EXPORTERS[op]
    rng = np.random.default_rng(0)
    g = nf.Graph()
    arrays = [rng.standard_normal(s).astype(np.float32) for s in exporter.shapes]
    phs = []
    for i, a in enumerate(arrays):
        shape = (None, *a.shape[1:]) if a.ndim > 1 and i == 0 else a.shape
        phs.append(g.placeholder(f"in{i}", shape, np.float32))
    with g:
        out = exporter.sample(F, *phs)
    assert g["out"] is out
    ops = {v.creator.op_name for v in g._order if v.creator is not None}
    assert op in ops, f"the sample of {op!r} builds no {op!r} node (only {sorted(ops)})"
    used = set(g.placeholders)
    feeds = {f"in{i}": a for i, a in enumerate(arrays) if f"in{i}" in used}
    expected = g.run("out", feeds)
    model = g.export_onnx(None, "out")
    onnx.checker.check_model(model)
    assert any(node.op_type for node in model.graph.node)
    names = {i.name for i in model.graph.input}
    (got,) = _run_onnx(model, {k: v for k, v in feeds.items() if k in names})
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-5)


def test_symbolic_batch_dimension_runs_at_two_sizes():
    g = nf.Graph()
    x = g.placeholder("x", (None, 3), np.float32)
    w = g.parameter("w", np.ones((3, 2), np.float32))
    y = nf.relu(nf.matmul(x, w), name="y")
    model = g.export_onnx(None, y)
    dim = model.graph.input[0].type.tensor_type.shape.dim[0]
    assert dim.dim_param == "x_dim0"
    for n in (1, 5):
        feed = np.arange(3 * n, dtype=np.float32).reshape(n, 3) - 4
        (got,) = _run_onnx(model, {"x": feed})
        np.testing.assert_allclose(got, g.run(y, {"x": feed}), rtol=1e-6)


def test_demo_cnn_exports_and_predicts_the_same():
    data = demo.load_digits_split(seed=0)
    params = demo.init_cnn(np.random.default_rng(0), 64, 10)
    g = nf.Graph()
    x = g.placeholder("x", (None, 64), np.float32)
    weights = {k: g.parameter(k, p.data) for k, p in params.items()}
    logits = demo.cnn(weights, x)
    buf = io.BytesIO()
    g.export_onnx(buf, logits)
    model = onnx.load_from_string(buf.getvalue())
    (got,) = _run_onnx(model, {"x": data[1][:50]})
    expected = g.run(logits, {"x": data[1][:50]})
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert (got.argmax(1) == expected.argmax(1)).all()


def test_unmapped_op_is_refused_with_node_and_op():
    g = nf.Graph()
    x = g.placeholder("x", (2, 3, 3), np.float32)
    y = nf.batch_inv(x, name="inv")
    with pytest.raises(nf.UnsupportedError) as info:
        g.export_onnx(None, y)
    assert str(info.value) == (
        "export_onnx: node 'inv' uses op 'batch_inv', which has no ONNX mapping: ONNX has no "
        "matrix inverse operator."
    )


def test_mapping_count():
    """The note reports the figures (tests/export/test_onnx_coverage.py prints them)."""
    assert len(EXPORTERS) >= 160


def test_demo_saves_and_exports_the_trained_network(tmp_path, capsys):
    from nnfunc.__main__ import main

    saved, exported = tmp_path / "model.nnf", tmp_path / "model.onnx"
    args = ["demo", "--epochs", "1", "--no-progress", "--save", str(saved), "--onnx", str(exported)]
    assert main(args) == 0
    assert "saved the trained network" in capsys.readouterr().out
    _, x_test, _, y_test = demo.load_digits_split(seed=0)
    ours = nf.load_graph(saved).run("logits", {"x": x_test})
    (theirs,) = _run_onnx(onnx.load(str(exported)), {"x": x_test})
    np.testing.assert_allclose(theirs, ours, rtol=1e-4, atol=1e-4)
    assert (theirs.argmax(1) == ours.argmax(1)).all()
    assert (ours.argmax(1) == y_test).mean() > 0.5  # trained (one epoch): far above chance


def test_linear_gradient_with_unknown_feature_size_exports(tmp_path):
    # linear_grad (graph2nd's run-time-sized matrix view) and reshape to a reference tensor,
    # inside a real gradient graph whose nIn is unknown when it is built
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(0)
    g = nf.Graph()
    with g:
        x, w = g.placeholder("x", (None, 3, 4)), g.placeholder("w", (None, 5))
        y = nf.linear(x, w, base_axis=0)
        gx, gw = g.grad(nf.sum(y * y), [x, w])
        nf.identity(gx, name="gx")
        nf.identity(gw, name="gw")
    assert "linear_grad" in {v.creator.op_name for v in g._order if v.creator is not None}
    feeds = {"x": rng.random((2, 3, 4), np.float32), "w": rng.random((24, 5), np.float32)}
    path = tmp_path / "linear_grad.onnx"
    g.export_onnx(path, ["gx", "gw"])
    got = ort.InferenceSession(str(path)).run(["gx", "gw"], feeds)
    for want, have in zip(g.run(["gx", "gw"], feeds), got, strict=True):
        np.testing.assert_allclose(have, want, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("query_heads", [8, 4], ids=["grouped", "equal"])
def test_attention_with_head_counts_unknown_at_build_exports(tmp_path, query_heads):
    # head counts known only when the model runs: the group size comes from the shapes
    # (before, equal unknown counts were taken as "not grouped" and the model failed to run)
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(0)
    g = nf.Graph()
    with g:
        a, b, c = (g.placeholder(n, (None, 4)) for n in "abc")
        q, k, v = (nf.reshape(t, (1, 2, -1, 4)) for t in (a, b, c))
        y = nf.dot_product_attention(q, k, v, name="y")
        ga, gb, gc = g.grad(nf.sum(y * y), [a, b, c])
        (gg,) = g.grad(nf.sum(ga * ga), [b])
        for name, t in (("ga", ga), ("gb", gb), ("gc", gc), ("gg", gg)):
            nf.identity(t, name=name)
    feeds = {
        "a": rng.random((query_heads, 4), np.float32),
        "b": rng.random((4, 4), np.float32),
        "c": rng.random((4, 4), np.float32),
    }
    fetches = ["y", "ga", "gb", "gc", "gg"]
    path = tmp_path / "attention.onnx"
    g.export_onnx(path, fetches)
    got = ort.InferenceSession(str(path)).run(fetches, feeds)
    for want, have in zip(g.run(fetches, feeds), got, strict=True):
        np.testing.assert_allclose(have, want, rtol=2e-5, atol=2e-5)
