"""Which ops the OpenCL device computes, and with what: the table of OpImpl by op.

``supports(node)`` is the device's whole claim; ``run(runtime, node)`` refuses what it does not
claim. Ops that need no computation (NONE and the view ops) are always supported. A node computed
again replays its recorded launches (replay.py).
"""

from __future__ import annotations

from ggsched.errors import UnsupportedOpError
from ggsched.op import VIEW_OPS, Op
from ggsched.tensor import Tensor

from . import (
    op_attention,
    op_copy,
    op_elementwise,
    op_mul_mat,
    op_norm,
    op_rope,
    op_rows,
    op_sort,
)
from .impl import OpImpl

IMPLS: dict[Op, OpImpl] = {
    **op_elementwise.IMPLS,
    **op_norm.IMPLS,
    **op_attention.IMPLS,
    **op_rope.IMPLS,
    **op_rows.IMPLS,
    **op_copy.IMPLS,
    **op_mul_mat.IMPLS,
    **op_sort.IMPLS,
}


def needs_no_kernel(node: Tensor) -> bool:
    return node.op is Op.NONE or node.op in VIEW_OPS


def supports(node: Tensor) -> bool:
    if needs_no_kernel(node):
        return True
    impl = IMPLS.get(node.op)
    return impl is not None and impl.supports(node)


def run(rt, node: Tensor) -> None:
    """Enqueue the kernels computing ``node``; UnsupportedOpError for what is not claimed."""
    if needs_no_kernel(node) or node.is_empty or rt.replays.replay(rt, node):
        return
    if not supports(node):
        srcs = ", ".join(s.describe() for s in node.sources)
        raise UnsupportedOpError(
            f"{node.op_desc}: the OpenCL backend does not compute {node.describe()} from "
            f"[{srcs}]; ask supports_op first (the scheduler then runs it elsewhere)"
        )
    rt.replays.run(rt, node, IMPLS[node.op].run)
