"""Run the benchmarks: ``python -m benchmarks [--json]``."""

from __future__ import annotations

import argparse
import json
import sys

from benchmarks import auction, foundation, solvers


def main() -> None:
    """Parse the arguments, run the benchmarks, print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    args = parser.parse_args()
    figures = {**foundation.run(), **auction.run(), **solvers.run()}
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        foundation.print_table(figures)
    sys.exit(0)


if __name__ == "__main__":
    main()
