"""What one execution of an op does: FLOPs and bytes moved, and the rates they give.

The formulas are test-backend-ops' (ggml.md §4.6): MUL_MAT counts ``2·m·n·k`` per matrix of
the batch; every other op counts no FLOPs and is judged by bandwidth. Bytes moved are ggml's
``op_size``: the output's bytes plus every source's bytes, except where that overstates what
the op touches (GET_ROWS reads only the gathered rows, not the whole table).

Units, stated once: GFLOPS = 10⁹ FLOP/s; GB/s = 10⁹ B/s. (ggml's test-backend-ops divides by
2³⁰ and still prints "GB/s"; its figures are GiB/s, about 7% lower than ours for the same
speed. The JSON carries both.)
"""

from __future__ import annotations

from ggsched import Op, Tensor
from ggsched.types import row_size

GIB = 1 << 30


def op_flops(out: Tensor) -> int:
    """FLOPs of one execution of node ``out`` (0 for ops judged by bandwidth)."""
    if out.op is Op.MUL_MAT:
        k = out.src[0].ne[0]
        return 2 * out.nelements * k
    return 0


def op_bytes(out: Tensor) -> int:
    """Bytes one execution of node ``out`` reads and writes."""
    if out.op is Op.GET_ROWS:
        table, rows = out.src[0], out.src[1]
        return out.nbytes + rows.nbytes + out.nrows * row_size(table.type, table.ne[0])
    return out.nbytes + sum(s.nbytes for s in out.sources)


def gflops(flops: int, us: float) -> float | None:
    """10⁹ FLOP/s at ``us`` microseconds per execution; None when the op counts no FLOPs."""
    if flops <= 0 or us <= 0:
        return None
    return flops / us / 1e3


def gb_per_s(nbytes: int, us: float) -> float | None:
    """10⁹ bytes/s at ``us`` microseconds per execution."""
    if nbytes <= 0 or us <= 0:
        return None
    return nbytes / us / 1e3


def gib_per_s(nbytes: int, us: float) -> float | None:
    """2³⁰ bytes/s: the unit test-backend-ops prints as "GB/s"."""
    if nbytes <= 0 or us <= 0:
        return None
    return nbytes / (us * 1e-6) / GIB
