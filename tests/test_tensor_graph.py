"""Tensor facts (nbytes, contiguity, can_repeat) and graph building (order, leafs, counts)."""

import pytest
from ggsched import GraphError, Op, build_graph, ops
from ggsched.graph import Graph
from ggsched.tensor import TensorFlag, can_repeat, contiguous_nb


def f32(*ne, name=""):
    return ops.new_tensor("f32", ne, name)


# -- nbytes -------------------------------------------------------------------------------------


def test_nbytes_of_contiguous_and_permuted_f32():
    a = f32(4, 3, 2)
    assert a.nb == (4, 16, 48, 96) and a.nbytes == 96
    p = ops.permute(a, 2, 0, 1, 3)  # ne [3, 2, 4]
    assert p.ne == (3, 2, 4, 1) and p.nb == (16, 48, 4, 96)
    assert p.nbytes == 96  # the same bytes, seen in another order
    assert ops.transpose(a).nbytes == 96


def test_nbytes_of_a_strided_view_spans_first_to_last_byte():
    a = f32(8, 3)
    v = ops.view_2d(a, 2, 3, 32, 8)  # 2 values from each row, rows 32 bytes apart
    assert v.nbytes == 4 + 1 * 4 + 2 * 32
    assert v.view_offs == 8 and v.view_src is a


def test_nbytes_of_quantized_tensors_counts_blocks():
    q = ops.new_tensor("q8_0", (64, 3, 2))
    assert q.nb == (34, 68, 204, 408) and q.nbytes == 408
    assert ops.new_tensor("q4_0", (96, 5)).nbytes == 3 * 18 * 5
    p = ops.permute(q, 0, 2, 1, 3)  # rows stay packed; dims 1 and 2 swap
    assert p.nbytes == 408
    assert contiguous_nb(q.type, (32, 1, 1, 1)) == (34, 34, 34, 34)


def test_empty_tensor_has_no_bytes():
    assert f32(0, 3).nbytes == 0 and f32(0, 3).is_empty


# -- contiguity ----------------------------------------------------------------------------------


def test_contiguity_of_views():
    a = f32(8, 3, 2)
    assert a.is_contiguous and a.is_contiguous_rows and a.is_padded_1d
    t = ops.transpose(a)
    assert not t.is_contiguous and t.is_transposed and t.is_permuted
    gaps = ops.view_3d(a, 4, 3, 2, 32, 96, 0)  # the first half of each row
    assert not gaps.is_contiguous and gaps.is_contiguous_n(1) and gaps.is_contiguous_rows
    assert gaps.is_padded_1d  # dims 2, 3 are packed over the (padded) rows
    swapped = ops.permute(a, 0, 2, 1, 3)
    assert not swapped.is_contiguous_n(1) and swapped.is_contiguous_n(2)
    assert swapped.is_permuted and not swapped.is_transposed


def test_contiguity_treats_dims_of_one_like_ggml():
    a = f32(4, 6)
    # one row of 4 read from a 24-byte-strided layout: ne1 = 1 so dim 1 never matters...
    v = ops.view_2d(a, 4, 1, 24, 0)
    assert v.is_contiguous
    # ...but for is_contiguous_1 ggml restarts packing at ne1*nb1 even when ne1 is 1
    w = ops.view_3d(a, 4, 1, 2, 24, 16, 0)
    assert not w.is_contiguous_n(1) and w.is_contiguous_n(2)


def test_quantized_row_contiguity_is_by_block():
    q = ops.new_tensor("q8_0", (32, 4))
    assert q.is_contiguous and q.is_contiguous_rows
    col = ops.view_2d(q, 32, 2, 68, 34)  # every other row
    assert col.is_contiguous_rows and not col.is_contiguous


# -- can_repeat ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "src, dst, ok",
    [
        ((1, 3), (4, 3), True),
        ((2, 3), (4, 3), True),
        ((4, 1, 2), (4, 5, 6), True),
        ((3, 3), (4, 3), False),
        ((4, 3, 2), (4, 3), False),
        ((0, 3), (0, 5), True),  # an empty tensor repeats only onto an empty one
        ((0, 3), (4, 3), False),
    ],
    ids=lambda v: str(v),
)
def test_can_repeat(src, dst, ok):
    assert can_repeat(f32(*src), f32(*dst)) is ok


# -- graphs --------------------------------------------------------------------------------------


def _chain():
    a, b = f32(4, 3, name="a"), f32(4, 3, name="b")
    s = ops.add(a, b)
    m = ops.mul(s, a)
    out = ops.scale(ops.sqr(m), 2.0)
    return a, b, s, m, out


def test_post_order_leafs_and_nodes():
    a, b, s, m, out = _chain()
    g = build_graph(out)
    assert g.leafs == [a, b]
    assert g.nodes == [s, m, g.nodes[2], out]
    assert g.nodes[2].op is Op.SQR and (g.n_nodes, g.n_leafs) == (4, 2)
    assert all(n.name.startswith("node_") for n in g.nodes)


def test_dedup_and_use_counts():
    a, b, s, m, out = _chain()
    g = build_graph(out, m, s)  # asking again for reached tensors adds nothing
    assert g.n_nodes == 4 and g.n_leafs == 2
    assert g.use_counts[a] == 2 and g.use_counts[b] == 1
    assert g.use_counts[s] == 1 and g.use_counts[m] == 1
    assert out not in g.use_counts  # nothing reads the output
    assert a in g and f32(1) not in g


def test_views_are_nodes_and_params_are_not_leafs():
    w = f32(4, 4, name="w").set_param()
    x = f32(4, 4, name="x")
    r = ops.reshape_1d(ops.mul_mat(w, x), 16)
    g = build_graph(r)
    assert w in g.nodes and g.leafs == [x]
    assert g.nodes[-1] is r and r.op is Op.RESHAPE


def test_graph_view_has_no_leafs_and_shares_use_counts():
    *_, out = _chain()
    g = build_graph(out)
    v = g.view(1, 3)
    assert v.nodes == g.nodes[1:3] and v.leafs == []
    assert v.use_counts is g.use_counts
    assert g.nodes[1] in v and g.nodes[0] not in v


def test_graph_size_is_enforced():
    *_, out = _chain()
    Graph(size=4).build_forward_expand(out)  # 4 nodes, 2 leafs: each count fits
    with pytest.raises(GraphError, match="graph is full: 3 nodes already"):
        Graph(size=3).build_forward_expand(out)
    with pytest.raises(GraphError, match="graph is full: 1 leafs already"):
        Graph(size=1).build_forward_expand(out)


def test_set_output_marks_the_view_chain():
    a = f32(4, 3, name="a")
    v = ops.view_1d(ops.reshape_1d(a, 12), 4, 0)
    v.set_output()
    assert v.is_output and a.is_output
    assert v.flags & TensorFlag.OUTPUT and not a.is_input
