"""Compute-buffer bytes for the GPT-2-style graph: our gallocr, the live-bytes lower bound for
the same execution order, and real ggml's gallocr on the very same graph.

    python -m ggsched.bench.alloc_report [--n-embd 256 --n-head 4 --n-layer 4 --n-tokens 64
                                          --n-vocab 512 --wtype f32] [--json]

Weights live in a buffer of their own (as in a ggml program), so every figure is the compute
buffer only. CPU-like buffer type: alignment 32, no max size.
"""

from __future__ import annotations

import argparse
import json
import sys

from ggsched.alloc import GAllocr, alloc_ctx_tensors_from_buft, pad
from ggsched.backends.null import NullBufferType
from ggsched.errors import GGSchedError
from ggsched.graph import Graph
from ggsched.models import gpt2
from ggsched.op import INPLACE_OPS
from ggsched.tensor import Tensor, are_same_layout

ALIGNMENT = 32
GGML_OWN_GPT2_BYTES = 1_114_624  # real ggml, its own examples/gpt-2 graph of this size


def _lifetimes(graph: Graph) -> dict[Tensor, list[float]]:
    """[first, last] step each allocator-managed tensor is busy; leafs and inputs from -1,
    outputs to the end; a tensor is busy until the last read of it or of any view of it."""
    life: dict[Tensor, list[float]] = {}
    for t in graph.leafs:
        if t.data is None:
            life[t] = [-1, -1]
    for i, node in enumerate(graph.nodes):
        if node.view_src is None and node.data is None:
            life[node] = [-1 if node.is_input else i, i]
    for i, node in enumerate(graph.nodes):
        for s in [*node.sources, node.view_src]:
            if s is not None and s.root in life:
                life[s.root][1] = max(life[s.root][1], i)
    for t, span in life.items():
        if t.is_output:
            span[1] = float("inf")
    return life


def _inplace_saving(node: Tensor, i: int, life, size) -> int:
    """Bytes node can take over from a same-layout parent that dies at this very step."""
    if node.op not in INPLACE_OPS or node not in life:
        return 0
    for p in node.sources:
        if p in life and life[p][1] == i and are_same_layout(p, node):
            return size(p)
    return 0


def live_bytes_lower_bound(graph: Graph, alignment: int = ALIGNMENT) -> int:
    """Max over the steps of the graph's order of the bytes that must be distinct then."""
    life = _lifetimes(graph)

    def size(t: Tensor) -> int:
        return pad(t.nbytes, alignment)

    best = 0
    for i in range(-1, graph.n_nodes):
        busy = sum(size(t) for t, (a, b) in life.items() if a <= i <= b)
        saved = _inplace_saving(graph.nodes[i], i, life, size) if i >= 0 else 0
        best = max(best, busy - saved)
    return best


def _ggml_bytes(graph: Graph, weights: list[Tensor]) -> tuple[int | None, str]:
    try:
        from ggsched.backends.ggml import measure_gallocr

        return measure_gallocr(graph, static=weights), ""
    except (ImportError, GGSchedError) as e:
        return None, f"{type(e).__name__}: {e}"


def report(**hparams) -> dict:
    model = gpt2(**hparams)
    ggml_bytes, why = _ggml_bytes(model.graph, model.weights)  # before ours places tensors
    buft = NullBufferType("CPU", ALIGNMENT, is_host=True)
    alloc_ctx_tensors_from_buft(model.weights, NullBufferType("weights", ALIGNMENT, is_host=True))
    ours = GAllocr(buft).reserve_n_size(model.graph, None, None)[0]
    return {
        "model": model.hparams,
        "n_nodes": model.graph.n_nodes,
        "ggsched_gallocr_bytes": ours,
        "live_bytes_lower_bound": live_bytes_lower_bound(model.graph),
        "ggml_gallocr_bytes": ggml_bytes,
        "ggml_unavailable_reason": why or None,
        "ggml_own_gpt2_bytes": GGML_OWN_GPT2_BYTES,
    }


def _print(r: dict) -> None:
    hp = r["model"]
    print(f"GPT-2 graph: n_embd {hp['n_embd']}, {hp['n_head']} heads, {hp['n_layer']} layers, "
          f"{hp['n_tokens']} tokens, vocab {hp['n_vocab']}, {hp['wtype']} ({r['n_nodes']} nodes)")
    ggml = r["ggml_gallocr_bytes"]
    rows = [
        ("ggsched gallocr (compute buffer)", f"{r['ggsched_gallocr_bytes']:,} B"),
        ("live-bytes lower bound, same order", f"{r['live_bytes_lower_bound']:,} B"),
        ("real ggml gallocr, same graph",
         f"{ggml:,} B" if ggml is not None else f"n/a ({r['ggml_unavailable_reason']})"),
        ("real ggml, its own gpt-2 graph", f"{r['ggml_own_gpt2_bytes']:,} B"),
    ]
    for name, value in rows:
        print(f"  {name:<36} {value}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in (("n-embd", 256), ("n-head", 4), ("n-layer", 4), ("n-tokens", 64),
                          ("n-vocab", 512)):
        p.add_argument(f"--{name}", type=int, default=default, metavar="N",
                       help=f"GPT-2 {name[2:]} (default {default})")
    p.add_argument("--wtype", default="f32", help="type of the big matrices: f32 f16 q8_0 q4_0")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args(argv)
    r = report(n_embd=args.n_embd, n_head=args.n_head, n_layer=args.n_layer,
               n_tokens=args.n_tokens, n_vocab=args.n_vocab, wtype=args.wtype)
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        _print(r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
