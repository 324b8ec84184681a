"""The built-in cohort generator: a study-like set of synthetic 3D head MRIs.

``python -m pipeline.synth DIR [--effect X] [--seed N] [--layout ...]`` writes, in the input layout of
docs/contract.md, 33 patients ``GBM-001``..``GBM-033`` like the study's: 24 complete (15 extensive,
7 microscopic, 2 none), 3 missing one sequence, 2 empty folders, 2 with no folder and 2 with
only the segmentation, roles shuffled by the seed. Every image is an analytic head phantom
(scalp, skull, CSF, cortex, white matter, ventricles, deep grey nuclei, cerebellum,
brainstem, spinal cord and a supratentorial tumour with necrosis, enhancing rim and oedema)
sampled on each sequence's own grid, with a per-patient pose, bias field, Rician noise and
intensity scale. Extensive infiltration raises T2/FLAIR signal diffusely inside the
brainstem, by an amount set by ``effect``; at ``effect=0`` the labels carry no signal at all.
The same seed and arguments give byte-identical files. ``labels.csv`` has the columns
``patient_id,infiltration,site``; the site (``site-A``..``site-C``) sets the scanner's
intensity scale, noise and bias strength and is drawn independently of the label.
``--spacing MM`` (default 2) coarsens every grid. ``--layout bids`` writes the same images as
a BIDS dataset instead (``synth.bids``: ``participants.tsv``, subjects ``sub-GBM001``...,
the masks in ``derivatives/brainstem/``); ``--layout dicom`` the same voxels with every
sequence a DICOM series, as a PACS exports them (``synth.dicom``: series folders ``S1``,
``S2``... in a shuffled order, vendor ``SeriesDescription`` wording, fake patient fields),
``seg`` still NIfTI.

Sequences and grids (``s`` = ``spacing_mm``, 2 mm by default), each with its own field of view:

========  ============  ===========  ============================================
key       voxel axes    voxel (mm)   notes
========  ============  ===========  ============================================
t1        RAS           s, s, s      axial; the segmentation shares this grid
t1c       LAS           s, s, s      axial, left-right flipped
t2        LPS           s, s, 2s     thick axial slices (partial volume)
flair     PSR           s, s, 2s     thick sagittal slices
seg       RAS           s, s, s      uint8, 1 = brainstem
========  ============  ===========  ============================================

API, for tests of other modules::

    write_cohort(directory, *, effect=1.0, seed=0, composition=Composition(),
                 spacing_mm=2.0, name_variants=True, workers=1, compress=True,
                 layout="folders") -> list[PatientSpec]
    plan_cohort(composition=Composition(), *, seed=0, name_variants=True) -> list[PatientSpec]
    synthesise_patient(index, label, *, seed=0, effect=1.0, spacing_mm=2.0,
                       keys=IMAGE_KEYS) -> dict[str, nibabel.Nifti1Image]

``Composition`` holds the number of patients per role (defaults: the study's counts
``extensive=15, microscopic=7, none=2, missing_sequence=3, empty_folder=2, no_folder=2,
seg_only=2``); e.g. ``Composition(extensive=3, microscopic=2, none=1, missing_sequence=0,
empty_folder=0, no_folder=0, seg_only=0)`` gives 6 complete patients. ``spacing_mm=6``
gives tiny volumes (about 28 voxels a side) for fast tests. ``PatientSpec`` records
``patient_id``, ``index``, ``label``, ``role`` (``complete``, ``missing:<sequence>``,
``empty_folder``, ``no_folder``, ``seg_only``), ``site`` and ``files`` (image key to file
name; with ``layout="bids"``, to its path from the dataset root, and ``patient_id`` is the
subject label ``GBM001``; with ``layout="dicom"``, each sequence to its series folder
``S<n>``). With ``name_variants`` the first complete patients use, in id order, the names
``t1ce.nii.gz``, ``FLAIR.nii.gz``, a BraTS-style ``<patient_id>_`` prefix with
``..._t1gd.nii.gz``, ``brainstem.nii.gz`` for the segmentation, and uncompressed ``.nii``.
"""

from pipeline.synth.cohort import Composition, PatientSpec, plan_cohort, write_cohort
from pipeline.synth.patient import IMAGE_KEYS, LABELS, synthesise_patient

__all__ = ["Composition", "IMAGE_KEYS", "LABELS", "PatientSpec", "plan_cohort", "synthesise_patient",
           "write_cohort"]
