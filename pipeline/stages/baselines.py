"""Stage ``baselines``: what a model must beat, through exactly the DenseNet's folds.

``prior`` predicts each fold's training prevalence. Under leave-one-out that prevalence
moves against the held-out patient's class, so its AUC falls far below 0.5: the
distributional bias that makes a prior-leaning model look worse than chance.
``radiomics`` fits a logistic regression on a few PyRadiomics features of the brainstem,
selected inside each fold, and is checked with a label-permutation test.
"""

from __future__ import annotations

import pandas as pd

from pipeline import formats
from pipeline.config.params import load_params
from pipeline.crossval.scheme import cv_folds
from pipeline.evaluation.metrics import (
    evaluate,
    mann_whitney_test,
    permutation_p_value,
    roc_points,
)
from pipeline.evaluation.predictions import with_predicted_class
from pipeline.evaluation.radiomics import feature_table
from pipeline.evaluation.reference_models import (
    MODELS,
    cross_validated_probabilities,
    permutation_aucs,
)
from pipeline.formats import paths


def main() -> None:
    """Runs the stage with params.yaml."""
    params = load_params()
    evaluation = params["evaluate"]
    patient_ids, targets = formats.cohort(paths.MANIFEST)
    folds = cv_folds(params, patient_ids, targets)
    features = feature_table(paths.PREPROCESSED, patient_ids)
    results, frames = {}, []
    for name in MODELS:
        predictions = with_predicted_class(cross_validated_probabilities(name, features, targets, folds),
                                           evaluation["threshold"])
        predictions["baseline"] = name
        frames.append(predictions)
        results[name] = {**evaluate(predictions["target"], predictions["prob"], evaluation["threshold"],
                                    evaluation["bootstrap"], params["seed"]),
                         **mann_whitney_test(predictions["target"], predictions["prob"])}
    null = permutation_aucs("radiomics", features, targets,
                            lambda shuffled: cv_folds(params, patient_ids, shuffled),
                            evaluation["permutations"], params["seed"])
    radiomics = results["radiomics"]
    radiomics.update({
        "mann_whitney_p_value": radiomics["p_value"],
        "p_value": permutation_p_value(radiomics["auc"], null),
        "test": f"label permutation ({len(null)} shuffles of the whole cross-validation), AUC",
        "permutation_p_value": permutation_p_value(radiomics["auc"], null),
        "permutations": len(null)})
    formats.write_metrics(paths.BASELINE_METRICS, results)
    radiomics_predictions = frames[list(MODELS).index("radiomics")]
    formats.write_roc_points(paths.ROC_RADIOMICS,
                        roc_points(radiomics_predictions["target"], radiomics_predictions["prob"]))
    formats.write_predictions(paths.BASELINE_PREDICTIONS, pd.concat(frames))
    formats.write_permutations(paths.BASELINE_PERMUTATIONS, null)
    for name, values in results.items():
        print(f"baseline {name}: AUC {values['auc']}, balanced accuracy "
              f"{values['balanced_accuracy']}, p={values['p_value']} ({values['test']})")


if __name__ == "__main__":
    main()
