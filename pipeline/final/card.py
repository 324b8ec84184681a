"""The final model's card: what it was trained on, how well the recipe did, what it is not for.

Every figure comes from the model file's saved settings and the metrics files, so the card
cannot disagree with them.
"""

from __future__ import annotations

from pipeline.presentation.formatting import (
    describe_positive,
    format_interval,
    format_p_value,
)

NOT_FOR = [
    ("- It is **not a medical device**: it must not inform the diagnosis or treatment of any "
     "patient."),
    ("- It holds only for the sequences, preprocessing and population it was trained on: other "
     "scanners, protocols, masks or patient groups are outside what it has seen, and its "
     "figures say nothing about them."),
    ("- With the kit's defaults (`make run` with no `data/` of your own) `data/` is the built-in "
     "**generated** cohort: the model has then learnt a planted effect in synthetic phantoms and "
     "says nothing about real patients."),
]
ROWS = [("AUC", "auc"), ("balanced accuracy", "balanced_accuracy"),
        ("sensitivity", "sensitivity"), ("specificity", "specificity")]


def _figures_table(columns: dict[str, dict]) -> list[str]:
    """A markdown table: one row per figure, one column per evaluation."""
    lines = ["| | " + " | ".join(columns) + " |", "| --- |" + " --- |" * len(columns)]
    rows = [("patients", lambda m: str(m["n"]))]
    rows += [(label, lambda m, key=key: format_interval(m[key], m["ci95"].get(key)))
             for label, key in ROWS]
    rows.append(("p vs chance (one-sided Mann-Whitney)", lambda m: format_p_value(m.get("p_value"))))
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(m) for m in columns.values()) + " |")
    return lines


def _positive(task: dict) -> str:
    return describe_positive(task["positive_class"], task.get("label_column", "infiltration"))


def _trained_on(settings: dict, network: str) -> list[str]:
    data, prep, training = settings["data"], settings["preprocessing"], settings["training"]
    positive = _positive(settings["task"])
    mask = "the brainstem mask as an input channel" if settings["mask_channel"] else "no mask channel"
    augment = ", ".join(f"{name} {p:g}" for name, p in training["augment"].items() if p) or "none"
    low, high = prep["percentiles"]
    mask_voxels = "" if prep["seg_label"] is None else f" equal to {prep['seg_label']}"
    return [
        (f"- **Patients:** every included patient of `data/`, {data['patients']} in all: "
         f"{data['positives']} positive ({positive}) and "
         f"{data['patients'] - data['positives']} negative. No patient was held out."),
        f"- **Input:** {', '.join(prep['sequences'])} and {mask}.",
        (f"- **Preprocessing** (TorchIO): reoriented to RAS+; every image resampled onto one "
         f"{prep['spacing_mm']:g} mm isotropic grid defined by {prep['reference']}; intensities "
         f"rescaled to [0, 1] between the {low:g}th and {high:g}th percentiles of each sequence; "
         f"a {prep['crop_mm']:g} mm cube ({prep['crop_voxels']} voxels a side) centred on the "
         f"brainstem, the non-zero voxels of `seg`{mask_voxels}."),
        (f"- **Training:** {network}, {training['max_epochs']} epoch(s) ({training['rule']}), "
         f"learning rate {training['lr']:g}, batch size {training['batch_size']}, "
         f"augmentation: {augment}; seed {training['seed']}, recipe `{training['recipe']}`."),
        (f"- **Data digest:** manifest SHA-256 `{data['manifest_sha256'][:16]}...`, and one "
         "digest per preprocessed patient, in the model file."),
    ]


def model_card(settings: dict, network: str, loocv: dict | None, external: dict | None) -> str:
    """The card as markdown, from the final model's saved ``settings`` and the metrics files."""
    task = settings["task"]
    summary = (f"A 3D convolutional network ({network}, MONAI) giving the probability that a "
               f"glioblastoma has {_positive(task)} (the positive "
               f"class) rather than any other label; `pred` is 1 when the probability reaches "
               f"{task['threshold']:g}. `python -m pipeline.predict DIR` scores new patients with it.")
    lines = ["# Model card: the final model (`outputs/final/model.pt`)", "", summary,
             "", "## Trained on", "", *_trained_on(settings, network), "", "## How well it does", ""]
    columns = {}
    if loocv is not None:
        columns["LOOCV (internal)"] = loocv
    if external is not None and external.get("done"):
        columns["external"] = external
    if columns:
        lines += _figures_table(columns) + [""]
    lines += ["The internal figures (`metrics/loocv.json`) are the cross-validation of the same "
              "recipe: each patient scored by a model trained without it, on fewer patients "
              "than this model. The final model itself has no held-out estimate of its own.", ""]
    if external is None or not external.get("done"):
        reason = (external or {}).get("reason", "there is no metrics/external.json")
        lines.append(f"No external validation was done: {reason.rstrip('.')}.")
    else:
        lines.append(f"The external figures (`metrics/external.json`) score the {external['n']} "
                     "usable patients of `data_external/`, which the model never saw.")
    lines += ["", "## What it must not be used for", "", *NOT_FOR,
              (f"- It was trained on {settings['data']['patients']} patients and its figures come "
               "from as few: read their intervals, not their point values."), ""]
    return "\n".join(lines)
