"""What each augmentation of ``pipeline/training/augmentation.py`` costs per volume, forced on (p=1),
against a bare training step's cost per volume at the same crop: the ratio reads as
"share of a training step".

Each transform runs as ``VolumeDataset`` runs it (``pipeline.training.datasets.augmented``, on the
loading thread's torch threads); the configured augmentation (params ``augment``) is timed
the same way, each call one seeded draw. ``torch.utils.benchmark`` medians.

``python -m bench.augmentation [--crops N N]``
"""

from __future__ import annotations

import torch
from torch.utils import benchmark

from bench import common
from bench.loop import step_seconds
from pipeline.config.params import read_params
from pipeline.formats import mask_channel_count
from pipeline.training.augmentation import TRANSFORMS, augmentation
from pipeline.training.datasets import LOADING_THREADS, augmented


def transform_seconds(transform, image: torch.Tensor, mask_channels: int, min_run_time: float) -> float:
    """Median seconds of one draw of ``transform`` on ``image``, on the pipeline's loading threads."""
    timer = benchmark.Timer("augmented(transform, image, mask_channels)", num_threads=LOADING_THREADS,
                            globals={"augmented": augmented, "transform": transform, "image": image,
                                     "mask_channels": mask_channels})
    return timer.blocked_autorange(min_run_time=min_run_time).median


def main(argv: list[str] | None = None) -> dict:
    parser = common.parser(__doc__.splitlines()[0])
    common.add_crops(parser)
    args = parser.parse_args(argv)
    params = read_params(args.params)
    channels = common.channels(params)
    masks = mask_channel_count(params["model"]["mask_channel"], params["prepare"]["one_hot_mask"])
    section = common.Section("augmentation", "Augmentation cost per volume", argv)
    run_time = 0.2 if args.quick else 1.0
    configured = augmentation(params["augment"])
    for crop in common.crops(args, params):
        image = torch.rand(channels, crop, crop, crop, generator=torch.Generator().manual_seed(0))
        step = step_seconds(params, crop, run_time) / params["train"]["batch_size"]
        transforms = {name: build(1.0) for name, build in TRANSFORMS.items()}
        if configured is not None:
            transforms["configured (params p)"] = configured
        for name, transform in transforms.items():
            torch.manual_seed(0)
            seconds = transform_seconds(transform, image, masks, run_time)
            section.add(common.Row(f"{name}, {crop}^3", seconds * 1e3, "ms", "bare training step "
                                   "per volume", step * 1e3, note="p=1" if name in TRANSFORMS else
                                   "each call one draw of the configured transforms"))
    section.notes.append(f"On {LOADING_THREADS} torch thread(s), as the pipeline's loading thread "
                         f"runs them; {channels} channels, {masks} of them the mask.")
    return section.save(args.output)


if __name__ == "__main__":
    main()
