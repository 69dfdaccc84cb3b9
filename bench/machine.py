"""What machine a run was made on: CPU, memory, Python, numpy's BLAS and the env that steers it.

NOTE: on some processors OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE) are set in the environment
because older OpenBLAS builds crash there; a current numpy then runs a slower kernel. The
report records the variables and the kernel OpenBLAS actually picked (threadpoolctl's
``architecture``), so two runs can be told apart.
"""

from __future__ import annotations

import os
import platform
import re
from typing import Any

import numpy as np

ENV_PREFIXES = ("OPENBLAS_", "OMP_", "MKL_", "GOTO", "BLIS_", "POCL_", "PYOPENCL_", "GGSCHED_",
                "GGML_")


def blas_info() -> list[dict[str, Any]]:
    """threadpoolctl's view of the loaded BLAS (library, version, threads, kernel) or []."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [dict(i) for i in threadpool_info() if i.get("user_api") == "blas"]


def numpy_blas_config() -> dict[str, Any]:
    """numpy's build-time BLAS (np.show_config), the fallback when threadpoolctl is absent."""
    try:
        cfg = np.show_config(mode="dicts")
    except TypeError:  # numpy < 1.26 has no mode
        return {}
    blas = cfg.get("Build Dependencies", {}).get("blas", {})
    return {k: blas.get(k) for k in ("name", "version", "openblas configuration") if k in blas}


def blas_summary() -> str:
    """One line: the BLAS numpy calls, its version, kernel and thread count."""
    info = blas_info()
    if info:
        i = info[0]
        return (f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')} kernel, "
                f"{i.get('num_threads')} threads)")
    cfg = numpy_blas_config()
    return f"{cfg.get('name', 'unknown BLAS')} {cfg.get('version', '')}".strip()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
        if m:
            return m.group(1).strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: a busy machine makes threaded timings noisy."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def steering_env() -> dict[str, str]:
    """The environment variables that change BLAS, OpenCL or ggsched behaviour."""
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(ENV_PREFIXES)}


def machine_info() -> dict[str, Any]:
    from ggsched import __version__

    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_bytes": memory_bytes(),
        "load_average": load_average(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "ggsched": __version__,
        "blas": blas_info(),
        "numpy_blas_config": numpy_blas_config(),
        "env": steering_env(),
    }
