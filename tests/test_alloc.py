"""ggml-alloc's rules: the measured test vectors, the linear and dynamic allocators, in-place
reuse (each condition), views, outputs, chunks, reserve/alloc_graph growth, static allocation."""

from __future__ import annotations

import logging

import pytest
from ggsched import AllocationError, GraphError, Op, build_graph, ops
from ggsched import alloc as ga
from ggsched.backend import MultiBuffer
from ggsched.backends.null import NullBufferType
from ggsched.op import INPLACE_OPS
from ggsched.tensor import new_tensor


def cpu_buft(**kw) -> NullBufferType:
    """A buffer type shaped like ggml's CPU one: alignment 32, host, unbounded."""
    return NullBufferType("CPU", 32, is_host=True, **kw)


def f32(*ne, name="", inp=False):
    t = new_tensor("f32", ne, name)
    return t.set_input() if inp else t


def named(t, name):
    t.name = name
    return t


def planned(graph, buft=None):
    galloc = ga.GAllocr(buft or cpu_buft())
    assert galloc.alloc_graph(graph)
    return galloc


def span(t):
    return t.data, t.data + t.nbytes


# -- the test vectors measured from real ggml (ggml.md §3.6) --------------------------------------


def test_vector_1_elementwise_chain():
    a = f32(1000, name="a", inp=True)
    b = f32(1000, name="b", inp=True)
    c = named(ops.add(a, b), "c")
    d = named(ops.mul(c, a), "d")
    e = named(ops.scale(d, 2.0), "e")
    f = named(ops.sqr(e), "f")
    g = named(ops.sum_rows(f), "g").set_output()
    galloc = planned(build_graph(g))
    offsets = {t.name: t.data for t in (a, b, c, d, e, f, g)}
    assert offsets == {"a": 0, "b": 4000, "c": 4000, "d": 4000, "e": 4000, "f": 4000, "g": 0}
    assert galloc.get_buffer_size(0) == 8000


def test_vector_2_matmul_transpose_softmax():
    w = ops.new_tensor_2d("f32", 64, 32, "w").set_input()
    x = ops.new_tensor_2d("f32", 64, 8, "x").set_input()
    y = named(ops.mul_mat(w, x), "y")
    yt = named(ops.transpose(y), "yt")
    yc = named(ops.cont(yt), "yc")
    z = named(ops.soft_max(yc), "z")
    o = named(ops.sum_rows(z), "o").set_output()
    galloc = planned(build_graph(o))
    offsets = {t.name: t.data for t in (w, x, y, yt, yc, z, o)}
    assert offsets == {"w": 0, "x": 8192, "y": 10240, "yt": 10240, "yc": 0, "z": 0, "o": 1024}
    assert galloc.get_buffer_size(0) == 11264
    assert yt.buffer is y.buffer


# -- the linear allocator -------------------------------------------------------------------------


def test_tallocr_places_back_to_back_aligned():
    buf = cpu_buft().alloc_buffer(256)
    talloc = ga.TAllocr(buf)
    ts = [f32(n, name=f"t{n}") for n in (3, 8, 1)]
    for t in ts:
        talloc.alloc(t)
    assert [t.data for t in ts] == [0, 32, 64]
    assert all(t.buffer is buf for t in ts)


def test_tallocr_full_buffer_says_what_is_missing():
    buf = cpu_buft().alloc_buffer(64)
    talloc = ga.TAllocr(buf)
    talloc.alloc(f32(8, name="first"))
    with pytest.raises(AllocationError, match=r"not enough space in buffer CPU: need 64 B .*"
                                              r"second.*have 32 B"):
        talloc.alloc(f32(16, name="second"))


# -- the dynamic allocator ------------------------------------------------------------------------


def dyn(**kw) -> ga.DynAllocr:
    return ga.DynAllocr(kw.pop("alignment", 32), **kw)


