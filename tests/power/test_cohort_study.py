"""A spike-in replicate: its pseudo-labels and folds, the reference arms on it, the d it makes."""

from pipeline.power.cohort_study import SpikeIn, expected_d
from tests.power.spike_factory import patient

PATIENTS = {f"P{i}": patient(f"P{i}", seed=i) for i in range(8)}
TARGETS = {f"P{i}": int(i < 4) for i in range(8)}


def _study() -> SpikeIn:
    return SpikeIn(dict(TARGETS), PATIENTS, {pid: "digest" for pid in PATIENTS}, seed=5, folds=2,
                   inner_val_size=2, split_seed=1, alpha=0.05)


def test_a_replicate_has_balanced_pseudo_labels_and_folds_that_test_everyone_once():
    labels, folds = _study().replicate(3)
    assert sum(labels.values()) == 4 and len(folds) == 2
    tested = sorted(pid for fold in folds for pid in fold.test_ids)
    assert tested == sorted(PATIENTS)
    assert all(sum(labels[pid] for pid in fold.test_ids) == 2 for fold in folds)  # stratified


def test_the_reference_arms_run_on_the_same_replicate_with_the_contracts_fields():
    rows = _study().reference_rows(3.0, [1, 2])
    assert sorted((row["arm"], row["replicate"]) for row in rows) == [
        ("prior", 1), ("prior", 2), ("radiomics", 1), ("radiomics", 2)]
    for row in rows:
        assert {"arm", "effect", "replicate", "auc", "p_value", "detected", "d_flair", "d_t2"} == set(row)
        assert row["d_flair"] > 1  # effect 3 in random 0.2-0.8 images: a large planted difference


def test_the_d_of_an_effect_grows_with_it_and_is_near_zero_without_one():
    study = _study()
    assert abs(expected_d(study, 0.0)) < 0.2
    assert 0 < expected_d(study, 0.5) < expected_d(study, 1.0) < expected_d(study, 2.0)
