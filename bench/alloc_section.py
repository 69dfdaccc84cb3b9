"""Section 4b: compute-buffer bytes of our graph allocator vs the live-bytes lower bound and vs
real ggml's gallocr on the same graphs (``ggsched.bench.alloc_report`` does the measuring)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from .report import fmt_bytes, fmt_ratio

ALLOC_GRAPHS = {
    "quick": [dict(n_embd=256, n_head=4, n_layer=4, n_tokens=64, n_vocab=512)],
    "default": [dict(n_embd=256, n_head=4, n_layer=4, n_tokens=64, n_vocab=512),
                dict(n_embd=768, n_head=12, n_layer=12, n_tokens=128, n_vocab=50257)],
}
ALLOC_GRAPHS["full"] = ALLOC_GRAPHS["default"]


def run_alloc(size: str) -> dict[str, Any]:
    """One row per GPT-2 graph: ours, the lower bound, ggml's, and the two ratios."""
    from .alloc_report import report

    rows = []
    for hp in ALLOC_GRAPHS[size]:
        r = report(**hp)
        ours, bound, ggml = (r["ggsched_gallocr_bytes"], r["live_bytes_lower_bound"],
                             r["ggml_gallocr_bytes"])
        r["vs_ggml"] = ours / ggml if ggml else None
        r["vs_lower_bound"] = ours / bound if bound else None
        rows.append(r)
    return {"rows": rows}


def alloc_table(section: dict[str, Any]) -> Table:
    t = Table(title="Compute buffer: our gallocr vs the lower bound and real ggml's gallocr",
              title_justify="left")
    for col in ("graph", "nodes", "ours", "lower bound", "ggml gallocr", "ours / ggml",
                "ours / bound"):
        t.add_column(col, justify="left" if col == "graph" else "right")
    for r in section["rows"]:
        hp = r["model"]
        name = (f"GPT-2 {hp['n_embd']}x{hp['n_layer']}, {hp['n_head']} heads, "
                f"{hp['n_tokens']} tokens, vocab {hp['n_vocab']}")
        ggml = r["ggml_gallocr_bytes"]
        t.add_row(name, str(r["n_nodes"]), fmt_bytes(r["ggsched_gallocr_bytes"]),
                  fmt_bytes(r["live_bytes_lower_bound"]),
                  fmt_bytes(ggml) if ggml is not None else f"n/a ({r['ggml_unavailable_reason']})",
                  fmt_ratio(r["vs_ggml"]), fmt_ratio(r["vs_lower_bound"]))
    return t
