"""Print, per op, how the golden compares with real ggml: cases, worst NMSE, exactness.

    python ci/ggml_nmse_report.py            # one line per op (markdown table)
    python ci/ggml_nmse_report.py --cases    # one line per case
    python ci/ggml_nmse_report.py -k MUL_MAT # only cases whose name contains MUL_MAT

Columns: ``exact`` = cases whose bytes must equal ggml's (equal/total); ``worst NMSE`` = the
largest Σ(golden − ggml)²/Σ golden² over the op's cases (the unrounded golden, so for MUL_MAT
with f16/q8_0/q4_0 src0 and for GELU it includes ggml's own rounding); ``emulated`` = the
largest NMSE once the golden rounds as ggml does (approximate cases only); ``bound`` = whether
the raw differences stayed inside the element-wise bound of that rounding. Exit status 1 if any
case fails (known ggml bugs excepted: they are listed and must still differ).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict


def _fmt(x: float | None) -> str:
    return "—" if x is None else ("0" if x == 0 else f"{x:.2e}")


def _op_rows(results) -> list[str]:
    by_op = defaultdict(list)
    for r in results:
        by_op[r.case.op].append(r)
    lines = [
        "| op | cases | exact | worst NMSE | emulated | bound | failures |",
        "|---|---:|---:|---:|---:|:---:|---:|",
    ]
    for op in sorted(by_op):
        rs = [r for r in by_op[op] if not r.case.ggml_bug]
        ex = [r for r in rs if r.exact_ok is not None]
        emu = [r.emulated_nmse for r in rs if r.emulated_nmse is not None]
        bound = [r.bound_ok for r in rs if r.bound_ok is not None]
        exact = f"{sum(r.exact_ok for r in ex)}/{len(ex)}" if ex else "—"
        bound_ok = ("ok" if all(bound) else "EXCEEDED") if bound else "—"
        worst = _fmt(max((r.nmse for r in rs), default=None))
        lines.append(
            f"| {op} | {len(by_op[op])} | {exact} | {worst} | {_fmt(max(emu, default=None))} | "
            f"{bound_ok} | {sum(not r.ok for r in rs)} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", action="store_true", help="one line per case")
    p.add_argument("-k", default="", help="only cases whose name contains this")
    p.add_argument("--seed", type=int, default=0, help="seed of the cases' data (default 0)")
    args = p.parse_args(argv)
    try:
        from ggsched.backends.ggml import crosscheck, crosscheck_cases, load

        load()
    except Exception as e:  # noqa: BLE001 - any reason real ggml is missing
        print(f"real ggml unavailable: {e}", file=sys.stderr)
        return 2
    cases = [c for c in crosscheck_cases.all_cases() if args.k in c.name]
    results = [crosscheck.run_case(c, args.seed) for c in cases]
    lines = [r.describe() for r in results] if args.cases else _op_rows(results)
    print("\n".join(lines))
    bugs = [r for r in results if r.case.ggml_bug]
    for r in bugs:
        print(f"\nknown ggml bug, {'still differs' if not r.ok else 'NOW AGREES'}: {r.describe()}"
              f"\n  {r.case.ggml_bug}")  # fmt: skip
    failed = [r for r in results if not r.case.ggml_bug and not r.ok] + [r for r in bugs if r.ok]
    print(f"\n{len(results)} cases, {len({c.op for c in cases})} ops, {len(failed)} failed")
    for r in failed:
        print(f"FAILED {r.describe()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
