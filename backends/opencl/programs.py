"""OpenCL programs: built once per context from kernels/*.cl, cached, clearable.

Every program is ``kernels/common.cl`` followed by one op family's file, built with the given
options. Built programs and their kernel objects are kept per (family, options) until
``clear()``. Binaries also persist across processes: PoCL and NVIDIA cache builds themselves
(keyed by their own compiler inputs); for other drivers pyopencl's on-disk cache is used, keyed
by platform, device, driver version, options and source, in ``$GGSCHED_OPENCL_CACHE_DIR`` when
that is set (else pyopencl's default directory; ``PYOPENCL_NO_CACHE=1`` turns it off).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

from .discovery import import_pyopencl
from .errors import KernelBuildError

KERNEL_DIR = Path(__file__).with_name("kernels")
ENV_CACHE_DIR = "GGSCHED_OPENCL_CACHE_DIR"


@functools.cache
def family_source(family: str) -> str:
    """common.cl + <family>.cl, as one program source."""
    common = (KERNEL_DIR / "common.cl").read_text()
    return common + "\n" + (KERNEL_DIR / f"{family}.cl").read_text()


def kernel_names(source: str) -> list[str]:
    return re.findall(r"\bkernel\s+(?:__attribute__\(\(.*?\)\)\s+)?void\s+(\w+)", source)


class Programs:
    """The programs of one context (one device), keyed by (family, options)."""

    def __init__(self, context: Any, device: Any) -> None:
        self.context = context
        self.device = device
        self._programs: dict[tuple[str, str], Any] = {}
        self._kernels: dict[tuple[str, str, str], Any] = {}

    def kernel(self, family: str, name: str, options: str = "") -> Any:
        """The kernel object ``name`` of family ``family`` built with ``options``."""
        key = (family, options, name)
        knl = self._kernels.get(key)
        if knl is None:
            knl = self._kernels[key] = getattr(self.program(family, options), name)
        return knl

    def program(self, family: str, options: str = "") -> Any:
        key = (family, options)
        prg = self._programs.get(key)
        if prg is None:
            prg = self._programs[key] = self.build_source(family, family_source(family), options)
        return prg

    def build_source(self, family: str, source: str, options: str = "") -> Any:
        """Build ``source`` (uncached in memory); KernelBuildError with the log on failure."""
        cl = import_pyopencl()
        cache_dir = os.environ.get(ENV_CACHE_DIR) or None
        try:
            return cl.Program(self.context, source).build(options=options, cache_dir=cache_dir)
        except cl.Error as e:
            raise KernelBuildError(self._failure(family, source, options, e)) from None

    def _failure(self, family: str, source: str, options: str, error: Exception) -> str:
        names = ", ".join(kernel_names(source)) or "none found"
        dev = self.device
        return (
            f"OpenCL program {family}.cl (kernels: {names}) failed to build on device "
            f"{dev.name.strip()!r} ({dev.platform.name.strip()}, driver {dev.driver_version}) "
            f"with options {options!r}. Build log:\n{error}"
        )

    def clear(self) -> None:
        """Forget every built program and kernel (they are rebuilt on next use)."""
        self._programs.clear()
        self._kernels.clear()

    def __len__(self) -> int:
        return len(self._programs)
