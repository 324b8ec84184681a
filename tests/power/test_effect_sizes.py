"""Cohen's d by hand, and the d a planted effect makes, from two numbers per patient."""

import numpy as np
import pytest

from pipeline.power.effect_sizes import brainstem_response, cohens_d, cohort_d
from pipeline.power.spike_in import patient_seed, pattern_strength, planted
from tests.power.spike_factory import patient


def test_cohens_d_on_a_hand_example():
    # means 4 and 2; variances 4 and 1; pooled (2 x 4 + 2 x 1) / 4 = 2.5
    assert cohens_d([2, 4, 6], [1, 2, 3]) == pytest.approx(2 / np.sqrt(2.5))
    assert cohens_d([1, 2, 3], [2, 4, 6]) == pytest.approx(-2 / np.sqrt(2.5))


def test_cohens_d_is_undefined_without_two_per_group_or_any_spread():
    assert cohens_d([1.0], [1.0, 2.0]) is None
    assert cohens_d([1.0, 1.0], [1.0, 1.0]) is None


def test_the_d_of_a_planted_effect_matches_the_planted_images():
    patients = {f"P{i}": patient(f"P{i}", seed=i) for i in range(6)}
    strengths = {pid: pattern_strength(p.mask.numpy(), p.affine, patient_seed(2, pid)) for pid, p in patients.items()}
    responses = {pid: brainstem_response(p, strengths[pid]) for pid, p in patients.items()}
    labels = {"P0": 1, "P1": 1, "P2": 1, "P3": 0, "P4": 0, "P5": 0}
    effect = 2.5
    means = {}
    for pid, one in patients.items():
        image = planted(one, strengths[pid], effect if labels[pid] else 0.0).image
        means[pid] = image[3][one.mask.bool()].mean().item()  # FLAIR
    expected = cohens_d([means[p] for p in labels if labels[p]], [means[p] for p in labels if not labels[p]])
    assert cohort_d(responses, labels, effect)["d_flair"] == pytest.approx(expected, abs=1e-3)
    assert cohort_d(responses, labels, effect)["d_flair"] > cohort_d(responses, labels, 0.0)["d_flair"]
