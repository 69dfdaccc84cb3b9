"""``ggsched backends``: every registered backend, its devices and whether it can be used."""

from __future__ import annotations

import argparse
import sys

from ggsched.cli import add_json_option, write_json

HELP = "list the registered backends and devices (memory, type, availability)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json_option(parser, "the listing")


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MiB"


def _device_record(d) -> dict:
    free, total = d.memory()
    caps = d.caps
    return {
        "name": d.name,
        "description": d.description,
        "type": d.type.value,
        "memory_free": int(free),
        "memory_total": int(total),
        "buffer_type": d.buffer_type.name,
        "caps": {"async": caps.async_, "host_buffer": caps.host_buffer,
                 "buffer_from_host_ptr": caps.buffer_from_host_ptr, "events": caps.events},
    }


def listing() -> list[dict]:
    """One record per backend family: name, source, available, reason, devices."""
    from ggsched.backends import registry

    return [
        {"name": e.name, "source": e.source, "available": e.available, "reason": e.error,
         "devices": [_device_record(d) for d in e.devices]}
        for e in registry.entries()
    ]


def _table(records: list[dict]):
    from rich.table import Table

    table = Table(title="ggsched backends")
    for col in ("Backend", "Device", "Description", "Type", "Memory (free / total)", "Status"):
        table.add_column(col, overflow="fold")
    for r in records:
        if not r["available"]:
            table.add_row(r["name"], "-", "-", "-", "-", "[red]unavailable[/]")
        for d in r["devices"]:
            memory = f"{_mib(d['memory_free'])} / {_mib(d['memory_total'])}"
            table.add_row(r["name"], d["name"], d["description"], d["type"], memory,
                          "[green]available[/]")
    return table


def run(args: argparse.Namespace) -> int:
    records = listing()
    if args.json:
        write_json({"backends": records}, args.json)
        return 0
    from rich.console import Console

    console = Console(file=sys.stdout)
    console.print(_table(records))
    for r in records:
        if not r["available"]:
            console.print(f"[red]{r['name']}[/] is unavailable: {r['reason']}", highlight=False)
    return 0
