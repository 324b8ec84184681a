"""Sentences and small tables that say what the results show, generated from the results.

The report calls these instead of typing numbers, so its text can never disagree with the
metrics files. Every number goes through the formatters of :mod:`pipeline.presentation.results`, the
same ones the results table uses.
"""

from __future__ import annotations

import pandas as pd

from pipeline.presentation.formatting import (
    describe_positive,
    format_interval,
    format_p_value,
    format_value,
)
from pipeline.presentation.results import results_table

ALPHA = 0.05  # significance level the sentences use; stated wherever it is applied
CLASS_NAMES = {1: "positive", 0: "negative"}


def _rate(metrics: dict, name: str) -> str:
    return format_interval(metrics[name], metrics["ci95"].get(name))


def _p_value_text(p_value: float | None) -> str:
    text = format_p_value(p_value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


# --- cohort ---------------------------------------------------------------------------


def cohort_summary(manifest: pd.DataFrame, positive_class: str | list[str],
                   label_column: str = "infiltration") -> str:
    """How many patients were listed, included (by class) and excluded; ``positive_class``
    one class or several, of ``label_column``."""
    included = manifest[manifest["included"]]
    positives = int((included["target"] == 1).sum())
    excluded = len(manifest) - len(included)
    return (f"{len(manifest)} patients were listed; {excluded} were excluded for missing or "
            f"unusable data, leaving {len(included)}: {positives} positive "
            f"({describe_positive(positive_class, label_column)}) and "
            f"{len(included) - positives} negative.")


def inclusion_table(manifest: pd.DataFrame) -> pd.DataFrame:
    """The inclusion flow: patients listed, excluded per reason code, included."""
    excluded = manifest[~manifest["included"]]
    codes = excluded["reason"].str.split(":").str[0]
    rows = [("listed in labels.csv or present in data/", len(manifest))]
    rows += [(f"excluded: {code}", int(count)) for code, count in codes.value_counts().items()]
    rows.append(("included", int(manifest["included"].sum())))
    return pd.DataFrame(rows, columns=["step", "patients"])


def exclusion_table(manifest: pd.DataFrame) -> pd.DataFrame:
    """Every excluded patient with the reason the manifest gives."""
    excluded = manifest[~manifest["included"]]
    return excluded[["patient_id", "infiltration", "reason"]].reset_index(drop=True)


def class_balance(manifest: pd.DataFrame) -> pd.DataFrame:
    """Included patients per infiltration label and binary class."""
    included = manifest[manifest["included"]]
    counts = included.groupby(["infiltration", "target"]).size().reset_index(name="patients")
    counts["class"] = counts["target"].map(lambda target: CLASS_NAMES[int(target)])
    counts["share"] = (counts["patients"] / len(included)).map(format_value)
    return counts[["infiltration", "class", "patients", "share"]]


# --- training ---------------------------------------------------------------------------


def training_summary(history: pd.DataFrame) -> str:
    """Where the single split's validation loss was lowest, and the training loss there."""
    valid = history.dropna(subset=["val_loss"])
    if valid.empty and history["train_loss"].notna().any():
        losses = history["train_loss"].dropna()
        return (f"The single split trained {len(history)} epochs on every training patient (fixed "
                f"epochs, no validation set); its training loss went from {format_value(losses.iloc[0], 3)} "
                f"to {format_value(losses.iloc[-1], 3)}, and the last epoch's model is the one evaluated.")
    if valid.empty:
        return "The single split logged no validation loss."
    best = valid.loc[valid["val_loss"].idxmin()]
    return (f"The single split's lowest validation loss was {format_value(best['val_loss'], 3)} "
            f"at epoch {int(best['epoch'])}, where the training loss was "
            f"{format_value(best['train_loss'], 3)} (its minimum over the run: "
            f"{format_value(history['train_loss'].min(), 3)}); the model of that epoch is "
            "the one evaluated.")


def folds_summary(fold_index: pd.DataFrame, stopping: str = "early") -> str:
    """How many LOOCV folds ran, where they stopped (``stopping: early``) and how long they took."""
    if fold_index.empty:
        return "No LOOCV folds were recorded."
    seconds = f"a fold took {format_value(fold_index['seconds'].median(), 0)} s (median)"
    if stopping == "fixed":
        return (f"{len(fold_index)} LOOCV folds were trained, each for "
                f"{int(fold_index['best_epoch'].max()) + 1} fixed epochs; {seconds}.")
    low, high = int(fold_index["best_epoch"].min()), int(fold_index["best_epoch"].max())
    epochs = f"was {low} in every fold" if low == high else f"ranged from {low} to {high}"
    return (f"{len(fold_index)} LOOCV folds were trained, each with its own early stopping; "
            f"the best epoch {epochs}, and {seconds}.")


# --- results ----------------------------------------------------------------------------


def collapse_sentence(name: str, metrics: dict) -> str | None:
    """``"LOOCV predicted every patient positive: specificity 0.00 [0.00, 0.30]."`` or None.

    Names the rate that exposes the collapse: specificity when every patient was called
    positive, sensitivity when every patient was called negative.
    """
    if not metrics.get("single_class"):
        return None
    predicted = metrics["single_class_predicted"]
    exposed = "specificity" if predicted == 1 else "sensitivity"
    return (f"{name} predicted every patient {CLASS_NAMES[predicted]}: "
            f"{exposed} {_rate(metrics, exposed)}.")


def chance_test(metrics: dict) -> tuple[float | None, str]:
    """The p-value against chance and the name of its test (a permutation test when run)."""
    if metrics.get("permutation_p_value") is not None:
        return (metrics["permutation_p_value"],
                f"label permutation test, {metrics.get('permutations')} permutations")
    return metrics.get("p_value"), metrics.get("test", "no test recorded")


def chance_verdict(metrics: dict) -> str:
    """Whether ``metrics`` beat chance at :data:`ALPHA`, with the p-value and its test."""
    p_value, test = chance_test(metrics)
    if p_value is None:
        return f"not tested against chance ({test})."
    verdict = "better than chance" if p_value < ALPHA else "not distinguishable from chance"
    return f"{verdict} at the {ALPHA:g} level ({_p_value_text(p_value)}; {test})."


def scheme_name(loocv: dict) -> str:
    """The cross-validation scheme the LOOCV metrics came from, in words."""
    scheme = loocv.get("scheme", "loo")
    if scheme == "kfold":
        return f"{loocv.get('folds', 'k')}-fold cross-validation"
    prefix = "rebalanced " if scheme == "rebalanced_loo" else ""
    return f"{prefix}leave-one-out cross-validation"


def evaluation_summary(loocv: dict, stopping: str = "early") -> str:
    """How the patients were held out for the headline estimate."""
    how = ("with early stopping on an inner validation split of its training patients"
           if stopping == "early" else "on all its training patients for fixed epochs")
    return (f"Held-out evaluation: {scheme_name(loocv)}. Each fold trains its own model, {how}, "
            "and scores only the patients it held out; the decision threshold "
            f"({format_value(loocv.get('threshold'))}) was fixed in advance.")


def lr_choice_summary(loocv: dict, lr: float) -> str:
    """Where the learning rate of the LOOCV models came from, and what that means."""
    selection = loocv.get("lr_selection")
    if not selection:
        return (f"The learning rate ({lr:g}, params `lr`) was set before the run, not chosen "
                "inside the folds. If it was picked by comparing runs on these same patients, "
                "the LOOCV figures share that optimism; `loocv.lr_grid` makes each fold choose "
                "its own on its inner split instead.")
    grid = ", ".join(f"{rate:g}" for rate in selection["grid"])
    chosen = ", ".join(f"{entry['lr']:g} in {entry['folds']}" for entry in selection["chosen"]
                       if entry["folds"])
    return (f"Nested selection: each fold chose its learning rate from {grid} (params "
            f"`loocv.lr_grid`) by the log loss on its inner validation patients, so a fold's "
            f"test patients never entered the choice; chosen: {chosen} folds. The LOOCV "
            "figures therefore include the cost of choosing.")


def loocv_summary(loocv: dict) -> str:
    """The headline: LOOCV rates with 95% intervals, the collapse if any, the chance test."""
    collapse = collapse_sentence("LOOCV", loocv)
    sentences = [f"**{collapse}**" if collapse else None]
    sentences.append(
        f"Under {scheme_name(loocv)} (n = {loocv['n']}, each patient scored by a "
        f"model that never saw it) balanced accuracy was {_rate(loocv, 'balanced_accuracy')}, "
        f"sensitivity {_rate(loocv, 'sensitivity')}, specificity {_rate(loocv, 'specificity')} "
        f"and AUC {_rate(loocv, 'auc')} (95% intervals in brackets).")
    sentences.append(f"The model is {chance_verdict(loocv)}")
    return " ".join(sentence for sentence in sentences if sentence)


def optimism_summary(resubstitution: dict | None, holdout: dict | None, loocv: dict) -> str:
    """Sets the optimistic resubstitution accuracy against the honest estimates."""
    sentences = []
    if holdout is not None:
        sentences.append(f"On the {holdout['n']} held-out patients of the single split, "
                         f"accuracy was {_rate(holdout, 'accuracy')}.")
    if resubstitution is not None:
        sentences.append(
            f"Scored on the patients it was trained on (resubstitution), the same model reaches "
            f"accuracy {_rate(resubstitution, 'accuracy')}: that number is optimistic and "
            f"estimates nothing about new patients; LOOCV accuracy is {_rate(loocv, 'accuracy')}.")
    return " ".join(sentences)


def prediction_table(predictions: pd.DataFrame) -> pd.DataFrame:
    """Per-patient held-out predictions for display: class, probability, call, whether right."""
    return pd.DataFrame({
        "patient_id": predictions["patient_id"],
        "fold": predictions["fold"],
        "true class": predictions["target"].map(CLASS_NAMES),
        "probability positive": predictions["prob"].map(lambda prob: format_value(prob, 3)),
        "predicted": predictions["pred"].map(CLASS_NAMES),
        "correct": (predictions["target"] == predictions["pred"]).map({True: "yes", False: "no"}),
    })


# --- better than chance -----------------------------------------------------------------


def chance_table(results: dict[str, dict | None]) -> pd.DataFrame:
    """LOOCV next to the baselines: AUC, balanced accuracy, p-value and the test used."""
    names = [name for name in results if name == "LOOCV" or name.startswith("Baseline")]
    table = results_table({name: results[name] for name in names})
    table["test"] = [chance_test(results[name])[1] for name in table["evaluation"]]
    return table[["evaluation", "n", "auc", "balanced_accuracy", "p_value", "test"]]


def distributional_bias(loocv: dict, prior: dict | None) -> str:
    """Explains LOOCV's distributional bias with the prior-only baseline, and what it shows."""
    explanation = (
        "Leaving one patient out removes one patient of that patient's class from the "
        "training fold, so the training prevalence is lowest exactly when the held-out "
        "patient is positive: under leave-one-out it is anti-correlated with the held-out "
        "label. A predictor that outputs the training prevalence, and a model that leans on "
        "the class balance, then rank patients against the truth (AUC below 0.5).")
    if prior is None:
        return explanation + " The prior-only baseline was not run, so the bias is not measured."
    return " ".join([explanation, _prior_finding(prior), _model_against_prior(loocv),
                     _scheme_note(loocv.get("scheme", "loo"))])


def _scheme_note(scheme: str) -> str:
    if scheme == "loo":
        return ("These folds are plain leave-one-out (params `loocv.scheme: loo`); "
                "`rebalanced_loo` keeps every training fold's class balance the same and "
                "removes this bias.")
    return f"These folds used `loocv.scheme: {scheme}`."


def _prior_finding(prior: dict) -> str:
    auc = format_value(prior["auc"])
    if prior["auc"] is None:
        return "The prior-only baseline's AUC is undefined here (one class only)."
    if prior["auc"] < 0.5:
        return (f"The prior-only baseline, run through the same folds, has AUC {auc}: the bias "
                "is present in these folds.")
    return f"The prior-only baseline, run through the same folds, has AUC {auc}: no bias shows."


def _model_against_prior(loocv: dict) -> str:
    auc, p_value = loocv["auc"], loocv.get("p_value")
    if loocv.get("single_class"):
        label = CLASS_NAMES[loocv["single_class_predicted"]]
        return (f"The model called every patient {label}, as a prior-only rule calls every patient "
                "the training majority class: it has not separated the classes.")
    if auc is None:
        return "The model's LOOCV AUC is undefined (one class only)."
    if auc <= 0.5:
        return (f"The model's LOOCV AUC, {format_value(auc)}, is at or below chance: what leaning "
                "on the class prior rather than on the images would produce.")
    if p_value is not None and p_value < ALPHA:
        return (f"The model's LOOCV AUC, {format_value(auc)}, is above chance "
                f"({_p_value_text(p_value)}): it ranks patients by more than the class prior.")
    return (f"The model's LOOCV AUC, {format_value(auc)}, is above 0.5 but not significantly "
            f"({_p_value_text(p_value)}): these patients cannot tell it apart from chance.")


def radiomics_summary(radiomics: dict | None) -> str:
    """The radiomics baseline's AUC and its permutation test."""
    if radiomics is None:
        return "The radiomics baseline was not run."
    return (f"The radiomics baseline (PyRadiomics first-order, shape and texture features "
            f"inside the brainstem, a few of them chosen inside each fold, logistic regression, "
            f"same folds) reaches AUC {_rate(radiomics, 'auc')} and is {chance_verdict(radiomics)}")


# --- calibration and clinical utility -----------------------------------------------------


def calibration_summary(name: str, metrics: dict) -> str:
    """What the calibration figures of one evaluation say, and how little n allows."""
    slope, intercept = metrics.get("calibration_slope"), metrics.get("calibration_intercept")
    parts = [f"**{name}** (n = {metrics['n']}): Brier score {_rate(metrics, 'brier')} "
             f"(a model that always predicts the prevalence scores "
             f"{_prevalence_brier(metrics):.2f})"]
    if intercept is None:
        parts.append("the calibration intercept is undefined (one class)")
    else:
        direction = ("too high on average" if intercept < 0 else "too low on average")
        parts.append(f"calibration intercept {_rate(metrics, 'calibration_intercept')} "
                     f"(0 when right on average; {direction} as estimated)")
    if slope is None:
        parts.append("the calibration slope is undefined: the classes are perfectly separated "
                     "by the probabilities, so any steeper logistic line fits better")
    else:
        spread = "too extreme" if slope < 1 else "too timid"
        parts.append(f"calibration slope {_rate(metrics, 'calibration_slope')} (1 when the "
                     f"spread is right; below 1 the probabilities are too extreme, above 1 too "
                     f"timid: here {spread} as estimated)")
    if metrics["ci95"].get("calibration_slope") is None and slope is not None:
        parts.append("no interval for the slope: in more than 5% of bootstrap resamples the "
                     "classes were perfectly separated")
    return "; ".join(parts) + "."


def _prevalence_brier(metrics: dict) -> float:
    positives = metrics["tp"] + metrics["fn"]
    prevalence = positives / metrics["n"] if metrics["n"] else 0.0
    return prevalence * (1 - prevalence)


CALIBRATION_CAVEAT = (
    "With two dozen patients these estimates are wide: an interval that includes 0 for the "
    "intercept and 1 for the slope does not show the model is calibrated, only that this "
    "cohort cannot show it is not. No recalibration step is applied (the probabilities are "
    "the network's sigmoid outputs), so read them as rankings until calibration is "
    "confirmed on new patients.")


def decision_curve_summary(useful: dict[str, list[float]], thresholds: list[float]) -> str:
    """One honest sentence per model: where its net benefit beats treating all and none."""
    span = f"{min(thresholds):.2f}-{max(thresholds):.2f}"
    sentences = []
    for model, above in useful.items():
        if not above:
            sentences.append(f"{model} does not beat treating every patient or none at any "
                             f"threshold between {span}")
        elif len(above) == len(thresholds):
            sentences.append(f"{model} beats treating every patient or none at every threshold "
                             f"between {span}")
        else:
            shown = ", ".join(f"{t:.2f}" for t in above)
            sentences.append(f"{model} beats treating every patient or none only at thresholds "
                             f"{shown} (of {span})")
    return ("Net benefit from held-out probabilities: " + "; ".join(sentences) + ". These "
            "curves inherit the probabilities' calibration and the cohort's prevalence, and at "
            "this n their uncertainty is large: they say whether acting on the model could be "
            "worth a prospective study, not that it is.")
