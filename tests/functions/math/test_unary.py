"""The one-input element-wise math functions, generated from one table (issue 10, point 9).

Each row gives the function, an independent float64 NumPy reference, the interval its floating
inputs are drawn from (inside the domain, away from the poles), and the integer inputs that
stay in the domain. For each row this module defines the standard ``FunctionTestCase`` classes
(``Test<Name>`` over shapes and floating dtypes, ``Test<Name>IntegerPromotes``: integer and bool
inputs give float32) and the bad-input test (a string array: DTypeError with the standard
message, in eager and graph mode).
"""

from typing import Any, NamedTuple

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


class Unary(NamedTuple):
    name: str
    reference: Any  # float64 array -> float64 array, written without the function under test
    low: float
    high: float
    int_dtypes: tuple[str, ...] = ("int32", "int64", "bool")
    int_low: int = -3
    int_high: int = 4  # exclusive


UNARY = [
    Unary("sin", np.sin, -3, 3),
    Unary("cos", np.cos, -3, 3),
    Unary("tan", lambda x: np.sin(x) / np.cos(x), -1.2, 1.2, int_low=-1, int_high=2),
    Unary("sinh", lambda x: (np.exp(x) - np.exp(-x)) / 2, -2, 2, int_low=-2, int_high=3),
    Unary("cosh", lambda x: (np.exp(x) + np.exp(-x)) / 2, -2, 2, int_low=-2, int_high=3),
    Unary(
        "asin",
        lambda x: np.arctan2(x, np.sqrt(1 - x * x)),
        -0.9,
        0.9,
        ("int32", "bool"),
        0,
        1,
    ),
    Unary(
        "acos",
        lambda x: np.pi / 2 - np.arctan2(x, np.sqrt(1 - x * x)),
        -0.9,
        0.9,
        ("int32", "bool"),
        0,
        1,
    ),
    Unary("atan", np.arctan, -3, 3),
    Unary("asinh", lambda x: np.log(x + np.sqrt(x * x + 1)), -3, 3),
    Unary("acosh", lambda x: np.log(x + np.sqrt(x * x - 1)), 1.2, 3, ("int32", "int64"), 1, 4),
    Unary(
        "atanh",
        lambda x: 0.5 * np.log((1 + x) / (1 - x)),
        -0.9,
        0.9,
        ("int32", "bool"),
        0,
        1,
    ),
    Unary("exp", lambda x: np.e**x, -3, 3),
    Unary("log", np.log, 0.2, 4, ("int32", "int64"), 1, 5),
]


def _classes(u: Unary) -> tuple[type, type]:
    function = staticmethod(getattr(nf, u.name))

    def ref(x: np.ndarray) -> np.ndarray:
        return u.reference(x.astype(np.float64))

    @parametrize_class(shape=[(), (5,), (2, 3, 4)], dtype=["float16", "float32", "float64"])
    class Values(FunctionTestCase):
        def inputs(self, rng):
            return (rng.uniform(u.low, u.high, self.shape).astype(self.dtype),)

        def expected(self, x):
            return (ref(x).astype(x.dtype),)

    @parametrize_class(dtype=list(u.int_dtypes))
    class IntegerPromotes(FunctionTestCase):
        def inputs(self, rng):
            return (rng.integers(u.int_low, u.int_high, (3, 4)).astype(self.dtype),)

        def expected(self, x):
            return (ref(x).astype(np.float32),)

    Values.function = IntegerPromotes.function = function
    return Values, IntegerPromotes


for _u in UNARY:
    _title = _u.name.capitalize()
    _values, _ints = _classes(_u)
    for _cls, _suffix in ((_values, ""), (_ints, "IntegerPromotes")):
        _cls.__name__ = _cls.__qualname__ = f"Test{_title}{_suffix}"
        globals()[_cls.__name__] = _cls
del _u, _title, _values, _ints, _cls, _suffix


@pytest.mark.parametrize("u", UNARY, ids=[u.name for u in UNARY])
def test_errors(u):
    message = f"{u.name}: `x` must have a numeric dtype; received x.dtype=<U1."
    assert_raises_both_modes(
        getattr(nf, u.name), (np.array(["a", "b"]),), {}, nf.DTypeError, message
    )
