"""Keras 3's own ``NNOpsCorrectnessTest`` run against the nnfunc Keras dialect.

Keras ships ``keras/src/ops/nn_test.py`` in its wheel. Its correctness tests call the ops through
the module attribute ``knn``; here that attribute is replaced, for the duration of each test, by a
shim whose attributes are the ``nnfunc.compat.keras.ops`` functions (and Keras's own function for
any name the dialect does not document). Keras's expectations are then checked against nnfunc.

The deliberate differences are listed once, in ``DIFFERENCES`` below, each with its reason; those
tests run as expected failures (an unexpected pass fails the run), never as silent skips.
"""

from __future__ import annotations

import os
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

#: The deliberate differences, in one place: Keras test name -> reason. These tests run as
#: expected failures (``unittest.expectedFailure``): they must fail, and would fail the run the
#: day they pass.
DIFFERENCES: dict[str, str] = {
    "test_hard_sigmoid": (
        "Keras 3 computes relu6(x + 3) / 6 (slope 1/6); the Keras page documents and prints "
        "0.2 * x + 0.5, which the catalog DECISION keeps for keras.ops.hard_sigmoid (Keras's "
        "own formula is nnfunc.hard_sigmoid(x, 1/6, 0.5))."
    ),
}


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
