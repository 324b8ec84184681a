"""Stage ``final``: the network trained on every included patient, saved to score new ones.

It trains with the recipe the LOOCV evaluated, for the median of the epochs its folds
trained (``pipeline.final.recipe`` says why), and saves the weights with the settings,
preprocessing, task and training-data digests that ``python -m pipeline.predict`` and the
``external`` stage need (``pipeline.final.record``).
"""

from __future__ import annotations

from pipeline import formats
from pipeline.config.params import load_params
from pipeline.config.settings import input_settings, label_scheme, train_settings
from pipeline.final.recipe import final_settings
from pipeline.final.record import data_digest, model_record
from pipeline.formats import paths
from pipeline.training.fit import fit, load_examples
from pipeline.training.network import save_network


def main() -> None:
    """Runs the stage with params.yaml."""
    params = load_params()
    patient_ids, targets = formats.cohort(paths.MANIFEST)
    inputs = input_settings(params)
    examples = load_examples(paths.PREPROCESSED, patient_ids, targets, **inputs)
    settings = final_settings(train_settings(params, patience=1),  # no patience: fixed epochs
                              formats.read_fold_index(paths.LOOCV_INDEX), params["loocv"]["lr_grid"])
    print(f"final model: {settings.network} on all {len(patient_ids)} included patients, "
          f"{settings.max_epochs} epochs, lr {settings.lr:g}", flush=True)
    result = fit(examples, [], settings, paths.FINAL_LIVE)
    record = model_record(settings, inputs, formats.read_applied(paths.APPLIED),
                          params["data"]["seg_label"], params["data"]["positive_class"],
                          params["evaluate"]["threshold"], params["recipe"],
                          data_digest(paths.MANIFEST, paths.PREPROCESSED, patient_ids, targets),
                          {"dicom_series": dict(params["data"]["dicom"]["series"]),
                           "bids_session": params["data"]["bids"]["session"]},
                          label_scheme(params))
    save_network(paths.FINAL_MODEL, result.network, examples[0].image.shape[0], record,
                 settings.network)
    print(f"final model: trained in {result.seconds:.0f} s, saved to {paths.FINAL_MODEL}")


if __name__ == "__main__":
    main()
