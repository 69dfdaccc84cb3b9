"""Scheduler passes 1-5 on fake devices: assignment, splits, copies, errors, the debug text.

Nothing here computes or allocates compute memory; see test_sched_example.py and
test_sched_exec.py for that.
"""

from __future__ import annotations

import io
import re

import pytest
import sched_fakes as F
from ggsched import ops
from ggsched.errors import SchedulerError
from ggsched.graph import Graph
from ggsched.op import Op
from ggsched.sched import Scheduler
from ggsched.tensor import TensorFlag


def example(n: int, op_offload: bool = True, parallel: bool = False):
    fake, cpu = F.gpu(offload=F.mul_mat_batch_32), F.cpu()
    g, t = F.example_211(n)
    F.place_weights(fake.default_buffer_type, t["w1"], t["w3"])
    F.place_weights(cpu.default_buffer_type, t["w2"])
    sched = Scheduler([fake, cpu], op_offload=op_offload, parallel=parallel)
    return sched, g, t


def backend_of(sched: Scheduler, t) -> str:
    b = sched.get_tensor_backend(t)
    return b.name if b else "NULL"


def split_summary(sched: Scheduler) -> list[tuple[str, list[str], list[str]]]:
    return [
        (s["backend"], [i["name"] for i in s["inputs"]], [r["name"] for r in s["reused_copies"]])
        for s in sched.plan()["splits"]
    ]


# -- ggml.md §2.11 ------------------------------------------------------------------------------


def test_example_211_n4_assignment_and_splits():
    sched, g, t = example(4)
    sched.split_graph(g)
    where = {name: backend_of(sched, t[name]) for name in t}
    assert where == {"x": "CPU", "w1": "FAKE", "w2": "CPU", "w3": "FAKE", "h1": "FAKE",
                     "s1": "FAKE", "sm": "CPU", "h2": "CPU", "r2": "FAKE", "h3": "FAKE",
                     "out": "FAKE"}
    # the copy of x made for split 0 is read again by split 2 without being listed again
    assert split_summary(sched) == [("FAKE", ["x"], []), ("CPU", ["s1"], []),
                                    ("FAKE", ["h2"], ["x"])]
    assert t["r2"].src[1] is t["h1"].src[1]
    assert t["r2"].src[1].name == "FAKE#x#0"


def test_example_211_n64_offload_moves_h2_and_copies_its_weight():
    sched, g, t = example(64)
    sched.split_graph(g)
    assert backend_of(sched, t["h2"]) == "FAKE"
    assert sched.placement.causes[t["h2"]] == "1.off"
    assert backend_of(sched, t["sm"]) == "CPU"
    assert split_summary(sched) == [("FAKE", ["x"], []), ("CPU", ["s1"], []),
                                    ("FAKE", ["w2", "sm"], ["x"])]


def test_example_211_n64_without_op_offload_keeps_h2_with_its_weight():
    sched, g, t = example(64, op_offload=False)
    sched.split_graph(g)
    assert backend_of(sched, t["h2"]) == "CPU"
    assert split_summary(sched) == [("FAKE", ["x"], []), ("CPU", ["s1"], []),
                                    ("FAKE", ["h2"], ["x"])]


def test_example_211_debug_text_matches_ggml():
    sched, g, _ = example(4)
    sched.debug, sched.debug_file = 2, io.StringIO()
    sched.split_graph(g)
    lines = [line.rstrip() for line in sched.debug_file.getvalue().splitlines()]
    # the first three lines of ggml.md §2.11, verbatim
    expected = [
        "## SPLIT #0: FAKE # 1 inputs: [x (   1K)]",
        "node #  0 (   MUL_MAT):                   h1 (   1K) [ FAKE         ] use=1,c=1:"
        "                   w1 (  16K) [ FAKE         ]             FAKE#x#0 (   1K) [ NULL"
        "         ]",
        "node #  1 (     SCALE):                   s1 (   1K) [ FAKE         ] use=1,c=1:"
        "                   h1 (   1K) [ FAKE         ]",
    ]
    assert lines[1:4] == expected
    assert "## SPLIT #2: FAKE # 1 inputs: [h2 (   1K)]" in lines


