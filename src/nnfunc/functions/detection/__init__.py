"""Object detection (catalog family 27): non-maximum suppression."""

from nnfunc.functions.detection._nms import nms_detection2d

__all__ = ["nms_detection2d"]
