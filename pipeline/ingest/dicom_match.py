"""Which sequence a DICOM series holds, from its ``SeriesDescription``.

The patterns are params' ``data.dicom.series``: one Python regular expression per
sequence, searched anywhere in the description and without regard to case, as vendors
spell the same protocol in many ways (``AX T1 MPRAGE POST GD``, ``t1_mprage_tra_CE``,
``AX T1 BRAVO +C``). The patterns must be exclusive: a series that matches two of them
excludes the patient rather than be given to one silently. Only the chosen sequences'
patterns are used (params' ``data.sequences``): a pattern for another one is unused, and a
chosen sequence without a pattern is never read from DICOM.

``python -m pipeline.ingest.dicom_match FOLDER`` lists the series under a folder, their
descriptions and the sequence each one matches with the patterns of ``params.yaml``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from pipeline.ingest.dicom_series import DicomSeries, scan_folder
from pipeline.ingest.exclusion import Exclusion
from pipeline.ingest.naming import SEQUENCES

PARAMS_KEY = "data.dicom.series"


def compile_patterns(patterns: dict[str, str], sequences: tuple[str, ...] = SEQUENCES
                     ) -> dict[str, re.Pattern]:
    """Each chosen sequence's pattern (those that have one), compiled case-insensitive.

    Raises:
        re.error: a pattern is not a regular expression (params validation names its key).
    """
    return {name: re.compile(patterns[name], re.IGNORECASE) for name in sequences
            if name in patterns}


def sequences_of(description: str, patterns: dict[str, re.Pattern]) -> list[str]:
    """The sequences whose pattern ``description`` matches (more than one is an error)."""
    return [name for name, pattern in patterns.items() if pattern.search(description)]


def match_series(series: list[DicomSeries], patterns: dict[str, re.Pattern]
                 ) -> tuple[dict[str, list[DicomSeries]], list[DicomSeries]]:
    """Each sequence's candidate series, and the series that match none.

    Raises:
        Exclusion: ``invalid:<seq>`` for a series whose description matches two patterns.
    """
    matched: dict[str, list[DicomSeries]] = {}
    unmatched = []
    for item in series:
        names = sequences_of(item.description, patterns)
        if len(names) > 1:
            raise Exclusion(f"invalid:{names[0]}", f"{item} matches the patterns of "
                            f"{' and '.join(names)} ({PARAMS_KEY}); make them exclusive")
        if names:
            matched.setdefault(names[0], []).append(item)
        else:
            unmatched.append(item)
    return matched, unmatched


def describe_folder(folder: Path, patterns: dict[str, str],
                    sequences: tuple[str, ...] = SEQUENCES) -> list[str]:
    """One line per series under ``folder``: where, how many files, description, sequence."""
    compiled = compile_patterns(patterns, sequences)
    scan = scan_folder(folder)
    lines = []
    for item in scan.series:
        names = sequences_of(item.description, compiled)
        count = len(item.files)
        lines.append(f"{item.folder}\t{count} file{'s' if count != 1 else ''}\t"
                     f"{item.description!r}\t-> {' and '.join(names) if names else 'no sequence'}")
    if scan.not_dicom:
        lines.append(f"{len(scan.not_dicom)} other files (not DICOM), e.g. {scan.not_dicom[0]}")
    lines += [f"{path}: cannot read its DICOM header: {error}" for path, error in scan.broken.items()]
    return lines or [f"no DICOM files under {folder}"]


def main(argv: list[str] | None = None) -> None:
    """Prints the series under FOLDER and the sequence each matches in params.yaml."""
    from pipeline.config.params import (
        load_params,  # the command line's only use of params
    )

    parser = argparse.ArgumentParser(prog="python -m pipeline.ingest.dicom_match",
                                     description=main.__doc__)
    parser.add_argument("folder", type=Path, help="a patient folder, or any folder of DICOM files")
    args = parser.parse_args(argv)
    data = load_params()["data"]
    print("\n".join(describe_folder(args.folder, data["dicom"]["series"],
                                    tuple(data["sequences"]))))


if __name__ == "__main__":
    main()
