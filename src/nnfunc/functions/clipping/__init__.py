"""Clipping and gradient control (catalog family 9)."""

from nnfunc.functions.clipping._clip import (
    clip_by_norm,
    clip_by_value,
    clip_grad_by_norm,
    clip_grad_by_value,
    stop_gradient,
    top_k_grad,
)

__all__ = [
    "clip_by_norm",
    "clip_by_value",
    "clip_grad_by_norm",
    "clip_grad_by_value",
    "stop_gradient",
    "top_k_grad",
]
