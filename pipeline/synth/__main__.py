"""Command line: ``python -m pipeline.synth DIR [--effect X] [--seed N] [--layout folders|bids|dicom]``."""

from __future__ import annotations

import argparse
import os
import time

from pipeline.synth.cohort import COMPLETE, LAYOUTS, MISSING, Composition, write_cohort


def main(argv: list[str] | None = None) -> None:
    """Writes the built-in cohort to DIR; exits with status 2 if DIR exists and is not empty."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.synth", description=__doc__)
    parser.add_argument("directory", metavar="DIR", help="folder to create (absent or empty)")
    parser.add_argument("--effect", type=float, default=1.0,
                        help="strength of extensive infiltration in T2/FLAIR (0: no signal; default 1)")
    parser.add_argument("--seed", type=int, default=0, help="cohort seed (default 0)")
    parser.add_argument("--spacing", type=float, default=2.0, help="base voxel size in mm (default 2)")
    parser.add_argument("--layout", choices=LAYOUTS, default="folders",
                        help="folders: labels.csv and a folder per patient (default); bids: a BIDS "
                             "dataset of the same images, ids without their '-' (GBM-001 is sub-GBM001); "
                             "dicom: the folders with every sequence a DICOM series (S1, S2...) and seg NIfTI")
    args = parser.parse_args(argv)
    if args.effect < 0:
        parser.error("--effect must be 0 or more")
    if args.spacing <= 0:
        parser.error("--spacing must be positive")
    start = time.perf_counter()
    try:
        specs = write_cohort(args.directory, effect=args.effect, seed=args.seed,
                             composition=Composition(), spacing_mm=args.spacing,
                             workers=min(2, os.cpu_count() or 1), layout=args.layout)
    except FileExistsError as error:
        parser.error(str(error))
    complete = sum(spec.role == COMPLETE for spec in specs)
    missing = sum(spec.role.startswith(MISSING) for spec in specs)
    print(f"wrote {len(specs)} patients to {args.directory} ({complete} complete, {missing} missing one "
          f"sequence, {len(specs) - complete - missing} without usable data) "
          f"in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
