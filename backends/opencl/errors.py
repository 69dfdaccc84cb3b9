"""The OpenCL backend's own errors (all ``GGSchedError``s, so callers can catch them together)."""

from __future__ import annotations

from ggsched.errors import GGSchedError


class KernelBuildError(GGSchedError):
    """An OpenCL program did not compile; the message names the program, its kernels, the
    device, the build options and carries the compiler's build log."""


class OpenCLRuntimeError(GGSchedError):
    """The OpenCL runtime refused a command (enqueue, copy, event); the message says which."""


__all__ = ["KernelBuildError", "OpenCLRuntimeError"]
