"""Misuse of the non-op APIs (backend tensor access, allocators, scheduler, registry,
sched_eval helpers) raises the project's errors, naming the culprit.

Each case does one wrong thing and lists what the message must contain.
"""

import numpy as np
import pytest
from ggsched import (
    AllocationError,
    BackendNotFound,
    BufferAccessError,
    GGSchedError,
    GraphError,
    SchedulerError,
    TypeMismatchError,
    UnsupportedOpError,
    build_graph,
    ops,
    sched_eval,
)
from ggsched import backend as gb
from ggsched.alloc import GAllocr, alloc_ctx_tensors, alloc_ctx_tensors_from_buft
from ggsched.backends import registry
from ggsched.sched import Scheduler
from ggsched.types import GGMLType


def f32(*ne, name="a"):
    return ops.new_tensor("f32", ne, name)


def cpu():
    return registry.init_backend("CPU")


def allocated(*ne, name="a"):
    t = f32(*ne, name=name)
    alloc_ctx_tensors([t], cpu())
    return t


def _cpu_computes_a_node_without_kernel():
    # SQR producing i32 passes no builder; the CPU has no kernel for it
    a = f32(4)
    node = ops.sqr(a).set_name("sq")
    node.type = GGMLType.I32
    backend = cpu()
    graph = build_graph(node)
    alloc_ctx_tensors([a, node], backend)
    backend.graph_compute(graph)


def _load_weights_without_value():
    sched_eval.load_weights([f32(4, name="w")], cpu().default_buffer_type, {})


A4 = "a (f32, ne=[4, 1, 1, 1])"
CASES = [
    # (id, action, error, substrings the message must contain)
    ("get-unallocated", lambda: gb.tensor_get(f32(4)), BufferAccessError, [A4, "not allocated"]),
    ("set-too-many-bytes", lambda: gb.tensor_set(allocated(4), np.zeros(5, np.float32)),
     BufferAccessError, [A4, "20 bytes", "16 bytes"]),
    ("set-object-data", lambda: gb.tensor_set(allocated(4), None), BufferAccessError,
     [A4, "object"]),
    ("get-float-offset", lambda: gb.tensor_get(allocated(4), 1.5, 2), BufferAccessError,
     [A4, "offset", "1.5"]),
    ("get-offset-past-end", lambda: gb.tensor_get(allocated(4), 100), BufferAccessError,
     [A4, "offset 100"]),
    ("copy-layouts", lambda: gb.tensor_copy(allocated(4), allocated(5, name="b")),
     BufferAccessError, [A4, "b (f32, ne=[5, 1, 1, 1])"]),
    ("copy-to-array", lambda: gb.tensor_copy(allocated(4), np.zeros(4)), BufferAccessError,
     ["dst must be a Tensor", "ndarray"]),
    ("alloc-twice", lambda: gb.tensor_alloc(cpu().default_buffer_type.alloc_buffer(64),
                                            allocated(4), 0),
     BufferAccessError, [A4, "already allocated"]),
    ("gallocr-none-buft", lambda: GAllocr([None]), AllocationError,
     ["buffer type 0", "NoneType"]),
    ("gallocr-reserve-tensor", lambda: GAllocr(cpu().default_buffer_type).reserve(f32(4)),
     TypeMismatchError, ["GAllocr", "needs a Graph", "Tensor"]),
    ("gallocr-alloc-none", lambda: GAllocr(cpu().default_buffer_type).alloc_graph(None),
     TypeMismatchError, ["alloc_graph", "needs a Graph", "NoneType"]),
    ("alloc_ctx-none", lambda: alloc_ctx_tensors_from_buft(None, cpu().default_buffer_type),
     AllocationError, ["iterable of Tensors", "NoneType"]),
    ("alloc_ctx-non-tensor", lambda: alloc_ctx_tensors([f32(4), 3], cpu()), TypeMismatchError,
     ["alloc_ctx_tensors", "must be a Tensor", "int"]),
    ("sched-name-not-backend", lambda: Scheduler(["CPU"]), SchedulerError,
     ["backend 0", "str", "'CPU'"]),
    ("sched-graph-size-zero", lambda: Scheduler([cpu()], graph_size=0), SchedulerError,
     ["graph_size", "0"]),
    ("sched-graph-size-float", lambda: Scheduler([cpu()], graph_size=8.5), SchedulerError,
     ["graph_size", "8.5"]),
    ("sched-get-backend-range", lambda: Scheduler([cpu()]).get_backend(3), SchedulerError,
     ["get_backend", "3", "0..0"]),
    ("sched-pin-to-none", lambda: Scheduler([cpu()]).set_tensor_backend(f32(4), None),
     SchedulerError, ["CPU", "NoneType"]),
    ("sched-reserve-tensor", lambda: Scheduler([cpu()]).reserve(f32(4)), TypeMismatchError,
     ["Scheduler", "needs a Graph", "Tensor"]),
    ("sched-compute-none", lambda: Scheduler([cpu()]).graph_compute(None), TypeMismatchError,
     ["Scheduler", "needs a Graph", "NoneType"]),
    ("registry-device-none", lambda: registry.get_device(None), BackendNotFound,
     ["device", "None"]),
    ("registry-reg-int", lambda: registry.get_reg(0), BackendNotFound,
     ["backend family", "0"]),
    ("registry-register-str", lambda: registry.register("CPU"), TypeMismatchError,
     ["BackendReg", "str"]),
    ("cpu-compute-none", lambda: cpu().graph_compute(None), GraphError,
     ["CPU", "Graph", "NoneType"]),
    ("cpu-no-kernel", _cpu_computes_a_node_without_kernel, UnsupportedOpError,
     ["CPU", "SQR", "sq (i32", A4]),
    ("set_values-count", lambda: sched_eval.set_values(allocated(4), np.zeros(5)), GraphError,
     [A4, "5 values", "expected 4"]),
    ("set_values-text", lambda: sched_eval.set_values(allocated(4), ["x"] * 4),
     TypeMismatchError, [A4, "dtype"]),
    ("set_values-key", lambda: sched_eval.set_values("a", [0.0] * 4), TypeMismatchError,
     ["set_values", "must be a Tensor", "str"]),
    ("load_weights-missing", _load_weights_without_value, GraphError,
     ["no value", "w (f32, ne=[4, 1, 1, 1])"]),
]


@pytest.mark.parametrize("action, error, needles", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_api_misuse_raises_a_named_error(action, error, needles):
    with pytest.raises(error) as info:
        action()
    assert isinstance(info.value, GGSchedError)
    message = str(info.value)
    missing = [n for n in needles if n not in message]
    assert not missing, f"message {message!r} lacks {missing}"
