"""No patient is ever in its own fold's training or validation set, for every scheme."""

import pytest

from pipeline.crossval.splits import cross_validation_folds, holdout_fold

IDS = [f"P{i:02d}" for i in range(24)]
TARGETS = [1] * 15 + [0] * 9


@pytest.mark.parametrize("scheme", ["loo", "rebalanced_loo", "kfold"])
def test_no_patient_in_its_own_training_or_validation(scheme):
    for fold in cross_validation_folds(IDS, TARGETS, scheme, inner_val_size=4, seed=1, folds=5):
        assert not set(fold.test_ids) & set(fold.train_ids)
        assert not set(fold.test_ids) & set(fold.validation_ids)
        assert not set(fold.train_ids) & set(fold.validation_ids)


@pytest.mark.parametrize("scheme", ["loo", "rebalanced_loo", "kfold"])
def test_every_patient_tested_exactly_once(scheme):
    folds = cross_validation_folds(IDS, TARGETS, scheme, inner_val_size=4, seed=1, folds=5)
    tested = [pid for fold in folds for pid in fold.test_ids]
    assert sorted(tested) == sorted(IDS)


def test_loo_trains_on_everyone_else():
    folds = cross_validation_folds(IDS, TARGETS, "loo", inner_val_size=4, seed=1)
    assert len(folds) == 24
    assert all(len(fold.fitting_ids) == 23 for fold in folds)


def test_rebalanced_loo_keeps_the_same_class_balance_in_every_fold():
    target_of = dict(zip(IDS, TARGETS))
    balances = set()
    for fold in cross_validation_folds(IDS, TARGETS, "rebalanced_loo", inner_val_size=4, seed=1):
        assert len(fold.dropped_ids) == 1
        assert target_of[fold.dropped_ids[0]] != target_of[fold.test_ids[0]]
        assert fold.dropped_ids[0] not in fold.fitting_ids
        balances.add(sum(target_of[i] for i in fold.fitting_ids))
    assert balances == {14}  # 15 - 1 positives whatever the held-out class


def test_holdout_is_stratified_and_disjoint():
    fold = holdout_fold(IDS, TARGETS, holdout_size=5, validation_size=4, seed=3)
    target_of = dict(zip(IDS, TARGETS))
    assert len(fold.test_ids) == 5 and len(fold.validation_ids) == 4 and len(fold.train_ids) == 15
    assert 1 <= sum(target_of[i] for i in fold.test_ids) <= 4
    assert not set(fold.test_ids) & set(fold.fitting_ids)


def test_split_is_seeded():
    first = holdout_fold(IDS, TARGETS, 5, 4, seed=3)
    assert first == holdout_fold(IDS, TARGETS, 5, 4, seed=3)
    assert first != holdout_fold(IDS, TARGETS, 5, 4, seed=4)


def test_a_subsampled_fold_keeps_its_test_patients_and_the_class_balance():
    from pipeline.crossval.splits import subsampled_fold

    target_of = dict(zip(IDS, TARGETS))
    for fold in cross_validation_folds(IDS, TARGETS, "kfold", inner_val_size=4, seed=1, folds=4):
        small = subsampled_fold(fold, target_of, 0.5, inner_val_size=2, seed=3)
        assert small.test_ids == fold.test_ids
        assert set(small.fitting_ids) < set(fold.fitting_ids) and len(small.fitting_ids) == 9
        assert 5 <= sum(target_of[i] for i in small.fitting_ids) <= 6  # 15/24 of 9, stratified
        assert len(small.validation_ids) == 2
        assert set(subsampled_fold(fold, target_of, 1.0, 2, seed=3).fitting_ids) == set(fold.fitting_ids)


def test_subsamples_differ_between_seeds_and_repeat_with_the_same_seed():
    from pipeline.crossval.splits import subsampled_fold

    target_of = dict(zip(IDS, TARGETS))
    fold = cross_validation_folds(IDS, TARGETS, "kfold", inner_val_size=4, seed=1, folds=4)[0]
    draws = {subsampled_fold(fold, target_of, 0.5, 2, seed=s).fitting_ids for s in range(5)}
    assert len(draws) > 1
    assert subsampled_fold(fold, target_of, 0.5, 2, seed=7) == subsampled_fold(fold, target_of, 0.5, 2, seed=7)


def test_fewer_folds_where_a_class_is_small():
    from pipeline.crossval.splits import usable_folds

    assert usable_folds(TARGETS, 5) == 5
    assert usable_folds([1] * 6 + [0] * 3, 5) == 3
    assert usable_folds([1] * 6 + [0], 5) == 2


