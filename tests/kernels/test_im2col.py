"""Patch-GEMM helpers: the padding copy (whole rows at once where it can) equals NumPy's
element-wise assignment for every dtype and layout; kept scratch buffers are per thread and
never alias a result."""

import threading

import numpy as np
import pytest

from nnfunc.kernels.cpu import im2col


def _reference_pad(x, lows, needed, dtype, value):
    nsp = len(lows)
    sizes = x.shape[x.ndim - nsp :]
    total = tuple(max(lo + n, need) for lo, n, need in zip(lows, sizes, needed, strict=True))
    out = np.full(x.shape[: x.ndim - nsp] + total, value, dtype=dtype)
    out[(Ellipsis, *[slice(lo, lo + n) for lo, n in zip(lows, sizes, strict=True)])] = x
    return out


def _layouts(x):
    return {
        "contiguous": x,
        "strided rows": x[:, :, ::2],
        "strided columns": x[..., ::2],
        "transposed": x.transpose(0, 1, 3, 2),
        "fortran": np.asfortranarray(x),
        "reversed": x[..., ::-1],
        "empty": x[:, :0],
    }


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.bool_, np.int64])
@pytest.mark.parametrize("layout", list(_layouts(np.zeros((1, 1, 1, 1)))))
@pytest.mark.parametrize(
    "lows, needed", [((1, 1), (8, 9)), ((0, 2), (5, 10)), ((1,), (9,)), ((1, 1, 1), (6, 7, 8))]
)
def test_pad_input_equals_elementwise_assignment(dtype, layout, lows, needed):
    rng = np.random.default_rng(0)
    x = _layouts((rng.standard_normal((3, 4, 5, 6)) * 3).astype(dtype))[layout]
    values = [0] + ([-np.inf, np.nan] if np.dtype(dtype).kind == "f" else [])
    for value in values:
        got = im2col.pad_input(np, x, lows, needed, dtype, value)
        want = _reference_pad(x, lows, needed, dtype, value)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_pad_input_keeps_negative_zero_and_casts():
    x = np.array([[[-0.0, 1.5], [2.5, -0.0]]], np.float32)
    got = im2col.pad_input(np, x, (1, 1), (4, 4), np.float32)
    assert np.signbit(got[0, 1, 1]) and np.signbit(got[0, 2, 2])
    got64 = im2col.pad_input(np, x, (1, 1), (4, 4), np.float64)
    assert got64.dtype == np.float64
    np.testing.assert_array_equal(got64[0, 1:3, 1:3], x[0])


def test_scratch_is_reused_per_thread_and_role():
    a = im2col.scratch("test-role", 10, np.float32)
    b = im2col.scratch("test-role", 5, np.float64)
    assert np.shares_memory(a, b)  # same role, this thread: the same memory
    assert not np.shares_memory(a, im2col.scratch("other-role", 10, np.float32))
    seen = {}

    def other_thread():
        seen["buf"] = im2col.scratch("test-role", 10, np.float32)

    t = threading.Thread(target=other_thread)
    t.start()
    t.join()
    assert not np.shares_memory(a, seen["buf"])
    big = im2col.SCRATCH_KEEP // 4 + 1  # above the kept size: a fresh array each call
    assert not np.shares_memory(
        im2col.scratch("test-role", big, np.float32), im2col.scratch("test-role", big, np.float32)
    )


def test_conv_results_do_not_alias_the_kept_patch_buffer():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    pads = ((1, 1), (1, 1))
    y1 = im2col.conv_forward(np, x, w, (1, 1), pads, (1, 1), 1, (6, 6), np.float64)
    keep = y1.copy()
    y2 = im2col.conv_forward(np, x * 2, w, (1, 1), pads, (1, 1), 1, (6, 6), np.float64)
    gx = im2col.conv_transpose_forward(np, y2, w, (1, 1), pads, (1, 1), 1, (6, 6), np.float64)
    np.testing.assert_array_equal(y1, keep)
    np.testing.assert_allclose(y2, 2 * keep)
    assert not np.shares_memory(y2, gx)
