"""``prepare`` and ``train``, each the real stage in a fresh process: seconds per patient of
``prepare`` against only reading the NIfTI files, peak memory of both against the 4 GiB
budget of ``make run``, at the default and at the study's crop; and ``prepare``'s peak
against the cohort's size (it streams patients, so it must stay flat: at most 1.10x).

Peak memory is the summed resident memory of the stage's process tree, sampled.
``train`` runs one epoch: its peak (activations, Adam's state) is reached in the first steps.

``python -m bench.stages [--crops N N] [--sizes N N ...]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np

from bench import common
from pipeline import formats
from pipeline.config.params import read_params
from pipeline.formats import paths

FLAT = 1.10


def reading_seconds(cohort: Path) -> float:
    """Seconds to read every NIfTI file of ``cohort`` into memory, and nothing else."""
    started = time.perf_counter()
    for path in sorted(cohort.rglob("*.nii*")):
        np.asarray(nib.load(path).dataobj)
    return time.perf_counter() - started


def usable(root: Path) -> list[str]:
    return formats.cohort(root / paths.MANIFEST)[0]


def main(argv: list[str] | None = None) -> dict:
    parser = common.parser(__doc__.splitlines()[0])
    common.add_crops(parser)
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 16],
                        help="smaller cohorts for prepare's growth, in usable patients (default 8 16)")
    args = parser.parse_args(argv)
    params = read_params(args.params)
    crops = common.crops(args, params)
    section = common.Section("stages", "prepare and train: time and peak memory", argv)
    with common.scratch() as folder:
        data = common.cohort(folder, args.cohort)
        reading = reading_seconds(data)
        peaks: dict[int, int] = {}
        for crop in crops:
            judged = crop == crops[0]  # the study's crop is reported, not held to the budget
            root = common.make_project(folder / f"project-{crop}", data, args.params,
                                       {"prepare": {"crop_voxels": crop}, "train": {"max_epochs": 1}})
            start_up = common.run_child([sys.executable, "-c", "import pipeline.stages.prepare"], root)
            prepared, ids = common.run_stage(root, "prepare"), usable(root)
            trained = common.run_stage(root, "train")
            if judged:
                peaks[len(ids)], full = prepared.peak_bytes, ids
            section.add(
                common.Row(f"prepare, {crop}^3, per usable patient",
                           (prepared.seconds - start_up.seconds) / len(ids), "s",
                           "reading the NIfTI files only", reading / len(ids),
                           note=f"{len(ids)} usable patients; the stage's {prepared.seconds:.1f} s "
                                f"less {start_up.seconds:.1f} s of start-up (its imports)"),
                common.peak_row(f"prepare peak memory, {crop}^3", prepared.peak_bytes, judged),
                common.peak_row(f"train peak memory, {crop}^3 (one epoch)", trained.peak_bytes, judged,
                                note=f"batch {params['train']['batch_size']}, {params['model']['network']}"))
        for size in sorted(size for size in args.sizes if size < len(full)):
            root = common.make_project(folder / f"growth-{size}", data, args.params,
                                       {"prepare": {"crop_voxels": crops[0]}}, patients=full[:size])
            peaks[size] = common.run_stage(root, "prepare").peak_bytes
    sizes = sorted(peaks)
    slope = float(np.polyfit(sizes, [peaks[s] for s in sizes], 1)[0]) if len(sizes) > 1 else 0.0
    ratio = peaks[sizes[-1]] / peaks[sizes[0]]
    section.add(common.Row(
        f"prepare peak, {sizes[-1]} usable patients", peaks[sizes[-1]] / common.GIB, "GiB",
        f"prepare peak, {sizes[0]} patients", peaks[sizes[0]] / common.GIB,
        target=f"<= {FLAT}x (flat)", holds=ratio <= FLAT,
        note=f"slope {slope / common.MIB:+.1f} MiB per patient over sizes {', '.join(map(str, sizes))}"))
    section.details["prepare_peaks"] = {str(size): peaks[size] for size in sizes}
    return section.save(args.output)


if __name__ == "__main__":
    main()
