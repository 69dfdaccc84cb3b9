"""``ggsched ops``: the support matrix, every op × type case against every available device."""

from __future__ import annotations

import argparse
import sys

from ggsched.cli import add_json_option, write_json

HELP = "show which ops and types each available backend supports (supports_op matrix)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", "-b", metavar="NAME", action="append",
                        help="only this device (any case); may be repeated")
    parser.add_argument("--op", "-o", metavar="OP", action="append",
                        help="only cases of this op (e.g. MUL_MAT, SILU); may be repeated")
    add_json_option(parser, "the matrix")


def _devices(names: list[str] | None) -> list:
    from ggsched.backends import registry

    if names:
        return [registry.get_device(n) for n in names]
    return registry.devices()


def _ask(device, case) -> bool | str:
    """supports_op on the case's output node; an exception is reported, not raised."""
    try:
        return bool(device.supports_op(case.build()))
    except Exception as e:  # a backend's bug must not hide the rest of the matrix
        return f"error: {type(e).__name__}: {e}"


def matrix(device_names: list[str] | None = None, op_names: list[str] | None = None) -> dict:
    """{"devices": [...], "cases": [{"id", "op", "params", "supported": {device: ...}}]}."""
    from ggsched.backends.support import representative_cases

    devices = _devices(device_names)
    wanted = {o.upper() for o in op_names} if op_names else None
    cases = [c for c in representative_cases() if wanted is None or c.op in wanted]
    return {
        "devices": [d.name for d in devices],
        "cases": [
            {"id": c.id, "op": c.op, "params": dict(c.params),
             "supported": {d.name: _ask(d, c) for d in devices}}
            for c in cases
        ],
    }


def _cell(v) -> str:
    if v is True:
        return "[green]yes[/]"
    if v is False:
        return "[dim]no[/]"
    return f"[red]{v}[/]"


def _render(m: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ggsched ops: supports_op per case")
    table.add_column("Case", overflow="fold")
    for d in m["devices"]:
        table.add_column(d, justify="center")
    for c in m["cases"]:
        table.add_row(c["id"], *(_cell(c["supported"][d]) for d in m["devices"]))
    console = Console(file=sys.stdout)
    console.print(table)
    n = len(m["cases"])
    for d in m["devices"]:
        k = sum(1 for c in m["cases"] if c["supported"][d] is True)
        console.print(f"{d}: {k}/{n} cases supported")


def _unknown_op(names: list[str] | None) -> str | None:
    """The error message for the first name that is no ggml op, else None."""
    from ggsched.op import parse_op_name

    for name in names or ():
        try:
            parse_op_name(name)
        except KeyError as e:
            return e.args[0]
    return None


def run(args: argparse.Namespace) -> int:
    bad = _unknown_op(args.op)
    if bad:
        print(f"ggsched ops: error: {bad}", file=sys.stderr)
        return 2
    m = matrix(args.backend, args.op)
    if args.json:
        write_json(m, args.json)
        return 0
    if not m["devices"]:
        print("no backend is available; see `ggsched backends`", file=sys.stderr)
        return 1
    _render(m)
    return 0