def test_dyn_best_fit_takes_the_smallest_block_and_later_on_ties():
    d = dyn()
    addrs = [d.alloc(s) for s in (64, 32, 96, 32, 64, 32)]
    # free 64@0, 96@96, 64@224 -> blocks of 64, 96, 64 then the tail
    for i in (0, 2, 4):
        d.free_bytes(addrs[i], (64, 32, 96, 32, 64, 32)[i])
    assert d.alloc(64) == (0, 224)  # ties: the later block wins
    assert d.alloc(64) == (0, 0)
    assert d.alloc(90) == (0, 96)


def test_dyn_free_merges_with_both_neighbours():
    d = dyn()
    a, b, c, _ = (d.alloc(32) for _ in range(4))
    d.free_bytes(a, 32)
    d.free_bytes(c, 32)
    assert [blk for blk in d.chunks[0].blocks[:-1]] == [[0, 32], [64, 32]]
    d.free_bytes(b, 32)
    assert d.chunks[0].blocks[0] == [0, 96]
    assert d.alloc(96) == (0, 0)


def test_dyn_sizes_are_aligned_and_high_water_mark_kept():
    d = dyn(alignment=64)
    assert d.alloc(1) == (0, 0)
    assert d.alloc(65) == (0, 64)
    assert d.size == 192


def test_dyn_tail_block_prefers_fitting_under_the_high_water_mark():
    d = dyn(max_size=256)
    first = d.alloc(256)  # chunk 0 full
    d.alloc(128)  # chunk 1
    d.free_bytes(first, 256)  # chunk 0: one tail block of 256 under a high-water mark of 256
    # chunk 1's tail would grow it (reuse < 0); chunk 0's fits exactly (reuse 0)
    assert d.alloc(256) == (0, 0)
    assert [c.max_size for c in d.chunks] == [256, 128]


def test_dyn_new_chunk_when_nothing_fits_and_oversized_tensor_gets_its_own():
    d = dyn(max_size=100 * 32)
    assert d.alloc(60 * 32) == (0, 0)
    assert d.alloc(60 * 32) == (1, 0)
    assert d.alloc(300 * 32) == (2, 0)  # larger than max_size: a chunk of its own size
    assert [c.max_size for c in d.chunks] == [1920, 1920, 9600]


def test_dyn_last_chunk_is_unbounded():
    d = dyn(max_size=32)
    for i in range(ga.VBUFFER_MAX_CHUNKS - 1):
        assert d.alloc(32) == (i, 0)
    last = ga.VBUFFER_MAX_CHUNKS - 1
    assert d.alloc(32) == (last, 0)
    assert d.alloc(32) == (last, 32)  # the 16th chunk has no max_size
    assert d.chunks[last].max_size == 64


def test_dyn_out_of_free_blocks_is_an_allocation_error():
    d = dyn()
    addrs = [d.alloc(32) for _ in range(2 * ga.MAX_FREE_BLOCKS + 2)]
    with pytest.raises(AllocationError, match="out of free blocks"):
        for addr in addrs[0::2]:
            d.free_bytes(addr, 32)


# -- chunks in the graph allocator ----------------------------------------------------------------


def chain(n, size=1000):
    """x -> cont -> cont -> ... (not in place): two live tensors at any time."""
    x = f32(size, name="x", inp=True)
    cur = x
    for i in range(n):
        cur = named(ops.cont(cur), f"c{i}")
    return build_graph(cur.set_output())


def test_gallocr_splits_into_chunks_when_buft_has_max_size():
    # chunks of 6000 B hold one 4000 B tensor each: x and c0 alternate with c1 and c2
    buft = cpu_buft(max_size=6000)
    g = chain(3)
    galloc = planned(g, buft)
    vbuf = galloc.buffers[0]
    assert [c.size for c in vbuf.chunks] == [4000, 4000]
    assert galloc.get_buffer_size(0) == 8000 == sum(buft.allocations)
    where = {t.name: (vbuf.chunks.index(t.buffer), t.data) for t in g.tensors()}
    assert where == {"x": (0, 0), "c0": (1, 0), "c1": (0, 0), "c2": (1, 0)}


