"""Sentences and tables about the instrument itself: the training recipe, the controls,
the power study and the learning curve, generated from their metrics files."""

from __future__ import annotations

import pandas as pd

from pipeline.presentation.formatting import format_value

NETWORK_DESCRIPTIONS = {
    "densenet121": "MONAI's 3D DenseNet121 (the study's network, 11.3 M weights)",
    "densenet_small": "MONAI's 3D DenseNet with three short dense blocks (0.1 M weights)",
}


def control_sentence(verdict: dict) -> str:
    """The control's verdict in words, from ``pipeline.power.analysis.control_verdict``.

    ``at n = 24, densenet_small detects a planted effect of 3: yes (3 of 3 cohorts), AUC 0.93 [0.88, 0.98]``
    """
    arm, effect, patients = verdict["arm"], verdict["effect"], verdict["patients"]
    what = f"a planted effect of {effect:g}" if effect > 0 else "an effect where none is planted (effect 0)"
    head = f"at n = {patients}, {arm} detects {what}"
    if not verdict["replicates"]:
        return f"{head}: not run (no such cell in the power grid)"
    answer = "yes" if verdict["detected"] > verdict["replicates"] / 2 else "no"
    interval = verdict["auc_ci95"]
    auc = "n/a" if verdict["auc_mean"] is None else f"{verdict['auc_mean']:.2f}"
    spread = f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else ""
    p_values = ", ".join("n/a" if p is None else f"{p:.2g}" for p in verdict["p_values"])
    if not verdict["passed"]:
        status = "CONTROL FAILED"
    elif verdict["expected"]:
        status = "as a working learner must"
    else:
        status = "as it must" if effect == 0 else "as it must (it sees no image)"
    return (f"{head}: {answer} ({verdict['detected']} of {verdict['replicates']} cohorts), "
            f"mean AUC {auc}{spread}, p = {p_values}; {status}")


def recipe_summary(params: dict) -> str:
    """How the network was trained, from the (recipe-resolved) params."""
    network = params["model"]["network"]
    train = params["train"]
    augment = [name for name, p in params["augment"].items() if p > 0]
    if train["stopping"] == "fixed":
        stopping = (f"for a fixed {train['max_epochs']} epochs on every training patient, keeping the "
                    "last weights (no early stopping: no patient is set aside to stop on)")
    else:
        stopping = (f"with early stopping on the validation loss (patience {train['patience']}, "
                    f"{params['loocv']['patience']} in LOOCV; at most {train['max_epochs']} epochs), "
                    "keeping the best epoch's weights")
    augmented = ", ".join(augment) if augment else "none"
    return (f"The network is {NETWORK_DESCRIPTIONS.get(network, network)} with one output logit, "
            f"trained with binary cross-entropy and Adam (learning rate {params['lr']:g}) under "
            f"PyTorch Lightning {stopping}. Training augmentation: {augmented}. Recipe: "
            f"`{params['recipe']}`" + (" (the student study's, kept to reproduce its result)."
                                        if params["recipe"] == "study" else "."))


def controls_table(power: dict) -> pd.DataFrame:
    """One row per arm and control: what was planted, how often it was detected, the verdict."""
    rows = []
    for arm, verdicts in power.get("controls", {}).items():
        for kind, verdict in verdicts.items():
            if not verdict["replicates"]:
                continue
            interval = verdict["auc_ci95"]
            rows.append({"arm": arm, "control": kind, "planted effect": f"{verdict['effect']:g}",
                         "patients": verdict["patients"],
                         "detected": f"{verdict['detected']} of {verdict['replicates']}",
                         "mean AUC": format_value(verdict["auc_mean"]) + (
                             f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else ""),
                         "must detect": "yes" if verdict["expected"] else "no",
                         "verdict": "passed" if verdict["passed"] else "FAILED"})
    return pd.DataFrame(rows)


def control_sentences(power: dict) -> list[str]:
    """The controls' verdicts in words, one per arm and control."""
    return [control_sentence(verdict) for verdicts in power.get("controls", {}).values()
            for verdict in verdicts.values()]


def failed_controls(power: dict) -> list[str]:
    """``arm (kind)`` for every control that failed."""
    return [f"{arm} ({kind})" for arm, verdicts in power.get("controls", {}).items()
            for kind, verdict in verdicts.items() if verdict.get("passed") is False]


