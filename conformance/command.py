"""The work of ``ggsched conformance``: availability, the run, the tables, the reports."""

from __future__ import annotations

import json
import sys
import time

from ggsched import __version__
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .driver import SuiteRun, pytest_args, run_suite
from .report import json_report, summary
from .tables import print_report
from .targets import Availability, availability, default_backends

# pytest's exit codes that mean the run itself went wrong, not a case
NO_TESTS, INTERRUPTED, INTERNAL, USAGE = 5, 2, 3, 4


def progress_bar(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True)


def check_backends(names: list[str], console: Console) -> tuple[list[Availability], bool]:
    """Availability of each backend; False when one named explicitly cannot be used."""
    found = [availability(n) for n in names]
    for a in found:
        if not a.available:
            console.print(f"[red]backend {a.name} is unavailable:[/] {a.reason}", soft_wrap=True)
    return found, all(a.available for a in found)


def execute(args, names: list[str], console: Console) -> SuiteRun:
    pa = pytest_args(names, args.quick, args.seed, args.ops, args.xfails, args.probe,
                     args.workers, args.junitxml)
    with progress_bar(console) as bar:
        return run_suite(pa, bar)


def write_json(path: str, seed: int, avail: list[Availability], run: SuiteRun) -> None:
    data = json_report(__version__, seed, [a.to_json() for a in avail], run.results)
    with open(path, "w") as f:
        json.dump(data, f, indent=1)


def _problems(run: SuiteRun, console: Console) -> int:
    """Non-zero when the run went wrong outside the cases (pytest's output is then shown)."""
    if run.exit_code == NO_TESTS:
        console.print("[red]no case matches the selection[/]")
        return 4
    if run.exit_code in (INTERRUPTED, INTERNAL, USAGE) or (run.exit_code and not run.results):
        console.print(run.output[-4000:])
        return run.exit_code or 1
    return 0


def report(console: Console, avail: list[Availability], run: SuiteRun, seconds: float) -> None:
    print_report(console, {a.name: a.device for a in avail}, run.results)
    for text in run.stale:
        console.print(f"[yellow]warning:[/] {text}", soft_wrap=True)
    could = [r for r in run.results if r.details.get("could_claim")]
    if could:
        console.print(f"could claim ({len(could)}): refused by supports_op but correct when run:")
        for r in could:
            console.print(f"  {r.backend} {r.id}", soft_wrap=True)
    for backend, counts in summary(run.results).items():
        line = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        console.print(f"{backend}: {line}")
    console.print(f"{len(run.results)} case(s) in {seconds:.1f} s")


def make_console() -> Console:
    """Rich output; wide when not a terminal, so that repro lines are never wrapped."""
    console = Console(file=sys.stdout)
    if not console.is_terminal:
        console.width = 160
    return console


def main(args) -> int:
    console = make_console()
    names = args.backend or default_backends()
    avail, ok = check_backends(names, console)
    if not ok:
        return 2
    start = time.perf_counter()
    run = execute(args, names, console)
    seconds = time.perf_counter() - start
    bad = _problems(run, console)
    if args.json:
        write_json(args.json, args.seed, avail, run)
    if bad:
        return bad
    report(console, avail, run, seconds)
    return 1 if any(r.failed for r in run.results) else 0