# -- in-place reuse, condition by condition -------------------------------------------------------


@pytest.fixture
def trace(caplog):
    caplog.set_level(logging.DEBUG, logger="ggsched.alloc")
    return caplog


def reasons(caplog, node):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"{node} (")]


def computed(name, n=256):
    """A galloc-owned tensor (the result of a non-in-place op on an input)."""
    x = f32(n, name=f"{name}_in", inp=True)
    return named(ops.cont(x), name)


def test_inplace_reuses_a_parent_with_one_child(trace):
    p = computed("p")
    s = named(ops.scale(p, 2.0), "s")
    planned(build_graph(s.set_output()))
    assert s.data == p.data
    assert any("reuses p in place" in m for m in reasons(trace, "s"))


def test_inplace_refused_when_parent_has_other_readers(trace):
    p = computed("p")
    s = named(ops.scale(p, 2.0), "s")
    out = named(ops.add(s, p), "out").set_output()
    planned(build_graph(out))
    assert s.data != p.data
    assert any("does not reuse p: it has 2 readers left" in m for m in reasons(trace, "s"))


def test_inplace_refused_when_parent_has_views(trace):
    # SET_ROWS writes into a view of p without reading p: p has one reader (s) and one view
    p = computed("p")
    rows = ops.set_rows(p, f32(256, 1, name="b", inp=True), new_tensor("i32", [1], "i"))
    s = named(ops.scale(p, 2.0), "s").set_output()
    planned(build_graph(rows, s))
    assert s.data != p.data
    assert any("does not reuse p: it has 1 views" in m for m in reasons(trace, "s"))


def test_inplace_refused_for_an_output_parent(trace):
    p = computed("p").set_output()
    s = named(ops.scale(p, 2.0), "s").set_output()
    planned(build_graph(s))
    assert s.data != p.data
    assert any("does not reuse p: it is an output" in m for m in reasons(trace, "s"))


def test_inplace_refused_when_layouts_differ(trace):
    x = computed("x", 256)
    y = computed("y", 16)
    z = named(ops.add(x, y), "z")  # x has a second reader below, y's ne differ
    out2 = named(ops.add(z, x), "out2").set_output()
    planned(build_graph(out2))
    msgs = reasons(trace, "z")
    assert any("does not reuse y: the layouts differ" in m for m in msgs)
    assert z.data not in (x.data, y.data)


def test_inplace_refused_for_a_parent_not_owned_by_galloc(trace):
    w = f32(256, name="w")
    ga.alloc_ctx_tensors_from_buft([w], cpu_buft())  # a weight: pre-allocated elsewhere
    s = named(ops.scale(w, 2.0), "s").set_output()
    planned(build_graph(s))
    assert s.buffer is not w.buffer
    assert any("does not reuse w: it is not galloc-owned" in m for m in reasons(trace, "s"))


def test_inplace_never_reuses_a_view_parent_even_at_offset_0(trace):
    # ggml's view-parent branch is unreachable (a view is never galloc-owned); we match ggml
    p = computed("p")
    v = named(ops.view_1d(p, 256, 0), "v")
    s = named(ops.scale(v, 2.0), "s").set_output()
    planned(build_graph(s))
    assert s.data != p.data
    assert any("does not reuse v: it is a view" in m for m in reasons(trace, "s"))


def test_only_inplace_ops_reuse(trace):
    p = computed("p")
    c = named(ops.cont(p), "c").set_output()  # CONT is not in INPLACE_OPS
    planned(build_graph(c))
    assert Op.CONT not in INPLACE_OPS
    assert c.data != p.data
    assert reasons(trace, "c") == []


