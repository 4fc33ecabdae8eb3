"""Repository-wide pytest configuration.

Doctests (``--doctest-modules``) start with the names the examples of the dialect entries use,
so that no docstring repeats its imports: ``np`` (NumPy), ``nf`` (nnfunc), ``tf``, ``keras`` and
``samediff`` / ``sd`` (the dialect packages of :mod:`nnfunc.compat`) and ``F``
(``nnfunc.compat.nnabla.functions``, as NNabla's own examples name it). A docstring may still
import what it needs; its imports take precedence.
"""

import numpy as np
import pytest

import nnfunc
import nnfunc.compat.nnabla.functions as nnabla_functions
from nnfunc.compat import keras, samediff, tf


@pytest.fixture(scope="session", autouse=True)
def _doctest_names(doctest_namespace: dict) -> None:
    doctest_namespace.update(
        np=np, nf=nnfunc, tf=tf, keras=keras, samediff=samediff, sd=samediff, F=nnabla_functions
    )
