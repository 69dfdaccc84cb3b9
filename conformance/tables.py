"""Terminal output of a run: per backend, a table of family × type with counts per status,
then every failure with its repro line."""

from __future__ import annotations

import collections
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .result import FAIL, STATUSES, CaseResult

STYLE = {"pass": "green", "fail": "bold red", "unsupported": "yellow", "xfail": "magenta",
         "skip": "dim"}


def counts_by_group(results: Sequence[CaseResult]) -> dict[tuple[str, str], collections.Counter]:
    groups: dict[tuple[str, str], collections.Counter] = {}
    for r in results:
        key = (r.family, "/".join(dict.fromkeys(r.types)) or "-")
        groups.setdefault(key, collections.Counter())[r.status] += 1
    return dict(sorted(groups.items()))


def backend_table(backend: str, device: str, results: Sequence[CaseResult]) -> Table:
    title = f"{backend} ({device})" if device else backend
    table = Table(title=title, title_justify="left")
    table.add_column("family")
    table.add_column("types")
    for s in STATUSES:
        table.add_column(s, justify="right")
    total: collections.Counter = collections.Counter()
    for (family, types), c in counts_by_group(results).items():
        total.update(c)
        table.add_row(family, types, *(_cell(s, c[s]) for s in STATUSES))
    table.add_section()
    table.add_row("total", "", *(_cell(s, total[s]) for s in STATUSES))
    return table


def _cell(status: str, n: int) -> Text:
    return Text(str(n), style=STYLE[status] if n else "dim")


def print_failures(console: Console, results: Sequence[CaseResult], limit: int = 40) -> None:
    failed = [r for r in results if r.status == FAIL]
    if not failed:
        return
    console.print(Text(f"\n{len(failed)} failure(s):", style="bold red"))
    for r in failed[:limit]:
        console.print(Text(r.message or f"[{r.backend}] {r.id}\n  repro: {r.repro}"),
                      soft_wrap=True)
    if len(failed) > limit:
        console.print(f"... and {len(failed) - limit} more (all of them are in --json)")


def print_report(console: Console, devices: dict[str, str], results: Sequence[CaseResult]):
    by_backend: dict[str, list[CaseResult]] = {}
    for r in results:
        by_backend.setdefault(r.backend, []).append(r)
    for backend, rs in by_backend.items():
        console.print(backend_table(backend, devices.get(backend, ""), rs))
    print_failures(console, results)
