"""MUL_MAT (kernels/mul_mat.cl): src0 F32/F16/Q8_0/Q4_0 (dequantized on the fly), src1 F32/F16,
dst F32; src0 broadcast over dims 2 and 3. Also OUT_PROD (same types, one plain kernel).

Two kernels, both correct for every claimed case:
- ``tiled``: local-memory tiles, any layout; the choice on GPUs (and the fallback everywhere);
- ``rows``: register-blocked dot products of float16 vectors straight from global memory; on a
  CPU device it is several times faster than ``tiled`` (measured with bench/opencl_matmul.py,
  because CPU compilers keep a work-group's accumulators in memory across barriers). It needs
  src1 F32, packed rows, K % 16 == 0 and 64-byte aligned rows (32 for f16 src0).

``GGSCHED_OPENCL_MUL_MAT=tiled`` (or ``rows``) overrides the choice where ``rows`` applies.
"""

from __future__ import annotations

import os

from ggsched.errors import UnsupportedOpError
from ggsched.op import Op
from ggsched.tensor import Tensor
from ggsched.types import GGMLType

from .args import launch_elements, tensor_args
from .impl import OpImpl

F32, F16, Q8_0, Q4_0 = GGMLType.F32, GGMLType.F16, GGMLType.Q8_0, GGMLType.Q4_0
ENV_KERNEL = "GGSCHED_OPENCL_MUL_MAT"

# tiled: (BM, BN, TK, WM, WN); the first whose work-group fits the kernel is used
TILED_CONFIGS = [(64, 64, 16, 4, 4), (32, 32, 16, 4, 4), (16, 16, 16, 4, 4)]
# rows: each work-item computes RM x RN dot products; a quantized src0 row costs more to load
# (dequantize), so it is shared by more src1 rows. Measured on PoCL with AVX-512 at 1024^3:
# (2, 8) beat (4, 4) by ~15% for f32; (1, 12) was best for Q8_0/Q4_0.
ROWS_BLOCK = {F32: (2, 8), F16: (2, 8), Q8_0: (1, 12), Q4_0: (1, 12)}
ROWS_GROUP = (16, 4, 1)  # measured best on PoCL (the work-items of a group share rows in cache)
ROW_ALIGN = {F32: 64, F16: 32, Q8_0: 2, Q4_0: 2}


def _batch(t: Tensor) -> int:
    return t.ne[2] * t.ne[3]


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def tiled_kernel(rt, t: Tensor):
    """The tiled kernel for t's types, with the largest tile the device allows."""
    for bm, bn, tk, wm, wn in TILED_CONFIGS:
        group = (bm // wm) * (bn // wn)
        if group > rt.max_work_group or 4 * tk * (bm + bn) > rt.local_mem:
            continue
        opts = (f"-DBM={bm} -DBN={bn} -DTK={tk} -DWM={wm} -DWN={wn} "
                f"-DTILE_T0={int(t.src[0].type)} -DTILE_T1={int(t.src[1].type)}")
        k = rt.programs.kernel("mul_mat", "mul_mat_tiled", opts)
        if rt.work_group_limit(k) >= group:
            return k, (bm, bn, wm, wn)
    raise UnsupportedOpError(f"MUL_MAT: no tile of the tiled kernel fits {rt.describe()}")


def run_tiled(rt, t: Tensor) -> None:
    k, (bm, bn, wm, wn) = tiled_kernel(rt, t)
    local = (bm // wm, bn // wn, 1)
    grid = (_ceil(t.ne[0], bm) * local[0], _ceil(t.ne[1], bn) * local[1], _batch(t))
    args = tensor_args(t.src[0], rt) + tensor_args(t.src[1], rt) + tensor_args(t, rt)
    rt.launch(k, grid, local, *args)


def rows_applies(t: Tensor) -> bool:
    """Can the ``rows`` kernel compute t (layout and alignment)?"""
    a, b = t.src[0], t.src[1]
    align = ROW_ALIGN[a.type]
    return (
        b.type == F32
        and b.nb[0] == 4
        and a.is_contiguous_rows
        and a.ne[0] % 16 == 0
        and all(x % align == 0 for x in (a.data, *a.nb[1:]))
        and all(x % 64 == 0 for x in (b.data, *b.nb[1:]))
    )


def run_rows(rt, t: Tensor) -> None:
    rm, rn = ROWS_BLOCK[t.src[0].type]
    opts = f"-DSRC0_TYPE={int(t.src[0].type)} -DRM={rm} -DRN={rn}"
    k = rt.programs.kernel("mul_mat", "mul_mat_rows", opts)
    group = ROWS_GROUP if rt.work_group_limit(k) >= ROWS_GROUP[0] * ROWS_GROUP[1] else None
    lx, ly = (group or (1, 1))[:2]
    grid = (_ceil(_ceil(t.ne[0], rm), lx) * lx, _ceil(_ceil(t.ne[1], rn), ly) * ly, _batch(t))
    args = tensor_args(t.src[0], rt) + tensor_args(t.src[1], rt) + tensor_args(t, rt)
    rt.launch(k, grid, group, *args)


def choose_kernel(rt, t: Tensor) -> str:
    """"rows" or "tiled" for node t on runtime rt (see the module docstring)."""
    if not rows_applies(t):
        return "tiled"
    wanted = os.environ.get(ENV_KERNEL, "").strip().lower()
    if wanted in ("rows", "tiled"):
        return wanted
    return "rows" if rt.is_cpu else "tiled"


def run_mul_mat(rt, t: Tensor, kernel: str | None = None) -> None:
    kernel = kernel or choose_kernel(rt, t)
    (run_rows if kernel == "rows" else run_tiled)(rt, t)


def _mul_mat_ok(t: Tensor) -> bool:
    a, b = t.src[0], t.src[1]
    if a.type not in (F32, F16, Q8_0, Q4_0) or b.type not in (F32, F16) or t.type != F32:
        return False
    return a.type not in (Q8_0, Q4_0) or a.is_contiguous_rows


def run_out_prod(rt, t: Tensor) -> None:
    k = rt.programs.kernel("mul_mat", "out_prod")
    args = tensor_args(t.src[0], rt) + tensor_args(t.src[1], rt) + tensor_args(t, rt)
    launch_elements(rt, k, t.nelements, *args)


def _out_prod_ok(t: Tensor) -> bool:
    a, b = t.src[0], t.src[1]
    if a.type not in (F32, F16, Q8_0, Q4_0) or b.type not in (F32, F16) or t.type != F32:
        return False
    return a.type not in (Q8_0, Q4_0) or a.is_contiguous_rows


IMPLS = {
    Op.MUL_MAT: OpImpl(_mul_mat_ok, run_mul_mat),
    Op.OUT_PROD: OpImpl(_out_prod_ok, run_out_prod),
}
