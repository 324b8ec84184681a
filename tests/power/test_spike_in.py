"""The generator's pattern planted in a preprocessed patient, fitted to its own mask."""

import numpy as np
import pytest

from pipeline import formats
from pipeline.power.spike_in import mask_frame, patient_seed, pattern_strength, planted
from pipeline.power.spiked_cohorts import spiked_cohort
from tests.power.spike_factory import AFFINE, ellipsoid_mask, patient


@pytest.fixture
def planted_pair():
    before = patient("P01")
    strength = pattern_strength(before.mask.numpy(), before.affine, patient_seed(3, "P01"))
    return before, planted(before, strength, 2.0), strength


def test_nothing_outside_the_mask_changes(planted_pair):
    before, after, _ = planted_pair
    outside = ~before.mask.bool()
    assert np.array_equal(after.image[:, outside].numpy(), before.image[:, outside].numpy())


def test_t2_and_flair_rise_by_the_generators_gain_and_t1_stays(planted_pair):
    before, after, strength = planted_pair
    inside = before.mask.numpy().astype(bool)
    ratio = (after.image / before.image).numpy() - 1.0
    assert np.array_equal(after.image[:2].numpy(), before.image[:2].numpy())  # t1, t1c
    # effect 2: up to 2 x 18% (T2) and 2 x 24% (FLAIR) where the pattern is at strength 1
    np.testing.assert_allclose(ratio[2][inside], 2 * 0.18 * strength[inside], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ratio[3][inside], 2 * 0.24 * strength[inside], rtol=1e-5, atol=1e-6)
    assert 0.5 < strength.max() < 2.5 and strength[inside].min() >= 0
    assert np.all(strength[~inside] == 0)


def test_the_pattern_is_strongest_at_the_top_of_the_brainstem(planted_pair):
    _, _, strength = planted_pair
    z = np.arange(strength.shape[2])
    top, bottom = strength[..., z >= 12].sum(), strength[..., z < 12].sum()
    assert top > 2 * bottom


def test_the_ellipsoid_fits_a_tilted_mask():
    mask = ellipsoid_mask(radii=(5.0, 4.0, 14.0), tilt_deg=25)
    _, axes, radii = mask_frame(mask, AFFINE)
    np.testing.assert_allclose(sorted(radii), [4.0, 5.0, 14.0], rtol=0.12)
    assert radii[2] == max(radii) and axes[2][2] > 0  # long axis first along z, pointing up
    tilted = [0.0, -np.sin(np.radians(25)), np.cos(np.radians(25))]
    assert abs(np.dot(axes[2], tilted)) > 0.98


def test_a_mask_too_small_to_fit_is_refused():
    mask = np.zeros((8, 8, 8), dtype=np.uint8)
    mask[4, 4, 4] = 1
    with pytest.raises(ValueError, match="too small"):
        mask_frame(mask, AFFINE)


def test_pseudo_negatives_are_written_byte_for_byte_and_positives_planted(tmp_path):
    patients = {f"P{i}": patient(f"P{i}", seed=i) for i in range(4)}
    source = tmp_path / "prepared"
    for one in patients.values():
        formats.write_patient(source, one)
    strengths = {pid: pattern_strength(p.mask.numpy(), p.affine, patient_seed(1, pid)) for pid, p in patients.items()}
    labels = {"P0": 1, "P1": 0, "P2": 1, "P3": 0}
    folder = spiked_cohort(tmp_path / "spiked", patients, strengths, labels, 1.5, key="k1")
    digest = {pid: formats.file_digest(formats.patient_path(folder, pid)) for pid in labels}
    original = {pid: formats.file_digest(formats.patient_path(source, pid)) for pid in labels}
    assert [pid for pid in labels if digest[pid] == original[pid]] == ["P1", "P3"]
    assert not (folder / "full").exists()  # model crops only
    written = formats.patient_path(folder, "P0").stat().st_mtime_ns
    spiked_cohort(folder, patients, strengths, labels, 1.5, key="k1")  # same key: kept
    assert formats.patient_path(folder, "P0").stat().st_mtime_ns == written
