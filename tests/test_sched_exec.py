"""Running placed graphs: pipeline mode over many evaluations, reallocation only when needed,
the eval callback, and the ordering rules between backends (events, the race fix)."""

from __future__ import annotations

import numpy as np
import pytest
import sched_fakes as F
from ggsched import golden, ops
from ggsched.backend import BufferUsage, DeviceType, Event
from ggsched.backends.cpu import cpu_backend
from ggsched.backends.null import NullBackend, NullBufferType, NullDevice
from ggsched.backends.restrict import Restricted
from ggsched.errors import SchedulerError
from ggsched.graph import Graph
from ggsched.op import Op
from ggsched.sched import Scheduler
from ggsched.sched_eval import NMSE_MAX, evaluate, get_values, load_weights, nmse, set_values


def two_devices(parallel: bool = True, op_offload: bool = True) -> tuple[Scheduler, object]:
    cpu = cpu_backend()
    fake = Restricted(cpu_backend(), refuse=Op.SOFT_MAX, host_readable=False, name="FAKE",
                      offload=F.mul_mat_batch_32)
    return Scheduler([fake, cpu], parallel=parallel, op_offload=op_offload), fake


def example(sched: Scheduler, fake, n: int, weights=None):
    """§2.11's graph with n columns; the weights are shared between calls when given."""
    g, t = F.example_211(n)
    if weights is None:
        rng = np.random.default_rng(1)
        weights = {k: rng.standard_normal((64, 64)) * 0.25 for k in ("w1", "w2", "w3")}
        values = {t[k]: weights[k] for k in weights}
        load_weights([t["w1"], t["w3"]], fake.default_buffer_type, values)
        load_weights([t["w2"]], sched.backends[-1].default_buffer_type, values)
        weights["tensors"] = {k: t[k] for k in ("w1", "w2", "w3")}
    else:  # rebuild the graph on the same weight tensors
        g, t = _rebuild(n, weights["tensors"])
    return g, t, weights


def _rebuild(n, w):
    x = ops.new_tensor_2d("f32", 64, n, name="x").set_input()
    h1 = ops.mul_mat(w["w1"], x).set_name("h1")
    sm = ops.soft_max(ops.scale(h1, 0.125).set_name("s1")).set_name("sm")
    r2 = ops.add(ops.mul_mat(w["w2"], sm).set_name("h2"), x).set_name("r2")
    out = ops.sum_rows(ops.mul_mat(w["w3"], r2).set_name("h3")).set_name("out").set_output()
    g = Graph(None).build_forward_expand(out)
    return g, {"x": x, "out": out, **w}


