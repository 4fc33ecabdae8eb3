"""nms_detection2d against a brute-force reference written from NNabla's description."""

import numpy as np
import pytest

import nnfunc as nf
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class


def iou(a, b):
    """IoU of two centre-format boxes, one pair at a time."""
    w = min(a[0] + a[2] / 2, b[0] + b[2] / 2) - max(a[0] - a[2] / 2, b[0] - b[2] / 2)
    h = min(a[1] + a[3] / 2, b[1] + b[3] / 2) - max(a[1] - a[3] / 2, b[1] - b[3] / 2)
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / (a[2] * a[3] + b[2] * b[3] - w * h)


def nms_ref(x, thresh=0.5, nms=0.45, per_class=True):
    x = x.astype(np.float64)
    y = x.copy()
    bsz, n, d = x.shape
    for b in range(bsz):
        for i in range(n):
            o = x[b, i, 4] if x[b, i, 4] >= thresh else 0.0
            y[b, i, 4] = o
            for k in range(5, d):
                p = o * x[b, i, k]
                y[b, i, k] = p if p >= thresh else 0.0
        if per_class:
            for k in range(5, d):
                order = sorted(range(n), key=lambda i: (-y[b, i, k], i))
                for r, i in enumerate(order):
                    if y[b, i, k] == 0:
                        continue
                    for j in order[r + 1 :]:
                        if y[b, j, k] != 0 and iou(x[b, i], x[b, j]) > nms:
                            y[b, j, k] = 0.0
        else:
            order = sorted(range(n), key=lambda i: (-y[b, i, 4], i))
            dead = []
            for r, i in enumerate(order):
                if y[b, i, 4] == 0:
                    continue
                if any(iou(x[b, i], x[b, j]) > nms for j in order[:r]):
                    dead.append(i)
            for i in dead:
                y[b, i, 4:] = 0.0
    return y


def detections(rng, b, n, c, dtype):
    x = np.empty((b, n, 5 + c))
    x[..., :2] = rng.uniform(0.2, 0.8, (b, n, 2))
    x[..., 2:4] = rng.uniform(0.05, 0.4, (b, n, 2))
    x[..., 4] = rng.uniform(0.3, 1.0, (b, n))
    x[..., 5:] = rng.dirichlet(np.ones(c), (b, n))
    return x.astype(dtype)


@parametrize_class(
    per_class=[True, False], thresh=[0.1, 0.5], dtype=["float32", "float64"], size=[(2, 30, 3)]
)
class TestNms(FunctionTestCase):
    function = staticmethod(nf.nms_detection2d)
    differentiable = False

    def inputs(self, rng):
        return (detections(rng, *self.size, self.dtype),)

    def kwargs(self):
        return {"thresh": self.thresh, "nms": 0.3, "nms_per_class": self.per_class}

    def expected(self, x):
        return (nms_ref(x, self.thresh, 0.3, self.per_class).astype(x.dtype),)


@pytest.mark.parametrize("per_class", [True, False])
def test_many_boxes_match_brute_force(per_class):
    x = detections(np.random.default_rng(3), 1, 150, 2, np.float64)
    np.testing.assert_array_equal(
        nf.nms_detection2d(x, 0.05, 0.2, per_class), nms_ref(x, 0.05, 0.2, per_class)
    )


def test_iou_threshold_is_strict_and_ties_go_to_the_lower_index():
    box = [0.5, 0.5, 0.2, 0.2]
    x = np.array([[box + [0.9, 1.0], box + [0.9, 1.0], [0.5, 0.6, 0.2, 0.2, 0.8, 1.0]]])
    y = nf.nms_detection2d(x, 0.5, 0.45)
    np.testing.assert_array_equal(y[0, :, 5], [0.9, 0.0, 0.8])  # IoU 1/3 < 0.45 keeps box 2
    y = nf.nms_detection2d(x, 0.5, 1 / 3)  # IoU == 1/3 is not > 1/3
    assert y[0, 2, 5] == 0.8
    y = nf.nms_detection2d(x, 0.5, 0.3)
    np.testing.assert_array_equal(y[0, :, 5], [0.9, 0.0, 0.0])


def test_objectness_mode_counts_suppressed_boxes_too():
    # box 0 suppresses box 1; box 1 (suppressed) still suppresses box 2, as NNabla's kernel does
    x = np.array(
        [
            [
                [0.3, 0.5, 0.2, 0.2, 0.9, 1.0],
                [0.4, 0.5, 0.2, 0.2, 0.8, 1.0],
                [0.5, 0.5, 0.2, 0.2, 0.7, 1.0],
            ]
        ]
    )
    y = nf.nms_detection2d(x, 0.5, 0.3, nms_per_class=False)
    np.testing.assert_allclose(y[0, :, 4], [0.9, 0.0, 0.0])
    y = nf.nms_detection2d(x, 0.5, 0.3, nms_per_class=True)  # greedy per class keeps box 2
    np.testing.assert_allclose(y[0, :, 5], [0.9, 0.0, 0.7])


def test_empty_candidates_and_graph_unknown_batch():
    x = np.zeros((2, 0, 7))
    assert nf.nms_detection2d(x).shape == (2, 0, 7)
    g = nf.Graph()
    p = g.placeholder("x", (None, 5, 6), np.float32)
    y = nf.nms_detection2d(p, name="nms")
    xv = detections(np.random.default_rng(0), 3, 5, 1, np.float32)
    np.testing.assert_array_equal(g.run(y, {"x": xv}), nf.nms_detection2d(xv))


@pytest.mark.parametrize(
    "x, kwargs, exc, message",
    [
        (
            np.zeros((2, 4, 5)),
            {},
            nf.ShapeError,
            "nms_detection2d: `x` must have a last dimension >= 6 (x, y, w, h, objectness and "
            ">= 1 class); received x.shape=(2, 4, 5).",
        ),
        (
            np.zeros((4, 6)),
            {},
            nf.ShapeError,
            "nms_detection2d: `x` must have rank 3; received x.shape=(4, 6).",
        ),
        (
            np.zeros((1, 4, 6)),
            {"nms": float("inf")},
            nf.ArgumentError,
            "nms_detection2d: `nms` must be finite; received nms=inf.",
        ),
        (
            np.zeros((1, 4, 6)),
            {"nms_per_class": 1},
            nf.ArgumentError,
            "nms_detection2d: `nms_per_class` must be a bool; received nms_per_class=1.",
        ),
    ],
)
def test_bad_input(x, kwargs, exc, message):
    assert_raises_both_modes(nf.nms_detection2d, (x,), kwargs, exc, message)
