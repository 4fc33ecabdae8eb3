"""Augmentation checked structurally (a crop is a sub-array, a flip an exact flip, a shift equals
nf.shift with the drawn offset, erased patches have the documented areas and aspect ratios,
image_augmentation at identity returns its input), plus gradients, graph mode and bad input."""

import itertools
import math

import numpy as np
import pytest

import nnfunc as nf
from nnfunc._cli.demo import augment_batch
from nnfunc.testing import FunctionTestCase, assert_raises_both_modes, parametrize_class

RNG = np.random.default_rng(0)
IMG = RNG.standard_normal((6, 2, 7, 9))


# ----------------------------------------------------------------------------- references
# The documented draw order, replayed with NumPy (independent of nnfunc's index maps).
def crop_ref(x, shape, base_axis, seed):
    rng = np.random.default_rng(seed)
    s = math.prod(x.shape[:base_axis])
    first = x.ndim - len(shape)
    offs = [
        rng.integers(0, x.shape[d] - m + 1, size=s) for d, m in zip(range(first, x.ndim), shape)
    ]
    flat = x.reshape((s,) + x.shape[base_axis:])
    out = []
    for i in range(s):
        key = [slice(None)] * (first - base_axis) + [
            slice(o[i], o[i] + m) for o, m in zip(offs, shape)
        ]
        out.append(flat[i][tuple(key)])
    return np.stack(out).reshape(x.shape[:base_axis] + out[0].shape)


def flip_ref(x, axes, base_axis, seed):
    rng = np.random.default_rng(seed)
    s = math.prod(x.shape[:base_axis])
    flips = rng.integers(0, 2, size=(s, len(axes))).astype(bool)
    flat = x.reshape((s,) + x.shape[base_axis:])
    out = np.stack(
        [np.flip(flat[i], [a - base_axis for a, f in zip(axes, flips[i]) if f]) for i in range(s)]
    )
    return out.reshape(x.shape)


@parametrize_class(case=[((3, 5), 1), ((2, 4, 4), 1), ((5,), 2)], dtype=["float32", "float64"])
class TestRandomCrop(FunctionTestCase):
    function = staticmethod(nf.random_crop)

    def inputs(self, rng):
        return (rng.standard_normal((3, 2, 4, 6)).astype(self.dtype),)

    def kwargs(self):
        return {"shape": self.case[0], "base_axis": self.case[1], "seed": 11}

    def expected(self, x):
        return (crop_ref(x, self.case[0], self.case[1], 11),)


@parametrize_class(case=[((3,), 1), ((2, 3), 1), ((1, 3), 1), ((3,), 2)], dtype=["float32"])
class TestRandomFlip(FunctionTestCase):
    function = staticmethod(nf.random_flip)

    def inputs(self, rng):
        return (rng.standard_normal((4, 2, 3, 5)).astype(self.dtype),)

    def kwargs(self):
        return {"axes": self.case[0], "base_axis": self.case[1], "seed": 4}

    def expected(self, x):
        return (flip_ref(x, self.case[0], self.case[1], 4),)


def shift_ref(x, shifts, mode, base_axis, seed):
    rng = np.random.default_rng(seed)
    s = math.prod(x.shape[:base_axis])
    first = x.ndim - len(shifts)
    draws = {first + k: rng.integers(-a, a + 1, size=s) for k, a in enumerate(shifts) if a}
    flat = x.reshape((s,) + x.shape[base_axis:])
    pad = "edge" if mode == "nearest" else "symmetric"
    out = []
    for i in range(s):
        y = flat[i]
        for d, t in draws.items():
            ax = d - base_axis
            n = y.shape[ax]
            p = [(0, 0)] * y.ndim
            p[ax] = (2 * n, 2 * n)
            big = np.pad(y, p, mode=pad)
            y = np.take(big, np.arange(n) - t[i] + 2 * n, axis=ax)
        out.append(y)
    return np.stack(out).reshape(x.shape)


@parametrize_class(
    case=[((2, 3), "nearest"), ((2, 3), "reflect"), ((0, 4), "reflect"), ((1,), "nearest")],
    dtype=["float32"],
)
class TestRandomShift(FunctionTestCase):
    function = staticmethod(nf.random_shift)

    def inputs(self, rng):
        return (rng.standard_normal((5, 2, 3, 4)).astype(self.dtype),)

    def kwargs(self):
        return {"shifts": self.case[0], "border_mode": self.case[1], "seed": 9}

    def expected(self, x):
        return (shift_ref(x, self.case[0], self.case[1], 1, 9),)


# ----------------------------------------------------------------------------- structure
def test_crop_is_a_sub_array_of_its_sample():
    y = nf.random_crop(IMG, (2, 3, 4), seed=None)
    for i in range(IMG.shape[0]):
        hits = [
            (r, c)
            for r in range(7 - 3 + 1)
            for c in range(9 - 4 + 1)
            if np.array_equal(IMG[i, :, r : r + 3, c : c + 4], y[i])
        ]
        assert len(hits) == 1


