"""A name is defined once: no family or dialect part silently shadows another's function."""

import collections
import importlib
import pkgutil

import pytest

from nnfunc.functions import FAMILIES

DIALECTS = [
    "nnfunc.compat.nnabla.functions",
    "nnfunc.compat.tf.nn",
    "nnfunc.compat.keras.ops.nn",
    "nnfunc.compat.samediff.nn",
    "nnfunc.compat.samediff.rnn",
]


def test_families_do_not_share_names():
    owners = collections.defaultdict(list)
    for family in FAMILIES:
        for name in family.__all__:
            owners[name].append(family.__name__)
    assert {n: o for n, o in owners.items() if len(o) > 1} == {}


@pytest.mark.parametrize("package", DIALECTS)
def test_dialect_parts_do_not_share_names(package):
    pkg = importlib.import_module(package)
    owners = collections.defaultdict(list)
    for info in pkgutil.iter_modules(pkg.__path__):
        part = importlib.import_module(f"{package}.{info.name}")
        for name in getattr(part, "__all__", ()):
            owners[name].append(info.name)
    assert {n: o for n, o in owners.items() if len(o) > 1} == {}
