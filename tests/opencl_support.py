"""What the OpenCL tests share: the device (found once per session, skipped with the reason
when there is none) and reading a tensor's values back from an OpenCL buffer. Placement in one
buffer with sentinel gaps and the comparison with the golden are op_check's.

Programs are built once per session (the runtime caches them) and PoCL keeps compiled kernels
on disk, so only a cold first run pays for compiling.
"""

from __future__ import annotations

import numpy as np
import pytest
from ggsched import golden, layout
from ggsched.errors import BackendUnavailable
from ggsched.graph import Graph
from ggsched.tensor import Tensor


def find_device():
    """The default OpenCL device, or skip (with the reason) when there is none."""
    from ggsched.backends.opencl import register

    try:
        return register().devices()[0]
    except BackendUnavailable as e:
        pytest.skip(f"no OpenCL device: {e}")


@pytest.fixture(scope="session")
def cl_device():
    return find_device()


@pytest.fixture(scope="session")
def cl_backend(cl_device):
    return cl_device.init_backend()


def read(t: Tensor) -> np.ndarray:
    """t's values, read back from its buffer through its layout."""
    raw = t.root.buffer.read(t.data, t.nbytes) if t.nbytes else np.zeros(0, np.uint8)
    return layout.read_values(raw, t.type, t.ne, t.nb, 0)


def expected(graph: Graph, out: Tensor, feeds) -> np.ndarray:
    return golden.evaluate(graph, feeds)[out]
