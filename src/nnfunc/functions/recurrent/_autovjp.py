"""AutoVJP: the gradient of a composite as ONE Function, differentiable to any order.

The recurrent layers are single Functions whose forward runs the whole time loop. Their first
derivative is a fused reverse loop (a gradient Function); its own derivative, needed only for
double backward, is the derivative of the *unrolled composite* (the same recurrence written with
nnfunc cell functions, one node per step), computed inside the forward of an :class:`AutoVJP`
node on fresh leaves with the eager tape. That node's backward is again an :class:`AutoVJP`, of
the vector-Jacobian product itself, so every order is right; the graph the user sees holds one
node per derivative order, whatever the number of time steps.

It runs in graph mode too: a graph node's forward receives concrete arrays at ``Graph.run``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nnfunc.core.autograd import enable_grad, grad
from nnfunc.core.function import Function
from nnfunc.core.spec import TensorSpec
from nnfunc.core.variable import Variable

__all__ = ["AutoVJP", "vjp_of"]


def vjp_of(fn: Callable[..., tuple[Any, ...]], n_in: int, diff: Sequence[int]) -> Callable:
    """``(*inputs, *gys) -> gradients of fn's outputs (weighted by gys) w.r.t. inputs[diff]``.

    Built with ``grad(create_graph=True)``, so the result is differentiable again.
    """
    return _VJPOf(fn, n_in, tuple(diff))


class _VJPOf:
    """The callable :func:`vjp_of` returns: an object holding plain data (``fn`` is a layer's
    bound ``composite`` or another ``_VJPOf``), not a closure, so that a graph holding a
    second-order :class:`AutoVJP` node can be saved (:mod:`nnfunc.core.serialize`)."""

    def __init__(self, fn: Callable[..., tuple[Any, ...]], n_in: int, diff: tuple) -> None:
        self.fn = fn
        self.n_in = n_in
        self.diff = diff

    def __call__(self, *args: Any) -> tuple[Any, ...]:
        ins, gys = args[: self.n_in], args[self.n_in :]
        outs = self.fn(*ins)
        xs = [ins[i] for i in self.diff]
        pairs = [
            (o, g)
            for o, g in zip(outs, gys, strict=True)
            if isinstance(o, Variable) and o.requires_grad and g is not None
        ]
        if not pairs:
            return tuple(Variable(np.zeros(x.shape, x.dtype)) for x in xs)
        return tuple(
            grad([o for o, _ in pairs], xs, grad_outputs=[g for _, g in pairs], create_graph=True)
        )


class AutoVJP(Function):
    """``sum_k gy_k * d fn_k / d inputs[diff]`` of a composite ``fn``, as one node.

    Inputs: ``(*inputs, *gys)``, one ``gy`` per output of ``fn``; outputs: one gradient per index
    in ``diff`` (each with its input's shape and dtype).
    """

    op_name = "recurrent_grad"

    def __init__(
        self, fn: Callable[..., tuple[Any, ...]], n_in: int, diff: Sequence[int], op: str = ""
    ) -> None:
        self.fn = fn
        self.n_in = n_in
        self.diff = tuple(diff)
        if op:
            self.op_name = f"{op}_grad"

    def setup(self, *specs: Any) -> tuple[TensorSpec, ...]:
        self.retain_inputs(*range(len(specs)))
        return tuple(TensorSpec(tuple(specs[i].shape), np.dtype(specs[i].dtype)) for i in self.diff)

    def forward(self, xp: Any, *arrays: Any) -> tuple[Any, ...]:
        return self.vjp_arrays(xp, arrays)

    def vjp_arrays(self, xp: Any, arrays: Sequence[Any]) -> tuple[Any, ...]:
        """The outputs by autograd through ``fn`` on fresh leaves (the generic, slow path)."""
        leaves = list(arrays)
        # every floating input a leaf that requires a gradient: a nested vjp (a second-order
        # node) differentiates its own first-order inputs, which need not be in self.diff
        for i in range(self.n_in):
            a = arrays[i]
            if a is not None and (i in self.diff or np.dtype(a.dtype).kind == "f"):
                leaves[i] = Variable(a, requires_grad=True)
        for k in range(self.n_in, len(arrays)):
            if arrays[k] is not None:
                leaves[k] = Variable(arrays[k])
        with enable_grad():
            out = vjp_of(self.fn, self.n_in, self.diff)(*leaves)
        return tuple(
            xp.asarray(g.data, dtype=arrays[i].dtype) for g, i in zip(out, self.diff, strict=True)
        )

    def backward(self, target_indexes: Any, grad_outputs: Any) -> tuple[Any, ...]:
        ins = self.retained_inputs()
        n = len(ins)
        diff2 = tuple(
            i
            for i in target_indexes
            if ins[i] is not None and np.dtype(self.input_spec(i).dtype).kind == "f"
        )
        out: list[Any] = [None] * n
        if not diff2:
            return tuple(out)
        fn2 = vjp_of(self.fn, self.n_in, self.diff)
        gs = AutoVJP(fn2, n, diff2, self.op_name).apply(*ins, *grad_outputs)
        for i, g in zip(diff2, gs, strict=True):
            out[i] = g
        return tuple(out)
