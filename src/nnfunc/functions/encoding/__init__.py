"""Encodings of integer labels (catalog family 23)."""

from nnfunc.functions.encoding._one_hot import multi_hot, one_hot

__all__ = ["multi_hot", "one_hot"]
