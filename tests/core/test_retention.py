"""Retention is declared one way: class-level ``retain_in`` / ``retain_out`` (issue 10).

``retain_inputs`` / ``retain_outputs`` set the same attributes on the instance, for the choices
that depend on the input. The old spellings (``_retain_in_idx`` / ``_retain_out_idx``, ``retain=``,
``keep_in`` / ``keep_out``) are gone from the library.
"""

import numpy as np

import nnfunc as nf
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec


class _Square(Function):
    op_name = "square_test"
    retain_in = (0,)

    def setup(self, x):
        return (TensorSpec(tuple(x.shape), np.dtype(x.dtype)),)

    def forward(self, xp, x):
        return (x * x,)

    def backward(self, target_indexes, grad_outputs):
        (x,) = self.retained_inputs()
        return (grad_outputs[0] * (2 * x),)


class _DependsOnInput(_Square):
    retain_in = ()

    def setup(self, x):
        self.retain_inputs(0)
        return super().setup(x)


def _grad(cls):
    x = nf.Variable(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    y = cls().apply1(x)
    (g,) = nf.grad(nf.sum(y), [x])
    return g.data


def test_every_form_retains_the_same_input():
    for cls in (_Square, _DependsOnInput):
        np.testing.assert_array_equal(_grad(cls), [2.0, -4.0, 6.0])


def test_the_library_declares_no_old_form():
    # `import nnfunc` has imported every family, hence every Function class of the library.
    old = [
        cls.__qualname__
        for cls in _subclasses(Function)
        if cls.__module__.startswith("nnfunc.")
        and any(
            name in vars(cls)
            for name in ("retain", "keep_in", "keep_out", "_retain_in_idx", "_retain_out_idx")
        )
    ]
    assert not old, f"declare retention with retain_in / retain_out: {old}"


def _subclasses(cls):
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_subclasses(sub))
    return out
