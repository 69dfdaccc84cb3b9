"""The ``--plot FILE.png`` figure: per-op grouped bars per backend (log time axis), the model
timings, and the scheduler's µs/node when that section ran."""

from __future__ import annotations

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


def _grouped_bars(ax, results: list[Result], scale: float, ylabel: str, title: str) -> None:
    import numpy as np

    cases, backends = _cases(results), _backends(results)
    by_key = {(r.case, r.backend): r for r in results}
    width = 0.8 / max(1, len(backends))
    x = np.arange(len(cases))
    for i, b in enumerate(backends):
        vals = [by_key.get((cid, b)) for cid, _ in cases]
        ys = [r.median_us * scale if r is not None and r.ok else np.nan for r in vals]
        ax.bar(x + (i - (len(backends) - 1) / 2) * width, ys, width, label=b)
    ax.set_yscale("log")
    ax.set_xticks(x)
    ax.set_xticklabels([label for _, label in cases], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left")
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=len(backends))


def _sched_panel(ax, sched: dict[str, Any]) -> None:
    rows = sched.get("rows", [])
    xs = [r["n_nodes"] for r in rows]
    ys = [r["us_per_node"] for r in rows]
    ax.plot(xs, ys, "o-")
    ax.set_xscale("log")
    ax.set_xlabel("nodes")
    ax.set_ylabel("µs per node (assign+split+reserve)")
    growth = sched.get("growth_exponent")
    suffix = f" — time ∝ n^{growth:.2f}" if growth is not None else ""
    ax.set_title(f"Scheduler overhead{suffix}", loc="left")
    ax.grid(alpha=0.3)


def write_plot(path: str | Path, results: list[Result], sched: dict[str, Any] | None = None,
               title: str = "") -> None:
    """Write the figure; panels without data are left out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ops = [r for r in results if r.section == "op"]
    models = [r for r in results if r.section == "model"]
    panels = [p for p in ("op", "model", "sched") if
              {"op": ops, "model": models, "sched": sched and sched.get("rows")}[p]]
    heights = {"op": 3.0, "model": 2.0, "sched": 1.4}
    fig, axes = plt.subplots(len(panels) or 1, 1, squeeze=False,
                             figsize=(max(12, 0.45 * len(_cases(ops))), 3.2 * sum(
                                 heights[p] for p in panels) or 4),
                             gridspec_kw={"height_ratios": [heights[p] for p in panels] or [1]})
    for ax, p in zip(axes[:, 0], panels):
        if p == "op":
            _grouped_bars(ax, ops, 1.0, "µs per run (log)", "Per-op time (lower is faster)")
        elif p == "model":
            _grouped_bars(ax, models, 1e-3, "ms per forward (log)",
                          "End-to-end graphs through the scheduler")
        else:
            _sched_panel(ax, sched)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
