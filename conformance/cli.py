"""``ggsched conformance``: run the conformance suite on one or more backends.

Exit status 0 only if nothing failed (and, with ``--self-test``, only if every deliberately
broken backend was caught).
"""

from __future__ import annotations

import argparse
import sys

HELP = "validate backends against the golden: ops, supports_op, buffers, copies, scheduling"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--backend", action="append", default=[], metavar="NAME",
        help="backend to validate (repeatable; default: every available built-in backend)")
    add("--quick", action="store_true", help="the representative quick subset")
    add("--seed", type=int, default=0, help="seed of every case's data (default 0)")
    add("--ops", action="append", default=[], metavar="PATTERN",
        help="only cases whose id, op name, family or id glob (*, ?) matches (repeatable)")
    add("--xfails", action="append", default=[], metavar="FILE",
        help="expected-failure manifest, TOML (repeatable)")
    add("--probe", action="store_true",
        help="also run the cases supports_op refuses, and list those that work")
    add("--json", metavar="FILE", help="write the report as JSON (schema in the README)")
    add("--junitxml", metavar="FILE", help="write a JUnit XML report")
    add("-n", "--workers", metavar="N", help="run on N processes (pytest-xdist; 'auto' ok)")
    add("--self-test", action="store_true",
        help="run the suite on deliberately broken backends and show what caught each fault")
    add("--list", action="store_true", help="list the selected case ids and exit")


def _list(args) -> int:
    from .suite import Options, Suite, families

    suite = Suite(Options(tuple(args.backend), args.seed, args.quick, tuple(args.ops)))
    n = 0
    for family in families():
        for case in suite.cases(family):
            print(case.id)
            n += 1
    if n == 0:
        print("no case matches the selection")
        return 4  # as a run that selects nothing
    print(f"{n} case(s) per backend")
    return 0


def run(args) -> int:
    from ggsched.cli import missing_output_dir

    bad = missing_output_dir(args.json, args.junitxml)
    if bad:
        print(f"ggsched conformance: error: {bad}", file=sys.stderr)
        return 2
    try:
        import hypothesis  # noqa: F401
        import pytest  # noqa: F401
    except ImportError as e:
        print(f"ggsched conformance needs pytest and hypothesis ({e}): "
              "pip install 'ggsched[test]'")
        return 2
    if args.list:
        return _list(args)
    if args.self_test:
        from .selftest import main as self_test

        return self_test(args)
    from .command import main

    return main(args)