def test_free_extra_space_returns_the_parents_tail():
    # the buffer type pads tensors named "big" by 64 B, so big's in-place child needs less
    buft = cpu_buft(alloc_size=lambda t: t.nbytes + (64 if t.name == "big" else 0))
    x = f32(64, name="x", inp=True).set_output()  # kept: no free block below big
    big = named(ops.cont(x), "big")  # 320 B at 256
    s = named(ops.scale(big, 2.0), "s")  # takes big's first 256 B, gives back the last 64
    q = named(ops.cont(s), "q").set_output()
    galloc = planned(build_graph(q), buft)
    assert (big.data, s.data) == (256, 256)
    assert q.data == 512  # in the freed tail; without it q would start at 576
    assert galloc.get_buffer_size(0) == 768


# -- views, outputs, inputs -----------------------------------------------------------------------


def test_views_are_never_allocated_but_initialised_from_view_src():
    p = computed("p")
    v = named(ops.view_1d(p, 64, 128), "v")
    r = named(ops.reshape_2d(v, 8, 8), "r")
    out = named(ops.cont(r), "out").set_output()
    planned(build_graph(out))
    assert v.buffer is p.buffer and v.data == p.data + 128
    assert r.buffer is p.buffer and r.data == v.data


def test_outputs_are_never_freed():
    x = f32(256, name="x", inp=True)
    mid = named(ops.cont(x), "mid").set_output()
    later = [mid]
    for i in range(4):
        later.append(named(ops.cont(later[-1]), f"c{i}"))
    planned(build_graph(later[-1].set_output()))
    lo, hi = span(mid)
    for t in later[1:]:
        assert t.data >= hi or t.data + t.nbytes <= lo, f"{t.name} overlaps output mid"


def test_inputs_are_allocated_first_and_never_overlapped():
    a = f32(256, name="a")
    h = named(ops.cont(a), "h")
    for i in range(3):
        h = named(ops.cont(h), f"h{i}")
    late = f32(256, name="late", inp=True)
    out = named(ops.add(h, late), "out").set_output()
    g = build_graph(out)
    planned(g)
    lo, hi = span(late)
    for n in g.nodes:
        if n is not out:
            assert n.data >= hi or n.data + n.nbytes <= lo, f"{n.name} overlaps input late"


# -- reserve and alloc_graph ----------------------------------------------------------------------


def test_alloc_graph_after_reserve_never_allocates():
    buft = cpu_buft()
    galloc = ga.GAllocr(buft)
    assert galloc.reserve(chain(4))
    before = list(buft.allocations)
    assert galloc.alloc_graph(chain(4))
    assert buft.allocations == before


def test_alloc_graph_of_a_bigger_graph_grows_a_single_buffer():
    buft = cpu_buft()
    galloc = ga.GAllocr(buft)
    assert galloc.alloc_graph(chain(2, size=100))
    small = galloc.get_buffer_size(0)
    assert galloc.alloc_graph(chain(2, size=1000))
    assert galloc.get_buffer_size(0) > small
    assert len(buft.allocations) == 2


def test_alloc_graph_refuses_to_grow_several_buffers():
    b0, b1 = cpu_buft(), NullBufferType("Other", 64)
    galloc = ga.GAllocr([b0, b1])
    g = chain(2, size=100)
    assert galloc.reserve_n(g, [1] * g.n_nodes, [0] * g.n_leafs)
    assert galloc.alloc_graph(chain(2, size=100))
    assert not galloc.alloc_graph(chain(2, size=1000))


def test_buffers_only_grow():
    buft = cpu_buft()
    galloc = ga.GAllocr(buft)
    galloc.reserve(chain(2, size=1000))
    big = galloc.get_buffer_size(0)
    galloc.reserve(chain(2, size=100))
    assert galloc.get_buffer_size(0) == big
    assert len(buft.allocations) == 1


