"""The spike-in's sentence: the real classes' d beside each arm's threshold d, and what it means."""

from pipeline.presentation.cohort_power_summaries import cohort_sentence


def arm(effect, d_flair, positive_passed=True):
    threshold = {"effect": effect, "ci95": None if effect is None else [effect - 0.2, effect + 0.3],
                 "d_flair": d_flair}
    verdict = {"passed": positive_passed}
    return {"cells": [{"effect": 0.0}, {"effect": 3.0}], "threshold": threshold,
            "controls": {"positive": verdict, "negative": {"passed": True}}}


def cohort(observed, network_d=2.0, radiomics_d=0.6, positive_passed=True):
    return {"patients": 24, "observed": {"d_flair": observed, "d_t2": 0.5},
            "arms": {"densenet_small": arm(1.5, network_d, positive_passed), "radiomics": arm(0.4, radiomics_d),
                     "prior": arm(None, None)}}


def test_a_real_difference_below_the_networks_threshold_says_a_null_result_proves_nothing():
    sentence = cohort_sentence(cohort(1.2), "densenet_small")
    assert "the real classes differ by d = 1.20 " in sentence
    assert "below the network's (densenet_small) and at or above radiomics' threshold d" in sentence
    assert "would not show that there is nothing to find" in sentence
    assert "more than one cohort in five of 24 patients" in sentence


def test_a_real_difference_at_the_networks_threshold_would_be_found():
    sentence = cohort_sentence(cohort(2.0), "densenet_small")
    assert "at or above the network's (densenet_small) and at or above radiomics'" in sentence
    assert "found by the network with at least 80% power in cohorts like this one of 24 patients" in sentence


def test_a_darker_positive_class_is_compared_by_the_size_of_its_difference():
    assert "at or above the network's" in cohort_sentence(cohort(-2.5), "densenet_small")


def test_no_threshold_means_the_difference_is_below_it():
    sentence = cohort_sentence(cohort(5.0, network_d=None), "densenet_small")
    assert "below the network's (densenet_small)" in sentence


def test_without_an_observed_d_the_sentence_stops_at_the_thresholds():
    assert cohort_sentence(cohort(None), "densenet_small").endswith("95% interval 0.20-0.70).")


def test_failed_controls_leave_no_reading():
    sentence = cohort_sentence(cohort(1.2, positive_passed=False), "densenet_small")
    assert "Controls FAILED: densenet_small (positive)" in sentence
    assert "nothing to find" not in sentence and "threshold d" not in sentence
