"""The CPU buffer type, buffer, device, backend and registry entry follow ggml's CPU rules."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import numpy as np
import pytest
from ggsched import ops
from ggsched.backend import (
    Buffer,
    DeviceType,
    EmptyBuffer,
    tensor_alloc,
    tensor_copy,
    tensor_get,
    tensor_memset,
    tensor_set,
    view_init,
)
from ggsched.backends.cpu import CPUBackendReg, CPUBufferType, cpu_backend, register
from ggsched.backends.cpu.device import blas_name, cpu_name
from ggsched.errors import BufferAccessError
from ggsched.graph import build_graph
from ggsched.layout import from_numpy_bytes, tensor_values
from sched_fakes import FakeBufferType


def device_memory(size: int) -> Buffer:
    """A buffer the CPU cannot read: a stand-in for GPU memory."""
    return FakeBufferType("FAKE", is_host=False).alloc_buffer(size)


@pytest.fixture
def buft() -> CPUBufferType:
    return cpu_backend().default_buffer_type


def placed(buffer: Buffer, ne=(13, 7), offset: int = 0, type="f32"):
    t = ops.new_tensor(type, ne)
    tensor_alloc(buffer, t, offset)
    return t


def test_buffer_type_is_ggmls_cpu_type(buft):
    t = ops.new_tensor("q8_0", (64, 3))
    assert (buft.name, buft.alignment, buft.is_host) == ("CPU", 32, True)
    assert buft.max_size == sys.maxsize
    assert buft.alloc_size(t) == t.nbytes
    assert buft.device is cpu_backend().device


def test_buffer_is_one_aligned_host_array(buft):
    for size in (1, 100, 4097):
        buf = buft.alloc_buffer(size)
        arr = buf.host_array()
        assert (arr.dtype, arr.size, buf.size) == (np.uint8, size, size)
        assert arr.ctypes.data % 64 == 0
    assert isinstance(buft.alloc_buffer(0), EmptyBuffer)


def test_tensors_are_zero_copy_views(buft):
    buf = buft.alloc_buffer(1024)
    t = placed(buf, offset=96)
    tensor_set(t, from_numpy_bytes(t.type, np.arange(91, dtype=np.float32)))
    raw = buf.host_array()[96 : 96 + t.nbytes].view(np.float32)
    assert raw[5] == 5.0
    raw[5] = -1.0  # writing the buffer's array is writing the tensor
    assert tensor_values(buf.host_array(), t)[0, 0, 0, 5] == -1.0


def test_set_get_memset_clear_at_offsets(buft):
    buf = buft.alloc_buffer(512)
    t = placed(buf, offset=64)
    data = np.arange(t.nbytes, dtype=np.uint8)
    tensor_set(t, data[:40], offset=8)
    assert np.array_equal(tensor_get(t, 8, 40), data[:40])
    tensor_memset(t, 0x7F, offset=4, size=4)
    assert np.array_equal(tensor_get(t, 0, 12), [0] * 4 + [0x7F] * 4 + list(data[:4]))
    buf.clear(3)
    assert (buf.host_array() == 3).all()


def test_access_outside_a_tensor_is_refused(buft):
    buf = buft.alloc_buffer(512)
    t = placed(buf)
    with pytest.raises(BufferAccessError, match="outside tensor"):
        tensor_set(t, np.zeros(t.nbytes + 1, np.uint8))
    with pytest.raises(BufferAccessError, match="outside tensor"):
        tensor_get(t, offset=t.nbytes - 2, size=4)


def test_views_reach_their_view_src_buffer(buft):
    buf = buft.alloc_buffer(1024)
    a = placed(buf, ne=(8, 4), offset=32)
    v = ops.view_1d(a, 8, offset=2 * a.nb[1])
    view_init(v)
    tensor_set(v, np.full(8, 2.5, np.float32))
    assert (tensor_values(buf.host_array(), a)[0, 0, 2] == 2.5).all()


def test_cpy_tensor_only_from_host_memory(buft):
    cpu_buf, fake_buf = buft.alloc_buffer(256), device_memory(256)
    src_host, dst = placed(cpu_buf, (8,)), placed(cpu_buf, (8,), offset=64)
    src_dev = placed(fake_buf, (8,))
    tensor_set(src_host, np.arange(8, dtype=np.float32))
    assert cpu_buf.cpy_tensor(src_host, dst)
    assert np.array_equal(tensor_get(dst).view(np.float32), np.arange(8))
    assert not cpu_buf.cpy_tensor(src_dev, dst)


def test_tensor_copy_between_cpu_and_device_memory(buft):
    cpu_buf, fake_buf = buft.alloc_buffer(256), device_memory(256)
    a, b = placed(cpu_buf, (8, 2), type="f16"), placed(fake_buf, (8, 2), type="f16")
    c = placed(cpu_buf, (8, 2), offset=64, type="f16")
    tensor_set(a, np.linspace(-1, 1, 16).astype(np.float16))
    tensor_copy(a, b)  # host source: set
    tensor_copy(b, c)  # host destination: get
    assert np.array_equal(tensor_get(c), tensor_get(a))


def test_freed_buffer_is_unusable(buft):
    buf = buft.alloc_buffer(64)
    t = placed(buf, (4,))
    buf.free()
    with pytest.raises(BufferAccessError, match="freed"):
        tensor_get(t)


def test_device_describes_the_machine():
    dev = cpu_backend().device
    free, total = dev.memory()
    assert (dev.name, dev.type) == ("CPU", DeviceType.CPU)
    assert 0 < free <= total
    assert dev.description.startswith(cpu_name())
    assert f"numpy {np.__version__}" in dev.description and blas_name() in dev.description
    assert dev.supports_buft(dev.buffer_type)
    assert not dev.supports_buft(FakeBufferType("FAKE", is_host=False))


def test_registry_entry_point_gives_the_cpu():
    (ep,) = entry_points(group="ggsched.backends", name="cpu")
    reg = ep.load()()
    assert isinstance(reg, CPUBackendReg) and reg is register()
    assert reg.name == "CPU" and [d.name for d in reg.devices()] == ["CPU"]


def test_graph_compute_runs_nodes_in_order_and_skips_views(buft):
    a = ops.new_tensor("f32", (4, 3))
    out = ops.sum_rows(ops.transpose(ops.scale(a, 2.0)))
    graph = build_graph(out)
    buf = buft.alloc_buffer(1024)
    for i, t in enumerate(x for x in graph.tensors() if x.view_src is None):
        tensor_alloc(buf, t, 128 * i)
    for t in graph.tensors():
        if t.view_src is not None:
            view_init(t)
    tensor_set(a, np.arange(12, dtype=np.float32))
    cpu_backend().graph_compute(graph)
    assert np.array_equal(tensor_get(out).view(np.float32), [24, 30, 36, 42])