def smallest_effect_sentence(arm: str, smallest: dict) -> str:
    """``densenet_small needs a planted effect of 3 at n = 24 and 1.5 at n = 48 ...``."""
    parts = [(f"{effect:g} at n = {patients}" if effect is not None else f"none in the grid at n = {patients}")
             for patients, effect in sorted(smallest.items(), key=lambda item: int(item[0]))]
    return f"{arm}: smallest effect detected with power >= 0.8: " + "; ".join(parts) + "."


def power_summary(power: dict) -> list[str]:
    """One sentence per arm on the smallest detectable effect at each cohort size."""
    return [smallest_effect_sentence(arm, summary["smallest_effect_power80"])
            for arm, summary in power["arms"].items()]


def learning_curve_summary(curves: dict) -> list[str]:
    """Per arm: the AUC at this cohort's largest training size and the projections."""
    sentences = []
    for arm, summary in curves.items():
        last = max(summary["points"], key=lambda point: point["train_patients"])
        projected = [f"{format_value(value['auc'])}" + (
            f" [{value['ci95'][0]:.2f}, {value['ci95'][1]:.2f}]" if value["ci95"] else "") + f" at {n}"
            for n, value in summary["projected"].items()]
        observed = (f"{arm}: cross-validated AUC {format_value(last['auc_mean'])} with "
                    f"{last['train_patients']:g} training patients")
        if summary["fit"]:
            sentences.append(f"{observed}; the inverse power law projects {', '.join(projected)} "
                             "training patients (95% bootstrap intervals).")
        else:
            sentences.append(f"{observed}; the inverse power law could not be fitted to these points, "
                             "so nothing is projected.")
    return sentences


def conclusion(power: dict | None, curves: dict | None, network: str) -> str:
    """What cohort size or effect ``network`` would need, from the power study and learning curve."""
    parts = []
    if power and network in power["arms"]:
        smallest = power["arms"][network]["smallest_effect_power80"]
        detectable = {int(n): e for n, e in smallest.items() if e is not None}
        if detectable:
            n = min(detectable)
            parts.append(f"On generated cohorts, {network} detects a planted effect of "
                         f"{detectable[n]:g} with power >= 0.8 from n = {n} on")
        else:
            parts.append(f"On generated cohorts, {network} reached power 0.8 at no effect and cohort "
                         f"size of the grid ({', '.join(sorted(smallest, key=int))} patients)")
        failed = [item for item in failed_controls(power) if item.startswith(network + " ")]
        if failed:
            parts.append("but its controls FAILED, so a negative result on a real cohort says nothing")
    if curves and network in curves and curves[network]["fit"]:
        projection = curves[network]["projected"]
        biggest = max(projection, key=int)
        parts.append(f"on this cohort its learning curve projects an AUC of "
                     f"{format_value(projection[biggest]['auc'])} with {biggest} training patients")
    if not parts:
        return (f"No power study or network learning curve has been run for {network}: `make power` "
                "measures what effect and cohort size it needs.")
    return "; ".join(parts) + "."


# A discrimination worth planning a study around when the observed one cannot be used.
TARGET_C = 0.75


def sample_size_table(prevalence: float, parameters: int, c_statistics: dict[str, float | None],
                      patients_now: int) -> pd.DataFrame:
    """Riley et al.'s minimum cohort for a logistic model of ``parameters`` parameters at this
    prevalence, for each anticipated C-statistic (an observed one, or :data:`TARGET_C`)."""
    from pipeline.evaluation.sample_size import cox_snell_from_c, minimum_sample_size

    rows = []
    for source, c_statistic in {**c_statistics, "target": TARGET_C}.items():
        row = {"anticipated C from": source, "C": format_value(c_statistic), "Cox-Snell R2": "",
               "shrinkage >= 0.9": "", "optimism <= 0.05": "", "risk within 0.05": ""}
        if c_statistic is None or not 0.5 < c_statistic < 1:
            rows.append({**row, "needed": "n/a (needs a C-statistic strictly between 0.5 and 1)",
                         "this cohort": str(patients_now)})
            continue
        needed = minimum_sample_size(prevalence, parameters, cox_snell_from_c(c_statistic, prevalence))
        criteria = needed["criteria"]
        rows.append({**row, "Cox-Snell R2": format_value(needed["r_squared"], 3),
                     "shrinkage >= 0.9": str(criteria["shrinkage"]),
                     "optimism <= 0.05": str(criteria["optimism"]),
                     "risk within 0.05": str(criteria["overall_risk"]),
                     "needed": str(needed["patients"]), "this cohort": str(patients_now)})
    return pd.DataFrame(rows)
