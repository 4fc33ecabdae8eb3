"""Where one training step of ``bench_models.py``'s networks spends its time, per Function class.

Run: ``PYTHONPATH=src python benchmarks/profile_models.py cnn|resnet|transformer [--batch B]
[--steps N] [--inclusive]``.

Every Function subclass's ``setup``, ``forward`` and ``backward`` is wrapped with a process-CPU-time
timer; the table gives, per (phase, class, method), the time per step EXCLUSIVE of nested wrapped
calls (a gradient Function's forward run inside a ``backward`` counts for itself, not for the
``backward``), sorted, and what is left outside any Function (the engine, the model's Python,
the SGD update). The phase is ``bwd`` inside ``Variable.backward()``, else ``fwd``.
``--inclusive`` instead times each top-level forward call (``apply1``/``apply`` of the model's
own calls) and each backward node with everything it calls.

The wrappers cost ~1 us per call: the step reads a little slower than in ``bench_models.py``.
Give ``OMP_NUM_THREADS=1 NNFUNC_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`` for one-thread figures.
"""

from __future__ import annotations

import argparse
import collections
import time
from collections.abc import Callable, Iterator
from typing import Any

import _common  # noqa: F401  (puts the checkout's src/ on sys.path)
import bench_models as bm

from nnfunc.core import function as fmod
from nnfunc.core import variable as vmod

_clock = time.process_time_ns


def _subclasses(c: type) -> Iterator[type]:
    for s in c.__subclasses__():
        yield s
        yield from _subclasses(s)


def _step(model: str, batch: int | None) -> Callable[[], Any]:
    if model == "cnn":
        return bm.demo_cnn(batch or 128, None)[0]
    if model == "resnet":
        return bm.resnet_block(batch or 8, None)[0]
    return bm.transformer_block(batch or 16, None)[0]


def _exclusive(acc: collections.Counter, cnt: collections.Counter) -> None:
    phase = ["fwd"]
    stack = [0]

    def wrap(f: Callable, method: str) -> Callable:
        def timed(self: Any, *a: Any, **k: Any) -> Any:
            stack.append(0)
            t0 = _clock()
            try:
                return f(self, *a, **k)
            finally:
                dt = _clock() - t0
                inner = stack.pop()
                stack[-1] += dt
                key = (phase[0], type(self).__name__, method)
                acc[key] += dt - inner
                cnt[key] += 1

        return timed

    for cls in set(_subclasses(fmod.Function)):
        for method in ("setup", "forward", "backward"):
            if method in cls.__dict__:
                setattr(cls, method, wrap(cls.__dict__[method], method))
    backward = vmod.Variable.backward

    def timed_backward(self: Any, *a: Any, **k: Any) -> Any:
        phase[0] = "bwd"
        try:
            return backward(self, *a, **k)
        finally:
            phase[0] = "fwd"

    vmod.Variable.backward = timed_backward


def _inclusive(acc: collections.Counter, cnt: collections.Counter) -> None:
    depth = [0]

    def wrap(f: Callable, phase: str) -> Callable:
        def timed(self: Any, *a: Any, **k: Any) -> Any:
            if depth[0]:
                return f(self, *a, **k)
            depth[0] += 1
            t0 = _clock()
            try:
                return f(self, *a, **k)
            finally:
                depth[0] -= 1
                key = (phase, type(self).__name__, "all")
                acc[key] += _clock() - t0
                cnt[key] += 1

        return timed

    fmod.Function.apply1 = wrap(fmod.Function.apply1, "fwd")
    fmod.Function.apply = wrap(fmod.Function.apply, "fwd")
    for cls in set(_subclasses(fmod.Function)):
        if "backward" in cls.__dict__:
            cls.backward = wrap(cls.__dict__["backward"], "bwd")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", choices=["cnn", "resnet", "transformer"])
    ap.add_argument("--batch", type=int, default=None, help="default: 128, 8, 16")
    ap.add_argument("--steps", type=int, default=None, help="default: 200, 5, 3")
    ap.add_argument("--inclusive", action="store_true", help="top-level calls, inclusive")
    args = ap.parse_args()
    steps = args.steps or {"cnn": 200, "resnet": 5, "transformer": 3}[args.model]
    step = _step(args.model, args.batch)
    for _ in range(2):
        step()
    acc: collections.Counter = collections.Counter()
    cnt: collections.Counter = collections.Counter()
    (_inclusive if args.inclusive else _exclusive)(acc, cnt)
    t0 = _clock()
    for _ in range(steps):
        step()
    total = (_clock() - t0) / steps / 1e6
    print(f"{args.model}: {total:.3f} CPU ms a step (with the timers), {steps} steps")
    inside = 0.0
    for key, v in sorted(acc.items(), key=lambda kv: -kv[1]):
        ms = v / steps / 1e6
        inside += ms
        if ms >= 0.0005 * max(total, 1.0):
            print(f"{key[0]} {key[1]:36s} {key[2]:8s} {ms:10.3f} ms  x{cnt[key] // steps}")
    print(f"in Functions {inside:.3f} ms; outside (engine, Python, SGD) {total - inside:.3f} ms")


if __name__ == "__main__":
    main()
