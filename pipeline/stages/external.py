"""Stage ``external``: the final model scored on the external cohort in ``data_external/``.

The external cohort is optional: ``data_external/`` holds only its README until one is put
there. With no patients, or patients without labels to score against, there is
no external validation; the stage then writes ``{"done": false, "reason": ...}`` and empty
tables, so the pipeline runs on. The patients go through ``pipeline.final.scoring``, the
same path as ``python -m pipeline.predict``, so both give the same probabilities.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import formats
from pipeline.config.params import load_params
from pipeline.evaluation.metrics import evaluate, mann_whitney_test
from pipeline.evaluation.predictions import predictions_frame
from pipeline.formats import paths
from pipeline.ingest.labels import LabelsFileError
from pipeline.ingest.layouts import labels_file


def missing_cohort(root: Path) -> str | None:
    """Why ``root`` holds nothing to validate against, or None when it has a labelled cohort
    (``labels.csv``, or a BIDS dataset's ``participants.tsv``)."""
    folders = [path for path in root.iterdir() if path.is_dir() and not path.name.startswith(".")]
    labels = labels_file(root)
    if not folders and not labels.is_file():
        return f"{root}/ holds no patients"
    if not labels.is_file():
        return (f"{root}/ has {len(folders)} patient folders but no {labels.name} to score "
                "them against (python -m pipeline.predict scores patients without labels)")
    return None


def not_done(reason: str, rows: list[dict] | None = None) -> None:
    """No external validation: the reason, and the (possibly empty) tables."""
    formats.write_manifest(paths.EXTERNAL_MANIFEST, rows or [])
    formats.write_predictions(paths.EXTERNAL_PREDICTIONS,
                              predictions_frame([], [], None, {}, threshold=0.5, rounded=True))
    formats.write_metrics(paths.EXTERNAL_METRICS, {"done": False, "reason": reason})
    print(f"no external validation: {reason}")


def main() -> None:
    """Runs the stage with params.yaml."""
    params = load_params()
    reason = missing_cohort(paths.DATA_EXTERNAL)
    if reason is None:
        validate(params)
    else:
        not_done(reason)


def validate(params: dict) -> None:
    """Scores the external cohort and evaluates the final model on it."""
    # Imported here, not above: torch, Lightning and TorchIO take seconds to load, which a
    # run without an external cohort (the default) need not wait for.
    from pipeline.final.scoring import score_cohort
    from pipeline.preprocessing.cohort import summary_lines

    try:
        scored = score_cohort(paths.DATA_EXTERNAL, paths.FINAL_MODEL, labelled=True)
    except LabelsFileError as error:
        raise SystemExit(str(error)) from None
    print("\n".join(summary_lines(scored.rows)), flush=True)
    targets = {row["patient_id"]: row["target"] for row in scored.rows if row["included"]}
    if not targets:
        not_done(f"no usable patient in {paths.DATA_EXTERNAL}/ (see {paths.EXTERNAL_MANIFEST})",
                 scored.rows)
        return
    formats.write_manifest(paths.EXTERNAL_MANIFEST, scored.rows)
    ids = list(targets)
    predictions = predictions_frame(ids, [scored.probabilities[i] for i in ids], None, targets,
                                    scored.threshold, rounded=True)
    formats.write_predictions(paths.EXTERNAL_PREDICTIONS, predictions)
    metrics = {"done": True,
               **evaluate(predictions["target"], predictions["prob"], scored.threshold,
                          params["evaluate"]["bootstrap"], params["seed"]),
               **mann_whitney_test(predictions["target"], predictions["prob"]),
               "evaluation": "external", "network": scored.network}
    formats.write_metrics(paths.EXTERNAL_METRICS, metrics)
    print(f"external validation (n={metrics['n']}): AUC {metrics['auc']}, "
          f"balanced accuracy {metrics['balanced_accuracy']}, p={metrics['p_value']}")


if __name__ == "__main__":
    main()
