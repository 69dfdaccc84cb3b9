"""``ggsched run``: a GPT-2 graph through the scheduler on the backends you name; the plan it
made, the timings, and whether the output equals the golden."""

from __future__ import annotations

import argparse
import json
import sys
import time

HELP = "run a model graph through the scheduler on given backends and check it against the golden"
SCHEMA = "ggsched-run/1"


def _op_list(text: str) -> list[str]:
    """``--refuse``'s comma-separated op names, each checked against ggml's op names."""
    from ggsched.op import parse_op_name

    names = [op.strip() for op in text.split(",") if op.strip()]
    for name in names:
        try:
            parse_op_name(name)
        except KeyError as e:
            raise argparse.ArgumentTypeError(e.args[0]) from None
    return names


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", default="cpu", metavar="A,B,...",
                        help="devices in priority order (CPU is appended if missing)")
    parser.add_argument("--refuse", metavar="OP,OP", default=[], type=_op_list,
                        help="wrap the first backend so that it refuses these ops and keeps "
                             "its memory private (a stand-in for an accelerator)")
    parser.add_argument("--weights", choices=("first", "cpu", "split"), default="first",
                        help="where the weights live: the first backend, the CPU, or the first "
                             "half on the first backend and the rest on the CPU")
    parser.add_argument("--parallel", action="store_true", help="pipeline mode (n_copies=4)")
    parser.add_argument("--no-op-offload", action="store_true",
                        help="never move an op whose weight is in CPU memory to a "
                             "higher-priority backend (op_offload=False)")
    for name, default, what in (("n-embd", 256, "embedding width"),
                                ("n-head", 4, "attention heads"),
                                ("n-layer", 4, "transformer layers"),
                                ("n-tokens", 64, "tokens in the batch"),
                                ("n-vocab", 512, "vocabulary size")):
        parser.add_argument(f"--{name}", type=int, default=default, metavar="N",
                            help=f"model {what} (default {default})")
    parser.add_argument("--wtype", default="f32", help="type of the big matrices (f32, f16, ...)")
    parser.add_argument("--repeat", type=_positive, default=3, metavar="N",
                        help="timed evaluations (default 3)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the weights and inputs (default 0)")
    parser.add_argument("--nodes", action="store_true", help="list every node in the plan too")
    parser.add_argument("--json", metavar="FILE", help="write the plan and timings as JSON")


def run(args: argparse.Namespace) -> int:
    from ggsched.cli import missing_output_dir

    bad = missing_output_dir(args.json)
    if bad:
        print(f"ggsched run: error: {bad}", file=sys.stderr)
        return 2
    from ggsched.backends import run_model

    spec = run_model.RunSpec(
        backends=[b.strip() for b in args.backend.split(",") if b.strip()],
        refuse=args.refuse,
        weights=args.weights, parallel=args.parallel, op_offload=not args.no_op_offload,
        model=dict(n_embd=args.n_embd, n_head=args.n_head, n_layer=args.n_layer,
                   n_tokens=args.n_tokens, n_vocab=args.n_vocab, wtype=args.wtype),
        repeat=args.repeat, seed=args.seed,
    )
    report = run_model.run(spec, nodes=args.nodes)
    from rich.console import Console

    console = Console(file=sys.stdout)
    for table in run_model.tables(report):
        console.print(table)
    console.print(run_model.verdict(report), highlight=False)
    if args.json:
        report["schema"] = SCHEMA
        report["command"] = ["ggsched", "run", *sys.argv[2:]]
        report["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    return 0 if report["result"]["equal"] else 1
