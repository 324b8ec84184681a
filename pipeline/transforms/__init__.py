"""Where the pipeline's augmentation cannot be TorchIO's transform as it is.

Only the noise (``noise``): TorchIO's reseeds torch's global generators, a GPU's among
them, on every draw. ``pipeline.augment`` takes every other transform from TorchIO.
"""
