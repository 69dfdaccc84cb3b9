"""The ``--plot FILE.png`` figure: per-op grouped bars per backend (log time axis), the model
timings, and the scheduler's µs/node when that section ran."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from .results import Result


def _backends(results: list[Result]) -> list[str]:
    names: list[str] = []
    for r in results:
        if r.backend not in names:
            names.append(r.backend)
    return names


def _cases(results: list[Result]) -> list[tuple[str, str]]:
    """(id, label) of each case, in order."""
    seen: dict[str, str] = {}
    for r in results:
        seen.setdefault(r.case, r.label or r.case)
    return list(seen.items())


FIXED_COLORS = {"ggml-cpu": "#555555", "blas": "#9467bd"}  # the yardsticks look alike everywhere
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#8c564b", "#e377c2", "#17becf"]


def base_backend(name: str) -> str:
    """The backend a model config is named after: "OpenCL*,cpu" -> "OpenCL"."""
    return name.split(",")[0].rstrip("*")


def color_map(results: list[Result]) -> dict[str, str]:
    """One color per backend, the same in every panel (a config takes its first backend's)."""
    colors: dict[str, str] = dict(FIXED_COLORS)
    for r in results:
        base = base_backend(r.backend)
        if base not in colors:
            colors[base] = PALETTE[(len(colors) - len(FIXED_COLORS)) % len(PALETTE)]
    return colors


def _grouped_bars(ax, results: list[Result], scale: float, ylabel: str, title: str,
                  colors: dict[str, str], rotation: int = 60) -> None:
    import numpy as np

    cases, backends = _cases(results), _backends(results)
    by_key = {(r.case, r.backend): r for r in results}
    width = 0.8 / max(1, len(backends))
    x = np.arange(len(cases))
    for i, b in enumerate(backends):
        vals = [by_key.get((cid, b)) for cid, _ in cases]
        ys = [r.median_us * scale if r is not None and r.ok else np.nan for r in vals]
        ax.bar(x + (i - (len(backends) - 1) / 2) * width, ys, width, label=b,
               color=colors[base_backend(b)], hatch="//" if "*" in b else None,
               edgecolor="white" if "*" in b else None)
    ax.set_yscale("log")
    ax.set_xticks(x)
    # upright labels are wrapped so that neighbours do not run into each other
    labels = [label if rotation else textwrap.fill(label, 18) for _, label in cases]
    ax.set_xticklabels(labels, rotation=rotation, ha="right" if rotation else "center",
                       fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=len(backends))


def _sched_panel(ax, sched: dict[str, Any]) -> None:
    rows = sched.get("rows", [])
    xs = [r["n_nodes"] for r in rows]
    ax.plot(xs, [r["us_per_node"] for r in rows], "o-", label="as a program sees it")
    if all("us_per_node_gc_paused" in r for r in rows):
        ax.plot(xs, [r["us_per_node_gc_paused"] for r in rows], "s--",
                label="Python's cyclic GC paused")
        ax.legend(fontsize=8)
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("nodes")
    ax.set_ylabel("µs per node (assign+split+reserve)")
    growth = sched.get("growth_exponent")
    suffix = f" — time ∝ n^{growth:.2f}" if growth is not None else ""
    ax.set_title(f"Scheduler overhead{suffix}", loc="left")
    ax.grid(alpha=0.3)


PANEL_HEIGHTS = {"op": 3.0, "model": 2.0, "sched": 1.4}  # inches per unit below: 3.2


def _panels(ops: list[Result], models: list[Result], sched: dict[str, Any] | None) -> list[str]:
    have = {"op": bool(ops), "model": bool(models), "sched": bool(sched and sched.get("rows"))}
    return [p for p in ("op", "model", "sched") if have[p]]


def write_plot(path: str | Path, results: list[Result], sched: dict[str, Any] | None = None,
               title: str = "") -> bool:
    """Write the figure; panels without data are left out. False (and no file) when no panel
    has data (e.g. only the alloc section ran)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ops = [r for r in results if r.section == "op"]
    models = [r for r in results if r.section == "model"]
    panels = _panels(ops, models, sched)
    if not panels:
        return False
    heights = [PANEL_HEIGHTS[p] for p in panels]
    width = max(12.0, 0.45 * len(_cases(ops)))
    fig, axes = plt.subplots(len(panels), 1, squeeze=False, figsize=(width, 3.2 * sum(heights)),
                             gridspec_kw={"height_ratios": heights})
    colors = color_map(results)
    for ax, p in zip(axes[:, 0], panels):
        if p == "op":
            _grouped_bars(ax, ops, 1.0, "µs per run (log)", "Per-op time (lower is faster)",
                          colors)
        elif p == "model":
            _grouped_bars(ax, models, 1e-3, "ms per forward (log)",
                          "End-to-end graphs through the scheduler (X* = X refusing SOFT_MAX "
                          "and GELU)", colors, rotation=0)
        else:
            _sched_panel(ax, sched)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