def test_debug_level_1_prints_only_split_headers():
    sched, g, _ = example(4)
    sched.debug, sched.debug_file = 1, io.StringIO()
    sched.split_graph(g)
    text = sched.debug_file.getvalue()
    assert text.count("## SPLIT") == 3 and "node #" not in text


def test_debug_env_variable_is_read(monkeypatch, capsys):
    monkeypatch.setenv("GGSCHED_DEBUG", "2")
    sched, g, _ = example(4)
    sched.split_graph(g)
    err = capsys.readouterr().err
    assert "## SPLIT #1: CPU # 1 inputs: [s1 (   1K)]" in err and "node #  6" in err


# -- construction -------------------------------------------------------------------------------


def test_last_backend_must_be_a_cpu_device():
    with pytest.raises(SchedulerError, match="last backend must be a CPU device.*FAKE \\(GPU\\)"):
        Scheduler([F.cpu(), F.gpu()])


def test_buffer_type_the_backend_cannot_use_is_refused():
    with pytest.raises(SchedulerError, match="does not support buffer type FAKE"):
        Scheduler([F.cpu()], bufts=[F.FakeBufferType("FAKE", is_host=False)])


def test_pipeline_mode_has_four_copies():
    assert Scheduler([F.cpu()], parallel=True).n_copies == 4
    assert Scheduler([F.cpu()]).n_copies == 1


def test_graph_larger_than_graph_size_is_refused():
    a = ops.new_tensor_1d("f32", 4, name="a")
    g = Graph(None).build_forward_expand(ops.sqr(ops.sqr(a)))
    with pytest.raises(SchedulerError, match="2 nodes \\+ 1 leafs = 3 tensors.*graph_size=2"):
        Scheduler([F.cpu()], graph_size=2).split_graph(g)


# -- passes ---------------------------------------------------------------------------------------


def chain(n_ops: int = 4, ne: int = 8):
    x = ops.new_tensor_1d("f32", ne, name="x").set_input()
    t, nodes = x, []
    for i in range(n_ops):
        t = ops.sqr(t).set_name(f"n{i}")
        nodes.append(t)
    return Graph(None).build_forward_expand(t), x, nodes


def test_graph_inputs_go_to_the_cpu_and_gpu_expands_from_weights():
    fake, cpu = F.gpu(refuse=()), F.cpu()
    x = ops.new_tensor_2d("f32", 8, 2, name="x").set_input()
    w = ops.new_tensor_2d("f32", 8, 8, name="w")
    F.place_weights(fake.default_buffer_type, w)
    a = ops.sqr(x).set_name("a")  # before the weight: expanded up from y
    y = ops.mul_mat(w, a).set_name("y")
    z = ops.sqr(y).set_name("z")  # after: expanded down
    sched = Scheduler([fake, cpu])
    sched.split_graph(Graph(None).build_forward_expand(z))
    assert [backend_of(sched, t) for t in (x, a, y, z)] == ["CPU", "FAKE", "FAKE", "FAKE"]
    assert [sched.placement.causes[t] for t in (x, a, y, z)] == ["1.inp", "2.sup", "1.wgt0",
                                                                 "2.sup"]


