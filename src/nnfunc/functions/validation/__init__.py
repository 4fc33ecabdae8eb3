"""Evaluation and metrics (catalog family 16): top-k, classification errors, confusion, PSNR."""

from nnfunc.functions.validation._metrics import binary_error, psnr
from nnfunc.functions.validation._ranking import confusion_matrix, in_top_k, top_k, top_n_error

__all__ = ["binary_error", "confusion_matrix", "in_top_k", "psnr", "top_k", "top_n_error"]