def test_crop_offsets_cover_every_position():
    x = np.arange(10.0).reshape(1, 10)
    seen = {int(nf.random_crop(x, (3,), seed=s)[0, 0]) for s in range(200)}
    assert seen == set(range(8))


def test_flip_is_an_exact_flip_and_both_outcomes_occur():
    y = nf.random_flip(IMG, (2, 3), seed=None)
    outcomes = set()
    for i in range(IMG.shape[0]):
        found = [
            (a, b)
            for a, b in itertools.product([False, True], repeat=2)
            if np.array_equal(np.flip(IMG[i], [ax for ax, f in ((1, a), (2, b)) if f]), y[i])
        ]
        assert len(found) == 1
        outcomes.add(found[0])
    z = nf.random_flip(np.arange(4.0).reshape(1, 4).repeat(2000, 0), seed=3)
    assert 0.45 < (z[:, 0] == 3).mean() < 0.55


@pytest.mark.parametrize("mode", ["nearest", "reflect"])
def test_shift_equals_nf_shift_with_the_drawn_offset(mode):
    x = np.arange(6 * 5 * 7, dtype=np.float64).reshape(6, 5, 7)
    y = nf.random_shift(x, (2, 3), border_mode=mode, seed=None)
    for i in range(6):
        matches = [
            (a, b)
            for a in range(-2, 3)
            for b in range(-3, 4)
            if np.array_equal(nf.shift(x[i], (a, b), border_mode=mode), y[i])
        ]
        assert len(matches) == 1


def test_shift_gradient_is_scatter_back_through_the_index_map():
    x = nf.Variable(np.arange(8.0).reshape(2, 4), requires_grad=True)
    y = nf.random_shift(x, (2,), seed=0)
    nf.sum(y).backward()
    for i in range(2):
        counts = np.bincount(y.data[i].astype(int) - 4 * i, minlength=4)
        np.testing.assert_array_equal(x.grad[i], counts)


def _boxes(mask):
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return rows, cols


def test_erased_patches_have_documented_areas_and_aspect_ratios():
    h, w = 40, 50
    x = np.zeros((400, 1, h, w), np.float32)
    y = nf.random_erase(
        x,
        prob=1.0,
        area_ratios=(0.05, 0.2),
        aspect_ratios=(0.5, 2.0),
        replacements=(1.0, 2.0),
        seed=0,
    )
    areas, ratios = [], []
    for i in range(400):
        m = y[i, 0] != 0
        rows, cols = _boxes(m)
        he, we = len(rows), len(cols)
        assert m.sum() == he * we  # one filled rectangle
        assert np.all(np.diff(rows) == 1) and np.all(np.diff(cols) == 1)
        assert ((y[i, 0][m] >= 1) & (y[i, 0][m] <= 2)).all()
        if he < h and we < w:  # not clipped
            areas.append(he * we / (h * w))
            ratios.append(he / we)
    areas, ratios = np.array(areas), np.array(ratios)
    assert len(areas) > 300
    assert areas.min() > 0.05 * 0.85 and areas.max() < 0.2 * 1.15
    assert ratios.min() > 0.5 * 0.85 and ratios.max() < 2.0 * 1.15
    assert abs(ratios.mean() - 1.25) < 0.05  # r_e ~ U(0.5, 2), mean 1.25 (not log-uniform)
    assert 0.1 < areas.mean() < 0.15


def test_erase_probability_share_channel_last_and_n():
    x = np.zeros((2000, 3, 10, 10))
    y = nf.random_erase(x, prob=0.3, replacements=(1, 1), seed=1)
    erased = (y != 0).any(axis=(1, 2, 3))
    assert 0.27 < erased.mean() < 0.33
    assert ((y != 0).all(axis=1) | (y == 0).all(axis=1)).all()  # share=True: same box per channel
    y = nf.random_erase(x[:200], prob=1.0, replacements=(1, 1), share=False, seed=2)
    differ = [(y[i, 0] != y[i, 1]).any() for i in range(200)]
    assert np.mean(differ) > 0.9
    z = nf.random_erase(
        np.zeros((50, 10, 12, 3)), prob=1.0, replacements=(1, 1), channel_last=True, seed=3
    )
    assert ((z != 0).all(axis=3) | (z == 0).all(axis=3)).all()
    many = nf.random_erase(
        np.zeros((200, 1, 30, 30)),
        prob=1.0,
        area_ratios=(0.01, 0.02),
        n=5,
        replacements=(1, 1),
        seed=4,
    )
    one = nf.random_erase(
        np.zeros((200, 1, 30, 30)), prob=1.0, area_ratios=(0.01, 0.02), replacements=(1, 1), seed=4
    )
    assert (many != 0).sum() > 3 * (one != 0).sum()


