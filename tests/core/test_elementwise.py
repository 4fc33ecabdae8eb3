"""The one dtype rule of the element-wise functions of one input (core/elementwise.py).

Every such function accepts bool, integer and floating inputs and raises the same DTypeError,
with the standard message, for strings, objects and complex numbers (issue 10: they used to
raise raw ValueError / UFuncTypeError, or silently drop the imaginary part).
"""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.core.elementwise import Elementwise
from nnfunc.testing import assert_raises_both_modes

UNARY = [
    "abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh", "elu",
    "exp", "floor", "gelu", "hard_sigmoid", "hard_silu", "hard_tanh", "identity",
    "leaky_relu", "log", "log_sigmoid", "log_softmax", "relu", "relu6", "round", "selu",
    "sigmoid", "silu", "sin", "sinc", "sinh", "softmax", "softplus", "softsign", "tan", "tanh",
    "tanh_shrink",
]  # fmt: skip

BAD = {
    "string": np.array(["a", "b"]),
    "object": np.array([1.0, None], dtype=object),
    "complex": np.array([1 + 2j, 0.5j]),
}


@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("fname", UNARY)
def test_bad_dtype_is_one_dtype_error(fname, kind):
    x = BAD[kind]
    # the engine's input gate words complex input as it is: not a real dtype
    wanted = "a real dtype" if x.dtype.kind == "c" else "a numeric dtype"
    message = f"{fname}: `x` must have {wanted}; received x.dtype={x.dtype}."
    assert_raises_both_modes(getattr(nf, fname), (x,), {}, nf.DTypeError, message)


@pytest.mark.parametrize("fname", UNARY)
@pytest.mark.parametrize("dtype", ["bool", "int8", "int64", "uint8"])
def test_integer_and_bool_inputs_work(fname, dtype):
    x = np.array([0, 1, 1], dtype=dtype)
    with np.errstate(all="ignore"):
        y = getattr(nf, fname)(x)
    assert y.shape == x.shape
    assert y.dtype == np.float32 or y.dtype == x.dtype


def test_every_one_input_elementwise_class_derives_from_the_base():
    import nnfunc.functions.activation._sigmoid_tanh_softplus as basic
    import nnfunc.functions.activation._smooth as smooth
    import nnfunc.functions.math._elementwise as mel
    import nnfunc.functions.math._exp_log_matmul as mbasic

    for cls in (basic.Sigmoid, basic.Tanh, basic.Softplus, smooth.ELU, smooth.GELU, mbasic.Exp,
                mbasic.Log, mel.Sin, mel.Abs, mel.Round):  # fmt: skip
        assert issubclass(cls, Elementwise), cls
