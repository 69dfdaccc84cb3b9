"""How a tensor reaches a kernel: five arguments, in the order of common.cl's TENSOR macro.

    data (cl.Buffer), offs (ulong byte offset), ne (int4), nb (ulong4 byte strides), type (int)

``type`` is ggml's enum value. Everything about a kernel's operand is in these, so kernels
handle views, permutations and broadcasting by arithmetic on ne and nb, as ggml's do.
"""

from __future__ import annotations

import numpy as np
from ggsched.backend import tensor_buffer
from ggsched.errors import BufferAccessError
from ggsched.tensor import Tensor

from .buffer import OpenCLBuffer
from .discovery import import_pyopencl


def cl_buffer(t: Tensor, runtime):
    """t's cl.Buffer; BufferAccessError when t is not in an OpenCL buffer of ``runtime``."""
    buf = tensor_buffer(t)
    if not isinstance(buf, OpenCLBuffer) or buf.runtime is not runtime:
        raise BufferAccessError(
            f"OpenCL kernels on {runtime.describe()} cannot read {t.describe()}: it is in "
            f"buffer {buf.name}, not in this device's memory"
        )
    return buf.cl_buffer


def tensor_args(t: Tensor, runtime) -> list:
    return [cl_buffer(t, runtime), np.uint64(t.data), int4(t.ne), ulong4(t.nb),
            np.int32(int(t.type))]


def int4(v) -> np.ndarray:
    """An OpenCL int4 argument (NOTE: a view of a plain array: cltypes.make_int4 costs ~10x)."""
    return np.array(v, dtype=np.int32).view(import_pyopencl().cltypes.int4)[0]


def ulong4(v) -> np.ndarray:
    return np.array(v, dtype=np.uint64).view(import_pyopencl().cltypes.ulong4)[0]


def f32(x: float) -> np.float32:
    return np.float32(x)


def i32(x: int) -> np.int32:
    return np.int32(x)


def pow2_at_most(n: int) -> int:
    return 1 << (max(1, n).bit_length() - 1)


ELEMENT_GROUP = 64  # work-group size of element-wise kernels (see ELEMENT in common.cl)


def launch_elements(rt, kernel, n: int, *args) -> None:
    """A 1-D grid of ``n`` work-items (rounded up to whole work-groups of a fixed size)."""
    group = min(ELEMENT_GROUP, pow2_at_most(rt.work_group_limit(kernel)))
    rt.launch(kernel, (-(-n // group) * group,), (group,), *args)
