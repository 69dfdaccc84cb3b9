"""An op's implementation on the OpenCL device: the claim (supports) next to the launcher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ggsched.tensor import Tensor


@dataclass(frozen=True)
class OpImpl:
    """``supports(node)`` says yes only for the types and layouts ``run(runtime, node)``
    computes correctly; ``run`` enqueues the node's kernels (it does not wait for them)."""

    supports: Callable[[Tensor], bool]
    run: Callable[[object, Tensor], None]
