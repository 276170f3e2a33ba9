"""CLI: python -m devtools.sample_data [--scale N] [--seed S] [--out DIR] [--truth FILE]"""

from __future__ import annotations

import argparse
import sys
import time

from . import generate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m devtools.sample_data", description=__doc__)
    ap.add_argument("--scale", type=int, default=1, help="multiplies enterprises, clusters, survey and spending rows (default 1)")
    ap.add_argument("--seed", type=int, default=2564, help="random seed (default 2564)")
    ap.add_argument("--out", default="data/raw", help="raw-data folder; its four source folders are deleted and rewritten (default data/raw)")
    ap.add_argument("--truth", default="tests/fixtures/sample_truth.json", help="where to write the truth file (default tests/fixtures/sample_truth.json)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.scale < 1:
        ap.error("--scale must be >= 1")
    t0 = time.perf_counter()
    summary = generate(scale=args.scale, seed=args.seed, out=args.out, truth=args.truth, verbose=not args.quiet)
    if not args.quiet:
        print(f"wrote {summary['files']} files, {summary['bytes'] / 1e6:.1f} MB, in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
