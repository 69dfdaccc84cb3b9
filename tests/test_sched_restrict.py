"""The restricting wrapper: what it refuses, what memory it reads, and that it still computes."""

from __future__ import annotations

import pytest
import sched_fakes as F
from ggsched import ops
from ggsched.backend import DeviceType
from ggsched.backends.restrict import Restricted
from ggsched.errors import UnsupportedOpError
from ggsched.graph import Graph
from ggsched.op import GluOp, Op, UnaryOp

a = ops.new_tensor_2d("f32", 8, 4, name="a")
q = ops.new_tensor_2d("q8_0", 32, 4, name="q")
b = ops.new_tensor_2d("f32", 32, 2, name="b")
SM, GELU, MM_Q = ops.soft_max(a), ops.unary(a, UnaryOp.GELU), ops.mul_mat(q, b)
MM_F = ops.mul_mat(a, ops.new_tensor_2d("f32", 8, 2))
SWIGLU, ADD = ops.glu(a, a, GluOp.SWIGLU), ops.add(a, a)


@pytest.mark.parametrize(
    "refuse, refused",
    [
        (Op.SOFT_MAX, {"SM"}),
        ("soft_max", {"SM"}),
        (UnaryOp.GELU, {"GELU"}),
        ("gelu", {"GELU"}),
        (GluOp.SWIGLU, {"SWIGLU"}),
        ((Op.MUL_MAT, "q8_0"), {"MM_Q"}),
        ([(Op.MUL_MAT, "q8_0"), Op.ADD], {"MM_Q", "ADD"}),
        (lambda n: n.op is Op.MUL_MAT and n.ne[1] >= 2, {"MM_Q", "MM_F"}),
        ((), set()),
    ],
)
def test_refusals(refuse, refused):
    r = Restricted(F.cpu(), refuse=refuse)
    nodes = {"SM": SM, "GELU": GELU, "MM_Q": MM_Q, "MM_F": MM_F, "SWIGLU": SWIGLU, "ADD": ADD}
    assert {k for k, n in nodes.items() if not r.supports_op(n)} == refused


def test_refuses_what_the_wrapped_backend_refuses():
    r = Restricted(F.cpu(refuse=(Op.ADD,)), refuse=Op.SOFT_MAX)
    assert not r.supports_op(ADD) and not r.supports_op(SM) and r.supports_op(GELU)


def test_bad_refusal_is_a_type_error():
    with pytest.raises(TypeError, match="cannot refuse 3"):
        Restricted(F.cpu(), refuse=[3])


def test_host_readable_shares_the_wrapped_buffer_type():
    cpu = F.cpu()
    r = Restricted(cpu, refuse=Op.SOFT_MAX, name="BLASLIKE")
    assert r.default_buffer_type is cpu.default_buffer_type
    assert r.supports_buft(cpu.default_buffer_type)
    assert r.device.type is DeviceType.CPU and r.name == "BLASLIKE"


def test_private_memory_is_not_host_and_only_its_device_reads_it():
    cpu = F.cpu()
    r = Restricted(cpu, host_readable=False, name="FAKE")
    buft = r.default_buffer_type
    assert buft is not cpu.default_buffer_type and not buft.is_host and buft.name == "FAKE"
    assert r.supports_buft(buft) and not r.supports_buft(cpu.default_buffer_type)
    assert not cpu.supports_buft(buft)
    assert r.device.type is DeviceType.GPU
    buffer = buft.alloc_buffer(64)
    assert buffer.buft is buft and not buffer.is_host and buffer.size == 64


def test_offload_policy():
    r = Restricted(F.cpu(), offload=F.mul_mat_batch_32)
    big = ops.mul_mat(ops.new_tensor_2d("f32", 8, 8), ops.new_tensor_2d("f32", 8, 32))
    assert r.offload_op(big) and not r.offload_op(MM_F)


def test_computes_through_the_wrapped_backend_and_refuses_refused_nodes():
    cpu = F.cpu()
    r = Restricted(cpu, refuse=Op.SOFT_MAX, name="R")
    g = Graph(None).build_forward_expand(ADD)
    r.graph_compute(g)
    assert cpu.computed == [ADD]
    with pytest.raises(UnsupportedOpError, match="backend R was asked to compute SOFT_MAX"):
        r.graph_compute(Graph(None).build_forward_expand(SM))


def test_init_backend_from_its_device_gives_a_restricted_backend():
    r = Restricted(F.cpu(), refuse=Op.SOFT_MAX, host_readable=False, name="FAKE")
    again = r.device.init_backend()
    assert isinstance(again, Restricted) and again.device is r.device
    assert not again.supports_op(SM)
