"""MUL_MAT on the OpenCL device against numpy's BLAS on the same CPU, in one run.

    python -m ggsched.bench.opencl_matmul [--reps 7] [--device OpenCL] [--kernel both]

Each case is dst = b · aᵀ with a: m × k (f32 or Q8_0, the weights), b: n × k (f32). The
OpenCL time is one graph_compute of the single MUL_MAT node (enqueue and wait), with a, b and
dst already in device memory; numpy's is ``b @ a.T`` on f32 arrays of the same shapes (for
Q8_0 that is the same product in f32, the work a CPU BLAS would do instead). Each repetition
runs every contender once, in turn, and the table shows the median of the repetitions.
The goal in the project's issue is OpenCL ≥ 0.5× OpenBLAS at 1024³ on PoCL.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
from ggsched import ops
from ggsched.alloc import alloc_ctx_tensors_from_buft
from ggsched.backend import tensor_set
from ggsched.backends.opencl.op_mul_mat import choose_kernel, run_mul_mat
from ggsched.backends.registry import get_device
from ggsched.graph import build_graph
from ggsched.layout import from_numpy_bytes
from ggsched.types import GGMLType

from .machine import blas_summary, steering_env

CASES = [  # (name, type of a, m, n, k)
    ("f32 1024x1024x1024", GGMLType.F32, 1024, 1024, 1024),
    ("f32 m=4096 n=32 k=4096", GGMLType.F32, 4096, 32, 4096),
    ("q8_0 1024x1024x1024", GGMLType.Q8_0, 1024, 1024, 1024),
    ("q8_0 m=4096 n=32 k=4096", GGMLType.Q8_0, 4096, 32, 4096),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=7, help="repetitions per contender (median)")
    p.add_argument("--device", default="OpenCL", help="OpenCL device name (default: OpenCL)")
    p.add_argument("--kernel", choices=("auto", "rows", "tiled", "both"), default="both",
                   help="which MUL_MAT kernel(s) to time (default: both)")
    p.add_argument("--case", action="append", help="only cases whose name contains this")
    return p.parse_args(argv)


class OpenCLMatMul:
    """One MUL_MAT node placed in device memory, computed with a chosen kernel."""

    def __init__(self, device, type_a: GGMLType, a: np.ndarray, b: np.ndarray) -> None:
        self.backend = device.init_backend()
        ta = ops.new_tensor(type_a, a.shape[::-1], "a")
        tb = ops.new_tensor(GGMLType.F32, b.shape[::-1], "b")
        self.node = ops.mul_mat(ta, tb)
        self.buffer = alloc_ctx_tensors_from_buft([ta, tb, self.node], device.buffer_type)
        tensor_set(ta, from_numpy_bytes(type_a, a))
        tensor_set(tb, from_numpy_bytes(GGMLType.F32, b))
        self.graph = build_graph(self.node)

    def kernel(self, wanted: str) -> str:
        return choose_kernel(self.backend.runtime, self.node) if wanted == "auto" else wanted

    def run(self, kernel: str) -> None:
        run_mul_mat(self.backend.runtime, self.node, kernel)
        self.backend.synchronize()

    def result(self) -> np.ndarray:
        raw = self.buffer.read(self.node.data, self.node.nbytes)
        return raw.view(np.float32).reshape(self.node.shape[-2:])


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def kernels_for(mm: OpenCLMatMul, wanted: str) -> list[str]:
    if wanted != "both":
        return [mm.kernel(wanted)]
    return ["rows", "tiled"] if mm.kernel("rows") == "rows" else ["tiled"]


def bench_case(device, type_a, m, n, k, reps: int, wanted: str) -> dict[str, float]:
    """Median seconds per contender: "numpy" and "opencl/<kernel>"."""
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k)).astype(np.float32)
    mm = OpenCLMatMul(device, type_a, a, b)
    at = np.ascontiguousarray(a.T)
    contenders = {"numpy": lambda: np.matmul(b, at)}
    for kern in kernels_for(mm, wanted):
        mm.run(kern)  # build, compile and warm up outside the timing
        check(mm, a, b, type_a, kern)
        contenders[f"opencl/{kern}"] = lambda kern=kern: mm.run(kern)
    contenders["numpy"]()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(reps):
        for name, fn in contenders.items():
            times[name].append(timed(fn))
    mm.buffer.free()
    return {name: statistics.median(ts) for name, ts in times.items()}


def check(mm: OpenCLMatMul, a, b, type_a, kernel: str) -> None:
    """The timed kernel computes the right thing (a quantized a: within its rounding)."""
    want = b.astype(np.float64) @ a.astype(np.float64).T
    got = mm.result()
    err = float(np.sum((got - want) ** 2) / np.sum(want**2))
    bound = 1e-7 if type_a == GGMLType.F32 else 5e-4  # Q8_0: one quantization step of a
    if not err <= bound:
        raise SystemExit(f"MUL_MAT {type_a} with the {kernel} kernel is wrong: NMSE {err:.3g}")


def gflops(m: int, n: int, k: int, seconds: float) -> float:
    return 2.0 * m * n * k / seconds / 1e9


def print_table(rows: list[tuple[str, dict[str, float], tuple[int, int, int]]]) -> None:
    names = sorted({c for _, t, _ in rows for c in t if c != "numpy"})
    head = f"{'case':28s} {'numpy GFLOPS':>13s}" + "".join(
        f" {c + ' GFLOPS':>20s} {'ratio':>6s}" for c in names)
    print(head)
    print("-" * len(head))
    for name, t, (m, n, k) in rows:
        line = f"{name:28s} {gflops(m, n, k, t['numpy']):13.1f}"
        for c in names:
            if c in t:
                line += f" {gflops(m, n, k, t[c]):20.1f} {t['numpy'] / t[c]:6.2f}"
            else:
                line += f" {'-':>20s} {'':>6s}"
        print(line)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = get_device(args.device)
    print(f"OpenCL device: {device.name} = {device.runtime.describe()}")
    print(f"numpy BLAS:    {blas_summary()}")
    env = steering_env()
    print(f"environment:   {env or '(no OPENBLAS_/POCL_/... variables set)'}")
    print(f"median of {args.reps} repetitions; ratio = OpenCL GFLOPS / numpy GFLOPS\n")
    rows = []
    for name, type_a, m, n, k in CASES:
        if args.case and not any(c in name for c in args.case):
            continue
        t = bench_case(device, type_a, m, n, k, args.reps, args.kernel)
        rows.append((name, t, (m, n, k)))
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
