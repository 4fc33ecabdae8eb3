"""nnabla.functions signal and quantized-layer entries: signatures, layouts, in-place updates."""

import ast
import csv
import inspect
from pathlib import Path

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as F

MINE = {
    "interpolate",
    "fft",
    "ifft",
    "stft",
    "istft",
    "binary_sigmoid",
    "binary_tanh",
    "binary_connect_affine",
    "binary_connect_convolution",
    "binary_weight_affine",
    "binary_weight_convolution",
    "fixed_point_quantize",
    "min_max_quantize",
    "pow2_quantize",
    "prune",
    "inq_affine",
    "inq_convolution",
}


def catalog_signatures():
    path = Path(nf.__file__).parent / "_data" / "functions.tsv"
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["framework"] == "nnabla" and r["name_in_seed"] in MINE:
                call = ast.parse(r["signature"].replace("nnabla.functions.", ""), mode="eval").body
                names = [a.id for a in call.args] + [k.arg for k in call.keywords]
                defaults = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
                yield r["name_in_seed"], names, defaults


SIGS = list(catalog_signatures())


def test_every_row_is_checked():
    assert {s[0] for s in SIGS} == MINE


@pytest.mark.parametrize("name, names, defaults", SIGS, ids=[s[0] for s in SIGS])
def test_signature_matches_the_page(name, names, defaults):
    params = inspect.signature(getattr(F, name)).parameters
    positional = [n for n, p in params.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == names
    for k, v in defaults.items():
        assert params[k].default == v, k
    assert params["name"].kind is inspect.Parameter.KEYWORD_ONLY


def test_page_example_fft_ifft_round_trip_and_interpolate_shapes():
    x_data = np.random.rand(2, 4, 3) + 1j * np.random.rand(2, 4, 3)
    x = np.stack([np.real(x_data), np.imag(x_data)], axis=3)
    z = F.ifft(F.fft(x, signal_ndim=2, normalized=True), signal_ndim=2, normalized=True)
    assert np.allclose(z[..., 0] + 1j * z[..., 1], x_data)
    g = nf.Graph()
    xs = g.placeholder("x", (64, 3, 224, 224), np.float32)
    assert F.interpolate(xs, scale=(2, 2), mode="linear").shape == (64, 3, 448, 448)
    assert F.interpolate(xs, output_size=(320, 257), mode="linear").shape == (64, 3, 320, 257)


def test_stft_returns_real_and_imaginary_parts_and_istft_inverts():
    x = np.random.default_rng(0).standard_normal((2, 256))
    y_r, y_i = F.stft(x, 64, 16, 64)
    assert y_r.shape == y_i.shape == (2, 33, 17)
    z = F.istft(y_r, y_i, 64, 16, 64)
    np.testing.assert_allclose(z[:, 48:-48], x[:, 48:-48], atol=1e-12)


def test_convolutions_flatten_the_axes_before_base_axis():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 9))  # two sample axes, C=4
    w = rng.standard_normal((5, 4, 3))
    wb, alpha = np.zeros_like(w), np.zeros(5)
    y = F.binary_weight_convolution(x, w, wb, alpha, base_axis=2, pad=(1,), stride=(2,))
    ref = F.binary_weight_convolution(
        x.reshape(6, 4, 9), w, np.zeros_like(w), np.zeros(5), pad=(1,), stride=(2,)
    )
    assert y.shape == (2, 3, 5, 5)
    np.testing.assert_allclose(y.reshape(6, 5, 5), ref)
    np.testing.assert_array_equal(wb, np.where(w > 0, 1.0, -1.0))
    np.testing.assert_allclose(alpha, np.abs(w).reshape(5, -1).mean(axis=1))
    wb2 = np.zeros_like(w)
    y2 = F.binary_connect_convolution(x, w, wb2, base_axis=2)
    assert y2.shape == (2, 3, 5, 7)
    ind = np.ones_like(w)
    y3 = F.inq_convolution(x, w.copy(), ind, base_axis=2, group=1)
    assert y3.shape == (2, 3, 5, 7)


def test_affine_entries_default_to_base_axis_1_and_update_in_place():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 2))
    w = rng.standard_normal((6, 4))
    wb = np.zeros_like(w)
    y = F.binary_connect_affine(x, w, wb)
    np.testing.assert_allclose(y, x.reshape(2, 6) @ np.where(w > 0, 1.0, -1.0))
    ind = np.zeros_like(w)
    wq = w.copy()
    F.inq_affine(x, wq, ind, inq_iterations=(0,), num_bits=5, seed=-1)
    assert ind.all()
    lo, hi = np.zeros((1, 1, 1)), np.zeros((1, 1, 1))
    F.min_max_quantize(x, lo, hi, np.zeros((1, 1, 1)), np.full((1, 1, 1), 255.0), x_min_max=True)
    assert (lo.item(), hi.item()) == (x.min(), x.max())


def test_quantizer_defaults_follow_the_page():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_array_equal(
        F.fixed_point_quantize(x), nf.fixed_point_quantize(x, sign=True, n=8, delta=0.0625)
    )
    np.testing.assert_array_equal(F.pow2_quantize(x), nf.pow2_quantize(x, n=8, m=1))
    np.testing.assert_array_equal(F.prune(x), nf.prune(x, 0.9))
    np.testing.assert_array_equal(F.binary_tanh(x), np.where(x > 0, 1.0, -1.0))
