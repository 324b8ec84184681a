"""Decision curve analysis (dcurves): would acting on a model's held-out probabilities beat
treating every patient, or none, at the thresholds a clinician would use?

Net benefit at threshold probability t counts true positives and charges each false
positive t / (1 - t) of one: the exchange rate a clinician accepts by choosing t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from dcurves import dca

# Threshold probabilities worth a decision here (say, whether to plan treatment as if the
# brainstem were infiltrated): below 0.1 nobody would withhold treating everyone, above 0.7
# nobody would demand such certainty for a treatment planning choice. Outside it, curves
# say nothing a reader should act on.
THRESHOLDS = np.round(np.arange(0.10, 0.701, 0.05), 2)
REFERENCES = {"all": "treat all", "none": "treat none"}


def net_benefit(predictions: dict[str, pd.DataFrame],
                thresholds: np.ndarray = THRESHOLDS) -> pd.DataFrame:
    """Net benefit of each model (``target``, ``prob`` held out, the same patients in
    each), treat-all and treat-none, by threshold: ``model, threshold, net_benefit``.

    Raises:
        ValueError: the models were not scored on the same patients.
    """
    frames = {name: frame.set_index("patient_id") for name, frame in predictions.items()}
    patients = [set(frame.index) for frame in frames.values()]
    if any(ids != patients[0] for ids in patients):
        raise ValueError("decision curves compare models on the same patients; these differ: "
                         + ", ".join(f"{name} ({len(frame)})" for name, frame in frames.items()))
    first = next(iter(frames.values()))
    data = pd.DataFrame({"target": first["target"].astype(int),
                         **{name: frame["prob"].reindex(first.index) for name, frame in frames.items()}})
    curves = dca(data=data.reset_index(drop=True), outcome="target", modelnames=list(frames),
                 thresholds=thresholds)
    curves["model"] = curves["model"].astype(str).replace(REFERENCES)
    return curves[["model", "threshold", "net_benefit"]].reset_index(drop=True)


def useful_thresholds(curves: pd.DataFrame, model: str) -> list[float]:
    """The thresholds at which ``model``'s net benefit exceeds both treat-all and treat-none."""
    wide = curves.pivot(index="threshold", columns="model", values="net_benefit")
    best_reference = wide[list(REFERENCES.values())].max(axis=1)
    return [float(t) for t in wide.index[wide[model] > best_reference + 1e-12]]