@pytest.mark.parametrize("ste", [True, False])
def test_erase_gradient_fine_grained_or_straight_through(ste):
    x = nf.Variable(RNG.standard_normal((4, 2, 8, 8)), requires_grad=True)
    y = nf.random_erase(x, prob=1.0, seed=5, ste_fine_grained=ste)
    gy = RNG.standard_normal(y.shape)
    nf.sum(y * gy).backward()
    kept = y.data == x.data
    np.testing.assert_array_equal(x.grad, gy * kept if ste else gy)
    g = nf.Graph()
    p = g.placeholder("x", (None, 2, 8, 8), np.float64)
    o = nf.random_erase(p, prob=1.0, seed=5, ste_fine_grained=ste, name="e")
    (gx,) = g.grad(nf.sum(o * gy), [p])
    ov, gv = g.run([o, gx], {"x": x.data})
    np.testing.assert_array_equal(ov, y.data)
    np.testing.assert_array_equal(gv, x.grad)


# ----------------------------------------------------------------------------- image_augmentation
def test_image_augmentation_at_identity_returns_its_input():
    x = RNG.random((3, 3, 11, 13)).astype(np.float32)
    np.testing.assert_array_equal(nf.image_augmentation(x, seed=None), x)
    np.testing.assert_array_equal(nf.image_augmentation(x[0], seed=0), x[0])
    np.testing.assert_array_equal(nf.image_augmentation(x[0, 0], seed=0), x[0, 0])
    y = nf.image_augmentation(
        x.astype(np.float64),
        shape=(3, 11, 13),
        min_scale=1.0,
        max_scale=1.0,
        angle=0.0,
        aspect_ratio=1.0,
        contrast=1.0,
        seed=1,
    )
    np.testing.assert_array_equal(y, x)


def test_image_augmentation_flip_brightness_contrast():
    x = RNG.random((40, 3, 6, 6)).astype(np.float64)
    y = nf.image_augmentation(x, flip_lr=True, flip_ud=True, seed=2)
    kinds = set()
    for i in range(40):
        for a, b in itertools.product([False, True], repeat=2):
            ref = x[i][:, ::-1] if a else x[i]
            ref = ref[:, :, ::-1] if b else ref
            if np.allclose(y[i], ref, atol=1e-12):
                kinds.add((a, b))
                break
        else:
            raise AssertionError(f"image {i} is no flip of its input")
    assert len(kinds) == 4
    y = nf.image_augmentation(x, brightness=0.2, brightness_each=True, seed=3)
    d = (y - x).reshape(40, 3, -1)
    assert np.allclose(d, d[..., :1], atol=1e-12) and np.abs(d).max() <= 0.2
    assert np.ptp(d[:, :, 0], axis=1).max() > 0  # per channel
    y = nf.image_augmentation(x, contrast=2.0, contrast_center=0.5, seed=4)
    k = ((y - 0.5) / (x - 0.5)).reshape(40, -1)
    assert np.allclose(k, k[:, :1], rtol=1e-9)
    assert k.min() >= 0.5 - 1e-9 and k.max() <= 2.0 + 1e-9


def test_image_augmentation_rotation_by_a_full_turn_range_and_scale_shapes():
    x = RNG.random((8, 3, 16, 16)).astype(np.float32)
    y = nf.image_augmentation(
        x,
        shape=(3, 12, 10),
        pad=(2, 2),
        min_scale=0.8,
        max_scale=1.2,
        angle=0.3,
        aspect_ratio=1.2,
        distortion=0.2,
        noise=0.05,
        seed=5,
    )
    assert y.shape == (8, 3, 12, 10) and y.dtype == np.float32
    assert np.isfinite(y).all()
    # a pure transposition-free rotation of a constant image stays constant (border clamped)
    c = np.full((4, 1, 9, 9), 0.25, np.float32)
    np.testing.assert_allclose(
        nf.image_augmentation(c, angle=3.0, min_scale=0.5, seed=6), c, atol=1e-6
    )
    # graph mode, unknown batch, draws at every run unless seeded
    g = nf.Graph()
    p = g.placeholder("x", (None, 3, 16, 16))
    o = nf.image_augmentation(p, angle=0.5, seed=7, name="aug")
    np.testing.assert_array_equal(g.run(o, {"x": x}), nf.image_augmentation(x, angle=0.5, seed=7))


def test_image_augmentation_integer_input_gives_float32():
    x = np.arange(16).reshape(1, 1, 4, 4)
    y = nf.image_augmentation(x, seed=0)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, x)


