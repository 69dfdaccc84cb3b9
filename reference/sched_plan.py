"""The scheduler's plan as data (``Scheduler.plan()``) and as ggml's debug text (GGSCHED_DEBUG).

A ``Placement`` is what one ``split_graph`` decided, kept after the scheduler resets: the
splits with their inputs, the copy tensors, and a snapshot of every tensor's backend and cause.
``plan_data`` turns it into plain JSON-serializable values; ``format_assignments`` prints it
the way ggml_backend_sched_print_assignments does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .graph import Graph
from .op import VIEW_OPS
from .sched_splits import Copies, Split
from .tensor import Tensor


@dataclass
class Placement:
    graph: Graph
    splits: list[Split]
    copies: Copies
    ids: dict[Tensor, int]
    causes: dict[Tensor, str]
    rewrites: list[tuple[Tensor, int, Tensor]]

    def copied_srcs(self) -> dict[Tensor, list[tuple[int, Tensor]]]:
        """node -> [(j, original src)] for every src pass 5 routed through a copy."""
        out: dict[Tensor, list[tuple[int, Tensor]]] = {}
        for node, j, src in self.rewrites:
            out.setdefault(node, []).append((j, src))
        return out


# -- as data --------------------------------------------------------------------------------------


def plan_data(p: Placement, names: list[str], sizes: list[int], nodes: bool = False) -> dict:
    """The plan as JSON-serializable data (schema in the README, "ggsched run --json")."""
    copied = p.copied_srcs()
    data = {
        "n_backends": len(names),
        "backends": [_backend(p, b, name, sizes[b]) for b, name in enumerate(names)],
        "n_copies": p.copies.n_copies,
        "cur_copy": p.copies.cur_copy,
        "n_nodes": p.graph.n_nodes,
        "n_leafs": p.graph.n_leafs,
        "n_splits": len(p.splits),
        "graph_inputs": [_graph_input(p, t, names) for t in p.copies.graph_inputs],
        "splits": [_split(p, k, s, names, copied) for k, s in enumerate(p.splits)],
    }
    if nodes:
        data["nodes"] = [_node(p, i, n, names, copied) for i, n in enumerate(p.graph.nodes)]
    return data


def _backend(p: Placement, b: int, name: str, size: int) -> dict:
    n = sum(1 for t in p.graph.nodes if p.ids.get(t) == b)
    return {"index": b, "name": name, "buffer_size": size, "n_nodes": n}


def _graph_input(p: Placement, t: Tensor, names: list[str]) -> dict:
    b = p.ids[t]
    ring = [p.copies.get(t, b, c).name for c in range(p.copies.n_copies)]
    return {"name": t.name, "backend": names[b], "copies": ring}


def _split(p: Placement, k: int, s: Split, names: list[str], copied) -> dict:
    inputs = [_input(p, s, t, names) for t in s.inputs]
    return {
        "index": k,
        "backend": names[s.backend_id],
        "node_start": s.i_start,
        "node_end": s.i_end,
        "n_nodes": sum(1 for t in p.graph.nodes[s.i_start : s.i_end] if t.op not in VIEW_OPS),
        "inputs": inputs,
        "reused_copies": _reused(p, s, copied),
        "bytes_copied": sum(i["bytes"] for i in inputs),
    }


def _input(p: Placement, s: Split, t: Tensor, names: list[str]) -> dict:
    return {
        "name": t.name,
        "from_backend": names[p.ids[t]],
        "copy": p.copies.get(t, s.backend_id).name,
        "bytes": t.nbytes,
        "user_input": t.is_input,
    }


def _reused(p: Placement, s: Split, copied) -> list[dict]:
    """Copies this split reads that an earlier split on the same backend made."""
    own = set(s.inputs)
    seen: dict[str, str] = {}
    for node in p.graph.nodes[s.i_start : s.i_end]:
        for _, src in copied.get(node, ()):
            if src not in own:
                seen.setdefault(src.name, p.copies.get(src, s.backend_id).name)
    return [{"name": k, "copy": v} for k, v in seen.items()]


def _node(p: Placement, i: int, t: Tensor, names: list[str], copied) -> dict:
    via = dict(copied.get(t, ()))
    srcs = []
    for j, s in enumerate(t.src):
        if s is None:
            continue
        orig = via.get(j, s)
        entry = {"name": orig.name, "backend": _name(p, orig, names)}
        if j in via:
            entry["copy"] = p.copies.get(orig, p.ids[t]).name
        srcs.append(entry)
    return {
        "index": i,
        "name": t.name,
        "op": t.op_desc,
        "backend": _name(p, t, names),
        "cause": p.causes.get(t, ""),
        "view": t.op in VIEW_OPS,
        "srcs": srcs,
    }


def _name(p: Placement, t: Tensor, names: list[str]) -> str | None:
    b = p.ids.get(t, -1)
    return names[b] if b >= 0 else None


# -- as ggml's debug text -------------------------------------------------------------------------


def fmt_size(n: int) -> str:
    """ggml's fmt_size: whole MiB from 1 MiB up, else whole KiB."""
    return f"{n // (1024 * 1024)}M" if n >= 1024 * 1024 else f"{n // 1024}K"


def format_assignments(p: Placement, names: list[str], level: int) -> str:
    """GGML_SCHED_DEBUG's text: a header per split (level >= 1), a line per non-view node
    (level >= 2). ggml leaves the cause column empty unless built with its causes enabled;
    level 3 fills it."""
    lines: list[str] = []
    k = 0
    for i, node in enumerate(p.graph.nodes):
        if k < len(p.splits) and i == p.splits[k].i_start:
            lines.append(_split_header(p.splits[k], k, names))
            k += 1
        if node.op in VIEW_OPS or level < 2:
            continue
        lines.append(_node_line(p, i, node, names, level))
    return "\n".join(lines) + "\n"


def _split_header(s: Split, k: int, names: list[str]) -> str:
    head = f"\n## SPLIT #{k}: {names[s.backend_id]} # {len(s.inputs)} inputs"
    if s.inputs:
        head += ": " + "".join(f"[{t.name} ({fmt_size(t.nbytes):>5.5})] " for t in s.inputs)
    return head


def _node_line(p: Placement, i: int, node: Tensor, names: list[str], level: int) -> str:
    use = p.graph.use_counts.get(node, 0)
    computed = 0 if node.op.name == "NONE" else 1
    line = (
        f"node #{i:3d} ({node.op_desc:>10.10}): {node.name:>20.20} "
        f"({fmt_size(node.nbytes):>5.5}) [{_tag(p, node, names, level)}] "
        f"use={use},c={computed}:"
    )
    for s in node.src:
        if s is not None:
            line += f" {s.name:>20.20} ({fmt_size(s.nbytes):>5.5}) [{_tag(p, s, names, level)}]"
    return line


def _tag(p: Placement, t: Tensor, names: list[str], level: int) -> str:
    name = _name(p, t, names) or "NULL"
    cause = p.causes.get(t, "") if level >= 3 else ""
    return f"{name:>5.5} {cause:>8.8}"
