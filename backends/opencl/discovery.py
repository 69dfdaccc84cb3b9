"""Finding OpenCL devices and choosing the default one.

pyopencl is imported here lazily, so ggsched works without it: when it or every platform is
missing, ``find_devices`` raises BackendUnavailable with the reason. ``GGSCHED_OPENCL_DEVICE``
picks the default device, either as ``platform:device`` indices (like ``PYOPENCL_CTX``) or as a
case-insensitive substring of "platform name / device name".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ggsched.errors import BackendUnavailable

ENV_DEVICE = "GGSCHED_OPENCL_DEVICE"


@dataclass(frozen=True)
class Found:
    """One OpenCL device with its place in the platform list."""

    platform_index: int
    device_index: int
    cl_device: Any  # pyopencl.Device

    @property
    def label(self) -> str:
        return f"{self.cl_device.platform.name.strip()} / {self.cl_device.name.strip()}"

    @property
    def key(self) -> str:
        return f"{self.platform_index}:{self.device_index}"


def import_pyopencl():
    """pyopencl, or BackendUnavailable saying how to get it."""
    try:
        import pyopencl
    except ImportError as e:
        raise BackendUnavailable(
            f"pyopencl is not installed ({e}); install the extra: pip install 'ggsched[opencl]'"
        ) from None
    return pyopencl


def find_devices() -> list[Found]:
    """Every device of every platform, in platform order; BackendUnavailable when none."""
    cl = import_pyopencl()
    try:
        platforms = cl.get_platforms()
    except cl.Error as e:  # an ICD loader with no platform raises PLATFORM_NOT_FOUND_KHR
        raise BackendUnavailable(f"no OpenCL platform: {e}") from None
    found = []
    for pi, platform in enumerate(platforms):
        try:
            devices = platform.get_devices()
        except cl.Error:  # NOTE: a platform with no device raises DEVICE_NOT_FOUND
            continue
        found += [Found(pi, di, d) for di, d in enumerate(devices)]
    if not found:
        raise BackendUnavailable("no OpenCL device on any platform")
    return found


def choose_default(found: list[Found], selector: str | None = None) -> Found:
    """The device ``selector`` (default: $GGSCHED_OPENCL_DEVICE) names, else the first GPU,
    else the first device. A selector that matches nothing raises BackendUnavailable."""
    selector = os.environ.get(ENV_DEVICE) if selector is None else selector
    if selector:
        return _select(found, selector.strip())
    cl = import_pyopencl()
    gpus = [f for f in found if f.cl_device.type & cl.device_type.GPU]
    return gpus[0] if gpus else found[0]


def _select(found: list[Found], selector: str) -> Found:
    if ":" in selector and selector.replace(":", "").isdigit():
        matches = [f for f in found if f.key == selector]
    else:
        matches = [f for f in found if selector.lower() in f.label.lower()]
    if not matches:
        listing = "; ".join(f"{f.key} = {f.label}" for f in found)
        raise BackendUnavailable(f"{ENV_DEVICE}={selector!r} matches no OpenCL device: {listing}")
    return matches[0]
