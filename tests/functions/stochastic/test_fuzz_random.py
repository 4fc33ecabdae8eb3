"""Every argument of the random, special and detection functions (canonical and NNabla), one at
a time replaced by a hostile value: the call returns or raises an NNFuncError, never anything
else."""

import inspect
import warnings

import numpy as np
import pytest

import nnfunc as nf
import nnfunc.compat.nnabla.functions as NF
from nnfunc.errors import NNFuncError

IMG = np.random.default_rng(0).random((2, 3, 6, 6)).astype(np.float32)
BASE = {
    "rand": ((), {"shape": (3,)}),
    "randint": ((), {"high": 5, "shape": (3,)}),
    "randn": ((), {"shape": (3,)}),
    "rand_binomial": ((), {"shape": (3,)}),
    "rand_beta": ((), {"shape": (3,)}),
    "rand_gamma": ((), {"shape": (3,)}),
    "random_choice": ((np.arange(6.0).reshape(2, 3), np.ones((2, 3))), {"shape": (2,)}),
    "random_crop": ((IMG,), {"shape": (3, 4, 4)}),
    "random_flip": ((IMG,), {}),
    "random_shift": ((IMG,), {"shifts": (1, 1)}),
    "random_erase": ((IMG,), {}),
    "image_augmentation": ((IMG,), {"angle": 0.2}),
    "vat_noise": ((IMG, IMG), {}),
    "warp_by_flow": ((IMG, np.zeros((2, 2, 6, 6), np.float32)), {}),
    "nms_detection2d": ((np.random.default_rng(0).random((2, 4, 7)),), {}),
    "sink": ((IMG, IMG), {}),
}
VALUES = [
    None,
    "s",
    {"a": 1},
    np.array([object()]),
    np.array([1 + 2j]),
    np.zeros((0,)),
    np.array(1.0),
    float("nan"),
    float("inf"),
    2**63,
    -1,
    10**9,
    [1, 2],
    np.ones(3),
    True,
    -5,
    1.5,
    (),
    np.zeros((0, 3, 6, 6)),
]


@pytest.mark.parametrize("module", [nf, NF], ids=["canonical", "nnabla"])
@pytest.mark.parametrize("name", sorted(BASE))
def test_hostile_arguments_return_or_raise_nnfunc_errors(module, name):
    fn = getattr(module, name)
    args, kwargs = BASE[name]
    params = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.name not in ("name", "n_outputs", "outputs") and p.kind != p.VAR_KEYWORD
    ]
    for i, p in enumerate(params):
        for v in VALUES:
            a, k = list(args), dict(kwargs)
            if p.kind == p.VAR_POSITIONAL:
                a = [v, *a[1:]]
            elif i < len(a):
                a[i] = v
            else:
                k[p.name] = v
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    fn(*a, **k)
            except NNFuncError:
                pass
            except Exception as exc:  # pragma: no cover - the failure report
                raise AssertionError(f"{name}({p.name}={v!r}) raised {exc!r}") from exc