def expected(weights, xv):
    """The golden of §2.11's graph, built afresh (the scheduled one may have its sources
    routed through copies while it is allocated)."""
    g, t = _rebuild(xv.size // 64, weights["tensors"])
    feeds = {t[k]: weights[k] for k in ("w1", "w2", "w3")}
    feeds[t["x"]] = xv
    return golden.evaluate(g, feeds)[t["out"]]


def check(got, want, what: str) -> None:
    assert nmse(got, want) <= NMSE_MAX, f"{what}: nmse {nmse(got, want)}\n{got}\n{want}"


# -- pipeline mode ------------------------------------------------------------------------------


def test_pipeline_20_evaluations_of_the_same_graph_with_new_inputs():
    sched, fake = two_devices()
    g, t, w = example(sched, fake, 64)
    assert sched.reserve(g)
    sched.debug_realloc = 2  # after reserve, nothing may be reallocated
    rng = np.random.default_rng(2)
    copies_used = []
    for k in range(20):
        xv = rng.standard_normal((64, 64))
        got = evaluate(sched, g, {t["x"]: xv}, [t["out"]])[t["out"]]
        check(got, expected(w, xv), f"evaluation {k}")
        copies_used.append(sched.cur_copy)
    assert copies_used == [k % 4 for k in range(20)]  # the input slots rotate


def test_pipeline_one_allocation_computed_20_times():
    sched, fake = two_devices()
    g, t, w = example(sched, fake, 64)
    sched.reset()
    assert sched.alloc_graph(g)
    rng = np.random.default_rng(3)
    for k in range(20):
        xv = rng.standard_normal((64, 64))
        set_values(t["x"], xv)
        sched.graph_compute(g)
        check(get_values(t["out"]), expected(w, xv), f"evaluation {k}")
        assert sched.cur_copy == 0


def test_pipeline_alternating_graphs_after_a_worst_case_reserve():
    sched, fake = two_devices()
    big, tb, w = example(sched, fake, 64)
    small, ts, _ = example(sched, fake, 32, w)  # 32 columns: h2 is still offloaded
    assert sched.reserve(big)
    sched.debug_realloc = 2  # the small graph fits the worst-case plan
    rng = np.random.default_rng(4)
    for k in range(20):
        g, t = (big, tb) if k % 2 == 0 else (small, ts)
        xv = rng.standard_normal(t["x"].shape)
        got = evaluate(sched, g, {t["x"]: xv}, [t["out"]])[t["out"]]
        check(got, expected(w, xv), f"evaluation {k} ({t['x'].ne[1]} columns)")


def test_graph_compute_of_another_graph_places_it_again():
    # ggml#976: ggml would run the allocated graph; inputs here live in the user's buffer
    sched, fake = two_devices()
    g1, t1, w = example(sched, fake, 64)
    g2, t2, _ = example(sched, fake, 32, w)
    cpu_buft = sched.backends[-1].default_buffer_type
    rng = np.random.default_rng(5)
    for k in range(20):
        g, t = (g1, t1) if k % 2 == 0 else (g2, t2)
        xv = rng.standard_normal(t["x"].shape)
        if t["x"].buffer is None:
            load_weights([t["x"]], cpu_buft, {t["x"]: xv}).usage = BufferUsage.ANY
        set_values(t["x"], xv)
        sched.graph_compute(g)
        check(get_values(t["out"]), expected(w, xv), f"evaluation {k}")


def test_reallocation_only_when_needed():
    sched, fake = two_devices(parallel=False)
    g, t, w = example(sched, fake, 8)
    xv = np.ones((8, 64))
    evaluate(sched, g, {t["x"]: xv}, [t["out"]])
    buffers = list(sched.galloc.buffers)
    evaluate(sched, g, {t["x"]: xv}, [t["out"]])
    assert sched.galloc.buffers == buffers  # same shapes: same buffers
    big, tb, _ = example(sched, fake, 64, w)
    evaluate(sched, big, {tb["x"]: np.ones((64, 64))}, [tb["out"]])
    assert sched.galloc.buffers != buffers  # it grew


def test_unexpected_reallocation_is_an_error_with_debug_realloc(monkeypatch):
    monkeypatch.setenv("GGSCHED_DEBUG_REALLOC", "1")
    sched, fake = two_devices(parallel=False, op_offload=False)
    small, ts, w = example(sched, fake, 8)
    big, tb, _ = example(sched, fake, 64, w)
    assert sched.debug_realloc == 1
    assert sched.reserve(small)
    # same graph size, same backends, larger tensors: ggml calls this unexpected
    with pytest.raises(SchedulerError, match="unexpected graph reallocation"):
        evaluate(sched, big, {tb["x"]: np.ones((64, 64))}, [tb["out"]])


def test_pins_survive_reserve_and_are_cleared_by_reset():
    sched, fake = two_devices(parallel=False)
    g, t, w = example(sched, fake, 8)
    sched.set_tensor_backend(t["r2"], sched.backends[-1])
    assert sched.reserve(g)
    assert sched.get_tensor_backend(t["r2"]) is sched.backends[-1]
    assert sched.alloc_graph(g)  # same placement as measured: no reallocation
    assert sched.plan(nodes=True)["nodes"][4]["backend"] == "CPU"
    sched.reset()
    assert sched.get_tensor_backend(t["r2"]) is None


def test_alloc_graph_twice_without_reset_is_an_error():
    sched, fake = two_devices(parallel=False)
    g, _, _ = example(sched, fake, 8)
    assert sched.alloc_graph(g)
    with pytest.raises(SchedulerError, match="already allocated; call reset"):
        sched.alloc_graph(g)


# -- eval callback --------------------------------------------------------------------------------


def test_eval_callback_sees_every_node_with_its_golden_value():
    sched, fake = two_devices(parallel=False)
    g, t, w = example(sched, fake, 64)
    xv = np.random.default_rng(6).standard_normal((64, 64))
    feeds = {t[k]: w[k] for k in ("w1", "w2", "w3")} | {t["x"]: xv}
    want = golden.evaluate(g, feeds)
    seen = []

    def callback(node, ask):
        if not ask:
            check(get_values(node), want[node], node.name)
            seen.append(node.name)
        return True

    sched.set_eval_callback(callback)
    evaluate(sched, g, {t["x"]: xv}, [])
    assert seen == [n.name for n in g.nodes]


def test_eval_callback_asked_for_few_nodes_computes_runs_between_them():
    sched, fake = two_devices(parallel=False)
    g, t, w = example(sched, fake, 8)
    asked, shown = [], []

    def callback(node, ask):
        (asked if ask else shown).append(node.name)
        return node.name in ("s1", "out")

    sched.set_eval_callback(callback)
    evaluate(sched, g, {t["x"]: np.ones((8, 64))}, [t["out"]])
    assert asked == [n.name for n in g.nodes] and shown == ["s1", "out"]


def test_eval_callback_false_stops_the_current_split_only():
    sched, fake = two_devices(parallel=False)
    g, t, w = example(sched, fake, 8)
    shown = []

    def callback(node, ask):
        if not ask:
            shown.append(node.name)
            return node.name != "h1"  # stop split #0 after h1: s1 is not computed
        return True

    sched.set_eval_callback(callback)
    evaluate(sched, g, {t["x"]: np.ones((8, 64))}, [])
    assert shown == ["h1", "sm", "h2", "r2", "h3", "out"]


# -- ordering between backends ------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.log = []


class LoggedEvent(Event):
    def __init__(self, rec, name):
        self.rec, self.name = rec, name

    def record(self, backend):
        self.rec.log.append(("record", self.name, backend.name))

    def wait(self, backend):
        self.rec.log.append(("wait", self.name, backend.name))

    def synchronize(self):
        self.rec.log.append(("event_sync", self.name))


class LoggedBackend(NullBackend):
    def __init__(self, device, rec):
        super().__init__(device)
        self.rec = rec

    def graph_compute_async(self, graph):
        self.rec.log.append(("compute", self.name, [n.name for n in graph.nodes]))

    def synchronize(self):
        self.rec.log.append(("sync", self.name))


def logged_pair(rec, events: bool, shared_host: bool):
    """A device and the CPU; with ``shared_host`` the CPU reads the device's memory."""
    host = NullBufferType("CPU", is_host=True)
    dev_buft = NullBufferType("DEV", is_host=shared_host)
    dev = NullDevice("DEV", buffer_type=dev_buft, host_buffers=False)
    if events:
        n = iter(range(100))
        dev.event_new = lambda: LoggedEvent(rec, f"e{next(n)}")
    cpu_dev = NullDevice("CPU", type=DeviceType.CPU, buffer_type=host, host_buffers=True)
    return LoggedBackend(dev, rec), LoggedBackend(cpu_dev, rec)


def test_split_without_inputs_waits_for_the_previous_backend():
    rec = Recorder()
    dev, cpu = logged_pair(rec, events=False, shared_host=True)
    w = ops.new_tensor_1d("f32", 8, name="w")
    F.place_weights(dev.default_buffer_type, w)
    b = ops.add(w, w).set_name("b")  # DEV: its weight is there
    c = ops.sqr(b).set_name("c")  # pinned to the CPU, which reads DEV's host memory directly
    g = Graph(None).build_forward_expand(c)
    sched = Scheduler([dev, cpu])
    sched.set_tensor_backend(c, cpu)
    sched.alloc_graph(g)
    assert [len(s.inputs) for s in sched.splits] == [0, 0]
    rec.log.clear()
    sched.graph_compute(g)
    i = rec.log.index(("compute", "CPU", ["c"]))
    assert ("sync", "DEV") in rec.log[rec.log.index(("compute", "DEV", ["b"])) : i]


def test_inputs_wait_on_the_slot_event_and_splits_record_it():
    rec = Recorder()
    dev, cpu = logged_pair(rec, events=True, shared_host=False)
    x = ops.new_tensor_1d("f32", 8, name="x").set_input()
    y = ops.sqr(x).set_name("y")
    z = ops.sqr(y).set_name("z")
    g = Graph(None).build_forward_expand(z)
    sched = Scheduler([dev, cpu], parallel=True)
    sched.set_tensor_backend(y, dev)
    sched.set_tensor_backend(z, cpu)
    assert sched.alloc_graph(g)
    rec.log.clear()
    sched.graph_compute(g)
    c = sched.cur_copy
    dev_event, cpu_event = sched.events[0][c], sched.events[1][c]
    assert cpu_event is None  # NullDevice for the CPU offers no events
    log = rec.log
    # x is a user input: host waits for the slot's event, then a blocking copy
    assert log[0] == ("event_sync", dev_event.name)
    assert ("record", dev_event.name, "DEV") in log
    # y is not: the CPU waits for itself (no event), then copies
    assert log.index(("compute", "DEV", ["y"])) < log.index(("compute", "CPU", ["z"]))
