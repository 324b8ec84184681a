"""Generated cohorts of the power study: cached while nothing they depend on changes."""

import pytest

from pipeline import formats
from pipeline.config.settings import PreprocessSettings
from pipeline.power.generated_cohorts import (
    DONE_FILE,
    composition,
    generated_cohort,
    preprocessed_dir,
)

SETTINGS = PreprocessSettings(crop_mm=64, crop_voxels=32, percentiles=(0.5, 99.5))


def test_the_study_balance_at_any_size():
    assert (composition(24).extensive, composition(24).microscopic, composition(24).none) == (15, 7, 2)
    assert composition(48).complete == 48 and composition(48).extensive == 30
    small = composition(8)
    assert small.complete == 8 and small.none >= 1 and small.missing_sequence == 0


@pytest.mark.slow
def test_a_cohort_is_reused_until_its_seed_changes(tmp_path):
    folder = tmp_path / "cell"
    targets = generated_cohort(folder, 2.0, 6, seed=5, settings=SETTINGS)
    assert sorted(targets.values()) == [0, 0, 1, 1, 1, 1]
    assert not list(folder.rglob("*.nii*"))  # only the preprocessed tensors stay
    assert not any(formats.full_volume_path(preprocessed_dir(folder), pid).exists() for pid in targets)
    written = formats.patient_path(preprocessed_dir(folder), sorted(targets)[0]).stat().st_mtime_ns
    assert generated_cohort(folder, 2.0, 6, seed=5, settings=SETTINGS) == targets
    assert formats.patient_path(preprocessed_dir(folder), sorted(targets)[0]).stat().st_mtime_ns == written
    generated_cohort(folder, 2.0, 6, seed=6, settings=SETTINGS)
    assert formats.read_json(folder / DONE_FILE)["seed"] == 6
