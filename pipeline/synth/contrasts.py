"""Tissue intensities per MRI sequence, and how infiltration changes them.

Values are in arbitrary scanner-like units before the scanner's global scale. They follow
the usual appearance: T1 (white > grey > CSF dark), T1c (T1 plus a bright enhancing rim),
T2 (CSF bright, grey > white, oedema bright), FLAIR (CSF dark, grey > white, oedema bright).
"""

from __future__ import annotations

import numpy as np

SEQUENCES = ("t1", "t1c", "t2", "flair")

TISSUE_INTENSITY = {
    #        scalp skull muscle csf grey white brainstem cord oedema enhancing necrosis
    "t1":    (950, 60, 480, 220, 560, 820, 760, 740, 480, 560, 240),
    "t1c":   (950, 60, 520, 240, 580, 830, 770, 750, 500, 1250, 260),
    "t2":    (1350, 50, 360, 1500, 820, 600, 660, 680, 1150, 800, 1350),
    "flair": (1200, 50, 420, 130, 760, 560, 620, 640, 1100, 780, 380),
}
TISSUE_ORDER = ("scalp", "skull", "muscle", "csf", "grey_matter", "white_matter", "brainstem", "spinal_cord",
                "oedema", "enhancing_tumour", "necrosis")

# Relative brainstem signal increase where an infiltration pattern is at full strength, at
# effect 1; T1 and T1c are unaffected. Chosen so that the mean FLAIR inside the brainstem
# (after 0.5-99.5 percentile rescaling) separates extensive from other patients with an AUC
# of about 0.88 over many patients (0.83 on the default cohort), about 0.99 at effect 3.
INFILTRATION_GAIN = {"t1": 0.0, "t1c": 0.0, "t2": 0.18, "flair": 0.24}

# Patients differ in tissue relaxation times: each intensity varies by this relative spread.
TISSUE_SPREAD = 0.04


def draw_contrasts(rng: np.random.Generator) -> dict[str, dict[str, float]]:
    """One patient's tissue intensities per sequence, each nominal value jittered."""
    contrasts = {}
    for sequence in SEQUENCES:
        jitter = 1.0 + TISSUE_SPREAD * rng.standard_normal(len(TISSUE_ORDER))
        contrasts[sequence] = {tissue: float(value * factor) for tissue, value, factor
                               in zip(TISSUE_ORDER, TISSUE_INTENSITY[sequence], jitter)}
    return contrasts
