"""Scores new patients with the final model: ``python -m pipeline.predict DIR [--out FILE]``.

``DIR`` is a cohort folder in a layout ``data/`` accepts; labels are not needed. Every
patient folder is scored, and a ``labels.csv`` there is not read. Each patient goes through
the checks and preprocessing of the ``prepare`` stage with the settings saved in the model
file (not the current ``params.yaml``). The result, one row per patient
(``patient_id, prob, pred, included, reason``), goes to ``FILE`` (default
``predictions.csv`` in the working directory); an unusable patient gets the manifest's
reason code instead of a probability. Nothing is written under ``DIR``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline import formats
from pipeline.final.scoring import NotAFinalModel, score_cohort, scores_frame
from pipeline.formats import paths
from pipeline.preprocessing.cohort import summary_lines


def main(argv: list[str] | None = None) -> None:
    """Scores DIR; exits with a message (status 2) on a bad DIR, FILE or model file."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.predict", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", metavar="DIR", type=Path, help="the cohort folder to score")
    parser.add_argument("--out", metavar="FILE", type=Path, default=paths.SCORES,
                        help=f"the CSV to write (default {paths.SCORES})")
    parser.add_argument("--model", type=Path, default=paths.FINAL_MODEL,
                        help=f"the final model (default {paths.FINAL_MODEL})")
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        parser.error(f"{args.directory} is not a folder")
    if args.out.resolve().is_relative_to(args.directory.resolve()):
        parser.error(f"--out {args.out} lies inside {args.directory}, which is never written; "
                     "choose a FILE elsewhere")
    try:
        scored = score_cohort(args.directory, args.model, labelled=False)
    except NotAFinalModel as error:
        parser.error(str(error))
    scores = scores_frame(scored)
    formats.write_scores(args.out, scores)
    print("\n".join(summary_lines(scored.rows)))
    print(f"wrote {len(scores)} rows to {args.out}")


if __name__ == "__main__":
    main()
