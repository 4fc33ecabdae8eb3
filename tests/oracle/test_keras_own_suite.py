"""Keras 3's own ``NNOpsCorrectnessTest`` run against the nnfunc Keras dialect.

Keras ships ``keras/src/ops/nn_test.py`` in its wheel. Its correctness tests call the ops through
the module attribute ``knn``; here that attribute is replaced, for the duration of each test, by a
shim whose attributes are the ``nnfunc.compat.keras.ops`` functions (and Keras's own function for
any name the dialect does not document). Keras's expectations are then checked against nnfunc.

The deliberate differences are listed in ``DIFFERENCES`` below, each naming its reason in
``_differences.DOCUMENTED`` (with the docstrings that state it); those tests run as expected
failures (an unexpected pass fails the run), never as silent skips.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import types
import unittest

import pytest

os.environ.setdefault("KERAS_BACKEND", "numpy")
pytest.importorskip("jax", reason="Keras's NumPy backend imports jax")
keras = pytest.importorskip("keras", reason="Keras 3 is not installed (pip install keras)")
if keras.backend.backend() != "numpy":  # pragma: no cover - depends on the environment
    pytest.skip("Keras's own suite is run with KERAS_BACKEND=numpy", allow_module_level=True)
nn_test = pytest.importorskip(
    "keras.src.ops.nn_test", reason="this Keras wheel does not ship keras/src/ops/nn_test.py"
)
from keras.src.ops import nn as keras_nn  # noqa: E402

from nnfunc.compat.keras import ops as nf_ops  # noqa: E402
from nnfunc.compat.tf import SparseTensor  # noqa: E402

pytestmark = pytest.mark.oracle

_spec = importlib.util.spec_from_file_location(
    "oracle_differences", pathlib.Path(__file__).with_name("_differences.py")
)
_differences = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_differences)
DOCUMENTED = _differences.DOCUMENTED


def _shim() -> types.ModuleType:
    """A stand-in for ``keras.src.ops.nn``: nnfunc where documented, Keras otherwise."""
    shim = types.ModuleType("nnfunc_keras_shim")
    for name in dir(keras_nn):
        if not name.startswith("_"):
            setattr(shim, name, getattr(keras_nn, name))
    for name in nf_ops.__all__:
        if name != "nn":
            setattr(shim, name, getattr(nf_ops, name))
    return shim


SHIM = _shim()
#: Names Keras's suite reaches through ``knn`` that nnfunc provides (the rest fall back to Keras).
NNFUNC_NAMES = frozenset(n for n in nf_ops.__all__ if n != "nn")

#: The deliberate differences: Keras test name -> key of ``_differences.DOCUMENTED`` (the one
#: place for the reasons and the docstrings that state them). These tests run as expected
#: failures (``unittest.expectedFailure``): they must fail, and would fail the run the day they
#: pass.
DIFFERENCES: dict[str, str] = {"test_hard_sigmoid": "keras_hard_sigmoid"}


class TestKerasNNOpsCorrectness(nn_test.NNOpsCorrectnessTest):
    """Keras's correctness tests, ``knn`` pointing at the shim.

    Keras skips the ``sparse=True`` variants of ``one_hot``/``multi_hot`` on its NumPy backend
    (no sparse type there); nnfunc has one (``nnfunc.compat.tf.SparseTensor``), so they run here
    with the backend flag raised, ``assertSparse`` checking for that type and the comparisons
    densifying it.
    """

    def setUp(self):
        super().setUp()
        self._saved = nn_test.knn, nn_test.backend.SUPPORTS_SPARSE_TENSORS
        nn_test.knn = SHIM
        nn_test.backend.SUPPORTS_SPARSE_TENSORS = True

    def tearDown(self):
        nn_test.knn, nn_test.backend.SUPPORTS_SPARSE_TENSORS = self._saved
        super().tearDown()

    def assertSparse(self, x, sparse=True):
        if sparse:
            self.assertIsInstance(x, SparseTensor)
        else:
            self.assertNotIsInstance(x, SparseTensor)

    def convert_to_numpy(self, x):
        if isinstance(x, SparseTensor):
            return x.to_dense()
        return super().convert_to_numpy(x)


def _mark_differences(cls: type) -> None:
    for test in DIFFERENCES:
        setattr(cls, test, unittest.expectedFailure(getattr(cls, test)))


_mark_differences(TestKerasNNOpsCorrectness)


def test_the_shim_routes_the_dialect_to_nnfunc():
    # Keras's suite must reach nnfunc for every documented name, Keras only for the others.
    assert len(NNFUNC_NAMES) >= 30
    for name in NNFUNC_NAMES:
        assert getattr(SHIM, name) is getattr(nf_ops, name)
    keras_only = sorted(n for n in dir(keras_nn) if not n.startswith("_") and n not in NNFUNC_NAMES)
    assert keras_only, "Keras documents nothing beyond nnfunc's dialect any more"
    for name in keras_only:
        assert getattr(SHIM, name) is getattr(keras_nn, name), name


def test_every_documented_keras_difference_is_listed():
    """DOCUMENTED (the reasons, with their docstrings) and DIFFERENCES (the tests) agree."""
    want = {k for k, v in DOCUMENTED.items() if v.system == "Keras"}
    assert set(DIFFERENCES.values()) == want
