"""Random sampling and augmentation timings, side by side in one process.

Run: ``python benchmarks/bench_random.py [--repeat N] [--only SUBSTRING]``.

* ``randn`` of 16M float32 values against NumPy's own generator (``Generator.standard_normal``
  with ``dtype=float32``, the same ziggurat; the ratio shows nnfunc's call overhead and the
  scale/shift) and ``torch.randn``.
* ``image_augmentation`` on ``(256, 3, 64, 64)`` float32 with random rotation (+-0.5 rad) and
  scale (0.8-1.2) against the equivalent PyTorch pipeline: per-image affine matrices,
  ``affine_grid`` and ``grid_sample`` (bilinear, border padding, ``align_corners=True``).
* ``warp_by_flow`` on ``(32, 3, 64, 64)``, forward and forward+backward with a random output
  gradient, against ``grid_sample`` on the displaced grid.

Interleaved rounds (see ``_paired.py``): median times, median (IQR) of the per-round ratios
nnfunc / reference, PyTorch with 1 thread and with its default threads.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from _common import torch_or_none
from _paired import Case, paired, run_cases

import nnfunc as nf


def randn_table(repeat: int, torch: object) -> None:
    n = 16 * 1024 * 1024
    gen = np.random.default_rng(0)

    def ours() -> None:
        nf.randn(0.0, 1.0, (n,), seed=None)

    def numpy_ref() -> None:
        gen.standard_normal(n, dtype=np.float32)

    refs = [numpy_ref]
    if torch is not None:
        refs.append(lambda: torch.randn(n))
    t, trefs, quart = paired(ours, refs, repeat)
    names = ["numpy", "torch"][: len(refs)]
    cells = " ".join(
        f"{name} {r * 1e3:7.2f}ms ratio {q[1]:5.2f} ({q[0]:.2f}-{q[2]:.2f})"
        for name, r, q in zip(names, trefs, quart)
    )
    print(f"randn 16M float32: nnfunc {t * 1e3:7.2f}ms | {cells}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--only", default=None, help="run the cases whose name contains this")
    args = ap.parse_args()
    torch = torch_or_none(threads=None)
    rng = np.random.default_rng(0)

    if not args.only or args.only in "randn":
        randn_table(args.repeat, torch)

    x = rng.random((256, 3, 64, 64), dtype=np.float32)
    angle, lo, hi = 0.5, 0.8, 1.2

    def nf_aug() -> None:
        nf.image_augmentation(x, angle=angle, min_scale=lo, max_scale=hi)

    d = rng.standard_normal((32, 3, 64, 64), dtype=np.float32)
    f = rng.uniform(-3, 3, (32, 2, 64, 64)).astype(np.float32)
    gy = rng.standard_normal(d.shape, dtype=np.float32)

    def nf_warp() -> None:
        nf.warp_by_flow(d, f)

    def nf_warp_fb() -> None:
        dv, fv = nf.Variable(d, requires_grad=True), nf.Variable(f, requires_grad=True)
        nf.grad(nf.warp_by_flow(dv, fv), [dv, fv], grad_outputs=gy)

    refs: list = [None, None, None]
    if torch is not None:
        F = torch.nn.functional
        tx = torch.from_numpy(x)
        td, tf_, tgy = (torch.from_numpy(a) for a in (d, f, gy))
        h, w = 64, 64
        base_y, base_x = torch.meshgrid(
            torch.arange(h, dtype=torch.float32),
            torch.arange(w, dtype=torch.float32),
            indexing="ij",
        )

        def t_aug() -> None:
            n = tx.shape[0]
            phi = (torch.rand(n) * 2 - 1) * angle
            s = lo * torch.exp(torch.rand(n) * math.log(hi / lo))
            theta = torch.zeros(n, 2, 3)
            theta[:, 0, 0] = torch.cos(phi) / s
            theta[:, 0, 1] = -torch.sin(phi) / s
            theta[:, 1, 0] = torch.sin(phi) / s
            theta[:, 1, 1] = torch.cos(phi) / s
            with torch.no_grad():
                grid = F.affine_grid(theta, list(tx.shape), align_corners=True)
                F.grid_sample(tx, grid, "bilinear", "border", align_corners=True)

        def t_grid(flow: object) -> object:
            gx = (base_x + flow[:, 0]) * (2 / (w - 1)) - 1
            gyy = (base_y + flow[:, 1]) * (2 / (h - 1)) - 1
            return torch.stack([gx, gyy], dim=-1)

        def t_warp() -> None:
            with torch.no_grad():
                F.grid_sample(td, t_grid(tf_), "bilinear", "border", align_corners=True)

        def t_warp_fb() -> None:
            dv = td.clone().requires_grad_(True)
            fv = tf_.clone().requires_grad_(True)
            y = F.grid_sample(dv, t_grid(fv), "bilinear", "border", align_corners=True)
            torch.autograd.grad(y, [dv, fv], grad_outputs=tgy)

        refs = [t_aug, t_warp, t_warp_fb]

    cases: list[Case] = [
        ("image_augmentation (256,3,64,64) rot+scale", nf_aug, refs[0]),
        ("warp_by_flow (32,3,64,64) fwd", nf_warp, refs[1]),
        ("warp_by_flow (32,3,64,64) fwd+bwd", nf_warp_fb, refs[2]),
    ]
    run_cases(cases, torch, args.repeat, args.only)


if __name__ == "__main__":
    main()
