"""Pseudo-labels: the cohort's class balance, and nothing else of its labels."""

import numpy as np

from pipeline.power.pseudo_labels import pseudo_labels

TARGETS = {f"P{i:02d}": int(i < 15) for i in range(24)}


def test_each_replicate_keeps_the_class_balance():
    for replicate in range(1, 20):
        assert sum(pseudo_labels(TARGETS, 7, replicate).values()) == 15


def test_who_is_really_positive_does_not_matter():
    shuffled = dict(zip(TARGETS, np.random.default_rng(0).permutation(list(TARGETS.values())).tolist()))
    assert shuffled != TARGETS
    assert pseudo_labels(shuffled, 7, 3) == pseudo_labels(TARGETS, 7, 3)


def test_replicates_differ_and_repeat_with_their_seed():
    assert pseudo_labels(TARGETS, 7, 1) == pseudo_labels(TARGETS, 7, 1)
    assert pseudo_labels(TARGETS, 7, 1) != pseudo_labels(TARGETS, 7, 2)
    assert pseudo_labels(TARGETS, 7, 1) != pseudo_labels(TARGETS, 8, 1)


def test_real_positives_are_pseudo_positive_no_more_often_than_others():
    draws = [pseudo_labels(TARGETS, 7, replicate) for replicate in range(1, 1001)]
    rate = {pid: np.mean([draw[pid] for draw in draws]) for pid in TARGETS}
    real = np.mean([rate[pid] for pid in TARGETS if TARGETS[pid]])
    other = np.mean([rate[pid] for pid in TARGETS if not TARGETS[pid]])
    assert abs(real - 15 / 24) < 0.02 and abs(other - 15 / 24) < 0.03
