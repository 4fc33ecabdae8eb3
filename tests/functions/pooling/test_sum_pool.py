import importlib.util
import pathlib

import numpy as np

import nnfunc as nf
from nnfunc.testing import assert_raises_both_modes, parametrize_class

_spec = importlib.util.spec_from_file_location(
    "max_pool_reference", pathlib.Path(__file__).with_name("test_max_pool.py")
)
_ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ref)


@parametrize_class(case=_ref.CASES[:6], dtype=["float32"])
class TestSumPool(_ref.PoolCase):
    function = staticmethod(nf.sum_pool)
    mode = "sum"


@parametrize_class(case=_ref.CASES[1:2], dtype=["int32", "float16"])
class TestSumPoolDtypes(TestSumPool):
    def inputs(self, rng):
        (x,) = super().inputs(rng)
        return ((x * 50).astype(self.dtype),) if self.dtype == "int32" else (x,)


def test_sum_pool_error():
    assert_raises_both_modes(
        nf.sum_pool,
        (np.zeros((1, 2, 4, 4)),),
        {"kernel": (2, 2), "stride": 0},
        nf.ArgumentError,
        "sum_pool: `stride` must be positive in every dimension; received stride=0.",
    )
