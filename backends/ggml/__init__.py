"""Real ggml (libggml-python) through ctypes: rebuild a ggsched Graph in ggml, compute it on
ggml's CPU backend, measure ggml's graph allocator, quantize with ggml.

Importing this package never loads the libraries; the first call that needs them does, and
raises ``GgmlUnavailable`` (a ``BackendUnavailable``) with the reason when they cannot load.
"""

from .build import GgmlGraph, GgmlMismatch
from .gallocr import GallocrPlan, gallocr_plan, measure_gallocr
from .lib import GgmlUnavailable, load, unavailable_reason
from .quantize import ggml_quantize, ggml_to_float, vec_dot_type
from .reg import register
from .runner import GgmlComputeError, GgmlRunner, GgmlUnsupported


def describe() -> str:
    """One line naming the loaded ggml and the CPU features its CPU backend uses."""
    return load().describe()


__all__ = [
    "GallocrPlan",
    "GgmlComputeError",
    "GgmlGraph",
    "GgmlMismatch",
    "GgmlRunner",
    "GgmlUnavailable",
    "GgmlUnsupported",
    "describe",
    "gallocr_plan",
    "ggml_quantize",
    "ggml_to_float",
    "load",
    "measure_gallocr",
    "register",
    "unavailable_reason",
    "vec_dot_type",
]
