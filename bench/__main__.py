"""``python -m bench [--only NAME ...] [--quick]``: every bench script in turn, each in a
fresh process (one script's memory and threads never reach the next), each replacing its
own section of ``bench/RESULTS.md``. Other options go to every script (``--cohort``,
``--params``, ``--output``)."""

import argparse
import subprocess
import sys
import time

from bench.common import SCRIPTS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=SCRIPTS, metavar="NAME",
                        help=f"run only these: {', '.join(SCRIPTS)}")
    args, passed = parser.parse_known_args(argv)
    failed = []
    for name in args.only or SCRIPTS:
        started = time.perf_counter()
        print(f"bench: {name} ...", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{name}", *passed]).returncode != 0:
            failed.append(name)  # one broken measurement must not lose the others
        print(f"bench: {name} done in {time.perf_counter() - started:.0f} s", flush=True)
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