# ----------------------------------------------------------------------------- bad input
BAD = [
    (
        nf.random_crop,
        {"shape": (3, 8, 10)},
        nf.ShapeError,
        "random_crop: `shape` must not exceed the input's size; received shape=(3, 8, 10), "
        "x.shape=(6, 2, 7, 9).",
    ),
    (
        nf.random_crop,
        {"shape": (1, 1, 1, 1)},
        nf.ShapeError,
        "random_crop: `shape` must have at most 3 entries (the dims after base_axis); received "
        "shape=(1, 1, 1, 1), x.shape=(6, 2, 7, 9).",
    ),
    (
        nf.random_crop,
        {"base_axis": 5},
        nf.ShapeError,
        "random_crop: `base_axis` must be in [0, 4] for an input of rank 4; received base_axis=5.",
    ),
    (
        nf.random_flip,
        {"axes": (4,)},
        nf.ShapeError,
        "random_flip: `axes` must be in [-4, 4) for an input of rank 4; received axes=4.",
    ),
    (
        nf.random_flip,
        {"axes": (0,)},
        nf.ArgumentError,
        "random_flip: `axes` must hold axes >= base_axis (not sample axes); received axes=(0,), "
        "base_axis=1.",
    ),
    (
        nf.random_shift,
        {"border_mode": "wrap"},
        nf.ArgumentError,
        "random_shift: `border_mode` must be one of 'nearest', 'reflect'; received "
        "border_mode='wrap'.",
    ),
    (
        nf.random_shift,
        {"shifts": (1, 0, 0, 0)},
        nf.ArgumentError,
        "random_shift: `shifts` must be 0 on the sample dims (before base_axis); received "
        "shifts=(1, 0, 0, 0).",
    ),
    (
        nf.random_shift,
        {"shifts": (-1,)},
        nf.ArgumentError,
        "random_shift: `shifts` must be at most 4 non-negative ints; received shifts=(-1,).",
    ),
    (
        nf.random_erase,
        {"prob": 1.5},
        nf.ArgumentError,
        "random_erase: `prob` must be in [0, 1]; received prob=1.5.",
    ),
    (
        nf.random_erase,
        {"aspect_ratios": (0.0, 2.0)},
        nf.ArgumentError,
        "random_erase: `aspect_ratios` must be a pair 0 < low <= high; received "
        "aspect_ratios=(0.0, 2.0).",
    ),
    (
        nf.random_erase,
        {"area_ratios": (0.5, 0.1)},
        nf.ArgumentError,
        "random_erase: `area_ratios` must be a pair low <= high; received area_ratios=(0.5, 0.1).",
    ),
    (
        nf.random_erase,
        {"n": 0},
        nf.ArgumentError,
        "random_erase: `n` must be positive; received n=0.",
    ),
    (
        nf.random_erase,
        {"share": "yes"},
        nf.ArgumentError,
        "random_erase: `share` must be a bool; received share='yes'.",
    ),
    (
        nf.image_augmentation,
        {"min_scale": 0.0},
        nf.ArgumentError,
        "image_augmentation: `min_scale` must be in (0, inf); received min_scale=0.0.",
    ),
    (
        nf.image_augmentation,
        {"pad": (1,)},
        nf.ArgumentError,
        "image_augmentation: `pad` must be two non-negative ints; received pad=(1,).",
    ),
    (
        nf.image_augmentation,
        {"shape": (3, 5, 5)},
        nf.ShapeError,
        "image_augmentation: `shape` must keep the dims before (H, W) of `x`; received "
        "shape=(3, 5, 5), x.shape=(6, 2, 7, 9).",
    ),
    (
        nf.image_augmentation,
        {"noise": -0.1},
        nf.ArgumentError,
        "image_augmentation: `noise` must be in [0, inf); received noise=-0.1.",
    ),
]


@pytest.mark.parametrize("fn, kwargs, exc, message", BAD)
def test_bad_arguments(fn, kwargs, exc, message):
    assert_raises_both_modes(fn, (IMG,), kwargs, exc, message)


# ----------------------------------------------------------------------------- the demo's option
def test_demo_augment_batch_shifts_by_at_most_one_pixel_and_flips():
    x = np.arange(4 * 64, dtype=np.float32).reshape(4, 64)
    y = augment_batch(x, "shift", seed=3)
    np.testing.assert_array_equal(y, augment_batch(x, "shift", seed=3))
    for i in range(4):
        img = x[i].reshape(8, 8)
        assert any(
            np.array_equal(nf.shift(img, (a, b)), y[i].reshape(8, 8))
            for a in (-1, 0, 1)
            for b in (-1, 0, 1)
        )
    z = augment_batch(x, "flip", seed=0)
    for i in range(4):
        img = x[i].reshape(8, 8)
        assert np.array_equal(z[i].reshape(8, 8), img) or np.array_equal(
            z[i].reshape(8, 8), img[:, ::-1]
        )