# rebalanced_loo's folds as the hand-written version drew them (commit cbf4f3a), per fold
# (test, train, validation, dropped), for (targets, inner_val_size, seed).
HAND_WRITTEN_REBALANCED_FOLDS = {
    ((1, 1, 0, 0), 1, 0): [("P0", "P2", "P1", "P3"), ("P1", "P0", "P2", "P3"),
                           ("P2", "P0", "P3", "P1"), ("P3", "P1", "P2", "P0")],
    ((1, 1, 1, 0, 0), 1, 3): [("P0", "P1 P3", "P2", "P4"), ("P1", "P2 P4", "P0", "P3"),
                              ("P2", "P1 P4", "P0", "P3"), ("P3", "P1 P2", "P4", "P0"),
                              ("P4", "P1 P2", "P3", "P0")],
    ((1, 0, 1, 1, 0, 0, 1), 2, 42): [
        ("P0", "P3 P5 P6", "P2 P4", "P1"), ("P1", "P0 P3 P5", "P2 P4", "P6"),
        ("P2", "P0 P1 P3", "P5 P6", "P4"), ("P3", "P0 P1 P6", "P2 P5", "P4"),
        ("P4", "P0 P1 P3", "P5 P6", "P2"), ("P5", "P0 P3 P4", "P1 P2", "P6"),
        ("P6", "P0 P3 P5", "P2 P4", "P1")],
    ((0, 1, 1, 0, 1, 0, 0, 1, 1), 2, 7): [
        ("P0", "P1 P4 P5 P6 P7", "P2 P3", "P8"), ("P1", "P0 P2 P3 P4 P8", "P6 P7", "P5"),
        ("P2", "P0 P4 P6 P7 P8", "P1 P3", "P5"), ("P3", "P0 P2 P4 P6 P7", "P1 P5", "P8"),
        ("P4", "P0 P1 P3 P7 P8", "P2 P6", "P5"), ("P5", "P0 P1 P2 P3 P8", "P4 P6", "P7"),
        ("P6", "P1 P2 P3 P5 P7", "P0 P4", "P8"), ("P7", "P2 P4 P5 P6 P8", "P1 P3", "P0"),
        ("P8", "P1 P3 P4 P6 P7", "P2 P5", "P0")],
}


@pytest.mark.parametrize("case", list(HAND_WRITTEN_REBALANCED_FOLDS))
def test_rebalancedcv_folds_match_the_hand_written_ones_but_for_which_patient_is_dropped(case):
    targets, inner_val_size, seed = case
    ids = [f"P{i}" for i in range(len(targets))]
    target_of = dict(zip(ids, targets))
    folds = cross_validation_folds(ids, targets, "rebalanced_loo", inner_val_size, seed)
    old = HAND_WRITTEN_REBALANCED_FOLDS[case]
    assert [fold.test_ids for fold in folds] == [(test,) for test, *_ in old]
    for fold, (test, train, validation, dropped) in zip(folds, old):
        old_fitting = train.split() + validation.split()
        assert set(fold.fitting_ids) | set(fold.dropped_ids) == set(old_fitting) | {dropped}
        assert sorted(target_of[i] for i in fold.fitting_ids) == sorted(target_of[i] for i in old_fitting)
        assert len(fold.dropped_ids) == 1 and target_of[fold.dropped_ids[0]] == target_of[dropped]
        assert len(fold.validation_ids) == len(validation.split())


def test_rebalanced_loo_drops_whom_rebalancedcv_draws_and_leaves_numpy_global_state_alone():
    import numpy as np
    from rebalancedcv import RebalancedLeaveOneOut

    labels = np.array(TARGETS)
    drawn = [sorted(set(range(24)) - set(train) - set(test)) for train, test in
             RebalancedLeaveOneOut().split(np.zeros((24, 1)), labels, seed=5)]
    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    folds = cross_validation_folds(IDS, TARGETS, "rebalanced_loo", inner_val_size=4, seed=5)
    assert np.random.random() == expected_next
    assert [list(fold.dropped_ids) for fold in folds] == [[IDS[i] for i in d] for d in drawn]


def test_rebalanced_loo_needs_two_patients_of_each_class():
    with pytest.raises(ValueError, match="1 positive and 3 negative"):
        cross_validation_folds(["a", "b", "c", "d"], [1, 0, 0, 0], "rebalanced_loo", 1, seed=0)


def test_under_fixed_stopping_the_validation_patients_train_and_under_early_they_stop():
    fold = holdout_fold([f"P{i}" for i in range(12)], [0, 1] * 6, holdout_size=2, validation_size=3, seed=0)
    fixed = fold.for_stopping(early=False)
    assert fixed.train_ids == fold.train_ids + fold.validation_ids and fixed.validation_ids == ()
    assert fixed.test_ids == fold.test_ids and fold.for_stopping(early=True) == fold
