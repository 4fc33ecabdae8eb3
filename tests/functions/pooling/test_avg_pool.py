import importlib.util
import pathlib

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import assert_raises_both_modes, parametrize_class

_spec = importlib.util.spec_from_file_location(
    "max_pool_reference", pathlib.Path(__file__).with_name("test_max_pool.py")
)
_ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ref)
CASES, PoolCase = _ref.CASES, _ref.PoolCase


@parametrize_class(case=CASES, dtype=["float32"], including_pad=[True, False])
class TestAvgPool(PoolCase):
    function = staticmethod(nf.avg_pool)

    @property
    def mode(self):
        return "avg_incl" if self.including_pad else "avg_excl"

    def kwargs(self):
        return {**super().kwargs(), "including_pad": self.including_pad}


@parametrize_class(case=CASES[1:3], dtype=["float16", "float64", "int64"], including_pad=[True])
class TestAvgPoolDtypes(TestAvgPool):
    def inputs(self, rng):
        (x,) = super().inputs(rng)
        return ((x * 50).astype(self.dtype),) if self.dtype == "int64" else (x,)

    def out_dtype(self, x):
        return np.float32 if x.dtype.kind == "i" else x.dtype


def test_avg_pool_nnabla_border_divisor():
    # NNabla: window clipped to the padded input when including_pad=True
    x = np.ones((1, 1, 3, 3))
    y = nf.avg_pool(x, (2, 2), pad=(1, 1), ignore_border=False)
    assert y.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(y, [[[[0.25, 0.5], [0.5, 1.0]]]])
    y = nf.avg_pool(x, (2, 2), pad=(1, 1), ignore_border=False, including_pad=False)
    np.testing.assert_allclose(y, np.ones((1, 1, 2, 2)))


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        (
            {"kernel": (2, 2), "including_pad": 1},
            nf.ArgumentError,
            "avg_pool: `including_pad` must be a bool; received including_pad=1.",
        ),
        (
            {"kernel": (2, 2), "ignore_border": "no"},
            nf.ArgumentError,
            "avg_pool: `ignore_border` must be a bool; received ignore_border='no'.",
        ),
        (
            {"kernel": (3, 7), "pad": 1},
            nf.ShapeError,
            "avg_pool: output size must be positive in spatial dim 1; received input=4, "
            "kernel=7, pad=1, stride=7.",
        ),
    ],
)
def test_avg_pool_errors(kwargs, exc, message):
    assert_raises_both_modes(nf.avg_pool, (np.zeros((1, 2, 4, 4)),), kwargs, exc, message)
