"""The bench's per-op cases: they build, their ids are unique, their FLOP and byte counts follow
test-backend-ops' formulas, and their leaf values are valid where the op reads them."""

from __future__ import annotations

import numpy as np
import pytest
from ggsched.bench import cases as bc
from ggsched.bench.metrics import op_bytes, op_flops
from ggsched.types import row_size

REQUIRED_OPS = {"MUL_MAT", "ADD", "MUL", "SCALE", "SOFT_MAX", "ROPE", "RMS_NORM", "NORM",
                "GET_ROWS", "CPY", "CONT"}


@pytest.mark.parametrize("size", list(bc.SIZES))
def test_every_size_set_has_every_op_once_per_id(size):
    cases = bc.perf_cases(size)
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    assert {c.op for c in cases} == REQUIRED_OPS
    types = {str(c.params["type_a"]) for c in cases if c.op == "MUL_MAT"}
    assert types == set(bc.MATMUL_TYPES)


def test_full_set_has_ggml_decode_and_prefill_shapes():
    mm = [c.params for c in bc.perf_cases("full") if c.op == "MUL_MAT"]
    q4 = {(p["m"], p["n"], p["k"]) for p in mm if str(p["type_a"]) == "q4_0"}
    assert {(4096, n, 4096) for n in (1, 2, 3, 4, 5, 8, 512)} <= q4


def test_ids_read_like_test_backend_ops():
    c = bc.mul_mat_case("q4_0", 64, 3, 32, "g")
    assert c.id == "MUL_MAT(type_a=q4_0,type_b=f32,m=64,n=3,k=32)"


def test_builds_are_fresh_tensors_each_time():
    c = bc.perf_cases("quick")[0]
    assert c.build() is not c.build()


def test_mul_mat_counts_two_flops_per_multiply_add():
    out = bc.mul_mat_case("f16", 48, 5, 64, "g").build()
    assert op_flops(out) == 2 * 48 * 5 * 64
    assert op_bytes(out) == out.nbytes + sum(s.nbytes for s in out.sources)


def test_get_rows_counts_only_the_rows_it_reads():
    out = bc.get_rows_case("f32", 64, 1000, 10).build()
    table, idx = out.src
    assert op_bytes(out) == out.nbytes + idx.nbytes + 10 * row_size(table.type, 64)
    assert op_bytes(out) < table.nbytes
    assert op_flops(out) == 0


def test_perf_cases_are_conformance_case_objects_with_their_own_feeds():
    from ggsched.conformance.cases import OpCase

    c = bc.get_rows_case("q8_0", 64, 7, 50)
    assert isinstance(c.case, OpCase) and c.id == c.case.id
    cg = c.instantiate()
    feeds = cg.feeds(0, c.id)
    assert set(feeds) == set(cg.graph.leafs)
    idx = feeds[cg.outputs[0].src[1]]
    assert idx.min() >= 0 and idx.max() < 7


def test_write_feeds_takes_raw_quantized_bytes_and_values():
    from ggsched.backend import tensor_get
    from ggsched.backends.registry import cpu
    from ggsched.bench.placement import place_graph, write_feeds

    c = bc.mul_mat_case("q4_0", 8, 2, 64, "g")
    cg = c.instantiate()
    feeds = cg.feeds(0, c.id)
    place_graph(cg.graph, cpu())
    write_feeds(feeds)
    a = cg.outputs[0].src[0]
    assert feeds[a].dtype == np.uint8 and np.array_equal(tensor_get(a), feeds[a])


def test_select_filters_by_id_substring():
    cases = bc.perf_cases("quick")
    picked = bc.select(cases, "q4_0")
    assert picked and all("q4_0" in c.id for c in picked)
    assert bc.select(cases, None) == cases
    with pytest.raises(KeyError, match="known: quick"):
        bc.perf_cases("huge")
