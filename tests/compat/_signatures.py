"""Compare dialect signatures with the catalog's (argument names, order, defaults)."""

import ast
import csv
import inspect
import re
from pathlib import Path

import nnfunc

MINE = {
    "relu",
    "relu6",
    "crelu",
    "concat_elu",
    "elu",
    "selu",
    "gelu",
    "hard_sigmoid",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "prelu",
    "sigmoid",
    "silu",
    "hard_silu",
    "softplus",
    "softsign",
    "tanh",
    "tanh_shrink",
    "sinc",
    "hard_tanh_derivative",
    "leaky_relu_derivative",
    "sigmoid_derivative",
    "softmax_derivative",
    "softsign_derivative",
    "softmax",
    "log_softmax",
    "linear",
    "relu_layer",
    "bias_add",
    "clip_by_value",
    "clip_by_norm",
    "clip_grad_by_value",
    "clip_grad_by_norm",
    "stop_gradient",
    "top_k_grad",
    "one_hot",
    "multi_hot",
    "dropout",
}


def rows(framework):
    path = Path(nnfunc.__file__).parent / "_data" / "functions.tsv"
    with open(path, encoding="utf-8") as f:
        return [
            r
            for r in csv.DictReader(f, delimiter="\t")
            if r["framework"] == framework and r["canonical"] in MINE
        ]


def python_params(signature):
    """[(name, default or inspect.Parameter.empty)] of a 'mod.f(a, b=1, **kw)' signature."""
    inner = signature[signature.index("(") + 1 : signature.rindex(")")]
    node = ast.parse(f"def f({inner}): pass").body[0].args
    out = []
    defaults = [None] * (len(node.args) - len(node.defaults)) + list(node.defaults)
    for a, d in zip(node.args, defaults):
        out.append((a.arg, inspect.Parameter.empty if d is None else ast.literal_eval(d)))
    return out


def java_params(signature):
    """Parameter names of the SDVariable overloads (without ``String name``)."""
    forms = []
    for part in signature.split(";;"):
        sd = part.split("|")[-1]
        inner = sd[sd.index("(") + 1 : sd.rindex(")")]
        inner = re.sub(r"\[String name,\]\s*", "", inner)
        forms.append([p.split()[-1] for p in inner.split(",") if p.strip()])
    return forms


def our_params(fn):
    sig = inspect.signature(fn)
    return [
        (p.name, p.default)
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "name"
    ]
