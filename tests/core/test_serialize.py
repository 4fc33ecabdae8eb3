"""Graph.save / nnfunc.load_graph: round trips and the bad-input table."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core import serialize
from nnfunc.distributed import SingleProcessCommunicator


def _graph():
    g = nf.Graph("net")
    x = g.placeholder("x", (None, 3), np.float32)
    w = g.parameter("w", np.arange(6, dtype=np.float32).reshape(3, 2) / 5)
    h = nf.leaky_relu(nf.matmul(x, w, name="mm"), 0.1, name="h")
    nf.softmax(nf.sum(h, axis=1, keepdims=True) * np.float32(2.0) + h, axis=-1, name="y")
    return g


def _bytes(g) -> bytes:
    buf = io.BytesIO()
    g.save(buf)
    return buf.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in entries.items():
            z.writestr(k, v)
    return buf.getvalue()


def _parts(data: bytes) -> tuple[dict, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return json.loads(z.read("graph.json")), z.read("arrays.npz")


def test_round_trip_is_bit_identical_and_saves_the_same_bytes(tmp_path):
    g = _graph()
    path = tmp_path / "net.nnf"
    g.save(path)
    loaded = nf.load_graph(path)
    feed = {"x": np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)}
    np.testing.assert_array_equal(loaded.run("y", feed), g.run("y", feed))
    assert loaded.name == "net" and loaded["x"].shape == (None, 3)
    again = tmp_path / "again.nnf"
    loaded.save(again)
    assert again.read_bytes() == path.read_bytes()
    assert _bytes(g) == path.read_bytes()  # deterministic: no timestamps


def test_loaded_graph_supports_grad_and_new_nodes():
    loaded = nf.load_graph(io.BytesIO(_bytes(_graph())))
    (gw,) = loaded.grad(loaded["y"], [loaded["w"]], grad_ys=np.ones((2, 2), np.float32))
    g = _graph()
    (ref,) = g.grad(g["y"], [g["w"]], grad_ys=np.ones((2, 2), np.float32))
    feed = {"x": np.ones((2, 3), np.float32)}
    np.testing.assert_array_equal(loaded.run(gw, feed), g.run(ref, feed))
    z = nf.relu(loaded["y"], name="z")
    assert loaded.run(z, feed).shape == (2, 2)


def test_gradient_nodes_save_too():
    g = _graph()
    (gw,) = g.grad(g["y"], [g["w"]])
    loaded = nf.load_graph(io.BytesIO(_bytes(g)))
    feed = {"x": np.ones((2, 3), np.float32)}
    np.testing.assert_array_equal(loaded.run(gw.name, feed), g.run(gw, feed))


def test_describe_reports_plain_data():
    g = _graph()
    desc = serialize.describe(g["h"].creator)
    assert desc["op"] == "leaky_relu"
    assert desc["class"] in serialize.function_classes()
    json.dumps(desc)


def _unsaveable_graph():
    g = nf.Graph()
    x = g.placeholder("x", (4, 3), np.float32)
    nf.sync_batch_normalization(x, comm=SingleProcessCommunicator(), training=True, name="sbn")
    return g


def _tampered(data: bytes, edit) -> bytes:
    doc, npz = _parts(data)
    edit(doc)
    return _zip({"graph.json": json.dumps(doc).encode(), "arrays.npz": npz})


def _pickled_npz() -> bytes:
    doc, _ = _parts(_bytes(_graph()))
    buf = io.BytesIO()
    np.savez(buf, **{"parameter/w": np.array([{"a": 1}], dtype=object)})
    npz = buf.getvalue()
    doc["arrays_sha256"] = hashlib.sha256(npz).hexdigest()
    return _zip({"graph.json": json.dumps(doc).encode(), "arrays.npz": npz})


def _unknown_op(doc):
    for node in doc["nodes"]:
        if node["kind"] == "op":
            node["class"] = "nnfunc.functions.evil:Payload"
            node["op"] = "payload"
            return


@pytest.mark.parametrize(
    ("make", "cls", "message"),
    [
        (
            lambda: _unsaveable_graph().save(io.BytesIO()),
            nf.UnsupportedError,
            "save: node 'sbn' (sync_batch_normalization) cannot be saved: its argument `comm` "
            "holds a SingleProcessCommunicator, which is not plain data",
        ),
        (
            lambda: nf.load_graph(io.BytesIO(_bytes(_graph())[:100])),
            nf.GraphError,
            "load_graph: `path` must be an nnfunc graph file (a zip);",
        ),
        (
            lambda: nf.load_graph(io.BytesIO(b"not a zip at all")),
            nf.GraphError,
            "load_graph: `path` must be an nnfunc graph file (a zip);",
        ),
        (
            lambda: nf.load_graph(
                io.BytesIO(_tampered(_bytes(_graph()), lambda d: d.update(version=99)))
            ),
            nf.GraphError,
            "load_graph: the file's format version must be at most 1 (this nnfunc reads "
            "versions 1..1); received version=99.",
        ),
        (
            lambda: nf.load_graph(
                io.BytesIO(_tampered(_bytes(_graph()), lambda d: d.update(format="other")))
            ),
            nf.GraphError,
            "load_graph: graph.json must declare format 'nnfunc-graph'; received 'other'.",
        ),
        (
            lambda: nf.load_graph(io.BytesIO(_tampered(_bytes(_graph()), _unknown_op))),
            nf.UnsupportedError,
            "load_graph: node 2 ('mm') uses op 'payload' of class "
            "'nnfunc.functions.evil:Payload', which this nnfunc does not define",
        ),
        (
            lambda: nf.load_graph(io.BytesIO(_pickled_npz())),
            nf.GraphError,
            "load_graph: arrays.npz must hold only plain arrays (read with allow_pickle=False); "
            "it holds something that needs pickle, which is refused",
        ),
        (
            lambda: nf.load_graph(
                io.BytesIO(_zip({"graph.json": _parts(_bytes(_graph()))[0] and b"{}", "x": b""}))
            ),
            nf.GraphError,
            "load_graph: the file must hold graph.json and arrays.npz; ",
        ),
        (
            lambda: nf.load_graph(
                io.BytesIO(
                    _zip(
                        {
                            "graph.json": json.dumps(_parts(_bytes(_graph()))[0]).encode(),
                            "arrays.npz": _parts(_bytes(nf.Graph()))[1],
                        }
                    )
                )
            ),
            nf.GraphError,
            "load_graph: arrays.npz must match the SHA-256 recorded in graph.json; it does not "
            "(the file was altered or damaged).",
        ),
        (
            lambda: nf.load_graph("/nonexistent/graph.nnf"),
            nf.GraphError,
            "load_graph: `path` must be a readable file; received '/nonexistent/graph.nnf'",
        ),
        (
            lambda: _graph().export_onnx(None, "nope"),
            nf.GraphError,
            "graph: `name` must name a node of the graph; received name='nope'.",
        ),
    ],
)
def test_bad_input(make, cls, message):
    with pytest.raises(cls) as info:
        make()
    assert str(info.value).startswith(message), str(info.value)


def test_missing_array_is_named():
    data = _bytes(_graph())
    doc, _ = _parts(data)
    buf = io.BytesIO()
    np.savez(buf, other=np.zeros(1))
    npz = buf.getvalue()
    doc["arrays_sha256"] = hashlib.sha256(npz).hexdigest()
    with pytest.raises(nf.GraphError) as info:
        nf.load_graph(io.BytesIO(_zip({"graph.json": json.dumps(doc).encode(), "arrays.npz": npz})))
    assert str(info.value) == (
        "load_graph: node 1 ('w') needs array 'parameter/w', which arrays.npz does not hold; the "
        "file is incomplete or altered."
    )


# ------------------------------------------------------------------ Functions held by a node
def _norm_grad_graph():
    g = nf.Graph()
    x = g.placeholder("x", (None, 4), np.float32)
    y = nf.layer_normalization(x, name="ln")
    (gx,) = g.grad(nf.sum(y * y), [x])
    return g, gx.name


def _grad_node(doc):
    return next(n for n in doc["nodes"] if n.get("op") == "layer_normalization_grad")


def test_a_gradient_node_refers_to_its_forward_node_by_name():
    g, gx = _norm_grad_graph()
    data = _bytes(g)
    doc, _ = _parts(data)
    assert _grad_node(doc)["config"]["norm"] == {"__node__": "ln"}
    loaded = nf.load_graph(io.BytesIO(data))
    grad_func = loaded[gx].creator
    while grad_func.op_name != "layer_normalization_grad":  # gx may be a sum of contributions
        grad_func = grad_func.inputs[0].creator
    assert grad_func.norm is loaded["ln"].creator  # the loaded node itself, not a copy
    feed = {"x": np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)}
    np.testing.assert_array_equal(loaded.run(gx, feed), g.run(gx, feed))
    assert _bytes(loaded) == data


def test_bound_method_and_function_state_round_trip():
    """A method of a library object is saved as (object, method name); a Function that is not
    a node of the graph by its class and state."""
    g, _ = _norm_grad_graph()
    forward = g["ln"].creator
    ctx = serialize._Codec({})
    encoded = serialize._encode(forward.setup, ctx, "fn")
    assert encoded["__method__"] == "setup"
    assert encoded["of"]["__function__"] == serialize.class_key(type(forward))
    decoded = serialize._decode(json.loads(json.dumps(encoded)), serialize._Codec({}), "node")
    assert decoded.__func__ is type(forward).setup
    assert type(decoded.__self__) is type(forward) and decoded.__self__ is not forward
    with pytest.raises(serialize._Unsaveable):
        serialize._encode(lambda: 0, ctx, "fn")


def _edit_grad_config(key, value):
    def edit(doc):
        _grad_node(doc)["config"][key] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            _edit_grad_config("norm", {"__node__": "nope"}),
            "load_graph: node 11 ('layer_normalization_grad_0') refers to node 'nope', which no "
            "earlier node defines.",
        ),
        (
            _edit_grad_config("norm", {"__method__": "__init__", "of": {"__node__": "ln"}}),
            "load_graph: node 11 ('layer_normalization_grad_0') refers to method '__init__', "
            "which LayerNormalize does not define.",
        ),
        (
            _edit_grad_config("norm", {"__method__": "system", "of": {"__node__": "ln"}}),
            "load_graph: node 11 ('layer_normalization_grad_0') refers to method 'system', "
            "which LayerNormalize does not define.",
        ),
    ],
)
def test_bad_function_references(edit, message):
    g, _ = _norm_grad_graph()
    with pytest.raises(nf.GraphError) as info:
        nf.load_graph(io.BytesIO(_tampered(_bytes(g), edit)))
    assert str(info.value) == message


def test_unknown_function_class_in_a_config():
    g, _ = _norm_grad_graph()
    edit = _edit_grad_config("norm", {"__function__": "nnfunc.evil:Payload", "state": {}})
    with pytest.raises(nf.UnsupportedError) as info:
        nf.load_graph(io.BytesIO(_tampered(_bytes(g), edit)))
    assert str(info.value) == (
        "load_graph: node 11 ('layer_normalization_grad_0') holds a Function of class "
        "'nnfunc.evil:Payload', which this nnfunc does not define."
    )
