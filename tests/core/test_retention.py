"""Retention is declared one way: class-level ``retain_in`` / ``retain_out`` (issue 10).

``retain_inputs`` / ``retain_outputs`` set the same attributes on the instance, for the choices
that depend on the input. The old spelling ``_retain_in_idx`` / ``_retain_out_idx`` is still
honoured (a bridge for branches written before the rename) and must keep meaning the same thing.
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


class _OldSpelling(_Square):
    retain_in = ()
    _retain_in_idx = (0,)  # the deprecated class-level form


class _DependsOnInput(_Square):
    retain_in = ()

    def setup(self, x):
        self.retain_inputs(0)
        return super().setup(x)


class _OldInstanceWrite(_Square):
    retain_in = ()

    def setup(self, x):
        self._retain_in_idx = (0,)  # the deprecated instance form
        return super().setup(x)


def _grad(cls):
    x = nf.Variable(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    y = cls().apply1(x)
    (g,) = nf.grad(nf.sum(y), [x])
    return g.data


def test_every_form_retains_the_same_input():
    for cls in (_Square, _OldSpelling, _DependsOnInput, _OldInstanceWrite):
        np.testing.assert_array_equal(_grad(cls), [2.0, -4.0, 6.0])


def test_old_spelling_becomes_the_class_attribute():
    assert _OldSpelling.retain_in == (0,)
    assert "_retain_in_idx" not in _OldSpelling.__dict__
    f = _OldInstanceWrite()
    f._retain_in_idx = (0,)
    assert f.retain_in == (0,) and f._retain_in_idx == (0,)


def test_the_library_declares_no_old_form():
    # `import nnfunc` has imported every family, hence every Function class of the library.
    old = [
        cls.__qualname__
        for cls in _subclasses(Function)
        if cls.__module__.startswith("nnfunc.")
        and "normalization" not in cls.__module__
        and "stochastic" not in cls.__module__
        and any(name in vars(cls) for name in ("retain", "keep_in", "keep_out"))
    ]
    assert not old, f"declare retention with retain_in / retain_out: {old}"


def _subclasses(cls):
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_subclasses(sub))
    return out
