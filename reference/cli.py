"""The ``ggsched`` command.

Each subcommand is a module named in the entry-point group ``ggsched.commands`` (so the engine
never imports the layers above it). Such a module defines ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``, and keeps its top-level imports light: heavy
work is imported inside ``run``. ``add_json_option`` and ``write_json`` give subcommands the
same ``--json [FILE]`` option; ``missing_output_dir`` checks report paths before a long run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from importlib.metadata import entry_points

from . import __version__
from .errors import GGSchedError


def _commands() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group="ggsched.commands")}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ggsched",
        description="A Python reference of ggml's multi-backend scheduler, with a backend "
        "conformance suite and a cross-device benchmark.",
    )
    parser.add_argument("--version", action="version", version=f"ggsched {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, target in sorted(_commands().items()):
        try:
            module = importlib.import_module(target)
        except ImportError as e:  # a broken or partial install: say so when it is used
            p = sub.add_parser(name, help=f"(unavailable: {e})")
            p.set_defaults(_run=_unavailable(name, e))
            continue
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def add_json_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--json [FILE]`` for a subcommand that can write ``what`` as JSON (stdout without FILE)."""
    parser.add_argument(
        "--json", nargs="?", const="-", metavar="FILE",
        help=f"write {what} as JSON to FILE (stdout when FILE is omitted)",
    )


def write_json(data, dest: str) -> None:
    """``data`` as indented JSON to the file ``dest``, or to stdout when ``dest`` is "-"."""
    text = json.dumps(data, indent=2)
    if dest == "-":
        print(text)
        return
    with open(dest, "w") as f:
        f.write(text + "\n")


def missing_output_dir(*paths: str | None) -> str | None:
    """An error message when a report file named on the command line could not be written (its
    folder does not exist), so that a long run fails at once rather than at its end."""
    from pathlib import Path

    for p in paths:
        if p and p != "-" and not Path(p).resolve().parent.is_dir():
            return f"cannot write {p}: no folder {Path(p).parent}"
    return None


def _unavailable(name: str, error: ImportError):
    def run(args) -> int:
        print(f"ggsched {name}: unavailable: {error}", file=sys.stderr)
        return 2

    return run


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return actions[0].choices[name]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if not args.command:
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        parser.print_help()
        return 0
    if extra:  # NOTE: argparse would blame the top-level parser; name the subcommand's usage
        _subparser(parser, args.command).error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return int(args._run(args) or 0)
    except GGSchedError as e:
        print(f"ggsched {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        if e.filename is None:  # not a file the user named: a real failure, keep the trace
            raise
        print(f"ggsched {args.command}: error: {e.strerror}: {e.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ggsched {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
