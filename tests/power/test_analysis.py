"""Power arithmetic on known tables: power, its interval, the smallest effect, the controls."""

import pandas as pd
import pytest

from pipeline.power.analysis import (
    cell_summary,
    control_verdict,
    mean_interval,
    power_metrics,
    smallest_effect,
)
from pipeline.presentation.power_summaries import control_sentence


def _table(detections: dict[tuple[str, float, int], list[bool]]) -> pd.DataFrame:
    rows = []
    for (arm, effect, patients), detected in detections.items():
        for replicate, hit in enumerate(detected, start=1):
            rows.append({"arm": arm, "effect": effect, "patients": patients, "replicate": replicate,
                         "auc": 0.9 if hit else 0.5 + 0.01 * replicate,
                         "p_value": 0.001 if hit else 0.4, "detected": hit})
    return pd.DataFrame(rows)


def test_power_is_the_share_detected_with_a_wilson_interval():
    summary = cell_summary(_table({("net", 2.0, 24): [True, True, False, True]}))
    assert summary["power"] == 0.75 and summary["replicates"] == 4
    low, high = summary["power_ci95"]
    assert low == pytest.approx(0.3006, abs=1e-3) and high == pytest.approx(0.9544, abs=1e-3)


def test_the_auc_interval_is_a_t_interval_of_the_replicates_mean():
    low, high = mean_interval([0.6, 0.7, 0.8])
    # mean 0.7, sd 0.1, t(0.975, 2) = 4.303: 0.7 +- 4.303 * 0.1 / sqrt(3)
    assert low == pytest.approx(0.4516, abs=1e-3) and high == pytest.approx(0.9484, abs=1e-3)
    assert mean_interval([0.6, 0.8, 1.0])[1] == 1.0  # an AUC interval stops at 1
    assert mean_interval([0.7]) is None


def test_the_smallest_effect_is_the_start_of_a_curve_that_stays_above_target():
    cells = [{"effect": e, "patients": 24, "power": p}
             for e, p in [(0.0, 0.9), (0.5, 0.9), (1.0, 0.3), (2.0, 0.8), (3.0, 1.0)]]
    # 0.5 reaches 0.8 but 1.0 dips below: only from 2.0 on is detection reliable;
    # effect 0 (the negative control) never counts.
    assert smallest_effect(cells, 24) == 2.0
    assert smallest_effect(cells, 48) is None
    assert smallest_effect([{"effect": 3.0, "patients": 24, "power": 0.5}], 24) is None


def test_power_metrics_have_the_spec_shape():
    table = _table({("net", 0.0, 24): [False] * 3, ("net", 3.0, 24): [True] * 3,
                    ("net", 3.0, 48): [True] * 3, ("radiomics", 3.0, 24): [True, False, False]})
    metrics = power_metrics(table, 0.05)
    assert metrics["alpha"] == 0.05 and set(metrics["arms"]) == {"net", "radiomics"}
    net = metrics["arms"]["net"]
    assert {(c["effect"], c["patients"]): c["power"] for c in net["cells"]} == {
        (0.0, 24): 0.0, (3.0, 24): 1.0, (3.0, 48): 1.0}
    assert set(net["cells"][0]) == {"effect", "patients", "replicates", "power", "power_ci95",
                                    "auc_mean", "auc_ci95"}
    assert net["smallest_effect_power80"] == {"24": 3.0, "48": 3.0}
    assert metrics["arms"]["radiomics"]["smallest_effect_power80"] == {"24": None}


@pytest.mark.parametrize(("detected", "effect", "expected", "passed"), [
    ([True, True, False], 3.0, True, True),     # positive control found in most cohorts
    ([True, False, False], 3.0, True, False),   # missed in most: the learner failed
    ([False, False, True], 0.0, False, True),   # negative control: one false alarm in three
    ([True, True, False], 0.0, False, False),   # "finds" an effect where none was planted
    ([False, False, False], 3.0, False, True),  # a blind arm (prior) must not find it either
])
def test_control_verdicts(detected, effect, expected, passed):
    table = _table({("net", effect, 24): detected})
    verdict = control_verdict(table, "net", effect, 24, expected)
    assert verdict["passed"] is passed and verdict["detected"] == sum(detected)
    sentence = control_sentence(verdict)
    assert sentence.startswith("at n = 24, net detects") and ("CONTROL FAILED" in sentence) != passed


def test_a_control_missing_from_the_grid_is_said_so():
    verdict = control_verdict(_table({("net", 1.0, 24): [True]}), "net", 3.0, 24, True)
    assert verdict["passed"] is None and "not run" in control_sentence(verdict)
