"""Find and load real ggml: the shared libraries and headers shipped by PyPI's libggml-python.

``load()`` opens libggml-base, then libggml-cpu, then libggml (each RTLD_GLOBAL, the order the
CPU backend's symbols need), declares the C signatures, checks that our ``struct ggml_tensor``
layout is the library's, and maps ggml's enums by name. It is cached; a failure is cached too
and raised again as ``GgmlUnavailable`` with the same reason.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.metadata
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from ggsched.errors import BackendUnavailable

LIB_NAMES = ("libggml-base.so", "libggml-cpu.so", "libggml.so")


class GgmlUnavailable(BackendUnavailable):
    """Real ggml cannot be used here; the message says why (package, library or ABI)."""


@dataclass(frozen=True)
class Paths:
    """Where the libggml-python wheel put ggml."""

    root: Path
    lib_dir: Path
    include_dir: Path

    @property
    def header(self) -> Path:
        return self.include_dir / "ggml.h"


def find_paths() -> Paths:
    """Locate the libggml package without importing anything from it."""
    spec = importlib.util.find_spec("libggml")
    if spec is None or not spec.submodule_search_locations:
        raise GgmlUnavailable(
            "the libggml-python package is not installed (pip install 'ggsched[ggml]')"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    for lib_dir in (root / "lib64", root / "lib"):
        if (lib_dir / LIB_NAMES[0]).exists():
            return Paths(root, lib_dir, root / "include")
    raise GgmlUnavailable(f"libggml-python at {root} has no {LIB_NAMES[0]} in lib64/ or lib/")


def _open(lib_dir: Path) -> tuple[ctypes.CDLL, ...]:
    libs = []
    for name in LIB_NAMES:
        path = lib_dir / name
        try:
            libs.append(ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL))
        except OSError as e:
            raise GgmlUnavailable(f"cannot load {path}: {e}") from None
    return tuple(libs)


class Lib:
    """The loaded libraries. ``base``, ``cpu`` and ``ggml`` are the three CDLLs; ``enums`` the
    name maps (see ``ggsched.backends.ggml.enums``); ``version`` the wheel's version."""

    def __init__(self, paths: Paths) -> None:
        from . import cdefs, enums  # NOTE: imported here so a missing wheel fails cheaply

        self.paths = paths
        self.base, self.cpu, self.ggml = _open(paths.lib_dir)
        try:
            cdefs.declare(self)
            cdefs.check_tensor_layout(self)
            self.enums = enums.load(self, paths.header)
        except (AttributeError, ValueError) as e:
            raise GgmlUnavailable(
                f"ggml at {paths.lib_dir} does not match this binding: {e}"
            ) from None
        self.cpu.ggml_cpu_init()
        self.version = _version()

    def fn(self, name: str):
        """A declared C function, whichever of the three libraries exports it."""
        for lib in (self.base, self.cpu, self.ggml):
            try:
                return getattr(lib, name)
            except AttributeError:
                continue
        raise AttributeError(f"no ggml library exports {name}")

    def describe(self) -> str:
        """ "ggml 0.20.2 CPU (libggml-python; AVX2 F16C FMA)": version and CPU features used."""
        feats = [f.upper() for f in _CPU_FEATURES if getattr(self.cpu, f"ggml_cpu_has_{f}")()]
        return f"ggml {self.version} CPU (libggml-python; {' '.join(feats) or 'no SIMD'})"

    def __repr__(self) -> str:
        return f"<ggml {self.version} from {self.paths.lib_dir}>"


_CPU_FEATURES = ("avx", "avx2", "avx512", "f16c", "fma", "neon", "sve", "llamafile")


def default_threads() -> int:
    """Threads for ggml's CPU backend: ``GGSCHED_GGML_THREADS``, else one per CPU.

    NOTE: ggml's threads spin at barriers; on a machine shared with other work, fewer
    threads than CPUs (even 1) give steadier and often faster timings.
    """
    return int(os.environ.get("GGSCHED_GGML_THREADS", 0)) or os.cpu_count() or 1


def _version() -> str:
    try:
        return importlib.metadata.version("libggml-python")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


@functools.lru_cache(maxsize=1)
def _load_cached() -> Lib | GgmlUnavailable:
    try:
        return Lib(find_paths())
    except GgmlUnavailable as e:
        return e


def load() -> Lib:
    """The loaded ggml libraries; raises GgmlUnavailable (with the reason) when they can't be."""
    lib = _load_cached()
    if isinstance(lib, GgmlUnavailable):
        raise GgmlUnavailable(str(lib))
    return lib


def unavailable_reason() -> str | None:
    """None when real ggml loads, else why it does not (for skips and ``ggsched backends``)."""
    lib = _load_cached()
    return str(lib) if isinstance(lib, GgmlUnavailable) else None
