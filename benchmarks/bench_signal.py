"""Signal-processing timings (stft, bilinear interpolate), side by side with PyTorch CPU.

Run: ``python benchmarks/bench_signal.py [--repeat N] [--only SUBSTRING]``. Interleaved rounds
against PyTorch with 1 thread and with its default thread count; the table gives median times
and the median (interquartile range) of the per-round ratios nnfunc / torch (``_paired.py``).
Forward and forward+backward with a random output gradient
(``nnfunc.grad(y, inputs, grad_outputs=gy)``).
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import torch_or_none
from _paired import Case, run_cases

import nnfunc as nf


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--only", default=None, help="run the cases whose name contains this")
    args = ap.parse_args()
    torch = torch_or_none(threads=None)
    rng = np.random.default_rng(0)

    audio = rng.standard_normal((32, 160000), dtype=np.float32)
    yr, _ = nf.stft(audio, 1024, 256, 1024)
    gr = rng.standard_normal(yr.shape, dtype=np.float32)
    gi = rng.standard_normal(yr.shape, dtype=np.float32)
    img = rng.standard_normal((32, 64, 56, 56), dtype=np.float32)
    gimg = rng.standard_normal((32, 64, 112, 112), dtype=np.float32)

    def nf_stft() -> None:
        nf.stft(audio, 1024, 256, 1024)

    def nf_stft_fb() -> None:
        v = nf.Variable(audio, requires_grad=True)
        nf.grad(list(nf.stft(v, 1024, 256, 1024)), [v], grad_outputs=[gr, gi])

    def nf_interp() -> None:
        nf.interpolate(img, output_size=(112, 112), half_pixel=True)

    def nf_interp_fb() -> None:
        v = nf.Variable(img, requires_grad=True)
        y = nf.interpolate(v, output_size=(112, 112), half_pixel=True)
        nf.grad(y, [v], grad_outputs=[gimg])

    refs: list = [None] * 4
    if torch is not None:
        F = torch.nn.functional
        ta, timg, tgimg = (torch.from_numpy(a) for a in (audio, img, gimg))
        tg = torch.complex(torch.from_numpy(gr), torch.from_numpy(gi))
        win = torch.hann_window(1024)
        la, li = ta.clone().requires_grad_(), timg.clone().requires_grad_()

        def t_stft() -> None:
            with torch.no_grad():
                torch.stft(
                    ta, 1024, 256, 1024, win, center=True, pad_mode="reflect", return_complex=True
                )

        def t_stft_fb() -> None:
            la.grad = None
            y = torch.stft(
                la, 1024, 256, 1024, win, center=True, pad_mode="reflect", return_complex=True
            )
            y.backward(tg)

        def t_interp() -> None:
            with torch.no_grad():
                F.interpolate(timg, size=(112, 112), mode="bilinear", align_corners=False)

        def t_interp_fb() -> None:
            li.grad = None
            F.interpolate(li, size=(112, 112), mode="bilinear", align_corners=False).backward(tgimg)

        refs = [t_stft, t_stft_fb, t_interp, t_interp_fb]
    cases: list[Case] = [
        ("stft (32,160000) win 1024 hop 256 fwd", nf_stft, refs[0]),
        ("stft fwd+bwd", nf_stft_fb, refs[1]),
        ("interpolate bilinear (32,64,56,56)->112 fwd", nf_interp, refs[2]),
        ("interpolate fwd+bwd", nf_interp_fb, refs[3]),
    ]
    run_cases(cases, torch, args.repeat, args.only)


if __name__ == "__main__":
    main()
