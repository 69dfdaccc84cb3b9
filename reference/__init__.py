"""ggsched: a Python reference of ggml's multi-backend scheduler (ggml_backend_sched).

The engine lives here: types, tensors, ops (shape rules), graphs, the numpy golden, the backend
interface, the allocators and the scheduler. Backends are in ``ggsched.backends``.
"""

from importlib.metadata import PackageNotFoundError, version

from . import golden, ops
from .errors import (
    AllocationError,
    BackendNotFound,
    BackendUnavailable,
    BufferAccessError,
    GGSchedError,
    GraphError,
    OpParamError,
    QuantizationError,
    SchedulerError,
    ShapeError,
    TypeMismatchError,
    UnsupportedOpError,
    ViewError,
)
from .graph import Graph, build_graph
from .op import GluOp, Op, RopeMode, SortOrder, UnaryOp
from .tensor import Tensor, TensorFlag, new_tensor
from .types import GGMLType

try:
    __version__ = version("ggsched")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

F32, F16, Q4_0, Q8_0, I32, I64 = (
    GGMLType.F32,
    GGMLType.F16,
    GGMLType.Q4_0,
    GGMLType.Q8_0,
    GGMLType.I32,
    GGMLType.I64,
)

__all__ = [
    "F16",
    "F32",
    "I32",
    "I64",
    "Q4_0",
    "Q8_0",
    "AllocationError",
    "BackendNotFound",
    "BackendUnavailable",
    "BufferAccessError",
    "GGMLType",
    "GGSchedError",
    "Graph",
    "GraphError",
    "GluOp",
    "Op",
    "OpParamError",
    "QuantizationError",
    "RopeMode",
    "SchedulerError",
    "ShapeError",
    "SortOrder",
    "Tensor",
    "TensorFlag",
    "TypeMismatchError",
    "UnaryOp",
    "UnsupportedOpError",
    "ViewError",
    "build_graph",
    "golden",
    "new_tensor",
    "ops",
    "__version__",
]
