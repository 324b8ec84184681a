"""Sentences and tables of the spike-in study (``metrics/power_cohort.json``): what the
arms detect when the effect is planted in this cohort, in units of the real classes' difference."""

from __future__ import annotations

import re

import pandas as pd

from pipeline.presentation.formatting import format_value
from pipeline.presentation.power_summaries import control_sentence, controls_table

REFERENCE = "radiomics"


def searched_network(cohort: dict, network: str) -> str | None:
    """``network`` if the spike-in ran it, else the first network it ran (None: none ran)."""
    networks = [arm for arm in cohort["arms"] if arm not in (REFERENCE, "prior")]
    return network if network in networks else (networks[0] if networks else None)


def _effect_range(threshold: dict) -> str:
    """``1.10-1.90``, or ``1.10 or more`` when the interval reaches past the largest effect tried."""
    low, high = threshold["ci95"] or (None, None)
    return f"{format_value(low)} or more" if high is None else f"{format_value(low)}-{format_value(high)}"


def detects(who: str, summary: dict, patients: int | None = None, largest: float | None = None) -> str:
    """``the network (densenet_small) detects d >= 1.05 (planted effect 1.4, 95% interval
    1.1-1.9) with 80% power at n = 24``, or that it reached 80% power at no effect tried.
    Without ``patients``, the short form: ``radiomics d >= 0.3 (planted effect ...)``."""
    threshold = summary["threshold"]
    if threshold["effect"] is None:
        beyond = f" up to {largest:g}" if largest else ""
        return f"{who} reaches 80% power at no planted effect tried{beyond}"
    found = (f"d >= {format_value(threshold['d_flair'])} (planted effect {threshold['effect']:g}, "
             f"95% interval {_effect_range(threshold)})")
    return f"{who} detects {found} with 80% power at n = {patients}" if patients else f"{who} {found}"


def failed(cohort: dict) -> list[str]:
    """``arm (kind)`` for every spike-in control that failed."""
    return [f"{arm} ({kind})" for arm, summary in cohort["arms"].items()
            for kind, verdict in summary["controls"].items() if verdict.get("passed") is False]


def cohort_sentence(cohort: dict, network: str) -> str:
    """The real classes' d beside the smallest d the network and radiomics detect, here."""
    observed, patients = cohort["observed"], cohort["patients"]
    largest = max((cell["effect"] for summary in cohort["arms"].values() for cell in summary["cells"]),
                  default=None)
    parts = [f"On this cohort the real classes differ by d = {format_value(observed['d_flair'])} "
             f"(mean brainstem FLAIR; T2 {format_value(observed['d_t2'])})"]
    chosen = searched_network(cohort, network)
    if chosen is not None:
        parts.append(detects(f"the network ({chosen})", cohort["arms"][chosen], patients, largest))
    if REFERENCE in cohort["arms"]:
        parts.append(detects(REFERENCE, cohort["arms"][REFERENCE], largest=largest))
    sentence = "; ".join(parts) + "."
    broken = failed(cohort)
    if broken:
        return sentence + (f" Controls FAILED: {', '.join(broken)}; such an arm's threshold, or its "
                           "negative result on the real labels, means nothing.")
    meaning = reading(cohort, chosen) if chosen is not None else ""
    return f"{sentence} {meaning}" if meaning else sentence


def _detectable(summary: dict, observed: float) -> bool:
    """Whether a difference of ``observed`` d reaches the d this arm detects with 80% power."""
    found = summary["threshold"]["d_flair"]
    return found is not None and abs(observed) >= found


def reading(cohort: dict, network: str) -> str:
    """What the comparison means for a result on the real labels, with the caveat of d's units."""
    observed = cohort["observed"]["d_flair"]
    if observed is None:
        return ""
    arms = {f"the network's ({network})": cohort["arms"][network]}
    if REFERENCE in cohort["arms"]:
        arms[f"{REFERENCE}'"] = cohort["arms"][REFERENCE]
    places = [f"{'at or above' if _detectable(summary, observed) else 'below'} {who}"
              for who, summary in arms.items()]
    if _detectable(cohort["arms"][network], observed):
        meaning = (f"A difference of that size, shaped like the planted one, is found by the network with at "
                   f"least 80% power in cohorts like this one of {cohort['patients']} patients.")
    else:
        meaning = ("So the network finding nothing on the real labels would not show that there is nothing "
                   "to find: a difference of that size, shaped like the planted one, is missed in more "
                   f"than one cohort in five of {cohort['patients']} patients.")
    return (f"The real classes' d is {' and '.join(places)} threshold d. {meaning} d counts the mean "
            "brainstem FLAIR only: a real signal of another shape may be easier or harder to learn than "
            "its d says.")


def cohort_controls(cohort: dict) -> pd.DataFrame:
    """One row per arm and control of the spike-in (planted in this cohort)."""
    return controls_table({"controls": {arm: summary["controls"] for arm, summary in cohort["arms"].items()}})


def cohort_control_sentences(cohort: dict) -> list[str]:
    """The spike-in controls' verdicts in words (planted in this cohort's pseudo-positives)."""
    return [re.sub(r"a planted effect of (\S+):", r"an effect of \1 planted in this cohort:", control_sentence(verdict))
            for summary in cohort["arms"].values() for verdict in summary["controls"].values()]


def thresholds_table(cohort: dict) -> pd.DataFrame:
    """Per arm: the located threshold, its interval, its d and how many replicate cohorts it took."""
    rows = []
    for arm, summary in cohort["arms"].items():
        threshold = summary["threshold"]
        rows.append({"arm": arm,
                     "effect at power 0.8": "not reached" if threshold["effect"] is None else f"{threshold['effect']:g}",
                     "95% interval": "n/a" if threshold["ci95"] is None else _effect_range(threshold),
                     "d_flair": format_value(threshold["d_flair"]),
                     "replicate cohorts": sum(cell["replicates"] for cell in summary["cells"]),
                     "effects tried": ", ".join(f"{cell['effect']:g}" for cell in summary["cells"])})
    return pd.DataFrame(rows)