def test_repeated_bufts_share_one_buffer():
    buft = cpu_buft()
    galloc = ga.GAllocr([buft, buft])
    g = chain(3)
    ids = [i % 2 for i in range(g.n_nodes)]
    assert galloc.reserve_n(g, ids, [0] * g.n_leafs)
    assert galloc.buffers[0] is galloc.buffers[1]
    assert galloc.get_buffer_size(1) == 0 < galloc.get_buffer_size(0)
    assert len(buft.allocations) == 1


def test_reserve_n_places_nodes_in_their_buffer_ids():
    b0, b1 = cpu_buft(), NullBufferType("Other", 64)
    galloc = ga.GAllocr([b0, b1])
    g = chain(2)
    assert galloc.reserve_n(g, [1] * g.n_nodes, [0] * g.n_leafs)
    assert galloc.alloc_graph(g)
    assert [n.buffer.buft for n in g.nodes] == [b1, b1]
    assert g.leafs[0].buffer.buft is b0


def test_reserve_n_size_measures_without_allocating():
    buft = cpu_buft()
    galloc = ga.GAllocr(buft)
    # x@0, c0@4000, then x is freed and c1 takes its place
    assert galloc.reserve_n_size(chain(2), None, None) == [8000]
    assert buft.allocations == []
    assert galloc.get_buffer_size(0) == 0


def test_reserve_reports_a_failed_allocation():
    galloc = ga.GAllocr(cpu_buft(fail_above=1000))
    assert not galloc.reserve(chain(2))


def test_buffer_ids_are_checked():
    galloc = ga.GAllocr(cpu_buft())
    g = chain(2)
    with pytest.raises(GraphError, match="node_buffer_ids has 1 entries"):
        galloc.reserve_n(g, [0], None)
    with pytest.raises(GraphError, match="outside buffer ids 0..0"):
        galloc.reserve_n(g, [3] * g.n_nodes, None)


# -- static allocation ----------------------------------------------------------------------------


def test_alloc_ctx_tensors_one_buffer_with_views():
    ts = [f32(10, name="a"), f32(20, name="b")]
    v = ops.view_1d(ts[1], 5, 8)
    buft = cpu_buft()
    buf = ga.alloc_ctx_tensors_from_buft([*ts, v], buft)
    assert buf.size == 64 + 96
    assert [t.data for t in ts] == [0, 64]
    assert v.buffer is buf and v.data == 72


def test_alloc_ctx_tensors_splits_at_max_size():
    ts = [f32(16, name=f"t{i}") for i in range(5)]  # 64 B each
    buft = cpu_buft(max_size=128)
    buf = ga.alloc_ctx_tensors_from_buft(ts, buft)
    assert isinstance(buf, MultiBuffer)
    assert [b.size for b in buf.buffers] == [128, 128, 64]
    assert [t.data for t in ts] == [0, 64, 0, 64, 0]
    assert ts[4].buffer is buf.buffers[2]


def test_alloc_ctx_tensors_nothing_to_do_gives_none():
    assert ga.alloc_ctx_tensors_from_buft([], cpu_buft()) is None


def test_debug_env_traces_decisions_on_stderr(monkeypatch, capsys):
    monkeypatch.setenv(ga.DEBUG_ENV, "1")
    level, handlers = ga.log.level, list(ga.log.handlers)
    try:
        a = f32(1000, name="a", inp=True)
        b = f32(1000, name="b", inp=True)
        out = named(ops.mul(named(ops.add(a, b), "c"), a), "d").set_output()
        planned(build_graph(out))
    finally:
        ga.log.setLevel(level)
        ga.log.handlers[:] = handlers
    err = capsys.readouterr().err
    assert "ggsched.alloc: c (ADD) does not reuse a: it has 2 readers left" in err
    assert "ggsched.alloc: c (ADD) reuses b in place at chunk 0 offset 4000" in err
    assert "ggsched.alloc: freeing a (4000 B at chunk 0 offset 0): its last reader was d" in err