def test_cpu_ops_between_gpu_ops_are_not_expanded_onto_the_cpu_first():
    # w on CPU pins m to the CPU; the node after it is reached first by the GPU's upward
    # expansion from the GPU weight below, not by the CPU's downward one.
    fake, cpu = F.gpu(refuse=()), F.cpu()
    x = ops.new_tensor_2d("f32", 8, 2, name="x").set_input()
    wc = ops.new_tensor_2d("f32", 8, 8, name="wc")
    wg = ops.new_tensor_2d("f32", 8, 8, name="wg")
    F.place_weights(cpu.default_buffer_type, wc)
    F.place_weights(fake.default_buffer_type, wg)
    m = ops.mul_mat(wc, x).set_name("m")
    b = ops.sqr(m).set_name("b")
    y = ops.mul_mat(wg, b).set_name("y")
    sched = Scheduler([fake, cpu], op_offload=False)
    sched.split_graph(Graph(None).build_forward_expand(y))
    assert [backend_of(sched, t) for t in (m, b, y)] == ["CPU", "FAKE", "FAKE"]


def test_unsupported_node_goes_where_most_inputs_are_readable():
    fake, cpu = F.gpu(refuse=(Op.SOFT_MAX,)), F.cpu()
    w = ops.new_tensor_2d("f32", 8, 8, name="w")
    F.place_weights(fake.default_buffer_type, w)
    x = ops.new_tensor_2d("f32", 8, 2, name="x").set_input()
    sm = ops.soft_max(ops.mul_mat(w, x)).set_name("sm")
    sched = Scheduler([fake, cpu])
    sched.split_graph(Graph(None).build_forward_expand(sm))
    assert backend_of(sched, sm) == "CPU"
    assert sched.placement.causes[sm] in ("2.sup", "3.best")


def test_upgrade_to_higher_priority_backend_sharing_the_buffer_type():
    # like BLAS and CPU: one host buffer type object; the first backend only does MUL_MAT
    host = F.FakeBufferType("CPU", is_host=True)
    blas = F.FakeBackend(F.FakeDevice("BLAS", F.DeviceType.ACCEL, host,
                                      refuse=set(Op) - {Op.MUL_MAT, Op.NONE}))
    cpu = F.cpu(host)
    w = ops.new_tensor_2d("f32", 8, 8, name="w")
    F.place_weights(host, w)
    a = ops.sqr(w).set_name("a")  # the weight puts it on the CPU (BLAS refuses SQR)
    y = ops.mul_mat(a, a).set_name("y")  # expanded onto the CPU, then upgraded
    z = ops.sqr(y).set_name("z")
    sched = Scheduler([blas, cpu])
    sched.split_graph(Graph(None).build_forward_expand(z))
    assert [backend_of(sched, t) for t in (a, y, z)] == ["CPU", "BLAS", "CPU"]
    assert sched.placement.causes[y] == "3.upg"
    # shared memory: no copies between them
    assert all(not s["inputs"] for s in sched.plan()["splits"])
    assert sched.n_splits == 3


def test_no_upgrade_when_the_buffer_type_is_not_the_same_object():
    blas = F.FakeBackend(F.FakeDevice("BLAS", F.DeviceType.ACCEL,
                                      F.FakeBufferType("HOST2", is_host=True),
                                      refuse=set(Op) - {Op.MUL_MAT, Op.NONE}))
    cpu = F.cpu()
    w = ops.new_tensor_2d("f32", 8, 8, name="w")
    F.place_weights(cpu.default_buffer_type, w)
    a = ops.sqr(w).set_name("a")
    y = ops.mul_mat(a, a).set_name("y")
    sched = Scheduler([blas, cpu])
    sched.split_graph(Graph(None).build_forward_expand(y))
    assert backend_of(sched, y) == "CPU" and sched.placement.causes[y] == "2.sup"


def test_views_follow_their_source_and_are_not_split_points():
    fake, cpu = F.gpu(refuse=()), F.cpu()
    w = ops.new_tensor_2d("f32", 8, 8, name="w")
    F.place_weights(fake.default_buffer_type, w)
    x = ops.new_tensor_2d("f32", 8, 2, name="x").set_input()
    y = ops.mul_mat(w, x).set_name("y")
    v = ops.transpose(y).set_name("yt")
    z = ops.cont(v).set_name("z")
    sched = Scheduler([fake, cpu])
    sched.split_graph(Graph(None).build_forward_expand(z))
    assert backend_of(sched, v) == "FAKE" and sched.placement.causes[v] == "4.vsrc"
    assert sched.n_splits == 1


