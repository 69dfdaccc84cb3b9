"""The OpenCL device, its registry entry, buffers, async transfers, events and faults."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from ggsched import ops
from ggsched.alloc import alloc_ctx_tensors_from_buft
from ggsched.backend import DeviceType, tensor_copy, tensor_get, tensor_memset, tensor_set
from ggsched.backends.cpu import cpu_backend
from ggsched.backends.opencl import KernelBuildError, register
from ggsched.backends.opencl.discovery import choose_default, find_devices
from ggsched.backends.opencl.runtime import clear_program_caches
from ggsched.errors import AllocationError, BackendUnavailable, BufferAccessError
from ggsched.graph import build_graph
from ggsched.tensor import Tensor
from ggsched.types import GGMLType
from opencl_support import cl_backend, cl_device  # noqa: F401 - fixtures

pytestmark = pytest.mark.opencl
F32 = GGMLType.F32


def place(buft, *tensors: Tensor):
    return alloc_ctx_tensors_from_buft(tensors, buft)


def f32_tensor(n: int, name: str = "t") -> Tensor:
    return ops.new_tensor(F32, (n,), name)


# -- registry and discovery -----------------------------------------------------------------------


def test_devices_are_named_opencl_then_numbered(cl_device):  # noqa: F811
    devices = register().devices()
    assert [d.name for d in devices] == ["OpenCL"] + [f"OpenCL{i}" for i in
                                                      range(len(devices) - 1)]
    default = devices[0]
    assert default.buffer_type is default.twin.buffer_type
    assert default.supports_buft(devices[1 + find_devices().index(default.found)].buffer_type)
    assert default.caps.async_ and default.caps.events
    assert default.type in (DeviceType.GPU, DeviceType.IGPU)
    free, total = default.memory()
    assert 0 < free <= total


def test_selector_by_index_and_by_name(cl_device):  # noqa: F811
    found = find_devices()
    last = found[-1]
    assert choose_default(found, last.key) is last
    word = last.cl_device.name.strip().split()[0].upper()  # any case, any part of the name
    assert word.lower() in choose_default(found, word).label.lower()


def test_selector_matching_nothing_lists_the_devices(cl_device, monkeypatch):  # noqa: F811
    monkeypatch.setenv("GGSCHED_OPENCL_DEVICE", "no-such-device")
    with pytest.raises(BackendUnavailable, match="no-such-device.*0:0 = "):
        register().devices()


def test_without_pyopencl_the_backend_is_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyopencl", None)  # import pyopencl raises ImportError
    with pytest.raises(BackendUnavailable, match="pyopencl is not installed"):
        register().devices()


# -- buffers --------------------------------------------------------------------------------------


def test_buffer_type_facts(cl_device):  # noqa: F811
    buft, dev = cl_device.buffer_type, cl_device.found.cl_device
    assert buft.alignment >= max(64, dev.mem_base_addr_align // 8)
    assert buft.alignment & (buft.alignment - 1) == 0
    assert buft.max_size == dev.max_mem_alloc_size
    assert not buft.is_host


def test_set_get_at_offsets_memset_clear(cl_device):  # noqa: F811
    a, b = f32_tensor(37, "a"), f32_tensor(11, "b")
    buf = place(cl_device.buffer_type, a, b)
    assert b.data % cl_device.buffer_type.alignment == 0 and b.data > 0
    values = np.arange(37, dtype=np.float32)
    tensor_set(a, values)
    tensor_set(b, np.full(11, 7, np.float32))
    tensor_set(a, np.array([-1, -2], np.float32), offset=4 * 30)
    got = tensor_get(a).view(np.float32)
    assert got[30] == -1 and got[31] == -2 and got[29] == 29 and got[32] == 32
    assert tensor_get(a, 8, 8).view(np.float32).tolist() == [2.0, 3.0]
    tensor_memset(b, 0, 4, 8)
    assert tensor_get(b).view(np.float32).tolist() == [7, 0, 0] + [7] * 8
    buf.clear(0)
    assert not tensor_get(a).any() and not tensor_get(b).any()
    buf.free()


def test_accesses_outside_a_tensor_are_refused(cl_device):  # noqa: F811
    a = f32_tensor(4)
    buf = place(cl_device.buffer_type, a)
    with pytest.raises(BufferAccessError, match="outside tensor"):
        tensor_set(a, np.zeros(5, np.float32))
    buf.free()


def test_cpy_between_opencl_buffers_runs_on_the_device(cl_device):  # noqa: F811
    src, dst = f32_tensor(33, "src"), f32_tensor(33, "dst")
    b1, b2 = place(cl_device.buffer_type, src), place(cl_device.buffer_type, dst)
    values = np.linspace(-1, 1, 33, dtype=np.float32)
    tensor_set(src, values)
    assert b2.cpy_tensor(src, dst)  # the device copy, not the staged host copy
    assert np.array_equal(tensor_get(dst).view(np.float32), values)
    tensor_set(src, -values)
    tensor_copy(src, dst)
    assert np.array_equal(tensor_get(dst).view(np.float32), -values)
    b1.free()
    b2.free()


def test_cpy_from_a_host_buffer_is_not_a_device_copy(cl_device):  # noqa: F811
    host, dev = f32_tensor(8, "host"), f32_tensor(8, "dev")
    hb = place(cpu_backend().default_buffer_type, host)
    db = place(cl_device.buffer_type, dev)
    tensor_set(host, np.arange(8, dtype=np.float32))
    assert not db.cpy_tensor(host, dev)
    tensor_copy(host, dev)  # the interface stages it: set from host memory
    assert tensor_get(dev).view(np.float32).tolist() == list(range(8))
    hb.free()
    db.free()


def test_allocation_beyond_the_device_limit_is_refused(cl_device):  # noqa: F811
    buft = cl_device.buffer_type
    with pytest.raises(AllocationError, match=f"at most {buft.max_size} bytes"):
        buft.alloc_buffer(buft.max_size + 1)
    assert buft.alloc_buffer(64).size == 64  # and the device still allocates after it


# -- async transfers and events -------------------------------------------------------------------


def test_async_set_get_keep_host_memory_until_synchronize(cl_backend):  # noqa: F811
    a = f32_tensor(1024)
    buf = place(cl_backend.default_buffer_type, a)
    values = np.arange(1024, dtype=np.float32)
    cl_backend.set_tensor_async(a, values * 2)  # a temporary: only the queue holds it
    out = cl_backend.get_tensor_async(a)
    assert len(cl_backend.runtime.pending) == 2
    cl_backend.synchronize()
    assert not cl_backend.runtime.pending
    assert np.array_equal(out.view(np.float32), values * 2)
    buf.free()


def test_cpy_tensor_async_from_opencl_and_from_host(cl_backend):  # noqa: F811
    cpu = cpu_backend()
    src, mid, dst = f32_tensor(16, "src"), f32_tensor(16, "mid"), f32_tensor(16, "dst")
    hb = place(cpu.default_buffer_type, src)
    db = place(cl_backend.default_buffer_type, mid, dst)
    tensor_set(src, np.arange(16, dtype=np.float32))
    assert cl_backend.cpy_tensor_async(cpu, src, mid)
    tensor_set(src, np.zeros(16, np.float32))  # the queued copy took a snapshot
    assert cl_backend.cpy_tensor_async(cl_backend, mid, dst)
    cl_backend.synchronize()
    assert tensor_get(dst).view(np.float32).tolist() == list(range(16))
    assert not cpu.cpy_tensor_async(cl_backend, dst, src)  # the CPU side does not do device reads
    hb.free()
    db.free()


def test_events_order_the_queue_and_the_host(cl_device, cl_backend):  # noqa: F811
    a = f32_tensor(4096)
    buf = place(cl_backend.default_buffer_type, a)
    x = ops.scale(a, 3.0)
    graph = build_graph(x)
    xb = place(cl_backend.default_buffer_type, x)
    tensor_set(a, np.ones(4096, np.float32))
    event = cl_device.event_new()
    event.synchronize()  # never recorded: nothing to wait for
    cl_backend.graph_compute_async(graph)
    event.record(cl_backend)
    event.wait(cl_backend)  # the queue waits on the device
    event.wait(cpu_backend())  # another backend waits on the host
    event.synchronize()
    assert np.all(tensor_get(x).view(np.float32) == 3.0)
    buf.free()
    xb.free()


# -- faults ---------------------------------------------------------------------------------------


def test_a_kernel_that_does_not_build_names_itself_the_device_and_the_log(cl_backend):  # noqa: F811
    rt = cl_backend.runtime
    before = len(rt.programs)
    source = "kernel void broken(global float *x) { x[0] = undefined_thing; }"
    with pytest.raises(KernelBuildError) as info:
        rt.programs.build_source("broken", source, "-DSOME_OPTION=1")
    msg = str(info.value)
    assert "broken.cl" in msg and "kernels: broken" in msg
    assert rt.device.name.strip() in msg and "-DSOME_OPTION=1" in msg
    assert "undefined_thing" in msg  # the compiler's log
    assert len(rt.programs) == before


def test_program_cache_is_per_context_and_clearable(cl_backend):  # noqa: F811
    rt = cl_backend.runtime
    k1 = rt.programs.kernel("cpy", "cpy")
    assert rt.programs.kernel("cpy", "cpy") is k1
    clear_program_caches()
    assert len(rt.programs) == 0
    assert rt.programs.kernel("cpy", "cpy") is not k1


def test_a_tensor_outside_device_memory_is_refused(cl_backend):  # noqa: F811
    a = f32_tensor(8)
    hb = place(cpu_backend().default_buffer_type, a)
    x = ops.scale(a, 2.0)
    xb = place(cl_backend.default_buffer_type, x)
    with pytest.raises(BufferAccessError, match="not in this device's memory"):
        cl_backend.graph_compute(build_graph(x))
    hb.free()
    xb.free()
