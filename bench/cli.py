"""``ggsched bench``: the same work timed on every device side by side, real ggml as yardstick."""

from __future__ import annotations

import argparse
import os
import sys

from ggsched.cli import missing_output_dir

HELP = "time ops and model graphs on every backend side by side (real ggml CPU as a column)"

SECTIONS = ("ops", "models", "sched", "alloc")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", action="append", default=[], metavar="NAME",
                   help="a backend or device to time (repeatable); 'ggml-cpu' is real ggml's "
                        "CPU backend. Default: every available backend, then ggml-cpu")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", dest="size", const="quick",
                      help="small shapes and short budgets: the whole run in under a minute")
    size.add_argument("--full", action="store_const", dest="size", const="full",
                      help="ggml's perf shapes (m=k=4096, prefill n=512) and longer budgets")
    p.set_defaults(size="default")
    p.add_argument("--ops", metavar="PATTERN", help="only per-op cases whose id contains this")
    p.add_argument("--sections", default=",".join(SECTIONS), metavar="LIST",
                   help=f"comma-separated sections to run (default: {','.join(SECTIONS)})")
    p.add_argument("--budget", type=float, metavar="SECONDS",
                   help="sampling time per case, all backends together (overrides the size's)")
    p.add_argument("--no-blas", action="store_true",
                   help="leave out the numpy-BLAS column of the f32 MUL_MAT cases")
    p.add_argument("--threads", type=int, metavar="N",
                   help="threads of numpy's BLAS, of real ggml's CPU backend and of PoCL "
                        "(default: one per CPU); 1 keeps timings honest on a machine busy with "
                        "other work")
    p.add_argument("--json", metavar="FILE", help="write the report as JSON (schema: README)")
    p.add_argument("--plot", metavar="FILE.png", help="write a figure (matplotlib)")


def _no_op_case(pattern: str | None, size: str) -> str | None:
    from .cases import perf_cases, select

    if pattern and not select(perf_cases(size), pattern):
        return f"no per-op case id contains {pattern!r} (size {size})"
    return None


def run(args: argparse.Namespace) -> int:
    bad = missing_output_dir(args.json, args.plot) or _no_op_case(args.ops, args.size)
    if bad:
        print(f"ggsched bench: error: {bad}", file=sys.stderr)
        return 2
    if args.threads is not None:
        # NOTE: PoCL reads this once, when the OpenCL platform is first opened, which is later
        os.environ["POCL_MAX_PTHREAD_COUNT"] = str(args.threads)
    from .machine import blas_threads
    from .session import Session, parse_sections

    session = Session.from_args(args.backend, args.size, parse_sections(args.sections),
                                budget_s=args.budget, ops_pattern=args.ops,
                                blas=not args.no_blas, threads=args.threads)
    with blas_threads(args.threads):
        session.run()
    session.print_report()
    if args.json:
        session.write_json(args.json)
    if args.plot and not session.write_plot(args.plot):
        print(f"no figure written to {args.plot}: the sections run have nothing to plot "
              "(ops, models or sched)", file=sys.stderr)
    return 0
