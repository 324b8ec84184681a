"""Stage ``train``: the study's single split, its hold-out and (optimistic) resubstitution metrics.

The hold-out patients are never trained on and never used to stop training; early
stopping (``train.stopping: early``) uses a validation set taken from the training side,
the fixed-epoch rule trains on the whole training side. Resubstitution scores all
patients, training ones included, as the study's confusion matrix did: it is reported
only to show how optimistic that number is.
"""

from __future__ import annotations

import pandas as pd

from pipeline import formats
from pipeline.config.params import load_params
from pipeline.config.settings import input_settings, train_settings
from pipeline.crossval.splits import holdout_fold
from pipeline.evaluation.metrics import evaluate, roc_points
from pipeline.evaluation.predictions import predictions_frame
from pipeline.formats import paths
from pipeline.presentation.formatting import describe_single_class, report_line
from pipeline.training.fit import fit, load_examples, predict
from pipeline.training.network import save_network


def split_predictions(fold, patient_ids, targets, probabilities, threshold) -> pd.DataFrame:
    """Per-patient predictions with ``fold`` naming the split (train / validation / holdout)."""
    split_of = {**{i: "train" for i in fold.train_ids},
                **{i: "validation" for i in fold.validation_ids},
                **{i: "holdout" for i in fold.test_ids}}
    return predictions_frame(patient_ids, probabilities, [split_of[i] for i in patient_ids], targets,
                             threshold, rounded=True)


def evaluation_metrics(predictions: pd.DataFrame, evaluate_params: dict, seed: int) -> dict:
    """Hold-out and resubstitution metrics objects from the split's predictions."""
    holdout = predictions[predictions["fold"] == "holdout"]
    kwargs = {"threshold": evaluate_params["threshold"], "bootstrap": evaluate_params["bootstrap"],
              "seed": seed}
    return {
        "holdout": {**evaluate(holdout["target"], holdout["prob"], **kwargs),
                    "evaluation": "holdout",
                    "note": "patients never trained on nor used for early stopping"},
        "resubstitution": {**evaluate(predictions["target"], predictions["prob"], **kwargs),
                           "evaluation": "resubstitution", "optimistic": True,
                           "note": "OPTIMISTIC: includes the patients the model was trained on"},
    }


def main() -> None:
    """Runs the stage with params.yaml."""
    params = load_params()
    patient_ids, targets = formats.cohort(paths.MANIFEST)
    fold = holdout_fold(patient_ids, [targets[i] for i in patient_ids], params["train"]["holdout_size"],
                        params["train"]["validation_size"], params["seed"])
    inputs = input_settings(params)
    examples = {e.patient_id: e for e in load_examples(paths.PREPROCESSED, patient_ids, targets, **inputs)}
    settings = train_settings(params, params["train"]["patience"])
    fold = fold.for_stopping(settings.early_stopping)
    if settings.early_stopping:
        print(f"single split: {len(fold.train_ids)} train, {len(fold.validation_ids)} validation "
              f"(early stopping), {len(fold.test_ids)} held out", flush=True)
    else:
        print(f"single split: {len(fold.fitting_ids)} train ({settings.max_epochs} epochs), "
              f"{len(fold.test_ids)} held out", flush=True)
    result = fit([examples[i] for i in fold.train_ids], [examples[i] for i in fold.validation_ids],
                 settings, paths.TRAIN_LIVE)
    save_network(paths.TRAIN_MODEL, result.network, examples[patient_ids[0]].image.shape[0],
                 {**inputs, "best_epoch": result.best_epoch, "best_val_loss": result.best_val_loss},
                 settings.network)
    probabilities = predict(result.network, [examples[i] for i in patient_ids])
    predictions = split_predictions(fold, patient_ids, targets, probabilities,
                                    params["evaluate"]["threshold"])
    formats.write_predictions(paths.TRAIN_PREDICTIONS, predictions)
    metrics = evaluation_metrics(predictions, params["evaluate"], params["seed"])
    for values in metrics.values():
        values["network"] = settings.network
    formats.write_metrics(paths.HOLDOUT_METRICS, metrics["holdout"])
    formats.write_metrics(paths.RESUBSTITUTION_METRICS, metrics["resubstitution"])
    holdout = predictions[predictions["fold"] == "holdout"]
    formats.write_roc_points(paths.ROC_HOLDOUT, roc_points(holdout["target"], holdout["prob"]))
    if result.best_val_loss is None:
        print(f"{settings.network}: trained {result.best_epoch + 1} epochs ({result.seconds:.0f} s)")
    else:
        print(f"{settings.network}: best epoch {result.best_epoch}: validation loss "
              f"{result.best_val_loss:.4f} ({result.seconds:.0f} s)")
    print(report_line("hold-out", metrics["holdout"]))
    print(report_line("resubstitution (OPTIMISTIC: includes training patients)",
                      metrics["resubstitution"]))
    for name, values in metrics.items():
        warning = describe_single_class(name, values)
        if warning:
            print(warning)


if __name__ == "__main__":
    main()