def test_rope_does_not_follow_its_frequency_weight():
    fake, cpu = F.gpu(refuse=()), F.cpu()
    freq = ops.new_tensor_1d("f32", 4, name="freq")
    F.place_weights(fake.default_buffer_type, freq)
    a = ops.new_tensor_3d("f32", 8, 2, 3, name="a").set_input()
    pos = ops.new_tensor_1d("i32", 3, name="pos").set_input()
    r = ops.rope_ext(a, pos, freq, 8).set_name("r")
    sched = Scheduler([fake, cpu])
    sched.split_graph(Graph(None).build_forward_expand(r))
    # by its inputs rather than its weight: two of its three sources are on the CPU
    assert backend_of(sched, r) == "CPU" and sched.placement.causes[r] == "3.best"


# -- pass 5 ---------------------------------------------------------------------------------------


def test_copies_are_made_once_per_tensor_and_backend():
    fake, cpu = F.gpu(refuse=(Op.SQR,)), F.cpu()
    x = ops.new_tensor_1d("f32", 8, name="x").set_input()
    w = ops.new_tensor_1d("f32", 8, name="w")
    F.place_weights(fake.default_buffer_type, w)
    a = ops.add(w, x).set_name("a")  # FAKE, reads x
    b = ops.sqr(a).set_name("b")  # CPU
    c = ops.add(a, x).set_name("c")  # FAKE again, reads x and a
    d = ops.add(c, b).set_name("d")
    sched = Scheduler([fake, cpu])
    sched.split_graph(Graph(None).build_forward_expand(d))
    p = sched.plan()
    copies = [i["copy"] for s in p["splits"] for i in s["inputs"]]
    assert len(copies) == len(set(copies)), copies
    assert a.src[1] is c.src[1] and a.src[1].name == "FAKE#x#0"


def test_new_split_when_a_foreign_weight_must_be_copied():
    fake, cpu = F.gpu(refuse=()), F.cpu()
    wg = ops.new_tensor_2d("f32", 8, 8, name="wg")
    wc = ops.new_tensor_2d("f32", 8, 8, name="wc")
    F.place_weights(fake.default_buffer_type, wg)
    F.place_weights(cpu.default_buffer_type, wc)
    x = ops.new_tensor_2d("f32", 8, 2, name="x").set_input()
    y = ops.mul_mat(wg, x).set_name("y")  # FAKE, input x
    # pinned to FAKE: its CPU weight must be copied, and the split already has an input
    z = ops.mul_mat(wc, y).set_name("z")
    sched = Scheduler([fake, cpu])
    sched.set_tensor_backend(z, fake)
    sched.split_graph(Graph(None).build_forward_expand(z))
    assert [(s["backend"], [i["name"] for i in s["inputs"]]) for s in sched.plan()["splits"]] == [
        ("FAKE", ["x"]), ("FAKE", ["wc"])]


def test_pipeline_mode_gives_graph_inputs_and_copies_n_copies_slots():
    sched, g, t = example(4, parallel=True)
    sched.cur_copy = 2
    sched.split_graph(g)
    p = sched.plan()
    assert p["graph_inputs"] == [{"name": "x", "backend": "CPU",
                                  "copies": ["CPU#x#0", "CPU#x#1", "x", "CPU#x#3"]}]
    ring = [sched.placement.copies.get(t["x"], 0, c) for c in range(4)]
    assert [c.name for c in ring] == [f"FAKE#x#{c}" for c in range(4)]
    assert all(c.flags & TensorFlag.INPUT and c.flags & TensorFlag.OUTPUT for c in ring)
    assert t["h1"].src[1] is ring[2]  # nodes read the slot of the current copy


