"""``ggsched conformance --self-test``: the suite must catch every deliberately broken backend
and pass the real ones.

One run of the quick suite (or of the cases ``--ops`` picks) over every ``broken-*`` backend and
the real built-in backends; then
a table fault -> the cases that caught it. ``refuse-all`` is the fault that must not be caught:
a backend that claims nothing must fall back to the CPU with zero failures. Exit 0 only if every
fault was caught and the real backends show no failure.
"""

from __future__ import annotations

import time

from rich.table import Table

from . import broken
from .command import check_backends, execute, make_console, write_json
from .result import CaseResult
from .targets import availability

REAL = ("cpu", "opencl")
MUST_FALL_BACK = "refuse-all"


def _verdict(name: str, results: list[CaseResult]) -> tuple[bool, str]:
    failed = [r for r in results if r.failed]
    if name.endswith(MUST_FALL_BACK):
        unsupported = sum(r.status == "unsupported" for r in results)
        ok = not failed and unsupported > 0
        return ok, f"{len(failed)} failed, {unsupported} unsupported (fell back to the CPU)"
    if name in REAL:
        return not failed, f"{len(failed)} failed of {len(results)}"
    if not failed:
        return False, "NOT CAUGHT"
    first_per_op: dict[str, str] = {}
    for r in failed:
        first_per_op.setdefault(r.op, r.id)
    shown = "\n".join(list(first_per_op.values())[:3])
    return True, f"{len(failed)} case(s), e.g.\n{shown}"


def fault_table(by_backend: dict[str, list[CaseResult]]) -> tuple[Table, bool]:
    table = Table(title="self-test: fault -> the cases that caught it", title_justify="left")
    for col in ("backend", "fault", "caught by", "ok"):
        table.add_column(col, overflow="fold")
    all_ok = True
    for name, results in by_backend.items():
        ok, text = _verdict(name, results)
        all_ok &= ok
        fault = broken.FAULTS[name[len(broken.PREFIX):]].what if broken.is_broken(name) else (
            "none (a real backend)")
        table.add_row(name, fault, text, "[green]yes[/]" if ok else "[bold red]NO[/]")
    return table, all_ok


def main(args) -> int:
    console = make_console()
    real = [n for n in REAL if availability(n).available]
    names = broken.names() + real
    avail, ok = check_backends(names, console)
    if not ok:
        return 2
    args.quick = not args.ops  # the quick suite, unless cases were picked
    start = time.perf_counter()
    run = execute(args, names, console)
    if args.json:
        write_json(args.json, args.seed, avail, run)
    by_backend: dict[str, list[CaseResult]] = {n: [] for n in names}
    for r in run.results:
        by_backend.setdefault(r.backend, []).append(r)
    table, all_ok = fault_table(by_backend)
    console.print(table)
    console.print(f"{len(run.results)} case(s) on {len(names)} backends in "
                  f"{time.perf_counter() - start:.1f} s: "
                  + ("every fault caught" if all_ok else "[bold red]the self-test FAILED[/]"))
    return 0 if all_ok and run.results else 1
