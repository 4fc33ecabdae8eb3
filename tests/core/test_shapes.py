import math

import pytest

from nnfunc.core import shapes
from nnfunc.errors import ArgumentError


def tf_same_out(size, stride):
    # TensorFlow documents SAME output as ceil(in / stride)
    return math.ceil(size / stride)


def torch_conv_out(size, k, s, p, d):
    # PyTorch Conv docs: floor((L + 2p - d(k-1) - 1)/s + 1)
    return math.floor((size + 2 * p - d * (k - 1) - 1) / s + 1)


@pytest.mark.parametrize(
    "size, k, s, pad, d, expected",
    [
        (5, 3, 1, 0, 1, 3),
        (5, 3, 1, 1, 1, 5),
        (7, 3, 2, 1, 2, 3),
        (224, 7, 2, 3, 1, 112),
        (10, 3, 3, (0, 2), 1, 4),
        (4, 5, 1, 0, 1, 0),
        (None, 3, 1, 0, 1, None),
    ],
)
def test_conv_out_size_table(size, k, s, pad, d, expected):
    assert shapes.conv_out_size(size, k, s, pad, d) == expected


@pytest.mark.parametrize("size", [1, 5, 8, 13])
@pytest.mark.parametrize("k, s, p, d", [(1, 1, 0, 1), (3, 2, 1, 1), (3, 1, 2, 2), (5, 3, 2, 1)])
def test_conv_out_size_matches_pytorch_formula(size, k, s, p, d):
    assert shapes.conv_out_size(size, k, s, p, d) == torch_conv_out(size, k, s, p, d)


@pytest.mark.parametrize(
    "size, k, s, pad, d, op, expected",
    [
        (3, 3, 1, 0, 1, 0, 5),
        (3, 3, 2, 1, 1, 1, 6),
        (4, 2, 2, 0, 1, 0, 8),
        (2, 3, 1, 0, 2, 0, 6),
        (None, 3, 1, 0, 1, 0, None),
    ],
)
def test_conv_transpose_out_size_table(size, k, s, pad, d, op, expected):
    # PyTorch ConvTranspose docs: (L-1)s - 2p + d(k-1) + output_padding + 1
    assert shapes.conv_transpose_out_size(size, k, s, pad, d, op) == expected


@pytest.mark.parametrize(
    "size, k, s, pad, ignore_border, expected",
    [
        (5, 2, None, 0, True, 2),
        (5, 2, None, 0, False, 3),
        (4, 3, 1, 1, True, 4),
        (4, 3, 1, 1, False, 5),
        (6, 3, 2, 0, False, 3),
        (7, 3, 2, 1, True, 4),
        (None, 2, 2, 0, False, None),
    ],
)
def test_pool_out_size_table(size, k, s, pad, ignore_border, expected):
    assert shapes.pool_out_size(size, k, s, pad, ignore_border) == expected


@pytest.mark.parametrize(
    "size, k, s, d, expected",
    [
        (5, 3, 1, 1, (1, 1)),
        (4, 3, 1, 1, (1, 1)),
        (4, 2, 1, 1, (0, 1)),
        (4, 3, 2, 1, (0, 1)),
        (5, 3, 2, 1, (1, 1)),
        (6, 1, 2, 1, (0, 0)),
        (2, 5, 1, 1, (2, 2)),
        (5, 3, 1, 2, (2, 2)),
        (3, 1, 3, 1, (0, 0)),
        (None, 3, 1, 1, (None, None)),
    ],
)
def test_same_pads_table(size, k, s, d, expected):
    assert shapes.same_pads(size, k, s, d) == expected


@pytest.mark.parametrize("size", range(1, 12))
@pytest.mark.parametrize(
    "k, s, d", [(1, 1, 1), (2, 1, 1), (3, 2, 1), (4, 3, 1), (3, 1, 2), (5, 2, 2)]
)
def test_same_gives_tf_output_size(size, k, s, d):
    lo, hi = shapes.same_pads(size, k, s, d)
    assert hi - lo in (0, 1)
    assert shapes.conv_out_size(size, k, s, (lo, hi), d) == tf_same_out(size, s)


@pytest.mark.parametrize(
    "pad, expected",
    [
        (0, ((0, 0), (0, 0))),
        (2, ((2, 2), (2, 2))),
        ((1, 2), ((1, 1), (2, 2))),
        ([(0, 1), (2, 3)], ((0, 1), (2, 3))),
        ([(0, 1), 3], ((0, 1), (3, 3))),
        ("valid", ((0, 0), (0, 0))),
        ("VALID", ((0, 0), (0, 0))),
        ("same", ((1, 1), (0, 1))),
        ("Same", ((1, 1), (0, 1))),
    ],
)
def test_resolve_padding_forms(pad, expected):
    assert shapes.resolve_padding("conv", pad, [5, 4], [3, 2]) == expected


def test_resolve_padding_same_unknown_size():
    assert shapes.resolve_padding("conv", "same", [None, 4], [3, 3], [1, 2]) == (
        (None, None),
        (0, 1),
    )


REQ = (
    "conv: `pad` must be an int, a sequence of 2 ints, a sequence of 2 (low, high) pairs of "
    "non-negative ints, 'valid' or 'same'; received "
)


@pytest.mark.parametrize(
    "pad, message",
    [
        ("full", REQ + "pad='full'."),
        ((1, 2, 3), REQ + "pad=(1, 2, 3)."),
        ([(1, 2, 3), 1], REQ + "pad=[(1, 2, 3), 1]."),
        (1.5, REQ + "pad=1.5."),
        (-1, "conv: `pad` must be non-negative; received pad=-1."),
        ([(0, -1), 1], "conv: `pad` must be non-negative; received pad=[(0, -1), 1]."),
    ],
)
def test_resolve_padding_errors(pad, message):
    with pytest.raises(ArgumentError) as info:
        shapes.resolve_padding("conv", pad, [5, 5], [3, 3])
    assert str(info.value) == message


def test_node_errors_names_the_graph_node():
    import numpy as np

    import nnfunc as nf
    from nnfunc.core import shapes as sh

    ph = nf.Graph().placeholder("p", (2,), np.float64)
    cases = [
        ("n", np.zeros(2), "op: `a` must be b.", "op: `a` must be b."),  # eager: unchanged
        ("n", ph, "op: `a` must be b.", "op (node 'n'): `a` must be b."),
        (None, ph, "op: `a` must be b.", "op: `a` must be b."),  # no name to add
        ("n", ph, "op (node 'x'): `a` must be b.", "op (node 'x'): `a` must be b."),
    ]
    for name, tensor, raised, shown in cases:
        with pytest.raises(ArgumentError) as info, sh.node_errors(name, tensor):
            raise ArgumentError(raised)
        assert str(info.value) == shown