def test_copy_names_are_truncated_like_ggml():
    fake, cpu = F.gpu(refuse=()), F.cpu()
    x = ops.new_tensor_1d("f32", 8, name="x" * 60).set_input()
    y = ops.sqr(x)
    sched = Scheduler([fake, cpu])
    sched.set_tensor_backend(y, fake)
    sched.split_graph(Graph(None).build_forward_expand(y))
    assert y.src[0].name == ("FAKE#" + "x" * 60)[:63]


def test_reset_restores_the_users_sources():
    sched, g, t = example(4)
    before = [list(n.src) for n in g.nodes]
    sched.split_graph(g)
    assert [list(n.src) for n in g.nodes] != before
    sched.reset()
    assert [list(n.src) for n in g.nodes] == before
    sched.split_graph(g)  # the same graph can be placed again, with the same result
    assert split_summary(sched) == [("FAKE", ["x"], []), ("CPU", ["s1"], []),
                                    ("FAKE", ["h2"], ["x"])]


def test_plan_is_json_serializable():
    import json

    sched, g, _ = example(64)
    sched.split_graph(g)
    p = json.loads(json.dumps(sched.plan(nodes=True)))
    assert p["n_splits"] == 3 and p["splits"][2]["bytes_copied"] == 2 * 64 * 64 * 4
    h2 = next(n for n in p["nodes"] if n["name"] == "h2")
    assert h2["backend"] == "FAKE" and h2["cause"] == "1.off"
    assert [s.get("copy") for s in h2["srcs"]] == ["FAKE#w2#0", "FAKE#sm#0"]


# -- pins and errors ------------------------------------------------------------------------------


def test_user_pins_are_kept():
    fake, cpu = F.gpu(refuse=()), F.cpu()
    g, x, nodes = chain()
    sched = Scheduler([fake, cpu])
    sched.set_tensor_backend(nodes[2], fake)
    sched.split_graph(g)
    assert backend_of(sched, nodes[2]) == "FAKE"
    assert sched.placement.causes[nodes[2]] == "usr"


def test_op_no_backend_supports_names_op_shapes_and_every_backend():
    fake, cpu = F.gpu(refuse=(Op.SQR,)), F.cpu(refuse=(Op.SQR,))
    g, _, _ = chain(2)
    with pytest.raises(SchedulerError) as e:
        Scheduler([fake, cpu]).split_graph(g)
    msg = str(e.value)
    assert "no backend supports SQR" in msg and "ne=[8, 1, 1, 1]" in msg and "f32" in msg
    assert "FAKE (refuses SQR)" in msg and "CPU (refuses SQR)" in msg


def test_pin_to_a_backend_that_refuses_the_op_is_an_error():
    fake, cpu = F.gpu(refuse=(Op.SQR,)), F.cpu()
    g, _, nodes = chain(2)
    sched = Scheduler([fake, cpu])
    sched.set_tensor_backend(nodes[0], fake)
    with pytest.raises(SchedulerError, match="n0 .*on backend FAKE \\(pinned by set_tensor_"):
        sched.split_graph(g)


def test_preallocated_tensor_in_a_buffer_no_backend_can_use():
    stranger = F.FakeBufferType("STRANGER", is_host=False)
    w = ops.new_tensor_1d("f32", 8, name="w")
    F.place_weights(stranger, w)
    y = ops.sqr(w).set_name("y")
    with pytest.raises(SchedulerError) as e:
        Scheduler([F.gpu(), F.cpu()]).split_graph(Graph(None).build_forward_expand(y))
    assert re.search(r"pre-allocated tensor w .*buffer type STRANGER", str(e.value))


def test_unknown_backend_is_refused_by_set_tensor_backend():
    g, _, nodes = chain(1)
    with pytest.raises(SchedulerError, match="not one of this scheduler's: CPU"):
        Scheduler([F.cpu()]).set_tensor_backend(nodes[0], F.gpu())
