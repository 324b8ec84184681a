"""Riley et al.'s sample-size criteria against the published example."""

import pytest

from pipeline.evaluation.sample_size import (
    cox_snell_from_c,
    max_cox_snell,
    minimum_sample_size,
)


def test_the_published_binary_example():
    # Riley et al. (BMJ 2020) and pmsampsize: R2_CS 0.288, 24 parameters, prevalence 0.174.
    needed = minimum_sample_size(prevalence=0.174, parameters=24, r_squared=0.288)
    assert needed["criteria"] == {"shrinkage": 623, "optimism": 662, "overall_risk": 221}
    assert needed["patients"] == 662 and needed["events_per_parameter"] == pytest.approx(4.8, abs=0.01)
    assert needed["max_r_squared"] == pytest.approx(0.6032, abs=1e-4)


def test_the_r_squared_of_a_c_statistic_grows_with_it_and_stays_below_its_maximum():
    low, high = (cox_snell_from_c(c, 0.4, patients=200_000) for c in (0.65, 0.85))
    assert 0 < low < high < max_cox_snell(0.4)


def test_a_weaker_model_needs_more_patients():
    weak = minimum_sample_size(0.4, 10, cox_snell_from_c(0.65, 0.4, patients=200_000))
    strong = minimum_sample_size(0.4, 10, cox_snell_from_c(0.85, 0.4, patients=200_000))
    assert weak["patients"] > strong["patients"]
