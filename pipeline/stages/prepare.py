"""Stage ``prepare``: validate the cohort, write the manifest, cache preprocessed patients."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline import formats
from pipeline.config.params import load_params
from pipeline.config.settings import label_scheme, positive_classes, preprocess_settings
from pipeline.formats import paths
from pipeline.ingest.bids import BidsDatasetError
from pipeline.ingest.dicom import DicomOptions
from pipeline.ingest.dicom_convert import remove_leftovers
from pipeline.ingest.field_of_view import CropTooLarge, check_crop_fits
from pipeline.ingest.labels import LabelsFileError
from pipeline.ingest.layouts import labels_file
from pipeline.preprocessing.cohort import prepare_cohort, summary_lines


def main(argv: list[str] | None = None) -> None:
    """Runs the stage with params.yaml; ``--data`` points at another cohort folder."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=paths.DATA)
    args = parser.parse_args(argv)
    params = load_params()
    settings = preprocess_settings(params)
    labels = labels_file(args.data)
    if not labels.is_file():
        raise SystemExit(f"no {labels}: run `python -m pipeline.synth "
                         f"{args.data}` for the built-in cohort, or see docs/your-data.md (your own cohort)")
    data = params["data"]
    dicom = DicomOptions(data["dicom"]["series"], paths.DICOM_CACHE)
    remove_leftovers(paths.DICOM_CACHE)
    try:
        check_crop_fits(args.data, params["prepare"]["crop_mm"], dicom, settings.sequences)
        rows, applied = prepare_cohort(args.data, paths.PREPROCESSED, settings,
                                       positive_classes(params), data["seg_label"],
                                       data["bids"]["session"], dicom,
                                       scheme=label_scheme(params))
    except CropTooLarge as error:
        raise SystemExit(f"params.yaml is not valid: prepare.crop_mm: {error}") from None
    except (LabelsFileError, BidsDatasetError) as error:  # BidsSequenceError names data.sequences
        raise SystemExit(str(error)) from None
    formats.write_applied(paths.APPLIED, {
        "params": {key: params["prepare"][key] for key in ("crop_mm", "crop_voxels", "percentiles")},
        "spacing_mm": settings.spacing_mm,
        "reference": settings.reference, "sequences": list(settings.sequences),
        "transforms": next(iter(applied.values()))["transforms"] if applied else [],
        "patients": applied})
    formats.write_manifest(paths.MANIFEST, rows)
    print("\n".join(summary_lines(rows)), flush=True)
    included = sum(row["included"] for row in rows)
    if included < params["data"]["min_patients"]:
        sys.exit(f"only {included} usable patients (data.min_patients = "
                 f"{params['data']['min_patients']}): too few to train; see {paths.MANIFEST}")


if __name__ == "__main__":
    main()
